//! [`RoVolume`]: the read-only ext4 engine, `ext4-view` — the card crate
//! designed never to panic on invalid data, reading ext2/ext3/ext4 (and
//! replaying an uncommitted journal in memory, never on the disk).
//!
//! `ext4-view` addresses files by path and keeps its own block cache, so
//! it serves only mounts nothing writes: a volume mounted read-only, or an
//! image the read-write engine refuses. Objects are numbered in lookup
//! order (the crate does not expose inode numbers); the numbers are stable
//! for the life of the mount because no path can change. Labels come from
//! the policy's file contexts (extended attributes are not read).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use ext4_view::{Ext4, Ext4Error, File, Metadata, PathBuf};
use rampart_fs_api::{Errno, FileType, StatFs, Timespec, errno};

use crate::blockdev::{BlockDevice, ViewReader};
use crate::volume::{Attr, DirCursor, DirEntry, Ino, Volume};

/// Maps an `ext4-view` error to a POSIX number.
pub(crate) fn errno_of(e: &Ext4Error) -> Errno {
    match e {
        Ext4Error::NotFound => Errno::ENOENT,
        Ext4Error::IsADirectory => errno::EISDIR,
        Ext4Error::NotADirectory => errno::ENOTDIR,
        Ext4Error::FileTooLarge => errno::EFBIG,
        Ext4Error::PathTooLong => errno::ENAMETOOLONG,
        Ext4Error::TooManySymlinks => errno::ELOOP,
        Ext4Error::Encrypted | Ext4Error::Incompatible(_) => errno::ENOTSUP,
        Ext4Error::Io(_) => Errno::EIO,
        Ext4Error::Corrupt(_) => errno::EUCLEAN,
        _ => Errno::EINVAL,
    }
}

fn ts(t: ext4_view::Timestamp) -> Timespec {
    Timespec { sec: t.seconds(), nsec: t.nanoseconds() }
}

fn kind_of(t: ext4_view::FileType) -> FileType {
    if t.is_dir() {
        FileType::Dir
    } else if t.is_symlink() {
        FileType::Symlink
    } else if t.is_char_dev() {
        FileType::CharDev
    } else if t.is_block_dev() {
        FileType::BlockDev
    } else if t.is_fifo() {
        FileType::Fifo
    } else if t.is_socket() {
        FileType::Socket
    } else {
        FileType::File
    }
}

/// A read-only ext4 (or ext2/ext3) file system.
pub struct RoVolume {
    fs: Ext4,
    paths: Vec<PathBuf>,
    ids: BTreeMap<Vec<u8>, Ino>,
    open: Option<(Ino, File)>,
    listing: Option<(Ino, Vec<DirEntry>)>,
}

impl core::fmt::Debug for RoVolume {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RoVolume").field("objects", &self.paths.len()).finish()
    }
}

/// Number of the root directory.
const ROOT: Ino = 1;

impl RoVolume {
    /// Loads the file system on `dev` (superblock, group descriptors, and
    /// an in-memory journal replay).
    ///
    /// # Errors
    /// `EUCLEAN` for corrupt metadata, `ENOTSUP` for unsupported features,
    /// `EIO`.
    pub fn mount<D: BlockDevice + 'static>(dev: D) -> Result<RoVolume, Errno> {
        let fs = Ext4::load(Box::new(ViewReader(dev))).map_err(|e| errno_of(&e))?;
        let root = PathBuf::new("/");
        let mut ids = BTreeMap::new();
        ids.insert(root.as_ref().to_vec(), ROOT);
        Ok(RoVolume { fs, paths: alloc::vec![root], ids, open: None, listing: None })
    }

    fn path(&self, i: Ino) -> Result<&PathBuf, Errno> {
        let idx = usize::try_from(i).ok().and_then(|i| i.checked_sub(1)).ok_or(Errno::ENOENT)?;
        self.paths.get(idx).ok_or(Errno::ENOENT)
    }

    fn intern(&mut self, p: PathBuf) -> Ino {
        if let Some(&i) = self.ids.get(p.as_ref()) {
            return i;
        }
        let i = self.paths.len() as Ino + 1;
        self.ids.insert(p.as_ref().to_vec(), i);
        self.paths.push(p);
        i
    }

    fn meta(&self, i: Ino) -> Result<Metadata, Errno> {
        let p = self.path(i)?;
        self.fs.symlink_metadata(p).map_err(|e| errno_of(&e))
    }
}

