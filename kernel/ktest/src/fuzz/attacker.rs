//! The attacker threads: two threads in one address space that share a
//! CSpace (endpoint capabilities to the victim, their TCBs and scheduling
//! contexts, extra contexts, untyped memory, reply objects, notifications,
//! frames, a CNode, I/O ports, scheduling control) and issue random
//! operations until the round's invocation quota is used up.
//!
//! Each operation draws from a generator seeded with the round's seed, the
//! thread and its iteration number (kept in a static), so a thread that
//! faulted and was restarted by ktest continues with new operations. The
//! operations: random invocations ([`super::ops`]), calls to the victim
//! (register-only ones eligible for the fast path, long ones, ones that make
//! the victim wait on its doorbell, yield or spin) whose replies are
//! checked, segment and instruction games ([`super::games`]) before calls,
//! TLS bases (including the victim's), IPC buffers on read-only frames,
//! scheduling-context binding and lending, deleting and revoking, retyping
//! freed memory, I/O ports with overflowing port numbers, and children
//! ([`super::spawner`]).

use super::ops::{Ctx, buf_mr, identify, kcall, slot, stage, sys};
use super::stats::{self, Anomaly, Disturbance, bump};
use super::victim::{ECHO, REPLY_FLAG, SPIN, WAIT, YIELD, mask};
use super::world::{self, IOPORT_RANGE, MIN_PRIO, aslot, attacker_region, ipc_addr, tls_addr};
use super::{games, spawner};
use crate::rng::Rng;
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::msg::LABEL_IPC_ABORTED;
use rampart_abi::{CapType, Label, MessageInfo, ObjectType, Syscall, USER_TOP};
use rampart_rt::syscall::IpcResult;

/// Invocations between kernel invariant checks.
pub const CHECK_EVERY: u64 = 1000;

/// Iterations per thread (drives the generator; kept across restarts).
static ITER: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];
/// Set when a thread stopped because the quota was reached.
pub static FINISHED: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];
/// Set while the kernel may not use a thread's own page as its IPC buffer.
static BUF_DIRTY: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

/// Prepares thread `id` for a new round.
pub fn reset_thread(id: usize) {
    stats::LAST_TLS[id].store(tls_addr(attacker_region(id)), Relaxed);
    ITER[id].store(0, Relaxed);
    FINISHED[id].store(0, Relaxed);
    BUF_DIRTY[id].store(0, Relaxed);
}

/// ktest restarted thread `id` with its original IPC buffer.
pub fn restarted(id: usize) {
    BUF_DIRTY[id].store(0, Relaxed);
}

/// An attacker thread (`id` 0 or 1); ktest starts it here again after
/// every fault.
pub extern "C" fn entry(id: u64) -> ! {
    let id = (id & 1) as usize;
    let region = attacker_region(id);
    // SAFETY: the thread block lies in the thread's own IPC-buffer page,
    // mapped read-write in this space; this is its self pointer.
    unsafe { (tls_addr(region) as *mut u64).write_volatile(tls_addr(region)) };
    let buf = ipc_addr(region);
    rampart_rt::buffer::IpcBuf::from_addr(buf).clear_receive_slot();
    loop {
        if stats::INVOCATIONS.load(Relaxed) >= world::QUOTA.load(Relaxed) {
            FINISHED[id].store(1, Relaxed);
            stats::trace(id, 15, 0, 0, 0);
            // SAFETY: raises #UD; ktest sees FINISHED and leaves the thread
            // stopped.
            unsafe { asm!("ud2", options(nomem, nostack)) };
        }
        let it = ITER[id].fetch_add(1, Relaxed);
        let seed = world::SEED.load(Relaxed) ^ ((id as u64) << 62) ^ it.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut c = Ctx { id, rng: Rng::new(seed), buf };
        if world::MODE[id].load(Relaxed) == 0 {
            invoker_op(&mut c)
        } else {
            spawner::op(&mut c)
        }
        if stats::OPS.fetch_add(1, Relaxed) % CHECK_EVERY == CHECK_EVERY - 1 {
            invariants();
        }
    }
}

/// Asks the kernel to check its invariants and counts the result.
pub fn invariants() {
    bump(&stats::INV_CHECKS);
    let code = sys(Syscall::DebugCheckInvariants, 0, MessageInfo(0), [0; 4], 0).badge;
    if code != 0 && stats::INV_FAILS.fetch_add(1, Relaxed) == 0 {
        stats::INV_FIRST.store(code, Relaxed);
    }
}

