//! The attackers' system calls and random invocations.
//!
//! Attackers never use the runtime's FS-relative thread block (their FS
//! base and selectors are part of the game): message words beyond MR3 and
//! capability arguments go through the thread's IPC buffer at its fixed
//! address. Random invocations are shaped like the stress test's (half of
//! them fit the capability's type), with the attackers' CSpace layout, and
//! then made safe for the harness: the two attacker threads can be told
//! nothing that would stop them for good or send them into random code,
//! and threads they create only ever get entry points from a fixed list.

use super::stats::{self, bump};
use super::world::{ATTACKER_RADIX as R, aslot};
use crate::rng::Rng;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::ipc_buffer::IpcBuffer;
use rampart_abi::{CapType, Label, MessageInfo, ObjectType, Rights, Syscall, USER_TOP};
use rampart_rt::syscall::{IpcResult, debug_cap_identify, raw};

/// Kernel ids (`TcbGetId`) of the two attacker threads.
pub static ATTACKER_IDS: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

/// One attacker thread's view of itself.
pub struct Ctx {
    /// Thread index (0 or 1).
    pub id: usize,
    /// This operation's random numbers.
    pub rng: Rng,
    /// Address of the thread's IPC buffer.
    pub buf: u64,
}

/// A system call by an attacker thread (counted).
pub fn sys(n: Syscall, cptr: u64, info: MessageInfo, mrs: [u64; 4], reply: u64) -> IpcResult {
    bump(&stats::INVOCATIONS);
    if let Some(c) = stats::BY_SYSCALL.get(n as usize) {
        bump(c);
    }
    raw(n, cptr, info, mrs, reply)
}

/// System call number `n`, which the kernel does not know: an
/// unknown-syscall fault (ktest restarts the thread).
pub fn unknown_syscall(n: u64) -> IpcResult {
    bump(&stats::INVOCATIONS);
    let (badge, info);
    // SAFETY: a system call with only rax set; the registers the kernel
    // may write are declared as outputs or clobbered.
    unsafe {
        core::arch::asm!(
            "syscall",
            inout("rax") n => _,
            inout("rdi") 0u64 => badge,
            inout("rsi") 0u64 => info,
            lateout("rdx") _, lateout("r8") _, lateout("r9") _, lateout("r10") _,
            out("rcx") _, out("r11") _,
            options(nostack),
        );
    }
    IpcResult { badge, info: MessageInfo(info), mrs: [0; 4] }
}

/// Writes MR4.. and the extra capabilities of a message into the thread's
/// own IPC buffer (whatever the kernel currently thinks it is).
pub fn stage(buf: u64, args: &[u64], caps: &[u64]) {
    let b = rampart_rt::buffer::IpcBuf::from_addr(buf);
    for (i, a) in args.iter().enumerate().take(rampart_abi::msg::MSG_MAX_LENGTH).skip(4) {
        b.set_mr(i, *a);
    }
    for (i, c) in caps.iter().take(3).enumerate() {
        b.set_cap(i, *c);
    }
}

/// Reads message word `i` (≥ 4) from the thread's own IPC buffer.
pub fn buf_mr(buf: u64, i: usize) -> u64 {
    let a = buf + (IpcBuffer::MSG_OFFSET + 8 * i) as u64;
    // SAFETY: the attacker's IPC-buffer page is mapped read-write in its
    // space for the whole round; a volatile read because the kernel writes it.
    unsafe { (a as *const u64).read_volatile() }
}

/// Invokes `cptr` with `label`, counting label and outcome.
pub fn kcall(c: &Ctx, cptr: u64, label: u64, args: &[u64], caps: &[u64]) -> IpcResult {
    stage(c.buf, args, caps);
    let mut mrs = [0; 4];
    for (m, a) in mrs.iter_mut().zip(args) {
        *m = *a;
    }
    let info = MessageInfo::new(label, 0, caps.len() as u64, args.len() as u64);
    let r = sys(Syscall::Call, cptr, info, mrs, 0);
    bump(&stats::BY_LABEL[(label as usize).min(127)]);
    stats::outcome(r.info.label());
    r
}

