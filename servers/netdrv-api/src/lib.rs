//! The network frame queues between the virtio-net driver (`netdrv_t`) and
//! its one client (the network server), after LionsOS/sDDF
//! (docs/devices.md §7, docs/network.md §2). No frame travels in IPC: the
//! driver allocates one region in its DMA memory and shares it; frame
//! buffers live in that region, the device reads and writes them directly,
//! and four single-producer/single-consumer rings pass buffer indices.
//!
//! Region layout ([`Layout`], offsets in bytes from the region start):
//!
//! | at | what |
//! |---|---|
//! | 0 | [`Header`]: magic, MAC address, ring depth, headroom, buffer counts |
//! | [`RX_FREE_OFFSET`] | rx free ring (client → driver): empty rx buffers for the device |
//! | [`RX_USED_OFFSET`] | rx used ring (driver → client): received frames |
//! | [`TX_SEND_OFFSET`] | tx send ring (client → driver): frames to transmit |
//! | [`TX_DONE_OFFSET`] | tx done ring (driver → client): transmitted buffers, free again |
//! | [`DATA_OFFSET`] | `rx_bufs + tx_bufs` buffers of [`BUF_BYTES`]; rx first |
//!
//! Every ring entry is a [`Desc`] (buffer index, frame length in bytes).
//! A frame lives at byte [`Header::headroom`] of its buffer; the bytes in
//! front hold the virtio-net header (virtio 1.2 §5.1.6: 12 bytes, or 10
//! for a legacy device without `VIRTIO_NET_F_MRG_RXBUF`), which the driver
//! writes for transmission and the device writes on reception.
//!
//! Ownership: at start the driver owns every rx buffer (they are on the
//! device) and the client every tx buffer. A buffer changes hands only by
//! a ring entry. Each side checks what the other hands it — the driver
//! ([`DriverEnd`]) refuses an index outside the ring's pool, a buffer it
//! already holds and a frame length outside 14..=[`MAX_FRAME`]; the client
//! ([`NetClient`]) ignores the same from the driver — so neither can make
//! the other touch memory outside the buffers, or use one buffer twice.
//!
//! Notifications: a side signals its peer when a ring it produces goes
//! from empty to non-empty (`rampart_spsc`'s transition rule).
#![no_std]
// Raw-pointer views of shared memory: the packet queues live in memory shared with another process, which
// Rust references must not cover (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod client;
mod driver;

#[cfg(feature = "net")]
mod netdev;
#[cfg(feature = "rt")]
pub mod rt;

pub use client::{NetClient, Signal};
pub use driver::{DriverEnd, Refused, TxFrame};

use rampart_spsc::{Plain, RingError, ring_bytes};
use rampart_uabi::Errno;

/// `Header::magic`.
pub const MAGIC: u64 = u64::from_le_bytes(*b"RPNETQ01");
/// Offset of the rx free ring.
pub const RX_FREE_OFFSET: u64 = 4096;
/// Offset of the rx used ring.
pub const RX_USED_OFFSET: u64 = 8192;
/// Offset of the tx send ring.
pub const TX_SEND_OFFSET: u64 = 12288;
/// Offset of the tx done ring.
pub const TX_DONE_OFFSET: u64 = 16384;
/// Offset of the first buffer.
pub const DATA_OFFSET: u64 = 32768;
/// Bytes of one frame buffer.
pub const BUF_BYTES: u64 = 2048;
/// Largest ring depth (each ring must fit its 4 KiB).
pub const MAX_DEPTH: u32 = 256;
/// Largest headroom in front of a frame.
pub const MAX_HEADROOM: u32 = 64;
/// Largest Ethernet frame in bytes, header included, FCS excluded (IP MTU
/// 1500 + 14).
pub const MAX_FRAME: u32 = 1514;
/// Smallest Ethernet frame the driver transmits (an Ethernet header).
pub const MIN_FRAME: u32 = 14;

/// The region header, written once by the driver before it publishes the
/// region. Little-endian, 48 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: u64,
    /// MAC address in the low 6 bytes (byte 0 first on the wire).
    pub mac: u64,
    /// Entries of each ring (a power of two, at most [`MAX_DEPTH`]).
    pub depth: u32,
    /// Bytes in front of each frame in its buffer (the virtio-net header).
    pub headroom: u32,
    /// Receive buffers (indices `0..rx_bufs`), at most `depth`.
    pub rx_bufs: u32,
    /// Transmit buffers (indices `rx_bufs..rx_bufs + tx_bufs`), at most
    /// `depth`.
    pub tx_bufs: u32,
    /// Region length in bytes.
    pub region_len: u64,
    /// Reserved (0).
    pub reserved: u64,
}

// SAFETY: `repr(C)` of integers only, no padding (8+8+4+4+4+4+8+8 = 48,
// every field naturally aligned); every bit pattern is a valid value.
unsafe impl Plain for Header {}

/// A ring entry, 8 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Desc {
    /// Buffer index.
    pub buf: u32,
    /// Frame length in bytes (0 in rx free and tx done entries).
    pub len: u32,
}

// SAFETY: two `u32`s, no padding.
unsafe impl Plain for Desc {}

/// The region's layout, as the driver builds it and the client checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// MAC address.
    pub mac: [u8; 6],
    /// Ring depth.
    pub depth: u32,
    /// Bytes in front of each frame.
    pub headroom: u32,
    /// Receive buffers.
    pub rx_bufs: u32,
    /// Transmit buffers.
    pub tx_bufs: u32,
    /// Bytes of the region.
    pub region_len: u64,
}

