//! `/dev`: the device nodes the file server itself implements, as a small
//! synthetic [`Volume`] the server mounts over the root's `/dev`
//! directory ([`crate::FileServer::serve_devices`], docs/storage.md §11).
//!
//! | node | type, major, minor | mode | read | write |
//! |---|---|---|---|---|
//! | `null` | `c` 1, 3 | 0666 | end of file | swallowed (the full count) |
//! | `zero` | `c` 1, 5 | 0666 | zero bytes | swallowed |
//! | `full` | `c` 1, 7 | 0666 | zero bytes | `ENOSPC` |
//! | `random` | `c` 1, 8 | 0666 | [`Csprng`] output | mixed in, no entropy credited |
//! | `urandom` | `c` 1, 9 | 0666 | [`Csprng`] output | mixed in |
//! | `tty` | `c` 5, 0 | 0666 | — (`ENXIO`: the console server's) | — |
//! | `console` | `c` 5, 1 | 0600 | — (`ENXIO`) | — |
//!
//! Semantics and numbers are Linux's (`null(4)`, `zero(4)`, `full(4)`,
//! `random(4)`, `Documentation/admin-guide/devices.txt`). Since Linux 5.6
//! `/dev/random` no longer blocks once the generator is seeded; ours is
//! seeded before the server answers anything, so neither ever blocks.
//! Every node belongs to uid 0, group 0. The nodes are fixed: creating,
//! removing, renaming or changing attributes in `/dev` is `EROFS`.
//!
//! Labels are not stored here: the server gives each node the policy's
//! file context for its path (`/dev/null` → `null_device_t`, ...), as for
//! any object without a stored label, so the policy alone decides them.

use alloc::vec::Vec;
use rampart_fs_api::{Errno, FileType, StatFs, Timespec, errno, makedev};

use crate::random::{Csprng, EntropySource, KEY_LEN};
use crate::rw::WallClock;
use crate::volume::{Attr, DirCursor, DirEntry, Ino, Volume};

/// A device node of [`DevFs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// `/dev/null`: reads end of file, writes vanish.
    Null,
    /// `/dev/zero`: reads zero bytes, writes vanish.
    Zero,
    /// `/dev/full`: reads zero bytes, writes fail with `ENOSPC`.
    Full,
    /// `/dev/random`: the generator's output.
    Random,
    /// `/dev/urandom`: the same generator.
    Urandom,
    /// `/dev/tty`: the terminal, served by the console server.
    Tty,
    /// `/dev/console`: the system console, served by the console server.
    Console,
}

/// Every node: name, device, major, minor, permission bits.
pub const NODES: [(&str, Device, u32, u32, u32); 7] = [
    ("null", Device::Null, 1, 3, 0o666),
    ("zero", Device::Zero, 1, 5, 0o666),
    ("full", Device::Full, 1, 7, 0o666),
    ("random", Device::Random, 1, 8, 0o666),
    ("urandom", Device::Urandom, 1, 9, 0o666),
    ("tty", Device::Tty, 5, 0, 0o666),
    ("console", Device::Console, 5, 1, 0o600),
];

/// Inode number of the directory; node `i` of [`NODES`] is `FIRST + i`.
const ROOT: Ino = 1;
const FIRST: Ino = 2;

impl Device {
    /// True if the file server serves reads and writes of this node;
    /// `false` for the terminal nodes, which the console server serves
    /// (the library OS opens them there; the file server answers `ENXIO`).
    pub const fn served_here(self) -> bool {
        !matches!(self, Device::Tty | Device::Console)
    }
}

/// The `/dev` volume: the nodes of [`NODES`] in one read-only directory.
#[derive(Debug)]
pub struct DevFs {
    rng: Csprng,
    /// The time every node shows (when the volume was made).
    born: Timespec,
}

impl DevFs {
    /// A `/dev` whose random nodes start from `seed` (32 bytes of the best
    /// entropy the caller has) and re-key from `source` after every read;
    /// the nodes' times are `clock`'s now.
    pub fn new(seed: [u8; KEY_LEN], source: Option<EntropySource>, clock: WallClock) -> DevFs {
        DevFs { rng: Csprng::new(seed, source), born: Timespec { sec: (clock.0)(), nsec: 0 } }
    }

    /// The device behind inode `ino` of this volume.
    pub fn device(ino: Ino) -> Option<Device> {
        let i = usize::try_from(ino.checked_sub(FIRST)?).ok()?;
        NODES.get(i).map(|n| n.1)
    }

    /// The generator (statistics).
    pub fn rng(&self) -> &Csprng {
        &self.rng
    }

