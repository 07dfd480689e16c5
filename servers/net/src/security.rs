//! Mediation: the security-server interface, the AVC in front of it, the
//! socket classes and permissions, port labels, and the audit log.
//!
//! The server never interprets contexts. It asks the security server (a
//! [`SecurityServer`]: an IPC stub in the guest, [`LocalPolicy`] in tests)
//! for decisions and port contexts through its object manager
//! (`rampart-objmgr`: the AVC, the vocabulary resolved by name from the
//! loaded policy and again after every change, audit), caches port SIDs in
//! a small table (dropped with every policy change), and turns a denial
//! into `EACCES` plus an audit entry. A class or permission the policy does
//! not define is never granted.

use alloc::collections::BTreeMap;
use rampart_avc::Decision;
use rampart_net_api::Errno;
pub use rampart_objmgr::SecurityServer as ObjSecurity;
use rampart_objmgr::{AuditEntry, Class, ObjectManager, PolicyStatus, Vocabulary};
use rampart_policy::{ClassId, Policy, PolicyError, Protocol, Sid};

/// Transport protocol of a socket (and of a port context).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    /// TCP: class `tcp_socket`, `portcon tcp`.
    Tcp,
    /// UDP: class `udp_socket`, `portcon udp`.
    Udp,
}

/// What the network server needs from the security server beyond
/// decisions (`rampart_objmgr::SecurityServer`). SIDs are `u32` (0 is never
/// valid), classes `u16` (0 is never valid).
pub trait SecurityServer: ObjSecurity {
    /// The SID the policy's port contexts give `port`; `Ok(None)` if no
    /// rule matches (the server then uses the `port` initial SID).
    ///
    /// # Errors
    /// The transport failed.
    fn port_context(&mut self, proto: Proto, port: u16) -> Result<Option<u32>, Errno>;

    /// An initial SID by name (`port`, `unlabeled`, ...).
    fn initial_sid(&mut self, name: &str) -> Option<u32>;
}

/// A [`SecurityServer`] answering from a policy held in this task (tests,
/// and a server started before the security server exists).
pub struct LocalPolicy(pub Policy);

impl ObjSecurity for LocalPolicy {
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        let d = self.0.compute_av(Sid(ssid), Sid(tsid), ClassId(class)).map_err(|_| Errno::EINVAL)?;
        Ok(Decision { allowed: d.allowed, auditallow: d.auditallow, auditdeny: d.auditdeny, seqno: d.seqno })
    }

    fn class_id(&mut self, name: &str) -> Option<u16> {
        self.0.class_id(name).map(|c| c.0)
    }

    fn perm_bit(&mut self, class: u16, perm: &str) -> Option<u32> {
        self.0.perms(ClassId(class), &[perm]).ok()
    }

    fn status(&mut self) -> Result<PolicyStatus, Errno> {
        Ok(PolicyStatus { seqno: self.0.seqno(), enforcing: true })
    }
}

impl SecurityServer for LocalPolicy {
    fn port_context(&mut self, proto: Proto, port: u16) -> Result<Option<u32>, Errno> {
        let p = match proto {
            Proto::Tcp => Protocol::Tcp,
            Proto::Udp => Protocol::Udp,
        };
        match self.0.port_context(p, port) {
            Ok(s) => Ok(Some(s.0)),
            Err(PolicyError::NoContext) => Ok(None),
            Err(_) => Err(Errno::EINVAL),
        }
    }

    fn initial_sid(&mut self, name: &str) -> Option<u32> {
        self.0.initial_sid(name).map(|s| s.0)
    }
}

rampart_objmgr::permissions! {
    /// A socket permission, named as in the policy (`common socket`,
    /// `class tcp_socket`).
    pub enum Perm {
        Create = "create",
        Bind = "bind",
        Connect = "connect",
        Listen = "listen",
        Accept = "accept",
        Send = "send",
        Recv = "recv",
        Shutdown = "shutdown",
        Getattr = "getattr",
        Setattr = "setattr",
        NameBind = "name_bind",
        NameConnect = "name_connect",
    }
}

/// The network server's vocabulary, resolved from the loaded policy (again
/// after every change).
pub struct NetVocab {
    tcp: Option<Class<Perm>>,
    udp: Option<Class<Perm>>,
}

