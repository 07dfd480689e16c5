//! Syscall User Dispatch (`TcbSetSyscallDispatch`, docs/linux-abi.md): the
//! per-thread ABI switch the Linux personality uses. Written as an attacker
//! would probe it: bad ranges are refused, a thread in the mode cannot make
//! a Rampart system call from outside its native range (with any number and
//! any capability pointer), the registers a Linux program relies on survive
//! the redirect, and the mode does not outlive the TCB object.

use super::support::{S, spawn};
use crate::object::TcbRef;
use crate::regs::{VECTOR_SYSCALL, r};
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{Error, Label, MessageInfo, ObjectType, Syscall, USER_TOP};

const ENTRY: u64 = 0x7f00_0000;
const LO: u64 = 0x7e00_0000;
const HI: u64 = 0x7e10_0000;

fn set(w: &mut World, tcb_slot: u64, entry: u64, lo: u64, hi: u64) -> Result<Vec<u64>, Error> {
    w.invoke(tcb_slot, Label::TcbSetSyscallDispatch, &[entry, lo, hi], &[])
}

/// `t` executes a `syscall` instruction at `at` (so the return `rip` is
/// `at + 2`) with `rax` = `n`, `rdi` = `cptr` and message info `info`.
fn syscall_at(w: &mut World, t: TcbRef, at: u64, n: u64, cptr: u64, info: MessageInfo, mrs: &[u64]) {
    w.switch_to(t);
    let regs = &t.get().regs;
    regs.set(r::RIP, at + 2);
    regs.set(r::RFLAGS, 0x246);
    regs.set(r::RAX, n);
    regs.set(r::RDI, cptr);
    regs.set(r::RSI, info.0);
    regs.set(r::VECTOR, VECTOR_SYSCALL);
    w.set_message(t, mrs, &[]);
    let _ = w.k.syscall();
}

#[test]
fn bad_ranges_are_refused_with_the_failing_argument() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    let detail = |w: &World| w.mr(w.root_tcb(), 0);
    for (args, idx) in [
        ([USER_TOP, LO, HI], 0),
        ([u64::MAX, LO, HI], 0),
        ([0xffff_8000_0000_0000, LO, HI], 0),
        ([ENTRY, HI, LO], 1),
        ([ENTRY, 0, USER_TOP + 1], 2),
        ([ENTRY, 0, u64::MAX], 2),
    ] {
        assert_eq!(set(&mut w, t.slot, args[0], args[1], args[2]), Err(Error::InvalidArgument), "{args:x?}");
        assert_eq!(detail(&w), idx, "{args:x?}");
        assert_eq!(t.tcb.get().dispatch_entry.get(), 0, "a refused request changes nothing");
    }
    // Too few arguments is a truncated message, not a half-set mode.
    assert!(w.invoke(t.slot, Label::TcbSetSyscallDispatch, &[ENTRY], &[]).is_err());
    assert_eq!(t.tcb.get().dispatch_entry.get(), 0);
    // Only a TCB capability can do it.
    assert_eq!(set(&mut w, ws::CNODE, ENTRY, LO, HI).map(|_| ()), Err(Error::IllegalOperation));
}

#[test]
fn a_foreign_syscall_goes_to_the_entry_with_registers_intact() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    set(&mut w, t.slot, ENTRY, LO, HI).unwrap();
    let regs = &t.tcb.get().regs;
    for (i, reg) in
        [r::RBX, r::RDX, r::RBP, r::R8, r::R9, r::R10, r::R12, r::R13, r::R14, r::R15].into_iter().enumerate()
    {
        regs.set(reg, 0x1111 * (i as u64 + 1));
    }
    regs.set(r::RSP, 0x7ffc_0000);
    let before: Vec<u64> = [r::RBX, r::RDX, r::RBP, r::R8, r::R9, r::R10, r::R12, r::R13, r::R14, r::R15, r::RSP]
        .iter()
        .map(|&i| regs.get(i))
        .collect();
    // Linux `getpid` (39) from a program at 0x401000; rdi = 1, rsi = a
    // pointer-like value: none of them is interpreted.
    w.switch_to(t.tcb);
    regs.set(r::RIP, 0x40_1002);
    regs.set(r::RFLAGS, 0x246);
    regs.set(r::RAX, 39);
    regs.set(r::RDI, 1);
    regs.set(r::RSI, 0xdead_beef);
    regs.set(r::VECTOR, VECTOR_SYSCALL);
    let _ = w.k.syscall();
    assert_eq!(regs.get(r::RIP), ENTRY);
    assert_eq!(regs.get(r::RCX), 0x40_1002, "rcx = the return address");
    assert_eq!(regs.get(r::R11), 0x246, "r11 = RFLAGS");
    assert_ne!(regs.get(r::VECTOR), VECTOR_SYSCALL, "resumed with iretq so rcx/r11 come from the context");
    assert_eq!((regs.get(r::RAX), regs.get(r::RDI), regs.get(r::RSI)), (39, 1, 0xdead_beef));
    let after: Vec<u64> = [r::RBX, r::RDX, r::RBP, r::R8, r::R9, r::R10, r::R12, r::R13, r::R14, r::R15, r::RSP]
        .iter()
        .map(|&i| regs.get(i))
        .collect();
    assert_eq!(before, after);
    assert_eq!(w.k.cur, t.tcb, "the caller keeps running");
}