/// The type of the capability at `cptr`.
pub fn identify(cptr: u64) -> CapType {
    bump(&stats::INVOCATIONS);
    CapType::from_u64(debug_cap_identify(cptr)).unwrap_or(CapType::Null)
}

/// True if `cptr` names one of the two attacker threads.
pub fn is_attacker(cptr: u64) -> bool {
    if identify(cptr) != CapType::Tcb {
        return false;
    }
    let r = sys(Syscall::Call, cptr, MessageInfo::new(Label::TcbGetId as u64, 0, 0, 0), [0; 4], 0);
    r.info.label() == 0 && ATTACKER_IDS.iter().any(|i| i.load(Relaxed) == r.mrs[0])
}

/// Instruction pointers the attackers may give threads: the child entry
/// point or addresses that fault (unmapped, non-canonical, kernel).
pub fn safe_rip(rng: &mut Rng) -> u64 {
    let child = super::spawner::child_entry as *const () as usize as u64;
    rng.pick(&[child, child, 0, 0x1000, USER_TOP - 8, 1 << 47, u64::MAX, 0xdead_0000])
}

/// A slot of the attackers' CNode: mostly scratch, sometimes one of the
/// capabilities they started with.
pub fn slot(rng: &mut Rng) -> u64 {
    if rng.one_in(3) {
        1 + rng.below(aslot::SCRATCH - 1)
    } else {
        aslot::SCRATCH + rng.below((1 << R) - aslot::SCRATCH)
    }
}

/// A capability pointer, mostly resolvable.
pub fn cptr(rng: &mut Rng) -> u64 {
    match rng.below(20) {
        0 => rng.next(),
        1 => rng.below(1 << R) | 1 << (R + rng.below(64 - R)),
        2..=13 => 1 + rng.below(aslot::SCRATCH - 1),
        _ => aslot::SCRATCH + rng.below((1 << R) - aslot::SCRATCH),
    }
}

/// A word biased towards values that get past argument checks.
pub fn word(rng: &mut Rng) -> u64 {
    match rng.below(10) {
        0..=2 => rng.below(1 << R),
        3 => rng.pick(&[R, 64, 4, 1, 0]),
        4 => rng.pick(&[4, 12, 14, 16, 21, 2, 3]),
        5 => rng.below(0x200) << 12,
        6 => rng.below(16),
        7 => Rights::ALL.0 & rng.next(),
        8 => 1 << rng.below(64),
        _ => rng.next(),
    }
}

/// A user address mapping operations are likely to collide on.
pub fn vaddr(rng: &mut Rng) -> u64 {
    let base = rng.pick(&[
        0x1000,
        0x40_0000,
        super::world::ATTACKER_REGION,
        super::world::VICTIM_REGION,
        0x7f_ffe0_0000,
        USER_TOP - 0x1000,
        0xffff_8000_0000_0000,
    ]);
    if rng.one_in(4) { base + (rng.below(4) << 21) } else { base + (rng.below(16) << 12) }
}

/// An invocation: label, arguments and extra capabilities.
pub struct Inv {
    /// Invocation label.
    pub label: u64,
    /// Arguments.
    pub args: [u64; 24],
    /// Number of arguments.
    pub len: usize,
    /// Extra capabilities.
    pub caps: [u64; 3],
    /// Number of extra capabilities.
    pub ncaps: usize,
}

impl Inv {
    fn new(label: u64) -> Inv {
        Inv { label, args: [0; 24], len: 0, caps: [0; 3], ncaps: 0 }
    }
    fn arg(mut self, v: u64) -> Inv {
        self.args[self.len] = v;
        self.len += 1;
        self
    }
    fn cap(mut self, c: u64) -> Inv {
        self.caps[self.ncaps] = c;
        self.ncaps += 1;
        self
    }
}

/// Anything at all.
fn random_inv(rng: &mut Rng) -> Inv {
    let label = if rng.one_in(8) { rng.below(128) } else { rng.pick(&LABELS) };
    let mut inv = Inv::new(label);
    for _ in 0..rng.below(12) {
        inv = inv.arg(word(rng));
    }
    for _ in 0..rng.below(4) {
        inv = inv.cap(cptr(rng));
    }
    inv
}

