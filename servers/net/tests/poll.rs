//! Readiness: `Poll` now, blocking with and without timeouts, and
//! notification arming for waiting on sockets and files together.

mod common;

use common::*;
use rampart_net::Outcome;
use rampart_net_api::*;

#[test]
fn readiness_of_listeners_streams_and_datagrams() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let l = w.listener(cb, 8080);
    let all = Events::IN | Events::OUT | Events::RDHUP;
    assert_eq!(w.poll(cb, &[(l, all)], Wait::Now), vec![Events::NONE]);
    let s = w.socket(ca, SockType::Stream, false).unwrap();
    // A fresh stream socket is hung up (not connected).
    assert_eq!(w.poll(ca, &[(s, all)], Wait::Now), vec![Events::HUP]);
    w.connect(ca, s, SockAddr { ip: IP_B, port: 8080 }).unwrap();
    w.run_for(2);
    assert_eq!(w.poll(cb, &[(l, all)], Wait::Now), vec![Events::IN]);
    let (acc, _) = w.accept(cb, l).unwrap();
    assert_eq!(w.poll(cb, &[(l, all), (acc, all)], Wait::Now), vec![Events::NONE, Events::OUT]);
    w.send_all(ca, s, b"data");
    w.run_for(2);
    assert_eq!(w.poll(cb, &[(acc, all)], Wait::Now), vec![Events::IN | Events::OUT]);
    // Only the events asked for (plus the always-reported ones).
    assert_eq!(w.poll(cb, &[(acc, Events::IN)], Wait::Now), vec![Events::IN]);
    assert_eq!(w.recv(cb, acc, 10).unwrap(), b"data");
    w.ok(ca, Request::Shutdown { handle: s, how: How::Write }).unwrap();
    w.run_for(2);
    assert_eq!(w.poll(cb, &[(acc, all)], Wait::Now), vec![Events::IN | Events::OUT | Events::RDHUP]);
    // Datagram sockets: writable at once, readable with a datagram.
    let u = w.socket(ca, SockType::Dgram, false).unwrap();
    w.bind(ca, u, 5353).unwrap();
    assert_eq!(w.poll(ca, &[(u, all)], Wait::Now), vec![Events::OUT]);
    let ub = w.socket(cb, SockType::Dgram, false).unwrap();
    w.send_to(cb, ub, b"x", SockAddr { ip: IP_A, port: 5353 }).unwrap();
    w.run_for(2);
    assert_eq!(w.poll(ca, &[(u, all)], Wait::Now), vec![Events::IN | Events::OUT]);
    // Unknown handles are reported, whatever was asked.
    assert_eq!(w.poll(ca, &[(Handle(4242), Events::NONE)], Wait::Now), vec![Events::NVAL]);
}

#[test]
fn blocking_poll_waits_for_the_first_ready_socket() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s1, a1) = w.tcp_pair(ca, cb, 8080);
    let (s2, a2) = w.tcp_pair(ca, cb, 8081);
    let items = vec![PollItem { handle: a1, events: Events::IN }, PollItem { handle: a2, events: Events::IN }];
    let Outcome::Held(t) = w.start(cb, Request::Poll { items, wait: Wait::Block { timeout_ms: None } }) else {
        panic!("poll should wait")
    };
    w.run_for(500);
    assert!(w.b.replies.is_empty());
    let _ = s1;
    w.send_all(ca, s2, b"second");
    assert_eq!(w.wait(Side::B, t, 100), Some(Response::Ready(vec![Events::NONE, Events::IN])));
    let _ = a2;
}

#[test]
fn poll_timeout_answers_with_nothing_ready() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (_s, acc) = w.tcp_pair(ca, cb, 8080);
    let before = w.now;
    let r = w.poll(cb, &[(acc, Events::IN)], Wait::Block { timeout_ms: Some(300) });
    assert_eq!(r, vec![Events::NONE]);
    assert!((300..400).contains(&(w.now - before)), "waited {} ms", w.now - before);
    // A zero timeout is an immediate answer.
    assert!(matches!(
        w.start(
            cb,
            Request::Poll {
                items: vec![PollItem { handle: acc, events: Events::IN }],
                wait: Wait::Block { timeout_ms: Some(0) }
            }
        ),
        Outcome::Reply(Response::Ready(_))
    ));
}

#[test]
fn notification_arming_signals_once() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, acc) = w.tcp_pair(ca, cb, 8080);
    let item = vec![PollItem { handle: acc, events: Events::IN }];
    // Arming needs a notification.
    let r = w.call(cb, Request::Poll { items: item.clone(), wait: Wait::Notify });
    assert_eq!(r, Response::Err(Errno::EINVAL));
    assert_eq!(w.call(cb, Request::AttachNotification), Response::Ok);
    assert_eq!(
        w.call(cb, Request::Poll { items: item.clone(), wait: Wait::Notify }),
        Response::Ready(vec![Events::NONE])
    );
    w.run_for(100);
    assert!(w.b.signals.is_empty());
    w.send_all(ca, s, b"ding");
    w.run_for(5);
    assert_eq!(w.b.signals, vec![cb.conn]);
    // One-shot: more data does not signal again until re-armed; re-arming
    // with something ready answers at once instead.
    w.send_all(ca, s, b"dong");
    w.run_for(5);
    assert_eq!(w.b.signals.len(), 1);
    assert_eq!(w.call(cb, Request::Poll { items: item, wait: Wait::Notify }), Response::Ready(vec![Events::IN]));
    w.run_for(5);
    assert_eq!(w.b.signals.len(), 1);
}

#[test]
fn held_operations_are_bounded_per_connection() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (_s, acc) = w.tcp_pair(ca, cb, 8080);
    let recv = Request::Recv { handle: acc, region_offset: 0, len: 1, flags: MsgFlags(0) };
    let limit = rampart_net::Config::default().max_held;
    for _ in 0..limit {
        assert!(matches!(w.start(cb, recv.clone()), Outcome::Held(_)));
    }
    assert_eq!(w.start(cb, recv), Outcome::Reply(Response::Err(errno::ENOBUFS)));
    // Disconnecting drops them all (the tickets come back for cleanup).
    assert_eq!(w.b.srv.disconnect(cb.conn).len(), limit);
    assert_eq!(w.b.srv.held_count(), 0);
}

#[test]
fn a_cancelled_operation_is_never_answered_and_frees_its_place() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, acc) = w.tcp_pair(ca, cb, 8080);
    let recv = Request::Recv { handle: acc, region_offset: 0, len: 8, flags: MsgFlags(0) };
    let Outcome::Held(t) = w.start(cb, recv.clone()) else { panic!("recv should wait") };
    assert!(w.b.srv.cancel(t));
    assert!(!w.b.srv.cancel(t), "a ticket is cancelled once");
    assert_eq!(w.b.srv.held_count(), 0);
    // Data arriving later goes to the next receive, not the cancelled one.
    w.send_all(ca, s, b"later");
    assert_eq!(w.wait(Side::B, t, 20), None);
    assert_eq!(w.recv(cb, acc, 8).unwrap(), b"later");
}
