//! Mediation: the security-server interface, the AVC in front of it, the
//! socket classes and permissions, port labels, and the audit log.
//!
//! The server never interprets contexts. It asks the security server (a
//! [`SecurityServer`]: an IPC stub in the guest, [`LocalPolicy`] in tests)
//! for decisions and port contexts, caches decisions in a `rampart-avc`
//! cache and port SIDs in a small table (both dropped when the policy
//! sequence number changes), and turns a denial into `EACCES` plus an
//! [`AuditRecord`]. Class and permission numbers are looked up by name at
//! start-up (docs/policy-language.md §3); a class or permission the policy
//! does not define is never granted.

use alloc::collections::BTreeMap;
pub use rampart_avc::{AUDIT_CAPACITY, AuditLog};
use rampart_avc::{Avc, AvcBackend, AvcError, Decision};
use rampart_net_api::Errno;
use rampart_policy::{ClassId, Policy, PolicyError, Protocol, Sid};

/// Transport protocol of a socket (and of a port context).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    /// TCP: class `tcp_socket`, `portcon tcp`.
    Tcp,
    /// UDP: class `udp_socket`, `portcon udp`.
    Udp,
}

/// What the network server needs from the security server. SIDs are
/// `u32` (0 is never valid), classes `u16` (0 is never valid).
pub trait SecurityServer {
    /// The access decision for `(ssid, tsid, class)`.
    ///
    /// # Errors
    /// Unknown SID or class, or the transport failed.
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno>;

    /// The SID the policy's port contexts give `port`; `Ok(None)` if no
    /// rule matches (the server then uses the `port` initial SID).
    ///
    /// # Errors
    /// The transport failed.
    fn port_context(&mut self, proto: Proto, port: u16) -> Result<Option<u32>, Errno>;

    /// An initial SID by name (`port`, `unlabeled`, ...).
    fn initial_sid(&mut self, name: &str) -> Option<u32>;

    /// A class number by name.
    fn class_id(&mut self, name: &str) -> Option<u16>;

    /// The access-vector bit of permission `perm` of `class`.
    fn perm_bit(&mut self, class: u16, perm: &str) -> Option<u32>;

    /// The policy sequence number (changes on reload and boolean changes).
    fn seqno(&mut self) -> u32;
}

/// A [`SecurityServer`] answering from a policy held in this task (tests,
/// and a server started before the security server exists).
pub struct LocalPolicy(pub Policy);

impl SecurityServer for LocalPolicy {
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        let d = self.0.compute_av(Sid(ssid), Sid(tsid), ClassId(class)).map_err(|_| Errno::EINVAL)?;
        Ok(Decision { allowed: d.allowed, auditallow: d.auditallow, auditdeny: d.auditdeny, seqno: d.seqno })
    }

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

    fn class_id(&mut self, name: &str) -> Option<u16> {
        self.0.class_id(name).map(|c| c.0)
    }

    fn perm_bit(&mut self, class: u16, perm: &str) -> Option<u32> {
        self.0.perms(ClassId(class), &[perm]).ok()
    }

    fn seqno(&mut self) -> u32 {
        self.0.seqno()
    }
}

/// A socket permission, named as in the policy (`common socket`,
/// `class tcp_socket`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Perm {
    Create,
    Bind,
    Connect,
    Listen,
    Accept,
    Send,
    Recv,
    Shutdown,
    Getattr,
    Setattr,
    NameBind,
    NameConnect,
}

const PERM_NAMES: [&str; 12] = [
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

/// One socket class: its number and the bit of each [`Perm`] (0 = the
/// class has no such permission).
#[derive(Clone, Copy, Debug, Default)]
struct Class {
    id: u16,
    bits: [u32; 12],
}

struct Backend<'a, S>(&'a mut S);

impl<S: SecurityServer> AvcBackend for Backend<'_, S> {
    type Error = Errno;
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        self.0.compute_av(ssid, tsid, class)
    }
}

/// The network server's access vector cache: 256 decisions.
pub type NetAvc = Avc<64, 4>;

/// Port SIDs cached at most (the table is cleared when full).
const PORT_CACHE: usize = 512;

