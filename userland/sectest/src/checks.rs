//! The functional checks (see the crate documentation).

use crate::{ECHO, EchoReply, POOL_DONE, POOL_NAMES, T};
use rampart_abi::Rights;
use rampart_connsrv_api::client::lookup;
use rampart_connsrv_api::rt::{Channel, Connection};
use rampart_rm_api::{ExitStatus, Image, Spawn};
use rampart_rt::cap::{CNode, Notification};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::call;
use rampart_secsrv_api::client::SecAvc;
use rampart_secsrv_api::rt::Ipc;
use rampart_secsrv_api::{AuditEntry, AuditSubmit, EVENT_POLICY};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// Slots this program uses.
pub mod slots {
    /// The connection to secsrv.
    pub const SECURITY: u64 = 41;
    /// The policy-change notification given to secsrv.
    pub const EVENTS: u64 = 42;
    /// Connections to the echo service.
    pub const ECHO: u64 = 43;
    /// Scratch connections (benchmarks).
    pub const SCRATCH: u64 = 44;
    /// A service we try to register.
    pub const SQUAT: u64 = 45;
}

/// What the checks share with the benchmarks.
pub struct Ctx {
    /// The channel to connsrv.
    pub ch: Channel,
    /// The AVC backed by secsrv.
    pub avc: SecAvc<Ipc, 16, 2>,
    /// Our SID.
    pub me: u32,
}

/// Runs every check, then the benchmarks.
pub fn run(t: &mut T) {
    let ch = Channel::own();
    let sec = match ch.connect("security", slots::SECURITY) {
        Ok(c) => c,
        Err(e) => {
            t.check(false, &alloc::format!("connect to the security server: {e}"));
            return;
        }
    };
    t.check(true, "connect to the security server (sysadm_t -> secsrv_t)");
    let mut avc: SecAvc<Ipc, 16, 2> = SecAvc::new(Ipc(sec.ep));
    let st = match avc.refresh() {
        Ok(s) => s,
        Err(e) => {
            t.check(false, &alloc::format!("secsrv status: {e}"));
            return;
        }
    };
    dprintln!("sectest: policy {} (model {}, seqno {}, enforcing {})", st.policy, st.model, st.seqno, st.enforcing);
    let me = avc.client().who_am_i().unwrap_or(0);
    let my_ctx = avc.client().sid_to_context(me).unwrap_or_default();
    t.check(my_ctx.starts_with("root:sysadm_r:sysadm_t"), &alloc::format!("secsrv knows us from the badge: {my_ctx}"));
    let cn = CNode(slot::CNODE);
    let sub = cn
        .mint(slots::EVENTS, 64, cn.path(slot::NOTIFICATION, 64), Rights::WRITE, EVENT_POLICY)
        .map_err(|_| Errno::EIO)
        .and_then(|_| Ipc(sec.ep).subscribe(slots::EVENTS));
    t.check(sub.is_ok(), "subscribe to policy changes");
    let mut cx = Ctx { ch, avc, me };
    let mut found = false;
    for _ in 0..5000 {
        if lookup(&mut cx.ch.clone_transport(), ECHO).is_ok() {
            found = true;
            break;
        }
        rampart_rt::ipc::yield_now();
    }
    t.check(found, "the echo service registered (as httpd_t)");
    let allow_all = st.model == "allow-all";
    match cx.ch.connect(ECHO, slots::ECHO) {
        Ok(c) => {
            dprintln!("sectest: connect {ECHO}: allowed");
            t.check(allow_all, "connect to sectest.echo allowed (expected only under allow-all)");
            echo_and_disconnect(t, &mut cx, c);
        }
        Err(e) => {
            dprintln!("sectest: connect {ECHO}: denied ({})", e.name());
            t.check(!allow_all && e == Errno::EACCES, "connect to sectest.echo denied with EACCES");
            let rec = find_audit(&mut cx, |e| e.object == ECHO && e.denied && e.perms == "connect");
            if let Some(r) = &rec {
                dprintln!("sectest: audit: {r}");
            }
            t.check(
                rec.is_some_and(|r| r.source == my_ctx && r.class == "service" && r.target.contains(":httpd_t")),
                "the denial left an audit record (source, target, class, permission, object)",
            );
            reload(t, &mut cx, &st.policy);
            permissive(t, &mut cx);
            crate::revoke::run(t, &mut cx, &st.policy);
            crate::shm_revoke::run(t, &mut cx, &st.policy);
        }
    }
    names_and_pool(t, &mut cx, allow_all, &my_ctx);
    booleans(t, &mut cx);
    exit_revokes(t, &mut cx);
    device_authority(t, allow_all);
    execute_no_trans(t, allow_all);
    crate::sealing::run(t, &mut cx, allow_all);
    if !allow_all {
        // rm's denials reach the audit trail like the object servers'.
        // The echo service tries its spawn after registering: wait for it.
        let mut rec = None;
        for _ in 0..200 {
            rec = find_audit(&mut cx, |e| e.denied && e.class == "process" && e.perms == "spawn");
            if rec.is_some() {
                break;
            }
            rampart_rt::ipc::yield_now();
        }
        if let Some(r) = &rec {
            dprintln!("sectest: audit: {r}");
        }
        t.check(
            rec.as_ref().is_some_and(|r| r.source.contains(":httpd_t") && r.reporter.contains(":rm_t")),
            "rm's refusal of httpd_t's spawn is in the audit trail (by rm_t)",
        );
        t.check(
            rec.is_some_and(|r| r.pid != 0 && r.time_ms >= 1_767_225_600_000),
            "rm's record names the subject's pid and secsrv's time",
        );
        forged_audit(t, &mut cx);
    }
    crate::bench::run(t, &mut cx);
}

