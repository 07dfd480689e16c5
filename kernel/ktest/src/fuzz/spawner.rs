//! The second attacker flavour: a thread that holds untyped memory and
//! scheduling contexts and uses them to make threads of its own in its
//! sandbox (retype TCBs and contexts, configure them, bind contexts, start
//! and stop them, delete and revoke them while they run or while their
//! context is lent to the victim, retype the freed memory), plus the
//! invoker's operations now and then.
//!
//! Children run [`child_entry`], a loop in assembly that uses no memory but
//! two counters: calls to the victim (which lend a passive victim the
//! child's context), waits on the doorbell, calls to the spawner's own
//! endpoint, FS/GS selector games, yields; it ends in `ud2`. Children only
//! ever start there (or at an address that faults): they can never run the
//! program's Rust code, which would need a stack of its own.

use super::ops::{Ctx, identify, is_attacker, kcall, safe_rip, slot, sys};
use super::stats::{self, bump};
use super::victim::{ECHO, WAIT};
use super::world::{self, CHILD_STACKS, MIN_PRIO, aslot};
use rampart_abi::{CapType, Label, MessageInfo, ObjectType, PAGE_SIZE, Syscall};

/// A child thread: seeded by `rdi`, 200 rounds of register-only system
/// calls, then `ud2`.
// SAFETY: the body never returns and uses no stack; it only touches
// registers, two counters through their symbols and the kernel.
#[unsafe(naked)]
pub extern "C" fn child_entry(seed: u64) -> ! {
    core::arch::naked_asm!(
        "mov r14, rdi",
        "or r14, 1",
        "mov r15, 200",
        "2:",
        "mov rax, r14", "shl rax, 13", "xor r14, rax",
        "mov rax, r14", "shr rax, 7", "xor r14, rax",
        "mov rax, r14", "shl rax, 17", "xor r14, rax",
        "lock inc qword ptr [rip + {calls}]",
        "mov rbx, r14",
        "and ebx, 7",
        "mov rdx, r14",
        "mov r8, r15",
        "xor r9d, r9d",
        "xor r10d, r10d",
        "xor r12d, r12d",
        "mov rdi, r14",
        "shr rdi, 8",
        "and edi, 1",
        "add edi, {vep}",
        "cmp ebx, 3",
        "jb 10f",
        "je 13f",
        "cmp ebx, 5",
        "jb 14f",
        "je 15f",
        "cmp ebx, 6",
        "je 16f",
        // 7: call the spawner's endpoint, or poll it.
        "mov edi, {ep}",
        "mov r12d, {reply}",
        "mov eax, 6",
        "test r14, 0x100",
        "jz 20f",
        "mov eax, 1",
        "xor esi, esi",
        "jmp 20f",
        // 0..2: a register-only call to the victim.
        "10:",
        "mov eax, 1",
        "mov esi, {echo}",
        "lock inc qword ptr [rip + {vcalls}]",
        "jmp 20f",
        // 3: yield.
        "13:",
        "mov eax, 7",
        "jmp 20f",
        // 4: signal the doorbell.
        "14:",
        "mov eax, 3",
        "mov edi, {doorbell}",
        "xor esi, esi",
        "jmp 20f",
        // 5: a selector game, then a call to the victim.
        "15:",
        "mov eax, r14d",
        "shr eax, 16",
        "and eax, 0x1b",
        "test r14, 0x200",
        "jz 17f",
        "mov fs, ax",
        "jmp 10b",
        "17:",
        "mov gs, ax",
        "jmp 10b",
        // 6: a call that makes the victim wait on its doorbell.
        "16:",
        "mov eax, 1",
        "mov esi, {wait}",
        "lock inc qword ptr [rip + {vcalls}]",
        "20:",
        "syscall",
        "dec r15",
        "jnz 2b",
        "ud2",
        "jmp 2b",
        calls = sym stats::CHILD_CALLS,
        vcalls = sym stats::VICTIM_CALLS,
        vep = const aslot::VICTIM_EP[0],
        ep = const aslot::EP[1],
        reply = const aslot::REPLY[1],
        doorbell = const aslot::DOORBELL,
        echo = const (ECHO << 12) | 2,
        wait = const (WAIT << 12) | 2,
    );
}

/// The stack pointer a child gets (its code does not use it).
fn child_stack(rng: &mut crate::rng::Rng) -> u64 {
    CHILD_STACKS + rng.below(4) * 2 * PAGE_SIZE as u64 + 2 * PAGE_SIZE as u64 - 8
}

