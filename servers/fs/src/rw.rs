//! [`RwVolume`]: the read-write ext4 engine, `rsext4` (journaled metadata
//! through jbd2, checked against e2fsprogs; the evaluation is in
//! docs/storage.md).

use alloc::vec::Vec;
use rampart_fs_api::{Errno, FileType, SetAttr, StatFs, Timespec, errno};
use rsext4::{
    DirectoryCursor, DirectoryEntryType, Ext4, Ext4Error, Ext4ErrorKind, Ext4Timestamp, FileName, FilePermissions,
    InodeMetadataUpdate, InodeNumber, MountOptions, MountServices, MountedServices, MutationContext, NoopObserver,
    RenameOptions, XattrNamespace, XattrSetMode,
};

use crate::blockdev::{BlockDevice, RsDevice};
use crate::volume::{Attr, DirCursor, DirEntry, Ino, NewNode, Owner, Removed, Volume};

/// Wall-clock source for timestamps: Unix seconds.
#[derive(Clone, Copy)]
pub struct WallClock(pub fn() -> i64);

impl rsext4::Clock for WallClock {
    fn now(&self) -> rsext4::Ext4Result<Ext4Timestamp> {
        Ok(Ext4Timestamp::new((self.0)(), 0))
    }
}

/// Maps an `rsext4` error to the POSIX number the client sees.
pub(crate) fn errno_of(e: Ext4Error) -> Errno {
    use Ext4ErrorKind as K;
    match e.kind() {
        K::Io | K::JournalAborted | K::Timeout => Errno::EIO,
        K::Corrupted | K::ChecksumMismatch | K::BadSuperblock | K::InvalidMagic => errno::EUCLEAN,
        K::UnsupportedFeature | K::UnsupportedCapability | K::Unsupported => errno::ENOTSUP,
        K::ReadOnly => errno::EROFS,
        K::NoSpace => Errno::ENOSPC,
        K::NoMemory => Errno::ENOMEM,
        K::QuotaExceeded => Errno::EDQUOT,
        K::TooManyLinks => errno::EMLINK,
        K::PermissionDenied => Errno::EPERM,
        K::NotFound => Errno::ENOENT,
        K::AlreadyExists => Errno::EEXIST,
        K::NotDirectory => errno::ENOTDIR,
        K::IsDirectory => errno::EISDIR,
        K::NotEmpty => errno::ENOTEMPTY,
        K::Busy => Errno::EBUSY,
        K::BadFileDescriptor => Errno::EBADF,
        K::InvalidInput => Errno::EINVAL,
        K::Overflow => Errno::EOVERFLOW,
        K::FileTooLarge => errno::EFBIG,
    }
}

fn ino(i: Ino) -> Result<InodeNumber, Errno> {
    InodeNumber::from_u64(i).map_err(|_| Errno::ENOENT)
}

fn name(n: &[u8]) -> Result<FileName<'_>, Errno> {
    FileName::new(n).map_err(|_| Errno::EINVAL)
}

fn kind_of(t: DirectoryEntryType) -> Option<FileType> {
    Some(match t {
        DirectoryEntryType::RegularFile => FileType::File,
        DirectoryEntryType::Directory => FileType::Dir,
        DirectoryEntryType::Symlink => FileType::Symlink,
        DirectoryEntryType::CharacterDevice => FileType::CharDev,
        DirectoryEntryType::BlockDevice => FileType::BlockDev,
        DirectoryEntryType::Fifo => FileType::Fifo,
        DirectoryEntryType::Socket => FileType::Socket,
        DirectoryEntryType::Unknown => return None,
    })
}

fn ts(sec: u32) -> Timespec {
    Timespec { sec: i64::from(sec), nsec: 0 }
}

fn cursor_in(c: &DirCursor) -> DirectoryCursor {
    match *c {
        DirCursor::Start => DirectoryCursor::Start,
        DirCursor::End => DirectoryCursor::End,
        DirCursor::At([0, lo, hi, _]) => DirectoryCursor::Linear { offset: u64::from(lo) | (u64::from(hi) << 32) },
        DirCursor::At([_, major, minor, collision]) => DirectoryCursor::HTree { major, minor, collision },
    }
}

