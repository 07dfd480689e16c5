//! The client's end of the frame queues ([`NetClient`]), used by the
//! network server as its `NetDevice` (feature `net`).

use crate::{
    DATA_OFFSET, Desc, Header, Layout, LayoutError, RX_FREE_OFFSET, RX_USED_OFFSET, TX_DONE_OFFSET, TX_SEND_OFFSET,
};
use alloc::vec;
use alloc::vec::Vec;
use rampart_spsc::{Consumer, Producer};

/// How the client signals the driver.
pub trait Signal {
    /// Signals the driver's notification.
    fn notify(&mut self);
}

/// The client's end: raw Ethernet frames in and out.
pub struct NetClient<S: Signal> {
    base: *mut u8,
    layout: Layout,
    rx_free: Producer<Desc>,
    rx_used: Consumer<Desc>,
    tx_send: Producer<Desc>,
    tx_done: Consumer<Desc>,
    /// Buffers the client holds (index → held).
    held: Vec<bool>,
    /// Free tx buffers.
    tx_free: Vec<u32>,
    sig: S,
    /// The driver broke the protocol (corrupt indices): the client stops.
    broken: bool,
    /// Entries from the driver that were ignored (bad index, not the
    /// driver's buffer, bad length).
    pub ignored: u64,
}

impl<S: Signal> NetClient<S> {
    /// The client of the region at `base` (`len` bytes), whose header the
    /// driver wrote.
    ///
    /// # Errors
    /// [`LayoutError`] for a header that does not describe this region.
    ///
    /// # Safety
    /// `base` must be valid for reads and writes of `len` bytes (64-aligned)
    /// for the life of the client; no other client may use the region.
    pub unsafe fn new(base: *mut u8, len: usize, sig: S) -> Result<NetClient<S>, LayoutError> {
        if len < DATA_OFFSET as usize {
            return Err(LayoutError::Size);
        }
        // SAFETY: `len` covers the header; volatile because the driver
        // wrote it from another address space.
        let h = unsafe { core::ptr::read_volatile(base as *const Header) };
        let layout = Layout::parse(&h, len as u64)?;
        let bad = |_| LayoutError::Size;
        let at = |off: u64| (off as usize, len - off as usize);
        // SAFETY: as above; the offsets are inside the region (`parse`).
        let (rx_free, rx_used, tx_send, tx_done) = unsafe {
            let (o, l) = at(RX_FREE_OFFSET);
            let a = Producer::new(base.add(o), l, layout.depth).map_err(bad)?;
            let (o, l) = at(RX_USED_OFFSET);
            let b = Consumer::new(base.add(o), l, layout.depth).map_err(bad)?;
            let (o, l) = at(TX_SEND_OFFSET);
            let c = Producer::new(base.add(o), l, layout.depth).map_err(bad)?;
            let (o, l) = at(TX_DONE_OFFSET);
            let d = Consumer::new(base.add(o), l, layout.depth).map_err(bad)?;
            (a, b, c, d)
        };
        let mut held = vec![false; layout.bufs() as usize];
        held[layout.rx_bufs as usize..].fill(true);
        let tx_free = (layout.rx_bufs..layout.bufs()).rev().collect();
        Ok(NetClient {
            base,
            layout,
            rx_free,
            rx_used,
            tx_send,
            tx_done,
            held,
            tx_free,
            sig,
            broken: false,
            ignored: 0,
        })
    }

    /// The layout (MAC address, buffer counts).
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The MAC address.
    pub fn mac(&self) -> [u8; 6] {
        self.layout.mac
    }

    /// True once the driver corrupted a ring (the client no longer moves
    /// frames).
    pub fn broken(&self) -> bool {
        self.broken
    }

    /// The signal.
    pub fn signal(&mut self) -> &mut S {
        &mut self.sig
    }

    fn frame_ptr(&self, buf: u32) -> *mut u8 {
        // SAFETY: `buf_offset` clamps to the last buffer, inside the region;
        // the headroom is at most 64 of its 2048 bytes.
        unsafe { self.base.add((self.layout.buf_offset(buf) + u64::from(self.layout.headroom)) as usize) }
    }

    /// Takes buffer `buf` from the driver if it is in `pool` and the
    /// driver held it.
    fn take(&mut self, buf: u32, rx: bool) -> bool {
        let ok = if rx { buf < self.layout.rx_bufs } else { buf >= self.layout.rx_bufs && buf < self.layout.bufs() };
        if !ok || self.held[buf as usize] {
            self.ignored += 1;
            return false;
        }
        self.held[buf as usize] = true;
        true
    }

    fn flush(&mut self) {
        let a = self.rx_free.publish();
        let b = self.tx_send.publish();
        let c = self.rx_used.release();
        let d = self.tx_done.release();
        if a | b | c | d {
            self.sig.notify();
        }
    }

    /// Copies the next received frame into `out` and returns its length,
    /// or `None` if none is waiting. A frame longer than `out`, or an entry
    /// the driver had no right to make, is dropped (`Some(0)`, so the
    /// caller keeps draining). The buffer goes back to the driver.
    pub fn receive(&mut self, out: &mut [u8]) -> Option<usize> {
        if self.broken {
            return None;
        }
        let d = match self.rx_used.pop() {
            Ok(Some(d)) => d,
            Ok(None) => return None,
            Err(_) => {
                self.broken = true;
                return None;
            }
        };
        if !self.take(d.buf, true) {
            return Some(0);
        }
        let n = d.len as usize;
        let copied = if n <= out.len() && d.len <= self.layout.frame_room() {
            // SAFETY: the frame lies inside buffer `d.buf` (length checked
            // against the frame room), which the client holds now; the
            // driver may still scribble on it (a hostile driver), which only
            // changes the bytes copied.
            unsafe { core::ptr::copy_nonoverlapping(self.frame_ptr(d.buf), out.as_mut_ptr(), n) };
            n
        } else {
            self.ignored += 1;
            0
        };
        self.held[d.buf as usize] = false;
        if self.rx_free.push(Desc { buf: d.buf, len: 0 }).is_err() {
            self.broken = true;
        }
        self.flush();
        Some(copied)
    }

    fn reclaim(&mut self) {
        loop {
            match self.tx_done.pop() {
                Ok(Some(d)) => {
                    if self.take(d.buf, false) {
                        self.tx_free.push(d.buf);
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    self.broken = true;
                    break;
                }
            }
        }
    }

    /// True if a frame can be queued now (a tx buffer is free).
    pub fn can_transmit(&mut self) -> bool {
        if self.tx_free.is_empty() {
            self.reclaim();
        }
        !self.broken && !self.tx_free.is_empty()
    }

    /// Queues a frame of `len` bytes that `fill` writes into the buffer.
    /// Returns false (and drops the frame) if no tx buffer is free or `len`
    /// does not fit a buffer.
    pub fn transmit(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> bool {
        if !self.can_transmit() || len > self.layout.frame_room() as usize {
            return false;
        }
        let Some(buf) = self.tx_free.pop() else { return false };
        // SAFETY: the client holds buffer `buf`; `len` fits its frame room.
        let frame = unsafe { core::slice::from_raw_parts_mut(self.frame_ptr(buf), len) };
        fill(frame);
        self.held[buf as usize] = false;
        if self.tx_send.push(Desc { buf, len: len as u32 }).is_err() {
            self.broken = true;
            return false;
        }
        self.flush();
        true
    }

    /// Frames waiting in the rx used ring.
    pub fn rx_pending(&mut self) -> usize {
        self.rx_used.available().map_or(0, |n| n as usize)
    }
}