/// One operation of an invoker thread (the spawner does them too).
pub fn invoker_op(c: &mut Ctx) {
    match c.rng.below(1000) {
        0..=379 => super::ops::random_op(c),
        380..=559 => call_victim(c, false),
        560..=639 => {
            let (which, sel) = games::segments(&mut c.rng);
            stats::trace(c.id, 4, which, sel, 0);
            call_victim(c, false);
        }
        640..=689 => set_tls(c),
        690..=719 => {
            let (which, arg) = (c.rng.below(games::N_INSTRUCTIONS), c.rng.next());
            stats::trace(c.id, 5, which, arg & 0xff, 0);
            games::instruction(which, arg);
        }
        720..=744 => {
            stats::trace(c.id, 12, 0, 0, 0);
            games::fpu(&mut c.rng);
            call_victim(c, false);
        }
        745..=759 => call_victim(c, true),
        760..=809 => sc_op(c),
        810..=849 => cnode_op(c),
        850..=889 => retype_op(c),
        890..=919 => ipc_buffer_op(c),
        920..=939 => ioport_op(c),
        940..=959 => ipc_op(c),
        960..=979 => self_op(c),
        980..=989 => spawner::lend_and_delete(c),
        _ => spawner::child_op(c),
    }
}

/// `Call` with the direction and alignment-check flags set during the
/// system call (neither may reach the kernel's code or the callee).
fn call_df(cap: u64, info: MessageInfo, mrs: [u64; 4]) -> IpcResult {
    bump(&stats::INVOCATIONS);
    bump(&stats::GAMES[13]);
    let (badge, info_out, m0, m1, m2, m3);
    // SAFETY: DF and AC are set for the `syscall` only and cleared before
    // any Rust code runs (the flags are pushed and popped on the stack,
    // which the block may use). Registers as in `rampart_rt::syscall::raw`.
    unsafe {
        asm!(
            "pushfq",
            "or qword ptr [rsp], 0x40000",
            "popfq",
            "std",
            "syscall",
            "cld",
            "pushfq",
            "and qword ptr [rsp], ~0x40000",
            "popfq",
            inout("rax") Syscall::Call as u64 => _,
            inout("rdi") cap => badge,
            inout("rsi") info.0 => info_out,
            inout("rdx") mrs[0] => m0,
            inout("r8") mrs[1] => m1,
            inout("r9") mrs[2] => m2,
            inout("r10") mrs[3] => m3,
            out("rcx") _,
            out("r11") _,
        );
    }
    IpcResult { badge, info: MessageInfo(info_out), mrs: [m0, m1, m2, m3] }
}

/// Calls the victim with a random request and checks the reply. `df`:
/// with the direction flag set.
pub fn call_victim(c: &mut Ctx, df: bool) {
    let cap = c.rng.pick(&aslot::VICTIM_EP);
    let kind = match c.rng.below(100) {
        0..=79 => ECHO,
        80..=86 => WAIT,
        87..=93 => YIELD,
        _ => SPIN,
    };
    let len = if c.rng.one_in(5) { 5 + c.rng.below(12) as usize } else { c.rng.below(5) as usize };
    let words: [u64; 16] = core::array::from_fn(|_| c.rng.next());
    stage(c.buf, &words[..len], &[]);
    if len <= 4 {
        bump(&stats::FAST_ELIGIBLE);
    }
    bump(&stats::VICTIM_CALLS);
    let info = MessageInfo::new(kind, 0, 0, len as u64);
    let mrs = [words[0], words[1], words[2], words[3]];
    stats::trace(c.id, 1, cap, kind, len as u64);
    let r = if df { call_df(cap, info, mrs) } else { sys(Syscall::Call, cap, info, mrs, 0) };
    stats::trace_result(c.id, r.info.label());
    check_reply(c, kind, len, &words, &r);
}

/// Checks the victim's answer to a request of `kind` with `words`.
fn check_reply(c: &Ctx, kind: u64, len: usize, words: &[u64; 16], r: &IpcResult) {
    let l = r.info.label();
    if l <= 10 || l == LABEL_IPC_ABORTED {
        stats::outcome(l);
    }
    if l == LABEL_IPC_ABORTED {
        bump(&stats::REPLIES_ABORTED);
        return;
    }
    if (1..=10).contains(&l) {
        return; // the kernel refused the call (the capability was changed)
    }
    let regs_ok = (0..len.min(4)).all(|i| r.mrs[i] == words[i] ^ mask(i));
    let pristine = BUF_DIRTY[c.id].load(Relaxed) == 0;
    let rest_ok = !pristine || (r.info.length() == len && (4..len).all(|i| buf_mr(c.buf, i) == words[i] ^ mask(i)));
    if l == kind | REPLY_FLAG && regs_ok && rest_ok {
        bump(&stats::REPLIES_OK);
    } else {
        stats::disturbed(Disturbance::Reply, l, r.info.0, r.mrs[0] ^ words[0]);
    }
}

