//! Namespace operations: open/create, mkdir, symlink, unlink, rmdir,
//! rename, and attribute requests. Every check follows SELinux's choice of
//! permissions for the same system call (docs/storage.md §Mediation), after
//! the discretionary checks Linux makes for it (`crate::dac`, §6).

use alloc::string::String;
use alloc::vec::Vec;
use rampart_fs_api::SharedRegion;
use rampart_fs_api::{Errno, FileType, OpenFlags, SetAttr, Stat, Target, errno};

use crate::dac::{self, MAY_EXEC, MAY_READ, MAY_WRITE, Owned};
use crate::path::{Node, Parent, join};
use crate::security::{Perm, SecurityServer};
use crate::server::{ConnId, FileServer, Object, Open, Subject, path_arg};
use crate::volume::{DirCursor, NewNode, Owner, Removed, Volume};

impl<V: Volume, S: SecurityServer> FileServer<V, S> {
    /// Creates `p.name` in `p.dir()` after the policy checks; returns it.
    /// The new object belongs to the creator (`dac::new_object`).
    fn create_node(
        &mut self,
        s: &Subject,
        p: &Parent,
        kind: FileType,
        node: NewNode<'_>,
        perm: u32,
    ) -> Result<Node, Errno> {
        let dir = p.dir().clone();
        dac::may_create(&s.cred, &dir.own)?;
        self.mac.check(s.sid, dir.sid, FileType::Dir, &[Perm::Search, Perm::AddName])?;
        let class = self.mac.class_of(kind).ok_or(Errno::EACCES)?;
        let name = String::from_utf8_lossy(&p.name);
        let sid = self.mac.om.sec.compute_create(s.sid, dir.sid, class, &name).map_err(|_| Errno::EACCES)?;
        self.mac.check(s.sid, sid, kind, &[Perm::Create])?;
        if self.vol.read_only() {
            return Err(errno::EROFS);
        }
        self.may_take_block(&s.cred, dir.ino, kind)?;
        let ctx = self.mac.om.sec.sid_to_context(sid)?;
        let (uid, gid, perm) = dac::new_object(&s.cred, &dir.own, kind, perm);
        let ino = self.vol.create(dir.ino, &p.name, node, perm, Owner { uid, gid })?;
        self.dirty = true;
        self.forget(ino);
        self.vol.set_label(ino, ctx.as_bytes())?;
        self.labels.insert(ino, sid);
        let own = Owned { mode: kind.mode_bits() | perm, uid, gid };
        Ok(Node { ino, kind, sid, own, path: join(&dir.path, &p.name) })
    }

    /// `open`: resolves (or creates) and checks; returns the open object.
    pub(crate) fn open(&mut self, s: &Subject, path: &[u8], flags: OpenFlags, mode: u32) -> Result<Open, Errno> {
        if flags.0 & !OpenFlags::KNOWN != 0 || flags.0 & OpenFlags::ACCMODE == 3 {
            return Err(Errno::EINVAL);
        }
        let nofollow = flags.contains(OpenFlags::NOFOLLOW);
        let mut created = false;
        let node = if flags.contains(OpenFlags::CREAT) {
            let p = self.lookup_parent(s, path)?;
            match self.child(s, &p)? {
                Some(_) if flags.contains(OpenFlags::EXCL) => return Err(Errno::EEXIST),
                Some(n) if n.kind == FileType::Symlink && !nofollow => self.lookup_path(s, path, true)?,
                Some(n) => n,
                None => {
                    created = true;
                    self.create_node(s, &p, FileType::File, NewNode::File, mode & 0o7777)?
                }
            }
        } else {
            self.lookup_path(s, path, !nofollow)?
        };
        match node.kind {
            FileType::Symlink => return Err(errno::ELOOP),
            FileType::Dir if flags.writable() || flags.contains(OpenFlags::TRUNC) => return Err(errno::EISDIR),
            FileType::File | FileType::Dir => {}
            // `/dev`'s nodes; device nodes on a disk have no driver here.
            FileType::CharDev if self.device_of(node.ino).is_some() => {}
            _ => return Err(errno::ENXIO),
        }
        if flags.contains(OpenFlags::DIRECTORY) && node.kind != FileType::Dir {
            return Err(errno::ENOTDIR);
        }
        let exec = flags.contains(OpenFlags::EXEC);
        if exec && (node.kind != FileType::File || !flags.readable()) {
            return Err(Errno::EACCES);
        }
        // A file this open created is the caller's whatever its mode
        // (Linux: `open(O_CREAT|O_WRONLY, 0444)` succeeds).
        if !created {
            let mut want = 0;
            if flags.readable() {
                want |= MAY_READ;
            }
            if flags.writable() || flags.contains(OpenFlags::TRUNC) {
                want |= MAY_WRITE;
            }
            if exec {
                want |= MAY_EXEC;
            }
            dac::permission(&s.cred, &node.own, want)?;
        }
        let mut perms = alloc::vec![Perm::Open];
        if flags.readable() {
            perms.push(Perm::Read);
        }
        if flags.writable() {
            perms.push(if flags.contains(OpenFlags::APPEND) { Perm::Append } else { Perm::Write });
        }
        if flags.contains(OpenFlags::TRUNC) && !perms.contains(&Perm::Write) {
            perms.push(Perm::Write);
        }
        if exec {
            perms.push(Perm::Execute);
        }
        self.mac.check(s.sid, node.sid, node.kind, &perms)?;
        // The terminal nodes pass the same checks, then belong to the
        // console server: the library OS opens the terminal there.
        if self.device_of(node.ino).is_some_and(|d| !d.served_here()) {
            return Err(errno::ENXIO);
        }
        // `O_TRUNC` applies to regular files only (POSIX `open`: "the
        // effect on other file types is implementation-defined"; Linux
        // ignores it on devices, so `> /dev/null` works).
        if flags.contains(OpenFlags::TRUNC) && !created && node.kind == FileType::File {
            self.vol.truncate(node.ino, 0)?;
            self.dirty = true;
        }
        Ok(Open {
            obj: Object::File { ino: node.ino, kind: node.kind, sid: node.sid },
            flags,
            pos: 0,
            dir: DirCursor::Start,
            pending: Vec::new(),
        })
    }