/// Number of labels the ABI defines.
const N_LABELS: usize = {
    let (mut n, mut v) = (0, 0);
    while v < 256 {
        if Label::from_u64(v).is_some() {
            n += 1;
        }
        v += 1;
    }
    n
};

/// Every label the ABI defines.
const LABELS: [u64; N_LABELS] = {
    let mut l = [0u64; N_LABELS];
    let (mut i, mut v) = (0, 0);
    while v < 256 {
        if Label::from_u64(v).is_some() {
            l[i] = v;
            i += 1;
        }
        v += 1;
    }
    l
};

/// A scheduling-context or TCB target for binding operations.
fn sched_target(rng: &mut Rng) -> u64 {
    let scratch = aslot::SCRATCH + rng.below(96);
    rng.pick(&[aslot::SPARE_TCB, aslot::TCB[0], aslot::TCB[1], aslot::NTFN, scratch])
}

/// An invocation that fits the object type, with arguments near the valid
/// range, so that deeper kernel paths run.
fn plausible_inv(rng: &mut Rng, ty: CapType) -> Inv {
    let depth = |rng: &mut Rng| if rng.one_in(8) { word(rng) } else { R };
    let l = |x: Label| x as u64;
    match ty {
        CapType::Untyped => {
            let t = rng.below(14);
            let size = if t == ObjectType::CNode as u64 { 1 + rng.below(5) } else { 4 + rng.below(14) };
            Inv::new(l(Label::UntypedRetype))
                .arg(t)
                .arg(size)
                .arg(aslot::CNODE)
                .arg(if rng.one_in(2) { 0 } else { R })
                .arg(aslot::SCRATCH + rng.below(96))
                .arg(1 + rng.below(3))
                .cap(aslot::CNODE)
        }
        CapType::CNode => {
            let label = rng.below(8) + 2;
            let rotate = label == l(Label::CNodeRotate);
            Inv::new(label)
                .arg(slot(rng))
                .arg(depth(rng))
                .arg(slot(rng))
                .arg(depth(rng))
                .arg(if rotate { slot(rng) } else { rng.below(16) })
                .arg(if rotate { depth(rng) } else { rng.below(4) })
                .arg(rng.below(3))
                .arg(rng.below(3))
                .cap(aslot::CNODE)
                .cap(aslot::CNODE)
        }
        CapType::Tcb => {
            let label = 10 + rng.below(16);
            let mut inv = Inv::new(label).arg(rng.below(2)).arg(vaddr(rng)).arg(rng.below(22));
            for _ in 0..20 {
                inv = inv.arg(if rng.one_in(2) { vaddr(rng) } else { word(rng) });
            }
            let frame = rng.pick(&[aslot::FRAME, aslot::RO_FRAME, aslot::IPC_FRAME[0]]);
            match label {
                13 => inv.cap(aslot::CNODE).cap(aslot::VSPACE).cap(frame),
                18 => inv.cap(aslot::EP[0]).cap(aslot::CNODE).cap(aslot::VSPACE),
                16 => {
                    inv.cap(aslot::TCB[0]).cap(rng.pick(&[aslot::SC_EXTRA[0], aslot::SC_EXTRA[1], 0])).cap(aslot::EP[1])
                }
                _ => inv.cap(rng.pick(&[aslot::SPARE_TCB, aslot::NTFN, aslot::EP[0], aslot::TCB[1], frame])),
            }
        }
        CapType::Frame => {
            let label = rng.pick(&[76, 77, 78, 79]);
            if label == 78 {
                Inv::new(label).arg(rng.below(16)).arg(rng.below(8))
            } else {
                Inv::new(label).arg(vaddr(rng)).arg(rng.below(16)).arg(rng.below(8)).cap(aslot::VSPACE)
            }
        }
        CapType::PageTable | CapType::PageDirectory | CapType::Pdpt => {
            let map = match ty {
                CapType::PageTable => 74,
                CapType::PageDirectory => 72,
                _ => 70,
            };
            Inv::new(map + rng.below(2)).arg(vaddr(rng)).cap(aslot::VSPACE)
        }
        CapType::VSpace => {
            let mut inv = if rng.one_in(2) {
                Inv::new(80).arg(vaddr(rng)).arg(rng.below(4)).arg(rng.below(8)).arg(4)
            } else {
                Inv::new(81).arg(4)
            };
            for _ in 0..4 {
                inv = inv.arg(rng.pick(&[aslot::FRAME, aslot::RO_FRAME, 40, 41, 0]));
            }
            inv
        }
        CapType::SchedControl => {
            let t = |rng: &mut Rng| {
                let any = rng.next();
                rng.pick(&[1000, 2000, 5000, 10_000, 100_000, 0, any])
            };
            Inv::new(l(Label::SchedControlConfigure))
                .arg(t(rng))
                .arg(t(rng))
                .arg(0)
                .arg(rng.below(256))
                .cap(if rng.one_in(3) { aslot::SCRATCH + rng.below(96) } else { rng.pick(&aslot::SC_EXTRA) })
        }
        _ => Inv::new(31 + rng.below(5)).arg(word(rng)).arg(word(rng)).cap(sched_target(rng)),
    }
}

