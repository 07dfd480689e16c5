//! The mount table: the root volume and the volumes mounted on its
//! directories (`Request::Mount`), seen by the server core as one
//! [`Volume`].
//!
//! Inode numbers of the whole tree are the engines' numbers tagged with
//! the volume they come from: bits 0-47 are the engine's number (ext4 uses
//! 32 bits, the read-only engine counts paths), bits 48-63 the mount index
//! (0 = the root volume, whose numbers are therefore unchanged). A lookup
//! that reaches a covered directory answers with the mounted volume's root;
//! `..` is the path walk's own stack (`path.rs`), so it leaves a mounted
//! volume through the directory it was mounted on. Renames between volumes
//! are `EXDEV`; removing or renaming a covered directory is `EBUSY`.
//!
//! Each volume is committed only when it changed since its last commit, so
//! a mounted disk that cannot be written (corrupt, read-only) never makes
//! requests on the root fail.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use rampart_fs_api::{Errno, SetAttr, StatFs, errno};

use crate::server::Subject;
use crate::volume::{Attr, DirCursor, DirEntry, Ino, NewNode, Owner, Removed, Volume};

/// Bits of an inode number that belong to the engine.
const LOCAL_BITS: u32 = 48;
const LOCAL_MASK: u64 = (1 << LOCAL_BITS) - 1;

/// Most volumes mounted besides the root (`ENOSPC` beyond).
pub const MAX_MOUNTS: usize = 16;

/// Opens and mounts a block device by name for `Request::Mount`
/// (`device`, `read_only`); set with [`crate::FileServer::set_mounter`].
/// Errors are returned to the client (`ENODEV`, `EBUSY`, `EUCLEAN`, ...).
pub type Mounter = Box<dyn FnMut(&str, bool) -> Result<Box<dyn Volume>, Errno>>;

struct Mounted {
    vol: Box<dyn Volume>,
    /// The covered directory (a tagged number).
    on: Ino,
}

/// The root volume and the mounted ones.
pub(crate) struct Mounts<V> {
    pub root: V,
    extra: Vec<Option<Mounted>>,
    /// Covered directory → mount index (1-based).
    covered: BTreeMap<Ino, usize>,
    /// Volumes changed since their last commit (mount indices).
    dirty: BTreeSet<usize>,
}

/// The volume index of a tagged inode number.
pub(crate) fn index_of(ino: Ino) -> usize {
    (ino >> LOCAL_BITS) as usize
}

/// The volume index and the engine's number of a tagged inode number.
pub(crate) fn split(ino: Ino) -> (usize, Ino) {
    (index_of(ino), ino & LOCAL_MASK)
}

fn tag(index: usize, local: Ino) -> Result<Ino, Errno> {
    if local > LOCAL_MASK {
        // An engine number that does not fit (corrupt metadata).
        return Err(errno::EUCLEAN);
    }
    Ok(((index as u64) << LOCAL_BITS) | local)
}

impl<V: Volume> Mounts<V> {
    pub fn new(root: V) -> Mounts<V> {
        Mounts { root, extra: Vec::new(), covered: BTreeMap::new(), dirty: BTreeSet::new() }
    }

    /// The volume holding `ino` and the engine's number for it.
    fn vol(&mut self, ino: Ino) -> Result<(&mut dyn Volume, Ino), Errno> {
        let (i, local) = (index_of(ino), ino & LOCAL_MASK);
        if i == 0 {
            return Ok((&mut self.root, local));
        }
        match self.extra.get_mut(i - 1) {
            Some(Some(m)) => Ok((&mut *m.vol, local)),
            // A number of an unmounted volume (a stale handle).
            _ => Err(Errno::EIO),
        }
    }

    /// As [`Mounts::vol`], recording that the volume changes.
    fn vol_mut(&mut self, ino: Ino) -> Result<(&mut dyn Volume, Ino), Errno> {
        self.dirty.insert(index_of(ino));
        self.vol(ino)
    }

    /// `EBUSY` if `dir/name` is a covered directory.
    fn not_covered(&mut self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        if self.covered.is_empty() {
            return Ok(());
        }
        let (v, d) = self.vol(dir)?;
        if let Some(local) = v.lookup(d, name)?
            && self.covered.contains_key(&tag(index_of(dir), local)?)
        {
            return Err(Errno::EBUSY);
        }
        Ok(())
    }

    /// True if `ino` is a covered directory or the root of a mounted volume.
    pub fn is_mount_point(&mut self, ino: Ino) -> bool {
        self.covered.contains_key(&ino) || self.mounted_root(ino).is_some()
    }

    /// The mount index if `ino` is the root of a mounted volume.
    pub fn mounted_root(&self, ino: Ino) -> Option<usize> {
        let i = index_of(ino);
        let m = self.extra.get(i.checked_sub(1)?)?.as_ref()?;
        (ino & LOCAL_MASK == m.vol.root()).then_some(i)
    }