impl Vocabulary for NetVocab {
    fn resolve<X: ObjSecurity + ?Sized>(sec: &mut X) -> Self {
        NetVocab { tcp: Class::resolve(sec, "tcp_socket"), udp: Class::resolve(sec, "udp_socket") }
    }
}

impl NetVocab {
    /// The class of sockets of `proto`.
    pub fn class(&self, proto: Proto) -> Option<&Class<Perm>> {
        match proto {
            Proto::Tcp => self.tcp.as_ref(),
            Proto::Udp => self.udp.as_ref(),
        }
    }

    /// The class name and permission names of an audit record.
    pub fn describe(&self, class: u16, perms: u32) -> (&'static str, alloc::vec::Vec<&'static str>) {
        for (name, c) in [("tcp_socket", &self.tcp), ("udp_socket", &self.udp)] {
            if let Some(c) = c.filter(|c| c.id() == class) {
                return (name, c.names(perms).collect());
            }
        }
        ("?", alloc::vec::Vec::new())
    }
}

/// The network server's object manager: 256 cached decisions.
pub type NetObjectManager<S> = ObjectManager<S, NetVocab, 64, 4>;

/// Port SIDs cached at most (the table is cleared when full).
const PORT_CACHE: usize = 512;

/// Mediation state: the object manager (security server, AVC, vocabulary,
/// audit) and the port labels.
pub struct Mac<S> {
    /// The object manager.
    pub om: NetObjectManager<S>,
    ports: BTreeMap<(Proto, u16), u32>,
    ports_generation: u64,
    /// SID of ports without a `portcon` rule (the `port` initial SID, else
    /// `unlabeled`).
    pub default_port: u32,
}

impl<S: SecurityServer> Mac<S> {
    /// Resolves the vocabulary and reads the policy's state. Classes the
    /// policy lacks stay undefined (every check on them is denied).
    ///
    /// # Errors
    /// `EINVAL` if the policy has neither a `port` nor an `unlabeled`
    /// initial SID.
    pub fn new(mut sec: S) -> Result<Mac<S>, Errno> {
        let default_port = sec.initial_sid("port").or_else(|| sec.initial_sid("unlabeled")).ok_or(Errno::EINVAL)?;
        let om = ObjectManager::new(sec);
        Ok(Mac { ports_generation: om.generation(), om, ports: BTreeMap::new(), default_port })
    }

    /// The security server.
    pub fn sec(&mut self) -> &mut S {
        &mut self.om.sec
    }

    /// Checks that `ssid` has every permission in `perms` on a socket of
    /// `proto` (or a port, for `NameBind`/`NameConnect`) labelled `tsid`.
    ///
    /// # Errors
    /// `EACCES` when denied (audited as the policy says), when the class or
    /// a permission is not in the policy, or when no decision is available.
    pub fn check(&mut self, ssid: u32, tsid: u32, proto: Proto, perms: &[Perm]) -> Result<(), Errno> {
        self.om.check(ssid, tsid, |v| v.class(proto)?.want(perms), "")
    }

    /// The SID of `port` (its `portcon` context, else [`Mac::default_port`]).
    ///
    /// # Errors
    /// `EACCES` if the security server cannot answer (fail closed).
    pub fn port_sid(&mut self, proto: Proto, port: u16) -> Result<u32, Errno> {
        if self.om.generation() != self.ports_generation {
            self.ports.clear();
            self.ports_generation = self.om.generation();
        }
        if let Some(&s) = self.ports.get(&(proto, port)) {
            return Ok(s);
        }
        let sid = self.om.sec.port_context(proto, port).map_err(|_| Errno::EACCES)?.unwrap_or(self.default_port);
        if self.ports.len() >= PORT_CACHE {
            self.ports.clear();
        }
        self.ports.insert((proto, port), sid);
        Ok(sid)
    }

    /// The security server announced a change (reload, boolean, mode):
    /// cached decisions and port labels go, the vocabulary is resolved
    /// again.
    ///
    /// # Errors
    /// The security server could not be asked for its state.
    pub fn policy_changed(&mut self) -> Result<bool, Errno> {
        let changed = self.om.refresh()?;
        self.ports.clear();
        Ok(changed)
    }

    /// The audit entries not yet submitted, oldest first.
    pub fn take_audit(&mut self) -> alloc::vec::Vec<AuditEntry> {
        self.om.take_audit()
    }

    /// AVC statistics.
    pub fn avc_stats(&self) -> rampart_avc::Stats {
        self.om.avc_stats()
    }
}
