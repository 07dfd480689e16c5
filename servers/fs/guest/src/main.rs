//! The file server (docs/storage.md): the `rampart-fs` core over the root
//! disk, registered as service "fs" with the connection server.
//!
//! - Connections: every client reaches the server through a badge minted by
//!   connsrv, which carries the client's SID ([`ConnBadge`]); the first
//!   request of a new badge creates the connection in the core, and the
//!   state is keyed by the whole badge ([`Clients`]), never by the
//!   connection number alone. Connections closed by connsrv (client
//!   exited) are taken when connsrv signals them
//!   ([`rampart_connsrv_api::EVENT_CLOSED`]) and every [`CLOSED_POLL`]
//!   requests; connsrv does not reuse a number until it has been taken.
//! - Shared regions: `AttachRegion` carries an rm region token; the server
//!   maps the region through rm and uses it for the connection's bulk data.
//! - Handle tokens: `ShareHandle` replies with a capability to the server's
//!   endpoint badged with the token; `AdoptToken` receives it unwrapped.
//! - Mediation: the core's AVC asks the security server ([`sec::SecIpc`]);
//!   denials are printed on the debug console and submitted to secsrv's
//!   audit trail.
//! - The root disk is the virtio-blk device `blk0`, reached through the
//!   device manager and its driver's shared queues ([`disk`]).
//! - `/dev` is the core's device volume, its random nodes seeded from
//!   `RDSEED`/`RDRAND`/the TSC ([`entropy`]).
#![no_std]
#![no_main]

extern crate alloc;

mod disk;
// RDRAND and RDSEED (`target_feature` intrinsics, checked with CPUID first).
#[allow(unsafe_code)]
mod entropy;
mod sec;

use rampart_connsrv_api::clients::Clients;
use rampart_connsrv_api::rt::Channel;
use rampart_connsrv_api::{ConnBadge, EVENT_CLOSED};
use rampart_fs::{Config, ConnId, FileServer, Volume, WallClock};
use rampart_fs_api::{PathArg, Request, Response, Target};
use rampart_rt::cap::{CNode, CPtr, Endpoint, Reply};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::{Message, Outgoing};
use rampart_rt::rm::Region;
use rampart_rt::server::{Action, Server};
use rampart_rt::shared::SharedBytes;
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

/// Requests between two polls for closed connections.
pub const CLOSED_POLL: u32 = 32;
const CNODE: CNode = CNode(slot::CNODE);

fn now() -> i64 {
    rampart_rt::clock::unix_time()
}

struct Fs {
    /// On the heap: the core is ~10 KiB, and copies of it in `main`'s frame
    /// left too little of the 64 KiB stack for mounting a disk.
    core: alloc::boxed::Box<FileServer<alloc::boxed::Box<dyn Volume>, sec::SecIpc>>,
    conns: Clients<(ConnId, Option<Region>)>,
    ch: Channel,
    ep: Endpoint,
    token_slot: CPtr,
    recv: CPtr,
    requests: u32,
    audit: Ipc,
    /// Clients' pids for the audit trail, asked of connsrv (`WhoIs`) when
    /// a connection's first denial is reported, never on the fast path.
    pids: Clients<u32>,
    /// The path the current request names (reused buffer), the object of
    /// its audit records.
    path: alloc::string::String,
}

/// The path `req` names (its first one), for the audit trail.
fn request_path(req: &Request) -> Option<&PathArg> {
    match req {
        Request::Open { path, .. }
        | Request::ReadLink { path, .. }
        | Request::Mkdir { path, .. }
        | Request::Rmdir { path, .. }
        | Request::Unlink { path, .. }
        | Request::Mount { path, .. }
        | Request::Unmount { path, .. } => Some(path),
        Request::Symlink { link, .. } => Some(link),
        Request::Rename { from, .. } => Some(from),
        Request::Stat { target: Target::Path { path, .. } }
        | Request::Truncate { target: Target::Path { path, .. }, .. }
        | Request::SetAttr { target: Target::Path { path, .. }, .. }
        | Request::GetCon { target: Target::Path { path, .. } } => Some(path),
        _ => None,
    }
}

