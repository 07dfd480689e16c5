//! # rampart-fs — the file server core
//!
//! Everything of Rampart's file server that does not depend on the guest
//! (the freestanding `main`, the virtio-blk client and the IPC loop come
//! with the device manager): ext4 volumes on a [`BlockDevice`], the
//! protocol of `rampart-fs-api` served per client connection, and the
//! mandatory access control of every operation (docs/architecture.md, "User-level system").
//!
//! - [`blockdev`]: the block device trait and an in-memory disk;
//!   [`readahead`]: sequential read-ahead in front of a device.
//! - [`volume`]: the inode-level interface of a mounted file system, with
//!   two engines: [`RwVolume`] (`rsext4`, journaled writes) and
//!   [`RoVolume`] (`ext4-view`, read-only); [`mount`] picks one.
//! - [`security`]: the security-server interface, the AVC, the file
//!   classes and permissions, and the audit log.
//! - [`dac`]: discretionary access control (owners, groups, mode bits,
//!   sticky directories, protected symlinks), checked in addition to the
//!   mandatory policy; [`ident`]: the uid and gids of a client, derived
//!   from the SELinux user of its context.
//! - [`dev`]: the device nodes of `/dev` (`null`, `zero`, `full`,
//!   `random`, `urandom`, `tty`, `console`), a synthetic volume mounted
//!   over the root's `/dev`; [`random`]: the ChaCha20 generator behind
//!   the random nodes.
//! - [`FileServer`]: connections, handles, tokens, pipes, path resolution,
//!   labels and every request.
//!
//! docs/storage.md has the engine evaluation, the crash-consistency
//! guarantee, the labelling scheme and the permission of every request.
//!
//! ## Trust assumptions
//! Disk contents are untrusted: every engine error becomes an errno
//! (`EUCLEAN` for corrupt metadata), never a panic, and the server keeps
//! serving. Requests are untrusted (decoded by `rampart-fs-api`, region
//! offsets and lengths checked). The security server is trusted for its
//! decisions; the connection server for the SID of each connection.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod blockdev;
pub mod dac;
pub mod dev;
mod exec;
pub mod ident;
mod io;
mod mount;
mod ops;
mod path;
pub mod pipe;
pub mod random;
pub mod readahead;
mod relabel;
mod ro;
mod rw;
pub mod security;
mod serve;
mod server;
mod space;
pub mod volume;

pub use blockdev::{BlockDevice, IoError, MemDisk, SECTOR_SIZE};
pub use dac::Cred;
pub use dev::{DevFs, Device};
pub use exec::{MAX_IMAGE, Sealer};
pub use ident::Identities;
pub use mount::{MAX_MOUNTS, Mounter};
pub use random::EntropySource;
pub use readahead::ReadAhead;
pub use ro::RoVolume;
pub use rw::{RwVolume, WallClock};
pub use security::{FsPerm, FsVocab, LocalPolicy, Mac, ObjSecurity, Perm, SecurityServer};
pub use server::{Commit, Config, ConnId, FileServer};
pub use volume::{Attr, DirCursor, DirEntry, Ino, NewNode, Owner, Removed, Volume};

use alloc::boxed::Box;
use rampart_fs_api::Errno;

/// Mounts `dev`: read-write with [`RwVolume`] unless `read_only` is asked
/// or the device refuses writes; falls back to [`RoVolume`] when the
/// read-write engine refuses the image (unsupported features such as
/// ext2/ext3 layouts), so a disk that can be read is always served.
///
/// # Errors
/// The read-only engine's error when neither engine can mount it
/// (`EUCLEAN` for a corrupt superblock, `ENOTSUP`, `EIO`).
pub fn mount<D: BlockDevice + Clone + 'static>(
    dev: D,
    clock: WallClock,
    read_only: bool,
) -> Result<Box<dyn Volume>, Errno> {
    if !read_only && !dev.read_only() {
        match RwVolume::mount(dev.clone(), clock) {
            Ok(v) => return Ok(Box::new(v)),
            Err(e) if e == rampart_fs_api::errno::ENOTSUP => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Box::new(RoVolume::mount(dev)?))
}

impl Volume for Box<dyn Volume> {
    fn read_only(&self) -> bool {
        (**self).read_only()
    }
    fn root(&self) -> Ino {
        (**self).root()
    }
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Option<Ino>, Errno> {
        (**self).lookup(dir, name)
    }
    fn getattr(&mut self, ino: Ino) -> Result<Attr, Errno> {
        (**self).getattr(ino)
    }
    fn read(&mut self, ino: Ino, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        (**self).read(ino, off, buf)
    }
    fn readdir(&mut self, dir: Ino, c: &mut DirCursor, max: usize) -> Result<alloc::vec::Vec<DirEntry>, Errno> {
        (**self).readdir(dir, c, max)
    }
    fn readlink(&mut self, ino: Ino) -> Result<alloc::vec::Vec<u8>, Errno> {
        (**self).readlink(ino)
    }
    fn label(&mut self, ino: Ino) -> Result<Option<alloc::vec::Vec<u8>>, Errno> {
        (**self).label(ino)
    }
    fn statfs(&mut self) -> Result<rampart_fs_api::StatFs, Errno> {
        (**self).statfs()
    }
    fn create(&mut self, dir: Ino, name: &[u8], node: NewNode<'_>, perm: u32, owner: Owner) -> Result<Ino, Errno> {
        (**self).create(dir, name, node, perm, owner)
    }
    fn set_label(&mut self, ino: Ino, label: &[u8]) -> Result<(), Errno> {
        (**self).set_label(ino, label)
    }
    fn write(&mut self, ino: Ino, off: u64, data: &[u8]) -> Result<usize, Errno> {
        (**self).write(ino, off, data)
    }
    fn truncate(&mut self, ino: Ino, size: u64) -> Result<(), Errno> {
        (**self).truncate(ino, size)
    }
    fn setattr(&mut self, ino: Ino, attr: &rampart_fs_api::SetAttr) -> Result<(), Errno> {
        (**self).setattr(ino, attr)
    }
    fn unlink(&mut self, dir: Ino, name: &[u8]) -> Result<Removed, Errno> {
        (**self).unlink(dir, name)
    }
    fn rmdir(&mut self, dir: Ino, name: &[u8]) -> Result<Removed, Errno> {
        (**self).rmdir(dir, name)
    }
    fn rename(&mut self, fd: Ino, f: &[u8], td: Ino, t: &[u8]) -> Result<Option<Removed>, Errno> {
        (**self).rename(fd, f, td, t)
    }
    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        (**self).link(ino, dir, name)
    }
    fn reclaim(&mut self, ino: Ino) -> Result<(), Errno> {
        (**self).reclaim(ino)
    }
    fn sync(&mut self) -> Result<(), Errno> {
        (**self).sync()
    }
    fn unmount(&mut self) -> Result<(), Errno> {
        (**self).unmount()
    }
}