    pub(crate) fn mkdir(&mut self, s: &Subject, path: &[u8], mode: u32) -> Result<(), Errno> {
        let p = self.lookup_parent(s, path)?;
        if self.child(s, &p)?.is_some() {
            return Err(Errno::EEXIST);
        }
        self.create_node(s, &p, FileType::Dir, NewNode::Dir, mode & 0o7777).map(|_| ())
    }

    pub(crate) fn symlink(&mut self, s: &Subject, target: &[u8], link: &[u8]) -> Result<(), Errno> {
        if target.len() >= rampart_fs_api::PATH_MAX {
            return Err(errno::ENAMETOOLONG);
        }
        let p = self.lookup_parent(s, link)?;
        if self.child(s, &p)?.is_some() {
            return Err(Errno::EEXIST);
        }
        self.create_node(s, &p, FileType::Symlink, NewNode::Symlink(target), 0o777).map(|_| ())
    }

    /// Records a removal: frees the inode now, or with its last handle.
    fn removed(&mut self, r: Removed) -> Result<(), Errno> {
        self.dirty = true;
        if r.orphan {
            if self.open_count.contains_key(&r.ino) {
                self.orphans.insert(r.ino);
            } else {
                self.forget(r.ino);
                self.vol.reclaim(r.ino)?;
            }
        }
        Ok(())
    }

    pub(crate) fn unlink(&mut self, s: &Subject, path: &[u8]) -> Result<(), Errno> {
        let p = self.lookup_parent(s, path)?;
        let n = self.child(s, &p)?.ok_or(Errno::ENOENT)?;
        if n.kind == FileType::Dir {
            return Err(errno::EISDIR);
        }
        dac::may_delete(&s.cred, &p.dir().own, &n.own)?;
        self.mac.check(s.sid, p.dir().sid, FileType::Dir, &[Perm::RemoveName])?;
        self.mac.check(s.sid, n.sid, n.kind, &[Perm::Unlink])?;
        let r = self.vol.unlink(p.dir().ino, &p.name)?;
        self.removed(r)
    }

    pub(crate) fn rmdir(&mut self, s: &Subject, path: &[u8]) -> Result<(), Errno> {
        let p = self.lookup_parent(s, path)?;
        let n = self.child(s, &p)?.ok_or(Errno::ENOENT)?;
        if n.kind != FileType::Dir {
            return Err(errno::ENOTDIR);
        }
        dac::may_delete(&s.cred, &p.dir().own, &n.own)?;
        self.mac.check(s.sid, p.dir().sid, FileType::Dir, &[Perm::RemoveName])?;
        self.mac.check(s.sid, n.sid, FileType::Dir, &[Perm::Rmdir])?;
        let r = self.vol.rmdir(p.dir().ino, &p.name)?;
        self.removed(r)
    }

