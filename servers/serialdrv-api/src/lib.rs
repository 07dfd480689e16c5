//! The serial byte stream between the 16550 driver (`serial_t`) and its
//! client (the console server, `console_t`): two byte rings in one page the
//! driver shares (docs/devices.md §6).
//!
//! | at | what |
//! |---|---|
//! | 0 | magic ([`MAGIC`], 8 bytes) |
//! | [`RX_OFFSET`] | receive ring (driver → client), [`DEPTH`] bytes |
//! | [`TX_OFFSET`] | transmit ring (client → driver), [`DEPTH`] bytes |
//!
//! Each side signals the other on the empty → non-empty transition of the
//! ring it produces (`rampart_spsc`); the driver also signals when it frees
//! transmit space that had run out.
#![no_std]
#![warn(missing_docs)]

#[cfg(feature = "rt")]
pub mod rt;

use rampart_spsc::{Consumer, Producer, RingError, ring_bytes};

/// Page magic.
pub const MAGIC: u64 = u64::from_le_bytes(*b"RPSER001");
/// Offset of the receive ring.
pub const RX_OFFSET: usize = 64;
/// Offset of the transmit ring.
pub const TX_OFFSET: usize = 2048;
/// Bytes of each ring.
pub const DEPTH: u32 = 1024;
/// Bytes of the shared region.
pub const REGION_BYTES: usize = 4096;

const _: () = assert!(RX_OFFSET + ring_bytes::<u8>(DEPTH) <= TX_OFFSET);
const _: () = assert!(TX_OFFSET + ring_bytes::<u8>(DEPTH) <= REGION_BYTES);

/// The rings of one end: what it consumes and what it produces.
pub struct Ends {
    /// Bytes to read.
    pub input: Consumer<u8>,
    /// Bytes to write.
    pub output: Producer<u8>,
}

/// The driver's end: writes the magic and empty rings.
///
/// # Errors
/// `RingError::BadLayout` if `len` is below [`REGION_BYTES`] or `base` is
/// not 64-aligned.
///
/// # Safety
/// `base` must be valid for reads and writes of `len` bytes for the life of
/// the ends, and not yet used by a client.
pub unsafe fn driver(base: *mut u8, len: usize) -> Result<Ends, RingError> {
    if len < REGION_BYTES {
        return Err(RingError::BadLayout);
    }
    // SAFETY: the caller's contract; offsets are inside `REGION_BYTES`.
    unsafe {
        core::ptr::write_volatile(base as *mut u64, MAGIC);
        rampart_spsc::init(base.add(RX_OFFSET));
        rampart_spsc::init(base.add(TX_OFFSET));
        Ok(Ends {
            input: Consumer::new(base.add(TX_OFFSET), len - TX_OFFSET, DEPTH)?,
            output: Producer::new(base.add(RX_OFFSET), len - RX_OFFSET, DEPTH)?,
        })
    }
}

/// The client's end.
///
/// # Errors
/// `RingError::BadLayout` (short region, wrong magic), `RingError::Corrupt`.
///
/// # Safety
/// As [`driver`], for the client.
pub unsafe fn client(base: *mut u8, len: usize) -> Result<Ends, RingError> {
    // SAFETY: the caller's contract.
    if len < REGION_BYTES || unsafe { core::ptr::read_volatile(base as *const u64) } != MAGIC {
        return Err(RingError::BadLayout);
    }
    // SAFETY: as above.
    unsafe {
        Ok(Ends {
            input: Consumer::new(base.add(RX_OFFSET), len - RX_OFFSET, DEPTH)?,
            output: Producer::new(base.add(TX_OFFSET), len - TX_OFFSET, DEPTH)?,
        })
    }
}

impl Ends {
    /// Queues as many bytes of `data` as fit; returns how many, and
    /// whether the peer must be signalled.
    ///
    /// # Errors
    /// `RingError::Corrupt`.
    pub fn write(&mut self, data: &[u8]) -> Result<(usize, bool), RingError> {
        let n = self.output.push_slice(data)?;
        Ok((n, self.output.publish()))
    }

    /// Takes up to `buf.len()` received bytes; returns how many, and
    /// whether the peer must be signalled (it may wait for space).
    ///
    /// # Errors
    /// `RingError::Corrupt`.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<(usize, bool), RingError> {
        let n = self.input.pop_slice(buf)?;
        Ok((n, self.input.release()))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[repr(C, align(4096))]
    struct Page([u8; 4096]);

    #[test]
    fn bytes_flow_both_ways() {
        let mut p = Page([0; 4096]);
        let base = p.0.as_mut_ptr();
        // SAFETY: `p` outlives both ends.
        let (mut d, mut c) = unsafe { (driver(base, 4096).unwrap(), client(base, 4096).unwrap()) };
        assert_eq!(d.write(b"hello").unwrap(), (5, true));
        let mut buf = [0u8; 16];
        assert_eq!(c.read(&mut buf).unwrap().0, 5);
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(c.write(b"ok").unwrap(), (2, true));
        assert_eq!(d.read(&mut buf).unwrap().0, 2);
        let big = [7u8; 2000];
        assert_eq!(d.write(&big).unwrap().0, DEPTH as usize);
        let mut q = Page([0; 4096]);
        // SAFETY: as above.
        assert!(unsafe { client(q.0.as_mut_ptr(), 4096) }.is_err(), "no magic");
        let _ = &mut q;
    }
}
