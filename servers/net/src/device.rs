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
}

/// A [`NetDevice`] as a `smoltcp::phy::Device`.
pub struct Phy<D> {
    dev: D,
    rx: Vec<u8>,
    stats: PhyStats,
}

impl<D: NetDevice> Phy<D> {
    /// Wraps `dev`.
    pub fn new(dev: D) -> Phy<D> {
        Phy { dev, rx: vec![0; MAX_FRAME], stats: PhyStats::default() }
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