/// A TLS base for some thread: the victim's most often.
fn tls_value(rng: &mut Rng, id: usize) -> u64 {
    match rng.below(10) {
        0..=3 => tls_addr(world::VICTIM_REGION),
        4 => tls_addr(attacker_region(id)),
        5 => 0,
        6 => tls_addr(attacker_region(id ^ 1)),
        7 => rng.below(USER_TOP >> 12) << 12,
        8 => USER_TOP + rng.below(1 << 20),
        _ => rng.next(),
    }
}

/// `TcbSetTlsBase` on this thread (mostly), the other one or the spare TCB.
fn set_tls(c: &mut Ctx) {
    let target = match c.rng.below(8) {
        0 => aslot::TCB[c.id ^ 1],
        1 => aslot::SPARE_TCB,
        _ => aslot::TCB[c.id],
    };
    let v = tls_value(&mut c.rng, c.id);
    stats::trace(c.id, 3, target, v, 0);
    let r = kcall(c, target, Label::TcbSetTlsBase as u64, &[v], &[]);
    stats::trace_result(c.id, r.info.label());
    if r.info.label() == 0 && target == aslot::TCB[c.id] {
        stats::LAST_TLS[c.id].store(v, Relaxed);
    }
}

/// A scheduling context: the extra ones mostly, rarely a thread's own.
fn some_sc(rng: &mut Rng) -> u64 {
    match rng.below(32) {
        0 => aslot::SC[0],
        1 => aslot::SC[1],
        2..=11 => aslot::SC_EXTRA[0],
        12..=21 => aslot::SC_EXTRA[1],
        _ => slot(rng),
    }
}

/// Binding, unbinding, lending and configuring scheduling contexts.
fn sc_op(c: &mut Ctx) {
    let sc = some_sc(&mut c.rng);
    let any = slot(&mut c.rng);
    let target = c.rng.pick(&[aslot::SPARE_TCB, aslot::TCB[0], aslot::TCB[1], aslot::NTFN, any]);
    let op = c.rng.below(7);
    stats::trace(c.id, 6, sc, op, target);
    let r = match op {
        0 => kcall(c, sc, Label::SchedContextBind as u64, &[], &[target]),
        1 => kcall(c, sc, Label::SchedContextUnbind as u64, &[], &[]),
        2 => kcall(c, sc, Label::SchedContextUnbindObject as u64, &[], &[target]),
        3 => kcall(c, sc, Label::SchedContextYieldTo as u64, &[], &[]),
        4 => kcall(c, sc, Label::SchedContextConsumed as u64, &[], &[]),
        5 => {
            let t = |rng: &mut Rng| rng.pick(&[1000, 2000, 5000, 10_000, 50_000]);
            let (b, p) = (t(&mut c.rng), t(&mut c.rng));
            kcall(c, aslot::SCHED_CONTROL, Label::SchedControlConfigure as u64, &[b.min(p), p, 0, 7], &[sc])
        }
        _ => {
            let t = if c.rng.one_in(2) { aslot::SPARE_TCB } else { slot(&mut c.rng) };
            let p = MIN_PRIO + c.rng.below(world::ATTACKER_PRIO - MIN_PRIO + 1);
            if super::ops::is_attacker(t) {
                return;
            }
            let fault = c.rng.pick(&[0, aslot::EP[0]]);
            kcall(c, t, Label::TcbSetSchedParams as u64, &[p, p], &[aslot::TCB[c.id], sc, fault])
        }
    };
    stats::trace_result(c.id, r.info.label());
}

/// Slots whose capabilities the attackers must keep where they are.
const PROTECTED: [u64; 6] = [aslot::TCB[0], aslot::TCB[1], aslot::CNODE, aslot::VICTIM_EP[0], aslot::VICTIM_EP[1], 10];

