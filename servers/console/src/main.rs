//! The console server (docs/console.md): the client of the 16550 driver's
//! byte rings (`serial0` through devmgr, `rampart-serialdrv-api`), runs the
//! line discipline of `rampart-console-core`, serves terminal handles over
//! the connection server's badged channels, defers blocking reads, and
//! turns Ctrl-C into `Kill` requests to rm for the foreground job.
//!
//! Handles belong to a client's connection badge (the whole badge, never
//! the connection number alone) and are dropped when connsrv reports the
//! connection closed (signalled with `EVENT_CLOSED`, and every
//! [`CLOSED_POLL`] requests).
#![no_std]
#![no_main]

extern crate alloc;

mod klog;
mod line;
mod winsize;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use rampart_connsrv_api::clients::Clients;
use rampart_connsrv_api::rt::Channel;
use rampart_connsrv_api::{ConnBadge, EVENT_CLOSED};
use rampart_console_api::{Handler, MAX_IO, Mode, Request, Response, SERVICE, TOKEN, dispatch};
use rampart_console_core::{Effect, Ldisc};
use rampart_objmgr::{Class, Granted, ObjectManager, Vocabulary};
use rampart_rt::cap::{CNode, CPtr, Endpoint, Reply};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::{Outgoing, reply_with};
use rampart_rt::server::{Server, Service, Step};
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

/// Badge of the serial driver's signals on the bound notification.
const SERIAL_BADGE: u64 = 2;
/// Requests between two polls for closed connections (besides connsrv's
/// signal).
pub const CLOSED_POLL: u32 = 32;
const CNODE: CNode = CNode(slot::CNODE);

rampart_objmgr::permissions! {
    /// Permissions of class `console` (the terminal, labelled with the
    /// console's own context) this server checks; `setfg` is checked by rm
    /// (`SetForeground`).
    enum ConsolePerm { Read = "read", Write = "write" }
}

/// The console's vocabulary.
struct ConsoleVocab {
    console: Option<Class<ConsolePerm>>,
}

impl Vocabulary for ConsoleVocab {
    fn resolve<S: rampart_objmgr::SecurityServer + ?Sized>(sec: &mut S) -> Self {
        ConsoleVocab { console: Class::resolve(sec, "console") }
    }
}

/// The console's object manager (64 cached decisions) and its own SID.
struct Mediation {
    om: ObjectManager<Client<Ipc>, ConsoleVocab, 16, 4>,
    me: u32,
}

/// What the console knows about one client connection.
#[derive(Default)]
struct Peer {
    handles: BTreeMap<u32, Granted>,
    /// The client's pid (connsrv's `WhoIs`), asked at its first read.
    pid: Option<u32>,
}

struct Console {
    line: line::Line,
    ldisc: Ldisc,
    /// Each client (by connection badge): its open terminal handles with
    /// the policy generation each was last checked in, and its pid once
    /// asked.
    clients: Clients<Peer>,
    next_handle: u32,
    ch: Channel,
    requests: u32,
    tokens: BTreeSet<u64>,
    next_token: u64,
    ep: Endpoint,
    token_slot: CPtr,
    readers: Vec<(u32, Reply)>,
    spare: Vec<Reply>,
    /// This terminal's id at rm (0: rm refused to register it; the signal
    /// keys then do nothing).
    terminal: u32,
    /// `None` (nobody gets a terminal) if the security server cannot be
    /// reached: the console fails closed.
    mac: Option<Mediation>,
    /// Whether anything was written yet (the boot-to-prompt mark).
    wrote: bool,
    /// The kernel log, when this console shows it.
    klog: Option<klog::KernelLog>,
    /// When (TSC) the line discipline last received a byte while holding
    /// bytes back as a possible resize report; `None` when it holds none.
    held_since: Option<u64>,
}

