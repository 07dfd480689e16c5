//! The storage interface the server core uses: an inode-level file system
//! on one block device.
//!
//! Two engines implement it (docs/storage.md): [`crate::RwVolume`]
//! (`rsext4`: journaled reads and writes) and [`crate::RoVolume`]
//! (`ext4-view`: read-only). The server core never sees ext4 structures;
//! everything here is in POSIX terms with [`Errno`] errors. Names are raw
//! bytes (one component, no `/`, 1..=255 bytes), checked by the caller.

use alloc::vec::Vec;
use rampart_fs_api::{Errno, FileType, SetAttr, StatFs, Timespec, errno};

/// An inode number (ext4: 32 bits; the read-only engine numbers paths).
pub type Ino = u64;

/// Attributes of one object (see `rampart_fs_api::Stat` for units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Inode number.
    pub ino: Ino,
    /// Type.
    pub kind: FileType,
    /// Full mode (type | permission bits).
    pub mode: u32,
    /// Hard links.
    pub nlink: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// 512-byte units allocated.
    pub blocks: u64,
    /// Last access.
    pub atime: Timespec,
    /// Last modification.
    pub mtime: Timespec,
    /// Last status change.
    pub ctime: Timespec,
    /// Creation, if recorded.
    pub btime: Option<Timespec>,
    /// Device number of a device node (`rampart_fs_api::makedev`), else 0.
    pub rdev: u64,
}

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Inode number.
    pub ino: Ino,
    /// Type, if the directory records it.
    pub kind: Option<FileType>,
    /// Name bytes.
    pub name: Vec<u8>,
}

/// A position in a directory, owned by the open directory handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirCursor {
    /// Before the first entry.
    Start,
    /// An engine-specific position (rsext4: encoded cursor words).
    At([u32; 4]),
    /// After the last entry.
    End,
}

/// What to create.
#[derive(Clone, Copy, Debug)]
pub enum NewNode<'a> {
    /// An empty regular file.
    File,
    /// An empty directory.
    Dir,
    /// A symbolic link with these target bytes.
    Symlink(&'a [u8]),
}

/// The outcome of removing a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Removed {
    /// The inode the name referred to.
    pub ino: Ino,
    /// True if it has no links left: the caller reclaims it with
    /// [`Volume::reclaim`] once no handle uses it (POSIX keeps an unlinked
    /// open file readable until it is closed).
    pub orphan: bool,
}

/// Ownership of a new object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// An inode-level file system. Mutating methods default to `EROFS`.
pub trait Volume {
    /// True if every mutation is refused with `EROFS`.
    fn read_only(&self) -> bool;

    /// The root directory.
    fn root(&self) -> Ino;

    /// Looks `name` up in directory `dir`.
    ///
    /// # Errors
    /// `ENOTDIR`, `EIO`/`EUCLEAN` for device or metadata errors.
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Option<Ino>, Errno>;

    /// Attributes of `ino`.
    ///
    /// # Errors
    /// `ENOENT` for a free inode, `EUCLEAN` for a corrupt one, `EIO`.
    fn getattr(&mut self, ino: Ino) -> Result<Attr, Errno>;

    /// Reads file bytes at `off` into `buf`; returns the count (0 at end).
    ///
    /// # Errors
    /// `EISDIR`, `EUCLEAN`, `EIO`.
    fn read(&mut self, ino: Ino, off: u64, buf: &mut [u8]) -> Result<usize, Errno>;

    /// Up to `max` entries of directory `dir` from `cursor` (advanced).
    /// `.` and `..` are included.
    ///
    /// # Errors
    /// `ENOTDIR`, `EUCLEAN`, `EIO`.
    fn readdir(&mut self, dir: Ino, cursor: &mut DirCursor, max: usize) -> Result<Vec<DirEntry>, Errno>;

    /// The target of symbolic link `ino`.
    ///
    /// # Errors
    /// `EINVAL` if not a symlink, `EUCLEAN`, `EIO`.
    fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>, Errno>;

    /// The stored security label (`security.selinux` extended attribute),
    /// if any. Engines that cannot read labels return `Ok(None)`.
    ///
    /// # Errors
    /// `EUCLEAN`, `EIO`.
    fn label(&mut self, ino: Ino) -> Result<Option<Vec<u8>>, Errno>;

    /// File-system statistics.
    ///
    /// # Errors
    /// `EIO`.
    fn statfs(&mut self) -> Result<StatFs, Errno>;