/// A slot holding (or made to hold) a TCB that is not an attacker thread.
fn child_tcb(c: &mut Ctx) -> Option<u64> {
    let s = aslot::SCRATCH + c.rng.below(96);
    if identify(s) == CapType::Null {
        let args = [ObjectType::Tcb as u64, 0, aslot::CNODE, world::ATTACKER_RADIX, s, 1];
        kcall(c, aslot::UNTYPED, Label::UntypedRetype as u64, &args, &[aslot::CNODE]);
    }
    (identify(s) == CapType::Tcb && !is_attacker(s)).then_some(s)
}

/// A scheduling context for a child: an extra one, or a new one
/// configured through scheduling control.
fn child_sc(c: &mut Ctx) -> u64 {
    match c.rng.below(4) {
        0 => aslot::SC_EXTRA[0],
        1 => aslot::SC_EXTRA[1],
        _ => {
            let s = aslot::SCRATCH + c.rng.below(96);
            if identify(s) == CapType::Null {
                let args = [ObjectType::SchedContext as u64, 0, aslot::CNODE, world::ATTACKER_RADIX, s, 1];
                kcall(c, aslot::UNTYPED, Label::UntypedRetype as u64, &args, &[aslot::CNODE]);
                let b = c.rng.pick(&[1000, 2000, 10_000]);
                kcall(c, aslot::SCHED_CONTROL, Label::SchedControlConfigure as u64, &[b, 10_000, 0, 3], &[s]);
            }
            s
        }
    }
}

/// Creates (or reuses), configures and starts a child.
fn start_child(c: &mut Ctx) {
    let Some(t) = child_tcb(c) else { return };
    let guard = rampart_rt::cnode::guard_data(0, 64 - world::ATTACKER_RADIX);
    let (frame, buf) = if c.rng.one_in(4) { (aslot::FRAME, 0x30_0000 + (c.rng.below(4) << 10)) } else { (0, 0) };
    kcall(c, t, Label::TcbConfigure as u64, &[guard, buf], &[aslot::CNODE, aslot::VSPACE, frame]);
    let sc = child_sc(c);
    let p = MIN_PRIO + c.rng.below(world::ATTACKER_PRIO - MIN_PRIO + 1);
    let fault = c.rng.pick(&[aslot::EP[0], aslot::EP[0], aslot::VICTIM_EP[1]]);
    kcall(c, t, Label::TcbSetSchedParams as u64, &[p, p], &[aslot::TCB[c.id], sc, fault]);
    let random = c.rng.below(1 << 40) << 3;
    let tls = c.rng.pick(&[world::tls_addr(world::VICTIM_REGION), 0, random]);
    kcall(c, t, Label::TcbSetTlsBase as u64, &[tls], &[]);
    let rip = if c.rng.one_in(8) { safe_rip(&mut c.rng) } else { child_entry as *const () as usize as u64 };
    let mut regs = [0u64; 23];
    regs[0] = 1; // resume
    regs[2] = 18;
    regs[3] = rip;
    regs[4] = child_stack(&mut c.rng);
    regs[5] = c.rng.next(); // rflags (the kernel sanitises them)
    regs[11] = c.rng.next(); // rdi: the child's seed
    stats::trace(c.id, 11, t, rip, sc);
    let r = kcall(c, t, Label::TcbWriteRegisters as u64, &regs[..21], &[]);
    stats::trace_result(c.id, r.info.label());
    if r.info.label() == 0 {
        bump(&stats::CHILDREN);
    }
}

/// A child seed whose first operation is operation `op` (0..=7) of
/// [`child_entry`] (its generator, simulated).
fn seed_for(rng: &mut crate::rng::Rng, op: u64) -> u64 {
    loop {
        let seed = rng.next();
        let mut x = seed | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x & 7 == op {
            return seed;
        }
    }
}

