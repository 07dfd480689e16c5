//! The file protocol's operations as `rampart_fs_api::Handler` methods:
//! the one place a request is taken apart (by the generated `dispatch`)
//! and each operation reaches the server's logic with its connection,
//! subject and region.
//!
//! Region transfers copy: a `Read` fills a buffer of the server's own and
//! copies it into the client's region, a `Write` copies the bytes out of
//! the region before the file sees them (`rampart_uabi::region`: the
//! client may write its region while the server works, so the server never
//! holds a reference into it).

use alloc::string::String;
use alloc::vec::Vec;
use rampart_fs_api::{
    Credentials, Errno, Handle, Handler, OpenFlags, PathArg, SetAttr, SharedRegion, Stat, StatFs, Target, Whence,
};

use crate::exec::Sealer;
use crate::security::SecurityServer;
use crate::server::{ConnId, FileServer, Subject, path_arg};
use crate::volume::Volume;

/// What a request carries besides its fields.
pub(crate) struct Cx<'a> {
    /// The connection it came on.
    pub conn: ConnId,
    /// The connection's subject (SID and credentials).
    pub s: Subject,
    /// The connection's shared region (empty if none is attached).
    pub region: &'a mut dyn SharedRegion,
    /// The badge the kernel unwrapped from a capability sent with it.
    pub badge: Option<u64>,
    /// Where `ExecImage` puts the image (`None`: `ENOSYS`).
    pub sealer: Option<&'a mut dyn Sealer>,
}

/// The server as the protocol's handler, for one request.
pub(crate) struct Serve<'a, V: Volume, S: SecurityServer>(pub &'a mut FileServer<V, S>);