/// Deleting, revoking, copying and moving the capabilities the attackers
/// started with (objects lent to the victim among them).
fn cnode_op(c: &mut Ctx) {
    let any = slot(&mut c.rng);
    let mut s = c.rng.pick(&[
        aslot::SC[0],
        aslot::SC[1],
        aslot::SC_EXTRA[0],
        aslot::SC_EXTRA[1],
        aslot::REPLY[0],
        aslot::REPLY[1],
        aslot::NTFN,
        aslot::EP[0],
        aslot::DOORBELL,
        aslot::FRAME,
        aslot::RO_FRAME,
        any,
    ]);
    let dest = aslot::SCRATCH + c.rng.below(96);
    let op = c.rng.below(5);
    if op != 1 && PROTECTED.contains(&(s & 0x7f)) {
        s = dest ^ 1;
    }
    let r = world::ATTACKER_RADIX;
    let rights = c.rng.below(16);
    stats::trace(c.id, 7, s, op, dest);
    let res = match op {
        0 => kcall(c, aslot::CNODE, Label::CNodeDelete as u64, &[s, r], &[]),
        1 => kcall(c, aslot::CNODE, Label::CNodeRevoke as u64, &[s, r], &[]),
        2 => kcall(c, aslot::CNODE, Label::CNodeCopy as u64, &[dest, r, s, r, rights], &[aslot::CNODE]),
        3 => {
            let badge = c.rng.below(1 << 20);
            kcall(c, aslot::CNODE, Label::CNodeMint as u64, &[dest, r, s, r, rights, badge], &[aslot::CNODE])
        }
        _ => kcall(c, aslot::CNODE, Label::CNodeMove as u64, &[dest, r, s, r], &[aslot::CNODE]),
    };
    stats::trace_result(c.id, res.info.label());
}

/// Retyping from the attackers' untyped, and revoking it (so later
/// retypes reuse freed memory).
fn retype_op(c: &mut Ctx) {
    if c.rng.one_in(5) {
        stats::trace(c.id, 8, aslot::UNTYPED, u64::MAX, 0);
        let r = kcall(c, aslot::CNODE, Label::CNodeRevoke as u64, &[aslot::UNTYPED, world::ATTACKER_RADIX], &[]);
        stats::trace_result(c.id, r.info.label());
        return;
    }
    let t = c.rng.pick(&[
        ObjectType::Tcb as u64,
        ObjectType::Endpoint as u64,
        ObjectType::Notification as u64,
        ObjectType::Reply as u64,
        ObjectType::SchedContext as u64,
        ObjectType::CNode as u64,
        ObjectType::Frame4K as u64,
        ObjectType::PageTable as u64,
        ObjectType::Untyped as u64,
    ]);
    let size = if t == ObjectType::CNode as u64 { 1 + c.rng.below(4) } else { 4 + c.rng.below(9) };
    let dest = aslot::SCRATCH + c.rng.below(96);
    let n = 1 + c.rng.below(4);
    stats::trace(c.id, 8, t, size, dest);
    let args = [t, size, aslot::CNODE, world::ATTACKER_RADIX, dest, n];
    let r = kcall(c, aslot::UNTYPED, Label::UntypedRetype as u64, &args, &[aslot::CNODE]);
    stats::trace_result(c.id, r.info.label());
}

/// IPC buffers on other frames: the read-only capability to the victim's
/// data page (the kernel must not write there), a spare frame, none; and
/// back to the thread's own page.
fn ipc_buffer_op(c: &mut Ctx) {
    let me = aslot::TCB[c.id];
    let own = ipc_addr(attacker_region(c.id));
    let random = c.rng.below(1 << 30) << 10;
    let addr = c.rng.pick(&[own, own + 1024, 0x20_0000, random, own + 8]);
    let op = c.rng.below(5);
    stats::trace(c.id, 9, op, addr, 0);
    let r = match op {
        0 | 1 => kcall(c, me, Label::TcbSetIpcBuffer as u64, &[addr], &[aslot::RO_FRAME]),
        2 => {
            let guard = rampart_rt::cnode::guard_data(0, 64 - world::ATTACKER_RADIX);
            let caps = [aslot::CNODE, aslot::VSPACE, aslot::RO_FRAME];
            kcall(c, me, Label::TcbConfigure as u64, &[guard, addr], &caps)
        }
        3 => {
            let frame = c.rng.pick(&[aslot::FRAME, 0]);
            kcall(c, me, Label::TcbSetIpcBuffer as u64, &[addr], &[frame])
        }
        _ => {
            let r = kcall(c, me, Label::TcbSetIpcBuffer as u64, &[own], &[aslot::IPC_FRAME[c.id]]);
            if r.info.label() == 0 {
                BUF_DIRTY[c.id].store(0, Relaxed);
            }
            stats::trace_result(c.id, r.info.label());
            return;
        }
    };
    stats::trace_result(c.id, r.info.label());
    if r.info.label() == 0 {
        BUF_DIRTY[c.id].store(1, Relaxed);
    }
    // Make the kernel write message words into whatever the buffer is now.
    if c.rng.one_in(2) {
        kcall(c, aslot::SPARE_TCB, Label::TcbReadRegisters as u64, &[0, 0, 20], &[]);
    } else {
        call_victim(c, false);
    }
}

