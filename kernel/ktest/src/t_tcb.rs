//! Threads: registers, resume/suspend, priorities and MCP, configuration
//! errors, TLS base, threads in other address spaces.

use crate::harness::{Env, ROOT_PRIO, Test, TestResult, wait_done, wait_until};
use crate::{check, check_eq, expect_err, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::bootinfo::slot;
use rampart_abi::tcb::MAX_PRIORITY;
use rampart_abi::{Error, MessageInfo, Rights};
use rampart_rt::cap::{CNode, Endpoint, Frame, Notification, Reply, SchedContext, Tcb, VSpace};
use rampart_rt::ipc;
use rampart_rt::spawn::Options;
use rampart_rt::tcb::UserContext;

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(tcb_write_then_read_registers),
    test!(tcb_read_registers_count_out_of_range),
    test!(tcb_read_own_registers_is_illegal),
    test!(tcb_copy_registers),
    test!(tcb_write_registers_keeps_rip_in_user_space),
    test!(tcb_set_tls_base_sets_fs_base),
    test!(tcb_resume_runs_thread),
    test!(tcb_thread_in_new_address_space),
    test!(tcb_suspend_stops_and_resume_restarts),
    test!(tcb_suspend_cancels_blocked_receive),
    test!(tcb_higher_priority_preempts_on_resume),
    test!(tcb_lower_priority_runs_only_when_idle),
    test!(tcb_priority_above_mcp_is_refused),
    test!(tcb_configure_rejects_wrong_cap_types),
    test!(tcb_set_ipc_buffer_alignment),
];

const ROOT_TCB: Tcb = Tcb(slot::TCB);

static FLAG: AtomicU64 = AtomicU64::new(0);
static COUNTER: AtomicU64 = AtomicU64::new(0);
static LAST: AtomicU64 = AtomicU64::new(0);

fn sample_context() -> UserContext {
    let mut c = UserContext::from_words(&[
        0x40_1000,
        0x1000_0000,
        0x203,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        0x7000_0000,
        0x7100_0000,
    ]);
    c.rax = 0xaaaa_0000_0000_0003;
    c
}

fn check_same_gprs(got: &UserContext, want: &UserContext) -> TestResult {
    let (g, w) = (got.to_words(), want.to_words());
    // Everything but rflags (sanitised) and gs_base (not kept by the kernel).
    for i in [0usize, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18] {
        check_eq!(g[i], w[i], rampart_abi::tcb::REGISTER_ORDER[i]);
    }
    Ok(())
}

fn tcb_write_then_read_registers(env: &mut Env) -> TestResult {
    let t = ok!(env.a.tcb());
    let want = sample_context();
    ok!(t.write_registers(false, 20, &want));
    let got = ok!(t.read_registers(false, 20));
    check_same_gprs(&got, &want)?;
    check!(got.rflags & 0x200 != 0, "rflags {:#x}: interrupts disabled in user mode", got.rflags);
    check_eq!(got.rflags & 1, 1, "carry flag written through rflags");
    // Reading fewer registers returns just those.
    let part = ok!(t.read_registers(false, 2));
    check_eq!((part.rip, part.rsp, part.rax), (want.rip, want.rsp, 0), "rip, rsp, rax of a 2-register read");
    Ok(())
}

fn tcb_read_registers_count_out_of_range(env: &mut Env) -> TestResult {
    let t = ok!(env.a.tcb());
    expect_err!(t.read_registers(false, 21), Error::RangeError);
    expect_err!(t.read_registers(false, u64::MAX), Error::RangeError);
    expect_err!(t.write_registers(false, 21, &sample_context()), Error::RangeError);
    Ok(())
}

fn tcb_read_own_registers_is_illegal(_: &mut Env) -> TestResult {
    expect_err!(ROOT_TCB.read_registers(false, 20), Error::IllegalOperation);
    Ok(())
}

fn tcb_copy_registers(env: &mut Env) -> TestResult {
    let (a, b) = (ok!(env.a.tcb()), ok!(env.a.tcb()));
    let want = sample_context();
    ok!(a.write_registers(false, 20, &want));
    ok!(b.copy_registers(a, false, false));
    check_same_gprs(&ok!(b.read_registers(false, 20)), &want)?;
    expect_err!(b.copy_registers(Tcb(slot::CNODE), false, false), Error::InvalidCapability);
    Ok(())
}