impl Volume for RoVolume {
    fn read_only(&self) -> bool {
        true
    }

    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Option<Ino>, Errno> {
        if !self.meta(dir)?.is_dir() {
            return Err(errno::ENOTDIR);
        }
        let p = self.path(dir)?.join(name);
        match self.fs.symlink_metadata(&p) {
            Ok(_) => Ok(Some(self.intern(p))),
            Err(Ext4Error::NotFound) => Ok(None),
            Err(e) => Err(errno_of(&e)),
        }
    }

    fn getattr(&mut self, i: Ino) -> Result<Attr, Errno> {
        let m = self.meta(i)?;
        let kind = kind_of(m.file_type());
        Ok(Attr {
            ino: i,
            kind,
            mode: kind.mode_bits() | u32::from(m.mode() & 0o7777),
            nlink: 1,
            uid: m.uid(),
            gid: m.gid(),
            size: m.len(),
            blocks: m.len().div_ceil(512),
            atime: ts(m.accessed()),
            mtime: ts(m.modified()),
            ctime: ts(m.modified()),
            btime: m.created().map(ts),
            rdev: 0,
        })
    }

    fn read(&mut self, i: Ino, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let cached = matches!(&self.open, Some((o, _)) if *o == i);
        if !cached {
            let p = self.path(i)?.clone();
            let f = self.fs.open(&p).map_err(|e| errno_of(&e))?;
            self.open = Some((i, f));
        }
        let Some((_, f)) = self.open.as_mut() else { return Err(Errno::EIO) };
        if off >= f.metadata().len() {
            return Ok(0);
        }
        if f.position() != off {
            f.seek_to(off).map_err(|e| errno_of(&e))?;
        }
        let mut done = 0;
        while done < buf.len() {
            match f.read_bytes(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) => {
                    let err = errno_of(&e);
                    self.open = None;
                    return Err(err);
                }
            }
        }
        Ok(done)
    }

    fn readdir(&mut self, dir: Ino, cursor: &mut DirCursor, max: usize) -> Result<Vec<DirEntry>, Errno> {
        let start = match *cursor {
            DirCursor::Start => 0,
            DirCursor::At([i, ..]) => i as usize,
            DirCursor::End => return Ok(Vec::new()),
        };
        if !matches!(&self.listing, Some((d, _)) if *d == dir) {
            let p = self.path(dir)?.clone();
            let mut all = Vec::new();
            for e in self.fs.read_dir(&p).map_err(|e| errno_of(&e))? {
                let e = e.map_err(|e| errno_of(&e))?;
                let name = e.file_name().as_ref().to_vec();
                let kind = e.file_type().ok().map(kind_of);
                let ino = match name.as_slice() {
                    b"." => dir,
                    b".." => ROOT,
                    _ => self.intern(e.path()),
                };
                all.push(DirEntry { ino, kind, name });
            }
            self.listing = Some((dir, all));
        }
        let Some((_, all)) = &self.listing else { return Err(Errno::EIO) };
        let end = start.saturating_add(max).min(all.len());
        let out = all.get(start..end).unwrap_or(&[]).to_vec();
        *cursor = if end >= all.len() { DirCursor::End } else { DirCursor::At([end as u32, 0, 0, 0]) };
        Ok(out)
    }

    fn readlink(&mut self, i: Ino) -> Result<Vec<u8>, Errno> {
        let p = self.path(i)?;
        match self.fs.read_link(p) {
            Ok(t) => Ok(t.as_ref().to_vec()),
            Err(Ext4Error::NotASymlink) => Err(Errno::EINVAL),
            Err(e) => Err(errno_of(&e)),
        }
    }

    fn label(&mut self, _i: Ino) -> Result<Option<Vec<u8>>, Errno> {
        Ok(None)
    }

    fn statfs(&mut self) -> Result<StatFs, Errno> {
        Ok(StatFs { bsize: 4096, namemax: rampart_fs_api::NAME_MAX as u32, read_only: true, ..StatFs::default() })
    }
}