/// Makes the victim hold a call made on a scheduling context only this
/// sandbox has a capability to (lent to the victim when it is passive),
/// then deletes the context, the caller or all of it, or reconfigures the
/// context, and maybe rings the doorbell the victim waits on.
pub fn lend_and_delete(c: &mut Ctx) {
    let r = world::ATTACKER_RADIX;
    let (sc, t) = (aslot::SCRATCH + c.rng.below(48), aslot::SCRATCH + 48 + c.rng.below(48));
    for s in [sc, t] {
        kcall(c, aslot::CNODE, Label::CNodeDelete as u64, &[s, r], &[]);
    }
    let retype = |c: &mut Ctx, ty: ObjectType, s: u64| {
        kcall(c, aslot::UNTYPED, Label::UntypedRetype as u64, &[ty as u64, 0, aslot::CNODE, r, s, 1], &[aslot::CNODE])
    };
    if retype(c, ObjectType::SchedContext, sc).info.label() != 0 || retype(c, ObjectType::Tcb, t).info.label() != 0 {
        return;
    }
    kcall(c, aslot::SCHED_CONTROL, Label::SchedControlConfigure as u64, &[10_000, 10_000, 0, 5], &[sc]);
    let guard = rampart_rt::cnode::guard_data(0, 64 - r);
    kcall(c, t, Label::TcbConfigure as u64, &[guard, 0], &[aslot::CNODE, aslot::VSPACE, 0]);
    let p = world::ATTACKER_PRIO;
    kcall(c, t, Label::TcbSetSchedParams as u64, &[p, p], &[aslot::TCB[c.id], sc, aslot::EP[0]]);
    let mut regs = [0u64; 12];
    regs[0] = 1;
    regs[2] = 9;
    regs[3] = child_entry as *const () as usize as u64;
    regs[4] = child_stack(&mut c.rng);
    regs[11] = seed_for(&mut c.rng, 6);
    if kcall(c, t, Label::TcbWriteRegisters as u64, &regs, &[]).info.label() != 0 {
        return;
    }
    bump(&stats::CHILDREN);
    // Let the child (same priority) make its call.
    sys(Syscall::Yield, 0, MessageInfo(0), [0; 4], 0);
    let op = c.rng.below(6);
    stats::trace(c.id, 11, sc, t, 0x1e4d_0000 | op);
    let res = match op {
        0 => kcall(c, aslot::CNODE, Label::CNodeDelete as u64, &[sc, r], &[]),
        1 => kcall(c, aslot::CNODE, Label::CNodeDelete as u64, &[t, r], &[]),
        2 => kcall(c, aslot::CNODE, Label::CNodeRevoke as u64, &[aslot::UNTYPED, r], &[]),
        3 => kcall(c, t, Label::TcbSuspend as u64, &[], &[]),
        4 => kcall(c, aslot::SCHED_CONTROL, Label::SchedControlConfigure as u64, &[1000, 1_000_000, 0, 6], &[sc]),
        _ => kcall(c, sc, Label::SchedContextUnbind as u64, &[], &[]),
    };
    stats::trace_result(c.id, res.info.label());
    if c.rng.one_in(2) {
        sys(Syscall::Send, aslot::DOORBELL, MessageInfo(0), [0; 4], 0);
    }
}

/// One operation of the child management kind.
pub fn child_op(c: &mut Ctx) {
    let s = slot(&mut c.rng);
    let op = c.rng.below(10);
    stats::trace(c.id, 11, s, op, 0);
    let r = match op {
        0..=3 => return start_child(c),
        4 => {
            let l = if c.rng.one_in(2) { Label::TcbSuspend } else { Label::TcbResume };
            if is_attacker(s) {
                return;
            }
            kcall(c, s, l as u64, &[], &[])
        }
        5 => {
            let victim = aslot::SCRATCH + c.rng.below(96);
            kcall(c, aslot::CNODE, Label::CNodeDelete as u64, &[victim, world::ATTACKER_RADIX], &[])
        }
        6 => kcall(c, aslot::CNODE, Label::CNodeRevoke as u64, &[aslot::UNTYPED, world::ATTACKER_RADIX], &[]),
        7 => {
            let sc = child_sc(c);
            let l = c.rng.pick(&[31, 32, 35]);
            kcall(c, sc, l, &[], &[s])
        }
        8 => {
            // Another child's registers (never an attacker thread's).
            let from = aslot::SCRATCH + c.rng.below(96);
            if is_attacker(s) || is_attacker(from) {
                return;
            }
            let flags = c.rng.below(4);
            kcall(c, s, Label::TcbCopyRegisters as u64, &[flags], &[from])
        }
        _ => {
            // Serve the children: take a call (or a child's fault) from the
            // endpoint and answer it, or leave it to be aborted later.
            let reply = c.rng.pick(&aslot::REPLY);
            let r = sys(Syscall::NBRecv, aslot::EP[0], MessageInfo(0), [0; 4], reply);
            if r.badge != 0 && c.rng.one_in(2) {
                let mrs = [safe_rip(&mut c.rng), 0, 0x202, 0];
                sys(Syscall::Send, reply, MessageInfo::new(c.rng.below(2), 0, 0, c.rng.below(4)), mrs, 0);
            }
            r
        }
    };
    stats::trace_result(c.id, r.info.label());
}

/// One operation of a spawner thread.
pub fn op(c: &mut Ctx) {
    match c.rng.below(10) {
        0..=2 => child_op(c),
        3 => lend_and_delete(c),
        4 => super::attacker::call_victim(c, false),
        _ => super::attacker::invoker_op(c),
    }
}
