//! winfill, the GUI demo client (docs/gui.md §6): `winfill NAME [RRGGBB]
//! [attack]`, the words also accepted as one argument joined by `:` (as
//! init passes `init.first=winfill:NAME:RRGGBB`).
//!
//! Connects to the GUI server (service `gui`), opens a 160×100 window
//! backed by a region the server shares with it, fills it with the colour
//! `RRGGBB` (hex, default 808080) and shows it; then echoes every key
//! event its window receives to the console (`winfill NAME: key CODE
//! VALUE`) and answers each press on the screen (the next 8×8 cell in
//! the inverse colour), forever. The label bar above the window is the
//! server's: the
//! client's context in the policy's colour.
//!
//! With `attack` it first tries what a hostile client would and prints each
//! answer (`winfill NAME: attack WHAT -> RESULT`): damage outside its
//! buffer and with overflowing rectangles, huge and empty windows,
//! another client's handle, full-screen and reading other windows' pixels
//! without the permissions, a malformed message, unmapping its buffer
//! before a frame.
#![no_std]
#![no_main]
// `unsafe` allowed: the window buffer is a region shared with the GUI
// server, written through a raw pointer (the block has a `// SAFETY:`
// comment).
#![allow(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use rampart_connsrv_api::rt::Channel;
use rampart_gui_api::Client;
use rampart_gui_api::rt::Ipc;
use rampart_rt::cpu::rdtsc;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

rampart_libos::main!(main);

/// A line of output: to the kernel log when the program has one (started
/// by init), else to standard output (started from a shell).
macro_rules! say {
    ($($arg:tt)*) => {{
        if rampart_rt::debug::has_log() {
            rampart_rt::dprintln!($($arg)*);
        } else {
            rampart_libos::println!($($arg)*);
            let _ = rampart_libos::io::Write::flush(&mut rampart_libos::io::stdout());
        }
    }};
}

/// Window content size in pixels.
const W: u32 = 160;
/// See [`W`].
const H: u32 = 100;

fn main() -> i32 {
    let args = rampart_rt::process::args();
    let words: alloc::vec::Vec<String> =
        args.iter().skip(1).flat_map(|a| a.split(':').map(String::from).collect::<alloc::vec::Vec<_>>()).collect();
    let name = words.first().cloned().unwrap_or_else(|| String::from("winfill"));
    let colour = words.get(1).and_then(|c| u32::from_str_radix(c, 16).ok()).unwrap_or(0x808080);
    let attack = words.iter().any(|a| a == "attack");
    match run(&name, colour, attack) {
        Ok(()) => 0,
        Err((what, e)) => {
            say!("winfill {name}: {what}: {e}");
            1
        }
    }
}

fn connect(ch: &Channel, s: u64) -> Result<Ipc, Errno> {
    let hz = rampart_rt::startup::header().map_or(0, |h| h.tsc_hz).max(1_000_000);
    let end = rdtsc() + 120 * hz;
    loop {
        match ch.connect(rampart_gui_api::SERVICE, s) {
            Ok(c) => return Ok(Ipc(c.ep)),
            Err(Errno::ENOENT) if rdtsc() < end => rampart_rt::syscall::yield_now(),
            Err(e) => return Err(e),
        }
    }
}

/// Opens a window of `w` × `h`; maps the buffer the server made for it
/// (its token lands in `token`). Returns the handle and the buffer.
fn open(gui: &mut Client<Ipc>, w: u32, h: u32, token: u64) -> Result<(u32, rampart_rt::rm::Region), Errno> {
    let win = gui.create_window(w, h, token)?;
    let r = rampart_rt::rm::region_map(token)?;
    Ok((win, r))
}

fn show<T: core::fmt::Debug>(name: &str, what: &str, r: Result<T, Errno>) {
    match r {
        Ok(v) => say!("winfill {name}: attack {what} -> ok {v:?}"),
        Err(e) => say!("winfill {name}: attack {what} -> {}", e.name()),
    }
}

