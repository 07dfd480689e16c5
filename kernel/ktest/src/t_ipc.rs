//! Endpoint IPC: message registers and the IPC buffer, length limits,
//! badges, capability transfer and unwrapping, rights, Call/ReplyRecv with
//! reply objects across threads and address spaces, passive servers,
//! cancelling badged sends.

use crate::harness::{Env, ROOT_PRIO, Test, TestResult, ep_and_reply, wait_done};
use crate::{check, check_eq, fail, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::msg::MSG_MAX_LENGTH;
use rampart_abi::{CapType, Error, MessageInfo, Rights};
use rampart_rt::buffer;
use rampart_rt::cap::{CNode, Endpoint, Reply};
use rampart_rt::ipc::{self, identify};
use rampart_rt::spawn::Options;

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(ipc_send_recv_registers),
    test!(ipc_long_message_through_buffer),
    test!(ipc_length_clamped_to_120),
    test!(ipc_sender_without_buffer_sends_registers_only),
    test!(ipc_receiver_without_buffer_gets_registers_only),
    test!(ipc_senders_queue_in_order),
    test!(ipc_blocked_send_returns_zero_status),
    test!(ipc_call_reply_same_space),
    test!(ipc_call_reply_across_address_spaces),
    test!(ipc_long_call_reply_across_address_spaces),
    test!(ipc_badge_delivered),
    test!(ipc_mint_cannot_rebadge),
    test!(ipc_cap_transfer_with_grant),
    test!(ipc_cap_transfer_without_grant),
    test!(ipc_badge_unwrapping),
    test!(ipc_nonblocking_without_partner),
    test!(ipc_send_needs_write_right),
    test!(ipc_recv_needs_read_right),
    test!(ipc_syscalls_on_invalid_caps),
    test!(ipc_cancel_badged_sends),
    test!(ipc_passive_server_runs_on_callers_sc),
    test!(ipc_caller_resumes_when_reply_object_deleted),
];

/// Words a child reports back: label, length, extra caps, unwrapped, badge,
/// MR0..MR3, a caps_or_badges word, and a capability type.
static SEEN: [AtomicU64; 11] = [const { AtomicU64::new(0) }; 11];

fn record(r: &ipc::IpcResult) {
    let w = [
        r.info.label(),
        r.info.length() as u64,
        r.info.extra_caps() as u64,
        r.info.caps_unwrapped(),
        r.badge,
        r.mrs[0],
        r.mrs[1],
        r.mrs[2],
        r.mrs[3],
    ];
    for (s, v) in SEEN.iter().zip(w) {
        s.store(v, SeqCst);
    }
}

fn seen(i: usize) -> u64 {
    SEEN[i].load(SeqCst)
}

const fn pack(a: u64, b: u64, c: u64) -> u64 {
    a | b << 16 | c << 32
}

const fn unpack(v: u64) -> (u64, u64, u64) {
    (v & 0xffff, (v >> 16) & 0xffff, v >> 32)
}

fn sender4(arg: u64) -> u64 {
    ipc::send(Endpoint(arg), MessageInfo::new(0x77, 0, 0, 4), [1, 2, 3, 4]).label()
}

fn ipc_send_recv_registers(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let t = env.spawn(sender4, ep.0, &Options::new(ROOT_PRIO))?;
    let r = ipc::recv(ep, reply.0);
    check_eq!((r.info.label(), r.info.length(), r.badge), (0x77, 4, 0), "(label, length, badge)");
    check_eq!(r.mrs, [1, 2, 3, 4], "MR0..MR3");
    check!(wait_done(&t) && t.result() == 0, "sender's Send status {}", t.result());
    Ok(())
}

/// Sends `len` words (clamped by the kernel), MR i = 1000 + i.
fn long_sender(arg: u64) -> u64 {
    let (ep, len, _) = unpack(arg);
    let b = buffer::expect_current();
    for i in 4..MSG_MAX_LENGTH {
        b.set_mr(i, 1000 + i as u64);
    }
    ipc::send(Endpoint(ep), MessageInfo::new(1, 0, 0, len), [1000, 1001, 1002, 1003]).label()
}