fn cursor_out(c: DirectoryCursor) -> DirCursor {
    match c {
        DirectoryCursor::Start => DirCursor::Start,
        DirectoryCursor::End => DirCursor::End,
        DirectoryCursor::Linear { offset } => DirCursor::At([0, offset as u32, (offset >> 32) as u32, 0]),
        DirectoryCursor::HTree { major, minor, collision } => DirCursor::At([1, major, minor, collision]),
    }
}

/// Free blocks a data write leaves for the extent-tree blocks it may
/// need (a split per level, 4 levels at most, plus the index root).
const METADATA_MARGIN: u64 = 8;

/// The `security.selinux` attribute name within the `security` namespace.
const LABEL_NAME: &[u8] = b"selinux";

/// A mounted read-write ext4 file system.
pub struct RwVolume<D: BlockDevice> {
    fs: Ext4<RsDevice<D>, MountedServices<(), NoopObserver>>,
    /// Blocks reserved for uid 0 (`s_r_blocks_count`), read at mount:
    /// left out of `bavail` (the engine itself does not enforce it; the
    /// server does, `crate::space`).
    reserved: u64,
}

/// `s_r_blocks_count` of the ext4 superblock on `dev` (byte 1024 of the
/// disk; `_lo` at offset 0x08, `_hi` at 0x154 with the 64-bit feature,
/// `INCOMPAT_64BIT` 0x80 at 0x60: Linux `Documentation/filesystems/ext4/super.rst`).
///
/// # Errors
/// `EIO`.
fn reserved_blocks<D: BlockDevice>(dev: &mut D) -> Result<u64, Errno> {
    let mut sb = [0u8; 1024];
    dev.read_sectors(2, &mut sb).map_err(|_| Errno::EIO)?;
    let u32_at = |o: usize| u32::from_le_bytes([sb[o], sb[o + 1], sb[o + 2], sb[o + 3]]);
    let hi = if u32_at(0x60) & 0x80 != 0 { u64::from(u32_at(0x154)) } else { 0 };
    Ok(u64::from(u32_at(0x08)) | hi << 32)
}

impl<D: BlockDevice> RwVolume<D> {
    /// Mounts `dev` read-write, replaying the journal if needed.
    ///
    /// # Errors
    /// `EUCLEAN` for a corrupt superblock or metadata, `ENOTSUP` for
    /// features the engine cannot write safely, `EIO`.
    pub fn mount(mut dev: D, clock: WallClock) -> Result<RwVolume<D>, Errno> {
        let reserved = reserved_blocks(&mut dev)?;
        let services = MountServices::new(clock, (), NoopObserver);
        let fs = Ext4::mount(RsDevice(dev), services, MountOptions::read_write()).map_err(errno_of)?;
        Ok(RwVolume { fs, reserved })
    }
}

impl<D: BlockDevice> Volume for RwVolume<D> {
    fn read_only(&self) -> bool {
        false
    }

    fn root(&self) -> Ino {
        self.fs.root_inode().as_u64()
    }

    fn lookup(&mut self, dir: Ino, n: &[u8]) -> Result<Option<Ino>, Errno> {
        let found = self.fs.lookup_child(ino(dir)?, name(n)?).map_err(errno_of)?;
        Ok(found.map(|i| i.number.as_u64()))
    }

    fn getattr(&mut self, i: Ino) -> Result<Attr, Errno> {
        let a = self.fs.inode(ino(i)?).map_err(errno_of)?;
        let mode = u32::from(a.mode);
        let kind = FileType::from_mode(mode).ok_or(errno::EUCLEAN)?;
        if a.links == 0 && kind != FileType::File {
            return Err(Errno::ENOENT);
        }
        Ok(Attr {
            ino: i,
            kind,
            mode,
            nlink: u32::from(a.links),
            uid: a.uid,
            gid: a.gid,
            size: a.size,
            blocks: a.blocks,
            atime: ts(a.atime),
            mtime: ts(a.mtime),
            ctime: ts(a.ctime),
            btime: (a.btime != 0).then(|| ts(a.btime)),
            // Device nodes on a disk are listed, never opened (`ENXIO`).
            rdev: 0,
        })
    }