    /// Statistics of the file system that holds `ino` (the same as
    /// [`Volume::statfs`] for a single volume; a tree of mounts answers
    /// for the mounted one). `bavail` excludes the blocks reserved for
    /// uid 0 (ext4 `s_r_blocks_count`).
    ///
    /// # Errors
    /// `EIO`.
    fn statfs_of(&mut self, ino: Ino) -> Result<StatFs, Errno> {
        let _ = ino;
        self.statfs()
    }

    /// Creates `name` in `dir`; returns the new inode.
    ///
    /// # Errors
    /// `EROFS`, `EEXIST`, `ENOSPC`, `EMLINK`, `EUCLEAN`, `EIO`.
    fn create(&mut self, dir: Ino, name: &[u8], node: NewNode<'_>, perm: u32, owner: Owner) -> Result<Ino, Errno> {
        let _ = (dir, name, node, perm, owner);
        Err(errno::EROFS)
    }

    /// Stores the security label of `ino`.
    ///
    /// # Errors
    /// `EROFS`, `ENOSPC`, `EIO`.
    fn set_label(&mut self, ino: Ino, label: &[u8]) -> Result<(), Errno> {
        let _ = (ino, label);
        Err(errno::EROFS)
    }

    /// Writes `data` at `off` (growing the file); returns the count.
    ///
    /// # Errors
    /// `EROFS`, `ENOSPC`, `EFBIG`, `EIO`.
    fn write(&mut self, ino: Ino, off: u64, data: &[u8]) -> Result<usize, Errno> {
        let _ = (ino, off, data);
        Err(errno::EROFS)
    }

    /// Sets the size of regular file `ino` (zero-filled growth).
    ///
    /// # Errors
    /// `EROFS`, `EISDIR`, `ENOSPC`, `EFBIG`, `EIO`.
    fn truncate(&mut self, ino: Ino, size: u64) -> Result<(), Errno> {
        let _ = (ino, size);
        Err(errno::EROFS)
    }

    /// Changes mode, owner or times.
    ///
    /// # Errors
    /// `EROFS`, `EINVAL`, `EIO`.
    fn setattr(&mut self, ino: Ino, attr: &SetAttr) -> Result<(), Errno> {
        let _ = (ino, attr);
        Err(errno::EROFS)
    }

    /// Removes non-directory `name` from `dir`.
    ///
    /// # Errors
    /// `EROFS`, `ENOENT`, `EISDIR`, `EIO`.
    fn unlink(&mut self, dir: Ino, name: &[u8]) -> Result<Removed, Errno> {
        let _ = (dir, name);
        Err(errno::EROFS)
    }

    /// Removes empty directory `name` from `dir`.
    ///
    /// # Errors
    /// `EROFS`, `ENOENT`, `ENOTDIR`, `ENOTEMPTY`, `EIO`.
    fn rmdir(&mut self, dir: Ino, name: &[u8]) -> Result<Removed, Errno> {
        let _ = (dir, name);
        Err(errno::EROFS)
    }

    /// Renames `from_dir/from` to `to_dir/to`, replacing a compatible
    /// existing `to` (whose removal is reported like [`Volume::unlink`]).
    ///
    /// # Errors
    /// `EROFS`, `ENOENT`, `EEXIST`, `ENOTEMPTY`, `EISDIR`, `ENOTDIR`,
    /// `EINVAL` (a directory into itself), `EIO`.
    fn rename(&mut self, from_dir: Ino, from: &[u8], to_dir: Ino, to: &[u8]) -> Result<Option<Removed>, Errno> {
        let _ = (from_dir, from, to_dir, to);
        Err(errno::EROFS)
    }

    /// Adds `name` in `dir` as a new name of non-directory `ino` (its link
    /// count grows by one).
    ///
    /// # Errors
    /// `EROFS`, `EEXIST`, `EPERM` (a directory), `EMLINK`, `ENOSPC`,
    /// `EIO`.
    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        let _ = (ino, dir, name);
        Err(errno::EROFS)
    }

    /// Frees an orphan inode (see [`Removed::orphan`]).
    ///
    /// # Errors
    /// `EROFS`, `EIO`.
    fn reclaim(&mut self, ino: Ino) -> Result<(), Errno> {
        let _ = ino;
        Err(errno::EROFS)
    }

    /// Commits every completed operation to the disk and flushes it.
    ///
    /// # Errors
    /// `EIO`.
    fn sync(&mut self) -> Result<(), Errno> {
        Ok(())
    }

    /// Syncs and marks the file system clean; the volume refuses further
    /// operations afterwards.
    ///
    /// # Errors
    /// `EIO`.
    fn unmount(&mut self) -> Result<(), Errno> {
        Ok(())
    }
}