fn check_long(r: &ipc::IpcResult, len: usize) -> TestResult {
    check_eq!(r.info.length(), len, "received length");
    check_eq!(r.mrs, [1000, 1001, 1002, 1003], "MR0..MR3");
    let b = buffer::expect_current();
    for i in 4..len {
        if b.mr(i) != 1000 + i as u64 {
            fail!("MR{} = {}, expected {}", i, b.mr(i), 1000 + i);
        }
    }
    Ok(())
}

fn ipc_long_message_through_buffer(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    env.spawn(long_sender, pack(ep.0, 50, 0), &Options::new(ROOT_PRIO))?;
    check_long(&ipc::recv(ep, reply.0), 50)
}

fn ipc_length_clamped_to_120(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    env.spawn(long_sender, pack(ep.0, 127, 0), &Options::new(ROOT_PRIO))?;
    check_long(&ipc::recv(ep, reply.0), MSG_MAX_LENGTH)
}

fn ipc_sender_without_buffer_sends_registers_only(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let mut o = Options::new(ROOT_PRIO);
    o.ipc_buffer = false;
    env.spawn(|ep| ipc::send(Endpoint(ep), MessageInfo::new(2, 0, 0, 10), [11, 12, 13, 14]).label(), ep.0, &o)?;
    // After spawning (its invocations use the buffer).
    let b = buffer::expect_current();
    for i in 4..12 {
        b.set_mr(i, 0xdead);
    }
    let r = ipc::recv(ep, reply.0);
    check_eq!((r.info.label(), r.info.length()), (2, 4), "(label, length)");
    check_eq!(r.mrs, [11, 12, 13, 14], "MR0..MR3");
    check_eq!(b.mr(4), 0xdead, "receiver's MR4");
    Ok(())
}

fn waiter(arg: u64) -> u64 {
    let r = ipc::wait(Endpoint(arg));
    record(&r);
    0
}

fn ipc_receiver_without_buffer_gets_registers_only(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let mut o = Options::new(ROOT_PRIO);
    o.ipc_buffer = false;
    let t = env.spawn(waiter, ep.0, &o)?;
    ipc::yield_now(); // it waits
    buffer::expect_current().set_mrs_from4(&[5, 6, 7, 8, 9, 10]);
    check_eq!(ipc::send(ep, MessageInfo::new(3, 0, 0, 10), [1, 2, 3, 4]).label(), 0, "Send status");
    check!(wait_done(&t), "receiver did not finish");
    check_eq!((seen(0), seen(1)), (3, 4), "(label, length) received");
    check_eq!([seen(5), seen(6), seen(7), seen(8)], [1, 2, 3, 4], "MR0..MR3 received");
    Ok(())
}

fn ipc_blocked_send_returns_zero_status(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let t = env.spawn(waiter, ep.0, &Options::new(ROOT_PRIO))?;
    // The receiver is not waiting yet: Send blocks until it takes the message.
    let st = ipc::send(ep, MessageInfo::new(0x66, 0, 0, 1), [1, 0, 0, 0]);
    check!(wait_done(&t), "receiver did not finish");
    check_eq!(seen(0), 0x66, "label received");
    check_eq!(st.label(), 0, "status of a Send that blocked");
    Ok(())
}

fn ipc_senders_queue_in_order(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    for k in 0..3u64 {
        env.spawn(
            |a| ipc::send(Endpoint(a & 0xffff), MessageInfo::new(a >> 16, 0, 0, 0), [0; 4]).label(),
            ep.0 | (10 + k) << 16,
            &Options::new(ROOT_PRIO),
        )?;
        ipc::yield_now(); // it blocks in Send
    }
    for k in 0..3u64 {
        check_eq!(ipc::recv(ep, reply.0).info.label(), 10 + k, "label of the next queued sender");
    }
    Ok(())
}

/// Replies to every call: label + 1, MR0 = sum of MR0..MR3, MR1 = badge,
/// MR4.. = twice the caller's MR4.. (as many as it sent).
fn server(arg: u64) -> u64 {
    let (ep, reply, _) = unpack(arg);
    let (ep, reply) = (Endpoint(ep), Reply(reply));
    let mut r = ipc::recv(ep, reply.0);
    loop {
        let len = r.info.length();
        if len > 4 {
            let b = buffer::expect_current();
            for i in 4..len {
                b.set_mr(i, b.mr(i) * 2);
            }
        }
        let sum = r.mrs.iter().sum();
        let info = MessageInfo::new(r.info.label() + 1, 0, 0, len.max(2) as u64);
        r = ipc::reply_recv(ep, info, [sum, r.badge, 0, 0], reply);
    }
}

