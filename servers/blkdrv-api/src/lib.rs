//! The block queue protocol between the virtio-blk driver (`blkdrv_t`) and
//! its one client (the file server), after LionsOS/sDDF (docs/devices.md
//! §6). No data travels in IPC: the driver allocates one region in its DMA
//! memory and shares it; the client writes requests naming sectors and an
//! offset into the region's data area, the device transfers directly to or
//! from that area, and the driver answers with completions.
//!
//! Region layout ([`Layout`], all offsets in bytes from the region start):
//!
//! | at | what |
//! |---|---|
//! | 0 | [`Header`]: magic, capacity in sectors, flags, ring depth, offsets |
//! | [`REQ_OFFSET`] | request ring (`rampart_spsc`, client → driver), [`Req`] slots |
//! | [`CPL_OFFSET`] | completion ring (driver → client), [`Cpl`] slots |
//! | [`DATA_OFFSET`] | data area, to the region's end |
//!
//! Notifications: the client signals the driver's notification when its
//! `publish` reports the empty → non-empty transition of the request ring;
//! the driver signals the client's when the completion ring becomes
//! non-empty. Both sides treat the other as untrusted: the driver checks
//! every request ([`Req::check`]), the client every header field
//! ([`Layout::parse`]) and completion id.
#![no_std]
// Raw-pointer views of shared memory: the block queue lives in memory shared with another process, which
// Rust references must not cover (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod client;

#[cfg(feature = "rt")]
pub mod rt;

use rampart_spsc::{Plain, ring_bytes};
use rampart_uabi::Errno;

/// Bytes per sector (virtio 1.2 §5.2.6: sectors are 512 bytes whatever the
/// device's block size).
pub const SECTOR: u64 = 512;
/// `Header::magic`.
pub const MAGIC: u64 = u64::from_le_bytes(*b"RPBLKQ01");
/// Offset of the request ring.
pub const REQ_OFFSET: u64 = 4096;
/// Offset of the completion ring.
pub const CPL_OFFSET: u64 = 8192;
/// Offset of the data area.
pub const DATA_OFFSET: u64 = 16384;
/// Largest ring depth.
pub const MAX_DEPTH: u32 = 128;
/// Most sectors one request moves (128 KiB).
pub const MAX_SECTORS: u32 = 256;
/// `Header::flags`: the device refuses writes.
pub const FLAG_READ_ONLY: u32 = 1;

/// Read `count` sectors from `sector` into the data area at `offset`.
pub const OP_READ: u16 = 0;
/// Write `count` sectors at `sector` from the data area at `offset`.
pub const OP_WRITE: u16 = 1;
/// Make completed writes durable (virtio `VIRTIO_BLK_T_FLUSH`, §5.2.6).
pub const OP_FLUSH: u16 = 2;

/// The region header, written once by the driver before it publishes the
/// region. Little-endian, 48 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: u64,
    /// Device capacity in 512-byte sectors.
    pub capacity: u64,
    /// [`FLAG_READ_ONLY`].
    pub flags: u32,
    /// Entries of each ring (a power of two, at most [`MAX_DEPTH`]).
    pub depth: u32,
    /// Bytes of the data area (a multiple of [`SECTOR`]).
    pub data_len: u64,
    /// Region length in bytes.
    pub region_len: u64,
    /// Reserved (0).
    pub reserved: u64,
}

// SAFETY: `repr(C)` of integers only, no padding (8+8+4+4+8+8+8 = 48,
// every field naturally aligned); every bit pattern is a valid value.
unsafe impl Plain for Header {}

/// A request (client → driver), 24 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Req {
    /// Chosen by the client, echoed in the completion.
    pub id: u32,
    /// [`OP_READ`], [`OP_WRITE`], [`OP_FLUSH`].
    pub op: u16,
    /// Reserved (0).
    pub reserved: u16,
    /// Sectors (1..=[`MAX_SECTORS`]; 0 for a flush).
    pub count: u32,
    /// Byte offset in the data area (a multiple of [`SECTOR`]).
    pub offset: u32,
    /// First sector.
    pub sector: u64,
}

