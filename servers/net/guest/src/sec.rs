//! The network server's [`SecurityServer`]: the security server over IPC
//! (a connection obtained from the connection server), and audit lines.

use alloc::format;
use alloc::string::String;
use rampart_avc::Decision;
use rampart_net::{ObjSecurity, Proto, SecurityServer};
use rampart_net_api::Errno;
use rampart_secsrv_api::client::{Client, Transport};
use rampart_secsrv_api::rt::Ipc;
use rampart_secsrv_api::{Request, Response};

/// secsrv over IPC.
pub struct SecIpc(pub Ipc);

/// Contexts of the initial SIDs the network server asks for by name
/// (`sid port` and `sid unlabeled` of policy/modules/base/contexts.pol).
const INITIAL: &[(&str, &str)] =
    &[("port", "system_u:object_r:reserved_port_t"), ("unlabeled", "system_u:object_r:unlabeled_t")];

fn e(x: rampart_uabi::Errno) -> Errno {
    Errno(x.0)
}

impl SecIpc {
    fn c(&mut self) -> Client<&mut Ipc> {
        Client(&mut self.0)
    }

    /// The context of `sid`, or `sidN`.
    pub fn context(&mut self, sid: u32) -> String {
        self.c().sid_to_context(sid).unwrap_or_else(|_| format!("sid{sid}"))
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
    fn port_context(&mut self, proto: Proto, port: u16) -> Result<Option<u32>, Errno> {
        let req = Request::PortContext { tcp: proto == Proto::Tcp, port };
        match self.0.call(&req).map_err(e)? {
            Response::Sid(s) => Ok(Some(s)),
            Response::Err(rampart_uabi::Errno::ENOENT) => Ok(None),
            Response::Err(x) => Err(e(x)),
            _ => Err(Errno::EPROTO),
        }
    }

    fn initial_sid(&mut self, name: &str) -> Option<u32> {
        let ctx = INITIAL.iter().find(|(n, _)| *n == name)?.1;
        self.c().context_to_sid(ctx).ok()
    }
}

/// A denial or audited grant as a line in the style of the security
/// server's audit trail: contexts resolved through secsrv, class and
/// permission names from the object manager's vocabulary.
pub fn describe(om: &mut rampart_net::security::NetObjectManager<SecIpc>, e: &rampart_objmgr::AuditEntry) -> String {
    let r = &e.record;
    let (class, names) = om.vocab().describe(r.class, r.perms);
    let (scon, tcon) = (om.sec.context(r.ssid), om.sec.context(r.tsid));
    rampart_objmgr::audit_line(e, &scon, &tcon, class, &names)
}
