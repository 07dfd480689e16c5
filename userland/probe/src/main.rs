//! `probe TAG.COUNT`: tries every operation of [`OPS`] on the objects
//! `/probe/f0..fCOUNT` (files) and `/probe/d0..dCOUNT` (directories, each
//! holding a file `x`), in whatever security context init started it
//! (`init.secure=@probe.plan`, one line `probe:TAG.COUNT@CONTEXT` per
//! subject), and prints one kernel-log line per attempt:
//! `probe TAG OBJECT OP RESULT` with RESULT `ok` or the errno number, then
//! `probe-done TAG N`. tests/tests/decisions.rs labels the objects, starts
//! the probes, and compares every result with the policy engine's
//! decision and every denial with the file server's audit record.
//!
//! The operations and the checks the file server makes for each (after
//! `dir search` on `/probe`):
//!
//! | op | object | checks |
//! |---|---|---|
//! | `read` | file | `file { open read }` |
//! | `write` | file | `file { open write }` |
//! | `append` | file | `file { open append }` |
//! | `getattr` | file | `file getattr` |
//! | `search` | dir | `dir search`, then `file getattr` on `x` |
//! | `list` | dir | `dir { open read }`, then `dir read` |
//! | `dgetattr` | dir | `dir getattr` |
//!
//! Before the first attempt it waits (up to [`WAIT_TRIES`] tries) for the
//! file server to serve `/probe`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use rampart_libos::fs::{self, OpenOptions};
use rampart_libos::rampart_rt::dprintln;
use rampart_libos::{Error, ErrorKind};

rampart_libos::main!(main);

/// The operations, in the order they are tried on each object index.
pub const OPS: [(&str, char); 7] = [
    ("read", 'f'),
    ("write", 'f'),
    ("append", 'f'),
    ("getattr", 'f'),
    ("search", 'd'),
    ("list", 'd'),
    ("dgetattr", 'd'),
];

/// Tries (10 ms apart) before giving up on the file server.
pub const WAIT_TRIES: u32 = 3000;

fn attempt(op: &str, path: &str) -> Result<(), Error> {
    match op {
        "read" => OpenOptions::new().read(true).open(path).map(drop),
        "write" => OpenOptions::new().write(true).open(path).map(drop),
        "append" => OpenOptions::new().append(true).open(path).map(drop),
        "search" => fs::metadata(&format!("{path}/x")).map(drop),
        "list" => fs::read_dir(path).map(drop),
        _ => fs::metadata(path).map(drop),
    }
}

fn result(r: Result<(), Error>) -> String {
    match r {
        Ok(()) => String::from("ok"),
        Err(e) => format!("{}", e.errno().0),
    }
}

fn main() -> i32 {
    let args = rampart_libos::env::args();
    let Some((tag, count)) = args.get(1).and_then(|a| a.split_once('.')) else {
        dprintln!("probe: usage: probe TAG.COUNT");
        return 2;
    };
    let Ok(count) = count.parse::<u32>() else { return 2 };
    let tag = String::from(tag);
    // The file server may not serve the root yet: wait for an answer
    // other than "not there yet" (any answer of the server's, a denial
    // included, means it is up).
    for _ in 0..WAIT_TRIES {
        match fs::metadata("/probe") {
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::Other | ErrorKind::ConnectionRefused) => {
                rampart_libos::time::sleep(core::time::Duration::from_millis(10))
            }
            _ => break,
        }
    }
    let mut n = 0;
    for i in 0..count {
        for (op, kind) in OPS {
            let path = format!("/probe/{kind}{i}");
            dprintln!("probe {tag} {kind}{i} {op} {}", result(attempt(op, &path)));
            n += 1;
        }
    }
    dprintln!("probe-done {tag} {n}");
    0
}
