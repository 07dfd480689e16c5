//! TCP between two stacks on the in-memory wire: connect/accept, data
//! both ways, a 10 MiB transfer with partial reads, end of stream,
//! refusal, addresses, port reuse, non-blocking mode, close semantics.

mod common;

use common::*;
use rampart_net::Outcome;
use rampart_net_api::*;

#[test]
fn connect_accept_and_echo_both_ways() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, acc) = w.tcp_pair(ca, cb, 8080);
    assert_eq!(w.send(ca, s, b"hello from the guest", MsgFlags(0)), Ok(20));
    assert_eq!(w.recv(cb, acc, 100).unwrap(), b"hello from the guest");
    w.send_all(cb, acc, b"and hello back");
    assert_eq!(w.recv(ca, s, 100).unwrap(), b"and hello back");
}

#[test]
fn ten_mib_with_checksum_and_partial_reads() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, acc) = w.tcp_pair(ca, cb, 5000);
    let data = pattern(10 << 20, 42);
    let want = fnv(&data);
    // Both sides non-blocking; the sender offers up to 256 KiB at a time,
    // the receiver reads odd-sized pieces. Every send is partial (the
    // socket buffer is 64 KiB), every read at most what was asked.
    for (c, h) in [(ca, s), (cb, acc)] {
        w.ok(c, Request::SetNonBlocking { handle: h, on: true }).unwrap();
    }
    let t0 = std::time::Instant::now();
    let (mut sent, mut got) = (0usize, Vec::with_capacity(data.len()));
    let (mut partial_sends, mut reads) = (0u32, 0u32);
    let mut sizes = pattern(4096, 7).into_iter().cycle();
    while got.len() < data.len() {
        if sent < data.len() {
            let n = (data.len() - sent).min(256 << 10);
            match w.send(ca, s, &data[sent..sent + n], MsgFlags(0)) {
                Ok(k) => {
                    assert!(k > 0 && k <= n);
                    partial_sends += u32::from(k < n);
                    sent += k;
                }
                Err(e) => assert_eq!(e, Errno::EAGAIN),
            }
        }
        loop {
            let want_len = 1 + usize::from(sizes.next().unwrap()) * 97;
            match w.recv(cb, acc, want_len) {
                Ok(b) => {
                    assert!(!b.is_empty() && b.len() <= want_len);
                    reads += 1;
                    got.extend_from_slice(&b);
                }
                Err(e) => {
                    assert_eq!(e, Errno::EAGAIN);
                    break;
                }
            }
        }
        w.step();
    }
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(got.len(), data.len());
    assert_eq!(fnv(&got), want, "checksum");
    assert!(partial_sends > 10, "sends were partial: {partial_sends}");
    assert!(reads > 500, "reads: {reads}");
    eprintln!(
        "10 MiB over the in-memory wire: {secs:.2} s wall ({:.1} MiB/s), {reads} reads, {partial_sends} partial sends, {} ms virtual",
        10.0 / secs,
        w.now
    );
}

#[test]
fn end_of_stream_after_shutdown_and_close() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, acc) = w.tcp_pair(ca, cb, 5001);
    w.send_all(ca, s, b"last words");
    w.ok(ca, Request::Shutdown { handle: s, how: How::Write }).unwrap();
    assert_eq!(w.recv_to_end(cb, acc), b"last words");
    // The write half is closed; the read half still works.
    assert_eq!(w.send(ca, s, b"x", MsgFlags(0)), Err(errno::EPIPE));
    w.send_all(cb, acc, b"reply after FIN");
    assert_eq!(w.recv(ca, s, 100).unwrap(), b"reply after FIN");
    w.close(cb, acc);
    assert_eq!(w.recv(ca, s, 100).unwrap(), b"");
    w.close(ca, s);
    // Both sides' connections finish closing and their ports are freed.
    w.run_for(30_000);
    assert_eq!(w.a.srv.lingering_count(), 0);
    assert_eq!(w.b.srv.lingering_count(), 0);
}

