//! Both ends of the block queues over the shared region: [`DriverEnd`]
//! (used by `blkdrv`) and [`BlkClient`] (used by the file server, as its
//! `BlockDevice` with feature `fs`).
//!
//! The client splits a transfer into requests of at most
//! [`crate::MAX_SECTORS`] sectors, each with its own slot of the data area,
//! keeps up to one request per slot in flight, and copies between the
//! caller's buffer and the data area (one copy; the device moves the data
//! between the data area and the disk by DMA).

use crate::{
    CPL_OFFSET, Cpl, DATA_OFFSET, Header, Layout, LayoutError, MAX_SECTORS, OP_FLUSH, OP_READ, OP_WRITE, Op,
    REQ_OFFSET, Req, SECTOR,
};
use alloc::vec::Vec;
use rampart_spsc::{Consumer, Producer, RingError};
use rampart_uabi::Errno;

/// How an end signals its peer and waits for it.
pub trait Signal {
    /// Signals the peer's notification.
    fn notify(&mut self);
    /// Blocks until the peer has signalled (at once if it already has).
    fn wait(&mut self);
}

fn ring(e: RingError) -> Errno {
    match e {
        RingError::BadLayout => Errno::EINVAL,
        RingError::Corrupt => Errno::EIO,
    }
}

/// A popped request: the client's id and what it asks (or why it is
/// refused).
pub type Request = (u32, Result<Op, Errno>);

/// The driver's end.
pub struct DriverEnd {
    base: *mut u8,
    layout: Layout,
    req: Consumer<Req>,
    cpl: Producer<Cpl>,
}

