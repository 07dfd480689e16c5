//! The driver's end of the frame queues ([`DriverEnd`]), used by `netdrv`.

use crate::{
    DATA_OFFSET, Desc, Layout, LayoutError, MAX_FRAME, MIN_FRAME, RX_FREE_OFFSET, RX_USED_OFFSET, TX_DONE_OFFSET,
    TX_SEND_OFFSET, ring,
};
use alloc::vec;
use alloc::vec::Vec;
use rampart_spsc::{Consumer, Producer};
use rampart_uabi::Errno;

/// Why the driver refused a descriptor from the client (the entry is
/// dropped and counted; the buffer stays where it was).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The index is not in the ring's pool (rx indices on rx rings, tx
    /// indices on tx rings).
    Index,
    /// The driver already holds that buffer.
    Owned,
    /// A frame length outside `MIN_FRAME..=` the buffer's frame room.
    Length,
}

/// A frame to transmit from the tx send ring: `(buffer, frame length)`,
/// or why the entry was refused.
pub type TxFrame = Result<(u32, u32), Refused>;

/// The driver's end.
pub struct DriverEnd {
    base: *mut u8,
    layout: Layout,
    rx_free: Consumer<Desc>,
    rx_used: Producer<Desc>,
    tx_send: Consumer<Desc>,
    tx_done: Producer<Desc>,
    /// Buffers the driver holds (index → held).
    held: Vec<bool>,
    /// Descriptors refused so far.
    pub refused: u64,
}

impl DriverEnd {
    /// Lays the queues out in the region at `base` (`layout.region_len`
    /// bytes, 64-aligned): writes the header and empty rings. The driver
    /// starts holding every rx buffer, the client every tx buffer.
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
        let at = |off: u64| (off as usize, len - off as usize);
        // SAFETY: the caller vouches for the region; the offsets are inside
        // it (`check`: the data area follows the rings), 64-aligned, and
        // nobody else uses it yet.
        unsafe {
            core::ptr::write_volatile(base as *mut crate::Header, layout.header());
            for off in [RX_FREE_OFFSET, RX_USED_OFFSET, TX_SEND_OFFSET, TX_DONE_OFFSET] {
                rampart_spsc::init(base.add(off as usize));
            }
            let bad = |_| LayoutError::Size;
            let (o, l) = at(RX_FREE_OFFSET);
            let rx_free = Consumer::new(base.add(o), l, layout.depth).map_err(bad)?;
            let (o, l) = at(RX_USED_OFFSET);
            let rx_used = Producer::new(base.add(o), l, layout.depth).map_err(bad)?;
            let (o, l) = at(TX_SEND_OFFSET);
            let tx_send = Consumer::new(base.add(o), l, layout.depth).map_err(bad)?;
            let (o, l) = at(TX_DONE_OFFSET);
            let tx_done = Producer::new(base.add(o), l, layout.depth).map_err(bad)?;
            let mut held = vec![false; layout.bufs() as usize];
            held[..layout.rx_bufs as usize].fill(true);
            Ok(DriverEnd { base, layout, rx_free, rx_used, tx_send, tx_done, held, refused: 0 })
        }
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The rx buffers the driver holds at start (all of them), to put on
    /// the device.
    pub fn initial_rx(&self) -> core::ops::Range<u32> {
        0..self.layout.rx_bufs
    }

    /// The whole buffer `i` (headroom + frame room): `BUF_BYTES` bytes.
    /// Only for buffers the driver holds (checked descriptors).
    pub fn buffer(&self, i: u32) -> *mut u8 {
        // SAFETY: `buf_offset` clamps to the last buffer, which `check`
        // put inside the region.
        unsafe { self.base.add(self.layout.buf_offset(i) as usize) }
    }

    /// Offset of buffer `i` from the start of the data area.
    pub fn data_offset(&self, i: u32) -> u64 {
        self.layout.buf_offset(i) - DATA_OFFSET
    }

