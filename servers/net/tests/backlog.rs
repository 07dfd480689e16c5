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

/// TCP flags of `f` if it is an IPv4 TCP segment: (source port,
/// destination port, flags).
fn tcp_flags(f: &[u8]) -> Option<(u16, u16, u8)> {
    if f.len() < 14 + 20 + 20 || f[12..14] != [0x08, 0x00] || f[14 + 9] != 6 {
        return None;
    }
    let tcp = 14 + usize::from(f[14] & 0x0f) * 4;
    let t = f.get(tcp..tcp + 14)?;
    Some((u16::from_be_bytes([t[0], t[1]]), u16::from_be_bytes([t[2], t[3]]), t[13]))
}

/// SYN frames held back, by client port.
type Held = std::rc::Rc<std::cell::RefCell<Vec<(u16, Vec<u8>)>>>;

/// A client whose SYN is retransmitted after the server's SYN-ACK has left
/// (QEMU's user network does this when a slow guest answers after its
/// ~3 s retransmission timeout) must not lose its connection: the
/// duplicate SYN must not start a second handshake in a fresh pool socket,
/// whose reset to the client's ACK would end the first (found as
/// "Connection reset by peer" from 100 concurrent clients under TCG).
#[test]
fn a_retransmitted_syn_does_not_reset_the_connection() {
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const RST: u8 = 0x04;
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    // Connections made and closed first leave free slots low in B's socket
    // set, where the pool's new LISTEN sockets then go: ahead of the
    // socket in SYN-RECEIVED when smoltcp looks for one taking a segment.
    let la = listen(&mut w, ca, 7000, 16);
    let clients: Vec<Handle> = (0..6)
        .map(|_| {
            let s = w.socket(cb, SockType::Stream, false).unwrap();
            w.connect(cb, s, SockAddr { ip: IP_A, port: 7000 }).unwrap();
            s
        })
        .collect();
    let l = listen(&mut w, cb, 8080, 16);
    for s in clients {
        let (acc, _) = w.accept(ca, la).unwrap();
        w.close(ca, acc);
        w.close(cb, s);
    }
    let before = w.b.srv.stack.socket_count();
    w.run_for(30_000);
    assert!(w.b.srv.stack.socket_count() + 6 <= before, "{} sockets, {before} before", w.b.srv.stack.socket_count());
    let b_rx = w.b_rx();
    let syns: Held = Default::default();
    let resets = std::rc::Rc::new(std::cell::Cell::new(0));
    let (s2, r2) = (syns.clone(), resets.clone());
    w.filter = Some(Box::new(move |f: Vec<u8>| {
        match tcp_flags(&f) {
            Some((sport, 8080, fl)) if fl & (SYN | ACK) == SYN => s2.borrow_mut().push((sport, f.clone())),
            Some((8080, dport, fl)) if fl & (SYN | ACK) == SYN | ACK => {
                // The SYN-ACK is on its way: the client's SYN comes again.
                let mut s = s2.borrow_mut();
                if let Some(i) = s.iter().position(|(p, _)| *p == dport) {
                    b_rx.push(s.remove(i).1);
                }
            }
            Some((8080, _, fl)) if fl & RST != 0 => r2.set(r2.get() + 1),
            _ => {}
        }
        Some(f)
    }));
    let socks = burst(&mut w, ca, 8080, 2);
    w.run_for(3_000);
    for (i, &s) in socks.iter().enumerate() {
        assert_eq!(so_error(&mut w, ca, s), None, "connection {i} failed");
        w.send_all(ca, s, format!("client {i}").as_bytes());
    }
    assert_eq!(resets.get(), 0, "the server reset a connection");
    assert_eq!(w.b.srv.stack.phy_stats().rx_dup_syn, 2, "both duplicates dropped");
    let mut seen = vec![];
    for _ in 0..socks.len() {
        let (acc, _) = w.accept(cb, l).unwrap();
        seen.push(String::from_utf8(w.recv(cb, acc, 100).unwrap()).unwrap());
    }
    seen.sort();
    let mut want: Vec<String> = (0..socks.len()).map(|i| format!("client {i}")).collect();
    want.sort();
    assert_eq!(seen, want);
}

/// The duplicate-SYN check reads untrusted frames: every prefix of a real
/// SYN frame and every byte flipped gives an answer, never a panic, and
/// only the whole, unflipped SYN is recognised with its four-tuple.
#[test]
fn syn_recognition_survives_truncated_and_flipped_frames() {
    use rampart_net::device::syn_tuple;
    let mut syn = vec![0u8; 14 + 20 + 20];
    syn[12..14].copy_from_slice(&[0x08, 0x00]);
    syn[14] = 0x45;
    syn[14 + 9] = 6;
    syn[14 + 12..14 + 16].copy_from_slice(&IP_A);
    syn[14 + 20..14 + 22].copy_from_slice(&49153u16.to_be_bytes());
    syn[14 + 22..14 + 24].copy_from_slice(&8080u16.to_be_bytes());
    syn[14 + 20 + 13] = 0x02;
    assert_eq!(syn_tuple(&syn), Some((IP_A, 49153, 8080)));
    for n in 0..syn.len() {
        let _ = syn_tuple(&syn[..n]);
    }
    for i in 0..syn.len() {
        for bit in 0..8 {
            let mut f = syn.clone();
            f[i] ^= 1 << bit;
            let _ = syn_tuple(&f);
        }
    }
    let mut synack = syn.clone();
    synack[14 + 20 + 13] = 0x12;
    assert_eq!(syn_tuple(&synack), None, "a SYN-ACK is no new connection");
    let mut frag = syn.clone();
    frag[14 + 7] = 1;
    assert_eq!(syn_tuple(&frag), None, "a later fragment has no TCP header");
}