fn main() -> i32 {
    let cap = |n: &str| rampart_rt::startup::named_cap(n);
    let mut next = slot::FIRST_FREE;
    let mut slot = || {
        next += 1;
        next - 1
    };
    let ch = Channel::own();
    let line = match line::Line::open(&ch, [slot(), slot(), slot(), slot()], SERIAL_BADGE) {
        Ok(l) => l,
        Err(e) => {
            rampart_rt::pr_err!("console: no serial line ({}): {e}", line::DEVICE);
            return 1;
        }
    };
    let ep = match ch.register(SERVICE, slot()) {
        Ok(ep) => ep,
        Err(e) => {
            rampart_rt::pr_err!("console: cannot register: {e}");
            return 2;
        }
    };
    if let Err(e) = ch.watch_closed_events(slot()) {
        dprintln!("console: closed connections will only be polled: {e}");
    }
    let mac = security(&ch, slot(), slot());
    let klog = klog::KernelLog::open(slot());
    let spare: Vec<Reply> = (0..12).filter_map(|i| cap(&alloc::format!("reply{i}")).map(Reply)).collect();
    let mut c = Console {
        line,
        ldisc: Ldisc::new(),
        clients: Clients::new(),
        next_handle: 1,
        ch,
        requests: 0,
        tokens: BTreeSet::new(),
        next_token: 1,
        ep,
        token_slot: slot(),
        readers: Vec::new(),
        spare,
        terminal: register_terminal(),
        mac,
        wrote: false,
        klog,
        held_since: None,
    };
    dprintln!("console: ready on {} ({} reply objects for blocked readers)", line::DEVICE, c.spare.len());
    c.enable_resize_reports();
    c.input();
    c.show_log();
    let mut server = Server::new(ep, Reply(slot::REPLY));
    server.serve(&mut c)
}

/// Registers this terminal with rm (its foreground group gets the signal
/// keys); 0 if rm refuses.
fn register_terminal() -> u32 {
    rampart_rt::jobs::register_terminal().unwrap_or_else(|e| {
        rampart_rt::pr_err!("console: rm did not register the terminal: {e}");
        0
    })
}

/// The object manager and the console's own SID, subscribed to policy
/// changes; `None` if the security server cannot be reached.
fn security(ch: &Channel, s: CPtr, n: CPtr) -> Option<Mediation> {
    let conn = ch.connect(rampart_connsrv_api::SECURITY_SERVICE, s).ok()?;
    let ipc = Ipc(conn.ep);
    let me = Client(ipc).who_am_i().ok()?;
    if let Err(e) = rampart_secsrv_api::rt::subscribe_policy_changes(ipc, n) {
        rampart_rt::pr_err!("console: cannot subscribe to policy changes: {e}");
        return None;
    }
    Some(Mediation { om: ObjectManager::new(Client(ipc)), me })
}

/// Opening or adopting a terminal: read and write.
const RW: &[ConsolePerm] = &[ConsolePerm::Read, ConsolePerm::Write];
/// Reading from it, or asking about its state.
const READ: &[ConsolePerm] = &[ConsolePerm::Read];
/// Writing to it, or changing its state.
const WRITE: &[ConsolePerm] = &[ConsolePerm::Write];

impl Console {
    /// Checks `perms` on the terminal for `sid` (fails closed without a
    /// security server).
    fn check(&mut self, sid: u32, perms: &'static [ConsolePerm]) -> Result<(), Errno> {
        let m = self.mac.as_mut().ok_or(Errno::EACCES)?;
        m.om.check(sid, m.me, |v| v.console.as_ref()?.want(perms), "console")
    }

    /// Re-checks an open handle for `sid` after a policy change (`perms`:
    /// what the request does with it).
    fn revalidate(&mut self, (badge, h): (u64, u32), sid: u32, perms: &'static [ConsolePerm]) -> Result<(), Errno> {
        let m = self.mac.as_mut().ok_or(Errno::EACCES)?;
        let g = self.clients.get_mut(badge).and_then(|c| c.handles.get_mut(&h)).ok_or(Errno::EBADF)?;
        m.om.revalidate(g, sid, m.me, |v| v.console.as_ref()?.want(perms), "console")
    }

    fn granted(&self) -> Granted {
        self.mac.as_ref().map_or(Granted::NEVER, |m| m.om.granted())
    }

    /// Prints the kernel-log records not shown yet.
    fn show_log(&mut self) {
        let Some(mut k) = self.klog.take() else { return };
        k.drain(|text| {
            let mut out = Vec::with_capacity(text.len() + 8);
            rampart_console_core::output(text, &mut out);
            self.line.write(&out);
        });
        self.klog = Some(k);
    }

