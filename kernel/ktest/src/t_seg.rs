//! Segment registers and the TLS base across thread switches (issue 13,
//! finding 1): whatever one thread does to its own segment state, every
//! other thread runs with its own FS base, on the IPC fast path and on the
//! scheduler's switches, and the scheduler's switches hand it null
//! selectors (docs/kernel.md, "Segment state").
//!
//! The attack the review found: a thread sets its own TLS base to a
//! victim's (the address is the same in every run of a program), loads a
//! selector (`mov fs, 0x1b`, which makes the hardware FS base 0; a null
//! selector does the same on Intel and under QEMU), then calls the victim.
//! A kernel that skips the FS-base write because its cached value matches
//! runs the victim with FS base 0: its first TLS access faults.

use crate::harness::{Env, ROOT_PRIO, Test, TestResult, ep_and_reply};
use crate::{check_eq, fail, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::MessageInfo;
use rampart_abi::fault::FaultLabel;
use rampart_rt::cap::{Endpoint, Notification, Reply, Tcb};
use rampart_rt::ipc;
use rampart_rt::spawn::{Options, Thread};
use rampart_rt::tls;

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(seg_victim_keeps_its_fs_base_after_caller_loads_user_selector),
    test!(seg_victim_keeps_its_fs_base_after_caller_loads_null_selector),
    test!(seg_scheduler_switch_resets_selectors_and_fs_base),
    test!(seg_umip_stops_user_sgdt),
];

/// The user data selector (GDT entry 3, RPL 3): base 0.
const USER_DS: u64 = 0x18 | 3;

/// DS, ES, FS and GS, 16 bits each (DS lowest).
fn read_selectors() -> u64 {
    let (ds, es, fs, gs): (u64, u64, u64, u64);
    // SAFETY: reading segment registers has no side effects.
    unsafe {
        core::arch::asm!(
            "mov {0:e}, ds", "mov {1:e}, es", "mov {2:e}, fs", "mov {3:e}, gs",
            out(reg) ds, out(reg) es, out(reg) fs, out(reg) gs,
            options(nomem, nostack, preserves_flags)
        )
    };
    (ds & 0xffff) | (es & 0xffff) << 16 | (fs & 0xffff) << 32 | (gs & 0xffff) << 48
}

/// Loads `sel` into DS, ES and GS and `fs` into FS.
fn load_selectors(sel: u64, fs: u64) {
    // SAFETY: null and the user data selector are valid data selectors at
    // CPL 3; the thread uses no DS/ES/GS base, and does not touch its TLS
    // until the kernel has given it its FS base back.
    unsafe {
        core::arch::asm!(
            "mov ds, {0:e}", "mov es, {0:e}", "mov gs, {0:e}", "mov fs, {1:e}",
            in(reg) sel, in(reg) fs,
            options(nomem, nostack, preserves_flags)
        )
    };
}

// ---------------------------------------------------------------- fast path

/// The attacker's parameters and what it saw.
static ATTACK: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];
const A_TCB: usize = 0;
const A_OWN_TLS: usize = 1;
const A_VICTIM_TLS: usize = 2;
const A_EP: usize = 3;
const A_SELECTOR: usize = 4;
const A_SEEN: usize = 5;

/// Answers every call with what `fs:[0]` (its TLS block's self pointer)
/// reads now.
fn victim_server(arg: u64) -> u64 {
    let (ep, reply) = (Endpoint(arg & 0xffff), Reply(arg >> 16));
    ipc::recv(ep, reply.0);
    loop {
        let seen = tls::current_addr();
        ipc::reply_recv(ep, MessageInfo::new(0, 0, 0, 1), [seen, 0, 0, 0], reply);
    }
}

/// Takes the victim's TLS base, loads a selector, calls the victim.
fn attacker(_: u64) -> u64 {
    let tcb = Tcb(ATTACK[A_TCB].load(SeqCst));
    if tcb.set_tls_base(ATTACK[A_VICTIM_TLS].load(SeqCst)).is_err() {
        return 1;
    }
    load_selectors(0, ATTACK[A_SELECTOR].load(SeqCst));
    // Register-only call: no TLS access while FS is the victim's.
    let r = ipc::call(Endpoint(ATTACK[A_EP].load(SeqCst)), MessageInfo::new(1, 0, 0, 0), [0; 4]);
    ATTACK[A_SEEN].store(r.mrs[0], SeqCst);
    // The runtime needs this thread's own block again when it returns.
    if tcb.set_tls_base(ATTACK[A_OWN_TLS].load(SeqCst)).is_err() {
        return 2;
    }
    0
}

fn block_addr(t: &Thread) -> u64 {
    t.block() as *const _ as u64
}

/// Runs the attack with FS loaded with `selector`; the victim must answer
/// with its own block address, not fault.
fn fast_path_attack(env: &mut Env, selector: u64) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let (fault_ep, fault_reply) = ep_and_reply(env)?;
    let mut vo = Options::new(ROOT_PRIO + 1);
    vo.new_vspace = true;
    vo.fault_ep = fault_ep;
    let victim = env.spawn(victim_server, ep.0 | reply.0 << 16, &vo)?;
    let mut ao = Options::new(ROOT_PRIO + 1);
    ao.resume = false;
    let attacker_t = env.spawn(attacker, 0, &ao)?;
    for (i, v) in [
        (A_TCB, attacker_t.tcb.0),
        (A_OWN_TLS, block_addr(&attacker_t)),
        (A_VICTIM_TLS, block_addr(&victim)),
        (A_EP, ep.0),
        (A_SELECTOR, selector),
        (A_SEEN, 0),
    ] {
        ATTACK[i].store(v, SeqCst);
    }
    ok!(attacker_t.tcb.resume());
    for _ in 0..10_000 {
        if attacker_t.done() {
            check_eq!(attacker_t.result(), 0, "attacker status");
            check_eq!(ATTACK[A_SEEN].load(SeqCst), block_addr(&victim), "the victim's fs:[0]");
            return Ok(());
        }
        let f = ipc::nb_recv(fault_ep, fault_reply.0);
        if f.info.label() == FaultLabel::VmFault as u64 {
            fail!("the victim faulted at {:#x} (rip {:#x}): it ran with the attacker's FS base", f.mrs[1], f.mrs[0]);
        }
        ipc::yield_now();
    }
    fail!("the attack neither completed nor made the victim fault")
}

