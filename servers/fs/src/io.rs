//! Handle operations: read, write, seek, readdir, close, pipes and tokens.
//!
//! Reads and writes are checked again on every call (`read`, `write` or
//! `append` on the object's label): the AVC answers from its cache, and a
//! policy reload that revokes access takes effect on open handles too.
//!
//! Device nodes (`/dev`, `crate::dev`) have no position, as Linux's
//! character devices: a read or write ignores the offset and leaves the
//! handle's position at 0, and every seek answers 0 (Linux `null_lseek`
//! for `null`, `zero` and `full`; `noop_llseek` on a position that never
//! moves for `random` and `urandom`). Writes to them change nothing on
//! disk, so they never commit.

use alloc::vec::Vec;
use rampart_fs_api::{Errno, FileType, Handle, OpenFlags, Whence, dirent, errno};

use crate::security::{Perm, SecurityServer};
use crate::server::{ConnId, FileServer, Object, Open, Token};
use crate::volume::{DirCursor, Volume};

/// Entries asked from the volume per batch.
const DIR_BATCH: usize = 64;

impl<V: Volume, S: SecurityServer> FileServer<V, S> {
    pub(crate) fn read(&mut self, conn: ConnId, h: Handle, offset: Option<u64>, dst: &mut [u8]) -> Result<u32, Errno> {
        let ssid = self.conn(conn)?.sid;
        let o = self.get_open(conn, h)?.clone();
        if !o.flags.readable() {
            return Err(Errno::EBADF);
        }
        let n = match o.obj {
            Object::Pipe { id, .. } => self.pipes.read(id, dst)?,
            Object::File { kind: FileType::Dir, .. } => return Err(errno::EISDIR),
            Object::File { ino, kind: FileType::CharDev, sid } => {
                self.mac.check(ssid, sid, FileType::CharDev, &[Perm::Read])?;
                return self.vol.read(ino, 0, dst).map(|n| n as u32);
            }
            Object::File { ino, kind, sid } => {
                self.mac.check(ssid, sid, kind, &[Perm::Read])?;
                self.vol.read(ino, offset.unwrap_or(o.pos), dst)?
            }
        };
        if offset.is_none() {
            self.get_open(conn, h)?.pos = o.pos + n as u64;
        }
        Ok(n as u32)
    }

    pub(crate) fn write(&mut self, conn: ConnId, h: Handle, offset: Option<u64>, src: &[u8]) -> Result<u32, Errno> {
        let ssid = self.conn(conn)?.sid;
        let o = self.get_open(conn, h)?.clone();
        if !o.flags.writable() {
            return Err(Errno::EBADF);
        }
        let (n, end) = match o.obj {
            Object::Pipe { id, .. } => (self.pipes.write(id, src)?, o.pos),
            Object::File { ino, kind: FileType::CharDev, sid } => {
                let append = o.flags.contains(OpenFlags::APPEND);
                let perm = if append { Perm::Append } else { Perm::Write };
                self.mac.check(ssid, sid, FileType::CharDev, &[perm])?;
                return self.vol.write(ino, 0, src).map(|n| n as u32);
            }
            Object::File { ino, kind, sid } => {
                let append = o.flags.contains(OpenFlags::APPEND);
                self.mac.check(ssid, sid, kind, &[if append { Perm::Append } else { Perm::Write }])?;
                let size = self.vol.getattr(ino)?.size;
                let at = if append { size } else { offset.unwrap_or(o.pos) };
                let cred = self.subject(conn)?.cred;
                let len = self.writable_len(&cred, ino, size, at, src.len())?;
                let n = self.vol.write(ino, at, &src[..len])?;
                self.dirty = true;
                (n, at + n as u64)
            }
        };
        if offset.is_none() || o.flags.contains(OpenFlags::APPEND) {
            self.get_open(conn, h)?.pos = end;
        }
        Ok(n as u32)
    }

    pub(crate) fn seek(&mut self, conn: ConnId, h: Handle, off: i64, whence: Whence) -> Result<u64, Errno> {
        let o = self.get_open(conn, h)?.clone();
        let Object::File { ino, kind, .. } = o.obj else { return Err(errno::ESPIPE) };
        if kind == FileType::CharDev {
            return Ok(0);
        }
        if kind == FileType::Dir {
            if (off, whence) != (0, Whence::Set) {
                return Err(Errno::EINVAL);
            }
            let o = self.get_open(conn, h)?;
            o.dir = DirCursor::Start;
            o.pending.clear();
            o.pos = 0;
            return Ok(0);
        }
        let base = match whence {
            Whence::Set => 0,
            Whence::Cur => o.pos,
            Whence::End => self.vol.getattr(ino)?.size,
        };
        let pos = base.checked_add_signed(off).ok_or(Errno::EINVAL)?;
        if pos > i64::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        self.get_open(conn, h)?.pos = pos;
        Ok(pos)
    }

