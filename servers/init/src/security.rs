//! init's part in the security architecture (docs/security-architecture.md
//! §6): starting the security server and the connection server right after
//! rm, and giving the programs init starts their connsrv channel.
//!
//! Boot sequence:
//! 1. init creates secsrv's endpoint, starts secsrv with it, uploads every
//!    boot module `policy.NAME` through its boot channel
//!    ([`rampart_secsrv_api::INIT_BADGE`]) and loads the one the kernel
//!    command line names (`policy=NAME`, default `te`; `enforcing=0`
//!    boots permissive).
//! 2. init creates connsrv's endpoint, starts connsrv with it, and over its
//!    trusted channel ([`rampart_connsrv_api::TRUSTED_INIT`]) hands it its
//!    channel to secsrv (badged with connsrv's SID), a pool of fresh
//!    endpoints for services, a badged copy of init's notification
//!    ([`EVENT_POOL`]) that connsrv signals when the pool runs low (init
//!    then gives [`POOL_REFILL`] more: [`Core::refill`]), and a send
//!    capability to secsrv's endpoint as the core service `security`
//!    (connsrv never gets a receive right on it). From then on only
//!    connsrv hands out service endpoints.
//! 3. init gives rm its trusted channel to connsrv
//!    ([`rampart_connsrv_api::TRUSTED_RM`], rm-api `SetConnsrv`): from then
//!    on rm asks connsrv for a channel (slot 3) for every task it creates,
//!    with the task's context, and tells connsrv when a task ends.
//! 4. Programs init starts run in the context init chooses
//!    (`init.context=CTX` for the first program, default
//!    `root:sysadm_r:sysadm_t`; `init.secure=PROG[:ARG]@CTX,...` starts
//!    more programs, e.g. test services): rm-api `Spawn::context`.
//!
//! secsrv and connsrv are started unsupervised (their faults end them and
//! are reported by rm): a supervised spawn would need a second capability
//! in the spawn request.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use rampart_abi::Rights;
use rampart_abi::bootfs::Bootfs;
use rampart_connsrv_api::rt::Channel;
use rampart_connsrv_api::{BOOT_CONN, ConnBadge, Request as CReq, TRUSTED_INIT, TRUSTED_RM};
use rampart_rm_api::{Image, Pid, Request as RmRequest, Response as RmResponse, Spawn};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::{CPtr, Endpoint};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::call_with_caps;
use rampart_secsrv_api::INIT_BADGE;
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;

/// The servers this module starts (skipped by the generic start table).
pub const CORE: &[&str] = &["secsrv", "connsrv"];
/// secsrv's context.
pub const SECSRV_CONTEXT: &str = "system_u:system_r:secsrv_t";
/// rm's context (its secsrv channel is badged with its SID).
pub const RM_CONTEXT: &str = "system_u:system_r:rm_t";
/// connsrv's context.
pub const CONNSRV_CONTEXT: &str = "system_u:system_r:connsrv_t";
/// Default context of the first program.
pub const FIRST_CONTEXT: &str = "root:sysadm_r:sysadm_t";
/// Fresh endpoints given to connsrv at boot (one per service registration).
pub const ENDPOINT_POOL: usize = 32;
/// Fresh endpoints init gives connsrv each time it says its pool is low.
pub const POOL_REFILL: usize = 16;
/// Badge bit of init's notification that connsrv signals when its endpoint
/// pool runs low (`rampart_uabi::startup::EVENT_CHILD` is bit 0).
pub const EVENT_POOL: u64 = 1 << 1;
/// log2 slots of connsrv's CNode.
const CONNSRV_RADIX: u8 = 14;
/// secsrv's heap (4 KiB pages), fixed: it never grows, so secsrv never
/// calls rm (which calls secsrv). What it holds and why it fits:
/// `rampart_secsrv_api::HEAP_BYTES`.
const SECSRV_HEAP_PAGES: u32 = (rampart_secsrv_api::HEAP_BYTES / 4096) as u32;
/// connsrv's initial heap (4 KiB pages).
const CONNSRV_HEAP_PAGES: u32 = 256;

