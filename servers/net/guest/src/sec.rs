//! The network server's [`SecurityServer`]: the security server over IPC
//! (a connection obtained from the connection server), and audit lines.

use alloc::format;
use alloc::string::String;
use rampart_avc::Decision;
use rampart_net::{Proto, SecurityServer};
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

impl SecurityServer for SecIpc {
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        let d = self.c().compute_av(ssid, tsid, class).map_err(e)?;
        Ok(Decision { allowed: d.allowed, auditallow: d.auditallow, auditdeny: d.auditdeny, seqno: d.seqno })
    }

    fn port_context(&mut self, proto: Proto, port: u16) -> Result<Option<u32>, Errno> {
        let req = Request::PortContext { tcp: proto == Proto::Tcp, port };
        match self.0.call(&req).map_err(e)? {
            Response::Sid(s) => Ok(Some(s)),
            Response::Err(rampart_uabi::Errno::ENOENT) => Ok(None),
            Response::Err(x) => Err(e(x)),
            _ => Err(Errno(71)),
        }
    }

    fn initial_sid(&mut self, name: &str) -> Option<u32> {
        let ctx = INITIAL.iter().find(|(n, _)| *n == name)?.1;
        self.c().context_to_sid(ctx).ok()
    }

    fn class_id(&mut self, name: &str) -> Option<u16> {
        self.c().class_id(name).ok()
    }

    fn perm_bit(&mut self, class: u16, perm: &str) -> Option<u32> {
        self.c().perms(class, &[perm]).ok().filter(|b| *b != 0)
    }

    fn seqno(&mut self) -> u32 {
        self.c().status().map_or(0, |s| s.seqno)
    }
}

const CLASSES: &[&str] = &["tcp_socket", "udp_socket"];
const PERMS: &[&str] = &[
    "create",
    "bind",
    "connect",
    "listen",
    "accept",
    "send",
    "recv",
    "shutdown",
    "getattr",
    "setattr",
    "name_bind",
    "name_connect",
];

/// A denial or audited grant as a line in the style of the security
/// server's audit trail (names resolved through secsrv).
pub fn describe(s: &mut SecIpc, r: &rampart_avc::AuditRecord) -> String {
    let (scon, tcon) = (s.context(r.ssid), s.context(r.tsid));
    let class = CLASSES.iter().find(|c| s.class_id(c) == Some(r.class)).copied().unwrap_or("?");
    let mut perms = String::new();
    for p in PERMS {
        if s.perm_bit(r.class, p).is_some_and(|b| r.perms & b != 0) {
            perms.push_str(p);
            perms.push(' ');
        }
    }
    format!(
        "avc: {} {{ {}}} for scontext={scon} tcontext={tcon} tclass={class}{}",
        if r.denied { "denied" } else { "granted" },
        perms,
        if r.denied && !r.enforced { " permissive" } else { "" }
    )
}
