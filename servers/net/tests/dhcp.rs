//! IPv4 configuration: DHCP against a scripted server, static
//! configuration, and refused configurations.

mod common;

use common::dhcp::{self, Lease};
use common::*;
use rampart_net::smoltcp::wire::DhcpMessageType;
use rampart_net::{Config, FrameQueue, IpConfig, LocalPolicy, MemDevice, NetServer, StackError, StartError, StaticIp};
use rampart_net_api::*;

#[test]
fn dhcp_lease_configures_the_interface() {
    let (rx, tx) = (FrameQueue::new(), FrameQueue::new());
    let dev = MemDevice::new(MAC_A, rx.clone(), tx.clone());
    let cfg = Config { ip: IpConfig::Dhcp, ..Config::default() };
    let mut srv = NetServer::new(dev, LocalPolicy(policy()), cfg, 0).unwrap();
    let mut regions = rampart_net::MemRegions::default();
    let user = srv.mac.om.sec.0.context_to_sid(USER).unwrap().0;
    let conn = srv.connect(user);
    let info = |srv: &mut NetServer<MemDevice, LocalPolicy>, regions: &mut rampart_net::MemRegions| match srv.handle(
        conn,
        Request::InterfaceInfo,
        None,
        regions,
    ) {
        rampart_net::Outcome::Reply(Response::Interface(i)) => i,
        r => panic!("{r:?}"),
    };
    // No lease yet: no address, and connecting fails.
    let before = info(&mut srv, &mut regions);
    assert_eq!((before.addr, before.dhcp, before.mac), (None, true, MAC_A));
    let rampart_net::Outcome::Reply(Response::Handle(s)) = srv.handle(
        conn,
        Request::Socket { domain: Domain::Inet, ty: SockType::Stream, nonblocking: true },
        None,
        &mut regions,
    ) else {
        panic!()
    };
    let r = srv.handle(conn, Request::Connect { handle: s, addr: SockAddr::new(10, 0, 2, 2, 80) }, None, &mut regions);
    assert_eq!(r, rampart_net::Outcome::Reply(Response::Err(errno::ENETDOWN)));
    let mut seen = vec![];
    let mut now = 0;
    while info(&mut srv, &mut regions).addr.is_none() && now < 30_000 {
        srv.poll(now, &mut regions);
        seen.extend(dhcp::serve(&tx, &rx, &Lease::qemu()));
        now += 10;
    }
    assert_eq!(seen, vec![DhcpMessageType::Discover, DhcpMessageType::Request]);
    let got = info(&mut srv, &mut regions);
    assert_eq!(got.addr, Some(([10, 0, 2, 15], 24)));
    assert_eq!(got.gateway, Some([10, 0, 2, 2]));
    assert_eq!(got.dns, vec![[10, 0, 2, 3]]);
    assert_eq!(got.mtu, 1500);
}

#[test]
fn tcp_over_a_dhcp_configured_stack() {
    let dhcp_cfg = Config { ip: IpConfig::Dhcp, ..static_cfg(IP_A) };
    let mut w = World::with(dhcp_cfg, static_cfg(IP_B));
    // The DHCP server sits on the wire: it answers A's DHCP frames itself.
    let a_rx = w.a_rx();
    let lease = Lease::qemu();
    w.filter = Some(Box::new(move |f: Vec<u8>| match dhcp::answer(&f, &lease) {
        Some((_, reply)) => {
            if let Some(r) = reply {
                a_rx.push(r);
            }
            None
        }
        None => Some(f),
    }));
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    while w.a.srv.stack.ipv4().is_none() {
        assert!(w.now < 30_000, "no lease");
        w.step();
    }
    let (s, acc) = w.tcp_pair(ca, cb, 8080);
    w.send_all(ca, s, b"configured by DHCP");
    assert_eq!(w.recv(cb, acc, 100).unwrap(), b"configured by DHCP");
}

#[test]
fn static_configuration() {
    let mut w = World::new();
    let c = w.client(Side::A, USER);
    let Response::Interface(i) = w.call(c, Request::InterfaceInfo) else { panic!() };
    assert_eq!(
        i,
        IfInfo {
            mac: MAC_A,
            addr: Some((IP_A, 24)),
            gateway: Some(IP_B),
            dns: vec![[10, 0, 2, 3]],
            mtu: 1500,
            dhcp: false
        }
    );
    let q = StaticIp::qemu_user();
    assert_eq!((q.addr, q.prefix, q.gateway, q.dns), ([10, 0, 2, 15], 24, Some([10, 0, 2, 2]), vec![[10, 0, 2, 3]]));
}

#[test]
fn bad_configurations_are_refused() {
    let dev = || MemDevice::new(MAC_A, FrameQueue::new(), FrameQueue::new());
    let bad = |addr, prefix| Config {
        ip: IpConfig::Static(StaticIp { addr, prefix, gateway: None, dns: vec![] }),
        ..Config::default()
    };
    for (addr, prefix) in [([10, 0, 2, 15], 33), ([0, 0, 0, 0], 24), ([224, 0, 0, 1], 24), ([255, 255, 255, 255], 0)] {
        let r = NetServer::new(dev(), LocalPolicy(policy()), bad(addr, prefix), 0).err();
        assert_eq!(r, Some(StartError::Stack(StackError::BadAddress)), "{addr:?}/{prefix}");
    }
    let multicast_mac = MemDevice::new([0x01, 0, 0x5e, 0, 0, 1], FrameQueue::new(), FrameQueue::new());
    let r = NetServer::new(multicast_mac, LocalPolicy(policy()), Config::default(), 0).err();
    assert_eq!(r, Some(StartError::Stack(StackError::BadMac)));
}