    pub(crate) fn readdir(&mut self, conn: ConnId, h: Handle, dst: &mut [u8]) -> Result<u32, Errno> {
        let ssid = self.conn(conn)?.sid;
        let mut o = self.get_open(conn, h)?.clone();
        let Object::File { ino, kind: FileType::Dir, sid } = o.obj else { return Err(errno::ENOTDIR) };
        self.mac.check(ssid, sid, FileType::Dir, &[Perm::Read])?;
        let mut used = 0;
        loop {
            if o.pending.is_empty() {
                o.pending = self.vol.readdir(ino, &mut o.dir, DIR_BATCH)?;
                o.pending.reverse();
                if o.pending.is_empty() {
                    break;
                }
            }
            let Some(e) = o.pending.last() else { break };
            match dirent::write_record(&mut dst[used..], e.ino, e.kind, &e.name) {
                Some(n) => {
                    used += n;
                    o.pending.pop();
                }
                None if used == 0 && dirent::record_len(e.name.len()) > dst.len() => return Err(Errno::EINVAL),
                None => break,
            }
        }
        *self.get_open(conn, h)? = o;
        Ok(used as u32)
    }

    pub(crate) fn close(&mut self, conn: ConnId, h: Handle) -> Result<(), Errno> {
        let open = self.conn(conn)?.handles.remove(&h.0).ok_or(Errno::EBADF)?;
        self.release(conn, h, &open);
        Ok(())
    }

    pub(crate) fn pipe(&mut self, conn: ConnId) -> Result<(Handle, Handle), Errno> {
        let sid = self.conn(conn)?.sid;
        let id = self.pipes.create(sid)?;
        let end = |write: bool| Open {
            obj: Object::Pipe { id, write },
            flags: if write { OpenFlags::WRONLY } else { OpenFlags::RDONLY },
            pos: 0,
            dir: DirCursor::Start,
            pending: Vec::new(),
        };
        let r = self.insert_handle(conn, end(false))?;
        match self.insert_handle(conn, end(true)) {
            Ok(w) => Ok((r, w)),
            Err(e) => {
                self.close(conn, r)?;
                Err(e)
            }
        }
    }

    pub(crate) fn share(&mut self, conn: ConnId, h: Handle) -> Result<u64, Errno> {
        let open = self.get_open(conn, h)?.clone();
        Ok(self.new_token(Token { issuer: (conn, h), open }))
    }

    /// `Ok` while token `badge`, issued by `conn`, waits to be adopted.
    pub(crate) fn token_pending(&self, conn: ConnId, badge: u64) -> Result<(), Errno> {
        match self.tokens.get(&badge) {
            Some(t) if t.issuer.0 == conn => Ok(()),
            _ => Err(Errno::ENOENT),
        }
    }

    /// Checks `perms` of class `fifo_file` from `ssid` on pipe `id` (its
    /// creator's label) when the policy defines the class; otherwise
    /// holding the handle is the authority.
    pub(crate) fn check_pipe(&mut self, ssid: u32, id: u32, perms: &[Perm]) -> Result<(), Errno> {
        if self.mac.class_of(FileType::Fifo).is_none() {
            return Ok(());
        }
        let sid = self.pipes.sid(id).ok_or(Errno::EBADF)?;
        self.mac.check(ssid, sid, FileType::Fifo, perms)
    }

    /// Adopts token `badge` into `conn`: the receiver must itself hold the
    /// object's permissions for the handle's access mode.
    pub(crate) fn adopt(&mut self, conn: ConnId, badge: u64) -> Result<Handle, Errno> {
        let ssid = self.conn(conn)?.sid;
        let t = self.tokens.get(&badge).ok_or(Errno::EBADF)?.clone();
        let f = t.open.flags;
        let mut perms = Vec::new();
        if f.readable() {
            perms.push(Perm::Read);
        }
        if f.writable() {
            perms.push(if f.contains(OpenFlags::APPEND) { Perm::Append } else { Perm::Write });
        }
        match t.open.obj {
            Object::File { kind, sid, .. } => self.mac.check(ssid, sid, kind, &perms)?,
            Object::Pipe { id, .. } => self.check_pipe(ssid, id, &perms)?,
        }
        self.tokens.remove(&badge);
        self.insert_handle(conn, t.open)
    }
}
