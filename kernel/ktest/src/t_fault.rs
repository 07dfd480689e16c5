//! Faults delivered as IPC to a fault endpoint: page faults (read, write,
//! instruction fetch, in another address space), unknown system calls with
//! their registers, user exceptions (`ud2`, divide by zero), resumption by
//! reply, and threads without a fault handler.

use crate::harness::{Env, ROOT_PRIO, Test, TestResult, ep_and_reply, peek, poke, wait_done, wait_until};
use crate::t_untyped::SCRATCH;
use crate::{check, check_eq, fail, ok, test};
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::MessageInfo;
use rampart_abi::fault::{FaultLabel, UNKNOWN_SYSCALL_LENGTH};
use rampart_abi::{Rights, bootinfo::slot};
use rampart_rt::buffer;
use rampart_rt::cap::{CNode, Endpoint, Frame, Reply};
use rampart_rt::ipc;
use rampart_rt::spawn::{Options, Thread};

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(fault_vm_read_reports_address_and_resumes),
    test!(fault_vm_write_to_read_only_resumes_after_remap),
    test!(fault_vm_in_other_address_space),
    test!(fault_instruction_fetch_and_non_zero_reply_stops),
    test!(fault_unknown_syscall_registers_and_resume),
    test!(fault_ud2_is_user_exception),
    test!(fault_divide_by_zero_is_user_exception),
    test!(fault_endpoint_set_by_set_space),
    test!(fault_without_handler_stops_thread),
];

/// An address nothing is mapped at (192 GiB).
const HOLE: u64 = 0x30_0000_0000;

static STAGE: AtomicU64 = AtomicU64::new(0);
static FAULT_IP: AtomicU64 = AtomicU64::new(0);
static RESUME_IP: AtomicU64 = AtomicU64::new(0);
static OUT: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

fn in_image(env: &Env, ip: u64) -> bool {
    let start = env.bi.user_image_vaddr;
    ip >= start && ip < start + env.bi.user_image_frames.len() * 4096
}

/// A child with fault endpoint `ep` minted with `badge`.
fn faulting_child(
    env: &mut Env,
    f: fn(u64) -> u64,
    arg: u64,
    ep: Endpoint,
    badge: u64,
    new_vspace: bool,
) -> Result<Thread, crate::harness::Reason> {
    let fault_ep = Endpoint(ok!(env.a.mint(ep.0, Rights::ALL, badge)));
    let mut o = Options::new(ROOT_PRIO);
    o.fault_ep = fault_ep;
    o.new_vspace = new_vspace;
    env.spawn(f, arg, &o)
}

fn reader(addr: u64) -> u64 {
    STAGE.store(1, SeqCst);
    let v = peek(addr);
    STAGE.store(2, SeqCst);
    v
}

fn writer(addr: u64) -> u64 {
    poke(addr, 0xfeed);
    1
}

fn resume(reply: Reply) {
    ipc::reply(reply, MessageInfo::new(0, 0, 0, 0), [0; 4]);
}

fn fault_vm_read_reports_address_and_resumes(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let t = faulting_child(env, reader, HOLE + 0x18, ep, 0xf1, false)?;
    let r = ipc::recv(ep, reply.0);
    check_eq!(r.info.label(), FaultLabel::VmFault as u64, "fault label");
    check_eq!((r.badge, r.mrs[1], r.mrs[2]), (0xf1, HOLE + 0x18, 0), "(badge, address, instruction fetch)");
    check_eq!(r.mrs[3] & 0x7, 0x4, "error code (user, read, not present)");
    check!(in_image(env, r.mrs[0]), "fault rip {:#x} outside the program image", r.mrs[0]);
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(env.parent.vspace, f, HOLE, Rights::RW, 0));
    poke(HOLE + 0x18, 0x1234);
    resume(reply);
    check!(wait_done(&t), "thread did not finish after the reply");
    check_eq!(t.result(), 0x1234, "value read after the fault was handled");
    Ok(())
}

fn fault_vm_write_to_read_only_resumes_after_remap(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(env.parent.vspace, f, SCRATCH, Rights::READ, 0));
    let t = faulting_child(env, writer, SCRATCH + 8, ep, 0xf2, false)?;
    let r = ipc::recv(ep, reply.0);
    check_eq!(r.info.label(), FaultLabel::VmFault as u64, "fault label");
    check_eq!(r.mrs[1], SCRATCH + 8, "fault address");
    check_eq!(r.mrs[3] & 0x7, 0x7, "error code (user, write, present)");
    ok!(f.remap(Rights::RW, 0));
    resume(reply);
    check!(wait_done(&t), "thread did not finish after the reply");
    check_eq!(peek(SCRATCH + 8), 0xfeed, "word written after the fault was handled");
    Ok(())
}