    fn read(&mut self, i: Ino, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.fs.read_inode(ino(i)?, off, buf).map_err(errno_of)
    }

    fn readdir(&mut self, dir: Ino, cursor: &mut DirCursor, max: usize) -> Result<Vec<DirEntry>, Errno> {
        if *cursor == DirCursor::End {
            return Ok(Vec::new());
        }
        let entries = self.fs.read_directory(ino(dir)?, cursor_in(cursor), max).map_err(errno_of)?;
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            *cursor = cursor_out(e.next_cursor);
            out.push(DirEntry { ino: e.inode.as_u64(), kind: kind_of(e.file_type), name: e.name });
        }
        if out.is_empty() {
            *cursor = DirCursor::End;
        }
        Ok(out)
    }

    fn readlink(&mut self, i: Ino) -> Result<Vec<u8>, Errno> {
        let a = self.getattr(i)?;
        if a.kind != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        let len = usize::try_from(a.size).map_err(|_| errno::EUCLEAN)?;
        if len >= rampart_fs_api::PATH_MAX {
            return Err(errno::EUCLEAN);
        }
        let mut buf = alloc::vec![0u8; len];
        let n = self.fs.read_inode(ino(i)?, 0, &mut buf).map_err(errno_of)?;
        buf.truncate(n);
        Ok(buf)
    }

    fn label(&mut self, i: Ino) -> Result<Option<Vec<u8>>, Errno> {
        match self.fs.get_xattr(ino(i)?, XattrNamespace::Security, LABEL_NAME) {
            Ok(mut v) => {
                while v.last() == Some(&0) {
                    v.pop();
                }
                Ok(Some(v))
            }
            Err(e) if matches!(e.kind(), Ext4ErrorKind::NotFound) => Ok(None),
            Err(e) => Err(errno_of(e)),
        }
    }

    fn statfs(&mut self) -> Result<StatFs, Errno> {
        let s = self.fs.statfs();
        Ok(StatFs {
            bsize: u32::try_from(s.block_size).unwrap_or(4096),
            blocks: s.total_blocks,
            bfree: s.free_blocks,
            bavail: s.free_blocks.saturating_sub(self.reserved),
            files: u64::from(s.total_inodes),
            ffree: u64::from(s.free_inodes),
            namemax: rampart_fs_api::NAME_MAX as u32,
            read_only: false,
        })
    }

    fn create(&mut self, dir: Ino, n: &[u8], node: NewNode<'_>, perm: u32, owner: Owner) -> Result<Ino, Errno> {
        let ctx = MutationContext::new(owner.uid, owner.gid, 0, 0);
        let perm = FilePermissions::new((perm & 0o7777) as u16).map_err(errno_of)?;
        let (dir, n) = (ino(dir)?, name(n)?);
        let info = match node {
            NewNode::File => self.fs.create_regular_file(ctx, dir, n, perm),
            NewNode::Dir => self.fs.create_directory(ctx, dir, n, perm),
            NewNode::Symlink(target) => self.fs.create_symlink(ctx, dir, n, target),
        };
        Ok(info.map_err(errno_of)?.number.as_u64())
    }

    fn set_label(&mut self, i: Ino, label: &[u8]) -> Result<(), Errno> {
        self.fs.set_xattr(ino(i)?, XattrNamespace::Security, LABEL_NAME, label, XattrSetMode::Upsert).map_err(errno_of)
    }

    fn write(&mut self, i: Ino, off: u64, data: &[u8]) -> Result<usize, Errno> {
        off.checked_add(data.len() as u64).ok_or(errno::EFBIG)?;
        // Never let the engine run out of blocks half-way through a
        // write: rsext4 0.9.2 then leaves an unfinished block edit that
        // keeps every later unmount from checkpointing (the image needs
        // journal recovery). A write that would take more new blocks
        // than are free (less a margin for extent-tree blocks) is
        // shortened, as write(2) does on a nearly full disk.
        let size = self.fs.inode(ino(i)?).map_err(errno_of)?.size;
        let s = self.fs.statfs();
        let avail = s.free_blocks.saturating_sub(METADATA_MARGIN);
        let len = crate::space::fit(off, data.len(), size, s.block_size, avail)?;
        self.fs.write_inode(ino(i)?, off, &data[..len]).map_err(errno_of)?;
        Ok(len)
    }

    fn truncate(&mut self, i: Ino, size: u64) -> Result<(), Errno> {
        self.fs.truncate_inode(ino(i)?, size).map_err(errno_of)
    }

    fn setattr(&mut self, i: Ino, a: &SetAttr) -> Result<(), Errno> {
        let stamp = |t: Timespec| Ext4Timestamp::new(t.sec, t.nsec);
        let update = InodeMetadataUpdate {
            permissions: a.mode.map(|m| FilePermissions::new((m & 0o7777) as u16)).transpose().map_err(errno_of)?,
            owner: match (a.uid, a.gid) {
                (None, None) => None,
                (u, g) => {
                    let cur = self.getattr(i)?;
                    Some((u.unwrap_or(cur.uid), g.unwrap_or(cur.gid)))
                }
            },
            atime: a.atime.map(stamp),
            mtime: a.mtime.map(stamp),
            ..InodeMetadataUpdate::default()
        };
        self.fs.update_inode_metadata(ino(i)?, update).map(|_| ()).map_err(errno_of)
    }

    fn unlink(&mut self, dir: Ino, n: &[u8]) -> Result<Removed, Errno> {
        let o = self.fs.unlink(ino(dir)?, name(n)?).map_err(errno_of)?;
        Ok(Removed { ino: o.inode.as_u64(), orphan: o.requires_reap() })
    }

    fn rmdir(&mut self, dir: Ino, n: &[u8]) -> Result<Removed, Errno> {
        let o = self.fs.remove_empty_directory(ino(dir)?, name(n)?).map_err(errno_of)?;
        Ok(Removed { ino: o.inode.as_u64(), orphan: o.requires_reap() })
    }

    fn rename(&mut self, fd: Ino, f: &[u8], td: Ino, t: &[u8]) -> Result<Option<Removed>, Errno> {
        let o = self.fs.rename(ino(fd)?, name(f)?, ino(td)?, name(t)?, RenameOptions::REPLACE).map_err(errno_of)?;
        Ok(o.replaced.map(|r| Removed { ino: r.inode.as_u64(), orphan: r.requires_reap() }))
    }

    fn link(&mut self, i: Ino, dir: Ino, n: &[u8]) -> Result<(), Errno> {
        if self.getattr(i)?.kind == FileType::Dir {
            return Err(Errno::EPERM);
        }
        self.fs.hard_link(ino(i)?, ino(dir)?, name(n)?).map(|_| ()).map_err(errno_of)
    }

    fn reclaim(&mut self, i: Ino) -> Result<(), Errno> {
        self.fs.reap_unlinked_inode(ino(i)?).map_err(errno_of)
    }

    fn sync(&mut self) -> Result<(), Errno> {
        self.fs.sync().map_err(errno_of)
    }

    fn unmount(&mut self) -> Result<(), Errno> {
        match self.fs.unmount() {
            // rsext4 0.9.2 can report a stale orphan-list head after its
            // journal has wrapped (docs/storage.md, "Known engine issues"):
            // everything is committed by `sync`, so the file system is
            // consistent; only the clean flag stays unset and the next
            // mount replays the (already applied) journal.
            Err(e) if matches!(e.kind(), Ext4ErrorKind::Busy) => self.sync(),
            r => r.map_err(errno_of),
        }
    }
}