    pub(crate) fn rename(&mut self, s: &Subject, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        let fp = self.lookup_parent(s, from)?;
        let tp = self.lookup_parent(s, to)?;
        let src = self.child(s, &fp)?.ok_or(Errno::ENOENT)?;
        let dst = self.child(s, &tp)?;
        if dst.as_ref().is_some_and(|d| d.ino == src.ino) {
            return Ok(());
        }
        if src.kind == FileType::Dir && tp.chain.iter().any(|d| d.ino == src.ino) {
            return Err(Errno::EINVAL);
        }
        // Linux's order: the source as a removal, the target as a removal
        // or a creation, then a directory that changes parent must be
        // writable (its `..` changes).
        dac::may_delete(&s.cred, &fp.dir().own, &src.own)?;
        match &dst {
            Some(d) => dac::may_delete(&s.cred, &tp.dir().own, &d.own)?,
            None => dac::may_create(&s.cred, &tp.dir().own)?,
        }
        if src.kind == FileType::Dir && fp.dir().ino != tp.dir().ino {
            dac::permission(&s.cred, &src.own, MAY_WRITE)?;
        }
        self.mac.check(s.sid, fp.dir().sid, FileType::Dir, &[Perm::RemoveName])?;
        self.mac.check(s.sid, src.sid, src.kind, &[Perm::Rename])?;
        if src.kind == FileType::Dir && fp.dir().ino != tp.dir().ino {
            self.mac.check(s.sid, src.sid, FileType::Dir, &[Perm::Reparent])?;
        }
        self.mac.check(s.sid, tp.dir().sid, FileType::Dir, &[Perm::AddName])?;
        if let Some(d) = &dst {
            match (src.kind == FileType::Dir, d.kind == FileType::Dir) {
                (true, false) => return Err(errno::ENOTDIR),
                (false, true) => return Err(errno::EISDIR),
                _ => {}
            }
            self.mac.check(s.sid, tp.dir().sid, FileType::Dir, &[Perm::RemoveName])?;
            let perm = if d.kind == FileType::Dir { Perm::Rmdir } else { Perm::Unlink };
            self.mac.check(s.sid, d.sid, d.kind, &[perm])?;
        }
        if self.vol.read_only() {
            return Err(errno::EROFS);
        }
        self.persist_label(&src)?;
        let replaced = self.vol.rename(fp.dir().ino, &fp.name, tp.dir().ino, &tp.name)?;
        self.dirty = true;
        match replaced {
            Some(r) => self.removed(r),
            None => Ok(()),
        }
    }

    /// `Request::Link`: Linux's order of checks (`do_linkat`, `vfs_link`):
    /// the new name must not exist, protected hard links
    /// ([`dac::may_link`]), write and search on its directory, not a
    /// directory, then SELinux's `may_link`: `dir {
    /// search add_name }` on the directory and `link` on the object.
    pub(crate) fn link(&mut self, s: &Subject, from: &[u8], to: &[u8]) -> Result<(), Errno> {
        let src = self.lookup_path(s, from, false)?;
        let tp = self.lookup_parent(s, to)?;
        if self.child(s, &tp)?.is_some() {
            return Err(Errno::EEXIST);
        }
        dac::may_link(&s.cred, &src.own, src.kind == FileType::File)?;
        dac::may_create(&s.cred, &tp.dir().own)?;
        if src.kind == FileType::Dir {
            return Err(Errno::EPERM);
        }
        self.mac.check(s.sid, tp.dir().sid, FileType::Dir, &[Perm::Search, Perm::AddName])?;
        self.mac.check(s.sid, src.sid, src.kind, &[Perm::Link])?;
        if self.vol.read_only() {
            return Err(errno::EROFS);
        }
        // The label is the object's, whatever name reaches it: store it
        // before a second path could compute another one.
        self.persist_label(&src)?;
        self.vol.link(src.ino, tp.dir().ino, &tp.name)?;
        self.dirty = true;
        Ok(())
    }

    pub(crate) fn readlink(&mut self, s: &Subject, path: &[u8]) -> Result<Vec<u8>, Errno> {
        let n = self.lookup_path(s, path, false)?;
        if n.kind != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        self.mac.check(s.sid, n.sid, FileType::Symlink, &[Perm::Read])?;
        self.vol.readlink(n.ino)
    }

    /// The object a [`Target`] names, with the connection's subject; for a
    /// handle, also the handle's open flags.
    fn target(
        &mut self,
        conn: ConnId,
        t: &Target,
        region: &dyn SharedRegion,
    ) -> Result<(Subject, Object, Option<OpenFlags>), Errno> {
        let s = self.subject(conn)?;
        match t {
            Target::Path { path, follow } => {
                let p = path_arg(path, region)?;
                let n = self.lookup_path(&s, &p, *follow)?;
                Ok((s, Object::File { ino: n.ino, kind: n.kind, sid: n.sid }, None))
            }
            Target::Handle(h) => {
                let o = self.get_open(conn, *h)?;
                Ok((s, o.obj, Some(o.flags)))
            }
        }
    }