fn fault_vm_in_other_address_space(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let t = faulting_child(env, reader, HOLE, ep, 0xf3, true)?;
    let r = ipc::recv(ep, reply.0);
    check_eq!((r.info.label(), r.badge, r.mrs[1]), (FaultLabel::VmFault as u64, 0xf3, HOLE), "(label, badge, address)");
    // Back the page in the child's space with a frame the test also maps.
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(env.parent.vspace, f, SCRATCH, Rights::RW, 0));
    poke(SCRATCH, 0x777);
    let theirs = Frame(ok!(env.a.copy(f.0, Rights::ALL)));
    ok!(env.a.map_frame(t.vspace, theirs, HOLE, Rights::READ, 0));
    resume(reply);
    check!(wait_done(&t), "thread did not finish after the reply");
    check_eq!(t.result(), 0x777, "value read in the other space");
    Ok(())
}

fn jumper(addr: u64) -> u64 {
    STAGE.store(1, SeqCst);
    // SAFETY: deliberately jumps to an unmapped address; the instruction
    // fetch faults and the test never resumes this thread.
    unsafe { asm!("jmp {}", in(reg) addr, options(noreturn)) }
}

fn fault_instruction_fetch_and_non_zero_reply_stops(env: &mut Env) -> TestResult {
    STAGE.store(0, SeqCst);
    let (ep, reply) = ep_and_reply(env)?;
    let t = faulting_child(env, jumper, HOLE + 0x40, ep, 0xf4, false)?;
    let r = ipc::recv(ep, reply.0);
    check_eq!(r.info.label(), FaultLabel::VmFault as u64, "fault label");
    check_eq!((r.mrs[0], r.mrs[1], r.mrs[2]), (HOLE + 0x40, HOLE + 0x40, 1), "(rip, address, instruction fetch)");
    ipc::reply(reply, MessageInfo::new(1, 0, 0, 0), [0; 4]);
    for _ in 0..20 {
        ipc::yield_now();
    }
    let r = ipc::nb_recv(ep, reply.0);
    check_eq!(r.info.label(), 0, "a second fault arrived: the thread was resumed");
    check_eq!(ok!(t.tcb.read_registers(false, 1)).rip, HOLE + 0x40, "rip of the stopped thread");
    check!(!t.done(), "thread finished");
    Ok(())
}

fn unknown_syscall_child(_: u64) -> u64 {
    let (rdx, r13, r14): (u64, u64, u64);
    // SAFETY: an unknown system call number: the kernel turns it into a
    // fault message and resumes the thread with the registers the handler
    // replies; every register the handler may change is an output or
    // clobber here, and the handler keeps rsp/rbp as they were.
    unsafe {
        asm!(
            "lea r13, [rip + 2f]",
            "syscall",
            "2:",
            inout("rax") 0x4242u64 => _,
            inout("rdi") 0x2222u64 => _,
            inout("rsi") 0x3333u64 => _,
            inout("rdx") 0x4444u64 => rdx,
            inout("r14") 0x1111u64 => r14,
            out("r13") r13,
            out("rcx") _,
            out("r11") _,
            lateout("r8") _,
            lateout("r9") _,
            lateout("r10") _,
            options(nostack)
        );
    }
    OUT[0].store(rdx, SeqCst);
    OUT[1].store(r14, SeqCst);
    OUT[2].store(r13, SeqCst);
    0
}

fn fault_unknown_syscall_registers_and_resume(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let t = faulting_child(env, unknown_syscall_child, 0, ep, 0xf5, false)?;
    let r = ipc::recv(ep, reply.0);
    check_eq!(r.info.label(), FaultLabel::UnknownSyscall as u64, "fault label");
    check_eq!(r.info.length(), UNKNOWN_SYSCALL_LENGTH, "message length");
    let b = buffer::expect_current();
    let mut m = [0u64; UNKNOWN_SYSCALL_LENGTH];
    m[..4].copy_from_slice(&r.mrs);
    for (i, w) in m.iter_mut().enumerate().skip(4) {
        *w = b.mr(i);
    }
    check_eq!(m[18], 0x4242, "syscall number (MR18)");
    check_eq!((m[3], m[4], m[5], m[13]), (0x4444, 0x3333, 0x2222, 0x1111), "(rdx, rsi, rdi, r14)");
    let after = m[12]; // r13 = address after the syscall instruction
    check!(in_image(env, after), "r13 {:#x} is not the label address", after);
    check_eq!(m[15], after, "rip (the address after the syscall instruction)");
    // Resume after the syscall with rdx and r14 changed.
    m[3] = 0x5a5a;
    m[13] = 0x9999;
    b.set_mrs_from4(&m[4..18]);
    ipc::reply(reply, MessageInfo::new(0, 0, 0, 18), [m[0], m[1], m[2], m[3]]);
    check!(wait_done(&t), "thread did not finish after the reply");
    check_eq!((OUT[0].load(SeqCst), OUT[1].load(SeqCst)), (0x5a5a, 0x9999), "(rdx, r14) after the reply");
    check_eq!(OUT[2].load(SeqCst), after, "r13 after the reply");
    Ok(())
}