/// `len` bytes at `off` in a region of `region_len` bytes, checked before
/// any buffer is allocated for them.
fn span(region_len: usize, off: u32, len: u32) -> Result<(), Errno> {
    match (off as usize).checked_add(len as usize) {
        Some(end) if end <= region_len => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

/// The server's transfer buffer, `len` bytes long (grown, never shrunk;
/// only the bytes a read reports are copied out of it). Taken out of the
/// server while a request uses it; put back afterwards.
fn scratch(keep: &mut Vec<u8>, len: u32) -> Vec<u8> {
    let mut b = core::mem::take(keep);
    b.resize(len as usize, 0);
    b
}

type R<T> = Result<T, Errno>;

impl<V: Volume, S: SecurityServer> Handler<Cx<'_>> for Serve<'_, V, S> {
    fn attach_region(&mut self, cx: &mut Cx<'_>, len: u32) -> R<()> {
        self.0.conn(cx.conn)?.region_len = Some(len);
        Ok(())
    }

    fn open(&mut self, cx: &mut Cx<'_>, path: PathArg, flags: OpenFlags, mode: u32) -> R<Handle> {
        let p = path_arg(&path, cx.region)?;
        let open = self.0.open(&cx.s, &p, flags, mode)?;
        self.0.insert_handle(cx.conn, open)
    }

    fn close(&mut self, cx: &mut Cx<'_>, handle: Handle) -> R<()> {
        self.0.close(cx.conn, handle)
    }

    fn read(&mut self, cx: &mut Cx<'_>, handle: Handle, offset: Option<u64>, region_offset: u32, len: u32) -> R<u32> {
        span(cx.region.len(), region_offset, len)?;
        let mut buf = scratch(&mut self.0.scratch, len);
        let r = self.0.read(cx.conn, handle, offset, &mut buf);
        let r = r.and_then(|n| cx.region.write_at(region_offset as usize, &buf[..n as usize]).map(|()| n));
        self.0.scratch = buf;
        r
    }

    fn write(&mut self, cx: &mut Cx<'_>, handle: Handle, offset: Option<u64>, region_offset: u32, len: u32) -> R<u32> {
        let src = cx.region.copy_out(region_offset as usize, len as usize)?;
        self.0.write(cx.conn, handle, offset, &src)
    }

    fn seek(&mut self, cx: &mut Cx<'_>, handle: Handle, offset: i64, whence: Whence) -> R<u64> {
        self.0.seek(cx.conn, handle, offset, whence)
    }

    fn stat(&mut self, cx: &mut Cx<'_>, target: Target) -> R<Stat> {
        self.0.stat(cx.conn, &target, cx.region)
    }

    fn read_dir(&mut self, cx: &mut Cx<'_>, handle: Handle, region_offset: u32, len: u32) -> R<u32> {
        span(cx.region.len(), region_offset, len)?;
        let mut buf = scratch(&mut self.0.scratch, len);
        let r = self.0.readdir(cx.conn, handle, &mut buf);
        let r = r.and_then(|n| cx.region.write_at(region_offset as usize, &buf[..n as usize]).map(|()| n));
        self.0.scratch = buf;
        r
    }

    fn read_link(&mut self, cx: &mut Cx<'_>, path: PathArg, region_offset: u32, len: u32) -> R<u32> {
        let p = path_arg(&path, cx.region)?;
        let target = self.0.readlink(&cx.s, &p)?;
        span(cx.region.len(), region_offset, len)?;
        let n = target.len().min(len as usize);
        cx.region.write_at(region_offset as usize, &target[..n])?;
        Ok(n as u32)
    }

    fn symlink(&mut self, cx: &mut Cx<'_>, target: PathArg, link: PathArg) -> R<()> {
        let (t, l) = (path_arg(&target, cx.region)?, path_arg(&link, cx.region)?);
        self.0.symlink(&cx.s, &t, &l)
    }

    fn mkdir(&mut self, cx: &mut Cx<'_>, path: PathArg, mode: u32) -> R<()> {
        self.0.mkdir(&cx.s, &path_arg(&path, cx.region)?, mode)
    }

    fn rmdir(&mut self, cx: &mut Cx<'_>, path: PathArg) -> R<()> {
        self.0.rmdir(&cx.s, &path_arg(&path, cx.region)?)
    }

    fn unlink(&mut self, cx: &mut Cx<'_>, path: PathArg) -> R<()> {
        self.0.unlink(&cx.s, &path_arg(&path, cx.region)?)
    }

    fn rename(&mut self, cx: &mut Cx<'_>, from: PathArg, to: PathArg) -> R<()> {
        let (f, t) = (path_arg(&from, cx.region)?, path_arg(&to, cx.region)?);
        self.0.rename(&cx.s, &f, &t)
    }

    fn link(&mut self, cx: &mut Cx<'_>, from: PathArg, to: PathArg) -> R<()> {
        let (f, t) = (path_arg(&from, cx.region)?, path_arg(&to, cx.region)?);
        self.0.link(&cx.s, &f, &t)
    }

    fn truncate(&mut self, cx: &mut Cx<'_>, target: Target, size: u64) -> R<()> {
        self.0.truncate(cx.conn, &target, size, cx.region)
    }

    fn set_attr(&mut self, cx: &mut Cx<'_>, target: Target, attr: SetAttr) -> R<()> {
        self.0.setattr(cx.conn, &target, &attr, cx.region)
    }

    fn fsync(&mut self, cx: &mut Cx<'_>, handle: Handle) -> R<()> {
        self.0.get_open(cx.conn, handle)?;
        self.0.vol.sync()
    }

    fn sync(&mut self, _cx: &mut Cx<'_>) -> R<()> {
        self.0.vol.sync()
    }

    fn stat_fs(&mut self, cx: &mut Cx<'_>) -> R<StatFs> {
        self.0.mac.check_fs_getattr(cx.s.sid, self.0.fs_sid)?;
        self.0.vol.statfs()
    }

    fn pipe(&mut self, cx: &mut Cx<'_>) -> R<(Handle, Handle)> {
        self.0.pipe(cx.conn)
    }

    fn share_handle(&mut self, cx: &mut Cx<'_>, handle: Handle) -> R<u64> {
        self.0.share(cx.conn, handle)
    }

    fn adopt_token(&mut self, cx: &mut Cx<'_>) -> R<Handle> {
        self.0.adopt(cx.conn, cx.badge.ok_or(Errno::EINVAL)?)
    }

    fn get_con(&mut self, cx: &mut Cx<'_>, target: Target) -> R<String> {
        self.0.getcon(cx.conn, &target, cx.region)
    }

    fn mount(&mut self, cx: &mut Cx<'_>, device: String, path: PathArg, read_only: bool) -> R<()> {
        self.0.mount(&cx.s, &device, &path_arg(&path, cx.region)?, read_only)
    }

    fn unmount(&mut self, cx: &mut Cx<'_>, path: PathArg) -> R<()> {
        self.0.unmount(&cx.s, &path_arg(&path, cx.region)?)
    }

    fn token_pending(&mut self, cx: &mut Cx<'_>, token: u64) -> R<()> {
        self.0.token_pending(cx.conn, token)
    }

    fn credentials(&mut self, cx: &mut Cx<'_>) -> R<Credentials> {
        let c = &cx.s.cred;
        Ok(Credentials { uid: c.uid, gid: c.gid, groups: c.groups().to_vec() })
    }

    fn set_con(&mut self, cx: &mut Cx<'_>, target: Target, context: Option<String>) -> R<()> {
        self.0.setcon(cx.conn, &target, context.as_deref(), cx.region)
    }

    fn shutdown(&mut self, cx: &mut Cx<'_>) -> R<()> {
        self.0.shutdown_for(cx.conn)
    }

    /// Needs memory from the resource manager: only the guest server's
    /// sealer has it.
    fn exec_image(&mut self, cx: &mut Cx<'_>, handle: Handle) -> R<(u64, u64, bool)> {
        let sealer = cx.sealer.as_deref_mut().ok_or(Errno::ENOSYS)?;
        self.0.exec_image(cx.conn, handle, sealer)
    }
}