    /// The next empty rx buffer the client returned: `Ok(Some(Ok(i)))`, a
    /// refused entry `Ok(Some(Err(_)))` (counted), or `Ok(None)`.
    ///
    /// # Errors
    /// `EIO` if the client corrupted the ring indices.
    pub fn next_rx_free(&mut self) -> Result<Option<Result<u32, Refused>>, Errno> {
        let Some(d) = self.rx_free.pop().map_err(ring)? else { return Ok(None) };
        let r = self.take(d.buf, 0..self.layout.rx_bufs);
        Ok(Some(r))
    }

    /// The next frame to transmit: `(buffer, frame length)` or a refused
    /// entry, as [`DriverEnd::next_rx_free`].
    ///
    /// # Errors
    /// `EIO` (corrupt indices).
    pub fn next_tx(&mut self) -> Result<Option<TxFrame>, Errno> {
        let Some(d) = self.tx_send.pop().map_err(ring)? else { return Ok(None) };
        let room = self.layout.frame_room().min(MAX_FRAME);
        if d.len < MIN_FRAME || d.len > room {
            self.refused += 1;
            return Ok(Some(Err(Refused::Length)));
        }
        let r = self.take(d.buf, self.layout.rx_bufs..self.layout.bufs());
        Ok(Some(r.map(|b| (b, d.len))))
    }

    fn take(&mut self, buf: u32, pool: core::ops::Range<u32>) -> Result<u32, Refused> {
        let r = if !pool.contains(&buf) {
            Err(Refused::Index)
        } else if self.held[buf as usize] {
            Err(Refused::Owned)
        } else {
            self.held[buf as usize] = true;
            Ok(buf)
        };
        if r.is_err() {
            self.refused += 1;
        }
        r
    }

    fn give(&mut self, buf: u32, rx: bool) -> bool {
        let pool = if rx { 0..self.layout.rx_bufs } else { self.layout.rx_bufs..self.layout.bufs() };
        if !pool.contains(&buf) || !self.held[buf as usize] {
            return false;
        }
        self.held[buf as usize] = false;
        true
    }

    /// Hands received frame `len` bytes in rx buffer `buf` to the client.
    /// `Ok(false)`: not a buffer the driver holds, or the ring is full
    /// (nothing queued).
    ///
    /// # Errors
    /// `EIO` (corrupt indices).
    pub fn rx_done(&mut self, buf: u32, len: u32) -> Result<bool, Errno> {
        if self.rx_used.free().map_err(ring)? == 0 || !self.give(buf, true) {
            return Ok(false);
        }
        self.rx_used.push(Desc { buf, len }).map_err(ring)
    }

    /// Returns transmitted buffer `buf` to the client (as
    /// [`DriverEnd::rx_done`]).
    ///
    /// # Errors
    /// `EIO` (corrupt indices).
    pub fn tx_done(&mut self, buf: u32) -> Result<bool, Errno> {
        if self.tx_done.free().map_err(ring)? == 0 || !self.give(buf, false) {
            return Ok(false);
        }
        self.tx_done.push(Desc { buf, len: 0 }).map_err(ring)
    }

    /// Makes queued entries visible and returns consumed slots; true if
    /// the client must be signalled.
    pub fn publish(&mut self) -> bool {
        let a = self.rx_used.publish();
        let b = self.tx_done.publish();
        let c = self.rx_free.release();
        let d = self.tx_send.release();
        a | b | c | d
    }

    /// True if the client's rings have no entries after a fence (sleep
    /// until signalled); the tx send ring only counts with `tx` (a driver
    /// whose device queue is full waits for the device instead).
    ///
    /// # Errors
    /// `EIO` (corrupt indices).
    pub fn should_sleep(&mut self, tx: bool) -> Result<bool, Errno> {
        Ok(self.rx_free.should_sleep().map_err(ring)? && (!tx || self.tx_send.should_sleep().map_err(ring)?))
    }
}
