//! The console server's protocol (docs/console.md).
//!
//! The console server owns the serial line and gives programs *terminal
//! handles* (ttys) with a line discipline. Clients reach it through the
//! connection server (service [`SERVICE`]); the connection badge carries
//! the client's SID and every request is checked as the policy's
//! `console { read write setfg }`.
//!
//! Terminal text is small, so it travels inline in messages (at most
//! [`MAX_IO`] bytes per request), unlike file data, which uses shared
//! regions. A blocking `Read` is deferred by the server until a line (cooked
//! mode) or a byte (raw mode) is there.
//!
//! Handles travel to other tasks as single-use tokens (docs/userland.md §4):
//! `ShareHandle` replies with a capability to the console's endpoint badged
//! with the token; the receiver sends it back with `AdoptToken`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::vec::Vec;
use rampart_uabi::Errno;
use serde::{Deserialize, Serialize};

/// The service name.
pub const SERVICE: &str = "console";
/// Most bytes read or written by one request.
pub const MAX_IO: usize = 768;
/// Badge bit of handle tokens minted by the console (bit 63 clear: not a
/// connection badge).
pub const TOKEN: u64 = 1 << 40;

/// Line-discipline settings of a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mode {
    /// Raw: bytes are delivered as typed, without editing or signals
    /// (the shell's line editor). Cooked (false): lines with editing.
    pub raw: bool,
    /// Echo typed characters (cooked mode only).
    pub echo: bool,
    /// The signal keys (Ctrl-C, Ctrl-\\, Ctrl-Z) have the foreground
    /// process group signalled instead of being input, in either mode
    /// (termios `ISIG`, termios(3)).
    pub isig: bool,
}

impl Mode {
    /// What programs get by default: cooked with echo and signal keys.
    pub const COOKED: Mode = Mode { raw: false, echo: true, isig: true };
    /// Raw, no echo, no signal keys (`stty raw`; the shell's editor).
    pub const RAW: Mode = Mode { raw: true, echo: false, isig: false };
}

rampart_uabi::by_value!(Mode);