impl DriverEnd {
    /// Lays the queues out in the region at `base` (`layout.region_len`
    /// bytes, 64-aligned, zeroed or unused): writes the header and empty
    /// rings.
    ///
    /// # Errors
    /// [`LayoutError`] if `layout` does not check.
    ///
    /// # Safety
    /// `base` must be valid for reads and writes of `layout.region_len`
    /// bytes for the life of the end, and no client may use the region
    /// before this returns.
    pub unsafe fn create(base: *mut u8, layout: Layout) -> Result<DriverEnd, LayoutError> {
        layout.check()?;
        let len = layout.region_len as usize;
        // SAFETY: the caller vouches for the region; the offsets are inside
        // it (`check`), 64-aligned, and nobody else uses it yet.
        unsafe {
            core::ptr::write_volatile(base as *mut Header, layout.header());
            rampart_spsc::init(base.add(REQ_OFFSET as usize));
            rampart_spsc::init(base.add(CPL_OFFSET as usize));
            let req = Consumer::new(base.add(REQ_OFFSET as usize), len - REQ_OFFSET as usize, layout.depth)
                .map_err(|_| LayoutError::Size)?;
            let cpl = Producer::new(base.add(CPL_OFFSET as usize), len - CPL_OFFSET as usize, layout.depth)
                .map_err(|_| LayoutError::Size)?;
            Ok(DriverEnd { base, layout, req, cpl })
        }
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The next request: its id and what it asks (or why it is refused;
    /// the driver completes a refused request with that errno).
    ///
    /// # Errors
    /// `EIO` if the client corrupted the ring indices.
    pub fn next_request(&mut self) -> Result<Option<Request>, Errno> {
        Ok(self.req.pop().map_err(ring)?.map(|r| (r.id, r.check(&self.layout))))
    }

    /// Returns consumed request slots to the client; true if it must be
    /// signalled (the ring had been full).
    pub fn release(&mut self) -> bool {
        self.req.release()
    }

    /// True if no request is waiting after a fence (sleep until signalled).
    ///
    /// # Errors
    /// `EIO` (corrupt indices).
    pub fn should_sleep(&mut self) -> Result<bool, Errno> {
        self.req.should_sleep().map_err(ring)
    }

    /// Queues the completion of request `id`. `Ok(false)` if the ring is
    /// full (a client with more requests in flight than the depth).
    ///
    /// # Errors
    /// `EIO` (corrupt indices).
    pub fn complete(&mut self, id: u32, status: u32) -> Result<bool, Errno> {
        self.cpl.push(Cpl { id, status }).map_err(ring)
    }

    /// Makes queued completions visible; true if the client must be
    /// signalled.
    pub fn publish(&mut self) -> bool {
        self.cpl.publish()
    }

    /// Address of data-area byte `offset` (checked requests only).
    pub fn data(&self, offset: u64) -> *mut u8 {
        // SAFETY: `Req::check` keeps offsets inside the data area, which is
        // inside the region.
        unsafe { self.base.add((DATA_OFFSET + offset.min(self.layout.data_len)) as usize) }
    }
}

/// The client's end: a disk of 512-byte sectors.
pub struct BlkClient<S: Signal> {
    base: *mut u8,
    layout: Layout,
    req: Producer<Req>,
    cpl: Consumer<Cpl>,
    sig: S,
    /// Data slots: bytes each, and how many.
    chunk: u64,
    slots: u32,
}

/// One transfer's direction and the caller's buffer.
enum Buf<'a> {
    Read(&'a mut [u8]),
    Write(&'a [u8]),
}

impl<S: Signal> BlkClient<S> {
    /// The client of the region at `base` (`len` bytes), whose header the
    /// driver wrote.
    ///
    /// # Errors
    /// [`LayoutError`] for a header that does not describe this region.
    ///
    /// # Safety
    /// `base` must be valid for reads and writes of `len` bytes (64-aligned)
    /// for the life of the client; no other client may use the region.
    pub unsafe fn new(base: *mut u8, len: usize, sig: S) -> Result<BlkClient<S>, LayoutError> {
        // SAFETY: the region holds at least a header (checked by `parse`
        // through `region_len`; `len` ≥ 48 is needed to read it).
        if len < DATA_OFFSET as usize {
            return Err(LayoutError::Size);
        }
        // SAFETY: `len` covers the header; volatile because the driver
        // wrote it from another address space.
        let h = unsafe { core::ptr::read_volatile(base as *const Header) };
        let layout = Layout::parse(&h, len as u64)?;
        // SAFETY: as above; the offsets are inside the region (`parse`).
        let (req, cpl) = unsafe {
            (
                Producer::new(base.add(REQ_OFFSET as usize), len - REQ_OFFSET as usize, layout.depth),
                Consumer::new(base.add(CPL_OFFSET as usize), len - CPL_OFFSET as usize, layout.depth),
            )
        };
        let (req, cpl) = (req.map_err(|_| LayoutError::Size)?, cpl.map_err(|_| LayoutError::Size)?);
        let max = u64::from(MAX_SECTORS) * SECTOR;
        let slots = ((layout.data_len / max) as u32).clamp(1, layout.depth);
        let chunk = (layout.data_len / u64::from(slots)).min(max) / SECTOR * SECTOR;
        Ok(BlkClient { base, layout, req, cpl, sig, chunk, slots })
    }

    /// The layout (capacity, read-only).
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The signal (for callers that share its notification).
    pub fn signal(&mut self) -> &mut S {
        &mut self.sig
    }

    fn slot_ptr(&self, slot: u32) -> *mut u8 {
        // SAFETY: `slot * chunk + chunk` ≤ the data area, inside the region.
        unsafe { self.base.add((DATA_OFFSET + u64::from(slot) * self.chunk) as usize) }
    }

    /// Reads `buf.len() / 512` sectors from `sector`.
    ///
    /// # Errors
    /// `EINVAL` (length not a multiple of 512, range past the end), the
    /// device's errno, `EIO` (the driver broke the protocol).
    pub fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), Errno> {
        self.transfer(sector, Buf::Read(buf))
    }

    /// Writes `buf.len() / 512` sectors at `sector`.
    ///
    /// # Errors
    /// As [`BlkClient::read`]; `EROFS`.
    pub fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), Errno> {
        if self.layout.read_only {
            return Err(Errno::EROFS);
        }
        self.transfer(sector, Buf::Write(buf))
    }

    /// Makes completed writes durable.
    ///
    /// # Errors
    /// The device's errno, `EIO`.
    pub fn flush(&mut self) -> Result<(), Errno> {
        let id = self.slots;
        self.push(Req { id, op: OP_FLUSH, ..Default::default() })?;
        loop {
            let c = self.next_completion()?;
            if c.id == id {
                return if c.status == 0 { Ok(()) } else { Err(Errno(c.status as i32)) };
            }
        }
    }

    fn push(&mut self, r: Req) -> Result<(), Errno> {
        if !self.req.push(r).map_err(ring)? {
            return Err(Errno::EIO); // never more in flight than slots ≤ depth
        }
        if self.req.publish() {
            self.sig.notify();
        }
        Ok(())
    }

    fn next_completion(&mut self) -> Result<Cpl, Errno> {
        loop {
            if let Some(c) = self.cpl.pop().map_err(ring)? {
                self.cpl.release();
                return Ok(c);
            }
            if self.cpl.should_sleep().map_err(ring)? {
                self.sig.wait();
            }
        }
    }

    fn transfer(&mut self, sector: u64, mut buf: Buf<'_>) -> Result<(), Errno> {
        let len = match &buf {
            Buf::Read(b) => b.len(),
            Buf::Write(b) => b.len(),
        } as u64;
        if !len.is_multiple_of(SECTOR) || sector.checked_add(len / SECTOR).is_none_or(|e| e > self.layout.capacity) {
            return Err(Errno::EINVAL);
        }
        let total = len / SECTOR;
        let per = self.chunk / SECTOR;
        let mut in_flight: Vec<Option<(u64, u64)>> = alloc::vec![None; self.slots as usize];
        let mut next = 0u64;
        let mut busy = 0usize;
        let mut err = None;
        while next < total || busy > 0 {
            // Fill every free slot.
            for s in 0..self.slots {
                if next >= total || err.is_some() {
                    break;
                }
                if in_flight[s as usize].is_some() {
                    continue;
                }
                let n = per.min(total - next);
                let (from, bytes) = ((next * SECTOR) as usize, (n * SECTOR) as usize);
                let op = match &buf {
                    Buf::Read(_) => OP_READ,
                    Buf::Write(b) => {
                        // SAFETY: the slot has `chunk` ≥ `bytes` bytes in the
                        // region; no request using it is in flight.
                        unsafe {
                            core::ptr::copy_nonoverlapping(b[from..from + bytes].as_ptr(), self.slot_ptr(s), bytes)
                        };
                        OP_WRITE
                    }
                };
                let offset = (u64::from(s) * self.chunk) as u32;
                let r = Req { id: s, op, reserved: 0, count: n as u32, offset, sector: sector + next };
                if let Err(e) = self.push(r) {
                    err = Some(e);
                    break;
                }
                in_flight[s as usize] = Some((next, n));
                next += n;
                busy += 1;
            }
            if busy == 0 {
                break;
            }
            let c = self.next_completion()?;
            let Some((at, n)) = in_flight.get_mut(c.id as usize).and_then(Option::take) else {
                return Err(Errno::EIO); // a completion for nothing we asked
            };
            busy -= 1;
            if c.status != 0 {
                err.get_or_insert(Errno(c.status as i32));
            } else if let Buf::Read(b) = &mut buf {
                let (from, bytes) = ((at * SECTOR) as usize, (n * SECTOR) as usize);
                // SAFETY: the slot holds `bytes` ≤ `chunk` bytes the device
                // wrote; the request completed, so nobody writes it now.
                unsafe {
                    core::ptr::copy_nonoverlapping(self.slot_ptr(c.id), b[from..from + bytes].as_mut_ptr(), bytes)
                };
            }
        }
        err.map_or(Ok(()), Err)
    }
}

#[cfg(feature = "fs")]
impl<S: Signal> rampart_fs::BlockDevice for BlkClient<S> {
    fn sector_count(&self) -> u64 {
        self.layout.capacity
    }

    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), rampart_fs::IoError> {
        self.read(lba, buf).map_err(|_| rampart_fs::IoError)
    }

    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), rampart_fs::IoError> {
        self.write(lba, buf).map_err(|_| rampart_fs::IoError)
    }

    fn flush(&mut self) -> Result<(), rampart_fs::IoError> {
        BlkClient::flush(self).map_err(|_| rampart_fs::IoError)
    }

    fn read_only(&self) -> bool {
        self.layout.read_only
    }
}