#[test]
fn disconnecting_client_closes_its_connections_gracefully() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, _acc) = w.tcp_pair(ca, cb, 5002);
    w.send_all(ca, s, b"unread");
    // B's client goes away: its sockets close (FIN), the listener too.
    w.b.srv.disconnect(cb.conn);
    assert_eq!(w.recv(ca, s, 10).unwrap(), b"");
    let s2 = w.socket(ca, SockType::Stream, false).unwrap();
    assert_eq!(w.connect(ca, s2, SockAddr { ip: IP_B, port: 5002 }), Err(errno::ECONNREFUSED));
}

#[test]
fn peer_reset_is_reported_once() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, _acc) = w.tcp_pair(ca, cb, 5003);
    // B reboots: A's next segment is answered with a reset.
    w.restart_b();
    assert_eq!(w.send(ca, s, b"anyone there?", MsgFlags(0)), Ok(13));
    // (B first resolves A's address, so the reset answers A's retransmission.)
    let r = w.poll(ca, &[(s, Events::IN)], Wait::Block { timeout_ms: Some(5000) });
    assert_eq!(r, vec![Events::IN | Events::HUP]);
    assert_eq!(w.recv(ca, s, 10), Err(errno::ECONNRESET));
    assert_eq!(w.recv(ca, s, 10).unwrap(), b"");
    assert_eq!(w.send(ca, s, b"x", MsgFlags(0)), Err(errno::EPIPE));
}

#[test]
fn connection_refused_and_retry() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let s = w.socket(ca, SockType::Stream, false).unwrap();
    assert_eq!(w.connect(ca, s, SockAddr { ip: IP_B, port: 7000 }), Err(errno::ECONNREFUSED));
    // The same socket may try again once someone listens.
    let l = w.listener(cb, 7000);
    w.connect(ca, s, SockAddr { ip: IP_B, port: 7000 }).unwrap();
    assert!(w.accept(cb, l).is_ok());
    assert_eq!(w.connect(ca, s, SockAddr { ip: IP_B, port: 7000 }), Err(errno::EISCONN));
}

#[test]
fn unreachable_and_timed_out_connections() {
    let mut w = World::new();
    let ca = w.client(Side::A, USER);
    let s = w.socket(ca, SockType::Stream, false).unwrap();
    // 10.0.2.99 is on the link but nobody answers ARP: the attempt times out.
    assert_eq!(w.connect(ca, s, SockAddr::new(10, 0, 2, 99, 5000)), Err(errno::ETIMEDOUT));
    assert!(w.now >= 60_000);
    // Node B has no gateway: off-link destinations are unreachable.
    let cb = w.client(Side::B, ROOT);
    let s = w.socket(cb, SockType::Stream, false).unwrap();
    assert_eq!(w.connect(cb, s, SockAddr::new(8, 8, 8, 8, 5000)), Err(errno::ENETUNREACH));
    assert_eq!(w.connect(cb, s, SockAddr::new(10, 0, 2, 15, 0)), Err(Errno::EINVAL));
}

#[test]
fn names_of_both_ends() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, acc) = w.tcp_pair(ca, cb, 8080);
    let Response::Addr(local) = w.call(ca, Request::GetSockName { handle: s }) else { panic!() };
    assert_eq!(local.ip, IP_A);
    assert!(local.port >= 49152, "ephemeral port {local}");
    assert_eq!(w.call(ca, Request::GetPeerName { handle: s }), Response::Addr(SockAddr { ip: IP_B, port: 8080 }));
    assert_eq!(w.call(cb, Request::GetPeerName { handle: acc }), Response::Addr(local));
    assert_eq!(w.call(cb, Request::GetSockName { handle: acc }), Response::Addr(SockAddr { ip: IP_B, port: 8080 }));
    let fresh = w.socket(ca, SockType::Stream, false).unwrap();
    assert_eq!(w.call(ca, Request::GetPeerName { handle: fresh }), Response::Err(errno::ENOTCONN));
    assert_eq!(w.call(ca, Request::GetSockName { handle: fresh }), Response::Addr(SockAddr::UNSPECIFIED));
    assert_eq!(
        w.call(ca, Request::GetSockOpt { handle: fresh, name: OptName::Type }),
        Response::Opt(SockOpt::Type(SockType::Stream))
    );
}

