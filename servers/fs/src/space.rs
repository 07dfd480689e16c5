//! Reserved blocks (ext4 `s_r_blocks_count`, 5 % by `mke2fs` default):
//! the last free blocks of a file system are kept for uid 0, as Linux
//! keeps them for `resuid` (default 0) and `CAP_SYS_RESOURCE`
//! (`ext4_has_free_clusters`, fs/ext4/balloc.c; `mke2fs(8)` `-m`).
//!
//! In Rampart "uid 0" is the file server's DAC identity of the client
//! (crate::ident): the administrator (`root`) and the system's own
//! programs (`system_u`: syslogd writing `/var/log/messages`, the audit
//! trail) keep writing when users have filled the disk; a user (`user_u`,
//! uid 1000) gets `ENOSPC` once only the reserve is left
//! (docs/reliability.md).
//!
//! The engine (`rsext4`) does not know the reserve, so the server limits
//! a non-root client's growth before asking it: a write that would take
//! more new blocks than `bavail` is shortened to the blocks available (a
//! short write, as `write(2)` makes on a nearly full disk), and refused
//! with `ENOSPC` when none is. New directories and symbolic links need a
//! block and are refused the same way. Blocks of extent-tree metadata are
//! not counted: a user's writes can take at most a few of the reserve.

use rampart_fs_api::{Errno, FileType};

/// How many of `len` bytes written at `at` into a file of `size` bytes
/// fit when `avail` blocks of `bs` bytes may be allocated: `len` when
/// the write needs at most `avail` new blocks (blocks at or past the end
/// of the file; holes inside it are not counted), else the bytes up to
/// the end of the last block that fits.
///
/// # Errors
/// `ENOSPC` when not one byte fits.
pub(crate) fn fit(at: u64, len: usize, size: u64, bs: u64, avail: u64) -> Result<usize, Errno> {
    let bs = bs.max(512);
    let end = at.saturating_add(len as u64);
    let first_new = (at / bs).max(size.div_ceil(bs));
    let new = end.div_ceil(bs).saturating_sub(first_new);
    if new <= avail {
        return Ok(len);
    }
    let limit = first_new.saturating_add(avail).saturating_mul(bs);
    match limit.checked_sub(at) {
        Some(n) if n > 0 => Ok(usize::try_from(n).unwrap_or(len).min(len)),
        _ => Err(Errno::ENOSPC),
    }
}

use crate::dac::Cred;
use crate::security::SecurityServer;
use crate::server::FileServer;
use crate::volume::{Ino, Volume};

impl<V: Volume, S: SecurityServer> FileServer<V, S> {
    /// How many of `len` bytes written at `at` into regular file `ino`
    /// (now `size` bytes long) the client with `cred` may write: `len`
    /// for uid 0, for writes that need no new block, and for volumes
    /// without a reserve; fewer when its new blocks exceed the blocks
    /// available to non-root clients.
    ///
    /// # Errors
    /// `ENOSPC` when not one byte may be written; `EIO`.
    pub(crate) fn writable_len(
        &mut self,
        cred: &Cred,
        ino: Ino,
        size: u64,
        at: u64,
        len: usize,
    ) -> Result<usize, Errno> {
        if cred.is_root() || len == 0 {
            return Ok(len);
        }
        let st = self.vol.statfs_of(ino)?;
        if st.read_only || st.bavail >= st.bfree {
            return Ok(len);
        }
        fit(at, len, size, u64::from(st.bsize), st.bavail)
    }

    /// Whether the client with `cred` may create an object of `kind`
    /// that needs a data block (directories, symbolic links).
    ///
    /// # Errors
    /// `ENOSPC` when only reserved blocks are left and the client is not
    /// uid 0; `EIO`.
    pub(crate) fn may_take_block(&mut self, cred: &Cred, dir: Ino, kind: FileType) -> Result<(), Errno> {
        if cred.is_root() || !matches!(kind, FileType::Dir | FileType::Symlink) {
            return Ok(());
        }
        let st = self.vol.statfs_of(dir)?;
        if st.read_only || st.bavail > 0 || st.bfree == 0 {
            // bfree == 0: the engine answers ENOSPC itself.
            return Ok(());
        }
        Err(Errno::ENOSPC)
    }
}

#[cfg(test)]
mod tests {
    use super::fit;
    use rampart_fs_api::Errno;

    #[test]
    fn writes_are_cut_to_the_blocks_available() {
        // Overwrites inside the file need no block.
        assert_eq!(fit(0, 8192, 8192, 4096, 0), Ok(8192));
        // Appending: the tail of the last block is free, new blocks are not.
        assert_eq!(fit(100, 10_000, 100, 4096, 0), Ok(3996));
        assert_eq!(fit(4096, 10_000, 4096, 4096, 0), Err(Errno::ENOSPC));
        assert_eq!(fit(4096, 10_000, 4096, 4096, 1), Ok(4096));
        assert_eq!(fit(4096, 10_000, 4096, 4096, 3), Ok(10_000));
        // A write past the end (a hole) counts only the blocks it touches.
        assert_eq!(fit(1 << 20, 4096, 0, 4096, 1), Ok(4096));
        assert_eq!(fit(u64::MAX - 10, 100, 0, 4096, 0), Err(Errno::ENOSPC));
    }
}
