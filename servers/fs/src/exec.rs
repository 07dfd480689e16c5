//! Program images for the resource manager (`ExecImage`;
//! docs/resource-manager.md, "Sealed images"): the file server, not the
//! client, reads a program and vouches for its label.
//!
//! The client opens the program with `OpenFlags::EXEC` (`file execute` on
//! the file's label with the client's SID, and the execute bit for its
//! uid, both checked at the open). `ExecImage` on that handle checks both
//! again with the policy in force (a reload or `setsebool` since the open
//! counts, as for reads), reads the whole file into memory the server
//! owns ([`Sealer::buffer`], a region from the resource manager) and has
//! the resource manager seal it with the file's SID for the client's SID
//! ([`Sealer::seal`]). The client only ever gets the seal's token, so the
//! bytes it runs and the label its domain transition is decided on are
//! the file's, not ones it claims.
//!
//! A program without Rampart's native ELF note (`rampart_elf::
//! is_rampart_native`) is a Linux program: the image sealed is the Linux
//! personality's shim ([`LINUX_SHIM`], read by the server itself) with the
//! *Linux file's* label, so `file execute`, `entrypoint` and the domain
//! transition are decided on the program, and the shim loads it with the
//! new process's own rights (docs/linux-abi.md) from the very `EXEC`
//! handle this check was made on: the library OS's spawn passes that
//! handle to the new process as a descriptor (`linux -F FD PATH`,
//! `rampart_linux_abi::exec`), and the shim reads the program from it, not
//! from the path, so a path component renamed between the seal and the
//! load cannot make another file run in the domain decided for this one.

use rampart_fs_api::{Errno, FileType, Handle, OpenFlags};

use crate::dac::{self, MAY_EXEC, MAY_READ};
use crate::security::{Perm, SecurityServer};
use crate::server::{ConnId, FileServer, Object};
use crate::volume::Volume;

/// The Linux personality's shim, by path components from the root.
pub const LINUX_SHIM: &[&[u8]] = &[b"bin", b"linux"];

/// Largest program image, in bytes (the resource manager's image window,
/// 448 pages: 1.75 MiB).
pub const MAX_IMAGE: u64 = 448 * 4096;

/// Where a sealed image goes: the guest server's is the resource manager.
pub trait Sealer {
    /// Memory of at least `len` bytes the server owns and nobody else maps.
    ///
    /// # Errors
    /// The allocator's (`ENOMEM`, `EDQUOT`, `EACCES`).
    fn buffer(&mut self, len: u64) -> Result<&mut [u8], Errno>;
    /// Seals the first `len` bytes of the buffer as the image of a file
    /// labelled `file_sid` for subject `subject_sid`; the buffer is gone
    /// afterwards. Returns the seal's token.
    ///
    /// # Errors
    /// The resource manager's.
    fn seal(&mut self, len: u64, file_sid: u32, subject_sid: u32) -> Result<u64, Errno>;
    /// Frees the buffer after a failure before [`Sealer::seal`].
    fn discard(&mut self);
}

impl<V: Volume, S: SecurityServer> FileServer<V, S> {
    /// `ExecImage` on `conn`'s handle `h`: returns the seal's token and the
    /// image's length in bytes.
    ///
    /// # Errors
    /// `EBADF` (no such handle, or not opened with `EXEC`), `EACCES` (not a
    /// regular file, `file execute`/`read` or the execute bit refused now),
    /// `ENOEXEC` (empty), `E2BIG` (beyond [`MAX_IMAGE`]), the volume's and
    /// the sealer's errors.
    pub fn exec_image(&mut self, conn: ConnId, h: Handle, sealer: &mut dyn Sealer) -> Result<(u64, u64, bool), Errno> {
        let s = self.subject(conn)?;
        let o = self.get_open(conn, h)?.clone();
        if !o.flags.contains(OpenFlags::EXEC) {
            return Err(Errno::EBADF);
        }
        let Object::File { ino, kind: FileType::File, sid } = o.obj else { return Err(Errno::EACCES) };
        self.mac.check(s.sid, sid, FileType::File, &[Perm::Read, Perm::Execute])?;
        let a = self.vol.getattr(ino)?;
        let own = dac::Owned { mode: a.mode, uid: a.uid, gid: a.gid };
        dac::permission(&s.cred, &own, MAY_READ | MAY_EXEC)?;
        if a.size == 0 {
            return Err(Errno::ENOEXEC);
        }
        let native = {
            let vol = &mut self.vol;
            rampart_elf::is_rampart_native_by(&mut |off, buf| {
                let mut done = 0;
                while done < buf.len() {
                    match vol.read(ino, (off + done) as u64, &mut buf[done..]) {
                        Ok(0) | Err(_) => return false,
                        Ok(n) => done += n,
                    }
                }
                true
            })
        };
        let (ino, size) = if native {
            (ino, a.size)
        } else {
            let shim = self.shim()?;
            (shim, self.vol.getattr(shim)?.size)
        };
        if size > MAX_IMAGE {
            return Err(Errno::E2BIG);
        }
        let len = size;
        let read = {
            let buf = sealer.buffer(len)?;
            let dst = buf.get_mut(..len as usize).ok_or(Errno::EIO);
            dst.and_then(|dst| {
                let mut done = 0;
                while done < dst.len() {
                    match self.vol.read(ino, done as u64, &mut dst[done..])? {
                        0 => return Err(Errno::EIO), // shorter than its size
                        n => done += n,
                    }
                }
                Ok(())
            })
        };
        if let Err(e) = read {
            sealer.discard();
            return Err(e);
        }
        sealer.seal(len, sid, s.sid).map(|t| (t, len, !native))
    }

    /// The shim's inode ([`LINUX_SHIM`]), looked up by the server itself.
    ///
    /// # Errors
    /// `ENOEXEC` when the root has no shim.
    fn shim(&mut self) -> Result<crate::volume::Ino, Errno> {
        let mut ino = self.vol.root();
        for name in LINUX_SHIM {
            ino = self.vol.lookup(ino, name)?.ok_or(Errno::ENOEXEC)?;
        }
        Ok(ino)
    }
}
