//! A host-side IPv4 peer for the guest on a QEMU `dgram` network backend:
//! every UDP datagram between the test and QEMU is one Ethernet frame.
//! The peer is smoltcp (the same stack the guest runs, as a neutral
//! client) at 10.0.2.2, the guest's gateway address, so the guest's
//! static configuration reaches it; it can ping, fetch a page over HTTP,
//! and inject raw frames.

use rampart_net::smoltcp;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{ChecksumCapabilities, Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::{icmp, tcp};
use smoltcp::time::Instant as SInstant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, Icmpv4Packet, Icmpv4Repr, IpAddress, IpCidr, Ipv4Address};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// The peer's MAC address.
pub const MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x02];
/// The peer's address (the guest's gateway).
pub const IP: [u8; 4] = [10, 0, 2, 2];
/// The guest's address.
pub const GUEST: [u8; 4] = [10, 0, 2, 15];

/// Frames over a UDP socket to and from QEMU.
pub struct UdpPhy {
    sock: UdpSocket,
    qemu: SocketAddr,
    /// Frames this peer sent, when recording.
    pub sent: Option<Vec<Vec<u8>>>,
}

pub struct Rx(Vec<u8>);
pub struct Tx<'a>(&'a mut UdpPhy);

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut b = vec![0u8; len];
        let r = f(&mut b);
        self.0.send(&b);
        r
    }
}

impl UdpPhy {
    fn send(&mut self, f: &[u8]) {
        let _ = self.sock.send_to(f, self.qemu);
        if let Some(log) = self.sent.as_mut() {
            log.push(f.to_vec());
        }
    }
}

impl Device for UdpPhy {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: SInstant) -> Option<(Rx, Tx<'_>)> {
        let mut b = vec![0u8; 65536];
        match self.sock.recv_from(&mut b) {
            Ok((n, _)) => {
                b.truncate(n);
                Some((Rx(b), Tx(self)))
            }
            Err(_) => None,
        }
    }

    fn transmit(&mut self, _: SInstant) -> Option<Tx<'_>> {
        Some(Tx(self))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ethernet;
        c.max_transmission_unit = 1514;
        c
    }
}

/// The peer: an interface, its sockets and a clock.
pub struct Peer {
    pub phy: UdpPhy,
    iface: Interface,
    sockets: SocketSet<'static>,
    start: Instant,
    next_port: u16,
}

impl Peer {
    /// A peer receiving on `sock` (bound, non-blocking) and sending to
    /// QEMU at `qemu`.
    pub fn new(sock: UdpSocket, qemu: SocketAddr) -> Peer {
        sock.set_nonblocking(true).expect("non-blocking socket");
        let mut phy = UdpPhy { sock, qemu, sent: None };
        let start = Instant::now();
        let mut cfg = Config::new(HardwareAddress::Ethernet(EthernetAddress(MAC)));
        cfg.random_seed = 0x5eed_1234;
        let mut iface = Interface::new(cfg, &mut phy, SInstant::from_millis(0));
        iface.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::new(IpAddress::Ipv4(Ipv4Address::from(IP)), 24));
        });
        Peer { phy, iface, sockets: SocketSet::new(vec![]), start, next_port: 40000 }
    }

    fn now(&self) -> SInstant {
        SInstant::from_millis(self.start.elapsed().as_millis() as i64)
    }

    /// Runs the stack once, then sleeps a millisecond.
    pub fn step(&mut self) {
        let now = self.now();
        self.iface.poll(now, &mut self.phy, &mut self.sockets);
        std::thread::sleep(Duration::from_millis(1));
    }

    /// Sends a raw frame.
    pub fn inject(&mut self, f: &[u8]) {
        let _ = self.phy.sock.send_to(f, self.phy.qemu);
    }

    /// Drops frames waiting on the socket (answers to garbage).
    pub fn drain(&mut self) {
        let mut b = vec![0u8; 65536];
        while self.phy.sock.recv_from(&mut b).is_ok() {}
    }

    /// Pings the guest with `data`; true if the reply came within `t`.
    pub fn ping(&mut self, seq: u16, data: &[u8], t: Duration) -> bool {
        let buf = || icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 8], vec![0; 8 * 1600]);
        let mut s = icmp::Socket::new(buf(), buf());
        let ident = 0x7a00 | seq;
        s.bind(icmp::Endpoint::Ident(ident)).expect("icmp bind");
        let h = self.sockets.add(s);
        let end = Instant::now() + t;
        let mut sent_at: Option<Instant> = None;
        let mut ok = false;
        while Instant::now() < end && !ok {
            let s = self.sockets.get_mut::<icmp::Socket>(h);
            if sent_at.is_none_or(|t| t.elapsed() > Duration::from_millis(500)) && s.can_send() {
                let repr = Icmpv4Repr::EchoRequest { ident, seq_no: seq, data };
                if let Ok(b) = s.send(repr.buffer_len(), IpAddress::Ipv4(Ipv4Address::from(GUEST))) {
                    repr.emit(&mut Icmpv4Packet::new_unchecked(b), &ChecksumCapabilities::default());
                    sent_at = Some(Instant::now());
                }
            }
            while let Ok((bytes, _)) = s.recv() {
                if let Ok(p) = Icmpv4Packet::new_checked(bytes)
                    && let Ok(Icmpv4Repr::EchoReply { seq_no, data: d, .. }) =
                        Icmpv4Repr::parse(&p, &ChecksumCapabilities::default())
                {
                    ok |= seq_no == seq && d == data;
                }
            }
            self.step();
        }
        self.sockets.remove(h);
        ok
    }

    /// `GET path` from the guest's port `port`; the whole response (head
    /// and body) once the server closes, or `None` after `t`.
    pub fn http_get(&mut self, port: u16, path: &str, t: Duration) -> Option<Vec<u8>> {
        let buf = || tcp::SocketBuffer::new(vec![0; 65536]);
        let mut s = tcp::Socket::new(buf(), buf());
        self.next_port += 1;
        let local = self.next_port;
        s.connect(self.iface.context(), (IpAddress::Ipv4(Ipv4Address::from(GUEST)), port), local).ok()?;
        let h: SocketHandle = self.sockets.add(s);
        let req = format!("GET {path} HTTP/1.0\r\nHost: rampart\r\n\r\n");
        let (mut sent, mut out) = (false, Vec::new());
        let end = Instant::now() + t;
        let mut done = false;
        while Instant::now() < end && !done {
            self.step();
            let s = self.sockets.get_mut::<tcp::Socket>(h);
            if !sent && s.can_send() {
                sent = s.send_slice(req.as_bytes()).ok() == Some(req.len());
            }
            while s.can_recv() {
                let _ = s.recv(|d| {
                    out.extend_from_slice(d);
                    (d.len(), ())
                });
            }
            done = sent && !s.may_recv() && !s.can_recv();
        }
        let s = self.sockets.get_mut::<tcp::Socket>(h);
        s.abort();
        self.step();
        self.sockets.remove(h);
        done.then_some(out)
    }
}
