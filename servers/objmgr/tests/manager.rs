//! The object manager against a fake security server whose policy the test
//! changes underneath it: vocabulary re-resolution, resynchronisation on a
//! newer decision, revalidation, permissive mode, missing vocabulary.

use rampart_objmgr::{Class, Decision, ObjectManager, PolicyStatus, SecurityServer, Vocabulary};
use rampart_uabi::Errno;

rampart_objmgr::permissions! {
    /// The test class's permissions.
    pub enum Perm { Read = "read", Write = "write", Lock = "lock" }
}

/// A policy: class `file` has number `class`; `read` and `write` have bits
/// `bits`; `allowed` is granted to everyone on everything.
#[derive(Clone)]
struct Fake {
    seqno: u32,
    enforcing: bool,
    class: u16,
    bits: [u32; 2],
    allowed: u32,
    audit_deny: u32,
    computed: u32,
}

impl SecurityServer for Fake {
    fn compute_av(&mut self, _s: u32, _t: u32, class: u16) -> Result<Decision, Errno> {
        self.computed += 1;
        let allowed = if class == self.class { self.allowed } else { 0 };
        Ok(Decision { allowed, auditallow: 0, auditdeny: self.audit_deny, seqno: self.seqno })
    }
    fn class_id(&mut self, name: &str) -> Option<u16> {
        (name == "file").then_some(self.class)
    }
    fn perm_bit(&mut self, class: u16, perm: &str) -> Option<u32> {
        if class != self.class {
            return None;
        }
        match perm {
            "read" => Some(self.bits[0]),
            "write" => Some(self.bits[1]),
            _ => None,
        }
    }
    fn status(&mut self) -> Result<PolicyStatus, Errno> {
        Ok(PolicyStatus { seqno: self.seqno, enforcing: self.enforcing })
    }
}

struct Vocab {
    file: Option<Class<Perm>>,
}

impl Vocabulary for Vocab {
    fn resolve<S: SecurityServer + ?Sized>(sec: &mut S) -> Self {
        Vocab { file: Class::resolve(sec, "file") }
    }
}

fn read(v: &Vocab) -> Option<(u16, u32)> {
    v.file.as_ref()?.want(&[Perm::Read])
}

fn fake() -> Fake {
    Fake { seqno: 1, enforcing: true, class: 3, bits: [1, 2], allowed: 1, audit_deny: u32::MAX, computed: 0 }
}

type Om = ObjectManager<Fake, Vocab, 4, 2>;

#[test]
fn a_reload_with_another_class_layout_is_mediated_with_the_new_numbers() {
    let mut om = Om::new(fake());
    assert_eq!(om.check(1, 2, read, "/a"), Ok(()));
    // The new policy numbers the class and permissions differently and
    // grants write, not read.
    om.sec = Fake { seqno: 2, class: 7, bits: [4, 1], allowed: 1, ..fake() };
    assert!(om.refresh().unwrap());
    assert_eq!(om.check(1, 2, read, "/a"), Err(Errno::EACCES), "read is bit 4 now, not granted");
    let write = |v: &Vocab| v.file.as_ref()?.want(&[Perm::Write]);
    assert_eq!(om.check(1, 2, write, "/a"), Ok(()));
}

#[test]
fn a_decision_from_a_newer_policy_resynchronises_without_the_notification() {
    let mut om = Om::new(fake());
    assert_eq!(om.check(1, 2, read, "/a"), Ok(()));
    // Reloaded, the notification not handled yet: the cached decision for
    // (1, 2) still hits, but a miss brings the newer sequence number.
    om.sec = Fake { seqno: 2, class: 7, bits: [4, 1], allowed: 4, ..fake() };
    assert_eq!(om.check(5, 6, read, "/b"), Ok(()), "read is bit 4 in the new policy, granted");
    assert_eq!(om.seqno(), 2);
    // Every decision of the old policy went with it.
    om.sec.allowed = 0;
    assert_eq!(om.check(1, 2, read, "/a"), Err(Errno::EACCES));
}

#[test]
fn revalidation_rechecks_only_after_a_change_and_revokes() {
    let mut om = Om::new(fake());
    om.check(1, 2, read, "/a").unwrap();
    let mut g = om.granted();
    let before = om.sec.computed;
    for _ in 0..10 {
        om.revalidate(&mut g, 1, 2, read, "/a").unwrap();
    }
    assert_eq!(om.sec.computed, before, "no re-check without a change");
    om.sec.seqno = 2;
    om.sec.allowed = 0;
    om.refresh().unwrap();
    assert_eq!(om.revalidate(&mut g, 1, 2, read, "/a"), Err(Errno::EACCES));
    let audit = om.take_audit();
    assert_eq!(audit.last().map(|e| (e.record.denied, e.object.as_str())), Some((true, "/a")));
}

#[test]
fn permissive_mode_audits_without_denying() {
    let mut om = Om::new(Fake { allowed: 0, enforcing: false, ..fake() });
    assert_eq!(om.check(1, 2, read, "/x"), Ok(()));
    let a = om.take_audit();
    assert_eq!(a.len(), 1);
    assert!(a[0].record.denied && !a[0].record.enforced);
    om.sec.enforcing = true;
    om.refresh().unwrap();
    assert_eq!(om.check(1, 2, read, "/x"), Err(Errno::EACCES));
}

#[test]
fn what_the_policy_does_not_define_is_never_granted() {
    let mut om = Om::new(Fake { allowed: u32::MAX, ..fake() });
    let lock = |v: &Vocab| v.file.as_ref()?.want(&[Perm::Lock]);
    assert_eq!(om.check(1, 2, lock, "/l"), Err(Errno::EACCES));
    om.sec = Fake { seqno: 2, class: 9, allowed: u32::MAX, ..fake() };
    om.refresh().unwrap();
    // The class itself gone from the policy.
    om.sec.class = 0;
    om.sec.seqno = 3;
    om.refresh().unwrap();
    assert_eq!(om.check(1, 2, read, "/r"), Err(Errno::EACCES));
}