fn spawn_server(
    env: &mut Env,
    ep: Endpoint,
    opts: &Options,
) -> Result<rampart_rt::spawn::Thread, crate::harness::Reason> {
    let reply: Reply = ok!(env.a.reply());
    env.spawn(server, pack(ep.0, reply.0, 0), opts)
}

fn calls(ep: Endpoint, n: u64, badge: u64) -> TestResult {
    for i in 0..n {
        let r = ipc::call(ep, MessageInfo::new(i + 1, 0, 0, 4), [i, 2 * i, 3, 4]);
        check_eq!(r.info.label(), i + 2, "reply label");
        check_eq!((r.mrs[0], r.mrs[1]), (3 * i + 7, badge), "reply (sum, badge)");
    }
    Ok(())
}

fn ipc_call_reply_same_space(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    spawn_server(env, ep, &Options::new(ROOT_PRIO))?;
    calls(ep, 3, 0)
}

fn ipc_call_reply_across_address_spaces(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let mut o = Options::new(ROOT_PRIO);
    o.new_vspace = true;
    spawn_server(env, ep, &o)?;
    let badged = Endpoint(ok!(env.a.mint(ep.0, Rights::ALL, 0x42)));
    calls(badged, 100, 0x42)
}

fn ipc_long_call_reply_across_address_spaces(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let mut o = Options::new(ROOT_PRIO);
    o.new_vspace = true;
    spawn_server(env, ep, &o)?;
    let b = buffer::expect_current();
    for i in 4..40 {
        b.set_mr(i, i as u64);
    }
    let r = ipc::call(ep, MessageInfo::new(9, 0, 0, 40), [1, 1, 1, 1]);
    check_eq!((r.info.label(), r.info.length(), r.mrs[0]), (10, 40, 4), "(label, length, MR0) of the reply");
    for i in 4..40 {
        check_eq!(b.mr(i), 2 * i as u64, "MR of the reply");
    }
    Ok(())
}

fn ipc_badge_delivered(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    spawn_server(env, ep, &Options::new(ROOT_PRIO))?;
    let badged = Endpoint(ok!(env.a.mint(ep.0, Rights::ALL, 0x1234)));
    let plain = Endpoint(ok!(env.a.copy(ep.0, Rights::ALL)));
    calls(badged, 1, 0x1234)?;
    calls(plain, 1, 0)?;
    calls(ep, 1, 0)
}

fn ipc_mint_cannot_rebadge(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    spawn_server(env, ep, &Options::new(ROOT_PRIO))?;
    let b1 = ok!(env.a.mint(ep.0, Rights::ALL, 0x11));
    // seL4 refuses to mint a badged capability; keeping the old badge is
    // the only other acceptable outcome.
    if let Ok(b2) = env.a.mint(b1, Rights::ALL, 0x22) {
        calls(Endpoint(b2), 1, 0x11)?;
    }
    calls(Endpoint(b1), 1, 0x11)
}

/// Receives one message into the root-CNode slot given in the argument and
/// records what arrived, including that slot's capability type.
fn cap_receiver(arg: u64) -> u64 {
    let (ep, slot, _) = unpack(arg);
    let b = buffer::expect_current();
    b.set_receive_slot(CNode(0), slot, 64);
    let r = ipc::wait(Endpoint(ep));
    record(&r);
    SEEN[9].store(b.cap_or_badge(0), SeqCst);
    SEEN[10].store(rampart_rt::syscall::debug_cap_identify(slot), SeqCst);
    0
}

