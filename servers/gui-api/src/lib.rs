//! The GUI server's protocol (service `gui`, docs/gui.md §3).
//!
//! A client reaches the server through connsrv like every service; the
//! connection badge carries its SID, which is the only identity the server
//! uses (for the policy checks, the label bar's text and colour). A window
//! is backed by a region the *server* allocates and shares with its
//! client (an rm region token comes with the [`Request::CreateWindow`]
//! reply; the client maps it with `RegionMap`): the client draws
//! `0x00RRGGBB` pixels into it, `width` per row, and tells the server which
//! rectangle changed ([`Request::Damage`]); the server copies that
//! rectangle into its composition. The server owns the memory, so a client
//! unmapping or freeing its view cannot pull pages from under the server
//! mid-frame (rm destroys a region with its owner's `RegionFree`,
//! every mapping included). The server chooses where windows go and
//! draws every label bar itself: a client names only its own windows (by
//! the handle the server gave it), never a screen position, and cannot
//! address a pixel outside its buffer.
//!
//! Errors: `EINVAL` (a size or rectangle outside limits), `E2BIG` (a
//! window larger than the screen), `ENOMEM`/`EDQUOT` (no memory for the
//! buffer), `ENOENT` (not one of the caller's windows),
//! `EMFILE` (too many windows), `EACCES` (the policy's `window` class
//! denies it; audited).
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(feature = "rt")]
pub mod rt;

pub use rampart_uabi::Errno;
use serde::{Deserialize, Serialize};

/// The connsrv name of the GUI server.
pub const SERVICE: &str = "gui";
/// Windows one client may hold.
pub const MAX_WINDOWS_PER_CLIENT: usize = 4;
/// Windows on the screen in all.
pub const MAX_WINDOWS: usize = 16;
/// Keyboard events queued per window (older ones are dropped).
pub const KEY_QUEUE: usize = 64;
/// Height of a label bar in pixels (drawn by the server above every
/// window's content).
pub const LABEL_BAR: u32 = 12;
/// Bytes per pixel of a window buffer.
pub const BYTES_PER_PIXEL: u64 = 4;

/// A key event as the focused window receives it: evdev key code (Linux
/// `input-event-codes.h`) in the low 16 bits, value (1 press, 0 release,
/// 2 repeat) in bits 16..24.
pub const fn key_event(code: u16, value: u8) -> u32 {
    code as u32 | (value as u32) << 16
}

rampart_uabi::protocol! {
    /// Requests.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Request;
    /// Responses.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Response {
        /// Done.
        Ok,
        /// The screen's size in pixels.
        Size {
            /// Width.
            width: u32,
            /// Height.
            height: u32,
        },
        /// A window handle (the caller's own numbering).
        Window(u32),
        /// A key event ([`key_event`]).
        Key(u32),
        /// A pixel, `0x00RRGGBB`.
        Pixel(u32),
        /// Failure.
        Err(Errno),
    }
    /// The screen's size. → `Size`.
    Info -> Size { width: u32, height: u32 } => info;
    /// Opens a window of `width` × `height` content pixels. Checks
    /// `window create`. The server allocates its buffer
    /// (`width * height * 4` bytes, rows of `width` pixels), places it and
    /// draws its label bar; the reply carries the buffer's region token
    /// (map it with rm's `RegionMap`). → `Window`.
    CreateWindow {
        /// Content width in pixels (1..=screen width).
        width: u32,
        /// Content height in pixels (1..=screen height minus the bar).
        height: u32,
    } -> Window(u32) => create_window(buffer: receive);
    /// The rectangle `x, y, width, height` of the window's buffer changed:
    /// the server shows it. The rectangle must lie inside the buffer. → `Ok`.
    Damage {
        /// Window handle.
        window: u32,
        /// Left column.
        x: u32,
        /// Top row.
        y: u32,
        /// Columns.
        width: u32,
        /// Rows.
        height: u32,
    } -> Ok => damage;
    /// Makes the window cover the screen below its label bar (`on`) or
    /// returns it to its place. Checks `window fullscreen`. → `Ok`.
    Fullscreen {
        /// Window handle.
        window: u32,
        /// On or off.
        on: bool,
    } -> Ok => fullscreen;
    /// The next key event for the window (only a focused window gets any),
    /// or `Ok` when there is none. Never waits. → `Key` or `Ok`.
    NextKey {
        /// Window handle.
        window: u32,
    } -> Key(u32) | Ok => next_key;
    /// The composed screen's pixel at `x, y`. Checks `window read` on the
    /// window shown there unless it is the caller's own; the desktop
    /// background and label bars are public. → `Pixel`.
    ReadPixel {
        /// Column.
        x: u32,
        /// Row.
        y: u32,
    } -> Pixel(u32) => read_pixel;
    /// Closes the window. → `Ok`.
    Destroy {
        /// Window handle.
        window: u32,
    } -> Ok => destroy;
}
