//! The block device under a volume, and its adapters to the ext4 engines.
//!
//! A [`BlockDevice`] reads and writes whole 512-byte sectors and flushes
//! its write cache. In the guest the virtio-blk client implements it over
//! the driver's shared queues (docs/architecture.md, "User-level system": data moves through shared
//! single-producer/single-consumer queues, never IPC payloads); on the host
//! [`MemDisk`] holds the image in memory and tests move the bytes in and
//! out of files.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

/// Bytes per sector.
pub const SECTOR_SIZE: usize = 512;

/// A device error (the transport failed or the request was out of range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoError;

/// A disk of 512-byte sectors.
pub trait BlockDevice {
    /// Capacity in sectors.
    fn sector_count(&self) -> u64;

    /// Reads `buf.len() / 512` sectors starting at sector `lba`.
    ///
    /// # Errors
    /// [`IoError`] on a transport failure, a `buf` length that is not a
    /// multiple of [`SECTOR_SIZE`], or a range past the end.
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError>;

    /// Writes `buf.len() / 512` sectors starting at sector `lba`; the data
    /// may sit in a volatile cache until [`BlockDevice::flush`].
    ///
    /// # Errors
    /// As [`BlockDevice::read_sectors`], or a read-only device.
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError>;

    /// Makes every completed write durable (virtio `VIRTIO_BLK_T_FLUSH`).
    ///
    /// # Errors
    /// [`IoError`] if the device reports a failure.
    fn flush(&mut self) -> Result<(), IoError>;

    /// True if writes are refused.
    fn read_only(&self) -> bool {
        false
    }
}

/// Byte range of `count` sectors at `lba` inside a disk of `len` bytes.
fn range(lba: u64, bytes: usize, len: usize) -> Result<core::ops::Range<usize>, IoError> {
    if !bytes.is_multiple_of(SECTOR_SIZE) {
        return Err(IoError);
    }
    let start = usize::try_from(lba).ok().and_then(|l| l.checked_mul(SECTOR_SIZE)).ok_or(IoError)?;
    let end = start.checked_add(bytes).ok_or(IoError)?;
    if end > len {
        return Err(IoError);
    }
    Ok(start..end)
}

/// An in-memory disk whose bytes are shared with the creator, so a test can
/// take the image after the volume is dropped ("power off") and start a new
/// server on the same bytes ("reboot").
#[derive(Clone, Debug)]
pub struct MemDisk {
    bytes: Rc<RefCell<Vec<u8>>>,
    read_only: bool,
    flushes: Rc<RefCell<u64>>,
}

impl MemDisk {
    /// A disk holding `image` (its length is rounded down to whole sectors).
    pub fn new(mut image: Vec<u8>) -> MemDisk {
        image.truncate(image.len() / SECTOR_SIZE * SECTOR_SIZE);
        MemDisk { bytes: Rc::new(RefCell::new(image)), read_only: false, flushes: Rc::new(RefCell::new(0)) }
    }

    /// A zero-filled disk of `sectors` sectors.
    pub fn zeroed(sectors: usize) -> MemDisk {
        MemDisk::new(vec![0; sectors * SECTOR_SIZE])
    }

    /// The same disk, refusing writes.
    pub fn into_read_only(mut self) -> MemDisk {
        self.read_only = true;
        self
    }

    /// A copy of the current bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        self.bytes.borrow().clone()
    }

    /// Number of flushes so far.
    pub fn flushes(&self) -> u64 {
        *self.flushes.borrow()
    }
}

impl BlockDevice for MemDisk {
    fn sector_count(&self) -> u64 {
        (self.bytes.borrow().len() / SECTOR_SIZE) as u64
    }

    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        let b = self.bytes.borrow();
        buf.copy_from_slice(&b[range(lba, buf.len(), b.len())?]);
        Ok(())
    }

    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        if self.read_only {
            return Err(IoError);
        }
        let mut b = self.bytes.borrow_mut();
        let r = range(lba, buf.len(), b.len())?;
        b[r].copy_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        *self.flushes.borrow_mut() += 1;
        Ok(())
    }

    fn read_only(&self) -> bool {
        self.read_only
    }
}

impl<D: BlockDevice + ?Sized> BlockDevice for Box<D> {
    fn sector_count(&self) -> u64 {
        (**self).sector_count()
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        (**self).read_sectors(lba, buf)
    }
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        (**self).write_sectors(lba, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        (**self).flush()
    }
    fn read_only(&self) -> bool {
        (**self).read_only()
    }
}

/// The device as `rsext4`'s `BlockIo` (512-byte logical sectors).
pub(crate) struct RsDevice<D>(pub D);

impl<D: BlockDevice> rsext4::BlockIo for RsDevice<D> {
    fn write(&mut self, buffer: &[u8], sector: rsext4::SectorId, count: u32) -> rsext4::Ext4Result<()> {
        let len = count as usize * SECTOR_SIZE;
        let data = buffer.get(..len).ok_or_else(rsext4::Ext4Error::io)?;
        self.0.write_sectors(sector.raw(), data).map_err(|_| rsext4::Ext4Error::io())
    }

    fn read(&mut self, buffer: &mut [u8], sector: rsext4::SectorId, count: u32) -> rsext4::Ext4Result<()> {
        let len = count as usize * SECTOR_SIZE;
        let data = buffer.get_mut(..len).ok_or_else(rsext4::Ext4Error::io)?;
        self.0.read_sectors(sector.raw(), data).map_err(|_| rsext4::Ext4Error::io())
    }

    fn geometry(&self) -> rsext4::DeviceGeometry {
        rsext4::DeviceGeometry::new(SECTOR_SIZE as u32, self.0.sector_count())
    }

    fn capabilities(&self) -> rsext4::DeviceCapabilities {
        rsext4::DeviceCapabilities { read_only: self.0.read_only(), flush: true, ..Default::default() }
    }

    fn flush(&mut self) -> rsext4::Ext4Result<()> {
        self.0.flush().map_err(|_| rsext4::Ext4Error::io())
    }
}

/// The device as `ext4-view`'s byte reader: unaligned reads are served
/// from whole sectors.
pub(crate) struct ViewReader<D>(pub D);

/// The error `ext4-view` receives for a failed device read.
#[derive(Debug)]
struct ViewIoError;

impl core::fmt::Display for ViewIoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("block device read failed")
    }
}

impl core::error::Error for ViewIoError {}

impl<D: BlockDevice> ext4_view::Ext4Read for ViewReader<D> {
    fn read(&mut self, start: u64, dst: &mut [u8]) -> Result<(), Box<dyn core::error::Error + Send + Sync + 'static>> {
        let err = || -> Box<dyn core::error::Error + Send + Sync> { Box::new(ViewIoError) };
        let ss = SECTOR_SIZE as u64;
        let end = start.checked_add(dst.len() as u64).ok_or_else(err)?;
        let (first, last) = (start / ss, end.div_ceil(ss));
        let head = (start - first * ss) as usize;
        if head == 0 && dst.len().is_multiple_of(SECTOR_SIZE) {
            return self.0.read_sectors(first, dst).map_err(|_| err());
        }
        let n = usize::try_from(last - first).map_err(|_| err())?;
        let mut tmp = vec![0u8; n * SECTOR_SIZE];
        self.0.read_sectors(first, &mut tmp).map_err(|_| err())?;
        dst.copy_from_slice(&tmp[head..head + dst.len()]);
        Ok(())
    }
}