/// Sends MR0 = 7 with extra capability `cap` through `via` to a receiver
/// with a receive slot; returns that slot.
fn send_cap(env: &mut Env, ep: Endpoint, via: Endpoint, cap: u64) -> Result<u64, crate::harness::Reason> {
    let slot = ok!(env.a.slot());
    let t = env.spawn(cap_receiver, pack(ep.0, slot, 0), &Options::new(ROOT_PRIO))?;
    ipc::yield_now(); // it waits
    buffer::expect_current().set_cap(0, cap);
    let st = ipc::send(via, MessageInfo::new(0, 0, 1, 1), [7, 0, 0, 0]);
    check_eq!(st.label(), 0, "Send status");
    check!(wait_done(&t), "receiver did not finish");
    check_eq!(seen(5), 7, "MR0 received");
    Ok(slot)
}

fn ipc_cap_transfer_with_grant(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let n = ok!(env.a.notification());
    let slot = send_cap(env, ep, ep, n.0)?;
    check_eq!((seen(2), seen(3)), (1, 0), "(extra caps, unwrapped) received");
    check_eq!(seen(10), CapType::Notification as u64, "type in the receive slot (receiver's view)");
    check_eq!(identify(slot), Some(CapType::Notification), "type in the receive slot");
    check_eq!(identify(n.0), Some(CapType::Notification), "sender's capability after the transfer");
    Ok(())
}

fn ipc_cap_transfer_without_grant(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let n = ok!(env.a.notification());
    let no_grant = Endpoint(ok!(env.a.copy(ep.0, Rights::RW)));
    let slot = send_cap(env, ep, no_grant, n.0)?;
    check_eq!(seen(2), 0, "extra caps received without grant");
    check_eq!(identify(slot), Some(CapType::Null), "receive slot");
    Ok(())
}

fn ipc_badge_unwrapping(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let badged = ok!(env.a.mint(ep.0, Rights::ALL, 0x55));
    let slot = send_cap(env, ep, ep, badged)?;
    check_eq!((seen(2), seen(3), seen(9)), (1, 1, 0x55), "(extra caps, unwrapped mask, badge) received");
    check_eq!(identify(slot), Some(CapType::Null), "receive slot after unwrapping");
    Ok(())
}

fn ipc_nonblocking_without_partner(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    check_eq!(ipc::nb_send(ep, MessageInfo::new(0x99, 0, 0, 1), [5, 0, 0, 0]).label(), 0, "NBSend status");
    let r = ipc::nb_recv(ep, reply.0);
    check_eq!((r.badge, r.info.label()), (0, 0), "(badge, label) of NBRecv with no sender");
    Ok(())
}

/// Serves `ep` forever at a low priority, replying with label 0x5: if the
/// kernel wrongly lets the test block on an endpoint, this unblocks it so
/// the test fails instead of hanging.
fn rescuer(arg: u64) -> u64 {
    let (ep, reply, _) = unpack(arg);
    loop {
        ipc::recv(Endpoint(ep), reply);
        ipc::reply(Reply(reply), MessageInfo::new(0x5, 0, 0, 0), [0; 4]);
    }
}

/// Sends label 0x5 on `ep` forever at a low priority (see [`rescuer`]).
fn rescue_sender(ep: u64) -> u64 {
    loop {
        ipc::send(Endpoint(ep), MessageInfo::new(0x5, 0, 0, 0), [0; 4]);
    }
}

fn ipc_send_needs_write_right(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    env.spawn(rescuer, pack(ep.0, reply.0, 0), &Options::new(ROOT_PRIO - 1))?;
    let ro = Endpoint(ok!(env.a.copy(ep.0, Rights::READ.or(Rights::GRANT))));
    let bad = Error::InvalidCapability as u64;
    check_eq!(ipc::nb_send(ro, MessageInfo::new(1, 0, 0, 0), [0; 4]).label(), bad, "NBSend without write");
    check_eq!(ipc::send(ro, MessageInfo::new(1, 0, 0, 0), [0; 4]).label(), bad, "Send without write");
    check_eq!(ipc::call(ro, MessageInfo::new(1, 0, 0, 0), [0; 4]).info.label(), bad, "Call without write");
    Ok(())
}

fn ipc_recv_needs_read_right(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    env.spawn(rescue_sender, ep.0, &Options::new(ROOT_PRIO - 1))?;
    let wo = Endpoint(ok!(env.a.copy(ep.0, Rights::WRITE)));
    let bad = Error::InvalidCapability as u64;
    check_eq!(ipc::nb_recv(wo, reply.0).info.label(), bad, "NBRecv without read");
    check_eq!(ipc::recv(wo, reply.0).info.label(), bad, "Recv without read");
    check_eq!(ipc::wait(wo).info.label(), bad, "Wait without read");
    Ok(())
}