    /// A new handle for the client behind `badge` (a connection badge).
    fn new_handle(&mut self, badge: u64) -> u32 {
        let h = self.next_handle;
        self.next_handle = self.next_handle.wrapping_add(1).max(1);
        let g = self.granted();
        if let Some(c) = self.clients.entry(badge, |_| Peer::default()) {
            c.handles.insert(h, g);
        }
        h
    }

    /// Whether the client behind `badge` may read the terminal now: rm says
    /// whether its process is in the foreground group of the terminal's
    /// session (`EACCES` outside the session; a background reader's group
    /// gets `SIGTTIN` and the answer is `EINTR`). Its pid comes from
    /// connsrv once per connection. Without a terminal id (rm refused to
    /// register one) there is no session to check.
    fn may_read(&mut self, badge: u64) -> Result<(), Errno> {
        if self.terminal == 0 {
            return Ok(());
        }
        let pid = match self.clients.get(badge).and_then(|c| c.pid) {
            Some(p) => p,
            None => {
                let p = rampart_connsrv_api::client::who_is(&mut self.ch, badge).map(|p| p.pid).unwrap_or(0);
                if let Some(c) = self.clients.get_mut(badge) {
                    c.pid = Some(p);
                }
                p
            }
        };
        // An unknown pid (0: a core service's channel) reads only a
        // terminal no session has taken yet.
        rampart_rt::jobs::terminal_access(self.terminal, pid)
    }

    /// Drops the handles of every connection connsrv closed (before
    /// connsrv may give its number to another client).
    fn collect_closed(&mut self) {
        let Console { ch, clients, .. } = self;
        let _ = rampart_connsrv_api::client::drain_closed(ch, |c| {
            clients.closed(c);
        });
    }

    /// New input on the line: every received byte through the line
    /// discipline, echo, readers woken, signal keys reported to rm.
    fn input(&mut self) {
        let mut echo = Vec::new();
        let mut signals = Vec::new();
        let mut resized = false;
        let mut buf = [0u8; 256];
        let mut got = false;
        loop {
            let n = self.line.read(&mut buf);
            if n == 0 {
                break;
            }
            got = true;
            for &b in &buf[..n] {
                match self.ldisc.input(b, &mut echo) {
                    Effect::Signal(sig) => signals.push(sig),
                    Effect::Resize => resized = true,
                    Effect::None | Effect::Ready => {}
                }
            }
        }
        if got {
            // The silence before held bytes count as a key starts now.
            self.held_since = self.ldisc.holding().then(rampart_rt::cpu::rdtsc);
        }
        if resized {
            self.resized();
        }
        if !echo.is_empty() {
            self.line.write(&echo);
        }
        for sig in signals {
            self.signal(sig);
        }
        self.wake();
    }

    /// Releases bytes held as a possible resize report once the terminal
    /// has been silent for `HOLD_MS` (a lone ESC is a key): asked by a
    /// reader, so a program polling with a timeout (`vi`) gets its ESC.
    /// The console has no timer: a reader blocked in `Read` gets it with
    /// the next byte typed.
    fn release_stale(&mut self) {
        let Some(t) = self.held_since else { return };
        let hz = rampart_rt::startup::header().map_or(0, |h| h.tsc_hz).max(1_000_000);
        if rampart_rt::cpu::rdtsc().wrapping_sub(t) < hz / 1000 * rampart_console_core::HOLD_MS {
            return;
        }
        self.held_since = None;
        let mut echo = Vec::new();
        if let Effect::Signal(sig) = self.ldisc.release_held(&mut echo) {
            self.signal(sig);
        }
        if !echo.is_empty() {
            self.line.write(&echo);
        }
    }

    /// Has rm send `sig` to this terminal's foreground process group (the
    /// readers among them are interrupted by rm; what they were not given
    /// stays in the line discipline).
    pub(crate) fn signal(&mut self, sig: u8) {
        if self.terminal == 0 {
            return;
        }
        if let Err(e) = rampart_rt::jobs::terminal_signal(self.terminal, sig) {
            rampart_rt::pr_err!("console: cannot signal the foreground group: {e}");
        }
    }

    /// Hands ready input to waiting readers, oldest first. A reader whose
    /// call was interrupted meanwhile (a signal) takes nothing: the input
    /// goes back for the next one.
    fn wake(&mut self) {
        while !self.readers.is_empty() {
            let (max, r) = self.readers[0];
            let Some(d) = self.ldisc.take(max as usize) else { break };
            self.readers.remove(0);
            if !answer(r, &Response::Data(d.clone())) {
                self.ldisc.unread(&d);
            }
            self.spare.push(r);
        }
    }
}