/// I/O port accesses, often at port numbers outside the capability's range
/// or large enough that `port + width` overflows.
fn ioport_op(c: &mut Ctx) {
    if identify(aslot::IOPORT) != CapType::IoPort {
        return;
    }
    let random = c.rng.next();
    let port = c.rng.pick(&[
        0x80,
        0x7f,
        0x81,
        0xffff,
        0x1_0000,
        u64::MAX,
        u64::MAX - 1,
        u64::MAX - 2,
        u64::MAX - 3,
        1 << 32 | 0x80,
        1 << 63,
        random,
    ]);
    let (label, width) = match c.rng.below(6) {
        0 => (Label::IoPortIn8, 1),
        1 => (Label::IoPortIn16, 2),
        2 => (Label::IoPortIn32, 4),
        3 => (Label::IoPortOut8, 1),
        4 => (Label::IoPortOut16, 2),
        _ => (Label::IoPortOut32, 4),
    };
    stats::trace(c.id, 10, label as u64, port, 0);
    let r = kcall(c, aslot::IOPORT, label as u64, &[port, 0], &[]);
    stats::trace_result(c.id, r.info.label());
    let inside = port >= IOPORT_RANGE.0 && port.checked_add(width - 1).is_some_and(|e| e <= IOPORT_RANGE.1);
    if r.info.label() == 0 && !inside {
        stats::anomaly(Anomaly::IoPortRange, port, width, label as u64);
    }
}

/// Plain IPC on the attackers' own objects; never blocks.
fn ipc_op(c: &mut Ctx) {
    let reply = c.rng.pick(&aslot::REPLY);
    let op = c.rng.below(8);
    stats::trace(c.id, 2, op, reply, 0);
    let r = match op {
        0 => sys(Syscall::Send, aslot::DOORBELL, MessageInfo(0), [0; 4], 0),
        1 => sys(Syscall::NBRecv, aslot::NTFN, MessageInfo(0), [0; 4], 0),
        2 => sys(Syscall::NBRecv, aslot::EP[0], MessageInfo(0), [0; 4], reply),
        3 => {
            let mrs = [super::ops::safe_rip(&mut c.rng), 0, 0x202, 0];
            sys(Syscall::Send, reply, MessageInfo::new(c.rng.below(2), 0, 0, c.rng.below(4)), mrs, 0)
        }
        4 => sys(Syscall::Yield, 0, MessageInfo(0), [0; 4], 0),
        5 => sys(Syscall::Null, 0, MessageInfo(0), [0; 4], 0),
        6 => sys(Syscall::NBSend, aslot::EP[1], MessageInfo::new(9, 0, 0, 2), [1, 2, 3, 4], 0),
        _ => {
            // An unknown system call: a fault ktest answers by restarting.
            let n = c.rng.pick(&[0, 10, 63, 69, 1000, u64::MAX]);
            super::ops::unknown_syscall(n)
        }
    };
    stats::trace_result(c.id, r.info.label());
}

/// Invocations of the thread's own TCB that must be refused or are
/// harmless.
fn self_op(c: &mut Ctx) {
    let me = aslot::TCB[c.id];
    let op = c.rng.below(6);
    stats::trace(c.id, 13, me, op, 0);
    let r = match op {
        0 => {
            let p = MIN_PRIO + c.rng.below(world::ATTACKER_PRIO - MIN_PRIO + 1);
            kcall(c, me, Label::TcbSetPriority as u64, &[p], &[me])
        }
        1 => kcall(c, me, Label::TcbReadRegisters as u64, &[0, 0, 20], &[]),
        2 => kcall(c, me, Label::TcbWriteRegisters as u64, &[0, 0, 1, 0], &[]),
        3 => kcall(c, me, Label::TcbGetId as u64, &[], &[]),
        4 => kcall(c, me, Label::TcbBindNotification as u64, &[], &[aslot::NTFN]),
        _ => kcall(c, me, Label::TcbUnbindNotification as u64, &[], &[]),
    };
    stats::trace_result(c.id, r.info.label());
}
