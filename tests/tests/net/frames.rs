//! Hostile frames at the guest (docs/network.md §7 does the same on the
//! host against the server core): a real exchange is recorded, then
//! random frames and mutations of the recorded ones (some with repaired
//! checksums, so they reach TCP, UDP and ICMP) are sent, paced so the
//! device's receive ring sees most of them; the guest must still answer
//! pings and serve pages.

use super::peer::{GUEST, IP, MAC, Peer};
use rampart_net::smoltcp::wire::{
    EthernetFrame, EthernetProtocol, Icmpv4Packet, IpAddress, IpProtocol, Ipv4Packet, TcpPacket, UdpPacket,
};
use std::time::Duration;

/// Frames sent in the storm.
pub const FRAMES: usize = 3000;

const INDEX: &[u8] = b"<!doctype html><title>Rampart</title><h1>It works</h1>\n";

/// Recomputes the IPv4 header checksum and the TCP/UDP/ICMP checksum.
fn repair_checksums(f: &mut [u8]) {
    let Ok(mut eth) = EthernetFrame::new_checked(&mut f[..]) else { return };
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return;
    }
    let Ok(mut ip) = Ipv4Packet::new_checked(eth.payload_mut()) else { return };
    ip.fill_checksum();
    let (src, dst) = (IpAddress::Ipv4(ip.src_addr()), IpAddress::Ipv4(ip.dst_addr()));
    let proto = ip.next_header();
    let payload = ip.payload_mut();
    match proto {
        IpProtocol::Tcp => {
            if let Ok(mut t) = TcpPacket::new_checked(payload) {
                t.fill_checksum(&src, &dst);
            }
        }
        IpProtocol::Udp => {
            if let Ok(mut u) = UdpPacket::new_checked(payload) {
                u.fill_checksum(&src, &dst);
            }
        }
        IpProtocol::Icmp => {
            if let Ok(mut i) = Icmpv4Packet::new_checked(payload) {
                i.fill_checksum();
            }
        }
        _ => {}
    }
}

/// ARP claiming the peer's address from another MAC: ARP has no
/// authentication in any IPv4 stack, so such spoofing is out of scope.
fn spoofs_peer(f: &[u8]) -> bool {
    f.len() >= 42 && f[12..14] == [0x08, 0x06] && f[28..32] == IP && f[22..28] != MAC
}

/// A hand-made UDP datagram to the guest with a valid checksum.
fn udp_to_guest(port: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 20 + 8 + payload.len()];
    f[0..6].copy_from_slice(&[0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    f[6..12].copy_from_slice(&MAC);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip_len = (20 + 8 + payload.len()) as u16;
    f[14] = 0x45;
    f[16..18].copy_from_slice(&ip_len.to_be_bytes());
    f[22] = 64;
    f[23] = 17;
    f[26..30].copy_from_slice(&IP);
    f[30..34].copy_from_slice(&GUEST);
    f[34..36].copy_from_slice(&5353u16.to_be_bytes());
    f[36..38].copy_from_slice(&port.to_be_bytes());
    f[38..40].copy_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f[42..].copy_from_slice(payload);
    repair_checksums(&mut f);
    f
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn check_serves(p: &mut Peer, seq: u16, when: &str) -> Result<(), String> {
    if !p.ping(seq, b"are you there?", Duration::from_secs(10)) {
        return Err(format!("no echo reply {when}"));
    }
    let r = p.http_get(80, "/", Duration::from_secs(20)).ok_or_else(|| format!("no HTTP answer {when}"))?;
    if !r.starts_with(b"HTTP/1.1 200 OK\r\n") || !r.ends_with(INDEX) {
        return Err(format!("{when}: {}", String::from_utf8_lossy(&r)));
    }
    Ok(())
}

/// Records an exchange, sends [`FRAMES`] hostile frames, checks the guest
/// still serves; returns a summary line.
///
/// # Errors
/// What the guest failed to do.
pub fn storm(p: &mut Peer) -> Result<String, String> {
    p.phy.sent = Some(Vec::new());
    check_serves(p, 1, "before the storm")?;
    // A few datagrams to closed and odd ports too.
    for port in [7, 53, 80, 65535] {
        p.inject(&udp_to_guest(port, b"udp to a closed port"));
    }
    let captured = p.phy.sent.take().unwrap_or_default();
    assert!(captured.len() >= 6, "recorded {} frames", captured.len());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut sent, mut repaired) = (0, 0);
    for i in 0..FRAMES {
        let s = rng.next();
        let f = match i % 4 {
            0 => (0..1 + (s % 1600) as usize).map(|_| rng.next() as u8).collect(),
            _ => {
                let mut f = captured[(s as usize) % captured.len()].clone();
                for _ in 0..1 + (s >> 60) % 4 {
                    let r = rng.next();
                    let n = f.len();
                    // Mostly past the Ethernet header, where the stack parses.
                    let pos =
                        if r.is_multiple_of(8) { r as usize % n } else { 14 + (r >> 8) as usize % (n - 14).max(1) };
                    f[pos.min(n - 1)] ^= (r >> 32) as u8 | 1;
                }
                if i % 4 != 1 {
                    repair_checksums(&mut f);
                    repaired += 1;
                }
                if i % 7 == 0 {
                    // At least one byte: QEMU's dgram backend takes an
                    // empty datagram for the end of the connection.
                    f.truncate(1 + (s >> 16) as usize % f.len());
                }
                f
            }
        };
        if spoofs_peer(&f) {
            continue;
        }

        p.inject(&f);
        sent += 1;
        if sent % 32 == 0 {
            // Pace: the device's receive ring holds 128 frames.
            std::thread::sleep(Duration::from_millis(3));
            p.drain();
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    p.drain();
    check_serves(p, 2, "after the storm")?;
    Ok(format!("malformed frames: {sent} sent ({repaired} with repaired checksums), guest still serves"))
}
