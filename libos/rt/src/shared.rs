//! Memory shared with another process, used through copies only.
//!
//! A region rm maps into two address spaces (a client's buffer attached to
//! a server, a queue, an image handed to rm) may be written by the other
//! side at any moment. A Rust reference to it (`&mut [u8]`, even `&[u8]`)
//! would promise the compiler that nobody else writes those bytes while the
//! reference lives, which the other process can break at will. A
//! [`SharedBytes`] is only an address and a length: every access copies
//! bytes in or out with raw-pointer copies, bounds-checked, so a peer's
//! concurrent write can only change what a copy reads, never what code
//! already holds.

use rampart_uabi::Errno;
use std_alloc::vec::Vec;

/// A window on memory shared with another process (see the module
/// documentation): bounds-checked copies in and out, never a reference.
#[derive(Clone, Copy, Debug)]
pub struct SharedBytes {
    base: *mut u8,
    len: usize,
}

// SAFETY: a `SharedBytes` is an address and a length; every access is a
// copy the caller makes, and the memory behind it is shared with another
// process anyway, so moving the view between threads changes nothing.
unsafe impl Send for SharedBytes {}
// SAFETY: as above: `&SharedBytes` gives only the same copies.
unsafe impl Sync for SharedBytes {}

impl SharedBytes {
    /// A view of `len` bytes at `base`.
    ///
    /// # Safety
    /// `[base, base + len)` must be mapped readable and writable in this
    /// address space for as long as this value or a copy of it is used (a
    /// region must not be freed or unmapped while a view of it is in use).
    pub const unsafe fn new(base: *mut u8, len: usize) -> SharedBytes {
        SharedBytes { base, len }
    }

    /// Its length in bytes.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True if the view is empty.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `offset..offset + n` if it lies inside the view.
    fn range(&self, offset: usize, n: usize) -> Result<(), Errno> {
        match offset.checked_add(n) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Errno::EFAULT),
        }
    }

    /// Copies `dst.len()` bytes starting at `offset` into `dst`.
    ///
    /// # Errors
    /// `EFAULT` if the range is not inside the view (nothing is copied).
    pub fn read(&self, offset: usize, dst: &mut [u8]) -> Result<(), Errno> {
        self.range(offset, dst.len())?;
        // SAFETY: the range is inside the view, mapped (the constructor's
        // contract); `dst` is this program's own memory, so the two do not
        // overlap. No reference to the shared bytes is created.
        unsafe { core::ptr::copy_nonoverlapping(self.base.add(offset), dst.as_mut_ptr(), dst.len()) };
        Ok(())
    }

    /// Copies `src` into the view starting at `offset`.
    ///
    /// # Errors
    /// `EFAULT` if the range is not inside the view (nothing is copied).
    pub fn write(&self, offset: usize, src: &[u8]) -> Result<(), Errno> {
        self.range(offset, src.len())?;
        // SAFETY: as in `read`, with the copy going the other way.
        unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), self.base.add(offset), src.len()) };
        Ok(())
    }

    /// `n` bytes of the view from `offset`, copied into a new vector.
    ///
    /// # Errors
    /// `EFAULT` if the range is not inside the view.
    pub fn to_vec(&self, offset: usize, n: usize) -> Result<Vec<u8>, Errno> {
        let mut v = std_alloc::vec![0; n];
        self.read(offset, &mut v)?;
        Ok(v)
    }

    /// Copies `n` bytes from `src` at `src_offset` to this view at `offset`
    /// (for example from a server's buffer into a new image region).
    ///
    /// # Errors
    /// `EFAULT` if either range is outside its view (nothing is copied).
    pub fn copy_from(&self, offset: usize, src: &SharedBytes, src_offset: usize, n: usize) -> Result<(), Errno> {
        self.range(offset, n)?;
        src.range(src_offset, n)?;
        // SAFETY: both ranges are inside their (mapped) views; `copy`
        // allows them to overlap, should the two views be the same memory.
        unsafe { core::ptr::copy(src.base.add(src_offset), self.base.add(offset), n) };
        Ok(())
    }
}

/// The program's view of a client's region for servers
/// (`rampart_uabi::region`): the copies above.
impl rampart_uabi::region::SharedRegion for SharedBytes {
    fn len(&self) -> usize {
        self.len
    }

    fn read_at(&self, offset: usize, dst: &mut [u8]) -> Result<(), Errno> {
        self.read(offset, dst)
    }

    fn write_at(&mut self, offset: usize, src: &[u8]) -> Result<(), Errno> {
        self.write(offset, src)
    }
}