/// Only object managers write the audit trail (`security audit_write`):
/// a record forged by sysadm_t (which may read the trail and load
/// policies) is refused, counted and never stored.
fn forged_audit(t: &mut T, cx: &mut Ctx) {
    let refused = |cx: &mut Ctx| cx.avc.client().audit_stats().map_or(u64::MAX, |s| s.refused);
    let before = refused(cx);
    let forged = AuditSubmit {
        ssid: cx.me,
        tsid: cx.me,
        class: 1,
        perms: 1,
        denied: true,
        enforced: true,
        object: "sectest-forged".into(),
        pid: 1,
        ..Default::default()
    };
    let r = cx.avc.client().audit(forged);
    let after = refused(cx);
    dprintln!("sectest: forged audit record: {r:?}, refused {before} -> {after}");
    t.check(
        r == Err(Errno::EACCES) && after == before + 1 && find_audit(cx, |e| e.object == "sectest-forged").is_none(),
        "a forged audit record from sysadm_t is refused (EACCES), counted and not stored",
    );
}

impl Ctx {
    /// Handles pending policy-change notifications: refreshes the AVC.
    /// Returns whether one was pending.
    pub fn events(&mut self) -> bool {
        let w = Notification(slot::NOTIFICATION).poll();
        if w & EVENT_POLICY != 0 {
            let _ = self.avc.refresh();
            return true;
        }
        false
    }
}

/// A copy of the channel to use as a connsrv transport.
pub trait CloneTransport {
    /// The copy.
    fn clone_transport(&self) -> Channel;
}

impl CloneTransport for Channel {
    fn clone_transport(&self) -> Channel {
        *self
    }
}

fn echo_and_disconnect(t: &mut T, cx: &mut Ctx, c: Connection) {
    dprintln!("sectest: echo connection number {}", c.conn);
    let r = call::<u64, EchoReply>(c.ep, &77);
    t.check(r.map(|x| (x.0, x.1)) == Ok((cx.me, 77)), "the service sees our SID in the connection badge");
    exited_client_is_forgotten(t, cx, c);
    let d = rampart_connsrv_api::client::disconnect(&mut cx.ch.clone_transport(), c.conn);
    t.check(d.is_ok(), "disconnect");
    let r = call::<u64, (u32, u64)>(c.ep, &78);
    t.check(r.is_err(), "a disconnected channel is revoked");
}

/// The newest audit record `f` accepts.
pub fn find_audit(cx: &mut Ctx, f: impl Fn(&AuditEntry) -> bool) -> Option<AuditEntry> {
    let mut from = 0;
    let mut last = None;
    for _ in 0..64 {
        let b = cx.avc.client().read_audit(from).ok()?;
        if b.records.is_empty() {
            break;
        }
        from = b.next;
        if let Some(e) = b.records.into_iter().rev().find(|e| f(e)) {
            last = Some(e);
        }
    }
    last
}