// SAFETY: `repr(C)` of integers, no padding (4+2+2+4+4 = 16, then u64 at
// 16); every bit pattern is valid.
unsafe impl Plain for Req {}

/// A completion (driver → client), 8 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Cpl {
    /// The request's id.
    pub id: u32,
    /// 0, or the errno: `EIO` (device error), `EINVAL` (malformed
    /// request), `EROFS`, `ENOTSUP` (the device cannot flush).
    pub status: u32,
}

// SAFETY: two `u32`s, no padding.
unsafe impl Plain for Cpl {}

/// A checked request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Read `count` sectors at `sector` into data bytes `offset..`.
    Read {
        /// First sector.
        sector: u64,
        /// Sectors.
        count: u32,
        /// Offset in the data area.
        offset: u64,
    },
    /// Write.
    Write {
        /// First sector.
        sector: u64,
        /// Sectors.
        count: u32,
        /// Offset in the data area.
        offset: u64,
    },
    /// Flush.
    Flush,
}

impl Req {
    /// What the request asks, checked against the device and the data
    /// area: a known op, 1..=[`MAX_SECTORS`] sectors inside the device, a
    /// sector-aligned data range inside the data area, no write to a
    /// read-only device.
    ///
    /// # Errors
    /// `EINVAL` (malformed), `EROFS`.
    pub fn check(&self, l: &Layout) -> Result<Op, Errno> {
        let data = |count: u32| -> Result<(u64, u64), Errno> {
            if count == 0
                || count > MAX_SECTORS
                || self.sector.checked_add(u64::from(count)).is_none_or(|e| e > l.capacity)
            {
                return Err(Errno::EINVAL);
            }
            let off = u64::from(self.offset);
            if !off.is_multiple_of(SECTOR) || off + u64::from(count) * SECTOR > l.data_len {
                return Err(Errno::EINVAL);
            }
            Ok((self.sector, off))
        };
        match self.op {
            OP_READ => data(self.count).map(|(sector, offset)| Op::Read { sector, count: self.count, offset }),
            OP_WRITE if l.read_only => Err(Errno::EROFS),
            OP_WRITE => data(self.count).map(|(sector, offset)| Op::Write { sector, count: self.count, offset }),
            OP_FLUSH if self.count == 0 => Ok(Op::Flush),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// The region's layout, as the driver builds it and the client checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Capacity in sectors.
    pub capacity: u64,
    /// Read-only device.
    pub read_only: bool,
    /// Ring depth.
    pub depth: u32,
    /// Bytes of the data area.
    pub data_len: u64,
    /// Bytes of the region.
    pub region_len: u64,
}

/// Why a region cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// Wrong magic.
    Magic,
    /// Depth not a power of two in 1..=[`MAX_DEPTH`].
    Depth,
    /// The rings or the data area do not fit the region.
    Size,
}

impl Layout {
    /// The layout the driver builds in a region of `region_len` bytes.
    ///
    /// # Errors
    /// As [`Layout::check`].
    pub fn new(capacity: u64, read_only: bool, depth: u32, region_len: u64) -> Result<Layout, LayoutError> {
        let data_len = region_len.saturating_sub(DATA_OFFSET) / SECTOR * SECTOR;
        let l = Layout { capacity, read_only, depth, data_len, region_len };
        l.check()?;
        Ok(l)
    }

    /// Checks the rings fit between their offsets and the data area fits
    /// the region.
    ///
    /// # Errors
    /// [`LayoutError::Depth`], [`LayoutError::Size`].
    pub fn check(&self) -> Result<(), LayoutError> {
        if self.depth == 0 || !self.depth.is_power_of_two() || self.depth > MAX_DEPTH {
            return Err(LayoutError::Depth);
        }
        let req_end = REQ_OFFSET + ring_bytes::<Req>(self.depth) as u64;
        let cpl_end = CPL_OFFSET + ring_bytes::<Cpl>(self.depth) as u64;
        if req_end > CPL_OFFSET
            || cpl_end > DATA_OFFSET
            || self.data_len < SECTOR
            || !self.data_len.is_multiple_of(SECTOR)
            || DATA_OFFSET.checked_add(self.data_len).is_none_or(|e| e > self.region_len)
        {
            return Err(LayoutError::Size);
        }
        Ok(())
    }