/// Why a region cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// Wrong magic.
    Magic,
    /// Depth not a power of two in 1..=[`MAX_DEPTH`], or more buffers than
    /// the depth, or no buffer.
    Depth,
    /// Headroom above [`MAX_HEADROOM`].
    Headroom,
    /// The buffers do not fit the region.
    Size,
}

impl Layout {
    /// Checks depth, buffer counts, headroom and that every buffer fits
    /// the region.
    ///
    /// # Errors
    /// [`LayoutError`].
    pub fn check(&self) -> Result<(), LayoutError> {
        let d = self.depth;
        if d == 0 || !d.is_power_of_two() || d > MAX_DEPTH {
            return Err(LayoutError::Depth);
        }
        if self.rx_bufs == 0 || self.tx_bufs == 0 || self.rx_bufs > d || self.tx_bufs > d {
            return Err(LayoutError::Depth);
        }
        if self.headroom > MAX_HEADROOM {
            return Err(LayoutError::Headroom);
        }
        debug_assert!(ring_bytes::<Desc>(MAX_DEPTH) as u64 <= RX_USED_OFFSET - RX_FREE_OFFSET);
        let bufs = u64::from(self.rx_bufs) + u64::from(self.tx_bufs);
        if DATA_OFFSET + bufs * BUF_BYTES > self.region_len {
            return Err(LayoutError::Size);
        }
        Ok(())
    }

    /// Buffers in all.
    pub fn bufs(&self) -> u32 {
        self.rx_bufs + self.tx_bufs
    }

    /// The header describing this layout.
    pub fn header(&self) -> Header {
        let mut m = [0u8; 8];
        m[..6].copy_from_slice(&self.mac);
        Header {
            magic: MAGIC,
            mac: u64::from_le_bytes(m),
            depth: self.depth,
            headroom: self.headroom,
            rx_bufs: self.rx_bufs,
            tx_bufs: self.tx_bufs,
            region_len: self.region_len,
            reserved: 0,
        }
    }

    /// The layout `h` describes, for a region of `region_len` bytes.
    ///
    /// # Errors
    /// [`LayoutError`].
    pub fn parse(h: &Header, region_len: u64) -> Result<Layout, LayoutError> {
        if h.magic != MAGIC {
            return Err(LayoutError::Magic);
        }
        if h.region_len != region_len {
            return Err(LayoutError::Size);
        }
        let b = h.mac.to_le_bytes();
        let l = Layout {
            mac: [b[0], b[1], b[2], b[3], b[4], b[5]],
            depth: h.depth,
            headroom: h.headroom,
            rx_bufs: h.rx_bufs,
            tx_bufs: h.tx_bufs,
            region_len,
        };
        l.check()?;
        Ok(l)
    }

    /// Offset of buffer `i` from the region start (`i` < [`Layout::bufs`]).
    pub fn buf_offset(&self, i: u32) -> u64 {
        DATA_OFFSET + u64::from(i.min(self.bufs().saturating_sub(1))) * BUF_BYTES
    }

    /// Longest frame a buffer holds after the headroom.
    pub fn frame_room(&self) -> u32 {
        (BUF_BYTES as u32 - self.headroom).min(MAX_FRAME)
    }
}

fn ring(e: RingError) -> Errno {
    match e {
        RingError::BadLayout => Errno::EINVAL,
        RingError::Corrupt => Errno::EIO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout { mac: [2, 0, 0, 0, 0, 1], depth: 128, headroom: 12, rx_bufs: 128, tx_bufs: 128, region_len: 1 << 20 }
    }

    #[test]
    fn sizes_and_header() {
        assert_eq!(core::mem::size_of::<Header>(), 48);
        assert_eq!(core::mem::size_of::<Desc>(), 8);
        assert!(ring_bytes::<Desc>(MAX_DEPTH) as u64 <= 4096);
        let l = layout();
        assert_eq!(l.check(), Ok(()));
        assert_eq!(Layout::parse(&l.header(), 1 << 20), Ok(l));
        assert_eq!(Layout::parse(&l.header(), 1 << 21), Err(LayoutError::Size));
        let mut h = l.header();
        h.magic ^= 1;
        assert_eq!(Layout::parse(&h, 1 << 20), Err(LayoutError::Magic));
        for (f, e) in [
            ((|l: &mut Layout| l.depth = 3) as fn(&mut Layout), LayoutError::Depth),
            (|l| l.depth = 512, LayoutError::Depth),
            (|l| l.rx_bufs = 0, LayoutError::Depth),
            (|l| l.tx_bufs = 129, LayoutError::Depth),
            (|l| l.headroom = 65, LayoutError::Headroom),
            (|l| l.region_len = DATA_OFFSET + 255 * BUF_BYTES, LayoutError::Size),
        ] {
            let mut bad = layout();
            f(&mut bad);
            assert_eq!(bad.check(), Err(e));
            assert_eq!(Layout::parse(&bad.header(), bad.region_len), Err(e));
        }
        assert_eq!(l.buf_offset(0), DATA_OFFSET);
        assert_eq!(l.buf_offset(255), DATA_OFFSET + 255 * BUF_BYTES);
        assert_eq!(l.buf_offset(9999), DATA_OFFSET + 255 * BUF_BYTES, "clamped");
        assert_eq!(l.frame_room(), MAX_FRAME);
    }
}