fn main() -> i32 {
    // Free slots, also used by the mounter after start.
    let next = alloc::rc::Rc::new(core::cell::Cell::new(slot::FIRST_FREE));
    let slot = || {
        let s = next.get();
        next.set(s + 1);
        s
    };
    let ch = Channel::own();
    let secure = match ch.connect(rampart_connsrv_api::SECURITY_SERVICE, slot()) {
        Ok(c) => Ipc(c.ep),
        Err(e) => {
            rampart_rt::pr_err!("fs: no security server: {e}");
            return 1;
        }
    };
    let (devmgr, dev) = match disk::open(&ch, [slot(), slot(), slot(), slot()]) {
        Ok(d) => d,
        Err(e) => {
            rampart_rt::pr_err!("fs: no root disk (virtio-blk {}): {e} (errno {})", disk::ROOT, e.0);
            return 2;
        }
    };
    let mib = rampart_fs::BlockDevice::sector_count(&dev) >> 11;
    let ahead = rampart_fs::ReadAhead::new(dev.clone(), rampart_fs::readahead::WINDOW_SECTORS);
    let vol = match rampart_fs::mount(ahead, WallClock(now), false) {
        Ok(v) => v,
        Err(e) => {
            // Named, never a bare number: the one errno table has them all.
            let hint = match e {
                rampart_fs_api::errno::EUCLEAN => ": the file system is corrupt; check the disk with e2fsck",
                rampart_fs_api::errno::ENOTSUP => ": it uses ext4 features the server cannot serve",
                _ => "",
            };
            rampart_rt::pr_emerg!("fs: cannot mount the root file system (blk0): {e}{hint}; no files will be served");
            return 3;
        }
    };
    let ro = vol.read_only();
    let mut core = match FileServer::new(vol, sec::SecIpc(secure), Config::default()) {
        Ok(c) => alloc::boxed::Box::new(c),
        Err(e) => {
            dprintln!("fs: policy lacks the file vocabulary: {e:?}");
            return 4;
        }
    };
    let (seed, source) = entropy::seed();
    match core.serve_devices(rampart_fs::DevFs::new(seed, Some(entropy::fresh), WallClock(now))) {
        Ok(()) => dprintln!("fs: /dev served, random seeded from {}", source.name()),
        Err(e) => rampart_rt::pr_err!("fs: cannot serve /dev: {e:?}"),
    }
    let mut disks = disk::Disks::new(devmgr, dev, next.clone());
    core.set_mounter(alloc::boxed::Box::new(move |name, read_only| {
        let d = rampart_fs::ReadAhead::new(disks.get(name)?, rampart_fs::readahead::WINDOW_SECTORS);
        let r = rampart_fs::mount(d, WallClock(now), read_only);
        match &r {
            Ok(_) => dprintln!("fs: mounted {name}"),
            Err(e) => rampart_rt::pr_err!("fs: cannot mount {name}: {e:?}"),
        }
        r
    }));
    // Reloads, boolean and mode changes reach the object manager through
    // the notification (docs/security-architecture.md, "Policy changes").
    if let Err(e) = rampart_secsrv_api::rt::subscribe_policy_changes(secure, slot()) {
        rampart_rt::pr_err!("fs: cannot subscribe to policy changes: {e}");
        return 6;
    }
    let ep = match ch.register("fs", slot()) {
        Ok(ep) => ep,
        Err(e) => {
            rampart_rt::pr_err!("fs: cannot register: {e}");
            return 5;
        }
    };
    if let Err(e) = ch.watch_closed_events(slot()) {
        dprintln!("fs: closed connections will only be polled: {e}");
    }
    dprintln!("fs: root file system mounted ({mib} MiB, {}), serving \"fs\"", if ro { "read-only" } else { "ext4 rw" });
    let mut fs = Fs {
        core,
        conns: Clients::new(),
        ch,
        ep,
        token_slot: slot(),
        recv: slot(),
        requests: 0,
        audit: secure,
        pids: Clients::new(),
        path: alloc::string::String::new(),
    };
    let mut server = Server::new(ep, Reply(slot::REPLY));
    server.set_receive_slot(CNODE, fs.recv);
    server.run(&mut |s, m| fs.handle(s, m))
}