/// Reloads `allow-all`, checks, and reloads `boot` (the boot policy).
fn reload(t: &mut T, cx: &mut Ctx, boot: &str) {
    let mut c = cx.avc.client();
    let (Ok(class), Ok(echo_ctx)) = (c.class_id("service"), lookup(&mut cx.ch.clone_transport(), ECHO)) else {
        t.check(false, "service class and echo context");
        return;
    };
    let connect = c.perms(class, &["connect"]).unwrap_or(0);
    let echo = c.context_to_sid(&echo_ctx).unwrap_or(0);
    let me = cx.me;
    let denied = cx.avc.check(me, echo, class, connect, ECHO) == Err(Errno::EACCES);
    let hits = cx.avc.avc.stats().hits;
    let again = cx.avc.check(me, echo, class, connect, ECHO) == Err(Errno::EACCES);
    t.check(denied && again && cx.avc.avc.stats().hits == hits + 1, "our AVC caches the denial");
    let seq = cx.avc.avc.seqno();
    let st = cx.avc.client().load_policy("allow-all");
    t.check(st.as_ref().is_ok_and(|s| s.model == "allow-all"), "reload allow-all at run time (load_policy)");
    t.check(cx.events(), "secsrv signalled the policy change");
    t.check(cx.avc.avc.seqno() > seq, &alloc::format!("the AVC saw the new seqno ({} > {seq})", cx.avc.avc.seqno()));
    let misses = cx.avc.avc.stats().misses;
    let ok = cx.avc.check(me, echo, class, connect, ECHO) == Ok(());
    t.check(ok && cx.avc.avc.stats().misses == misses + 1, "the stale denial is gone (answered by secsrv)");
    match cx.ch.connect(ECHO, slots::ECHO) {
        Ok(c) => {
            dprintln!("sectest: connect {ECHO} after reload: allowed");
            t.check(true, "connsrv applies the reloaded policy");
            echo_and_disconnect(t, cx, c);
        }
        Err(e) => t.check(false, &alloc::format!("connect after reload: {e}")),
    }
    let back = cx.avc.client().load_policy(boot);
    cx.events();
    t.check(back.is_ok(), &alloc::format!("reload {boot}"));
    let r = cx.ch.connect(ECHO, slots::ECHO).map(|_| ());
    t.check(r == Err(Errno::EACCES), &alloc::format!("denied again after reloading {boot}"));
}

fn permissive(t: &mut T, cx: &mut Ctx) {
    let r = cx.avc.client().set_enforce(false);
    cx.events();
    t.check(r.is_ok_and(|s| !s.enforcing), "setenforce 0");
    let c = cx.ch.connect(ECHO, slots::ECHO);
    t.check(c.is_ok(), "permissive: the denied connect goes through");
    let mut token = false;
    if let Ok(c) = c {
        token = crate::shm::take_token(t, &c);
        let _ = rampart_connsrv_api::client::disconnect(&mut cx.ch.clone_transport(), c.conn);
    }
    let rec = find_audit(cx, |e| e.object == ECHO && e.denied && !e.enforced);
    t.check(rec.is_some(), "... and is audited as a permissive denial");
    let r = cx.avc.client().set_enforce(true);
    cx.events();
    t.check(r.is_ok_and(|s| s.enforcing), "setenforce 1");
    t.check(cx.ch.connect(ECHO, slots::ECHO).map(|_| ()) == Err(Errno::EACCES), "enforcing again");
    if token {
        crate::shm::map_refused(t, cx);
    }
}

/// A child calls the echo service (which keeps state for it, keyed by
/// badge) and exits: connsrv signals the service, which takes the closure
/// and forgets the child; its number stays reserved until then.
fn exited_client_is_forgotten(t: &mut T, cx: &mut Ctx, c: Connection) {
    let req = Spawn {
        image: Some(Image::Bootfs("sectest".into())),
        argv: alloc::vec!["sectest".into(), "child".into(), "echo".into()],
        ..Default::default()
    };
    let st = rampart_rt::rm::spawn(req).and_then(|pid| rampart_rt::rm::wait(Some(pid), true));
    t.check(
        matches!(st, Ok(Some((_, ExitStatus::Exited(0))))),
        &alloc::format!("a child called the echo service and exited ({st:?})"),
    );
    let mut clients = 0;
    for _ in 0..2000 {
        clients = call::<u64, EchoReply>(c.ep, &79).map_or(0, |x| x.2);
        if clients == 1 {
            break;
        }
        rampart_rt::ipc::yield_now();
    }
    t.check(clients == 1, &alloc::format!("the echo service forgot the exited client ({clients} client(s) left)"));
    let pending = rampart_connsrv_api::client::stats(&mut cx.ch.clone_transport()).map(|s| s.pending_closed);
    t.check(pending == Ok(0), &alloc::format!("no closure left untaken ({pending:?})"));
}

