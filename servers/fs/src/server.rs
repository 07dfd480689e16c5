//! [`FileServer`]: connections, handles, tokens and request dispatch.
//!
//! One value serves every client connection (the guest server is a
//! single-threaded loop: receive, [`FileServer::handle`], reply). A
//! connection is created when the connection server announces a client
//! (its badge and SID) and carries that SID into every check.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use rampart_fs_api::{Errno, Handle, OpenFlags, PathArg, Request, Response, SharedRegion, errno};

use crate::exec::Sealer;

use crate::dac::Cred;
use crate::dev::{DevFs, Device};
use crate::ident::{IDENTITY_FILE, Identities};
use crate::mount::{Mounter, Mounts};
use crate::pipe::Pipes;
use crate::security::{Mac, SecurityServer};
use crate::volume::{DirCursor, DirEntry, Ino, Volume};
use alloc::vec::Vec;

/// A client connection (the badge of its endpoint capability).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u32);

/// When completed operations reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    /// After every request that changed the file system, before the reply:
    /// a reply means the change survives a crash (docs/storage.md).
    EveryRequest,
    /// Only on `Fsync`, `Sync` and unmount (faster; a crash loses the
    /// uncommitted tail but never corrupts the file system).
    OnFsync,
}

/// Server configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Durability of replies.
    pub commit: Commit,
    /// Context of the file system object (`filesystem getattr` for
    /// `StatFs`).
    pub fs_context: String,
    /// Most handles per connection (`EMFILE` beyond).
    pub max_handles: usize,
    /// The identity table used when the root volume has no trustworthy
    /// one (docs/storage.md §6): [`Identities::builtin`] by default.
    pub identities: Identities,
    /// Where the identity table lives on the root volume (`None`: only
    /// [`Config::identities`]); `/etc/identities` by default.
    pub identity_file: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            commit: Commit::EveryRequest,
            fs_context: String::from("system_u:object_r:rootfs_t"),
            max_handles: 1024,
            identities: Identities::builtin(),
            identity_file: Some(String::from(IDENTITY_FILE)),
        }
    }
}

/// The object behind a handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Object {
    /// A file-system object with its kind and label.
    File { ino: Ino, kind: rampart_fs_api::FileType, sid: u32 },
    /// One end of a pipe.
    Pipe { id: u32, write: bool },
}

/// An open handle.
#[derive(Clone, Debug)]
pub(crate) struct Open {
    pub obj: Object,
    pub flags: OpenFlags,
    /// File position in bytes.
    pub pos: u64,
    /// Directory position and entries fetched but not yet delivered.
    pub dir: DirCursor,
    pub pending: Vec<DirEntry>,
}

/// Who makes a request: the connection's security context (mandatory
/// checks) and its identity (discretionary checks).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subject {
    pub sid: u32,
    pub cred: Cred,
}

/// A client connection's state.
#[derive(Debug)]
pub(crate) struct Conn {
    pub sid: u32,
    /// Fixed when the connection is made.
    pub cred: Cred,
    pub handles: BTreeMap<u32, Open>,
    next: u32,
    pub region_len: Option<u32>,
}

/// An issued, not yet adopted token.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub issuer: (ConnId, Handle),
    pub open: Open,
}

/// The file server core.
pub struct FileServer<V: Volume, S: SecurityServer> {
    /// The root volume and the volumes mounted on it.
    pub(crate) vol: Mounts<V>,
    /// Opens a block device for `Request::Mount` (none: `ENODEV`).
    pub(crate) mounter: Option<Mounter>,
    /// Mediation (security server, AVC, audit log).
    pub mac: Mac<S>,
    pub(crate) labels: BTreeMap<Ino, u32>,
    /// Labels derived from file contexts, not yet stored on the disk.
    pub(crate) unstored: BTreeSet<Ino>,
    pub(crate) conns: BTreeMap<ConnId, Conn>,
    next_conn: u32,
    pub(crate) tokens: BTreeMap<u64, Token>,
    next_token: u64,
    pub(crate) pipes: Pipes,
    pub(crate) open_count: BTreeMap<Ino, u32>,
    pub(crate) orphans: BTreeSet<Ino>,
    pub(crate) fs_sid: u32,
    pub(crate) cfg: Config,
    pub(crate) dirty: bool,
    /// The identity table, read on first use and after changes.
    pub(crate) ids: Option<Identities>,
    /// The mount index of `/dev` ([`FileServer::serve_devices`]).
    pub(crate) dev: Option<usize>,
    /// `Request::Shutdown` was served: every volume is unmounted and
    /// every request gets `EIO`.
    pub(crate) down: bool,
    /// The server's own buffer for transfers into a client's region
    /// (`Read`, `ReadDir`): filled, then copied into the region; kept
    /// between requests so a read allocates nothing.
    pub(crate) scratch: alloc::vec::Vec<u8>,
}

