//! Issue 19 item 1: rm's class and permission numbers follow the policy in
//! force. The shipped `te` policy and a variant whose classes are declared
//! in the opposite order (so `process` is class 15 instead of 1, `system`
//! class 1 instead of 15) are loaded in turn by the security server's
//! logic; every rm check must give the answer the loaded policy gives by
//! name. Numbers read once at start (what rm did before) give wrong
//! answers under the variant: the test shows that too.

use rampart_rm_core::vocab::{Perm, PolicyQuery, Vocab};
use rampart_secsrv_api::client::{Client, Transport};
use rampart_secsrv_api::{Request, Response};
use rampart_secsrv_core::{Caller, SecServer};
use rampart_uabi::Errno;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

const RM: &str = "system_u:system_r:rm_t";
const ADMIN: &str = "root:sysadm_r:sysadm_t";
const USER: &str = "user_u:user_r:user_t";
const INIT: &str = "system_u:system_r:init_t";
const CONSOLE: &str = "system_u:system_r:console_t";
const HTTPD: &str = "system_u:system_r:httpd_t";
const HTTPD_EXEC: &str = "system_u:object_r:httpd_exec_t";
const POLICYTOOL: &str = "root:sysadm_r:policytool_t";
const POLICYTOOL_EXEC: &str = "system_u:object_r:policytool_exec_t";

fn modules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../policy/modules")
}

fn compile(dirs: &[PathBuf]) -> Vec<u8> {
    let out = policy_compiler::compile_files(dirs).unwrap_or_else(|e| panic!("{e:?}"));
    rampart_policy::encode(&out.db).unwrap()
}

/// `base` + `assertions` + `te`, with `base/classes.pol` rewritten so the
/// classes come in the opposite order (commons first, as they must).
fn reversed_te(tmp: &Path) -> Vec<u8> {
    let base = tmp.join("base");
    std::fs::create_dir_all(&base).unwrap();
    for e in std::fs::read_dir(modules().join("base")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), base.join(e.file_name())).unwrap();
    }
    let text = std::fs::read_to_string(modules().join("base/classes.pol")).unwrap();
    let commons: Vec<&str> = text.lines().filter(|l| l.starts_with("common ")).collect();
    let mut classes: Vec<&str> = text.lines().filter(|l| l.starts_with("class ")).collect();
    assert!(classes.len() > 10, "{text}");
    classes.reverse();
    std::fs::write(base.join("classes.pol"), [commons, classes].concat().join("\n") + "\n").unwrap();
    compile(&[base, modules().join("assertions"), modules().join("te")])
}

struct Q<'a>(&'a RefCell<SecServer>, Caller);

impl Transport for Q<'_> {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        Ok(self.0.borrow_mut().handle(self.1, req.clone()).response)
    }
}

impl PolicyQuery for Q<'_> {
    fn class_id(&mut self, name: &str) -> Result<u16, Errno> {
        Client(Q(self.0, self.1)).class_id(name)
    }
    fn perm_bit(&mut self, class: u16, perm: &str) -> Result<u32, Errno> {
        Client(Q(self.0, self.1)).perms(class, &[perm])
    }
    fn seqno(&mut self) -> Result<u32, Errno> {
        Client(Q(self.0, self.1)).status().map(|s| s.seqno)
    }
    fn decide(&mut self, s: &str, t: &str, class: u16) -> Result<(u32, u32), Errno> {
        Client(Q(self.0, self.1)).compute_av_contexts(s, t, class).map(|d| (d.allowed, d.seqno))
    }
}

/// The loaded policy's answer, by names, looked up afresh.
fn truth(q: &mut Q, s: &str, t: &str, class: &str, perm: &str) -> bool {
    let c = q.class_id(class).unwrap();
    let b = q.perm_bit(c, perm).unwrap();
    q.decide(s, t, c).unwrap().0 & b == b
}

/// rm's checks: (source, target, permission, class name, permission name).
const CHECKS: &[(&str, &str, Perm, &str, &str)] = &[
    (ADMIN, RM, Perm::Halt, "system", "halt"),
    (USER, RM, Perm::Halt, "system", "halt"),
    (ADMIN, RM, Perm::Reboot, "system", "reboot"),
    (INIT, RM, Perm::Halt, "system", "halt"),
    (CONSOLE, RM, Perm::SyslogRead, "system", "syslog_read"),
    (USER, RM, Perm::SyslogWrite, "system", "syslog_write"),
    (ADMIN, USER, Perm::Getattr, "process", "getattr"),
    (USER, ADMIN, Perm::Getattr, "process", "getattr"),
    (ADMIN, POLICYTOOL, Perm::Transition, "process", "transition"),
    (USER, ADMIN, Perm::Transition, "process", "transition"),
    (POLICYTOOL, POLICYTOOL_EXEC, Perm::Entrypoint, "file", "entrypoint"),
    (HTTPD, HTTPD_EXEC, Perm::Entrypoint, "file", "entrypoint"),
    (USER, HTTPD_EXEC, Perm::Entrypoint, "file", "entrypoint"),
];