fn run(name: &str, colour: u32, attack: bool) -> Result<(), (&'static str, Errno)> {
    let ch = Channel::own();
    let mut next = slot::FIRST_FREE;
    let mut slot = || {
        next += 1;
        next - 1
    };
    let mut gui = Client(connect(&ch, slot()).map_err(|e| ("connecting to gui", e))?);
    let (sw, sh) = gui.info().map_err(|e| ("info", e))?;
    let (win, region) = open(&mut gui, W, H, slot()).map_err(|e| ("creating the window", e))?;
    let px = region.vaddr as *mut u32;
    for i in 0..(W * H) as usize {
        // SAFETY: the region is mapped read-write in this task and holds
        // W * H pixels (the server made it for this window).
        unsafe { core::ptr::write_volatile(px.add(i), colour) };
    }
    gui.damage(win, 0, 0, W, H).map_err(|e| ("showing the window", e))?;
    say!("winfill {name}: window {win} {W}x{H} colour {colour:06x} on a {sw}x{sh} screen");
    if attack {
        show(name, "damage beyond the right edge", gui.damage(win, W, 0, 1, 1));
        show(name, "damage beyond the bottom", gui.damage(win, 0, H - 1, 1, 2));
        show(name, "damage overflowing x", gui.damage(win, u32::MAX, 0, 2, 1));
        show(name, "damage overflowing width", gui.damage(win, 1, 0, u32::MAX, 1));
        show(name, "damage of another handle", gui.damage(win + 1, 0, 0, 1, 1));
        show(name, "huge window", gui.create_window(u32::MAX, u32::MAX, slot()));
        show(name, "empty window", gui.create_window(0, 10, slot()));
        show(name, "window taller than the screen", gui.create_window(10, sh, slot()));
        show(name, "fullscreen", gui.fullscreen(win, true));
        // Every pixel of the screen this client may not read.
        let mut denied = 0u32;
        let mut step = 0u32;
        for y in (0..sh).step_by(32) {
            for x in (0..sw).step_by(32) {
                step += 1;
                if gui.read_pixel(x, y) == Err(Errno::EACCES) {
                    denied += 1;
                }
            }
        }
        say!("winfill {name}: attack read other windows' pixels -> {denied} of {step} denied");
        show(name, "read outside the screen", gui.read_pixel(sw, 0));
        // A message that is no request at all: answered with an error.
        let garbage = rampart_rt::ipc::codec::Outgoing::raw(0x7777);
        let r = rampart_rt::ipc::codec::call_raw(gui.0.0, &garbage);
        say!("winfill {name}: attack garbage message -> label {:#x}", r.map(|m| m.label()).unwrap_or(0));
        // A window whose buffer the client unmaps (and tries to free)
        // before asking for a frame: the server owns the memory.
        let (w2, gone) = open(&mut gui, 16, 16, slot()).map_err(|e| ("second window", e))?;
        show(name, "free the server's buffer", rampart_rt::rm::region_free(gone.id));
        show(name, "damage after unmapping the buffer", gui.damage(w2, 0, 0, 16, 16));
        show(name, "destroy that window", gui.destroy(w2));
        show(name, "the server still answers", gui.info());
        // Draw into the buffer after the failed attempts: the server shows
        // it only inside the window (the test checks the screen).
        gui.damage(win, 0, 0, W, H).map_err(|e| ("showing the window", e))?;
        say!("winfill {name}: attacks done");
    }
    let mut cells = 0u32;
    loop {
        match gui.next_key(win) {
            Ok(Some(k)) => {
                say!("winfill {name}: key {} {}", k & 0xffff, k >> 16);
                if k >> 16 == 1 {
                    // Answer a press on the screen: the next 8×8 cell in
                    // the inverse colour.
                    let (cx, cy) = ((cells % (W / 8)) * 8, (cells / (W / 8) % (H / 8)) * 8);
                    cells += 1;
                    for y in cy..cy + 8 {
                        for x in cx..cx + 8 {
                            // SAFETY: (x, y) is inside the W × H buffer.
                            unsafe { core::ptr::write_volatile(px.add((y * W + x) as usize), !colour & 0xffffff) };
                        }
                    }
                    gui.damage(win, cx, cy, 8, 8).map_err(|e| ("showing a key", e))?;
                }
            }
            Ok(None) => rampart_rt::syscall::yield_now(),
            Err(e) => return Err(("reading keys", e)),
        }
    }
}