    /// Mounts `vol` on directory `on`; returns its index.
    ///
    /// # Errors
    /// `EBUSY` if `on` is already a mount point, `ENOSPC` with
    /// [`MAX_MOUNTS`] volumes mounted.
    pub fn attach(&mut self, on: Ino, vol: Box<dyn Volume>) -> Result<usize, Errno> {
        if self.is_mount_point(on) {
            return Err(Errno::EBUSY);
        }
        let slot = match self.extra.iter().position(Option::is_none) {
            Some(s) => s,
            None if self.extra.len() < MAX_MOUNTS => {
                self.extra.push(None);
                self.extra.len() - 1
            }
            None => return Err(Errno::ENOSPC),
        };
        self.extra[slot] = Some(Mounted { vol, on });
        self.covered.insert(on, slot + 1);
        Ok(slot + 1)
    }

    /// Removes mounted volume `index` from the tree and returns it.
    pub fn detach(&mut self, index: usize) -> Option<Box<dyn Volume>> {
        let m = self.extra.get_mut(index.checked_sub(1)?)?.take()?;
        self.covered.remove(&m.on);
        self.dirty.remove(&index);
        Some(m.vol)
    }
}

impl<V: Volume> Volume for Mounts<V> {
    fn read_only(&self) -> bool {
        self.root.read_only()
    }
    fn root(&self) -> Ino {
        self.root.root()
    }
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Option<Ino>, Errno> {
        let i = index_of(dir);
        let (v, d) = self.vol(dir)?;
        let Some(local) = v.lookup(d, name)? else { return Ok(None) };
        let ino = tag(i, local)?;
        match self.covered.get(&ino) {
            Some(&m) => match self.extra.get(m - 1) {
                Some(Some(mounted)) => tag(m, mounted.vol.root()).map(Some),
                _ => Ok(Some(ino)),
            },
            None => Ok(Some(ino)),
        }
    }
    fn getattr(&mut self, ino: Ino) -> Result<Attr, Errno> {
        let (v, l) = self.vol(ino)?;
        let mut a = v.getattr(l)?;
        a.ino = ino;
        Ok(a)
    }
    fn read(&mut self, ino: Ino, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let (v, l) = self.vol(ino)?;
        v.read(l, off, buf)
    }
    fn readdir(&mut self, dir: Ino, c: &mut DirCursor, max: usize) -> Result<Vec<DirEntry>, Errno> {
        let i = index_of(dir);
        let (v, d) = self.vol(dir)?;
        let mut entries = v.readdir(d, c, max)?;
        for e in &mut entries {
            e.ino = tag(i, e.ino)?;
        }
        Ok(entries)
    }
    fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>, Errno> {
        let (v, l) = self.vol(ino)?;
        v.readlink(l)
    }
    fn label(&mut self, ino: Ino) -> Result<Option<Vec<u8>>, Errno> {
        let (v, l) = self.vol(ino)?;
        v.label(l)
    }
    fn statfs(&mut self) -> Result<StatFs, Errno> {
        self.root.statfs()
    }
    fn statfs_of(&mut self, ino: Ino) -> Result<StatFs, Errno> {
        let (v, l) = self.vol(ino)?;
        v.statfs_of(l)
    }
    fn create(&mut self, dir: Ino, name: &[u8], node: NewNode<'_>, perm: u32, owner: Owner) -> Result<Ino, Errno> {
        let i = index_of(dir);
        let (v, d) = self.vol_mut(dir)?;
        tag(i, v.create(d, name, node, perm, owner)?)
    }
    fn set_label(&mut self, ino: Ino, label: &[u8]) -> Result<(), Errno> {
        let (v, l) = self.vol_mut(ino)?;
        v.set_label(l, label)
    }
    fn write(&mut self, ino: Ino, off: u64, data: &[u8]) -> Result<usize, Errno> {
        let (v, l) = self.vol_mut(ino)?;
        v.write(l, off, data)
    }
    fn truncate(&mut self, ino: Ino, size: u64) -> Result<(), Errno> {
        let (v, l) = self.vol_mut(ino)?;
        v.truncate(l, size)
    }
    fn setattr(&mut self, ino: Ino, attr: &SetAttr) -> Result<(), Errno> {
        let (v, l) = self.vol_mut(ino)?;
        v.setattr(l, attr)
    }
    fn unlink(&mut self, dir: Ino, name: &[u8]) -> Result<Removed, Errno> {
        self.not_covered(dir, name)?;
        let i = index_of(dir);
        let (v, d) = self.vol_mut(dir)?;
        let r = v.unlink(d, name)?;
        Ok(Removed { ino: tag(i, r.ino)?, orphan: r.orphan })
    }
    fn rmdir(&mut self, dir: Ino, name: &[u8]) -> Result<Removed, Errno> {
        self.not_covered(dir, name)?;
        let i = index_of(dir);
        let (v, d) = self.vol_mut(dir)?;
        let r = v.rmdir(d, name)?;
        Ok(Removed { ino: tag(i, r.ino)?, orphan: r.orphan })
    }
    fn rename(&mut self, fd: Ino, f: &[u8], td: Ino, t: &[u8]) -> Result<Option<Removed>, Errno> {
        let i = index_of(fd);
        if index_of(td) != i {
            return Err(errno::EXDEV);
        }
        self.not_covered(fd, f)?;
        self.not_covered(td, t)?;
        let (v, from) = self.vol_mut(fd)?;
        let r = v.rename(from, f, td & LOCAL_MASK, t)?;
        match r {
            Some(r) => Ok(Some(Removed { ino: tag(i, r.ino)?, orphan: r.orphan })),
            None => Ok(None),
        }
    }
    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        if index_of(ino) != index_of(dir) {
            return Err(errno::EXDEV);
        }
        self.not_covered(dir, name)?;
        let (v, d) = self.vol_mut(dir)?;
        v.link(ino & LOCAL_MASK, d, name)
    }
    fn reclaim(&mut self, ino: Ino) -> Result<(), Errno> {
        let (v, l) = self.vol_mut(ino)?;
        v.reclaim(l)
    }
    /// Commits the root volume and every mounted volume changed since its
    /// last commit; the first error is returned after all were tried.
    fn sync(&mut self) -> Result<(), Errno> {
        let dirty = core::mem::take(&mut self.dirty);
        let mut r = self.root.sync();
        for i in dirty.into_iter().filter(|&i| i != 0) {
            if let Some(Some(m)) = self.extra.get_mut(i - 1) {
                let s = m.vol.sync();
                r = r.and(s);
            }
        }
        r
    }
    fn unmount(&mut self) -> Result<(), Errno> {
        let mut r = Ok(());
        for m in self.extra.iter_mut().flatten() {
            r = r.and(m.vol.unmount());
        }
        self.root.unmount().and(r)
    }
}