#[test]
fn ports_in_use_and_reuse_addr() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, acc) = w.tcp_pair(ca, cb, 6000);
    let dup = w.socket(cb, SockType::Stream, false).unwrap();
    assert_eq!(w.bind(cb, dup, 6000), Err(errno::EADDRINUSE));
    // The listener goes; the accepted connection still uses the port.
    let _ = s;
    w.close(cb, Handle(1));
    let again = w.socket(cb, SockType::Stream, false).unwrap();
    assert_eq!(w.bind(cb, again, 6000), Err(errno::EADDRINUSE));
    w.ok(cb, Request::SetSockOpt { handle: again, opt: SockOpt::ReuseAddr(true) }).unwrap();
    assert!(w.bind(cb, again, 6000).is_ok());
    w.ok(cb, Request::Listen { handle: again, backlog: 4 }).unwrap();
    // A second connection reaches the new listener; the old one still works.
    let s2 = w.socket(ca, SockType::Stream, false).unwrap();
    w.connect(ca, s2, SockAddr { ip: IP_B, port: 6000 }).unwrap();
    let (acc2, _) = w.accept(cb, again).unwrap();
    w.send_all(ca, s2, b"two");
    assert_eq!(w.recv(cb, acc2, 10).unwrap(), b"two");
    w.send_all(cb, acc, b"one");
    assert_eq!(w.recv(ca, s, 10).unwrap(), b"one");
    // Binding twice, or an address the interface does not have.
    assert_eq!(w.bind(cb, again, 6001), Err(Errno::EINVAL));
    let other = w.socket(cb, SockType::Stream, false).unwrap();
    let r = w.call(cb, Request::Bind { handle: other, addr: SockAddr::new(10, 0, 2, 77, 6002) });
    assert_eq!(r, Response::Err(errno::EADDRNOTAVAIL));
}

#[test]
fn backlog_holds_several_pending_connections() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let l = w.listener(cb, 8080);
    let mut clients = vec![];
    for _ in 0..5 {
        let s = w.socket(ca, SockType::Stream, false).unwrap();
        w.connect(ca, s, SockAddr { ip: IP_B, port: 8080 }).unwrap();
        clients.push(s);
    }
    for (i, &s) in clients.iter().enumerate() {
        w.send_all(ca, s, format!("client {i}").as_bytes());
    }
    let mut seen = vec![];
    for _ in 0..5 {
        let (acc, _) = w.accept(cb, l).unwrap();
        seen.push(String::from_utf8(w.recv(cb, acc, 100).unwrap()).unwrap());
    }
    seen.sort();
    assert_eq!(seen, (0..5).map(|i| format!("client {i}")).collect::<Vec<_>>());
}

