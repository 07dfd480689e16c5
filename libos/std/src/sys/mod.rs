//! The system interface (feature `rt`): the process's state (descriptor
//! table, working directory, environment, server connections) and the
//! calls to the servers.
//!
//! The state is created on first use from the startup information: the
//! environment and working directory, and the inherited handles, each
//! adopted from its server under its descriptor number.

pub mod backoff;
pub mod fsys;
pub mod netsys;
pub mod spawn;
pub mod stdio;
pub mod timer;

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use rampart_connsrv_api::rt::Channel;
use rampart_console_api as con;
use rampart_rt::cap::{CNode, CPtr, Endpoint};
use rampart_rt::shared::SharedBytes;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;
use spin::Mutex;

/// Size of the region shared with the file server.
pub const FS_REGION: usize = 64 * 1024;
/// Where path arguments too long for a message go in the region.
pub const PATH_AREA: usize = FS_REGION - 8192;

/// What a descriptor refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Obj {
    /// A file-server handle (file, directory or pipe end).
    Fs(u32),
    /// A console handle (terminal).
    Tty(u32),
    /// A network-server handle (socket).
    Net(u32),
}

/// The file-server connection.
pub struct FsConn {
    /// The badged endpoint.
    pub ep: Endpoint,
    /// The region shared with the server, through copies only (the server
    /// may write it at any time).
    pub region: SharedBytes,
}

