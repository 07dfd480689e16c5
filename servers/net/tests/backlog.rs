//! Listen backlogs (issue 21, "a network that holds its load"): a burst
//! of connections arriving in one batch of frames is queued in the
//! listener's backlog, not reset; the backlog bounds what a listener
//! holds; an idle listener with a large backlog costs only a few sockets.

mod common;

use common::Client;
use common::*;
use rampart_net_api::*;

/// `n` non-blocking connection attempts from `ca` to `IP_B:port`, all
/// started before the world runs (their SYNs leave in one batch).
fn burst(w: &mut World, ca: Client, port: u16, n: usize) -> Vec<Handle> {
    (0..n)
        .map(|_| {
            let s = w.socket(ca, SockType::Stream, true).unwrap();
            assert_eq!(w.connect(ca, s, SockAddr { ip: IP_B, port }), Err(errno::EINPROGRESS));
            s
        })
        .collect()
}

fn so_error(w: &mut World, c: Client, s: Handle) -> Option<Errno> {
    match w.call(c, Request::GetSockOpt { handle: s, name: OptName::Error }) {
        Response::Opt(SockOpt::Error(e)) => e,
        r => panic!("SO_ERROR: {r:?}"),
    }
}

fn listen(w: &mut World, c: Client, port: u16, backlog: u32) -> Handle {
    let l = w.socket(c, SockType::Stream, false).unwrap();
    w.bind(c, l, port).unwrap();
    w.ok(c, Request::Listen { handle: l, backlog }).unwrap();
    l
}

#[test]
fn a_burst_of_a_hundred_connections_is_queued_not_reset() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    // Resolve the link-layer addresses first, so the SYNs go in one batch.
    let _warm = w.tcp_pair(ca, cb, 7999);
    let l = listen(&mut w, cb, 8080, 128);
    let socks = burst(&mut w, ca, 8080, 100);
    w.run_for(200);
    for (i, &s) in socks.iter().enumerate() {
        assert_eq!(so_error(&mut w, ca, s), None, "connection {i} failed");
        w.send_all(ca, s, format!("client {i}").as_bytes());
    }
    let mut seen = vec![];
    for _ in 0..100 {
        let (acc, _) = w.accept(cb, l).unwrap();
        seen.push(String::from_utf8(w.recv(cb, acc, 100).unwrap()).unwrap());
    }
    seen.sort();
    let mut want: Vec<String> = (0..100).map(|i| format!("client {i}")).collect();
    want.sort();
    assert_eq!(seen, want);
}

#[test]
fn the_backlog_bounds_pending_connections_and_frees_with_accept() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let _warm = w.tcp_pair(ca, cb, 7999);
    let l = listen(&mut w, cb, 8080, 4);
    let before = w.b.srv.stack.socket_count();
    let socks = burst(&mut w, ca, 8080, 10);
    w.run_for(200);
    let ok = socks.iter().filter(|&&s| so_error(&mut w, ca, s).is_none()).count();
    assert_eq!(ok, 4, "a backlog of 4 holds 4 pending connections");
    // The pool never grew past its backlog.
    assert!(w.b.srv.stack.socket_count() <= before + 4, "{} > {before} + 4", w.b.srv.stack.socket_count());
    // Accepting makes room: the port listens again.
    let (_acc, _) = w.accept(cb, l).unwrap();
    let again = burst(&mut w, ca, 8080, 1)[0];
    w.run_for(200);
    assert_eq!(so_error(&mut w, ca, again), None);
}

#[test]
fn an_idle_listener_costs_a_few_sockets_whatever_its_backlog() {
    let mut w = World::new();
    let cb = w.client(Side::B, ROOT);
    let before = w.b.srv.stack.socket_count();
    // Linux clamps the backlog silently (to somaxconn); so does Rampart.
    let _l = listen(&mut w, cb, 8080, u32::MAX);
    w.run_for(10);
    let grown = w.b.srv.stack.socket_count() - before;
    assert!((1..=2).contains(&grown), "an idle listener holds {grown} smoltcp sockets");
}

#[test]
fn pool_sockets_count_in_the_server_limit() {
    // A server allowing 8 sockets: a listener whose backlog fills takes
    // its share, and a new socket past the limit gets ENOBUFS.
    let mut cfg_b = static_cfg(IP_B);
    cfg_b.max_sockets = 8;
    let mut w = World::with(static_cfg(IP_A), cfg_b);
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let _l = listen(&mut w, cb, 8080, 128);
    let socks = burst(&mut w, ca, 8080, 20);
    w.run_for(500);
    let ok = socks.iter().filter(|&&s| so_error(&mut w, ca, s).is_none()).count();
    // The listener itself is one of the 8.
    assert_eq!(ok, 7);
    assert_eq!(w.socket(cb, SockType::Stream, false), Err(errno::ENOBUFS));
}