/// The running core.
pub struct Core {
    /// init's trusted channel to connsrv (core services, e.g. the device
    /// manager's; refilling the endpoint pool).
    pub connsrv: Channel,
    /// `init.audit.plant=1`: a channel to the security server for the first
    /// program, which the policy does not allow (`crate::audit`).
    pub planted: Option<CPtr>,
    /// init's boot channel to the security server.
    pub secsrv: Endpoint,
    /// The pids and names of secsrv and connsrv: servers the system cannot
    /// run without (every decision and every channel goes through them),
    /// so their end stops the machine (`crate::supervise::run`).
    pub trusted: [(Pid, &'static str); 2],
}

fn option<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    cmdline.split_whitespace().rev().find_map(|w| w.strip_prefix(key))
}

fn spawn_with(req: Spawn, cap: CPtr) -> Result<Pid, String> {
    let name = match &req.image {
        Some(Image::Bootfs(n)) => n.clone(),
        _ => String::new(),
    };
    match call_with_caps::<_, RmResponse>(rampart_rt::rm::channel(), &RmRequest::Spawn(req), &[cap]) {
        Ok((RmResponse::Spawned { pid }, _)) => Ok(pid),
        Ok((RmResponse::Err(e), _)) => Err(alloc::format!("cannot start {name}: {e}")),
        Ok(_) => Err(alloc::format!("cannot start {name}: unexpected reply")),
        Err(e) => Err(alloc::format!("cannot start {name}: {}", e.errno())),
    }
}

/// A core server's spawn request. rm calls connsrv (and connsrv and rm
/// call secsrv) while creating and destroying tasks, and growing a heap
/// means calling rm, which would close a wait cycle: secsrv's heap is
/// `fixed` (it cannot grow at all); connsrv's is large enough that it
/// never has to grow while answering.
fn server(name: &str, argv: Vec<String>, radix: Option<u8>, (heap_pages, fixed): (u32, bool), context: &str) -> Spawn {
    Spawn {
        fixed_heap: fixed,
        image: Some(Image::Bootfs(name.into())),
        argv,
        cap_name: Some("endpoint".into()),
        priority: Some(200),
        cnode_radix: radix,
        heap_pages: Some(heap_pages),
        context: Some(context.into()),
        ..Default::default()
    }
}

/// Starts secsrv and connsrv (see the module documentation); `events` is
/// init's bound notification. `Ok(None)` if their boot modules are absent.
///
/// # Errors
/// A message if a step fails (the system then runs without them).
pub fn start(fs: &Bootfs, alloc: &mut Allocator, cmdline: &str, events: CPtr) -> Result<Option<Core>, String> {
    if CORE.iter().any(|n| fs.find(n).is_none()) {
        return Ok(None);
    }
    fn e(w: &'static str) -> impl Fn(rampart_abi::Error) -> String {
        move |x| alloc::format!("{w}: {x}")
    }
    let policy = option(cmdline, "policy=").unwrap_or("te");
    // init's channels may send and pass capabilities, never receive.
    let rights = Rights(Rights::WRITE.0 | Rights::GRANT.0 | Rights::GRANT_REPLY.0);
    // 1. secsrv.
    let s = alloc.endpoint().map_err(e("secsrv endpoint"))?;
    let s_init = alloc.mint(s.0, rights, INIT_BADGE).map_err(e("secsrv boot channel"))?;
    let s_give = alloc.copy(s.0, Rights::ALL).map_err(e("secsrv endpoint copy"))?;
    let planted = match crate::audit::plant_requested(cmdline) {
        true => Some(alloc.mint(s.0, Rights::WRITE, crate::audit::PLANT_BADGE).map_err(e("planted channel"))?),
        false => None,
    };
    let mut argv = alloc::vec!["secsrv".to_string(), SECSRV_CONTEXT.to_string()];
    if option(cmdline, "enforcing=") == Some("0") {
        argv.push("permissive".into());
    }
    let spid = spawn_with(server("secsrv", argv, None, (SECSRV_HEAP_PAGES, true), SECSRV_CONTEXT), s_give)?;
    forget(s_give);
    let mut sec = Client(Ipc(Endpoint(s_init)));
    for m in fs.iter() {
        if let Some(n) = m.name.strip_prefix("policy.") {
            sec.put_policy(n, m.data).map_err(|x| alloc::format!("uploading policy {n}: {x}"))?;
        }
    }
    let st = sec.load_policy(policy).map_err(|x| alloc::format!("loading policy {policy}: {x}"))?;
    dprintln!("init: security server up (pid {spid}), policy {} (model {}, seqno {})", st.policy, st.model, st.seqno);

    // 2. connsrv.
    let c = alloc.endpoint().map_err(e("connsrv endpoint"))?;
    let c_init = alloc.mint(c.0, rights, TRUSTED_INIT).map_err(e("connsrv trusted channel"))?;
    let c_give = alloc.copy(c.0, Rights::ALL).map_err(e("connsrv endpoint copy"))?;
    let mut argv = alloc::vec!["connsrv".to_string(), CONNSRV_RADIX.to_string()];
    // `connsrv.first=N`: the first connection number (tests force a wrap).
    argv.extend(option(cmdline, "connsrv.first=").map(String::from));
    let req = server("connsrv", argv, Some(CONNSRV_RADIX), (CONNSRV_HEAP_PAGES, false), CONNSRV_CONTEXT);
    let cpid = spawn_with(req, c_give)?;
    forget(c_give);
    let ch = Channel(Endpoint(c_init));
    let give = |req: &CReq, cap: CPtr| ch.call_giving(req, cap).map_err(|x| alloc::format!("connsrv {req:?}: {x}"));
    let csid = sec.context_to_sid(CONNSRV_CONTEXT).map_err(|x| alloc::format!("connsrv context: {x}"))?;
    let badge = ConnBadge { conn: BOOT_CONN, sid: csid }.encode().ok_or("connsrv badge")?;
    let link = alloc.mint(s.0, rights, badge).map_err(e("connsrv's secsrv channel"))?;
    give(&CReq::SetSecurity { sid: csid }, link)?;
    forget(link);
    for _ in 0..ENDPOINT_POOL {
        let ep = alloc.endpoint().map_err(e("service endpoint"))?;
        give(&CReq::GiveEndpoint, ep.0)?;
        forget(ep.0);
    }
    let low = alloc.mint(events, Rights::WRITE, EVENT_POOL).map_err(e("pool notification"))?;
    give(&CReq::WatchPool, low)?;
    forget(low);
    // connsrv mints connections from it and never receives on it.
    let s_reg = alloc.copy(s.0, rights).map_err(e("secsrv endpoint copy"))?;
    let req = CReq::RegisterCore { name: rampart_connsrv_api::SECURITY_SERVICE.into(), context: SECSRV_CONTEXT.into() };
    give(&req, s_reg)?;
    forget(s_reg);
    // 3. rm gives every task it creates from now on a connsrv channel in
    // slot 3 and tells connsrv when a task ends.
    let c_rm = alloc.mint(c.0, rights, TRUSTED_RM).map_err(e("rm's connsrv channel"))?;
    let set = RmRequest::SetConnsrv { pid: cpid };
    match call_with_caps::<_, RmResponse>(rampart_rt::rm::channel(), &set, &[c_rm]) {
        Ok((RmResponse::Ok, _)) => {}
        r => return Err(alloc::format!("rm refused its connsrv channel: {:?}", r.map(|x| x.0))),
    }
    forget(c_rm);
    // 4. rm's channel to secsrv, badged with rm's SID (exec type
    // transitions, `process signal` for kills by servers).
    let rsid = sec.context_to_sid(RM_CONTEXT).map_err(|x| alloc::format!("rm context: {x}"))?;
    let rbadge = ConnBadge { conn: BOOT_CONN, sid: rsid }.encode().ok_or("rm badge")?;
    let rm_sec = alloc.mint(s.0, rights, rbadge).map_err(e("rm's secsrv channel"))?;
    match call_with_caps::<_, RmResponse>(rampart_rt::rm::channel(), &RmRequest::SetSecsrv { pid: spid }, &[rm_sec]) {
        Ok((RmResponse::Ok, _)) => {}
        r => return Err(alloc::format!("rm refused its secsrv channel: {:?}", r.map(|x| x.0))),
    }
    forget(rm_sec);
    // The endpoints themselves: init never receives on them.
    forget(s.0);
    forget(c.0);
    dprintln!("init: connection server up (pid {cpid}); service endpoints go through it from now on");
    Ok(Some(Core { connsrv: ch, planted, secsrv: Endpoint(s_init), trusted: [(spid, "secsrv"), (cpid, "connsrv")] }))
}

/// Deletes init's copy of a capability it handed over or no longer needs
/// (a capability sent in a message is copied): after boot init holds no
/// receive right to another task's endpoint and no channel badged for
/// someone else (docs/assurance.md §8).
pub fn forget(cap: CPtr) {
    let _ = rampart_rt::cap::CNode(rampart_abi::bootinfo::slot::CNODE).delete(cap, 64);
}

impl Core {
    /// Gives connsrv [`POOL_REFILL`] fresh endpoints (it signalled
    /// [`EVENT_POOL`]). The slots are reused; the memory (16 bytes an
    /// endpoint) comes from init's untyped. A failure is logged.
    pub fn refill(&self, alloc: &mut Allocator) {
        for _ in 0..POOL_REFILL {
            let mark = alloc.mark();
            let r = alloc.endpoint().map_err(|x| alloc::format!("{x}")).and_then(|ep| {
                let r = self.connsrv.call_giving(&CReq::GiveEndpoint, ep.0).map_err(|x| alloc::format!("{x}"));
                forget(ep.0);
                r
            });
            alloc.reset_to(mark);
            if let Err(x) = r {
                rampart_rt::pr_err!("init: cannot refill connsrv's endpoint pool: {x}");
                return;
            }
        }
    }