    /// The header describing this layout.
    pub fn header(&self) -> Header {
        Header {
            magic: MAGIC,
            capacity: self.capacity,
            flags: if self.read_only { FLAG_READ_ONLY } else { 0 },
            depth: self.depth,
            data_len: self.data_len,
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
        let l = Layout {
            capacity: h.capacity,
            read_only: h.flags & FLAG_READ_ONLY != 0,
            depth: h.depth,
            data_len: h.data_len,
            region_len,
        };
        l.check()?;
        Ok(l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::new(1000, false, 16, 1 << 20).unwrap()
    }

    #[test]
    fn sizes() {
        assert_eq!(core::mem::size_of::<Header>(), 48);
        assert_eq!(core::mem::size_of::<Req>(), 24);
        assert_eq!(core::mem::size_of::<Cpl>(), 8);
        let l = layout();
        assert_eq!(l.data_len, (1 << 20) - DATA_OFFSET);
        assert_eq!(Layout::parse(&l.header(), 1 << 20), Ok(l));
        assert_eq!(Layout::parse(&l.header(), 1 << 21), Err(LayoutError::Size));
        assert_eq!(Layout::new(1, false, 3, 1 << 20), Err(LayoutError::Depth));
        assert_eq!(Layout::new(1, false, MAX_DEPTH, 1 << 20).map(|l| l.depth), Ok(MAX_DEPTH));
        assert_eq!(Layout::new(1, false, 16, DATA_OFFSET), Err(LayoutError::Size));
        let mut h = l.header();
        h.magic = 0;
        assert_eq!(Layout::parse(&h, 1 << 20), Err(LayoutError::Magic));
    }

    #[test]
    fn requests_are_checked() {
        let l = layout();
        let r = |op, sector, count, offset| Req { id: 1, op, reserved: 0, count, offset, sector }.check(&l);
        assert_eq!(r(OP_READ, 0, 8, 0), Ok(Op::Read { sector: 0, count: 8, offset: 0 }));
        assert_eq!(r(OP_READ, 992, 8, 512), Ok(Op::Read { sector: 992, count: 8, offset: 512 }));
        assert_eq!(r(OP_READ, 993, 8, 0), Err(Errno::EINVAL), "past the end");
        assert_eq!(r(OP_READ, u64::MAX, 8, 0), Err(Errno::EINVAL), "overflow");
        assert_eq!(r(OP_READ, 0, 0, 0), Err(Errno::EINVAL));
        assert_eq!(r(OP_READ, 0, MAX_SECTORS + 1, 0), Err(Errno::EINVAL));
        assert_eq!(r(OP_READ, 0, 1, 100), Err(Errno::EINVAL), "unaligned");
        assert_eq!(r(OP_WRITE, 0, 2, (l.data_len - 512) as u32), Err(Errno::EINVAL), "beyond the data area");
        assert_eq!(r(OP_FLUSH, 0, 0, 0), Ok(Op::Flush));
        assert_eq!(r(OP_FLUSH, 0, 1, 0), Err(Errno::EINVAL));
        assert_eq!(r(7, 0, 1, 0), Err(Errno::EINVAL));
        let ro = Layout::new(1000, true, 16, 1 << 20).unwrap();
        assert_eq!(Req { op: OP_WRITE, count: 1, ..Default::default() }.check(&ro), Err(Errno::EROFS));
    }

    proptest::proptest! {
        #[test]
        fn checked_requests_stay_inside(id: u32, op in 0u16..4, count: u32, offset: u32, sector: u64) {
            let l = layout();
            let req = Req { id, op, reserved: 0, count, offset, sector };
            if let Ok(Op::Read { sector, count, offset } | Op::Write { sector, count, offset }) = req.check(&l) {
                proptest::prop_assert!(sector + u64::from(count) <= l.capacity);
                proptest::prop_assert!(offset + u64::from(count) * SECTOR <= l.data_len);
            }
        }
    }
}
