//! The framebuffer region between the virtio-gpu driver (`gpudrv_t`) and
//! its one client, the GUI server (`gui_t`), docs/gui.md §2.
//!
//! The driver allocates one region, writes a [`Header`] at offset 0 and
//! publishes the region and its notification through devmgr (as blk and
//! net drivers do, docs/devices.md §5). The client draws 32-bit pixels
//! (`0x00RRGGBB` little-endian words: virtio-gpu's `B8G8R8X8_UNORM`,
//! virtio 1.2 §5.7.6.8) at [`PIXELS_OFFSET`], row after row of
//! [`Header::stride`] bytes.
//!
//! Flush handshake: the client bumps [`Header::flush_req`] and signals the
//! driver's notification; the driver copies the pixels into the device's
//! resource (virtio-gpu `TRANSFER_TO_HOST_2D` and `RESOURCE_FLUSH`), sets
//! [`Header::flush_done`] to the request number it served and signals the
//! client. The driver reads nothing else from the client: a hostile client
//! can only change its own screen.
//!
//! Trust: the driver trusts nothing the client writes (all it reads are the
//! pixels and one counter); the client checks the header the driver wrote
//! ([`Geometry::parse`]) before touching the pixels.
#![no_std]
#![warn(missing_docs)]

/// `Header::magic`.
pub const MAGIC: u64 = u64::from_le_bytes(*b"RPGPUFB1");
/// Offset of the first pixel from the region start (bytes).
pub const PIXELS_OFFSET: u64 = 4096;
/// Largest width or height the driver offers (pixels).
pub const MAX_DIM: u32 = 4096;
/// Bytes per pixel.
pub const BYTES_PER_PIXEL: u32 = 4;

/// The region header, written by the driver before it publishes the
/// region (`repr(C)`, 48 bytes, little-endian).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes from one row to the next (`width * 4`).
    pub stride: u32,
    /// Reserved (0).
    pub reserved: u32,
    /// Bytes of the region.
    pub region_len: u64,
    /// Flush requests made by the client (it increments this).
    pub flush_req: u64,
    /// The last flush request the driver served.
    pub flush_done: u64,
}

/// The screen's geometry, as the driver lays it out and the client checks
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes of the region.
    pub region_len: u64,
}

/// Why a region is not a framebuffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeometryError {
    /// Wrong magic.
    Magic,
    /// A dimension is 0 or above [`MAX_DIM`], or the stride is not
    /// `width * 4`.
    Size,
    /// The pixels do not fit the region (or the header's length is not
    /// the region's).
    Region,
}

impl Geometry {
    /// Bytes of the pixels.
    pub fn pixel_bytes(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height) * u64::from(BYTES_PER_PIXEL)
    }

    /// Checks the dimensions and that the pixels fit the region.
    ///
    /// # Errors
    /// [`GeometryError`].
    pub fn check(&self) -> Result<(), GeometryError> {
        if self.width == 0 || self.height == 0 || self.width > MAX_DIM || self.height > MAX_DIM {
            return Err(GeometryError::Size);
        }
        if PIXELS_OFFSET + self.pixel_bytes() > self.region_len {
            return Err(GeometryError::Region);
        }
        Ok(())
    }

    /// The header describing this geometry (no flush yet).
    pub fn header(&self) -> Header {
        Header {
            magic: MAGIC,
            width: self.width,
            height: self.height,
            stride: self.width * BYTES_PER_PIXEL,
            reserved: 0,
            region_len: self.region_len,
            flush_req: 0,
            flush_done: 0,
        }
    }

    /// The geometry `h` describes for a region of `region_len` bytes.
    ///
    /// # Errors
    /// [`GeometryError`].
    pub fn parse(h: &Header, region_len: u64) -> Result<Geometry, GeometryError> {
        if h.magic != MAGIC {
            return Err(GeometryError::Magic);
        }
        if h.region_len != region_len {
            return Err(GeometryError::Region);
        }
        let g = Geometry { width: h.width, height: h.height, region_len };
        if h.stride != h.width.wrapping_mul(BYTES_PER_PIXEL) {
            return Err(GeometryError::Size);
        }
        g.check()?;
        Ok(g)
    }
}

/// Offset of `flush_req` in the header (bytes).
pub const FLUSH_REQ_OFFSET: usize = 32;
/// Offset of `flush_done` in the header (bytes).
pub const FLUSH_DONE_OFFSET: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_and_checks() {
        assert_eq!(core::mem::size_of::<Header>(), 48);
        assert_eq!(core::mem::offset_of!(Header, flush_req), FLUSH_REQ_OFFSET);
        assert_eq!(core::mem::offset_of!(Header, flush_done), FLUSH_DONE_OFFSET);
        let g = Geometry { width: 640, height: 480, region_len: 2 << 20 };
        assert_eq!(Geometry::parse(&g.header(), 2 << 20), Ok(g));
        assert_eq!(Geometry::parse(&g.header(), 1 << 20), Err(GeometryError::Region));
        let mut h = g.header();
        h.magic = 0;
        assert_eq!(Geometry::parse(&h, 2 << 20), Err(GeometryError::Magic));
        let mut h = g.header();
        h.stride = 100;
        assert_eq!(Geometry::parse(&h, 2 << 20), Err(GeometryError::Size));
        let mut h = g.header();
        h.width = u32::MAX;
        h.stride = h.width.wrapping_mul(4);
        assert_eq!(Geometry::parse(&h, 2 << 20), Err(GeometryError::Size));
        let small = Geometry { width: 640, height: 480, region_len: 1 << 20 };
        assert_eq!(small.check(), Err(GeometryError::Region));
    }
}