/// Images for the resource manager to seal (`ExecImage`): a region of
/// the server's own, which rm takes away at the seal.
struct RmSealer(Option<Region>);

impl rampart_fs::Sealer for RmSealer {
    fn buffer(&mut self, len: u64) -> Result<&mut [u8], rampart_fs_api::Errno> {
        let r = rampart_rt::rm::region_alloc(len).map_err(|e| rampart_fs_api::Errno(e.0))?;
        self.0 = Some(r);
        // SAFETY: a fresh region mapped read-write into this server alone
        // (no token made for it), `bytes` long; the slice is used only
        // until `seal` or `discard`, which end the mapping.
        #[allow(unsafe_code)]
        Ok(unsafe { core::slice::from_raw_parts_mut(r.vaddr as *mut u8, r.bytes as usize) })
    }

    fn seal(&mut self, len: u64, file_sid: u32, subject_sid: u32) -> Result<u64, rampart_fs_api::Errno> {
        let r = self.0.take().ok_or(rampart_fs_api::Errno::EIO)?;
        let sealed = rampart_rt::rm::seal_image(r.id, len, file_sid, subject_sid);
        if sealed.is_err() {
            // Refused before rm took it (or already gone): free it.
            let _ = rampart_rt::rm::region_free(r.id);
        }
        sealed.map_err(|e| rampart_fs_api::Errno(e.0))
    }

    fn discard(&mut self) {
        if let Some(r) = self.0.take() {
            let _ = rampart_rt::rm::region_free(r.id);
        }
    }
}

impl Fs {
    fn handle(&mut self, _s: &mut Server, m: &Message) -> Action {
        if ConnBadge::decode(m.badge).is_none() {
            // A notification (the disk driver's signal while the server
            // waits for requests, secsrv's policy change, connsrv's closed
            // connections) or a stray message: nothing to answer.
            if m.label() == 0 {
                if m.badge & rampart_secsrv_api::EVENT_POLICY != 0
                    && let Err(e) = self.core.mac.policy_changed()
                {
                    rampart_rt::pr_err!("fs: cannot refresh after a policy change: {e}");
                }
                if m.badge & EVENT_CLOSED != 0 {
                    self.collect_closed();
                }
                return Action::NoReply;
            }
            return Action::reply(&Response::Err(rampart_fs_api::Errno::EBADF));
        }
        self.requests = self.requests.wrapping_add(1);
        if self.requests.is_multiple_of(CLOSED_POLL) {
            self.collect_closed();
        }
        let req: Request = match m.decode() {
            Ok(r) => r,
            Err(e) => return Action::reply(&Response::Err(rampart_fs_api::Errno(e.errno().0))),
        };
        let core = &mut self.core;
        let Some(entry) = self.conns.entry(m.badge, |b| (core.connect(b.sid), None)) else {
            return Action::reply(&Response::Err(rampart_fs_api::Errno::EBADF));
        };
        let conn = entry.0;
        if let Request::AttachRegion { .. } = req {
            if !m.received_cap() {
                return Action::reply(&Response::Err(rampart_fs_api::Errno::EINVAL));
            }
            match rampart_rt::rm::region_map(self.recv) {
                Ok(r) => {
                    if let Some(old) = entry.1.replace(r) {
                        let _ = rampart_rt::rm::region_free(old.id);
                    }
                }
                Err(e) => return Action::reply(&Response::Err(rampart_fs_api::Errno(e.0))),
            }
        }
        let mut region = match entry.1 {
            #[allow(unsafe_code)] // a view of the region (SharedBytes::new's contract)
            // SAFETY: the region was mapped for this connection by rm, `bytes`
            // long, and is only unmapped here (replaced or on disconnect),
            // never while a request is handled. The view copies in and out
            // (the client may write the region at any moment).
            Some(r) => unsafe { SharedBytes::new(r.vaddr as *mut u8, r.bytes as usize) },
            // SAFETY: an empty view touches no memory.
            #[allow(unsafe_code)]
            None => unsafe { SharedBytes::new(core::ptr::NonNull::dangling().as_ptr(), 0) },
        };
        // The object of the request's audit records: its path (copied into
        // a reused buffer; a path in the shared region is copied out of it).
        self.path.clear();
        match request_path(&req) {
            Some(PathArg::Inline(p)) => self.path.push_str(p),
            Some(PathArg::Shared { offset, len }) => {
                let (o, n) = (*offset as usize, (*len as usize).min(rampart_secsrv_api::OBJECT_MAX));
                if let Ok(b) = region.to_vec(o, n) {
                    self.path.push_str(&alloc::string::String::from_utf8_lossy(&b));
                }
            }
            None => {}
        }
        let mut sealer = RmSealer(None);
        let resp = self.core.handle_with(conn, req, &mut region, m.unwrapped_badge(0), Some(&mut sealer));
        self.report_audit(m.badge);
        match resp {
            Response::Token(t) => self.token(t),
            r => Action::reply(&r),
        }
    }

