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
// Raw-pointer views of shared memory: the byte rings live in memory shared with another process, which
// Rust references must not cover (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]
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

    /// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
    /// (docs/assurance.md §10).
    fn cases(ci: u32) -> u32 {
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
    }

    /// A step of the hostile-peer property: the peer overwrites one ring
    /// index (`which`: 0 rx head, 1 rx tail, 2 tx head, 3 tx tail) with
    /// `value`, then each end writes `n` bytes and reads up to `n`.
    type Step = (u8, u32, usize);

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(cases(512)))]

        /// Each end shares its page with a peer that may write anything
        /// into the ring headers at any time: reads and writes never
        /// panic, never report more bytes than asked, and a corrupt index
        /// is `RingError::Corrupt`. (A peer that moves its own index ahead
        /// only garbles its own data: every access stays inside the ring.)
        #[test]
        fn hostile_indices_never_panic(steps in proptest::collection::vec((0u8..5, proptest::prelude::any::<u32>(), 0usize..1500), 1..24)) {
            let steps: std::vec::Vec<Step> = steps;
            let mut p = std::boxed::Box::new(Page([0; 4096]));
            let base = p.0.as_mut_ptr();
            // SAFETY: `p` outlives both ends; the page is only touched
            // through them and the volatile writes below.
            let (mut d, mut c) = unsafe { (driver(base, 4096).unwrap(), client(base, 4096).unwrap()) };
            let index = [RX_OFFSET, RX_OFFSET + 64, TX_OFFSET, TX_OFFSET + 64];
            let mut buf = [0u8; 1500];
            for (which, value, n) in steps {
                if let Some(&at) = index.get(usize::from(which)) {
                    // SAFETY: `at` is a 4-aligned index word inside the page.
                    unsafe { core::ptr::write_volatile(base.add(at) as *mut u32, value) };
                }
                for end in [&mut d, &mut c] {
                    match end.write(&buf[..n]) {
                        Ok((k, _)) => proptest::prop_assert!(k <= n),
                        Err(e) => proptest::prop_assert_eq!(e, RingError::Corrupt),
                    }
                    match end.read(&mut buf[..n]) {
                        Ok((k, _)) => proptest::prop_assert!(k <= n),
                        Err(e) => proptest::prop_assert_eq!(e, RingError::Corrupt),
                    }
                }
            }
        }
    }
}