#[test]
fn a_policy_with_another_class_layout_is_mediated_by_name() {
    let tmp = std::env::temp_dir().join(format!("rm-vocab-{}", std::process::id()));
    let reversed = reversed_te(&tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    let te = compile(&[modules().join("base"), modules().join("assertions"), modules().join("te")]);
    let sec = RefCell::new(SecServer::new("system_u:system_r:secsrv_t", false));
    {
        let mut init = Client(Q(&sec, Caller::Init));
        init.put_policy("te", &te).unwrap();
        init.put_policy("reversed", &reversed).unwrap();
        init.load_policy("te").unwrap();
    }
    let rm = match sec.borrow_mut().handle(Caller::Init, Request::ContextToSid { context: RM.into() }).response {
        Response::Sid(s) => s,
        r => panic!("{r:?}"),
    };
    let admin = match sec.borrow_mut().handle(Caller::Init, Request::ContextToSid { context: ADMIN.into() }).response {
        Response::Sid(s) => Caller::Sid(s),
        r => panic!("{r:?}"),
    };
    let mut q = Q(&sec, Caller::Sid(rm));
    let mut v = Vocab::resolve(&mut q).unwrap();
    let at_start = v;
    let mut granted = 0;
    for &(s, t, p, class, perm) in CHECKS {
        let want = truth(&mut q, s, t, class, perm);
        granted += usize::from(want);
        assert_eq!(v.allowed(&mut q, s, t, p), Ok(want), "te: {s} -> {t} {class} {perm}");
    }
    assert!(granted >= 4 && granted < CHECKS.len(), "the checks mix grants and denials: {granted}");
    // The reload: process and system swap numbers, among others.
    Client(Q(&sec, admin)).load_policy("reversed").unwrap();
    assert_ne!(q.class_id("process"), Ok(at_start.get(Perm::Getattr).unwrap().0));
    let mut wrong = Vec::new();
    for &(s, t, p, class, perm) in CHECKS {
        let want = truth(&mut q, s, t, class, perm);
        assert_eq!(v.allowed(&mut q, s, t, p), Ok(want), "reversed: {s} -> {t} {class} {perm}");
        // What numbers read once at start would have answered.
        let (c, b) = at_start.get(p).unwrap();
        let stale = q.decide(s, t, c).map(|(a, _)| a & b == b).unwrap_or(false);
        if stale != want {
            wrong.push(format!("{s} -> {t} {class} {perm}: {stale} instead of {want}"));
        }
    }
    assert_ne!(v, at_start, "the numbers were read again");
    assert!(!wrong.is_empty(), "the variant must expose numbers read once");
    println!("numbers read once would mis-mediate {} of {} checks:", wrong.len(), CHECKS.len());
    for w in &wrong {
        println!("  {w}");
    }
    // And back: the numbers follow again.
    Client(Q(&sec, admin)).load_policy("te").unwrap();
    for &(s, t, p, class, perm) in CHECKS {
        let want = truth(&mut q, s, t, class, perm);
        assert_eq!(v.allowed(&mut q, s, t, p), Ok(want), "te again: {s} -> {t} {class} {perm}");
    }
}

#[test]
fn refresh_reads_again_only_after_a_change() {
    let te = compile(&[modules().join("base"), modules().join("assertions"), modules().join("te")]);
    let sec = RefCell::new(SecServer::new("system_u:system_r:secsrv_t", false));
    {
        let mut init = Client(Q(&sec, Caller::Init));
        init.put_policy("te", &te).unwrap();
        init.load_policy("te").unwrap();
    }
    let rm = match sec.borrow_mut().handle(Caller::Init, Request::ContextToSid { context: RM.into() }).response {
        Response::Sid(s) => s,
        r => panic!("{r:?}"),
    };
    let mut q = Q(&sec, Caller::Sid(rm));
    let mut v = Vocab::resolve(&mut q).unwrap();
    let before = v;
    v.refresh(&mut q).unwrap();
    assert_eq!(v, before);
    // A vocabulary never read (seqno 0) is read on first use.
    let mut empty = Vocab::default();
    let r = empty.allowed(&mut q, ADMIN, RM, Perm::Halt);
    assert_eq!(r, Ok(true), "an empty vocabulary is read on first use (seqno differs)");
    assert_eq!(empty, before);
}