fn ud2_child(_: u64) -> u64 {
    // SAFETY: records the addresses of the faulting instruction and of the
    // one after it, then executes `ud2`; the handler resumes at the second.
    unsafe {
        asm!(
            "lea {a}, [rip + 2f]",
            "mov qword ptr [{f}], {a}",
            "lea {a}, [rip + 3f]",
            "mov qword ptr [{r}], {a}",
            "2: ud2",
            "3:",
            a = out(reg) _,
            f = in(reg) FAULT_IP.as_ptr(),
            r = in(reg) RESUME_IP.as_ptr(),
            options(nostack)
        );
    }
    7
}

fn div_child(_: u64) -> u64 {
    // SAFETY: as `ud2_child`, with a division by zero (#DE).
    unsafe {
        asm!(
            "lea {a}, [rip + 2f]",
            "mov qword ptr [{f}], {a}",
            "lea {a}, [rip + 3f]",
            "mov qword ptr [{r}], {a}",
            "2: div {z}",
            "3:",
            a = out(reg) _,
            f = in(reg) FAULT_IP.as_ptr(),
            r = in(reg) RESUME_IP.as_ptr(),
            z = in(reg) 0u64,
            inout("rax") 1u64 => _,
            inout("rdx") 0u64 => _,
            options(nostack)
        );
    }
    8
}

fn user_exception(env: &mut Env, f: fn(u64) -> u64, vector: u64, result: u64) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let t = faulting_child(env, f, 0, ep, 0xf6, false)?;
    let r = ipc::recv(ep, reply.0);
    check_eq!(r.info.label(), FaultLabel::UserException as u64, "fault label");
    check_eq!(r.mrs[3], vector, "vector");
    check_eq!(r.mrs[0], FAULT_IP.load(SeqCst), "rip of the exception");
    ipc::reply(reply, MessageInfo::new(0, 0, 0, 3), [RESUME_IP.load(SeqCst), r.mrs[1], r.mrs[2], 0]);
    check!(wait_done(&t), "thread did not finish after the reply");
    check_eq!(t.result(), result, "result");
    Ok(())
}

fn fault_ud2_is_user_exception(env: &mut Env) -> TestResult {
    user_exception(env, ud2_child, 6, 7)
}

fn fault_divide_by_zero_is_user_exception(env: &mut Env) -> TestResult {
    user_exception(env, div_child, 0, 8)
}

fn fault_endpoint_set_by_set_space(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let mut o = Options::new(ROOT_PRIO);
    o.resume = false;
    let t = env.spawn(reader, HOLE, &o)?;
    let fault_ep = Endpoint(ok!(env.a.mint(ep.0, Rights::ALL, 0xf7)));
    ok!(t.tcb.set_space(fault_ep, CNode(slot::CNODE), env.parent.cnode_guard, env.parent.vspace));
    ok!(t.tcb.resume());
    let r = ipc::recv(ep, reply.0);
    check_eq!((r.info.label(), r.badge, r.mrs[1]), (FaultLabel::VmFault as u64, 0xf7, HOLE), "(label, badge, address)");
    Ok(())
}

fn fault_without_handler_stops_thread(env: &mut Env) -> TestResult {
    STAGE.store(0, SeqCst);
    let t = env.spawn(reader, HOLE, &Options::new(ROOT_PRIO))?;
    check!(wait_until(100, || STAGE.load(SeqCst) == 1), "thread did not start");
    for _ in 0..50 {
        ipc::yield_now();
    }
    if STAGE.load(SeqCst) != 1 || t.done() {
        fail!("thread went on after a fault without handler (stage {})", STAGE.load(SeqCst));
    }
    let rip = ok!(t.tcb.read_registers(false, 1)).rip;
    check!(in_image(env, rip), "stopped thread's rip {:#x} outside the image", rip);
    Ok(())
}