    fn node(ino: Ino) -> Result<&'static (&'static str, Device, u32, u32, u32), Errno> {
        let i = ino.checked_sub(FIRST).and_then(|i| usize::try_from(i).ok()).ok_or(Errno::ENOENT)?;
        NODES.get(i).ok_or(Errno::ENOENT)
    }
}

impl Volume for DevFs {
    fn read_only(&self) -> bool {
        true
    }

    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Option<Ino>, Errno> {
        if dir != ROOT {
            return Err(errno::ENOTDIR);
        }
        Ok(match name {
            b"." | b".." => Some(ROOT),
            _ => NODES.iter().position(|n| n.0.as_bytes() == name).map(|i| FIRST + i as Ino),
        })
    }

    fn getattr(&mut self, ino: Ino) -> Result<Attr, Errno> {
        let t = self.born;
        let (kind, mode, nlink, rdev) = if ino == ROOT {
            (FileType::Dir, FileType::Dir.mode_bits() | 0o755, 2, 0)
        } else {
            let n = DevFs::node(ino)?;
            (FileType::CharDev, FileType::CharDev.mode_bits() | n.4, 1, makedev(n.2, n.3))
        };
        Ok(Attr {
            ino,
            kind,
            mode,
            nlink,
            uid: 0,
            gid: 0,
            size: 0,
            blocks: 0,
            atime: t,
            mtime: t,
            ctime: t,
            btime: Some(t),
            rdev,
        })
    }

    /// Reads as the node does (the offset is ignored, as for Linux's
    /// character devices).
    ///
    /// # Errors
    /// `EISDIR` for the directory, `ENXIO` for the terminal nodes,
    /// `ENOENT` for an unknown inode.
    fn read(&mut self, ino: Ino, _off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if ino == ROOT {
            return Err(errno::EISDIR);
        }
        match DevFs::node(ino)?.1 {
            Device::Null => Ok(0),
            Device::Zero | Device::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            Device::Random | Device::Urandom => {
                self.rng.fill(buf);
                Ok(buf.len())
            }
            Device::Tty | Device::Console => Err(errno::ENXIO),
        }
    }

    fn readdir(&mut self, dir: Ino, cursor: &mut DirCursor, max: usize) -> Result<Vec<DirEntry>, Errno> {
        if dir != ROOT {
            return Err(errno::ENOTDIR);
        }
        // Position 0 is `.`, 1 `..`, 2.. the nodes.
        let mut at = match cursor {
            DirCursor::Start => 0,
            DirCursor::At(w) => w[0] as usize,
            DirCursor::End => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        while out.len() < max {
            let e = match at {
                0 => DirEntry { ino: ROOT, kind: Some(FileType::Dir), name: b".".to_vec() },
                1 => DirEntry { ino: ROOT, kind: Some(FileType::Dir), name: b"..".to_vec() },
                i => match NODES.get(i - 2) {
                    Some(n) => DirEntry {
                        ino: FIRST + (i - 2) as Ino,
                        kind: Some(FileType::CharDev),
                        name: n.0.as_bytes().to_vec(),
                    },
                    None => {
                        *cursor = DirCursor::End;
                        return Ok(out);
                    }
                },
            };
            out.push(e);
            at += 1;
        }
        *cursor = DirCursor::At([at as u32, 0, 0, 0]);
        Ok(out)
    }

    fn readlink(&mut self, _ino: Ino) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    /// No stored labels: the policy's file contexts label every node.
    fn label(&mut self, _ino: Ino) -> Result<Option<Vec<u8>>, Errno> {
        Ok(None)
    }

    fn statfs(&mut self) -> Result<StatFs, Errno> {
        Ok(StatFs { bsize: 4096, namemax: rampart_fs_api::NAME_MAX as u32, read_only: true, ..StatFs::default() })
    }

    /// Writes as the node does.
    ///
    /// # Errors
    /// `ENOSPC` for `full` (Linux `full(4)`), `EISDIR`, `ENXIO` for the
    /// terminal nodes, `ENOENT` for an unknown inode.
    fn write(&mut self, ino: Ino, _off: u64, data: &[u8]) -> Result<usize, Errno> {
        if ino == ROOT {
            return Err(errno::EISDIR);
        }
        match DevFs::node(ino)?.1 {
            Device::Null | Device::Zero => Ok(data.len()),
            Device::Full => Err(Errno::ENOSPC),
            Device::Random | Device::Urandom => {
                self.rng.mix(data);
                Ok(data.len())
            }
            Device::Tty | Device::Console => Err(errno::ENXIO),
        }
    }
}