/// One request's context: the server (to defer a reader), the client's
/// connection badge, and what the reply carries or whether there is one.
struct Cx<'a> {
    server: &'a mut Server,
    badge: u64,
    /// The capability sent with the reply (a handle token).
    cap: Option<CPtr>,
    /// The caller was deferred (a blocking read): no reply now.
    deferred: bool,
}

/// The console on the shared skeleton (`rampart_rt::server`).
impl Service for Console {
    type Request = Request;
    type Response = Response;

    fn error(&mut self, e: Errno) -> Response {
        Response::Err(e)
    }

    /// Clients come through connsrv (connection badges); the serial
    /// driver, the kernel log, secsrv and connsrv signal the notification.
    fn is_signal(&self, badge: u64) -> bool {
        ConnBadge::decode(badge).is_none()
    }

    /// The serial driver's signal (new input), the kernel log's (new
    /// records), secsrv's (the policy changed), connsrv's (closed
    /// connections), or a stray one.
    fn notified(&mut self, _: &mut Server, badge: u64) {
        if badge & rampart_secsrv_api::EVENT_POLICY != 0
            && let Some(md) = self.mac.as_mut()
            && let Err(e) = md.om.refresh()
        {
            rampart_rt::pr_err!("console: cannot refresh after a policy change: {e}");
        }
        if badge & EVENT_CLOSED != 0 {
            self.collect_closed();
        }
        self.input();
        self.show_log();
    }

    fn request(&mut self, server: &mut Server, badge: u64, req: Request) -> Step<Response> {
        let Some(b) = ConnBadge::decode(badge) else { return Step::Reply(Response::Err(Errno::EBADF)) };
        self.requests = self.requests.wrapping_add(1);
        if self.requests.is_multiple_of(CLOSED_POLL) {
            self.collect_closed();
        }
        if let Err(e) = self.admit(badge, b.sid, &req) {
            return Step::Reply(Response::Err(e));
        }
        let mut cx = Cx { server, badge, cap: None, deferred: false };
        let resp = dispatch(self, &mut cx, req);
        match (cx.deferred, cx.cap) {
            (true, _) => Step::NoReply,
            (false, Some(c)) if matches!(resp, Response::Token(_)) => Step::ReplyCap(resp, c),
            _ => Step::Reply(resp),
        }
    }
}

impl Console {
    /// The checks before any request on a handle: the handle is the
    /// client's (`EBADF`), and the policy still grants what the request
    /// does with it, since a policy change may have taken the terminal
    /// away after it was opened (issue 19 item 1).
    fn admit(&mut self, badge: u64, sid: u32, req: &Request) -> Result<(), Errno> {
        let perms = match req {
            Request::Open | Request::AdoptToken | Request::Close { .. } => None,
            Request::Read { .. }
            | Request::Readable { .. }
            | Request::GetMode { .. }
            | Request::GetTerminal { .. }
            | Request::GetWinSize { .. } => Some(READ),
            Request::Write { .. } | Request::SetMode { .. } | Request::ShareHandle { .. } => Some(WRITE),
        };
        if matches!(req, Request::Open | Request::AdoptToken) {
            return Ok(());
        }
        let h = handle_of(req);
        if !self.clients.get(badge).is_some_and(|c| c.handles.contains_key(&h)) {
            return Err(Errno::EBADF);
        }
        match perms {
            Some(p) => self.revalidate((badge, h), sid, p),
            None => Ok(()),
        }
    }
}

