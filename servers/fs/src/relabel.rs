//! Relabelling (`chcon`, `restorecon`, `setfiles`; Linux's `setxattr` of
//! `security.selinux`): [`FileServer::setcon`].
//!
//! A relabel by subject `s` of an object from context `old` to `new` is
//! allowed when, in this order:
//! 1. the object is a file-system object (not a pipe or a device node
//!    another server serves) on a writable volume (`EROFS`);
//! 2. `s` owns it or is uid 0 (Linux requires ownership or `CAP_FOWNER`
//!    to set an extended attribute; `EPERM`);
//! 3. `new` is a valid context of the loaded policy (`EINVAL`);
//! 4. the policy grants `relabelfrom` on `old` and `relabelto` on `new`
//!    for the object's class (`EACCES`, audited);
//! 5. every `validatetrans` of the class holds for (`old`, `new`, `s`)
//!    (`EACCES`; SELinux's `security_validate_transition`).
//!
//! The new label is stored in the object's `security.selinux` attribute
//! at once and replaces the cached SID, so the next path walk and every
//! new open see it. Handles opened before keep the SID they were opened
//! with until closed (as Linux keeps an open file's permission checks
//! against the inode's new label only on revalidation: a known
//! difference, docs/storage.md "Labelling").

use crate::security::{Perm, SecurityServer};
use crate::server::{ConnId, FileServer, Object};
use crate::volume::Volume;
use rampart_fs_api::SharedRegion;
use rampart_fs_api::{Errno, Target};

impl<V: Volume, S: SecurityServer> FileServer<V, S> {
    /// Relabels the object `t` names to `context`, or (`None`) back to
    /// the label the policy's file contexts give its path (`restorecon`;
    /// `t` must then be a path). Checks and errors: module documentation.
    pub(crate) fn setcon(
        &mut self,
        conn: ConnId,
        t: &Target,
        context: Option<&str>,
        region: &dyn SharedRegion,
    ) -> Result<(), Errno> {
        if self.vol.read_only() {
            return Err(Errno::EROFS);
        }
        let s = self.subject(conn)?;
        let (ino, kind, old, path) = match t {
            Target::Path { path, follow } => {
                let p = crate::server::path_arg(path, region)?;
                let n = self.lookup_path(&s, &p, *follow)?;
                (n.ino, n.kind, n.sid, Some(n.path))
            }
            Target::Handle(h) => match self.get_open(conn, *h)?.obj {
                Object::File { ino, kind, sid } => (ino, kind, sid, None),
                Object::Pipe { .. } => return Err(Errno::EINVAL),
            },
        };
        if self.on_devfs(ino) {
            return Err(Errno::ENOTSUP);
        }
        let own = self.owned(ino)?;
        crate::dac::relabel(&s.cred, &own)?;
        let new = match context {
            Some(c) => self.mac.om.sec.context_to_sid(c).map_err(|_| Errno::EINVAL)?,
            None => {
                let path = path.ok_or(Errno::EINVAL)?;
                self.mac.om.sec.file_context(&path, kind)?.unwrap_or(self.mac.unlabeled)
            }
        };
        self.mac.check(s.sid, old, kind, &[Perm::Relabelfrom])?;
        self.mac.check(s.sid, new, kind, &[Perm::Relabelto])?;
        let class = self.mac.om.vocab().file(kind).map(|c| c.id()).ok_or(Errno::EACCES)?;
        // A refused `validatetrans` is not an access decision: no AVC
        // record (SELinux logs it apart, as `security_validate_transition`).
        if !self.mac.om.sec.validate_trans(old, new, s.sid, class)? {
            return Err(Errno::EACCES);
        }
        let ctx = self.mac.om.sec.sid_to_context(new)?;
        self.vol.set_label(ino, ctx.as_bytes())?;
        self.unstored.remove(&ino);
        self.labels.insert(ino, new);
        self.dirty = true;
        Ok(())
    }
}
