//! The GUI server (`gui_t`, docs/gui.md): the secure desktop.
//!
//! It alone holds the display and the input devices: at start it attaches,
//! through devmgr, to the virtio-gpu driver's framebuffer region (`gpu0`)
//! and to the event rings of the keyboard and the tablet (`input0`,
//! `input1`), then registers service `gui` with connsrv. Clients reach it
//! through connsrv like every service; the connection badge carries the
//! client's SID, from which the server alone derives each window's label
//! bar (the context, from secsrv; the colour, from the policy's
//! `window_colour`) and makes every policy check (`window create`,
//! `fullscreen`, `read`) through its object manager, whose denials go to
//! the audit trail. Composition, focus and input routing are
//! `rampart-gui-core`'s; this binary maps the buffers, flushes and
//! decides.
//!
//! Trust: the server trusts the kernel, rm (regions), connsrv (badges),
//! secsrv (decisions, contexts), devmgr and the two drivers (which could
//! show or send anything anyway). It trusts nothing a client sends: every
//! size, rectangle, handle and region length is checked; a client can
//! change only the pixels inside its own window.
#![no_std]
#![no_main]
// `unsafe` allowed: the framebuffer region, the input rings and the clients'
// window buffers are memory shared with other tasks, read and written
// through raw pointers (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]

extern crate alloc;

mod devices;
mod serve;

use rampart_connsrv_api::rt::Channel;
use rampart_rt::cap::{CNode, CPtr, Reply};
use rampart_rt::dprintln;
use rampart_rt::server::Server;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

fn main() -> i32 {
    let mut next = slot::FIRST_FREE;
    let mut slot = || {
        next += 1;
        next - 1
    };
    let ch = Channel::own();
    let sec = match ch.connect(rampart_connsrv_api::SECURITY_SERVICE, slot()) {
        Ok(c) => Ipc(c.ep),
        Err(e) => {
            rampart_rt::pr_err!("gui: no security server: {e}");
            return 1;
        }
    };
    let dev_slots: [CPtr; 10] = core::array::from_fn(|_| slot());
    let devs = match devices::open(&ch, dev_slots) {
        Ok(d) => d,
        Err((what, e)) => {
            rampart_rt::pr_err!("gui: {what}: {e} (errno {})", e.0);
            return 2;
        }
    };
    if let Err(e) = rampart_secsrv_api::rt::subscribe_policy_changes(sec, slot()) {
        rampart_rt::pr_err!("gui: cannot subscribe to policy changes: {e}");
        return 3;
    }
    let ep = match ch.register(rampart_gui_api::SERVICE, slot()) {
        Ok(ep) => ep,
        Err(e) => {
            rampart_rt::pr_err!("gui: cannot register: {e}");
            return 4;
        }
    };
    if let Err(e) = ch.watch_closed_events(slot()) {
        dprintln!("gui: closed connections are not reported: {e}");
    }
    let recv = slot();
    let token = slot();
    let (w, h) = (devs.width(), devs.height());
    let mut gui = match serve::Gui::new(sec, ch, devs) {
        Ok(g) => g,
        Err(e) => {
            rampart_rt::pr_err!("gui: security server: {e}");
            return 5;
        }
    };
    let t0 = rampart_rt::cpu::rdtsc();
    gui.redraw_all();
    let t = rampart_rt::cpu::rdtsc() - t0;
    dprintln!("gui: {w}x{h} desktop, serving \"{}\"", rampart_gui_api::SERVICE);
    // Under `-icount` the TSC counts instructions (docs/performance.md).
    dprintln!("gui: full-screen compose and flush: {t} TSC ticks");
    let mut server = Server::new(ep, Reply(slot::REPLY));
    server.set_receive_slot(CNode(slot::CNODE), recv);
    gui.recv = recv;
    gui.token = token;
    server.serve(&mut gui)
}