impl<V: Volume, S: SecurityServer> FileServer<V, S> {
    /// A server for volume `vol`, deciding through `sec`.
    ///
    /// # Errors
    /// `EINVAL` if the policy lacks the vocabulary (see [`Mac::new`]) or
    /// the file-system context is invalid.
    pub fn new(vol: V, sec: S, cfg: Config) -> Result<FileServer<V, S>, Errno> {
        let mut mac = Mac::new(sec)?;
        let fs_sid = mac.om.sec.context_to_sid(&cfg.fs_context)?;
        Ok(FileServer {
            vol: Mounts::new(vol),
            mounter: None,
            mac,
            labels: BTreeMap::new(),
            unstored: BTreeSet::new(),
            conns: BTreeMap::new(),
            next_conn: 1,
            tokens: BTreeMap::new(),
            next_token: 1,
            pipes: Pipes::default(),
            open_count: BTreeMap::new(),
            orphans: BTreeSet::new(),
            fs_sid,
            cfg,
            dirty: false,
            ids: None,
            dev: None,
            down: false,
            scratch: alloc::vec::Vec::new(),
        })
    }

    /// The root volume.
    pub fn volume(&mut self) -> &mut V {
        &mut self.vol.root
    }

    /// Sets how `Request::Mount` opens a device (the guest server attaches
    /// the named virtio-blk device through the device manager).
    pub fn set_mounter(&mut self, m: Mounter) {
        self.mounter = Some(m);
    }

    /// Serves the device nodes of `devs` at `/dev` (docs/storage.md §11):
    /// the volume is mounted over the root volume's `/dev` directory, for
    /// good (it cannot be unmounted, and nothing can be mounted over it).
    ///
    /// # Errors
    /// `ENOENT` if the root has no `/dev`, `ENOTDIR` if it is not a
    /// directory, `EBUSY` if devices are already served, the volume's
    /// errors.
    pub fn serve_devices(&mut self, devs: DevFs) -> Result<(), Errno> {
        if self.dev.is_some() {
            return Err(Errno::EBUSY);
        }
        let root = self.vol.root();
        let ino = self.vol.lookup(root, b"dev")?.ok_or(Errno::ENOENT)?;
        if self.vol.getattr(ino)?.kind != rampart_fs_api::FileType::Dir {
            return Err(errno::ENOTDIR);
        }
        self.dev = Some(self.vol.attach(ino, alloc::boxed::Box::new(devs))?);
        Ok(())
    }

    /// The device node `ino` is, if it is one of `/dev`'s.
    pub(crate) fn device_of(&self, ino: Ino) -> Option<Device> {
        let (i, local) = crate::mount::split(ino);
        (Some(i) == self.dev).then(|| DevFs::device(local)).flatten()
    }

    /// True if `ino` belongs to the `/dev` volume.
    pub(crate) fn on_devfs(&self, ino: Ino) -> bool {
        Some(crate::mount::index_of(ino)) == self.dev
    }

    /// Registers a client connection whose security context is `sid`; its
    /// uid and gids come from the identity table (docs/storage.md §6).
    /// Identifiers are never those of a live connection (after 2^32 - 1
    /// connections they wrap, skipping live ones).
    pub fn connect(&mut self, sid: u32) -> ConnId {
        let cred = self.identity_of(sid);
        let mut n = self.next_conn;
        while self.conns.contains_key(&ConnId(n)) {
            n = n.wrapping_add(1).max(1);
        }
        self.next_conn = n.wrapping_add(1).max(1);
        let id = ConnId(n);
        self.conns.insert(id, Conn { sid, cred, handles: BTreeMap::new(), next: 1, region_len: None });
        id
    }

    /// Ends a connection, closing its handles.
    pub fn disconnect(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.remove(&conn) {
            for (h, open) in c.handles {
                self.release(conn, Handle(h), &open);
            }
        }
    }

    /// Commits and unmounts the volume (orderly shutdown).
    ///
    /// # Errors
    /// `EIO`.
    pub fn shutdown(&mut self) -> Result<(), Errno> {
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for c in conns {
            self.disconnect(c);
        }
        self.down = true;
        self.vol.unmount()
    }

    /// `Request::Shutdown` from `conn`: uid 0 and `filesystem unmount`
    /// on the root file system, then [`FileServer::shutdown`].
    pub(crate) fn shutdown_for(&mut self, conn: ConnId) -> Result<(), Errno> {
        let s = self.subject(conn)?;
        if !s.cred.is_root() {
            return Err(Errno::EPERM);
        }
        self.mac.check_fs(s.sid, self.fs_sid, crate::security::FsPerm::Unmount)?;
        self.shutdown()
    }

    /// Handles one request of `conn`. `region` is the connection's shared
    /// memory, seen only through copies (`rampart_uabi::region`: the client
    /// may write it concurrently); `badge` is the badge the kernel unwrapped
    /// from a capability transferred with the request (a token for
    /// `AdoptToken`). `ExecImage` needs [`FileServer::handle_with`]'s
    /// sealer (`ENOSYS` here).
    pub fn handle(
        &mut self,
        conn: ConnId,
        req: Request,
        region: &mut dyn SharedRegion,
        badge: Option<u64>,
    ) -> Response {
        self.handle_with(conn, req, region, badge, None)
    }

