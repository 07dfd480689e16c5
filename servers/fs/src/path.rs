//! Path resolution and object labels.
//!
//! The server resolves every path itself, one component at a time, so the
//! policy sees each step (docs/storage.md §Mediation):
//! - each directory searched needs `dir search`;
//! - `..` moves to the directory the walk came from (never above `/`), so
//!   it cannot escape through a symlink's parent;
//! - following a symbolic link needs `lnk_file read`, counts towards
//!   [`SYMLOOP_MAX`] (`ELOOP` beyond) and restarts at `/` for an absolute
//!   target; the object finally reached is checked with its own label, so
//!   a link to a denied file gives `EACCES` like the file itself;
//! - a component over [`NAME_MAX`] bytes gives `ENAMETOOLONG`, a path over
//!   `PATH_MAX` is refused before the walk, and the total number of
//!   components walked (symlink expansions included) is capped at
//!   [`MAX_COMPONENTS`] (`ELOOP`).
//!
//! Each step is checked by discretionary access control first, as Linux
//! does before its security hooks: search (`x`) on every directory
//! searched, protected symlinks on every link followed (`crate::dac`).
//!
//! Labels: an object's SID is its stored `security.selinux` attribute if
//! present and valid under the policy; otherwise the policy's file
//! context for the path it was reached by (`<<none>>` or no rule: the
//! `file` initial SID). Labels are cached per inode.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_fs_api::{Errno, FileType, MAX_COMPONENTS, NAME_MAX, SYMLOOP_MAX, errno};

use crate::dac::{self, MAY_EXEC, Owned};
use crate::security::{Perm, SecurityServer};
use crate::server::{FileServer, Subject};
use crate::volume::{Ino, Volume};

/// A resolved object.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub ino: Ino,
    pub kind: FileType,
    pub sid: u32,
    /// Mode, owner and group (discretionary checks).
    pub own: Owned,
    /// The path it was reached by (symlinks expanded, `..` applied).
    pub path: String,
}

/// The result of a walk that stops before the last component.
pub(crate) struct Parent {
    /// The directories from `/` down to the parent (the last one).
    pub chain: Vec<Node>,
    /// The last component (a plain name, not `.` or `..`).
    pub name: Vec<u8>,
}

impl Parent {
    pub fn dir(&self) -> &Node {
        // The chain always holds at least the root.
        &self.chain[self.chain.len() - 1]
    }
}

fn split(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty())
}

/// `dir/name` as a string path.
pub(crate) fn join(dir: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if dir == "/" { alloc::format!("/{name}") } else { alloc::format!("{dir}/{name}") }
}

impl<V: Volume, S: SecurityServer> FileServer<V, S> {
    /// The SID of `ino`, reached by `path`, of kind `kind`.
    pub(crate) fn label_of(&mut self, ino: Ino, path: &str, kind: FileType) -> Result<u32, Errno> {
        if let Some(&s) = self.labels.get(&ino) {
            return Ok(s);
        }
        let stored = self.vol.label(ino)?;
        let sid = match stored {
            Some(bytes) => match core::str::from_utf8(&bytes) {
                Ok(ctx) => self.mac.om.sec.context_to_sid(ctx).unwrap_or(self.mac.unlabeled),
                Err(_) => self.mac.unlabeled,
            },
            None => {
                if !self.vol.read_only() {
                    self.unstored.insert(ino);
                }
                self.mac.om.sec.file_context(path, kind)?.unwrap_or(self.mac.unlabeled)
            }
        };
        self.labels.insert(ino, sid);
        Ok(sid)
    }

    /// Stores a label derived from file contexts before the object's path
    /// changes (rename), so it keeps its label after a reboot.
    pub(crate) fn persist_label(&mut self, n: &Node) -> Result<(), Errno> {
        if self.unstored.remove(&n.ino) {
            let ctx = self.mac.om.sec.sid_to_context(n.sid)?;
            self.vol.set_label(n.ino, ctx.as_bytes())?;
            self.dirty = true;
        }
        Ok(())
    }

    /// The node for `ino` reached by `path`.
    pub(crate) fn node(&mut self, ino: Ino, path: String) -> Result<Node, Errno> {
        let a = self.vol.getattr(ino)?;
        let sid = self.label_of(ino, &path, a.kind)?;
        Ok(Node { ino, kind: a.kind, sid, own: Owned { mode: a.mode, uid: a.uid, gid: a.gid }, path })
    }

