//! winfill, the GUI demo client (docs/gui.md §6): `winfill NAME [RRGGBB]
//! [attack]`, the words also accepted as one argument joined by `:` (as
//! init passes `init.first=winfill:NAME:RRGGBB`).
//!
//! Connects to the GUI server (service `gui`), opens a 160×100 window
//! backed by a region it shares with the server, fills it with the colour
//! `RRGGBB` (hex, default 808080) and shows it; then echoes every key
//! event its window receives to the console (`winfill NAME: key CODE
//! VALUE`), forever. The label bar above the window is the server's: the
//! client's context in the policy's colour.
//!
//! With `attack` it first tries what a hostile client would and prints each
//! answer (`winfill NAME: attack WHAT -> RESULT`): damage outside its
//! buffer and with overflowing rectangles, huge and empty windows, a
//! buffer too small for its window, another client's handle, full-screen
//! and reading other windows' pixels without the permissions.
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
use rampart_rt::dprintln;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

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
            dprintln!("winfill {name}: {what}: {e}");
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

/// A region of `bytes` shared with the server: (region, token slot).
fn buffer(bytes: u64, token: u64) -> Result<rampart_rt::rm::Region, Errno> {
    let r = rampart_rt::rm::region_alloc(bytes)?;
    rampart_rt::rm::region_share(r.id, false, token)?;
    Ok(r)
}

fn show<T: core::fmt::Debug>(name: &str, what: &str, r: Result<T, Errno>) {
    match r {
        Ok(v) => dprintln!("winfill {name}: attack {what} -> ok {v:?}"),
        Err(e) => dprintln!("winfill {name}: attack {what} -> {}", e.name()),
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
    let token = slot();
    let region = buffer(u64::from(W * H) * 4, token).map_err(|e| ("buffer", e))?;
    let px = region.vaddr as *mut u32;
    for i in 0..(W * H) as usize {
        // SAFETY: the region is mapped read-write in this task and holds
        // W * H pixels.
        unsafe { core::ptr::write_volatile(px.add(i), colour) };
    }
    let win = gui.create_window(W, H, token).map_err(|e| ("creating the window", e))?;
    gui.damage(win, 0, 0, W, H).map_err(|e| ("showing the window", e))?;
    dprintln!("winfill {name}: window {win} {W}x{H} colour {colour:06x} on a {sw}x{sh} screen");
    if attack {
        show(name, "damage beyond the right edge", gui.damage(win, W, 0, 1, 1));
        show(name, "damage beyond the bottom", gui.damage(win, 0, H - 1, 1, 2));
        show(name, "damage overflowing x", gui.damage(win, u32::MAX, 0, 2, 1));
        show(name, "damage overflowing width", gui.damage(win, 1, 0, u32::MAX, 1));
        show(name, "damage of another handle", gui.damage(win + 1, 0, 0, 1, 1));
        let t = slot();
        let big = buffer(4096, t).map_err(|e| ("buffer", e))?;
        show(name, "huge window", gui.create_window(u32::MAX, u32::MAX, t));
        let t = slot();
        let _ = buffer(4096, t).map_err(|e| ("buffer", e))?;
        show(name, "empty window", gui.create_window(0, 10, t));
        let t = slot();
        let _ = buffer(4096, t).map_err(|e| ("buffer", e))?;
        show(name, "window larger than its buffer", gui.create_window(100, 100, t));
        show(name, "window without a buffer", gui.create_window(10, 10, slot()));
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
        dprintln!("winfill {name}: attack read other windows' pixels -> {denied} of {step} denied");
        show(name, "read outside the screen", gui.read_pixel(sw, 0));
        let _ = big;
        // Draw into the buffer after the failed attempts: the server shows
        // it only inside the window (the test checks the screen).
        gui.damage(win, 0, 0, W, H).map_err(|e| ("showing the window", e))?;
        dprintln!("winfill {name}: attacks done");
    }
    loop {
        match gui.next_key(win) {
            Ok(Some(k)) => dprintln!("winfill {name}: key {} {}", k & 0xffff, k >> 16),
            Ok(None) => rampart_rt::syscall::yield_now(),
            Err(e) => return Err(("reading keys", e)),
        }
    }
}
