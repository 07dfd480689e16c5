//! The input event ring between a virtio-input driver (`inputdrv_t`) and
//! its one client, the GUI server (`gui_t`), docs/gui.md §2.
//!
//! The driver allocates one region, writes a [`Header`] at offset 0 and an
//! empty `rampart_spsc` ring of [`Event`]s at [`RING_OFFSET`], and
//! publishes the region and its notification through devmgr. It pushes
//! every event the device reports (Linux evdev events: `EV_KEY`, `EV_ABS`,
//! `EV_SYN`, `include/uapi/linux/input-event-codes.h`; virtio 1.2 §5.8) and
//! signals the client when the ring goes from empty to non-empty; a full
//! ring drops events (counted in [`Header::dropped`]).
//!
//! Trust: the client checks the header and the ring indices
//! (`rampart_spsc` reports a corrupt ring); the driver reads nothing the
//! client writes but the ring's consumer index.
#![no_std]
// Raw-pointer views of shared memory: the ring lives in memory shared with
// another process (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]
#![warn(missing_docs)]

use rampart_spsc::{Consumer, Plain, Producer, RingError, ring_bytes};

/// `Header::magic`.
pub const MAGIC: u64 = u64::from_le_bytes(*b"RPINPUT1");
/// Offset of the event ring from the region start (bytes).
pub const RING_OFFSET: usize = 4096;
/// Entries of the ring.
pub const DEPTH: u32 = 256;
/// Bytes of the region.
pub const REGION_BYTES: usize = 16384;

/// evdev event types (`EV_*`).
pub mod ev {
    /// Synchronisation (end of a packet of events).
    pub const SYN: u16 = 0x00;
    /// Keys and buttons.
    pub const KEY: u16 = 0x01;
    /// Relative axes.
    pub const REL: u16 = 0x02;
    /// Absolute axes (a tablet).
    pub const ABS: u16 = 0x03;
}

/// evdev codes the GUI server interprets.
pub mod code {
    /// `KEY_SCROLLLOCK`: the secure attention key.
    pub const KEY_SCROLLLOCK: u16 = 70;
    /// `BTN_LEFT`: the primary pointer button.
    pub const BTN_LEFT: u16 = 0x110;
    /// `ABS_X`.
    pub const ABS_X: u16 = 0x00;
    /// `ABS_Y`.
    pub const ABS_Y: u16 = 0x01;
    /// Range of QEMU's virtio-tablet absolute axes (0..=`ABS_MAX`).
    pub const ABS_MAX: u32 = 0x7fff;
}

/// One evdev event (`struct virtio_input_event`, 8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Event {
    /// `EV_*` type.
    pub kind: u16,
    /// Key, button or axis code.
    pub code: u16,
    /// Value: 1 press, 0 release, 2 repeat for keys; the position for
    /// absolute axes.
    pub value: u32,
}

// SAFETY: `repr(C)` of integers, no padding (2+2+4), every bit pattern valid.
unsafe impl Plain for Event {}

/// The region header (`repr(C)`, 24 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: u64,
    /// Ring entries ([`DEPTH`]).
    pub depth: u32,
    /// Reserved (0).
    pub reserved: u32,
    /// Events dropped because the ring was full.
    pub dropped: u64,
}

// SAFETY: integers only, no padding (8+4+4+8), every bit pattern valid.
unsafe impl Plain for Header {}

/// Why a region is not an input ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// Wrong magic or depth.
    Header,
    /// Too small or misaligned.
    Layout,
}

const _: () = assert!(RING_OFFSET + ring_bytes::<Event>(DEPTH) <= REGION_BYTES);

/// The driver's end.
pub struct DriverEnd {
    base: *mut u8,
    ring: Producer<Event>,
    dropped: u64,
}

impl DriverEnd {
    /// Lays the header and an empty ring out in the region at `base`.
    ///
    /// # Errors
    /// [`RegionError::Layout`] (`len` below [`REGION_BYTES`] or `base` not
    /// 64-aligned).
    ///
    /// # Safety
    /// `base` must be valid for reads and writes of `len` bytes for the
    /// life of the end, and no client may use it before this returns.
    pub unsafe fn create(base: *mut u8, len: usize) -> Result<DriverEnd, RegionError> {
        if len < REGION_BYTES || !(base as usize).is_multiple_of(64) {
            return Err(RegionError::Layout);
        }
        // SAFETY: the caller vouches for `len` bytes at `base`; the ring
        // lies inside them (the assertion above) and is 64-aligned.
        unsafe {
            core::ptr::write_volatile(base as *mut Header, Header { magic: MAGIC, depth: DEPTH, ..Header::default() });
            rampart_spsc::init(base.add(RING_OFFSET));
            let ring =
                Producer::new(base.add(RING_OFFSET), len - RING_OFFSET, DEPTH).map_err(|_| RegionError::Layout)?;
            Ok(DriverEnd { base, ring, dropped: 0 })
        }
    }

