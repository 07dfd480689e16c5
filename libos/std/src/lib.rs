//! # rampart-libos — Rampart's library OS
//!
//! A std-like API for programs (docs/libos.md). Every call becomes IPC to
//! the server that owns the object, over channels from the connection
//! server: files, directories and pipes to the file server ("fs"),
//! terminals to the console server ("console"), processes and memory to the
//! resource manager.
//!
//! - [`fs`]: `File`, `OpenOptions`, `read_dir`, `metadata`, `create_dir(_all)`,
//!   `remove_file`, `remove_dir`, `rename`, `symlink`, `canonicalize`, ...
//! - [`io`]: `Read`/`Write`, `stdin`/`stdout`/`stderr`, `BufReader`,
//!   `BufWriter`, `pipe`; [`io::Error`] with an [`io::ErrorKind`], the
//!   errno and messages like "Permission denied (os error 13)".
//! - [`process`]: `Command` (args, env, cwd, stdio redirection), `Child`,
//!   `ExitStatus`, `exit`, `id`, `kill`.
//! - [`signal`]: handlers, masks, `kill`; [`jobs`]: process groups,
//!   sessions, the terminal's foreground (docs/signals.md).
//! - [`env`]: `args`, `vars`, `var`, `current_dir`, `set_current_dir`.
//! - [`time`]: `Instant` (TSC), `SystemTime`.
//! - [`net`]: `TcpListener`, `TcpStream`, `UdpSocket` over the network
//!   server ("net"); [`poll`]: waiting for sockets, pipes and files
//!   together.
//! - `print!`, `println!`, `eprint!`, `eprintln!`.
//!
//! **File descriptors** are numbers in a per-process table mapping to a
//! server handle. A child gets exactly the descriptors its `Command` lists
//! (by default the parent's 0, 1 and 2): each is passed as a single-use
//! token (docs/userland.md §4) that rm places in the child, which adopts
//! them at start-up under the same numbers.
//!
//! Without the `rt` feature only the host-testable parts build
//! ([`path`], [`io`]'s generic parts, errors).
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod error;
pub mod io;
pub mod path;

#[cfg(feature = "rt")]
pub mod env;
#[cfg(feature = "rt")]
pub mod fs;
#[cfg(feature = "rt")]
pub mod net;
#[cfg(feature = "rt")]
pub mod poll;
#[cfg(feature = "rt")]
pub mod process;
#[cfg(feature = "rt")]
pub mod sys;

/// Signals: handlers, masks, `kill`, `raise` (the runtime's
/// [`rampart_rt::signal`], docs/signals.md).
#[cfg(feature = "rt")]
pub use rampart_rt::signal;

/// Process groups, sessions and the terminal's foreground
/// ([`rampart_rt::jobs`]).
#[cfg(feature = "rt")]
pub use rampart_rt::jobs;
#[cfg(feature = "rt")]
pub mod time;

pub use error::{Error, ErrorKind, Result};

#[cfg(feature = "rt")]
pub use rampart_rt;

/// Declares a program's `fn main() -> i32` (the status), as
/// `rampart_rt::program!` does; the inherited descriptors are adopted
/// before `main` runs.
#[cfg(feature = "rt")]
#[macro_export]
macro_rules! main {
    ($main:path) => {
        $crate::rampart_rt::program!(__libos_main);
        fn __libos_main() -> i32 {
            $crate::sys::init();
            let f: fn() -> i32 = $main;
            let status = f();
            $crate::io::flush_all();
            status
        }
    };
}

/// Prints to standard output.
#[cfg(feature = "rt")]
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        let _ = $crate::io::Write::write_fmt(&mut $crate::io::stdout(), format_args!($($arg)*));
    }};
}

/// Prints a line to standard output.
#[cfg(feature = "rt")]
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{
        let _ = $crate::io::Write::write_fmt(&mut $crate::io::stdout(), format_args!("{}\n", format_args!($($arg)*)));
    }};
}

/// Prints to standard error.
#[cfg(feature = "rt")]
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => {{
        let _ = $crate::io::Write::write_fmt(&mut $crate::io::stderr(), format_args!($($arg)*));
    }};
}

/// Prints a line to standard error.
#[cfg(feature = "rt")]
#[macro_export]
macro_rules! eprintln {
    () => { $crate::eprint!("\n") };
    ($($arg:tt)*) => {{
        let _ = $crate::io::Write::write_fmt(&mut $crate::io::stderr(), format_args!("{}\n", format_args!($($arg)*)));
    }};
}
