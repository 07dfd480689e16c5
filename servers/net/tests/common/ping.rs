//! An ICMP echo client added to a node's smoltcp socket set, to check
//! that the other stack answers pings.

use rampart_net::smoltcp::iface::SocketHandle;
use rampart_net::smoltcp::phy::ChecksumCapabilities;
use rampart_net::smoltcp::socket::icmp;
use rampart_net::smoltcp::wire::{Icmpv4Packet, Icmpv4Repr, IpAddress, Ipv4Address};

use super::{Side, World};

pub struct Pinger {
    pub side: Side,
    h: SocketHandle,
    ident: u16,
}

impl Pinger {
    pub fn new(w: &mut World, side: Side, ident: u16) -> Pinger {
        let buf = || icmp::PacketBuffer::new(vec![icmp::PacketMetadata::EMPTY; 16], vec![0; 16 * 1600]);
        let mut s = icmp::Socket::new(buf(), buf());
        s.bind(icmp::Endpoint::Ident(ident)).unwrap();
        let h = w.node(side).srv.stack.sockets_mut().add(s);
        Pinger { side, h, ident }
    }

    /// Queues an echo request.
    pub fn send(&self, w: &mut World, dst: [u8; 4], seq: u16, data: &[u8]) {
        let repr = Icmpv4Repr::EchoRequest { ident: self.ident, seq_no: seq, data };
        let s = w.node(self.side).srv.stack.sockets_mut().get_mut::<icmp::Socket>(self.h);
        let buf = s.send(repr.buffer_len(), IpAddress::Ipv4(Ipv4Address::from(dst))).unwrap();
        repr.emit(&mut Icmpv4Packet::new_unchecked(buf), &ChecksumCapabilities::default());
    }

    /// Echo replies received so far: (source, sequence number, data).
    pub fn replies(&self, w: &mut World) -> Vec<([u8; 4], u16, Vec<u8>)> {
        let s = w.node(self.side).srv.stack.sockets_mut().get_mut::<icmp::Socket>(self.h);
        let mut out = vec![];
        while let Ok((bytes, IpAddress::Ipv4(src))) = s.recv() {
            let Ok(p) = Icmpv4Packet::new_checked(bytes) else { continue };
            if let Ok(Icmpv4Repr::EchoReply { ident, seq_no, data }) =
                Icmpv4Repr::parse(&p, &ChecksumCapabilities::default())
                && ident == self.ident
            {
                out.push((src.octets(), seq_no, data.to_vec()));
            }
        }
        out
    }

    /// Pings `dst` once and waits up to `ms` for the reply.
    pub fn ping(&self, w: &mut World, dst: [u8; 4], seq: u16, data: &[u8], ms: u64) -> bool {
        self.send(w, dst, seq, data);
        let end = w.now + ms;
        while w.now < end {
            w.step();
            if self.replies(w).iter().any(|r| r.1 == seq && r.2 == data) {
                return true;
            }
        }
        false
    }
}