/// Service names are bound to domains and connsrv's endpoint pool is
/// refilled: the echo service (`httpd_t`) registered [`POOL_NAMES`] more
/// names than the boot pool holds (then [`POOL_DONE`]), its attempt at
/// `security` was refused and audited, and ours (`sysadm_t`) at `fs` too
/// (both allowed under `allow-all`).
fn names_and_pool(t: &mut T, cx: &mut Ctx, allow_all: bool, my_ctx: &str) {
    let found = (0..5000).any(|_| {
        let ok = lookup(&mut cx.ch.clone_transport(), POOL_DONE).is_ok();
        if !ok {
            rampart_rt::ipc::yield_now();
        }
        ok
    });
    let st = rampart_connsrv_api::client::stats(&mut cx.ch.clone_transport());
    t.check(
        found,
        &alloc::format!(
            "{POOL_NAMES} more services registered past connsrv's boot pool of 32 ({:?} services, {:?} fresh endpoints)",
            st.map(|s| s.services),
            st.map(|s| s.endpoints)
        ),
    );
    let r = cx.ch.register("fs", slots::SQUAT);
    dprintln!("sectest: register fs: {}", r.map_or_else(|e| e.name(), |_| "allowed"));
    if allow_all {
        t.check(r.is_ok(), "allow-all: any domain may register any free name");
        let _ = cx.ch.call_cap(&rampart_connsrv_api::Request::Unregister { name: "fs".into() }, slots::SQUAT);
        return;
    }
    t.check(r.map(|_| ()) == Err(Errno::EACCES), "sysadm_t may not register the file server's name");
    let rec = find_audit(cx, |e| e.object == "fs" && e.denied && e.perms == "register");
    if let Some(r) = &rec {
        dprintln!("sectest: audit: {r}");
    }
    t.check(
        rec.is_some_and(|r| r.source == my_ctx && r.target.contains(":fs_service_t") && r.class == "service"),
        "the refused registration left an audit record (target: the name's context)",
    );
    let rec = find_audit(cx, |e| e.object == "security" && e.denied && e.perms == "register");
    t.check(
        rec.is_some_and(|r| r.source.contains(":httpd_t") && r.target.contains(":security_service_t")),
        "the echo service (httpd_t) could not squat the security server's name",
    );
}

/// A child that exits holding a channel and a connection loses both: rm
/// tells connsrv, connsrv revokes (its live-connection count is back).
fn exit_revokes(t: &mut T, cx: &mut Ctx) {
    let before = rampart_connsrv_api::client::stats(&mut cx.ch.clone_transport()).map(|s| s.connections);
    let req = Spawn {
        image: Some(Image::Bootfs("sectest".into())),
        argv: alloc::vec!["sectest".into(), "child".into()],
        ..Default::default()
    };
    let st = rampart_rt::rm::spawn(req).and_then(|pid| rampart_rt::rm::wait(Some(pid), true));
    t.check(
        matches!(st, Ok(Some((_, ExitStatus::Exited(0))))),
        "a child (spawned through rm) got a connsrv channel in slot 3 and connected",
    );
    let after = rampart_connsrv_api::client::stats(&mut cx.ch.clone_transport()).map(|s| s.connections);
    t.check(before.is_ok() && before == after, &alloc::format!("its exit revoked them ({before:?} -> {after:?})"));
}

/// A program that stays in its caller's domain needs `file
/// execute_no_trans` on its file: sysadm_t may run a `bin_t` program, not
/// one labelled `secret_t`.
fn execute_no_trans(t: &mut T, allow_all: bool) {
    let spawn = |exec: &str| {
        let req = Spawn {
            image: Some(Image::Bootfs("sectest".into())),
            argv: alloc::vec!["sectest".into(), "child".into()],
            exec_context: Some(exec.into()),
            ..Default::default()
        };
        rampart_rt::rm::spawn(req).and_then(|pid| rampart_rt::rm::wait(Some(pid), true)).map(|_| ())
    };
    let bin = spawn("system_u:object_r:bin_t");
    let secret = spawn("system_u:object_r:secret_t");
    t.check(bin.is_ok(), &alloc::format!("a bin_t program runs in sysadm_t ({bin:?})"));
    let want = if allow_all { Ok(()) } else { Err(Errno::EACCES) };
    t.check(secret == want, &alloc::format!("a secret_t program does not (execute_no_trans: {secret:?})"));
}

/// Device authority is the policy's `resource map_device`, not "started
/// by init" (which this process is): sysadm_t has none.
fn device_authority(t: &mut T, allow_all: bool) {
    let me = rampart_rt::process::pid();
    let r = rampart_rt::rm::device_grant(me);
    dprintln!("sectest: DeviceGrant as an init-started sysadm_t task: {r:?}");
    // Authorised (allow-all), the grant fails only for naming no child.
    let want = if allow_all { Errno::ESRCH } else { Errno::EPERM };
    t.check(r == Err(want), &alloc::format!("device authority from the policy's map_device alone ({r:?})"));
}

fn booleans(t: &mut T, cx: &mut Ctx) {
    let before = cx.avc.avc.seqno();
    let r = cx.avc.client().set_bool("allow_user_network", false);
    cx.events();
    t.check(r.is_ok_and(|s| s.seqno > before) && cx.avc.avc.seqno() > before, "setbool bumps the seqno");
    let _ = cx.avc.client().set_bool("allow_user_network", true);
    cx.events();
    t.check(cx.avc.client().set_bool("no_such_bool", true) == Err(Errno::ENOENT), "unknown boolean");
}