impl Handler<Cx<'_>> for Console {
    fn open(&mut self, cx: &mut Cx<'_>) -> Result<u32, Errno> {
        let sid = ConnBadge::decode(cx.badge).ok_or(Errno::EBADF)?.sid;
        self.check(sid, RW)?;
        Ok(self.new_handle(cx.badge))
    }

    /// Only the terminal's session reads its keystrokes, and only its
    /// foreground group (issue 19 item 8, POSIX job control); with no
    /// input yet the reader is deferred until there is some.
    fn read(&mut self, cx: &mut Cx<'_>, _handle: u32, max: u32) -> Result<Vec<u8>, Errno> {
        self.may_read(cx.badge)?;
        self.release_stale();
        if let Some(d) = self.ldisc.take((max as usize).min(MAX_IO)) {
            return Ok(d);
        }
        let fresh = self.spare.pop().ok_or(Errno::EAGAIN)?;
        let r = cx.server.defer(fresh);
        self.readers.push((max.min(MAX_IO as u32), r));
        cx.deferred = true;
        Ok(Vec::new())
    }

    fn write(&mut self, _: &mut Cx<'_>, _handle: u32, data: Vec<u8>) -> Result<u32, Errno> {
        if !self.wrote {
            self.wrote = true;
            // Under `-icount` the TSC counts instructions: the first
            // output of a session is its prompt (docs/performance.md,
            // boot to prompt).
            let t = rampart_rt::cpu::rdtsc();
            dprintln!("console: first output at TSC {t}");
        }
        let mut out = Vec::with_capacity(data.len() + 8);
        rampart_console_core::output(&data[..data.len().min(MAX_IO)], &mut out);
        self.line.write(&out);
        // Waiting for transmit space may have taken an input signal.
        self.input();
        Ok(data.len().min(MAX_IO) as u32)
    }

    fn close(&mut self, cx: &mut Cx<'_>, handle: u32) -> Result<(), Errno> {
        if let Some(c) = self.clients.get_mut(cx.badge) {
            c.handles.remove(&handle);
        }
        Ok(())
    }

    fn set_mode(&mut self, _: &mut Cx<'_>, _handle: u32, mode: Mode) -> Result<(), Errno> {
        self.ldisc.set_mode(mode);
        self.wake();
        Ok(())
    }

    fn get_mode(&mut self, _: &mut Cx<'_>, _handle: u32) -> Result<Mode, Errno> {
        Ok(self.ldisc.mode)
    }

    fn get_terminal(&mut self, _: &mut Cx<'_>, _handle: u32) -> Result<u32, Errno> {
        Ok(self.terminal)
    }

    /// A single-use token: a capability to this endpoint badged with it
    /// travels with the reply.
    fn share_handle(&mut self, cx: &mut Cx<'_>, _handle: u32) -> Result<u64, Errno> {
        let _ = CNODE.delete(self.token_slot, 64);
        let t = TOKEN | self.next_token;
        self.next_token += 1;
        let rights = rampart_abi::Rights(rampart_abi::Rights::WRITE.0 | rampart_abi::Rights::GRANT.0);
        CNODE.mint(self.token_slot, 64, CNODE.path(self.ep.0, 64), rights, t).map_err(|_| Errno::ENOMEM)?;
        self.tokens.insert(t);
        cx.cap = Some(self.token_slot);
        Ok(t)
    }

    /// The token arrives unwrapped (a capability to this very endpoint);
    /// it is void once adopted.
    fn adopt_token(&mut self, cx: &mut Cx<'_>) -> Result<u32, Errno> {
        if !cx.server.unwrapped_badge(0).is_some_and(|t| self.tokens.remove(&t)) {
            return Err(Errno::EBADF);
        }
        let sid = ConnBadge::decode(cx.badge).ok_or(Errno::EBADF)?.sid;
        self.check(sid, RW)?;
        Ok(self.new_handle(cx.badge))
    }

    fn readable(&mut self, _: &mut Cx<'_>, _handle: u32) -> Result<u32, Errno> {
        self.release_stale();
        Ok(u32::from(self.ldisc.readable()))
    }

    fn get_win_size(&mut self, _: &mut Cx<'_>, _handle: u32) -> Result<(u16, u16), Errno> {
        Ok(self.winsize())
    }
}

/// Answers a deferred reader; false if nobody took the answer (the reader
/// was interrupted: docs/kernel.md, "Reply delivery").
fn answer(r: Reply, resp: &Response) -> bool {
    match Outgoing::encode(resp) {
        Ok(m) => reply_with(r, &m) == 0,
        Err(_) => true,
    }
}

fn handle_of(r: &Request) -> u32 {
    match r {
        Request::Read { handle, .. }
        | Request::Write { handle, .. }
        | Request::Close { handle }
        | Request::SetMode { handle, .. }
        | Request::GetMode { handle }
        | Request::Readable { handle }
        | Request::GetTerminal { handle }
        | Request::GetWinSize { handle }
        | Request::ShareHandle { handle } => *handle,
        Request::Open | Request::AdoptToken => 0,
    }
}