    /// Starts `req` in `context`: rm records the context and asks connsrv
    /// for the task's channel (slot 3); returns the pid.
    ///
    /// # Errors
    /// A message if rm refuses the spawn.
    pub fn spawn(&self, _alloc: &mut Allocator, mut req: Spawn, context: &str) -> Result<Pid, String> {
        req.context = Some(context.into());
        rampart_rt::rm::spawn(req).map_err(|x| alloc::format!("cannot start a program as {context}: {x}"))
    }

    /// Starts the `init.secure=PROG[:ARG]@CTX,...` programs; with
    /// `init.secure=@MODULE` the list is boot module `MODULE`, one
    /// `PROG[:ARG]@CTX` per line (a list longer than the command line's
    /// 256 bytes, e.g. tests/tests/decisions.rs's probes).
    pub fn start_secure(&self, alloc: &mut Allocator, cmdline: &str, bootfs: &Bootfs<'_>) {
        let Some(list) = option(cmdline, "init.secure=") else { return };
        let list = match list.strip_prefix('@') {
            Some(module) => match bootfs.find(module).map(|f| core::str::from_utf8(f.data)) {
                Some(Ok(text)) => text,
                _ => {
                    dprintln!("init: init.secure=@{module}: no such boot module (or not text)");
                    return;
                }
            },
            None => list,
        };
        for item in list.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
            let Some((prog, ctx)) = item.split_once('@') else { continue };
            let (name, arg) = prog.split_once(':').map_or((prog, None), |(n, a)| (n, Some(a)));
            let mut argv = alloc::vec![name.to_string()];
            argv.extend(arg.map(String::from));
            let req = Spawn { image: Some(Image::Bootfs(name.into())), argv, ..Default::default() };
            match self.spawn(alloc, req, ctx) {
                Ok(pid) => dprintln!("init: started {name} (pid {pid}) as {ctx}"),
                Err(x) => dprintln!("init: {x}"),
            }
        }
    }

    /// Logs the security server's SID statistics after `when` (at the
    /// start and the end of the session: tests/tests/sids.rs reads them).
    pub fn report_sids(&self, when: &str) {
        match Client(Ipc(self.secsrv)).sid_stats() {
            Ok(st) => dprintln!(
                "init: {when}; security server: {} SIDs in use (peak {} of {}), {} refused for SID limits",
                st.live,
                st.peak,
                rampart_secsrv_api::SID_CAPACITY,
                st.refusals
            ),
            Err(e) => dprintln!("init: {when}; security server status: {e}"),
        }
    }

    /// The first program's context (`init.context=`).
    pub fn first_context(cmdline: &str) -> &str {
        option(cmdline, "init.context=").unwrap_or(FIRST_CONTEXT)
    }
}