/// The process's state.
pub struct State {
    /// Descriptors.
    pub fds: BTreeMap<u32, Obj>,
    /// Working directory (absolute).
    pub cwd: String,
    /// Environment.
    pub env: Vec<(String, String)>,
    fs: Option<FsConn>,
    con: Option<Endpoint>,
    net: Option<netsys::NetConn>,
    /// A byte `poll` took out of a pipe while probing it, by file-server
    /// handle; the next read returns it first.
    pub pushback: BTreeMap<u32, u8>,
    next_slot: u64,
    free_slots: Vec<u64>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// Runs `f` on the state (created on first use).
pub fn with<T>(f: impl FnOnce(&mut State) -> T) -> T {
    let mut g = STATE.lock();
    if g.is_none() {
        *g = Some(State::new());
        if let Some(st) = g.as_mut() {
            st.adopt_inherited();
        }
    }
    f(g.as_mut().expect("initialised above"))
}

/// Sets the state up now: adopts the inherited descriptors at once, before
/// the parent can close the handles their tokens were made from (the
/// parent yields once after a spawn so the child runs this first).
pub fn init() {
    with(|_| ());
}

/// A connection to service `name` from the connection server (e.g.
/// `"security"` for the policy tools, with `rampart-secsrv-api`'s IPC
/// client), in a fresh slot; retried while the service is not registered.
///
/// # Errors
/// `EACCES` (the policy forbids the connection), `ENOENT`.
pub fn connect_service(name: &str) -> Result<Endpoint, Errno> {
    let s = with(|st| st.slot());
    connect(name, s)
}

/// How long [`connect`] waits for a service to register (a server still
/// starting at boot), in milliseconds.
pub const CONNECT_WAIT_MS: u64 = 2_000;

fn connect(name: &str, s: CPtr) -> Result<Endpoint, Errno> {
    let ch = Channel::own();
    let start = crate::time::Instant::now();
    let mut tries = 0u32;
    loop {
        match ch.connect(name, s) {
            Ok(c) => return Ok(c.ep),
            Err(Errno::ENOENT) if start.elapsed() < core::time::Duration::from_millis(CONNECT_WAIT_MS) => {
                // A few quick retries, then 1 ms sleeps on the task's
                // kernel timer: blocked, not yielding, so the server being
                // waited for runs even at a lower priority
                // (docs/reliability.md §5).
                tries += 1;
                if tries < 32 {
                    rampart_rt::syscall::yield_now();
                } else {
                    crate::time::sleep(core::time::Duration::from_millis(1));
                }
            }
            Err(e) => return Err(e),
        }
    }
}

impl State {
    fn new() -> State {
        let body = rampart_rt::startup::body();
        let env = body
            .map(|b| b.envp.iter().filter_map(|e| e.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect())
            .unwrap_or_default();
        let cwd = body.map(|b| b.cwd.clone()).filter(|c| c.starts_with('/')).unwrap_or_else(|| "/".to_string());
        State {
            fds: BTreeMap::new(),
            cwd,
            env,
            fs: None,
            con: None,
            net: None,
            pushback: BTreeMap::new(),
            next_slot: slot::FIRST_FREE + 64,
            free_slots: Vec::new(),
        }
    }

    fn adopt_inherited(&mut self) {
        let Some(body) = rampart_rt::startup::body() else { return };
        for h in &body.handles {
            let obj = match h.service.as_str() {
                "fs" => self.fs().and_then(|c| fsys::adopt(c.ep, h.slot)).map(Obj::Fs),
                con::SERVICE => self.console().and_then(|ep| adopt_tty(ep, h.slot)).map(Obj::Tty),
                "net" => self.net().and_then(|c| netsys::adopt(c.ep, h.slot)).map(Obj::Net),
                _ => Err(Errno::EINVAL),
            };
            let _ = CNode(slot::CNODE).delete(h.slot, 64);
            match obj {
                Ok(o) => {
                    self.fds.insert(h.fd, o);
                }
                Err(e) => rampart_rt::pr_err!("libos: descriptor {} from {} not adopted: {e}", h.fd, h.service),
            }
        }
    }

    /// A free capability slot.
    pub fn slot(&mut self) -> CPtr {
        self.free_slots.pop().unwrap_or_else(|| {
            self.next_slot += 1;
            self.next_slot - 1
        })
    }

    /// Empties and frees slot `s`.
    pub fn free_slot(&mut self, s: CPtr) {
        let _ = CNode(slot::CNODE).delete(s, 64);
        self.free_slots.push(s);
    }

    /// The file-server connection (made on first use).
    ///
    /// # Errors
    /// `EACCES` (policy), `ENOENT` (no file server), `ENOMEM`.
    pub fn fs(&mut self) -> Result<&FsConn, Errno> {
        if self.fs.is_none() {
            let s = self.slot();
            let ep = connect("fs", s)?;
            let region = rampart_rt::rm::region_alloc(FS_REGION as u64)?;
            let t = self.slot();
            rampart_rt::rm::region_share(region.id, true, t)?;
            #[allow(unsafe_code)] // a view of the region (SharedBytes::new's contract)
            // SAFETY: the connection's region is never freed: it lives as
            // long as the process (and the view with it).
            let view = unsafe { region.shared() };
            let r = rampart_fs_api::Client(fsys::FsEp(ep)).attach_region(FS_REGION as u32, t);
            self.free_slot(t);
            r?;
            self.fs = Some(FsConn { ep, region: view });
        }
        self.fs.as_ref().ok_or(Errno::EIO)
    }

    /// The console connection (made on first use).
    ///
    /// # Errors
    /// `EACCES`, `ENOENT`.
    pub fn console(&mut self) -> Result<Endpoint, Errno> {
        if self.con.is_none() {
            let s = self.slot();
            self.con = Some(connect(con::SERVICE, s)?);
        }
        self.con.ok_or(Errno::EIO)
    }

    /// The lowest free descriptor number.
    pub fn lowest_free(&self) -> u32 {
        (0..).find(|n| !self.fds.contains_key(n)).unwrap_or(0)
    }

    /// Installs `o` at the lowest free descriptor.
    pub fn install(&mut self, o: Obj) -> u32 {
        let fd = self.lowest_free();
        self.fds.insert(fd, o);
        fd
    }

    /// The object behind `fd`.
    ///
    /// # Errors
    /// `EBADF`.
    pub fn obj(&self, fd: u32) -> Result<Obj, Errno> {
        self.fds.get(&fd).copied().ok_or(Errno::EBADF)
    }

    /// The value of environment variable `k`.
    pub fn var(&self, k: &str) -> Option<&str> {
        self.env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    /// The environment as `KEY=value` strings.
    pub fn envp(&self) -> Vec<String> {
        self.env.iter().map(|(k, v)| alloc::format!("{k}={v}")).collect()
    }

    /// Closes descriptor `fd` (the server handle is closed when no other
    /// descriptor refers to it).
    ///
    /// # Errors
    /// `EBADF`.
    pub fn close(&mut self, fd: u32) -> Result<(), Errno> {
        let o = self.fds.remove(&fd).ok_or(Errno::EBADF)?;
        if self.fds.values().any(|x| *x == o) {
            return Ok(());
        }
        match o {
            Obj::Fs(h) => fsys::close(self, h),
            Obj::Tty(h) => console(self)?.close(h),
            Obj::Net(h) => netsys::close(self, h),
        }
    }
}

/// The console channel as the transport of the generated console client
/// (`rampart_console_api::Client`): requests and replies of at most 32
/// bytes travel in registers only (`rampart_rt::ipc::proto`).
#[derive(Clone, Copy, Debug)]
pub struct ConEp(pub Endpoint);

impl con::Transport for ConEp {
    fn call(&mut self, req: &con::Request) -> Result<con::Response, Errno> {
        rampart_rt::ipc::proto::call(self.0, req)
    }

    fn call_caps(
        &mut self,
        req: &con::Request,
        give: Option<u64>,
        receive: Option<u64>,
    ) -> Result<(con::Response, bool), Errno> {
        rampart_rt::ipc::proto::call_caps(self.0, req, give, receive)
    }
}

/// The console client on this process's channel to the console.
///
/// # Errors
/// `EBADF`-style errors of [`State::console`] (no console).
pub fn console(st: &mut State) -> Result<con::Client<ConEp>, Errno> {
    Ok(con::Client(ConEp(st.console()?)))
}

fn adopt_tty(ep: Endpoint, token: CPtr) -> Result<u32, Errno> {
    con::Client(ConEp(ep)).adopt_token(token)
}

/// A token for a descriptor: the capability's slot, the owning service,
/// and (file server tokens) the badge to ask [`fsys::token_pending`] about.
pub struct Shared {
    /// The slot holding the token capability.
    pub slot: CPtr,
    /// The service that issued it (`fs`, the console, `net`).
    pub service: &'static str,
    /// The badge of a file server token.
    pub fs_token: Option<u64>,
}

/// Asks the owner of `o` for a token; the capability lands in a fresh slot.
///
/// # Errors
/// The server's error; `EPROTO` if the reply came without the token.
pub fn share(st: &mut State, o: Obj) -> Result<Shared, Errno> {
    let s = st.slot();
    let r = match o {
        Obj::Fs(h) => {
            fsys::client(st).and_then(|mut c| c.share_handle(rampart_fs_api::Handle(h), s)).map(|t| ("fs", Some(t)))
        }
        Obj::Tty(h) => console(st).and_then(|mut c| c.share_handle(h, s)).map(|_| (con::SERVICE, None)),
        Obj::Net(h) => {
            netsys::client(st).and_then(|mut c| c.share_handle(rampart_net_api::Handle(h), s)).map(|_| ("net", None))
        }
    };
    match r {
        Ok((service, fs_token)) => Ok(Shared { slot: s, service, fs_token }),
        Err(e) => {
            st.free_slot(s);
            Err(e)
        }
    }
}
