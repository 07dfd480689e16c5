//! Memory a server shares with one client, used through copies only.
//!
//! A client's region (fs and net `AttachRegion`, docs/userland.md §5) is
//! mapped into the client and the server at once, and the client can write
//! it at any moment — even while the server handles its request, from
//! another thread. A Rust reference over it (`&mut [u8]`, even `&[u8]`)
//! would promise the compiler that nobody else writes those bytes while
//! the reference lives, a promise the client can break at will: undefined
//! behaviour in the server. Servers therefore see a region only through
//! [`SharedRegion`]: bounds-checked copies in and out, after which the
//! bytes are the server's own. The program's implementation is
//! `rampart_rt::shared::SharedBytes` (raw-pointer copies); host tests use
//! a plain `Vec<u8>` or `[u8]`, for which the same copies are safe.
//!
//! Offsets and lengths are in bytes; a range not inside the region is
//! `EFAULT` (as a bad user pointer is for Linux `read(2)`), and nothing is
//! copied then.

use crate::Errno;
use alloc::vec::Vec;

/// A region shared with a client (see the module documentation).
pub trait SharedRegion {
    /// Its length in bytes.
    fn len(&self) -> usize;

    /// True if it has no bytes (no region attached).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies `dst.len()` bytes from `offset` into `dst`.
    ///
    /// # Errors
    /// `EFAULT` if the range is not inside the region.
    fn read_at(&self, offset: usize, dst: &mut [u8]) -> Result<(), Errno>;

    /// Copies `src` into the region at `offset`.
    ///
    /// # Errors
    /// `EFAULT` if the range is not inside the region.
    fn write_at(&mut self, offset: usize, src: &[u8]) -> Result<(), Errno>;

    /// `n` bytes from `offset`, copied into a new vector.
    ///
    /// # Errors
    /// `EFAULT` if the range is not inside the region (nothing is
    /// allocated then).
    fn copy_out(&self, offset: usize, n: usize) -> Result<Vec<u8>, Errno> {
        check(self.len(), offset, n)?;
        let mut v = alloc::vec![0; n];
        self.read_at(offset, &mut v)?;
        Ok(v)
    }
}

/// `Ok` if `offset..offset + n` lies inside `len` bytes, else `EFAULT`.
///
/// # Errors
/// `EFAULT` (also when the end overflows).
pub fn check(len: usize, offset: usize, n: usize) -> Result<(), Errno> {
    match offset.checked_add(n) {
        Some(end) if end <= len => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

/// Plain memory (host tests, a server's own buffers): the copies are
/// slice copies.
impl SharedRegion for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn read_at(&self, offset: usize, dst: &mut [u8]) -> Result<(), Errno> {
        check(<[u8]>::len(self), offset, dst.len())?;
        dst.copy_from_slice(&self[offset..offset + dst.len()]);
        Ok(())
    }

    fn write_at(&mut self, offset: usize, src: &[u8]) -> Result<(), Errno> {
        check(<[u8]>::len(self), offset, src.len())?;
        self[offset..offset + src.len()].copy_from_slice(src);
        Ok(())
    }
}

/// As for `[u8]` (`&mut []` is the empty region of any lifetime).
impl<const N: usize> SharedRegion for [u8; N] {
    fn len(&self) -> usize {
        N
    }

    fn read_at(&self, offset: usize, dst: &mut [u8]) -> Result<(), Errno> {
        self.as_slice().read_at(offset, dst)
    }

    fn write_at(&mut self, offset: usize, src: &[u8]) -> Result<(), Errno> {
        self.as_mut_slice().write_at(offset, src)
    }
}

/// As for `[u8]`.
impl SharedRegion for Vec<u8> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn read_at(&self, offset: usize, dst: &mut [u8]) -> Result<(), Errno> {
        self.as_slice().read_at(offset, dst)
    }

    fn write_at(&mut self, offset: usize, src: &[u8]) -> Result<(), Errno> {
        self.as_mut_slice().write_at(offset, src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_bounds_checked() {
        let mut r = alloc::vec![0u8; 8];
        assert_eq!(r.write_at(6, &[1, 2]), Ok(()));
        assert_eq!(r.write_at(7, &[1, 2]), Err(Errno::EFAULT));
        assert_eq!(r.write_at(usize::MAX, &[1]), Err(Errno::EFAULT));
        let mut b = [0u8; 2];
        assert_eq!(r.read_at(6, &mut b), Ok(()));
        assert_eq!(b, [1, 2]);
        assert_eq!(r.read_at(8, &mut b), Err(Errno::EFAULT));
        assert_eq!(r.copy_out(6, 2), Ok(alloc::vec![1, 2]));
        assert_eq!(r.copy_out(0, usize::MAX), Err(Errno::EFAULT));
        assert!(Vec::<u8>::new().is_empty());
    }
}
