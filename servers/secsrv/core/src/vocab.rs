//! The `security` class's permissions secsrv checks its own callers
//! for (`compute_av`, `load_policy`, `setenforce`, ...), looked up by
//! name in each policy loaded.

use rampart_policy::Policy;

/// The `security` class vocabulary, looked up by name at each load.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Vocab {
    pub(crate) target: u32,
    pub(crate) class: u16,
    pub(crate) compute_av: u32,
    pub(crate) check_context: u32,
    pub(crate) load_policy: u32,
    pub(crate) setenforce: u32,
    pub(crate) setbool: u32,
    pub(crate) read_audit: u32,
    /// 0 if the policy has no `audit_write` (then nobody may submit).
    pub(crate) audit_write: u32,
}

impl Vocab {
    pub(crate) fn of(p: &Policy) -> Option<Vocab> {
        let class = p.class_id("security")?;
        let bit = |n: &str| p.perms(class, &[n]).ok();
        Some(Vocab {
            target: p.initial_sid("security")?.0,
            class: class.0,
            compute_av: bit("compute_av")?,
            check_context: bit("check_context")?,
            load_policy: bit("load_policy")?,
            setenforce: bit("setenforce")?,
            setbool: bit("setbool")?,
            read_audit: bit("read_audit")?,
            audit_write: bit("audit_write").unwrap_or(0),
        })
    }
}

/// Read access to the permission bits (for [`crate::SecServer::check`]'s
/// selector).
pub struct VocabView(pub(crate) Vocab);

impl VocabView {
    /// `security compute_av`.
    pub fn compute_av(&self) -> u32 {
        self.0.compute_av
    }
    /// `security check_context`.
    pub fn check_context(&self) -> u32 {
        self.0.check_context
    }
    /// `security load_policy`.
    pub fn load_policy(&self) -> u32 {
        self.0.load_policy
    }
    /// `security setenforce`.
    pub fn setenforce(&self) -> u32 {
        self.0.setenforce
    }
    /// `security setbool`.
    pub fn setbool(&self) -> u32 {
        self.0.setbool
    }
    /// `security read_audit`.
    pub fn read_audit(&self) -> u32 {
        self.0.read_audit
    }
    /// `security audit_write` (0 if the policy lacks it: nobody may
    /// submit).
    pub fn audit_write(&self) -> u32 {
        self.0.audit_write
    }
}
