//! Identities: the uid and gids of a client, derived from the SELinux user
//! of its security context (docs/security-architecture.md §1,
//! "Identities").
//!
//! A process cannot choose its uid: every request reaches the server
//! through a connection badge that carries the client's SID (minted by the
//! connection server), the SID names a context, and the context's user
//! (`user_u`, `root`, `system_u`) is looked up in the identity table, the
//! file `/etc/identities` on the root volume:
//!
//! ```text
//! # SELinux user:uid:gid:supplementary gids (comma-separated)
//! root:0:0:
//! system_u:0:0:
//! user_u:1000:1000:
//! ```
//!
//! The table is trusted only when the server finds it on the root volume
//! itself (mounted volumes are ignored), through directories `/` and
//! `/etc` that are owned by uid 0 and not writable by group or others, as
//! a regular file owned by uid 0, not writable by group or others, of at
//! most [`MAX_TABLE`] bytes (OpenSSH's `StrictModes` reasoning: whoever
//! can change it can become anyone). Otherwise, or when it is missing, the
//! server uses the table of its configuration ([`Identities::builtin`] by
//! default). A user the table does not name is `nobody` (65534).
//!
//! The table is read again after any request changed the root volume; a
//! connection's identity is fixed when the connection is made (as a
//! process's credentials are fixed at login on Unix).

use alloc::string::String;
use alloc::vec::Vec;
use rampart_fs_api::{Errno, FileType};

use crate::dac::Cred;
use crate::security::SecurityServer;
use crate::server::FileServer;
use crate::volume::Volume;

/// Largest identity table the server reads, in bytes.
pub const MAX_TABLE: u64 = 64 * 1024;
/// Most entries of an identity table (later lines are ignored).
pub const MAX_ENTRIES: usize = 256;
/// Longest SELinux user name in the table, in bytes.
pub const MAX_NAME: usize = 64;
/// Where the guest server looks for the table.
pub const IDENTITY_FILE: &str = "/etc/identities";

/// A table from SELinux user names to identities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identities {
    entries: Vec<(String, Cred)>,
}

fn parse_id(s: &str) -> Option<u32> {
    // u32::MAX is "unchanged" in chown and never an identity.
    s.parse::<u32>().ok().filter(|&v| v != u32::MAX)
}

fn parse_line(line: &str) -> Option<(String, Cred)> {
    let mut f = line.split(':');
    let (name, uid, gid, groups) = (f.next()?, f.next()?, f.next()?, f.next().unwrap_or(""));
    if f.next().is_some() || name.is_empty() || name.len() > MAX_NAME || name.contains(char::is_whitespace) {
        return None;
    }
    let mut c = Cred::new(parse_id(uid.trim())?, parse_id(gid.trim())?);
    for g in groups.split(',').map(str::trim).filter(|g| !g.is_empty()) {
        c.add_group(parse_id(g)?).ok()?;
    }
    Some((String::from(name), c))
}

impl Identities {
    /// The shipped table: `root` and `system_u` are uid 0 (system services
    /// run as root, confined by the mandatory policy), `user_u` is 1000.
    pub fn builtin() -> Identities {
        let mut t = Identities::default();
        t.insert("root", Cred::new(0, 0));
        t.insert("system_u", Cred::new(0, 0));
        t.insert("user_u", Cred::new(1000, 1000));
        t
    }

    /// Parses the text of a table: one `user:uid:gid:gids` line per
    /// identity, `#` comments and blank lines ignored. A malformed line
    /// (missing field, a number that is not a `u32` below `u32::MAX`, more
    /// than [`crate::dac::MAX_GROUPS`] groups, a name over [`MAX_NAME`] bytes) is
    /// skipped, so its user falls back to `nobody`; the first line for a
    /// user wins.
    pub fn parse(text: &[u8]) -> Identities {
        let mut t = Identities::default();
        let text = String::from_utf8_lossy(text);
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            if t.entries.len() >= MAX_ENTRIES {
                break;
            }
            if let Some((name, c)) = parse_line(line)
                && t.get(&name).is_none()
            {
                t.entries.push((name, c));
            }
        }
        t
    }

    /// Adds or replaces `user`'s identity.
    pub fn insert(&mut self, user: &str, c: Cred) {
        self.entries.retain(|(n, _)| n != user);
        self.entries.push((String::from(user), c));
    }

    /// The identity of SELinux user `user`, if the table names it.
    pub fn get(&self, user: &str) -> Option<Cred> {
        self.entries.iter().find(|(n, _)| n == user).map(|(_, c)| *c)
    }

    /// The identity of a security context (`user:role:type[:level]`):
    /// its user's entry, else `nobody`.
    pub fn of_context(&self, context: &str) -> Cred {
        let user = context.split(':').next().unwrap_or("");
        self.get(user).unwrap_or_else(Cred::nobody)
    }
}

impl<V: Volume, S: SecurityServer> FileServer<V, S> {
    /// The identity of a client whose context is `sid`.
    pub(crate) fn identity_of(&mut self, sid: u32) -> Cred {
        let Ok(ctx) = self.mac.om.sec.sid_to_context(sid) else { return Cred::nobody() };
        if self.ids.is_none() {
            self.ids = Some(self.load_identities().unwrap_or_else(|| self.cfg.identities.clone()));
        }
        self.ids.as_ref().map_or_else(Cred::nobody, |t| t.of_context(&ctx))
    }

    /// Reads the identity table from the root volume, if it is there and
    /// trustworthy (see the module documentation).
    fn load_identities(&mut self) -> Option<Identities> {
        let path = self.cfg.identity_file.clone()?;
        let vol = &mut self.vol.root;
        let mut ino = vol.root();
        for name in path.split('/').filter(|c| !c.is_empty()) {
            let dir = vol.getattr(ino).ok()?;
            if dir.kind != FileType::Dir || dir.uid != 0 || dir.mode & 0o022 != 0 {
                return None;
            }
            ino = vol.lookup(ino, name.as_bytes()).ok()??;
        }
        let a = vol.getattr(ino).ok()?;
        if a.kind != FileType::File || a.uid != 0 || a.mode & 0o022 != 0 || a.size > MAX_TABLE {
            return None;
        }
        let mut buf = alloc::vec![0u8; a.size as usize];
        let mut done = 0;
        while done < buf.len() {
            match vol.read(ino, done as u64, &mut buf[done..]).ok()? {
                0 => break,
                n => done += n,
            }
        }
        buf.truncate(done);
        Some(Identities::parse(&buf))
    }

    /// Drops the cached table (the root volume changed).
    pub(crate) fn identities_changed(&mut self) {
        self.ids = None;
    }

    /// The identity the server gives connection `conn`.
    ///
    /// # Errors
    /// `EBADF` for an unknown connection.
    pub fn credentials(&self, conn: crate::ConnId) -> Result<Cred, Errno> {
        self.conns.get(&conn).map(|c| c.cred).ok_or(Errno::EBADF)
    }
}