rampart_uabi::protocol! {
    /// Requests.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Request;
    /// Responses.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Response {
        /// Done.
        Ok,
        /// A new handle.
        Handle(u32),
        /// Bytes read.
        Data(Vec<u8>),
        /// Bytes written.
        Len(u32),
        /// The mode.
        Mode(Mode),
        /// A token's badge (the capability travels with the reply).
        Token(u64),
        /// The terminal's id at rm.
        Terminal(u32),
        /// Failure.
        Err(Errno),
        /// The window size.
        WinSize {
            /// Rows (lines).
            rows: u16,
            /// Columns.
            cols: u16,
        },
    }

    /// Opens the terminal (`console read write`). → `Handle`.
    Open -> Handle(u32) => open;
    /// Reads at most `max` bytes (clamped to [`MAX_IO`]); blocks until a
    /// line (cooked) or input (raw) is there. `Data(empty)` is end of input
    /// (Ctrl-D at the start of a line). A reader interrupted by a signal
    /// gets nothing and loses nothing: input the console could not hand
    /// over is read first next time. → `Data`.
    Read {
        /// Handle.
        handle: u32,
        /// Most bytes wanted.
        max: u32,
    } -> Data(Vec<u8>) => read;
    /// Writes bytes (newline becomes CR LF on the line). → `Len`.
    Write {
        /// Handle.
        handle: u32,
        /// Bytes (at most [`MAX_IO`]).
        data: Vec<u8>,
    } -> Len(u32) => write;
    /// Closes a handle. → `Ok`.
    Close {
        /// Handle.
        handle: u32,
    } -> Ok => close;
    /// Sets the line discipline. → `Ok`.
    SetMode {
        /// Handle.
        handle: u32,
        /// New mode.
        mode: Mode,
    } -> Ok => set_mode;
    /// The line discipline. → `Mode`.
    GetMode {
        /// Handle.
        handle: u32,
    } -> Mode(Mode) => get_mode;
    /// The terminal's id at rm, for `SetControllingTerminal` (the
    /// foreground process group and the signal keys are rm's business,
    /// docs/signals.md). → `Terminal`.
    GetTerminal {
        /// Handle.
        handle: u32,
    } -> Terminal(u32) => get_terminal;
    /// A single-use token for a handle (the reply carries it). → `Token`.
    ShareHandle {
        /// Handle.
        handle: u32,
    } -> Token(u64) => share_handle(slot: receive);
    /// Adopts the token capability this message carries. → `Handle`.
    AdoptToken -> Handle(u32) => adopt_token(token: give);
    /// Whether a `Read` would answer now (input or end of input is
    /// waiting): `Len(1)`, else `Len(0)`. For `poll` over the terminal;
    /// never waits. → `Len`.
    Readable {
        /// Handle.
        handle: u32,
    } -> Len(u32) => readable;
    /// The terminal's window size in character cells (`TIOCGWINSZ`):
    /// the last one the terminal reported in band (docs/console.md,
    /// "Window size"), 24 × 80 until it reports one. Checked as
    /// `console read`. → `WinSize`.
    GetWinSize {
        /// Handle.
        handle: u32,
    } -> WinSize { rows: u16, cols: u16 } => get_win_size;
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use rampart_uabi::codec::{MAX_WORDS, PROTOCOL_POSTCARD, decode, encode};

    #[test]
    fn round_trips_and_fits() {
        let mut w = [0u64; MAX_WORDS];
        for r in [
            Request::Open,
            Request::Write { handle: 1, data: alloc::vec![b'x'; MAX_IO] },
            Request::GetTerminal { handle: 1 },
            Request::SetMode { handle: 2, mode: Mode::RAW },
            Request::GetWinSize { handle: 3 },
        ] {
            let (l, n) = encode(&r, &mut w).unwrap();
            assert_eq!(decode::<Request>(l, &w[..n]).unwrap(), r);
        }
        let (l, n) = encode(&Response::Data(alloc::vec![0; MAX_IO]), &mut w).unwrap();
        assert!(decode::<Response>(l, &w[..n]).is_ok());
        let ws = Response::WinSize { rows: 40, cols: 120 };
        let (l, n) = encode(&ws, &mut w).unwrap();
        assert_eq!(decode::<Response>(l, &w[..n]).unwrap(), ws);
    }

    /// The wire bytes the hand-written enums gave: declaring the protocol
    /// with `protocol!` changed none.
    #[test]
    fn wire_bytes_unchanged_by_the_declaration() {
        use rampart_uabi::codec::encode_bytes;
        assert_eq!(encode_bytes(&Request::Open).unwrap(), [0]);
        assert_eq!(encode_bytes(&Request::Read { handle: 1, max: 2 }).unwrap(), [1, 1, 2]);
        assert_eq!(encode_bytes(&Request::SetMode { handle: 3, mode: Mode::RAW }).unwrap(), [4, 3, 1, 0, 0]);
        assert_eq!(encode_bytes(&Request::AdoptToken).unwrap(), [8]);
        assert_eq!(encode_bytes(&Request::GetWinSize { handle: 5 }).unwrap(), [10, 5]);
        assert_eq!(encode_bytes(&Response::Err(Errno::EACCES)).unwrap(), [7, 26]);
        assert_eq!(encode_bytes(&Response::WinSize { rows: 24, cols: 80 }).unwrap(), [8, 24, 80]);
    }

    proptest! {
        #[test]
        fn hostile_messages_never_panic(words in proptest::collection::vec(any::<u64>(), 0..16), len in 0u64..200) {
            let _ = decode::<Request>(PROTOCOL_POSTCARD | len, &words);
            let _ = decode::<Response>(PROTOCOL_POSTCARD | len, &words);
        }
    }
}