fn seg_victim_keeps_its_fs_base_after_caller_loads_user_selector(env: &mut Env) -> TestResult {
    fast_path_attack(env, USER_DS)
}

fn seg_victim_keeps_its_fs_base_after_caller_loads_null_selector(env: &mut Env) -> TestResult {
    fast_path_attack(env, 0)
}

// ------------------------------------------------------- scheduler switch

/// What the woken victim saw: `fs:[0]`, its selectors, and a done flag.
static WOKEN: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

/// Waits for a signal, then records its FS view and selectors.
fn waiting_victim(arg: u64) -> u64 {
    Notification(arg).wait();
    WOKEN[0].store(tls::current_addr(), SeqCst);
    WOKEN[1].store(read_selectors(), SeqCst);
    WOKEN[2].store(1, SeqCst);
    0
}

/// Dirties every selector, takes the victim's TLS base and signals it: the
/// higher-priority victim preempts at once (a switch by the scheduler).
fn signalling_attacker(arg: u64) -> u64 {
    let tcb = Tcb(ATTACK[A_TCB].load(SeqCst));
    if tcb.set_tls_base(ATTACK[A_VICTIM_TLS].load(SeqCst)).is_err() {
        return 1;
    }
    load_selectors(USER_DS, USER_DS);
    ipc::signal(Notification(arg));
    // Back here after the victim ran: this thread got its selectors reset
    // too (another thread ran in between).
    ATTACK[A_SEEN].store(read_selectors(), SeqCst);
    if tcb.set_tls_base(ATTACK[A_OWN_TLS].load(SeqCst)).is_err() {
        return 2;
    }
    0
}

fn seg_scheduler_switch_resets_selectors_and_fs_base(env: &mut Env) -> TestResult {
    let n = ok!(env.a.notification());
    let (fault_ep, fault_reply) = ep_and_reply(env)?;
    for w in &WOKEN {
        w.store(0, SeqCst);
    }
    let mut vo = Options::new(ROOT_PRIO + 2);
    vo.new_vspace = true;
    vo.fault_ep = fault_ep;
    let victim = env.spawn(waiting_victim, n.0, &vo)?;
    let mut ao = Options::new(ROOT_PRIO + 1);
    ao.resume = false;
    let attacker_t = env.spawn(signalling_attacker, n.0, &ao)?;
    ATTACK[A_TCB].store(attacker_t.tcb.0, SeqCst);
    ATTACK[A_OWN_TLS].store(block_addr(&attacker_t), SeqCst);
    ATTACK[A_VICTIM_TLS].store(block_addr(&victim), SeqCst);
    ATTACK[A_SEEN].store(u64::MAX, SeqCst);
    ok!(attacker_t.tcb.resume());
    for _ in 0..10_000 {
        if attacker_t.done() && WOKEN[2].load(SeqCst) == 1 {
            check_eq!(attacker_t.result(), 0, "attacker status");
            check_eq!(WOKEN[0].load(SeqCst), block_addr(&victim), "the victim's fs:[0]");
            check_eq!(WOKEN[1].load(SeqCst), 0, "the victim's DS, ES, FS, GS");
            check_eq!(ATTACK[A_SEEN].load(SeqCst), 0, "the attacker's selectors after the victim ran");
            return Ok(());
        }
        let f = ipc::nb_recv(fault_ep, fault_reply.0);
        if f.info.label() == FaultLabel::VmFault as u64 {
            fail!("the victim faulted at {:#x}: it ran with the attacker's FS base", f.mrs[1]);
        }
        ipc::yield_now();
    }
    fail!("the victim was never woken")
}

// --------------------------------------------------------------------- UMIP

/// Stores the GDT register (the kernel's GDT address) on the stack.
fn sgdt_child(_: u64) -> u64 {
    let mut gdtr = [0u64; 2];
    // SAFETY: `sgdt` writes 10 bytes into the local array; with CR4.UMIP it
    // raises #GP in user mode instead.
    unsafe { core::arch::asm!("sgdt [{}]", in(reg) gdtr.as_mut_ptr(), options(nostack, preserves_flags)) };
    gdtr[0] >> 16 | 1
}

fn seg_umip_stops_user_sgdt(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let mut o = Options::new(ROOT_PRIO + 1);
    o.fault_ep = ep;
    let t = env.spawn(sgdt_child, 0, &o)?;
    if t.done() {
        fail!("sgdt ran in user mode (GDT base {:#x}): UMIP is off", t.result());
    }
    let r = ipc::nb_recv(ep, reply.0);
    check_eq!(r.info.label(), FaultLabel::UserException as u64, "fault label");
    check_eq!(r.mrs[3], 13, "vector (#GP)");
    // A non-zero reply label leaves the thread stopped.
    ipc::reply(reply, MessageInfo::new(1, 0, 0, 0), [0; 4]);
    Ok(())
}
