//! Sequential read-ahead in front of a [`BlockDevice`].
//!
//! The ext4 engines read a file's extent run by run, each run at most one
//! client request (56 KiB through the library OS), and wait for every
//! device request to complete. [`ReadAhead`] notices a read that starts
//! where the previous one ended and then fetches a whole window (1 MiB by
//! default) in one device call (which the virtio-blk client splits into
//! requests kept in flight together), serving the following reads from
//! memory. Reads that are not sequential (metadata, random access) go
//! straight to the device, so they are never amplified.
//!
//! Coherence: writes go to the device and update the window's copy of the
//! sectors they overlap; every clone shares one window. Correctness never
//! depends on the window: a read that is not entirely inside it goes to the
//! device.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::blockdev::{BlockDevice, IoError, SECTOR_SIZE};

/// Default window: 1 MiB (2048 sectors).
pub const WINDOW_SECTORS: u64 = 2048;

struct State<D> {
    dev: D,
    /// First sector held in `data` (`data.len() / 512` sectors).
    start: u64,
    data: Vec<u8>,
    /// Sector after the end of the last read.
    next: u64,
    window: u64,
}

/// A device with sequential read-ahead; clones share the window.
pub struct ReadAhead<D>(Rc<RefCell<State<D>>>);

impl<D> Clone for ReadAhead<D> {
    fn clone(&self) -> Self {
        ReadAhead(self.0.clone())
    }
}

impl<D: BlockDevice> ReadAhead<D> {
    /// `dev` with a window of `window` sectors (at least 1).
    pub fn new(dev: D, window: u64) -> ReadAhead<D> {
        let window = window.max(1);
        ReadAhead(Rc::new(RefCell::new(State { dev, start: 0, data: Vec::new(), next: u64::MAX, window })))
    }
}

impl<D: BlockDevice> State<D> {
    /// The byte range of `lba..lba + sectors` inside the window, if whole.
    fn inside(&self, lba: u64, bytes: usize) -> Option<core::ops::Range<usize>> {
        let off = lba.checked_sub(self.start)?.checked_mul(SECTOR_SIZE as u64)?;
        let off = usize::try_from(off).ok()?;
        let end = off.checked_add(bytes)?;
        (end <= self.data.len()).then_some(off..end)
    }

    fn read(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        if !buf.len().is_multiple_of(SECTOR_SIZE) {
            return Err(IoError);
        }
        let sectors = (buf.len() / SECTOR_SIZE) as u64;
        let sequential = lba == self.next;
        self.next = lba.saturating_add(sectors);
        if let Some(r) = self.inside(lba, buf.len()) {
            buf.copy_from_slice(&self.data[r]);
            return Ok(());
        }
        let cap = self.dev.sector_count();
        if !sequential || sectors >= self.window || lba >= cap {
            return self.dev.read_sectors(lba, buf);
        }
        let n = self.window.min(cap - lba);
        if n < sectors {
            return self.dev.read_sectors(lba, buf);
        }
        self.data.clear();
        self.data.resize(n as usize * SECTOR_SIZE, 0);
        if let Err(e) = self.dev.read_sectors(lba, &mut self.data) {
            self.data.clear();
            return Err(e);
        }
        self.start = lba;
        buf.copy_from_slice(&self.data[..buf.len()]);
        Ok(())
    }

    fn write(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        let r = self.dev.write_sectors(lba, buf);
        // Keep the window equal to the disk where they overlap; on an error
        // the disk's content is unknown, so the window goes.
        let sectors = (buf.len() / SECTOR_SIZE) as u64;
        let wend = self.start + (self.data.len() / SECTOR_SIZE) as u64;
        let (from, to) = (lba.max(self.start), lba.saturating_add(sectors).min(wend));
        if from < to {
            if r.is_err() {
                self.data.clear();
            } else {
                let dst = ((from - self.start) as usize * SECTOR_SIZE)..((to - self.start) as usize * SECTOR_SIZE);
                let src = ((from - lba) as usize * SECTOR_SIZE)..((to - lba) as usize * SECTOR_SIZE);
                self.data[dst].copy_from_slice(&buf[src]);
            }
        }
        r
    }
}

