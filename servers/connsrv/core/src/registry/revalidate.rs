//! Revocation on policy change (issue 19 item 1): after a reload, a
//! boolean change or a switch to enforcing mode, every live connection's
//! `service connect` is decided again under the policy now loaded, and a
//! connection the policy no longer grants is closed exactly as a
//! disconnect or an exit closes it: the minted capability and every copy
//! derived from it (the client's) are revoked, and the closure is queued
//! for the service's owner, whose watcher is signalled. A connection, once
//! revoked, is gone: granting the permission again later does not bring it
//! back (the client must connect again, and is checked again).

use super::{Conn, Kind, Registry};
use crate::iface::{Caps, Security, ServicePerm, Subject};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_uabi::Errno;

/// A connection revoked by [`Registry::revalidate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// Its connection number.
    pub conn: u32,
    /// The client's pid (0 if rm never bound one).
    pub pid: u32,
    /// The client's SID.
    pub sid: u32,
    /// The service's name.
    pub name: String,
    /// The error the check gave (`EACCES`: denied).
    pub errno: Errno,
}

/// What [`Registry::revalidate`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revalidation {
    /// Connections to services that were decided again.
    pub checked: u32,
    /// Those the policy no longer grants, now revoked.
    pub revoked: Vec<Revoked>,
    /// Those that could not be decided (the security server did not
    /// answer): kept, and decided again at the next change.
    pub undecided: u32,
}

/// The object named in the audit record of a re-check: `live #CONN: NAME`
/// (the service's name last, so a long name is what gets truncated). An
/// enforced denial of it is a revocation; a permissive one is only logged.
pub fn live_object(conn: u32, name: &str) -> String {
    format!("live #{conn}: {name}")
}

impl Registry {
    /// Decides `service connect` again for every live connection to a
    /// service, from the client's SID to the service's, through `sec` (the
    /// AVC, refreshed for the new policy before this is called), and
    /// revokes each one the policy denies (`EACCES`, audited as a denial
    /// whose object is [`live_object`]) or can no longer name (`ENOENT`,
    /// `EINVAL`: a SID or class the policy does not know). Other errors
    /// (the security server unreachable) keep the connection: it is not
    /// known to be forbidden, and the next change decides it again.
    ///
    /// In permissive mode every check passes (denials are audited as
    /// permissive), so nothing is revoked until enforcing mode returns;
    /// task channels to connsrv itself are not connections to a service
    /// and are left alone (rm and init created them).
    pub fn revalidate(&mut self, caps: &mut dyn Caps, sec: &mut dyn Security) -> Revalidation {
        let live: Vec<(u32, u32, u32, String)> = self
            .conns
            .iter()
            .filter_map(|(n, c)| match c {
                Conn { sid, pid, kind: Kind::Service { name, .. }, .. } => Some((*n, *sid, *pid, name.clone())),
                _ => None,
            })
            .collect();
        let mut out = Revalidation::default();
        for (conn, sid, pid, name) in live {
            let Some(service) = self.services.get(&name).map(|s| s.sid) else { continue };
            out.checked += 1;
            match sec.check(Subject { sid, pid }, service, ServicePerm::Connect, &live_object(conn, &name)) {
                Ok(()) => {}
                Err(errno @ (Errno::EACCES | Errno::ENOENT | Errno::EINVAL)) => {
                    self.close(conn, caps);
                    self.stats.policy_revoked += 1;
                    out.revoked.push(Revoked { conn, pid, sid, name, errno });
                }
                Err(_) => out.undecided += 1,
            }
        }
        out
    }
}
