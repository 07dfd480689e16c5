//! The network device interface and its adapter to smoltcp.
//!
//! A [`NetDevice`] moves raw Ethernet frames. In the guest it is the
//! virtio-net driver's client side: receive and transmit rings in memory
//! shared with the driver task, signalled by notifications
//! (docs/network.md §2). On the host it is [`crate::MemDevice`], one end
//! of an in-memory wire.
//!
//! [`Phy`] adapts a `NetDevice` to `smoltcp::phy::Device`: a received
//! frame is copied once into the adapter's buffer (frames longer than
//! [`MAX_FRAME`] are dropped and counted); a transmitted frame is built
//! by smoltcp directly in the device's buffer.
//!
//! The adapter also drops a TCP SYN (without ACK) whose four-tuple already
//! has a connection ([`Phy::set_connected`]): smoltcp hands a segment to
//! the first socket that accepts it, and a listen pool's fresh `LISTEN`
//! socket placed in a lower slot than the connection's socket would take
//! a retransmitted SYN and start a second handshake for the same
//! four-tuple, whose reset to the client's ACK then ends the first
//! (`servers/net/tests/backlog.rs`,
//! `a_retransmitted_syn_does_not_reset_the_connection`; docs/network.md).
//! Dropping it is safe: the connection's own socket retransmits its
//! SYN-ACK (RFC 9293 §3.10.7.4 lets a SYN-RECEIVED connection ignore a
//! duplicate SYN in this way).

use alloc::vec;
use alloc::vec::Vec;
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Largest Ethernet frame in bytes, header included, FCS excluded (IP MTU
/// 1500 + 14).
pub const MAX_FRAME: usize = 1514;

/// A device that sends and receives raw Ethernet frames.
pub trait NetDevice {
    /// The device's hardware (MAC) address.
    fn mac(&self) -> [u8; 6];

    /// Copies the next received frame into `buf` and returns its length,
    /// or `None` if no frame is waiting. A frame longer than `buf` is
    /// dropped (and `Some(0)` returned, so the caller keeps draining).
    fn receive(&mut self, buf: &mut [u8]) -> Option<usize>;

    /// True if a frame can be queued for transmission now.
    fn can_transmit(&mut self) -> bool;

    /// Queues a frame of `len` bytes that `fill` writes. Returns false
    /// (and drops the frame) if the transmit queue is full.
    fn transmit(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> bool;
}

/// Frame counters of a [`Phy`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhyStats {
    /// Frames handed to the stack.
    pub rx_frames: u64,
    /// Frames dropped on receive (empty or longer than [`MAX_FRAME`]).
    pub rx_dropped: u64,
    /// Frames transmitted.
    pub tx_frames: u64,
    /// Frames the device refused (queue full).
    pub tx_dropped: u64,
    /// Duplicate SYNs dropped (their four-tuple has a connection).
    pub rx_dup_syn: u64,
}

/// A TCP connection's four-tuple as seen from this host: (remote IPv4
/// address, remote port, local port).
pub type Tuple = ([u8; 4], u16, u16);

/// The four-tuple of `frame` if it is an IPv4 TCP SYN without ACK
/// (Ethernet II, no VLAN tag; RFC 791, RFC 9293 §3.1 header layouts).
pub fn syn_tuple(frame: &[u8]) -> Option<Tuple> {
    if frame.len() < 14 + 20 || frame[12..14] != [0x08, 0x00] {
        return None;
    }
    let ip = &frame[14..];
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    if ip[0] >> 4 != 4 || ihl < 20 || ip[9] != 6 {
        return None;
    }
    // A fragment other than the first carries no TCP header.
    if u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff != 0 {
        return None;
    }
    let tcp = ip.get(ihl..ihl + 14)?;
    let flags = tcp[13];
    if flags & 0x12 != 0x02 {
        return None;
    }
    let src = [ip[12], ip[13], ip[14], ip[15]];
    Some((src, u16::from_be_bytes([tcp[0], tcp[1]]), u16::from_be_bytes([tcp[2], tcp[3]])))
}

/// A [`NetDevice`] as a `smoltcp::phy::Device`.
pub struct Phy<D> {
    dev: D,
    rx: Vec<u8>,
    stats: PhyStats,
    /// Four-tuples of the TCP connections (sorted): a SYN for one of them
    /// is a duplicate.
    connected: Vec<Tuple>,
}

impl<D: NetDevice> Phy<D> {
    /// Wraps `dev`.
    pub fn new(dev: D) -> Phy<D> {
        Phy { dev, rx: vec![0; MAX_FRAME], stats: PhyStats::default(), connected: Vec::new() }
    }

    /// Sets the four-tuples of the TCP connections in progress or
    /// established (in any order); received SYNs for them are dropped.
    pub fn set_connected(&mut self, mut tuples: Vec<Tuple>) {
        tuples.sort_unstable();
        self.connected = tuples;
    }

    /// The device.
    pub fn device(&mut self) -> &mut D {
        &mut self.dev
    }

    /// Frame counters.
    pub fn stats(&self) -> PhyStats {
        self.stats
    }
}

/// A received frame, borrowed from the adapter's buffer.
pub struct RxToken<'a>(&'a [u8]);

/// Permission to transmit one frame.
pub struct TxToken<'a, D> {
    dev: &'a mut D,
    stats: &'a mut PhyStats,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl<D: NetDevice> phy::TxToken for TxToken<'_, D> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut f = Some(f);
        let mut out = None;
        let sent = self.dev.transmit(len, &mut |buf: &mut [u8]| {
            if let Some(f) = f.take() {
                out = Some(f(buf));
            }
        });
        if sent {
            self.stats.tx_frames += 1;
        } else {
            self.stats.tx_dropped += 1;
        }
        match (out, f) {
            (Some(r), _) => r,
            // The device dropped the frame without calling `fill`: smoltcp
            // still needs the closure's result, so build it in scratch.
            (None, Some(f)) => f(&mut vec![0; len]),
            (None, None) => unreachable!("fill ran but produced nothing"),
        }
    }
}

impl<D: NetDevice> phy::Device for Phy<D> {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, D>
    where
        Self: 'a;

    fn receive(&mut self, _now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        // Bounded, so a device that keeps handing out bad frames cannot
        // hold the server here.
        for _ in 0..64 {
            let n = self.dev.receive(&mut self.rx)?;
            if n == 0 || n > self.rx.len() {
                self.stats.rx_dropped += 1;
                continue;
            }
            if syn_tuple(&self.rx[..n]).is_some_and(|t| self.connected.binary_search(&t).is_ok()) {
                self.stats.rx_dup_syn += 1;
                continue;
            }
            self.stats.rx_frames += 1;
            return Some((RxToken(&self.rx[..n]), TxToken { dev: &mut self.dev, stats: &mut self.stats }));
        }
        None
    }

    fn transmit(&mut self, _now: Instant) -> Option<Self::TxToken<'_>> {
        if !self.dev.can_transmit() {
            return None;
        }
        Some(TxToken { dev: &mut self.dev, stats: &mut self.stats })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        caps
    }
}