impl<D: BlockDevice> BlockDevice for ReadAhead<D> {
    fn sector_count(&self) -> u64 {
        self.0.borrow().dev.sector_count()
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.0.borrow_mut().read(lba, buf)
    }
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        self.0.borrow_mut().write(lba, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        self.0.borrow_mut().dev.flush()
    }
    fn read_only(&self) -> bool {
        self.0.borrow().dev.read_only()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blockdev::MemDisk;
    use alloc::vec;

    /// A disk that counts device reads.
    #[derive(Clone)]
    struct Counting(MemDisk, Rc<RefCell<u32>>);

    impl BlockDevice for Counting {
        fn sector_count(&self) -> u64 {
            self.0.sector_count()
        }
        fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
            *self.1.borrow_mut() += 1;
            self.0.read_sectors(lba, buf)
        }
        fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
            self.0.write_sectors(lba, buf)
        }
        fn flush(&mut self) -> Result<(), IoError> {
            self.0.flush()
        }
    }

    fn disk(sectors: usize) -> (MemDisk, Rc<RefCell<u32>>, ReadAhead<Counting>) {
        let bytes: Vec<u8> = (0..sectors * SECTOR_SIZE).map(|i| (i * 7 + i / 512) as u8).collect();
        let m = MemDisk::new(bytes);
        let n = Rc::new(RefCell::new(0));
        let ra = ReadAhead::new(Counting(m.clone(), n.clone()), 64);
        (m, n, ra)
    }

    fn expect(m: &MemDisk, lba: u64, sectors: usize) -> Vec<u8> {
        let s = lba as usize * SECTOR_SIZE;
        m.snapshot()[s..s + sectors * SECTOR_SIZE].to_vec()
    }

    #[test]
    fn sequential_reads_come_from_the_window() {
        let (m, n, mut ra) = disk(1000);
        let mut buf = vec![0u8; 8 * SECTOR_SIZE];
        for i in 0..40u64 {
            ra.read_sectors(100 + i * 8, &mut buf).unwrap();
            assert_eq!(buf, expect(&m, 100 + i * 8, 8), "read {i}");
        }
        // The first read is direct, then one window per 64 sectors.
        assert!(*n.borrow() <= 1 + 320 / 64 + 1, "{} device reads", n.borrow());
    }

    #[test]
    fn random_reads_are_not_amplified_and_the_end_is_respected() {
        let (m, n, mut ra) = disk(100);
        let mut buf = vec![0u8; SECTOR_SIZE];
        for lba in [50u64, 3, 77, 12, 99] {
            ra.read_sectors(lba, &mut buf).unwrap();
            assert_eq!(buf, expect(&m, lba, 1));
        }
        assert_eq!(*n.borrow(), 5);
        // Sequential at the end of the disk: the window is cut at the end.
        let mut b2 = vec![0u8; 2 * SECTOR_SIZE];
        ra.read_sectors(90, &mut b2).unwrap();
        ra.read_sectors(92, &mut b2).unwrap();
        assert_eq!(b2, expect(&m, 92, 2));
        ra.read_sectors(94, &mut b2).unwrap();
        assert_eq!(b2, expect(&m, 94, 2));
        assert!(ra.read_sectors(99, &mut b2).is_err(), "past the end");
        assert!(ra.read_sectors(0, &mut [0u8; 100]).is_err(), "partial sector");
    }

    #[test]
    fn writes_keep_the_window_coherent() {
        let (m, _, mut ra) = disk(1000);
        let mut buf = vec![0u8; 4 * SECTOR_SIZE];
        ra.read_sectors(10, &mut buf).unwrap();
        ra.read_sectors(14, &mut buf).unwrap(); // window 14..78
        let data = vec![0xabu8; 8 * SECTOR_SIZE];
        ra.clone().write_sectors(12, &data).unwrap(); // overlaps 14..20
        ra.read_sectors(18, &mut buf).unwrap();
        assert_eq!(buf, expect(&m, 18, 4));
        assert_eq!(&buf[..2 * SECTOR_SIZE], &[0xab; 2 * SECTOR_SIZE][..]);
    }
}