/// Mediation state: security server, AVC, vocabulary, port labels, audit.
pub struct Mac<S> {
    /// The security server.
    pub sec: S,
    avc: NetAvc,
    /// Audit records of denials and audited grants.
    pub audit: AuditLog,
    tcp: Option<Class>,
    udp: Option<Class>,
    ports: BTreeMap<(Proto, u16), u32>,
    ports_seqno: u32,
    /// SID of ports without a `portcon` rule (the `port` initial SID, else
    /// `unlabeled`).
    pub default_port: u32,
}

impl<S: SecurityServer> Mac<S> {
    /// Looks up the vocabulary. Classes the policy lacks stay undefined
    /// (every check on them is denied).
    ///
    /// # Errors
    /// `EINVAL` if the policy has neither a `port` nor an `unlabeled`
    /// initial SID.
    pub fn new(mut sec: S) -> Result<Mac<S>, Errno> {
        let mut class = |name: &str| {
            let id = sec.class_id(name)?;
            let mut c = Class { id, bits: [0; 12] };
            for (bit, p) in c.bits.iter_mut().zip(PERM_NAMES) {
                *bit = sec.perm_bit(id, p).unwrap_or(0);
            }
            Some(c)
        };
        let (tcp, udp) = (class("tcp_socket"), class("udp_socket"));
        let default_port = sec.initial_sid("port").or_else(|| sec.initial_sid("unlabeled")).ok_or(Errno::EINVAL)?;
        let ports_seqno = sec.seqno();
        Ok(Mac {
            sec,
            avc: NetAvc::new(),
            audit: AuditLog::default(),
            tcp,
            udp,
            ports: BTreeMap::new(),
            ports_seqno,
            default_port,
        })
    }

    /// Checks that `ssid` has every permission in `perms` on a socket of
    /// `proto` (or a port, for `NameBind`/`NameConnect`) labelled `tsid`.
    ///
    /// # Errors
    /// `EACCES` when denied (audited as the policy says), when the class or
    /// a permission is not in the policy, or when no decision is available.
    pub fn check(&mut self, ssid: u32, tsid: u32, proto: Proto, perms: &[Perm]) -> Result<(), Errno> {
        let c = match proto {
            Proto::Tcp => self.tcp,
            Proto::Udp => self.udp,
        }
        .ok_or(Errno::EACCES)?;
        let mut want = 0;
        for &p in perms {
            let bit = c.bits[p as usize];
            if bit == 0 {
                return Err(Errno::EACCES);
            }
            want |= bit;
        }
        let mut be = Backend(&mut self.sec);
        match self.avc.has_perm(&mut be, &mut self.audit, ssid, tsid, c.id, want) {
            Ok(()) => Ok(()),
            Err(AvcError::Denied(_) | AvcError::InvalidClass | AvcError::Backend(_)) => Err(Errno::EACCES),
        }
    }

    /// The SID of `port` (its `portcon` context, else [`Mac::default_port`]).
    ///
    /// # Errors
    /// `EACCES` if the security server cannot answer (fail closed).
    pub fn port_sid(&mut self, proto: Proto, port: u16) -> Result<u32, Errno> {
        let seq = self.avc.seqno();
        if seq != self.ports_seqno {
            self.ports.clear();
            self.ports_seqno = seq;
        }
        if let Some(&s) = self.ports.get(&(proto, port)) {
            return Ok(s);
        }
        let sid = self.sec.port_context(proto, port).map_err(|_| Errno::EACCES)?.unwrap_or(self.default_port);
        if self.ports.len() >= PORT_CACHE {
            self.ports.clear();
        }
        self.ports.insert((proto, port), sid);
        Ok(sid)
    }

    /// Announces a policy change (reload, boolean) so cached decisions and
    /// port labels go.
    pub fn policy_changed(&mut self, seqno: u32) {
        self.avc.policy_changed(seqno);
        self.ports.clear();
    }

    /// AVC statistics.
    pub fn avc_stats(&self) -> rampart_avc::Stats {
        self.avc.stats()
    }
}