#[test]
fn non_blocking_calls_answer_eagain_or_einprogress() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let l = w.listener(cb, 8080);
    w.ok(cb, Request::SetNonBlocking { handle: l, on: true }).unwrap();
    assert_eq!(w.call(cb, Request::Accept { handle: l, nonblocking: true }), Response::Err(Errno::EAGAIN));
    let s = w.socket(ca, SockType::Stream, true).unwrap();
    assert_eq!(w.connect(ca, s, SockAddr { ip: IP_B, port: 8080 }), Err(errno::EINPROGRESS));
    assert_eq!(w.connect(ca, s, SockAddr { ip: IP_B, port: 8080 }), Err(errno::EALREADY));
    // The outcome shows as writability and SO_ERROR.
    let r = w.poll(ca, &[(s, Events::OUT)], Wait::Block { timeout_ms: Some(1000) });
    assert_eq!(r, vec![Events::OUT]);
    assert_eq!(
        w.call(ca, Request::GetSockOpt { handle: s, name: OptName::Error }),
        Response::Opt(SockOpt::Error(None))
    );
    // The handshake's last ACK reaches B a moment later.
    w.run_for(2);
    let Response::Accepted { handle: acc, .. } = w.call(cb, Request::Accept { handle: l, nonblocking: true }) else {
        panic!("accept")
    };
    assert_eq!(w.recv_from(cb, acc, 10, MsgFlags(0)), Err(Errno::EAGAIN));
    // DONTWAIT on a blocking socket.
    let (s2, acc2) = w.tcp_pair(ca, cb, 8081);
    let _ = s2;
    assert_eq!(w.recv_from(cb, acc2, 10, MsgFlags::DONTWAIT), Err(Errno::EAGAIN));
    // A full send buffer: EAGAIN once nothing fits.
    let big = pattern(256 << 10, 3);
    let mut queued = 0;
    loop {
        match w.send(ca, s, &big, MsgFlags(0)) {
            Ok(n) => queued += n,
            Err(e) => {
                assert_eq!(e, Errno::EAGAIN);
                break;
            }
        }
    }
    assert!(queued >= 64 << 10, "queued {queued}");
    // A refused non-blocking connection reports ECONNREFUSED via SO_ERROR.
    let s3 = w.socket(ca, SockType::Stream, true).unwrap();
    assert_eq!(w.connect(ca, s3, SockAddr { ip: IP_B, port: 9999 }), Err(errno::EINPROGRESS));
    let r = w.poll(ca, &[(s3, Events::OUT)], Wait::Block { timeout_ms: Some(1000) });
    assert!(r[0].contains(Events::ERR), "{r:?}");
    let e = w.call(ca, Request::GetSockOpt { handle: s3, name: OptName::Error });
    assert_eq!(e, Response::Opt(SockOpt::Error(Some(errno::ECONNREFUSED))));
}

#[test]
fn blocking_recv_is_held_until_data_arrives() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, acc) = w.tcp_pair(ca, cb, 8080);
    let Outcome::Held(t) = w.start(cb, Request::Recv { handle: acc, region_offset: 100, len: 50, flags: MsgFlags(0) })
    else {
        panic!("recv should be held")
    };
    // The server keeps serving others meanwhile.
    let other = w.client(Side::B, ROOT);
    assert!(w.socket(other, SockType::Dgram, false).is_ok());
    w.run_for(50);
    assert!(w.b.replies.is_empty());
    w.send_all(ca, s, b"finally");
    let r = w.wait(Side::B, t, 1000).unwrap();
    assert_eq!(r, Response::Received { len: 7, from: None, truncated: false });
    assert_eq!(&w.region(cb)[100..107], b"finally");
    // A receive timeout gives EAGAIN.
    w.ok(cb, Request::SetSockOpt { handle: acc, opt: SockOpt::RecvTimeout(Some(200)) }).unwrap();
    let before = w.now;
    assert_eq!(w.recv(cb, acc, 10), Err(Errno::EAGAIN));
    assert!(w.now - before >= 200);
}

#[test]
fn closing_a_handle_fails_its_held_operations() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let l = w.listener(cb, 8080);
    let Outcome::Held(t) = w.start(cb, Request::Accept { handle: l, nonblocking: false }) else { panic!() };
    w.close(cb, l);
    assert_eq!(w.wait(Side::B, t, 10), Some(Response::Err(Errno::EBADF)));
    // The port is free again, and nothing listens.
    let s = w.socket(ca, SockType::Stream, false).unwrap();
    assert_eq!(w.connect(ca, s, SockAddr { ip: IP_B, port: 8080 }), Err(errno::ECONNREFUSED));
    let l2 = w.socket(cb, SockType::Stream, false).unwrap();
    assert!(w.bind(cb, l2, 8080).is_ok());
    // Disconnecting drops held requests and every socket.
    let Outcome::Held(_) = w.start(cb, Request::Recv { handle: l2, region_offset: 0, len: 1, flags: MsgFlags(0) })
    else {
        return;
    };
    panic!("recv on an unconnected stream must fail at once");
}

