//! Mediation: the security server interface, the AVC in front of it, the
//! file classes and permissions, and the audit log.
//!
//! The server never interprets contexts. It asks the security server (a
//! [`SecurityServer`]: an IPC stub in the guest, [`LocalPolicy`] in tests)
//! for decisions, new-object SIDs and file contexts through its object
//! manager (`rampart-objmgr`: the AVC, the vocabulary resolved by name from
//! the loaded policy and again after every change, audit), and turns a
//! denial into `EACCES` plus an audit entry. A class or permission the
//! policy does not define is never granted.

use alloc::string::String;
use rampart_avc::Decision;
use rampart_fs_api::{Errno, FileType};
pub use rampart_objmgr::SecurityServer as ObjSecurity;
use rampart_objmgr::{AuditEntry, Class, ObjectManager, PolicyStatus, Vocabulary};
use rampart_policy::{ClassId, FileKind, Policy, PolicyError, Sid};

/// What the file server needs from the security server beyond decisions
/// (`rampart_objmgr::SecurityServer`). SIDs are `u32` (0 is never valid),
/// classes `u16` (0 is never valid).
pub trait SecurityServer: ObjSecurity {
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

    /// May `task` relabel an object of `class` from `old` to `new`? The
    /// policy's `validatetrans` statements (docs/policy-language.md §6).
    ///
    /// # Errors
    /// Unknown SIDs or class, or the transport failed.
    fn validate_trans(&mut self, old: u32, new: u32, task: u32, class: u16) -> Result<bool, Errno>;
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

impl ObjSecurity for LocalPolicy {
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        let d = self.0.compute_av(Sid(ssid), Sid(tsid), ClassId(class)).map_err(perr)?;
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

    fn validate_trans(&mut self, old: u32, new: u32, task: u32, class: u16) -> Result<bool, Errno> {
        self.0.validate_trans(Sid(old), Sid(new), Sid(task), ClassId(class)).map_err(perr)
    }
}

rampart_objmgr::permissions! {
    /// A file permission, named as in the policy (`common file`, `class dir`).
    pub enum Perm {
        Read = "read",
        Write = "write",
        Append = "append",
        Create = "create",
        Unlink = "unlink",
        Getattr = "getattr",
        Setattr = "setattr",
        Open = "open",
        Rename = "rename",
        Link = "link",
        Execute = "execute",
        Search = "search",
        AddName = "add_name",
        RemoveName = "remove_name",
        Rmdir = "rmdir",
        Reparent = "reparent",
        Mounton = "mounton",
        /// Relabel an object from its label (`chcon`, `restorecon`).
        Relabelfrom = "relabelfrom",
        /// Relabel an object to a label.
        Relabelto = "relabelto",
    }
}

rampart_objmgr::permissions! {
    /// A permission of class `filesystem` (the target is the file system's
    /// context).
    pub enum FsPerm {
        /// Mount a volume (`Request::Mount`).
        Mount = "mount",
        /// Unmount it.
        Unmount = "unmount",
        /// Statistics (`StatFs`).
        Getattr = "getattr",
    }
}

/// The policy names of the file classes, indexed like [`FileType`]s.
pub const CLASS_NAMES: [&str; 7] = ["file", "dir", "lnk_file", "chr_file", "blk_file", "fifo_file", "sock_file"];

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

/// The file server's vocabulary, resolved from the loaded policy (again
/// after every change).
pub struct FsVocab {
    files: [Option<Class<Perm>>; 7],
    filesystem: Option<Class<FsPerm>>,
}

impl Vocabulary for FsVocab {
    fn resolve<X: ObjSecurity + ?Sized>(sec: &mut X) -> Self {
        FsVocab { files: CLASS_NAMES.map(|n| Class::resolve(sec, n)), filesystem: Class::resolve(sec, "filesystem") }
    }
}

impl FsVocab {
    /// The class of objects of kind `k`.
    pub fn file(&self, k: FileType) -> Option<&Class<Perm>> {
        self.files[class_index(k)].as_ref()
    }

    /// The class name and permission names of an audit record.
    pub fn describe(&self, class: u16, perms: u32) -> (&'static str, alloc::vec::Vec<&'static str>) {
        for (i, c) in self.files.iter().enumerate() {
            if let Some(c) = c.filter(|c| c.id() == class) {
                return (CLASS_NAMES[i], c.names(perms).collect());
            }
        }
        match self.filesystem.filter(|c| c.id() == class) {
            Some(c) => ("filesystem", c.names(perms).collect()),
            None => ("?", alloc::vec::Vec::new()),
        }
    }
}

/// The file server's object manager: 256 cached decisions.
pub type FsObjectManager<S> = ObjectManager<S, FsVocab, 64, 4>;

/// Mediation state: the object manager (security server, AVC, vocabulary,
/// audit) and the SID of unlabelled files.
pub struct Mac<S> {
    /// The object manager.
    pub om: FsObjectManager<S>,
    /// SID of files without a usable label (the `file` initial SID, else
    /// `unlabeled`).
    pub unlabeled: u32,
}

impl<S: SecurityServer> Mac<S> {
    /// Resolves the vocabulary and reads the policy's state. Classes the
    /// policy lacks stay undefined (every check on them is denied).
    ///
    /// # Errors
    /// `EINVAL` if the policy has neither a `file` nor an `unlabeled`
    /// initial SID.
    pub fn new(mut sec: S) -> Result<Mac<S>, Errno> {
        let unlabeled = sec.initial_sid("file").or_else(|| sec.initial_sid("unlabeled")).ok_or(Errno::EINVAL)?;
        Ok(Mac { om: ObjectManager::new(sec), unlabeled })
    }

    /// The security server.
    pub fn sec(&mut self) -> &mut S {
        &mut self.om.sec
    }

    /// The class number for objects of kind `k`, if the policy has it.
    pub fn class_of(&self, k: FileType) -> Option<u16> {
        self.om.vocab().file(k).map(|c| c.id())
    }

    /// Checks that `ssid` has every permission in `perms` on an object of
    /// kind `kind` labelled `tsid`.
    ///
    /// # Errors
    /// `EACCES` when denied (audited as the policy says), when the class or
    /// a permission is not in the policy, or when no decision is available.
    pub fn check(&mut self, ssid: u32, tsid: u32, kind: FileType, perms: &[Perm]) -> Result<(), Errno> {
        self.om.check(ssid, tsid, |v| v.file(kind)?.want(perms), "")
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
        self.om.check(ssid, fs_sid, |v| v.filesystem.as_ref()?.want(&[perm]), "")
    }

    /// The security server announced a change (reload, boolean, mode):
    /// cached decisions go and the vocabulary is resolved again.
    ///
    /// # Errors
    /// The security server could not be asked for its state.
    pub fn policy_changed(&mut self) -> Result<bool, Errno> {
        self.om.refresh()
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