fn ipc_syscalls_on_invalid_caps(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let f = ok!(env.a.frame());
    let bad = Error::InvalidCapability as u64;
    let m = MessageInfo::new(1, 0, 0, 0);
    // Empty and unresolvable capabilities.
    for c in [0u64, ok!(env.a.slot()), 1 << 50] {
        check_eq!(ipc::send(c, m, [0; 4]).label(), bad, "Send on no capability");
        check_eq!(ipc::nb_send(c, m, [0; 4]).label(), bad, "NBSend on no capability");
        check_eq!(ipc::call(c, m, [0; 4]).info.label(), bad, "Call on no capability");
        check_eq!(ipc::signal(c).label(), bad, "Signal on no capability");
    }
    // Receiving needs an endpoint or notification (sending to a kernel
    // object is an invocation, answered with that object's error).
    for c in [0u64, f.0, 1 << 50] {
        check_eq!(ipc::recv(c, reply.0).info.label(), bad, "Recv on a non-endpoint");
        check_eq!(ipc::nb_recv(c, reply.0).info.label(), bad, "NBRecv on a non-endpoint");
        check_eq!(ipc::wait(c).info.label(), bad, "Wait on a non-endpoint");
    }
    // The reply argument must be a reply object.
    check_eq!(ipc::nb_recv(ep, f.0).info.label(), bad, "NBRecv with a frame as reply object");
    check_eq!(ipc::reply_recv(ep, m, [0; 4], Reply(f.0)).info.label(), bad, "ReplyRecv with a frame as reply");
    Ok(())
}

fn ipc_cancel_badged_sends(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let b5 = ok!(env.a.mint(ep.0, Rights::ALL, 5));
    let b6 = ok!(env.a.mint(ep.0, Rights::ALL, 6));
    for cap in [b5, b6] {
        env.spawn(
            |c| ipc::send(Endpoint(c), MessageInfo::new(1, 0, 0, 0), [0; 4]).label(),
            cap,
            &Options::new(ROOT_PRIO),
        )?;
        ipc::yield_now(); // it blocks in Send
    }
    ok!(crate::harness::ROOT.cancel_badged_sends(b5, 64));
    let r = ipc::recv(ep, reply.0);
    check_eq!(r.badge, 6, "badge of the first message after cancelling badge 5");
    Ok(())
}

fn ipc_passive_server_runs_on_callers_sc(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let mut o = Options::new(ROOT_PRIO + 1);
    o.new_vspace = true;
    let t = spawn_server(env, ep, &o)?;
    // It ran at once (higher priority) and waits in Recv: take its SC away.
    ok!(t.sc.unbind_object(t.tcb.0));
    check!(t.sc.unbind_object(t.tcb.0).is_err(), "second unbind from the server succeeded");
    calls(ep, 5, 0)
}

/// Label a caller gets when the reply object holding it is destroyed
/// (docs/kernel.md; not yet a constant of the ABI crate).
const LABEL_IPC_ABORTED: u64 = (1 << 52) - 1;

/// Takes one call and never replies: waits on a notification nobody signals.
fn silent_server(arg: u64) -> u64 {
    let (ep, reply, ntfn) = unpack(arg);
    ipc::recv(Endpoint(ep), reply);
    ipc::wait(ntfn);
    0
}

fn ipc_caller_resumes_when_reply_object_deleted(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let n = ok!(env.a.notification());
    env.spawn(silent_server, pack(ep.0, reply.0, n.0), &Options::new(ROOT_PRIO + 1))?;
    // Runs once the test is blocked waiting for the reply.
    env.spawn(|r| crate::harness::ROOT.delete(r, 64).is_ok() as u64, reply.0, &Options::new(ROOT_PRIO - 1))?;
    let r = ipc::call(ep, MessageInfo::new(1, 0, 0, 0), [0; 4]);
    check_eq!(r.info.label(), LABEL_IPC_ABORTED, "label after the reply object was deleted");
    check_eq!(identify(reply.0), Some(CapType::Null), "reply object slot");
    Ok(())
}