    /// As [`FileServer::handle`], with the sealer `ExecImage` fills
    /// (memory from the resource manager in the guest server).
    pub fn handle_with<'a>(
        &mut self,
        conn: ConnId,
        req: Request,
        region: &'a mut dyn SharedRegion,
        badge: Option<u64>,
        sealer: Option<&'a mut dyn Sealer>,
    ) -> Response {
        if self.down {
            return Response::Err(Errno::EIO);
        }
        let r = match self.subject(conn) {
            Ok(s) => {
                let mut cx = crate::serve::Cx { conn, s, region, badge, sealer };
                rampart_fs_api::dispatch(&mut crate::serve::Serve(self), &mut cx, req)
            }
            Err(e) => Response::Err(e),
        };
        if self.down {
            // `Shutdown` was served: nothing is left to commit.
            return r;
        }
        if self.dirty {
            self.identities_changed();
        }
        let r = match (r, self.dirty && self.cfg.commit == Commit::EveryRequest) {
            (Response::Err(e), _) => Response::Err(e),
            (resp, true) => self.vol.sync().map(|()| resp).unwrap_or_else(Response::Err),
            (resp, false) => resp,
        };
        if self.cfg.commit == Commit::EveryRequest {
            self.dirty = false;
        }
        r
    }

    /// The subject of `conn`'s requests.
    pub(crate) fn subject(&self, conn: ConnId) -> Result<Subject, Errno> {
        let c = self.conns.get(&conn).ok_or(Errno::EBADF)?;
        Ok(Subject { sid: c.sid, cred: c.cred })
    }

    pub(crate) fn conn(&mut self, conn: ConnId) -> Result<&mut Conn, Errno> {
        self.conns.get_mut(&conn).ok_or(Errno::EBADF)
    }

    pub(crate) fn get_open(&mut self, conn: ConnId, h: Handle) -> Result<&mut Open, Errno> {
        self.conn(conn)?.handles.get_mut(&h.0).ok_or(Errno::EBADF)
    }

    /// Adds `open` to `conn`'s table, counting the reference.
    pub(crate) fn insert_handle(&mut self, conn: ConnId, open: Open) -> Result<Handle, Errno> {
        let max = self.cfg.max_handles;
        let c = self.conns.get_mut(&conn).ok_or(Errno::EBADF)?;
        if c.handles.len() >= max {
            return Err(errno::EMFILE);
        }
        let h = c.next;
        c.next = c.next.checked_add(1).ok_or(errno::EMFILE)?;
        match open.obj {
            Object::File { ino, .. } => *self.open_count.entry(ino).or_insert(0) += 1,
            Object::Pipe { id, write } => self.pipes.add_end(id, write),
        }
        c.handles.insert(h, open);
        Ok(Handle(h))
    }

    /// Drops the reference `open` held; reclaims an unlinked file with its
    /// last handle; voids tokens issued for it.
    pub(crate) fn release(&mut self, conn: ConnId, h: Handle, open: &Open) {
        self.tokens.retain(|_, t| t.issuer != (conn, h));
        match open.obj {
            Object::File { ino, .. } => {
                let n = self.open_count.entry(ino).or_insert(1);
                *n -= 1;
                if *n == 0 {
                    self.open_count.remove(&ino);
                    if self.orphans.remove(&ino) {
                        self.forget(ino);
                        if self.vol.reclaim(ino).is_ok() {
                            self.dirty = true;
                        }
                    }
                }
            }
            Object::Pipe { id, write } => self.pipes.close_end(id, write),
        }
    }

    /// Forgets the cached label of a freed inode (the number may be reused).
    pub(crate) fn forget(&mut self, ino: Ino) {
        self.labels.remove(&ino);
        self.unstored.remove(&ino);
    }

    pub(crate) fn new_token(&mut self, t: Token) -> u64 {
        let badge = (1u64 << 40) | self.next_token;
        self.next_token += 1;
        self.tokens.insert(badge, t);
        badge
    }
}

/// The bytes of a path argument, checked for length and NUL bytes (a
/// path in the region is copied out of it first).
pub(crate) fn path_arg(p: &PathArg, region: &dyn SharedRegion) -> Result<Vec<u8>, Errno> {
    let bytes: Vec<u8> = match p {
        PathArg::Inline(s) => s.as_bytes().to_vec(),
        PathArg::Shared { offset, len } => {
            if *len as usize > rampart_fs_api::PATH_MAX {
                return Err(errno::ENAMETOOLONG);
            }
            region.copy_out(*offset as usize, *len as usize)?
        }
    };
    if bytes.len() > rampart_fs_api::PATH_MAX {
        return Err(errno::ENAMETOOLONG);
    }
    if bytes.is_empty() {
        return Err(Errno::ENOENT);
    }
    if bytes.contains(&0) {
        return Err(Errno::EINVAL);
    }
    Ok(bytes)
}