fn tcb_write_registers_keeps_rip_in_user_space(env: &mut Env) -> TestResult {
    let t = ok!(env.a.tcb());
    let mut c = sample_context();
    for bad in [0xffff_8000_0000_0000u64, 0x8000_0000_0000, rampart_abi::USER_TOP] {
        c.rip = bad;
        c.rsp = bad;
        // Refused, or sanitised: either way never a kernel address.
        if t.write_registers(false, 20, &c).is_ok() {
            let got = ok!(t.read_registers(false, 2));
            check!(got.rip < rampart_abi::USER_TOP, "rip {:#x} written as {:#x}", bad, got.rip);
            check!(got.rsp < rampart_abi::USER_TOP, "rsp {:#x} written as {:#x}", bad, got.rsp);
        }
    }
    Ok(())
}

fn tcb_set_tls_base_sets_fs_base(env: &mut Env) -> TestResult {
    let t = ok!(env.a.tcb());
    ok!(t.set_tls_base(0x1234_5000));
    check_eq!(ok!(t.read_registers(false, 20)).fs_base, 0x1234_5000, "fs_base");
    Ok(())
}

fn child_store(arg: u64) -> u64 {
    FLAG.store(arg, SeqCst);
    arg * 3
}

fn tcb_resume_runs_thread(env: &mut Env) -> TestResult {
    FLAG.store(0, SeqCst);
    let mut o = Options::new(ROOT_PRIO);
    o.resume = false;
    let t = env.spawn(child_store, 0x77, &o)?;
    check!(!wait_until(20, || t.done()), "thread ran before Resume");
    ok!(t.tcb.resume());
    check!(wait_done(&t), "thread did not finish after Resume");
    check_eq!((FLAG.load(SeqCst), t.result()), (0x77, 0x77 * 3), "(shared static, result)");
    Ok(())
}

fn tcb_thread_in_new_address_space(env: &mut Env) -> TestResult {
    FLAG.store(0, SeqCst);
    let mut o = Options::new(ROOT_PRIO);
    o.new_vspace = true;
    let t = env.spawn(child_store, 0x99, &o)?;
    check!(t.vspace != env.parent.vspace, "thread shares the test's VSpace");
    check!(wait_done(&t), "thread did not finish");
    check_eq!((FLAG.load(SeqCst), t.result()), (0x99, 0x99 * 3), "(shared .bss, result)");
    Ok(())
}

fn counter_loop(_: u64) -> u64 {
    loop {
        COUNTER.fetch_add(1, SeqCst);
        ipc::yield_now();
    }
}

fn tcb_suspend_stops_and_resume_restarts(env: &mut Env) -> TestResult {
    COUNTER.store(0, SeqCst);
    let t = env.spawn(counter_loop, 0, &Options::new(ROOT_PRIO))?;
    check!(wait_until(100, || COUNTER.load(SeqCst) > 0), "thread did not run");
    ok!(t.tcb.suspend());
    let c = COUNTER.load(SeqCst);
    for _ in 0..50 {
        ipc::yield_now();
    }
    check_eq!(COUNTER.load(SeqCst), c, "counter while suspended");
    ok!(t.tcb.resume());
    check!(wait_until(100, || COUNTER.load(SeqCst) > c), "thread did not run again after Resume");
    ok!(t.tcb.suspend());
    Ok(())
}

fn receiver_loop(arg: u64) -> u64 {
    let (ep, reply) = (Endpoint(arg & 0xffff_ffff), arg >> 32);
    loop {
        let r = ipc::recv(ep, reply);
        if r.info.label() == 0x55 {
            LAST.store(r.mrs[0], SeqCst);
            COUNTER.fetch_add(1, SeqCst);
        }
    }
}

fn tcb_suspend_cancels_blocked_receive(env: &mut Env) -> TestResult {
    COUNTER.store(0, SeqCst);
    let ep = ok!(env.a.endpoint());
    let reply: Reply = ok!(env.a.reply());
    let t = env.spawn(receiver_loop, ep.0 | reply.0 << 32, &Options::new(ROOT_PRIO))?;
    ipc::yield_now(); // it blocks in Recv
    ok!(t.tcb.suspend());
    let msg = MessageInfo::new(0x55, 0, 0, 1);
    check_eq!(ipc::nb_send(ep, msg, [1, 0, 0, 0]).label(), 0, "NBSend status");
    for _ in 0..10 {
        ipc::yield_now();
    }
    check_eq!(COUNTER.load(SeqCst), 0, "messages received while suspended");
    ok!(t.tcb.resume());
    ipc::yield_now(); // it waits again
    check_eq!(ipc::nb_send(ep, msg, [2, 0, 0, 0]).label(), 0, "NBSend status");
    check!(wait_until(100, || COUNTER.load(SeqCst) == 1), "message not received after Resume");
    check_eq!(LAST.load(SeqCst), 2, "message received");
    Ok(())
}