/// Makes `inv` on `target` (of type `ty`) harmless to the harness; returns
/// the target to use.
fn sanitize(c: &mut Ctx, target: u64, ty: CapType, inv: &mut Inv) -> u64 {
    let mut target = target;
    if ty == CapType::Tcb {
        // The attacker threads may only be told harmless things.
        let allowed = [10, 14, 15, 20, 21, 22, 23, 25];
        if !allowed.contains(&inv.label) && is_attacker(target) {
            target = aslot::SPARE_TCB;
        }
        match inv.label {
            // No suspending through ReadRegisters, no priority below the
            // idle detector's.
            10 => inv.args[0] = 0,
            14 | 15 => inv.args[0] = inv.args[0].max(super::world::MIN_PRIO),
            16 => {
                inv.args[0] = inv.args[0].max(super::world::MIN_PRIO);
                inv.args[1] = inv.args[1].max(super::world::MIN_PRIO);
            }
            // New instruction pointers only from the list.
            11 => inv.args[3] = safe_rip(&mut c.rng),
            // Never copy an attacker thread's registers (stack and all).
            12 if inv.ncaps > 0 && is_attacker(inv.caps[0]) => inv.caps[0] = aslot::SPARE_TCB,
            _ => {}
        }
        if inv.label == 12 && inv.ncaps == 0 {
            inv.label = 25;
        }
    }
    target
}

/// One random operation on a random capability; never blocks.
pub fn random_op(c: &mut Ctx) {
    let target = cptr(&mut c.rng);
    let ty = identify(target);
    let mut inv = if c.rng.one_in(2) { plausible_inv(&mut c.rng, ty) } else { random_inv(&mut c.rng) };
    let target = sanitize(c, target, ty, &mut inv);
    let len = inv.len.min(12);
    stats::trace(c.id, 0, target, inv.label, inv.args[0]);
    let r = match ty {
        CapType::Endpoint | CapType::Notification => {
            stage(c.buf, &inv.args[..len], &inv.caps[..inv.ncaps]);
            let info = MessageInfo::new(inv.label, 0, inv.ncaps as u64, len as u64);
            let mrs = [inv.args[0], inv.args[1], inv.args[2], inv.args[3]];
            match c.rng.below(4) {
                0 => sys(Syscall::NBSend, target, info, mrs, 0),
                1 if ty == CapType::Notification => sys(Syscall::Send, target, info, mrs, 0),
                _ => sys(Syscall::NBRecv, target, MessageInfo(0), [0; 4], cptr(&mut c.rng)),
            }
        }
        CapType::Reply => {
            // A reply may resume a faulted thread at MR0: only safe values,
            // and at most the three registers a user exception sets.
            let mrs = [safe_rip(&mut c.rng), word(&mut c.rng), word(&mut c.rng), 0];
            let info = MessageInfo::new(c.rng.below(2), 0, 0, c.rng.below(4));
            sys(Syscall::Send, target, info, mrs, 0)
        }
        _ => kcall(c, target, inv.label, &inv.args[..inv.len], &inv.caps[..inv.ncaps]),
    };
    stats::trace_result(c.id, r.info.label());
}