    fn root_node(&mut self) -> Result<Node, Errno> {
        let root = self.vol.root();
        self.node(root, String::from("/"))
    }

    /// Checks that `s` may search directory `dir` (discretionary, then
    /// mandatory).
    fn search(&mut self, s: &Subject, dir: &Node) -> Result<(), Errno> {
        dac::permission(&s.cred, &dir.own, MAY_EXEC)?;
        self.mac.check(s.sid, dir.sid, FileType::Dir, &[Perm::Search])
    }

    /// Walks `path` for `s`. With `parent`, stops before the last
    /// component and returns it; otherwise resolves it (following a final
    /// symlink if `follow`).
    fn walk(&mut self, s: &Subject, path: &[u8], follow: bool, parent: bool) -> Result<(Vec<Node>, Vec<u8>), Errno> {
        if path.first() != Some(&b'/') {
            return Err(Errno::EINVAL);
        }
        let mut chain = alloc::vec![self.root_node()?];
        let mut queue: VecDeque<Vec<u8>> = split(path).map(<[u8]>::to_vec).collect();
        let (mut links, mut steps) = (0u32, 0usize);
        while let Some(c) = queue.pop_front() {
            steps += 1;
            if steps > MAX_COMPONENTS {
                return Err(errno::ELOOP);
            }
            if c.len() > NAME_MAX {
                return Err(errno::ENAMETOOLONG);
            }
            let last = queue.is_empty();
            let cur = chain[chain.len() - 1].clone();
            if cur.kind != FileType::Dir {
                return Err(errno::ENOTDIR);
            }
            if parent && last {
                if c == b"." || c == b".." {
                    return Err(Errno::EINVAL);
                }
                return Ok((chain, c));
            }
            self.search(s, &cur)?;
            match c.as_slice() {
                b"." => continue,
                b".." => {
                    if chain.len() > 1 {
                        chain.pop();
                    }
                    continue;
                }
                _ => {}
            }
            let ino = self.vol.lookup(cur.ino, &c)?.ok_or(Errno::ENOENT)?;
            let node = self.node(ino, join(&cur.path, &c))?;
            if node.kind == FileType::Symlink && (!last || follow) {
                links += 1;
                if links > SYMLOOP_MAX {
                    return Err(errno::ELOOP);
                }
                dac::may_follow(&s.cred, &cur.own, &node.own)?;
                self.mac.check(s.sid, node.sid, FileType::Symlink, &[Perm::Read])?;
                let target = self.vol.readlink(ino)?;
                if target.is_empty() {
                    return Err(Errno::ENOENT);
                }
                if target[0] == b'/' {
                    chain.truncate(1);
                }
                for comp in split(&target).collect::<Vec<_>>().into_iter().rev() {
                    queue.push_front(comp.to_vec());
                }
                continue;
            }
            chain.push(node);
        }
        if parent {
            // "/" (or only `.`/`..` after the root): no last component.
            return Err(Errno::EINVAL);
        }
        Ok((chain, Vec::new()))
    }

    /// Resolves `path` to an existing object.
    pub(crate) fn lookup_path(&mut self, s: &Subject, path: &[u8], follow: bool) -> Result<Node, Errno> {
        let (mut chain, _) = self.walk(s, path, follow, false)?;
        chain.pop().ok_or(Errno::ENOENT)
    }

    /// Resolves every component of `path` but the last, which must be a
    /// plain name; the parent must be a directory.
    pub(crate) fn lookup_parent(&mut self, s: &Subject, path: &[u8]) -> Result<Parent, Errno> {
        let (chain, name) = self.walk(s, path, true, true)?;
        Ok(Parent { chain, name })
    }

    /// The child `name` of the walked parent, if it exists (the parent's
    /// `search` permission is checked here).
    pub(crate) fn child(&mut self, s: &Subject, p: &Parent) -> Result<Option<Node>, Errno> {
        let dir = p.dir().clone();
        self.search(s, &dir)?;
        match self.vol.lookup(dir.ino, &p.name)? {
            Some(ino) => Ok(Some(self.node(ino, join(&dir.path, &p.name))?)),
            None => Ok(None),
        }
    }
}
