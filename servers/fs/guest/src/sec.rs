//! The file server's [`SecurityServer`]: the security server over IPC (a
//! connection obtained from the connection server).

use alloc::format;
use alloc::string::String;
use rampart_avc::Decision;
use rampart_fs::{ObjSecurity, SecurityServer};
use rampart_fs_api::{Errno, FileType};
use rampart_secsrv_api::client::{Client, Transport};
use rampart_secsrv_api::rt::Ipc;
use rampart_secsrv_api::{Request, Response};

/// secsrv over IPC.
pub struct SecIpc(pub Ipc);

/// Contexts of the initial SIDs the file server asks for by name.
const INITIAL: &[(&str, &str)] =
    &[("file", "system_u:object_r:unlabeled_t"), ("unlabeled", "system_u:object_r:unlabeled_t")];

fn e(x: rampart_uabi::Errno) -> Errno {
    Errno(x.0)
}

impl SecIpc {
    fn c(&mut self) -> Client<&mut Ipc> {
        Client(&mut self.0)
    }
}

fn kind(k: FileType) -> &'static str {
    match k {
        FileType::File => "file",
        FileType::Dir => "dir",
        FileType::Symlink => "lnk_file",
        FileType::CharDev => "chr_file",
        FileType::BlockDev => "blk_file",
        FileType::Fifo => "fifo_file",
        FileType::Socket => "sock_file",
    }
}

impl ObjSecurity for SecIpc {
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        ObjSecurity::compute_av(&mut self.c(), ssid, tsid, class)
    }

    fn class_id(&mut self, name: &str) -> Option<u16> {
        ObjSecurity::class_id(&mut self.c(), name)
    }

    fn perm_bit(&mut self, class: u16, perm: &str) -> Option<u32> {
        ObjSecurity::perm_bit(&mut self.c(), class, perm)
    }

    fn status(&mut self) -> Result<rampart_objmgr::PolicyStatus, Errno> {
        ObjSecurity::status(&mut self.c())
    }
}

impl SecurityServer for SecIpc {
    fn validate_trans(&mut self, old: u32, new: u32, task: u32, class: u16) -> Result<bool, Errno> {
        self.c().validate_trans(old, new, task, class).map_err(e)
    }

    fn compute_create(&mut self, ssid: u32, tsid: u32, class: u16, name: &str) -> Result<u32, Errno> {
        self.c().compute_create(ssid, tsid, class, Some(name)).map_err(e)
    }

    fn file_context(&mut self, path: &str, k: FileType) -> Result<Option<u32>, Errno> {
        let req = Request::FileContext { path: path.into(), kind: kind(k).into() };
        match self.0.call(&req).map_err(e)? {
            Response::Sid(s) => Ok(Some(s)),
            // No rule, or the file server's SID budget at secsrv is spent
            // (docs/security-architecture.md §1): unlabeled.
            Response::Ok | Response::Err(rampart_uabi::Errno::ENOENT | rampart_uabi::Errno::ENOSPC) => Ok(None),
            Response::Err(x) => Err(e(x)),
            _ => Err(Errno::EPROTO),
        }
    }

    fn context_to_sid(&mut self, context: &str) -> Result<u32, Errno> {
        self.c().context_to_sid(context).map_err(e)
    }

    fn sid_to_context(&mut self, sid: u32) -> Result<String, Errno> {
        self.c().sid_to_context(sid).map_err(e)
    }

    fn initial_sid(&mut self, name: &str) -> Option<u32> {
        let ctx = INITIAL.iter().find(|(n, _)| *n == name)?.1;
        self.c().context_to_sid(ctx).ok()
    }
}

/// A denial or audited grant as a line in the style of the security
/// server's audit trail: contexts resolved through secsrv, class and
/// permission names from the object manager's vocabulary.
pub fn describe(om: &mut rampart_fs::security::FsObjectManager<SecIpc>, e: &rampart_objmgr::AuditEntry) -> String {
    let r = &e.record;
    let (class, names) = om.vocab().describe(r.class, r.perms);
    let ctx = |s: &mut SecIpc, sid| s.sid_to_context(sid).unwrap_or_else(|_| format!("sid{sid}"));
    let (scon, tcon) = (ctx(&mut om.sec, r.ssid), ctx(&mut om.sec, r.tsid));
    rampart_objmgr::audit_line(e, &scon, &tcon, class, &names)
}