    /// Queues `e`; a full ring drops it (counted).
    ///
    /// # Errors
    /// [`RingError::Corrupt`]: the client corrupted the ring's index.
    pub fn push(&mut self, e: Event) -> Result<(), RingError> {
        if !self.ring.push(e)? {
            self.dropped += 1;
            // SAFETY: the header is inside the region (`create`).
            unsafe {
                core::ptr::write_volatile(core::ptr::addr_of_mut!((*(self.base as *mut Header)).dropped), self.dropped)
            };
        }
        Ok(())
    }

    /// Makes the queued events visible; true if the client must be
    /// signalled (the ring went from empty to non-empty).
    pub fn publish(&mut self) -> bool {
        self.ring.publish()
    }

    /// Events dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// The client's end.
pub struct ClientEnd {
    ring: Consumer<Event>,
}

impl ClientEnd {
    /// Checks the header of the region at `base` and opens its ring.
    ///
    /// # Errors
    /// [`RegionError`].
    ///
    /// # Safety
    /// `base` must be valid for reads and writes of `len` bytes for the
    /// life of the end; only the driver may use the region besides.
    pub unsafe fn open(base: *mut u8, len: usize) -> Result<ClientEnd, RegionError> {
        if len < REGION_BYTES || !(base as usize).is_multiple_of(64) {
            return Err(RegionError::Layout);
        }
        // SAFETY: the caller vouches for the region; the header and ring
        // are inside it.
        unsafe {
            let h = core::ptr::read_volatile(base as *const Header);
            if h.magic != MAGIC || h.depth != DEPTH {
                return Err(RegionError::Header);
            }
            let ring =
                Consumer::new(base.add(RING_OFFSET), len - RING_OFFSET, DEPTH).map_err(|_| RegionError::Layout)?;
            Ok(ClientEnd { ring })
        }
    }

    /// The next event, if any.
    ///
    /// # Errors
    /// [`RingError::Corrupt`]: the driver corrupted the ring's index.
    pub fn pop(&mut self) -> Result<Option<Event>, RingError> {
        self.ring.pop()
    }

    /// Returns consumed slots to the driver.
    pub fn release(&mut self) -> bool {
        self.ring.release()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(C, align(4096))]
    struct Mem([u8; REGION_BYTES]);

    #[test]
    fn events_pass_in_order_and_overflow_is_counted() {
        let mut m = Mem([0; REGION_BYTES]);
        let base = m.0.as_mut_ptr();
        // SAFETY: `m` outlives both ends in this test.
        let mut d = unsafe { DriverEnd::create(base, REGION_BYTES) }.unwrap();
        // SAFETY: as above.
        let mut c = unsafe { ClientEnd::open(base, REGION_BYTES) }.unwrap();
        for i in 0..DEPTH + 5 {
            d.push(Event { kind: ev::KEY, code: i as u16, value: 1 }).unwrap();
        }
        assert!(d.publish());
        assert_eq!(d.dropped(), 5);
        for i in 0..DEPTH {
            assert_eq!(c.pop().unwrap(), Some(Event { kind: ev::KEY, code: i as u16, value: 1 }));
        }
        assert_eq!(c.pop().unwrap(), None);
        assert_eq!(core::mem::size_of::<Event>(), 8);
    }

    #[test]
    fn client_refuses_a_foreign_region() {
        let mut m = Mem([0; REGION_BYTES]);
        // SAFETY: `m` outlives the end.
        assert!(matches!(unsafe { ClientEnd::open(m.0.as_mut_ptr(), REGION_BYTES) }, Err(RegionError::Header)));
        // SAFETY: as above.
        assert!(matches!(unsafe { ClientEnd::open(m.0.as_mut_ptr(), 100) }, Err(RegionError::Layout)));
    }
}