#[test]
fn errors_for_wrong_states_and_handles() {
    let mut w = World::new();
    let ca = w.client(Side::A, USER);
    let s = w.socket(ca, SockType::Stream, false).unwrap();
    assert_eq!(w.recv(ca, s, 10), Err(errno::ENOTCONN));
    assert_eq!(w.send(ca, s, b"x", MsgFlags(0)), Err(errno::ENOTCONN));
    assert_eq!(w.ok(ca, Request::Shutdown { handle: s, how: How::Both }), Err(errno::ENOTCONN));
    assert_eq!(w.call(ca, Request::Accept { handle: s, nonblocking: false }), Response::Err(Errno::EINVAL));
    assert_eq!(w.recv(ca, Handle(999), 10), Err(Errno::EBADF));
    assert_eq!(w.ok(ca, Request::Close { handle: Handle(999) }), Err(Errno::EBADF));
    let r = w.call(ca, Request::Socket { domain: Domain::Inet6, ty: SockType::Stream, nonblocking: false });
    assert_eq!(r, Response::Err(errno::EAFNOSUPPORT));
    // Region bounds.
    let r = w.call(ca, Request::Send { handle: s, region_offset: REGION as u32, len: 1, flags: MsgFlags(0), to: None });
    assert_eq!(r, Response::Err(Errno::EFAULT));
    let r = w.call(ca, Request::Recv { handle: s, region_offset: u32::MAX, len: u32::MAX, flags: MsgFlags(0) });
    assert_eq!(r, Response::Err(Errno::EFAULT));
    // Read-only and protocol-specific options.
    let r = w.call(ca, Request::SetSockOpt { handle: s, opt: SockOpt::RecvBuf(1) });
    assert_eq!(r, Response::Err(errno::ENOPROTOOPT));
    let u = w.socket(ca, SockType::Dgram, false).unwrap();
    let r = w.call(ca, Request::SetSockOpt { handle: u, opt: SockOpt::NoDelay(true) });
    assert_eq!(r, Response::Err(errno::ENOPROTOOPT));
    w.ok(ca, Request::SetSockOpt { handle: s, opt: SockOpt::NoDelay(true) }).unwrap();
    assert_eq!(
        w.call(ca, Request::GetSockOpt { handle: s, name: OptName::NoDelay }),
        Response::Opt(SockOpt::NoDelay(true))
    );
    assert_eq!(w.ok(ca, Request::Listen { handle: u, backlog: 1 }), Err(errno::EOPNOTSUPP));
}

#[test]
fn resources_are_released() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let base_a = w.a.srv.stack.socket_count();
    for i in 0..20 {
        let (s, acc) = w.tcp_pair(ca, cb, 9000 + i);
        w.send_all(ca, s, b"ping");
        assert_eq!(w.recv(cb, acc, 10).unwrap(), b"ping");
        w.close(ca, s);
        w.close(cb, acc);
        w.close(cb, Handle(acc.0 - 1));
    }
    w.run_for(70_000);
    assert_eq!(w.a.srv.socket_count(), 0);
    assert_eq!(w.b.srv.socket_count(), 0);
    assert_eq!(w.a.srv.lingering_count() + w.b.srv.lingering_count(), 0);
    assert_eq!(w.a.srv.stack.socket_count(), base_a);
    assert_eq!(w.a.srv.ports_in_use() + w.b.srv.ports_in_use(), 0);
}

#[test]
fn a_busy_server_does_not_run_out_of_sockets_in_time_wait() {
    // An HTTP/1.0 server closes first, so every connection it served ends
    // in TIME-WAIT on its side; more of them than the server has sockets.
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let l = w.listener(cb, 8080);
    let n = rampart_net::Config::default().max_sockets + 50;
    for i in 0..n {
        let s = w.socket(ca, SockType::Stream, false).unwrap();
        w.connect(ca, s, SockAddr { ip: IP_B, port: 8080 }).unwrap();
        let (acc, _) = w.accept(cb, l).unwrap_or_else(|e| panic!("connection {i}: {e:?}"));
        w.send_all(cb, acc, b"response");
        w.close(cb, acc);
        assert_eq!(w.recv_to_end(ca, s), b"response");
        w.close(ca, s);
    }
    w.run_for(100);
    assert!(w.b.srv.lingering_count() < 8, "{} lingering", w.b.srv.lingering_count());
}