impl<V: Volume, S: crate::security::SecurityServer> crate::server::FileServer<V, S> {
    /// `Request::Mount`: needs uid 0 (`EPERM`, Linux's `CAP_SYS_ADMIN`),
    /// checks `dir mounton` on the directory at `path` and `filesystem
    /// mount`, then asks the mounter for the device's volume and mounts it
    /// there.
    pub(crate) fn mount(&mut self, s: &Subject, device: &str, path: &[u8], read_only: bool) -> Result<(), Errno> {
        if device.is_empty() || device.len() > rampart_fs_api::DEVICE_NAME_MAX {
            return Err(Errno::ENODEV);
        }
        let n = self.lookup_path(s, path, true)?;
        if n.kind != rampart_fs_api::FileType::Dir {
            return Err(errno::ENOTDIR);
        }
        if !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        self.mac.check(s.sid, n.sid, rampart_fs_api::FileType::Dir, &[crate::security::Perm::Mounton])?;
        self.mac.check_fs(s.sid, self.fs_sid, crate::security::FsPerm::Mount)?;
        if self.vol.is_mount_point(n.ino) {
            return Err(Errno::EBUSY);
        }
        let mounter = self.mounter.as_mut().ok_or(Errno::ENODEV)?;
        let vol = mounter(device, read_only)?;
        self.vol.attach(n.ino, vol).map(|_| ())
    }

    /// `Request::Unmount`: the directory at `path` must be the root of a
    /// mounted volume with no open handles; needs uid 0 (`EPERM`) and
    /// `filesystem unmount`. The volume is committed and dropped (a commit
    /// error is returned, but the volume is gone from the tree either way).
    pub(crate) fn unmount(&mut self, s: &Subject, path: &[u8]) -> Result<(), Errno> {
        let n = self.lookup_path(s, path, true)?;
        let i = self.vol.mounted_root(n.ino).ok_or(Errno::EINVAL)?;
        if Some(i) == self.dev {
            // `/dev` is the server's own, for good.
            return Err(Errno::EBUSY);
        }
        if !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        self.mac.check_fs(s.sid, self.fs_sid, crate::security::FsPerm::Unmount)?;
        if self.open_count.keys().any(|&ino| index_of(ino) == i) {
            return Err(Errno::EBUSY);
        }
        let mut vol = self.vol.detach(i).ok_or(Errno::EINVAL)?;
        self.labels.retain(|&ino, _| index_of(ino) != i);
        self.unstored.retain(|&ino| index_of(ino) != i);
        self.orphans.retain(|&ino| index_of(ino) != i);
        vol.unmount()
    }
}