    fn token(&mut self, t: u64) -> Action {
        let _ = CNODE.delete(self.token_slot, 64);
        let rights = rampart_abi::Rights(rampart_abi::Rights::WRITE.0 | rampart_abi::Rights::GRANT.0);
        if CNODE.mint(self.token_slot, 64, CNODE.path(self.ep.0, 64), rights, t).is_err() {
            return Action::reply(&Response::Err(rampart_fs_api::Errno::EIO));
        }
        match Outgoing::encode(&Response::Token(t)) {
            Ok(o) => Action::Reply(o.with_cap(self.token_slot)),
            Err(_) => Action::reply(&Response::Err(rampart_fs_api::Errno::EIO)),
        }
    }

    /// The pid of the client behind `badge`, asked of connsrv once per
    /// connection (0 if it cannot say).
    fn client_pid(&mut self, badge: u64) -> u32 {
        let Fs { ch, pids, .. } = self;
        pids.entry(badge, |_| rampart_connsrv_api::client::who_is(ch, badge).map_or(0, |p| p.pid)).map_or(0, |p| *p)
    }

    /// Sends the request's audit records (made on behalf of the client
    /// behind `badge`) to secsrv.
    fn report_audit(&mut self, badge: u64) {
        let entries = self.core.mac.take_audit();
        if entries.is_empty() {
            return;
        }
        let pid = self.client_pid(badge);
        for e in entries {
            let rec = e.record;
            let line = sec::describe(&mut self.core.mac.om, &e);
            rampart_rt::pr_debug!("fs: {line}");
            let sub = rampart_secsrv_api::AuditSubmit {
                ssid: rec.ssid,
                tsid: rec.tsid,
                class: rec.class,
                perms: rec.perms,
                denied: rec.denied,
                enforced: rec.enforced,
                seqno: rec.seqno,
                object: if e.object.is_empty() { self.path.clone() } else { e.object },
                pid,
            };
            let _ = Client(self.audit).audit(sub);
        }
    }

    /// Forgets every connection connsrv closed (before connsrv may give
    /// its number to someone else): handles closed, region freed.
    fn collect_closed(&mut self) {
        let Fs { ch, conns, core, pids, .. } = self;
        let _ = rampart_connsrv_api::client::drain_closed(ch, |c| {
            pids.closed(c);
            for (id, region) in conns.closed(c) {
                core.disconnect(id);
                if let Some(r) = region {
                    let _ = rampart_rt::rm::region_free(r.id);
                }
            }
        });
    }
}
