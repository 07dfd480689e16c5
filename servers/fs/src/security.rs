//! Mediation: the security server interface, the AVC in front of it, the
//! file classes and permissions, and the audit log.
//!
//! The server never interprets contexts. It asks the security server (a
//! [`SecurityServer`]: an IPC stub in the guest, [`LocalPolicy`] in tests)
//! for decisions, new-object SIDs and file contexts, caches decisions in a
//! `rampart-avc` cache, and turns a denial into `EACCES` plus an
//! [`AuditRecord`]. Class and permission numbers are looked up by name at
//! start-up (docs/policy-language.md §3); a class or permission the policy
//! does not define is never granted.

use alloc::string::String;
pub use rampart_avc::{AUDIT_CAPACITY, AuditLog};
use rampart_avc::{Avc, AvcBackend, AvcError, Decision};
use rampart_fs_api::{Errno, FileType};
use rampart_policy::{ClassId, FileKind, Policy, PolicyError, Sid};

/// What the file server needs from the security server. SIDs are `u32`
/// (0 is never valid), classes `u16` (0 is never valid).
pub trait SecurityServer {
    /// The access decision for `(ssid, tsid, class)`.
    ///
    /// # Errors
    /// Unknown SID or class, or the transport failed.
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno>;

    /// The SID of a new object of `class` named `name`, created by `ssid`
    /// in a directory labelled `tsid` (type transitions).
    ///
    /// # Errors
    /// As above, or the result is not a valid context.
    fn compute_create(&mut self, ssid: u32, tsid: u32, class: u16, name: &str) -> Result<u32, Errno>;

    /// The SID the policy's file contexts give `path`; `Ok(None)` when the
    /// rule says `<<none>>` or no rule matches (the file is unlabeled).
    ///
    /// # Errors
    /// The transport failed.
    fn file_context(&mut self, path: &str, kind: FileType) -> Result<Option<u32>, Errno>;

    /// The SID of a context string.
    ///
    /// # Errors
    /// `EINVAL` for a context the policy does not accept.
    fn context_to_sid(&mut self, context: &str) -> Result<u32, Errno>;

    /// The context string of a SID.
    ///
    /// # Errors
    /// `EINVAL` for an unknown SID.
    fn sid_to_context(&mut self, sid: u32) -> Result<String, Errno>;

    /// An initial SID by name (`file`, `unlabeled`, ...).
    fn initial_sid(&mut self, name: &str) -> Option<u32>;

    /// A class number by name.
    fn class_id(&mut self, name: &str) -> Option<u16>;

    /// The access-vector bit of permission `perm` of `class`.
    fn perm_bit(&mut self, class: u16, perm: &str) -> Option<u32>;
}

/// A [`SecurityServer`] answering from a policy held in this task (tests,
/// and a server started before the security server exists).
pub struct LocalPolicy(pub Policy);

fn perr(_: PolicyError) -> Errno {
    Errno::EINVAL
}

fn file_kind(k: FileType) -> FileKind {
    match k {
        FileType::File => FileKind::File,
        FileType::Dir => FileKind::Dir,
        FileType::Symlink => FileKind::Symlink,
        FileType::CharDev => FileKind::CharDev,
        FileType::BlockDev => FileKind::BlockDev,
        FileType::Fifo => FileKind::Fifo,
        FileType::Socket => FileKind::Socket,
    }
}

impl SecurityServer for LocalPolicy {
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        let d = self.0.compute_av(Sid(ssid), Sid(tsid), ClassId(class)).map_err(perr)?;
        Ok(Decision { allowed: d.allowed, auditallow: d.auditallow, auditdeny: d.auditdeny, seqno: d.seqno })
    }

    fn compute_create(&mut self, ssid: u32, tsid: u32, class: u16, name: &str) -> Result<u32, Errno> {
        self.0.compute_create(Sid(ssid), Sid(tsid), ClassId(class), Some(name)).map(|s| s.0).map_err(perr)
    }

    fn file_context(&mut self, path: &str, kind: FileType) -> Result<Option<u32>, Errno> {
        match self.0.file_context(path, file_kind(kind)) {
            Ok(s) => Ok(s.map(|s| s.0)),
            Err(PolicyError::NoContext) => Ok(None),
            Err(e) => Err(perr(e)),
        }
    }

    fn context_to_sid(&mut self, context: &str) -> Result<u32, Errno> {
        self.0.context_to_sid(context).map(|s| s.0).map_err(perr)
    }

    fn sid_to_context(&mut self, sid: u32) -> Result<String, Errno> {
        self.0.sid_to_context(Sid(sid)).map(String::from).map_err(perr)
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
}

/// A file permission, named as in the policy (`common file`, `class dir`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Perm {
    Read,
    Write,
    Append,
    Create,
    Unlink,
    Getattr,
    Setattr,
    Open,
    Rename,
    Link,
    Execute,
    Search,
    AddName,
    RemoveName,
    Rmdir,
    Reparent,
    Mounton,
}

/// A permission of class `filesystem` (the target is the file system's
/// context).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsPerm {
    /// Mount a volume (`Request::Mount`).
    Mount,
    /// Unmount it.
    Unmount,
    /// Statistics (`StatFs`).
    Getattr,
}

const FS_PERM_NAMES: [&str; 3] = ["mount", "unmount", "getattr"];

const PERM_NAMES: [&str; 17] = [
    "read",
    "write",
    "append",
    "create",
    "unlink",
    "getattr",
    "setattr",
    "open",
    "rename",
    "link",
    "execute",
    "search",
    "add_name",
    "remove_name",
    "rmdir",
    "reparent",
    "mounton",
];