    /// Mode, owner and group of a file-system object.
    pub(crate) fn owned(&mut self, ino: crate::volume::Ino) -> Result<Owned, Errno> {
        let a = self.vol.getattr(ino)?;
        Ok(Owned { mode: a.mode, uid: a.uid, gid: a.gid })
    }

    pub(crate) fn stat(&mut self, conn: ConnId, t: &Target, region: &dyn SharedRegion) -> Result<Stat, Errno> {
        let (s, obj, _) = self.target(conn, t, region)?;
        match obj {
            Object::File { ino, kind, sid } => {
                self.mac.check(s.sid, sid, kind, &[Perm::Getattr])?;
                let a = self.vol.getattr(ino)?;
                let blksize = self.vol.statfs().map_or(4096, |s| s.bsize);
                Ok(Stat {
                    ino: a.ino,
                    kind: a.kind,
                    mode: a.mode,
                    nlink: a.nlink,
                    uid: a.uid,
                    gid: a.gid,
                    size: a.size,
                    blocks: a.blocks,
                    blksize,
                    atime: a.atime,
                    mtime: a.mtime,
                    ctime: a.ctime,
                    btime: a.btime,
                    rdev: a.rdev,
                })
            }
            Object::Pipe { id, .. } => {
                self.check_pipe(s.sid, id, &[Perm::Getattr])?;
                Ok(Stat {
                    ino: (1u64 << 32) | u64::from(id),
                    kind: FileType::Fifo,
                    mode: FileType::Fifo.mode_bits() | 0o600,
                    nlink: 1,
                    uid: s.cred.uid,
                    gid: s.cred.gid,
                    size: self.pipes.len(id) as u64,
                    blocks: 0,
                    blksize: crate::pipe::PIPE_CAPACITY as u32,
                    atime: Default::default(),
                    mtime: Default::default(),
                    ctime: Default::default(),
                    btime: None,
                    rdev: 0,
                })
            }
        }
    }

    /// Through a handle only its access mode counts (as `ftruncate`); by
    /// path the caller needs write permission (discretionary, then `write`).
    pub(crate) fn truncate(
        &mut self,
        conn: ConnId,
        t: &Target,
        size: u64,
        region: &dyn SharedRegion,
    ) -> Result<(), Errno> {
        let (s, obj, flags) = self.target(conn, t, region)?;
        let Object::File { ino, kind, sid } = obj else { return Err(Errno::EINVAL) };
        if flags.is_some_and(|f| !f.writable()) {
            return Err(Errno::EBADF);
        }
        match kind {
            FileType::File => {}
            FileType::Dir => return Err(errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        if flags.is_none() {
            let own = self.owned(ino)?;
            dac::permission(&s.cred, &own, MAY_WRITE)?;
        }
        self.mac.check(s.sid, sid, kind, &[Perm::Write])?;
        self.vol.truncate(ino, size)?;
        self.dirty = true;
        Ok(())
    }

    /// `chmod`, `chown`, `utimensat`: the discretionary rules of
    /// `dac::chmod`, `dac::chown` and `dac::may_set_times` (`EPERM`), then
    /// `setattr`.
    pub(crate) fn setattr(
        &mut self,
        conn: ConnId,
        t: &Target,
        a: &SetAttr,
        region: &dyn SharedRegion,
    ) -> Result<(), Errno> {
        let (s, obj, _) = self.target(conn, t, region)?;
        let Object::File { ino, kind, sid } = obj else { return Err(Errno::EINVAL) };
        let own = self.owned(ino)?;
        let mut a = *a;
        // `chown(path, -1, -1)`: -1 leaves an id unchanged.
        a.uid = a.uid.filter(|&u| u != u32::MAX);
        a.gid = a.gid.filter(|&g| g != u32::MAX);
        if let Some(m) = a.mode {
            a.mode = Some(dac::chmod(&s.cred, &own, m)?);
        }
        dac::chown(&s.cred, &own, a.uid, a.gid)?;
        if a.atime.is_some() || a.mtime.is_some() {
            dac::may_set_times(&s.cred, &own)?;
        }
        self.mac.check(s.sid, sid, kind, &[Perm::Setattr])?;
        self.vol.setattr(ino, &a)?;
        self.dirty = true;
        Ok(())
    }

    pub(crate) fn getcon(&mut self, conn: ConnId, t: &Target, region: &dyn SharedRegion) -> Result<String, Errno> {
        let (s, obj, _) = self.target(conn, t, region)?;
        let sid = match obj {
            Object::File { kind, sid, .. } => {
                self.mac.check(s.sid, sid, kind, &[Perm::Getattr])?;
                sid
            }
            Object::Pipe { id, .. } => {
                self.check_pipe(s.sid, id, &[Perm::Getattr])?;
                self.pipes.sid(id).ok_or(Errno::EBADF)?
            }
        };
        self.mac.om.sec.sid_to_context(sid)
    }
}
