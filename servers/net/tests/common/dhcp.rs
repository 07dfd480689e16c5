//! A tiny scripted DHCP server (RFC 2131's DISCOVER → OFFER, REQUEST →
//! ACK) playing QEMU's user-network DHCP on the raw wire, built from
//! smoltcp's wire types.

use rampart_net::FrameQueue;
use rampart_net::smoltcp::phy::ChecksumCapabilities;
use rampart_net::smoltcp::wire::{
    DhcpMessageType, DhcpOption, DhcpPacket, DhcpRepr, EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr,
    IpAddress, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
};

pub const SERVER_MAC: [u8; 6] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];

/// What the server hands out.
#[derive(Clone, Debug)]
pub struct Lease {
    pub server: [u8; 4],
    pub addr: [u8; 4],
    pub mask: [u8; 4],
    pub router: [u8; 4],
    pub dns: [u8; 4],
    pub seconds: u32,
}

impl Lease {
    pub fn qemu() -> Lease {
        Lease {
            server: [10, 0, 2, 2],
            addr: [10, 0, 2, 15],
            mask: [255, 255, 255, 0],
            router: [10, 0, 2, 2],
            dns: [10, 0, 2, 3],
            seconds: 86400,
        }
    }
}

/// Answers every DHCP message in `from_client` (other frames are
/// dropped) into `to_client`; returns the message types seen.
pub fn serve(from_client: &FrameQueue, to_client: &FrameQueue, lease: &Lease) -> Vec<DhcpMessageType> {
    let mut seen = Vec::new();
    for f in from_client.drain() {
        let Some((ty, reply)) = answer(&f, lease) else { continue };
        seen.push(ty);
        if let Some(r) = reply {
            to_client.push(r);
        }
    }
    seen
}

/// The reply to one frame if it is a DHCP client message: (its type,
/// the reply frame if one is due).
pub fn answer(frame: &[u8], lease: &Lease) -> Option<(DhcpMessageType, Option<Vec<u8>>)> {
    let caps = ChecksumCapabilities::default();
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    let ip_repr = Ipv4Repr::parse(&ip, &caps).ok()?;
    if ip_repr.next_header != IpProtocol::Udp {
        return None;
    }
    let udp = UdpPacket::new_checked(ip.payload()).ok()?;
    if udp.dst_port() != 67 {
        return None;
    }
    let dhcp = DhcpPacket::new_checked(udp.payload()).ok()?;
    let req = DhcpRepr::parse(&dhcp).ok()?;
    let ty = req.message_type;
    let reply_ty = match ty {
        DhcpMessageType::Discover => DhcpMessageType::Offer,
        DhcpMessageType::Request => DhcpMessageType::Ack,
        _ => return Some((ty, None)),
    };
    let dns_opt = [DhcpOption { kind: 6, data: &lease.dns }];
    let rep = DhcpRepr {
        message_type: reply_ty,
        transaction_id: req.transaction_id,
        secs: 0,
        client_hardware_address: req.client_hardware_address,
        client_ip: Ipv4Address::UNSPECIFIED,
        your_ip: Ipv4Address::from(lease.addr),
        server_ip: Ipv4Address::from(lease.server),
        router: Some(Ipv4Address::from(lease.router)),
        subnet_mask: Some(Ipv4Address::from(lease.mask)),
        relay_agent_ip: Ipv4Address::UNSPECIFIED,
        broadcast: false,
        requested_ip: None,
        client_identifier: None,
        server_identifier: Some(Ipv4Address::from(lease.server)),
        parameter_request_list: None,
        dns_servers: None,
        max_size: None,
        lease_duration: Some(lease.seconds),
        renew_duration: None,
        rebind_duration: None,
        additional_options: &dns_opt,
    };
    let dhcp_len = rep.buffer_len();
    let udp_len = 8 + dhcp_len;
    let ip_out = Ipv4Repr {
        src_addr: Ipv4Address::from(lease.server),
        dst_addr: Ipv4Address::BROADCAST,
        next_header: IpProtocol::Udp,
        payload_len: udp_len,
        hop_limit: 64,
    };
    let eth_out = EthernetRepr {
        src_addr: EthernetAddress(SERVER_MAC),
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Ipv4,
    };
    let mut buf = vec![0u8; 14 + 20 + udp_len];
    eth_out.emit(&mut EthernetFrame::new_unchecked(&mut buf[..]));
    ip_out.emit(&mut Ipv4Packet::new_unchecked(&mut buf[14..34]), &caps);
    let (src, dst) = (IpAddress::Ipv4(ip_out.src_addr), IpAddress::Ipv4(ip_out.dst_addr));
    UdpRepr { src_port: 67, dst_port: 68 }.emit(
        &mut UdpPacket::new_unchecked(&mut buf[34..]),
        &src,
        &dst,
        dhcp_len,
        |p| {
            rep.emit(&mut DhcpPacket::new_unchecked(p)).unwrap();
        },
        &caps,
    );
    Some((ty, Some(buf)))
}