fn tcb_higher_priority_preempts_on_resume(env: &mut Env) -> TestResult {
    FLAG.store(0, SeqCst);
    let t = env.spawn(child_store, 5, &Options::new(ROOT_PRIO + 10))?;
    // No yield: the higher-priority thread ran as soon as it was resumed.
    check!(t.done(), "higher-priority thread had not run when Resume returned");
    check_eq!(FLAG.load(SeqCst), 5, "shared static");
    Ok(())
}

fn low_prio_child(arg: u64) -> u64 {
    FLAG.store(1, SeqCst);
    ipc::signal(Notification(arg));
    0
}

fn tcb_lower_priority_runs_only_when_idle(env: &mut Env) -> TestResult {
    FLAG.store(0, SeqCst);
    let n = ok!(env.a.notification());
    let nb = Notification(ok!(env.a.mint(n.0, Rights::ALL, 1)));
    let _t = env.spawn(low_prio_child, nb.0, &Options::new(ROOT_PRIO - 10))?;
    for _ in 0..20 {
        ipc::yield_now();
    }
    check_eq!(FLAG.load(SeqCst), 0, "lower-priority thread ran while the test was runnable");
    check_eq!(n.wait(), 1, "notification word");
    check_eq!(FLAG.load(SeqCst), 1, "flag after blocking");
    Ok(())
}

fn tcb_priority_above_mcp_is_refused(env: &mut Env) -> TestResult {
    let auth = ok!(env.a.tcb());
    ok!(auth.set_sched_params(ROOT_TCB, 50, 50, SchedContext(0), Endpoint(0)));
    let t = ok!(env.a.tcb());
    expect_err!(t.set_priority(auth, 51), Error::RangeError);
    ok!(t.set_priority(auth, 50));
    expect_err!(t.set_mc_priority(auth, 51), Error::RangeError);
    ok!(t.set_mc_priority(auth, 50));
    expect_err!(t.set_sched_params(auth, 40, 60, SchedContext(0), Endpoint(0)), Error::RangeError);
    expect_err!(t.set_sched_params(auth, 60, 40, SchedContext(0), Endpoint(0)), Error::RangeError);
    ok!(t.set_sched_params(auth, 50, 20, SchedContext(0), Endpoint(0)));
    expect_err!(t.set_priority(ROOT_TCB, MAX_PRIORITY + 1), Error::RangeError);
    // The authority must be a TCB.
    expect_err!(t.set_priority(Tcb(slot::CNODE), 1), Error::InvalidCapability);
    Ok(())
}

fn tcb_configure_rejects_wrong_cap_types(env: &mut Env) -> TestResult {
    let t = ok!(env.a.tcb());
    let ep = ok!(env.a.endpoint());
    let f = ok!(env.a.frame());
    let root = CNode(slot::CNODE);
    let vs = VSpace(slot::VSPACE);
    let g = env.parent.cnode_guard;
    expect_err!(t.configure(CNode(ep.0), 0, vs, Frame(0), 0), Error::InvalidCapability);
    expect_err!(t.configure(root, g, VSpace(f.0), Frame(0), 0), Error::InvalidCapability);
    expect_err!(t.configure(root, g, vs, Frame(ep.0), 0x1000_0000), Error::InvalidCapability);
    expect_err!(t.set_space(Endpoint(f.0), root, g, vs), Error::InvalidCapability);
    ok!(t.configure(root, g, vs, Frame(0), 0));
    ok!(t.set_space(ep, root, g, vs));
    Ok(())
}

fn tcb_set_ipc_buffer_alignment(env: &mut Env) -> TestResult {
    let t = ok!(env.a.tcb());
    let f = ok!(env.a.frame());
    expect_err!(t.set_ipc_buffer(f, 0x1000_0000 + 8), Error::AlignmentError);
    expect_err!(t.set_ipc_buffer(f, 0x1000_0000 + 512), Error::AlignmentError);
    ok!(t.set_ipc_buffer(f, 0x1000_0000 + 1024));
    ok!(t.set_ipc_buffer(f, 0x1000_0000));
    ok!(t.set_ipc_buffer(Frame(0), 0));
    Ok(())
}