/// One object class: its number and the bit of each [`Perm`] (0 = the
/// class has no such permission).
#[derive(Clone, Copy, Debug, Default)]
struct Class {
    id: u16,
    bits: [u32; 17],
}

struct Backend<'a, S>(&'a mut S);

impl<S: SecurityServer> AvcBackend for Backend<'_, S> {
    type Error = Errno;
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        self.0.compute_av(ssid, tsid, class)
    }
}

/// The file server's access vector cache: 256 decisions.
pub type FsAvc = Avc<64, 4>;

/// Mediation state: security server, AVC, vocabulary, audit log.
pub struct Mac<S> {
    /// The security server.
    pub sec: S,
    avc: FsAvc,
    /// Audit records of denials and audited grants.
    pub audit: AuditLog,
    classes: [Option<Class>; 7],
    /// Class `filesystem` and the bits of [`FsPerm`] (0: not in the policy).
    filesystem: Option<(u16, [u32; 3])>,
    /// SID of files without a usable label (the `file` initial SID, else
    /// `unlabeled`).
    pub unlabeled: u32,
}

const CLASS_NAMES: [&str; 7] = ["file", "dir", "lnk_file", "chr_file", "blk_file", "fifo_file", "sock_file"];

fn class_index(k: FileType) -> usize {
    match k {
        FileType::File => 0,
        FileType::Dir => 1,
        FileType::Symlink => 2,
        FileType::CharDev => 3,
        FileType::BlockDev => 4,
        FileType::Fifo => 5,
        FileType::Socket => 6,
    }
}

impl<S: SecurityServer> Mac<S> {
    /// Looks up the vocabulary. Classes the policy lacks stay undefined
    /// (every check on them is denied).
    ///
    /// # Errors
    /// `EINVAL` if the policy has neither a `file` nor an `unlabeled`
    /// initial SID.
    pub fn new(mut sec: S) -> Result<Mac<S>, Errno> {
        let mut classes = [None; 7];
        for (slot, name) in classes.iter_mut().zip(CLASS_NAMES) {
            if let Some(id) = sec.class_id(name) {
                let mut c = Class { id, bits: [0; 17] };
                for (bit, p) in c.bits.iter_mut().zip(PERM_NAMES) {
                    *bit = sec.perm_bit(id, p).unwrap_or(0);
                }
                *slot = Some(c);
            }
        }
        let filesystem =
            sec.class_id("filesystem").map(|c| (c, FS_PERM_NAMES.map(|p| sec.perm_bit(c, p).unwrap_or(0))));
        let unlabeled = sec.initial_sid("file").or_else(|| sec.initial_sid("unlabeled")).ok_or(Errno::EINVAL)?;
        Ok(Mac { sec, avc: FsAvc::new(), audit: AuditLog::default(), classes, filesystem, unlabeled })
    }

    /// The class number for objects of kind `k`, if the policy has it.
    pub fn class_of(&self, k: FileType) -> Option<u16> {
        self.classes[class_index(k)].map(|c| c.id)
    }

    fn has(&mut self, ssid: u32, tsid: u32, class: u16, want: u32) -> Result<(), Errno> {
        let mut be = Backend(&mut self.sec);
        match self.avc.has_perm(&mut be, &mut self.audit, ssid, tsid, class, want) {
            Ok(()) => Ok(()),
            Err(AvcError::Denied(_) | AvcError::InvalidClass | AvcError::Backend(_)) => Err(Errno::EACCES),
        }
    }

    /// Checks that `ssid` has every permission in `perms` on an object of
    /// kind `kind` labelled `tsid`.
    ///
    /// # Errors
    /// `EACCES` when denied (audited as the policy says), when the class or
    /// a permission is not in the policy, or when no decision is available.
    pub fn check(&mut self, ssid: u32, tsid: u32, kind: FileType, perms: &[Perm]) -> Result<(), Errno> {
        let c = self.classes[class_index(kind)].ok_or(Errno::EACCES)?;
        let mut want = 0;
        for &p in perms {
            let bit = c.bits[p as usize];
            if bit == 0 {
                return Err(Errno::EACCES);
            }
            want |= bit;
        }
        self.has(ssid, tsid, c.id, want)
    }

    /// Checks `filesystem getattr` on the file system's SID.
    ///
    /// # Errors
    /// `EACCES` as for [`Mac::check`].
    pub fn check_fs_getattr(&mut self, ssid: u32, fs_sid: u32) -> Result<(), Errno> {
        self.check_fs(ssid, fs_sid, FsPerm::Getattr)
    }

    /// Checks a `filesystem` permission on the file system's SID.
    ///
    /// # Errors
    /// `EACCES` as for [`Mac::check`].
    pub fn check_fs(&mut self, ssid: u32, fs_sid: u32, perm: FsPerm) -> Result<(), Errno> {
        let (class, bits) = self.filesystem.ok_or(Errno::EACCES)?;
        let bit = bits[perm as usize];
        if bit == 0 {
            return Err(Errno::EACCES);
        }
        self.has(ssid, fs_sid, class, bit)
    }

    /// Announces a policy change (reload, boolean) so cached decisions go.
    pub fn policy_changed(&mut self, seqno: u32) {
        self.avc.policy_changed(seqno);
    }

    /// AVC statistics.
    pub fn avc_stats(&self) -> rampart_avc::Stats {
        self.avc.stats()
    }
}