#[test]
fn outside_the_native_range_no_capability_can_be_invoked() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    let victim = spawn(&mut w, 2, 100, 0);
    w.invoke(victim.slot, Label::TcbResume, &[], &[]).unwrap();
    assert!(w.k.schedulable(victim.tcb));
    set(&mut w, t.slot, ENTRY, LO, HI).unwrap();
    let suspend = MessageInfo::new(Label::TcbSuspend as u64, 0, 0, 0);
    // Every number (Call, Send, NBSend, ReplyRecv...), from addresses just
    // outside both ends of the range, from the entry itself and from low
    // and high user addresses: the victim is never suspended.
    for n in 0..=70u64 {
        for at in [LO - 2, LO - 1, HI, HI + 1, ENTRY, 0, 0x40_1000, USER_TOP - 2] {
            syscall_at(&mut w, t.tcb, at, n, victim.slot, suspend, &[]);
            assert_eq!(t.tcb.get().regs.get(r::RIP), ENTRY, "n={n} at={at:#x}");
            assert!(w.k.schedulable(victim.tcb), "n={n} at={at:#x}: the call was interpreted");
        }
    }
    // From inside the range the same call is a Rampart invocation.
    for at in [LO, HI - 1] {
        let v = spawn(&mut w, 3 + at % 7, 100, 0);
        w.invoke(v.slot, Label::TcbResume, &[], &[]).unwrap();
        assert!(w.k.schedulable(v.tcb));
        syscall_at(&mut w, t.tcb, at, Syscall::Call as u64, v.slot, suspend, &[]);
        assert!(!w.k.schedulable(v.tcb), "at={at:#x}: native call from inside the range");
        assert_eq!(t.tcb.get().regs.get(r::RIP), at + 2);
    }
}

#[test]
fn entry_zero_turns_the_mode_off_and_other_threads_are_unaffected() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    let other = spawn(&mut w, 2, 100, 0);
    set(&mut w, t.slot, ENTRY, LO, HI).unwrap();
    syscall_at(&mut w, other.tcb, 0x40_1000, Syscall::Null as u64, 0, MessageInfo(0), &[]);
    assert_eq!(other.tcb.get().regs.get(r::RIP), 0x40_1002, "a thread not in the mode is native everywhere");
    set(&mut w, t.slot, 0, LO, HI).unwrap();
    assert_eq!(
        (t.tcb.get().dispatch_entry.get(), t.tcb.get().dispatch_lo.get(), t.tcb.get().dispatch_hi.get()),
        (0, 0, 0)
    );
    syscall_at(&mut w, t.tcb, 0x40_1000, Syscall::Null as u64, 0, MessageInfo(0), &[]);
    assert_eq!(t.tcb.get().regs.get(r::RIP), 0x40_1002);
}

#[test]
fn the_mode_does_not_survive_the_tcb_object() {
    let mut w = World::new();
    // A private untyped so the second TCB reuses the first one's memory.
    let ut = S + 20;
    w.invoke(w.untyped, Label::UntypedRetype, &[ObjectType::Untyped as u64, 12, 0, 0, ut, 1], &[ws::CNODE]).unwrap();
    let make = |w: &mut World| {
        w.invoke(ut, Label::UntypedRetype, &[ObjectType::Tcb as u64, 0, 0, 0, S + 21, 1], &[ws::CNODE]).unwrap();
        w.root.slot(S + 21).cap().paddr()
    };
    let first = make(&mut w);
    set(&mut w, S + 21, ENTRY, LO, HI).unwrap();
    assert_eq!(TcbRef(first).get().dispatch_entry.get(), ENTRY);
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S + 21, 64], &[]).unwrap();
    let second = make(&mut w);
    assert_eq!(first, second, "same memory");
    let g = TcbRef(second).get();
    assert_eq!((g.dispatch_entry.get(), g.dispatch_lo.get(), g.dispatch_hi.get()), (0, 0, 0));
}

#[test]
fn the_fast_path_never_serves_a_thread_in_the_mode() {
    // A server waiting on an endpoint: a `Call` from a thread in the mode
    // would be fast-path material, but its `syscall` outside the range must
    // be redirected, and even inside the range the general path serves it.
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.retype(ObjectType::Reply, 0, S + 1, 1).unwrap();
    let server = spawn(&mut w, 1, 100, 0);
    let client = spawn(&mut w, 2, 100, 0);
    w.invoke(client.slot, Label::TcbResume, &[], &[]).unwrap();
    w.invoke(server.slot, Label::TcbResume, &[], &[]).unwrap();
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    set(&mut w, client.slot, ENTRY, LO, HI).unwrap();
    let hits = w.k.fastpath_hits;
    syscall_at(&mut w, client.tcb, 0x40_1000, Syscall::Call as u64, S, MessageInfo::new(0, 0, 0, 1), &[7]);
    assert_eq!(client.tcb.get().regs.get(r::RIP), ENTRY, "redirected, not delivered");
    assert_eq!(w.k.fastpath_hits, hits);
    syscall_at(&mut w, client.tcb, LO, Syscall::Call as u64, S, MessageInfo::new(0, 0, 0, 1), &[7]);
    assert_eq!(w.k.fastpath_hits, hits, "native call from the range: general path");
    assert_eq!(w.mr(server.tcb, 0), 7, "delivered");
}
