//! A mock operating system for the shell tests.
//!
//! The world holds a small file system, pipes, processes and a terminal.
//! Spawned children do not run at once: a child runs when it is waited
//! for, or when someone reads a pipe it writes to. Pipes are unbounded.
//! This catches descriptor bugs deterministically: a process that reads a
//! pipe whose write end is still held by a *running* process (the shell)
//! would block forever on a real system, and panics here.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

mod programs;
mod world;
pub use programs::Ctx;
use programs::programs;
pub use world::*;

use shell::{FdMapping, FileKind, Metadata, OpenMode, Os, OsError, Pid, SpawnRequest, WaitFlags, WaitStatus};

/// A program: gets a context, returns an exit code (negative: killed by that signal).
pub type Program = Rc<dyn Fn(&mut Ctx) -> i32>;

#[derive(Clone, Debug)]
pub enum Node {
    File { data: Vec<u8>, mode: u32 },
    Dir,
}

#[derive(Debug)]
pub struct FileHandle {
    pub path: String,
    pub pos: usize,
    pub append: bool,
    pub readable: bool,
    pub writable: bool,
}

#[derive(Clone, Debug)]
pub enum Obj {
    File(Rc<RefCell<FileHandle>>),
    PipeR(usize),
    PipeW(usize),
    TtyIn,
    TtyOut,
    TtyErr,
}

impl Obj {
    pub fn describe(&self) -> String {
        match self {
            Obj::File(h) => {
                let h = h.borrow();
                format!("file:{}:{}", h.path, if h.writable { if h.append { "a" } else { "w" } } else { "r" })
            }
            Obj::PipeR(i) => format!("pipe{i}:r"),
            Obj::PipeW(i) => format!("pipe{i}:w"),
            Obj::TtyIn => "tty:in".into(),
            Obj::TtyOut => "tty:out".into(),
            Obj::TtyErr => "tty:err".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum State {
    Pending,
    Running,
    /// Stopped by a signal (job control); `SIGCONT` makes it pending again.
    Stopped(i32),
    Done(WaitStatus),
    Reaped,
}

pub struct Proc {
    pub parent: Pid,
    pub path: String,
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub fds: BTreeMap<u32, Obj>,
    pub state: State,
    /// Its process group.
    pub pgid: Pid,
}

/// What a spawn looked like, for assertions.
#[derive(Clone, Debug)]
pub struct SpawnRecord {
    pub pid: Pid,
    pub path: String,
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    /// Child descriptor -> description of the object (`pipe0:w`, `file:/x:w`, `tty:out`).
    pub fds: BTreeMap<u32, String>,
    /// The process group it was spawned into.
    pub pgid: Pid,
}

pub struct World {
    pub fs: BTreeMap<String, Node>,
    /// Paths the "policy" denies (open, spawn, read_dir, chdir).
    pub denied: BTreeSet<String>,
    pub pipes: Vec<VecDeque<u8>>,
    pub procs: BTreeMap<Pid, Proc>,
    pub programs: BTreeMap<String, Program>,
    pub spawns: Vec<SpawnRecord>,
    pub pipe_count: usize,
    pub stdin: VecDeque<u8>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub tty: bool,
    pub raw_mode: Vec<bool>,
    /// Every group `tcsetpgrp` made the terminal's foreground, in order.
    pub foreground: Vec<Pid>,
    /// Signals sent: (`pid` or `-pgid`, signal), in order.
    pub signals: Vec<(i64, i32)>,
    /// Processes that stop with this signal (Ctrl-Z: 20) the first time
    /// the shell waits for them reporting stops, instead of running.
    pub stops: BTreeMap<Pid, i32>,
    /// `job_control_signals` calls.
    pub jc_signals: Vec<bool>,
    /// How many of the next blocking `waitpid` calls a signal interrupts
    /// (`Interrupted`: Ctrl-C reached the shell).
    pub interrupts: usize,
    /// A `SIGINT` reached the shell (`take_interrupt`); `sigint_at_spawn`
    /// makes every spawn set it (Ctrl-C typed while a job starts).
    pub sigint: bool,
    pub sigint_at_spawn: bool,
    pub context: String,
    pub next_pid: Pid,
    /// Children that `try_wait` must not report yet (still "running"),
    /// unless a signal ended them.
    pub busy: BTreeSet<Pid>,
    /// Bytes files may still grow by (a full disk at 0): a write past it
    /// writes what fits, and one that fits nothing fails with `ENOSPC`,
    /// as `write(2)` does. `None`: unlimited.
    pub disk_free: Option<usize>,
}

pub const SHELL_PID: Pid = 100;

#[derive(Clone)]
pub struct MockOs {
    pub world: Rc<RefCell<World>>,
    pub pid: Pid,
}

impl World {
    fn live_writer(&self, pipe: usize) -> Option<(Pid, State)> {
        self.procs
            .iter()
            .filter(|(_, p)| matches!(p.state, State::Pending | State::Running))
            .filter(|(_, p)| p.fds.values().any(|o| matches!(o, Obj::PipeW(i) if *i == pipe)))
            .map(|(pid, p)| (*pid, p.state.clone()))
            .min_by_key(|(_, s)| if *s == State::Pending { 0 } else { 1 })
    }
}

impl MockOs {
    fn obj(&self, fd: u32) -> Result<Obj, OsError> {
        let w = self.world.borrow();
        w.procs[&self.pid].fds.get(&fd).cloned().ok_or(OsError::BadFd)
    }

    fn new_fd(&self, obj: Obj) -> u32 {
        let mut w = self.world.borrow_mut();
        let fds = &mut w.procs.get_mut(&self.pid).unwrap().fds;
        let fd = (3..).find(|n| !fds.contains_key(n)).unwrap();
        fds.insert(fd, obj);
        fd
    }

    /// Run a pending process to completion.
    pub fn run_proc(world: &Rc<RefCell<World>>, pid: Pid) {
        let (program, argv, env, cwd) = {
            let mut w = world.borrow_mut();
            let p = w.procs.get_mut(&pid).unwrap();
            if p.state != State::Pending {
                return;
            }
            p.state = State::Running;
            let (path, argv, env, cwd) = (p.path.clone(), p.argv.clone(), p.env.clone(), p.cwd.clone());
            (w.programs.get(&path).cloned(), argv, env, cwd)
        };
        let mut ctx = Ctx { os: MockOs { world: world.clone(), pid }, argv, env, cwd };
        let code = match program {
            Some(prog) => prog(&mut ctx),
            None => 127,
        };
        let mut w = world.borrow_mut();
        let p = w.procs.get_mut(&pid).unwrap();
        p.state = State::Done(if code < 0 { WaitStatus::Signaled(-code) } else { WaitStatus::Exited(code) });
        p.fds.clear();
    }

    fn node(&self, path: &str) -> Option<Node> {
        self.world.borrow().fs.get(path).cloned()
    }

    fn denied(&self, path: &str) -> bool {
        self.world.borrow().denied.contains(path)
    }
}

/// Limits a write ending at `*end` (from `pos`, in a file of `len`
/// bytes) to the free space in `free`, and takes the growth from it:
/// `Err(ENOSPC)` when nothing fits.
fn take_free(free: &mut Option<usize>, len: usize, pos: usize, end: &mut usize) -> Result<(), OsError> {
    let Some(f) = free.as_mut() else { return Ok(()) };
    let grow = end.saturating_sub(len.max(pos));
    let room = grow.min(*f);
    if room == 0 && grow > 0 {
        return Err(OsError::Other(28));
    }
    *end -= grow - room;
    *f -= room;
    Ok(())
}

fn parent_of(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => path[..i].into(),
        None => "/".into(),
    }
}

impl Os for MockOs {
    fn spawn(&mut self, req: &SpawnRequest<'_>) -> Result<Pid, OsError> {
        assert!(req.path.starts_with('/'), "spawn path must be absolute: {}", req.path);
        assert!(req.cwd.starts_with('/'));
        assert!(req.fds.windows(2).all(|w| w[0].child < w[1].child), "fd mappings sorted and unique");
        match self.node(req.path) {
            None => return Err(OsError::NotFound),
            Some(Node::Dir) => return Err(OsError::IsADirectory),
            Some(Node::File { mode, data }) => {
                if self.denied(req.path) || mode & 0o111 == 0 {
                    return Err(OsError::PermissionDenied);
                }
                if !self.world.borrow().programs.contains_key(req.path) {
                    let _ = data;
                    return Err(OsError::NotExecutable);
                }
            }
        }
        let mut fds = BTreeMap::new();
        for FdMapping { child, parent } in req.fds {
            fds.insert(*child, self.obj(*parent)?);
        }
        let mut w = self.world.borrow_mut();
        let pid = w.next_pid;
        w.next_pid += 1;
        let record = SpawnRecord {
            pid,
            path: req.path.into(),
            argv: req.argv.to_vec(),
            env: req.env.to_vec(),
            cwd: req.cwd.into(),
            fds: fds.iter().map(|(k, o): (&u32, &Obj)| (*k, o.describe())).collect(),
            pgid: 0,
        };
        let pgid = match req.pgroup {
            None => w.procs[&self.pid].pgid,
            Some(0) => pid,
            Some(g) if w.procs.values().any(|p| p.pgid == g && p.state != State::Reaped) => g,
            Some(_) => return Err(OsError::PermissionDenied),
        };
        let record = SpawnRecord { pgid, ..record };
        if w.sigint_at_spawn {
            w.sigint = true;
        }
        w.spawns.push(record);
        w.procs.insert(
            pid,
            Proc {
                parent: self.pid,
                path: req.path.into(),
                argv: req.argv.to_vec(),
                env: req.env.to_vec(),
                cwd: req.cwd.into(),
                fds,
                state: State::Pending,
                pgid,
            },
        );
        Ok(pid)
    }

    fn wait(&mut self, pid: Option<Pid>) -> Result<(Pid, WaitStatus), OsError> {
        let target = {
            let w = self.world.borrow();
            let mut children =
                w.procs.iter().filter(|(_, p)| p.parent == self.pid && p.state != State::Reaped).map(|(k, _)| *k);
            match pid {
                Some(p) => children.find(|c| *c == p),
                None => children.next(),
            }
        };
        let Some(target) = target else { return Err(OsError::NoChild) };
        if let State::Stopped(sig) = self.world.borrow().procs[&target].state {
            panic!("deadlock: waiting for process {target}, stopped by signal {sig}");
        }
        MockOs::run_proc(&self.world, target);
        let mut w = self.world.borrow_mut();
        let p = w.procs.get_mut(&target).unwrap();
        let State::Done(st) = p.state.clone() else { panic!("process {target} did not finish") };
        p.state = State::Reaped;
        Ok((target, st))
    }

    fn try_wait(&mut self, pid: Option<Pid>) -> Result<Option<(Pid, WaitStatus)>, OsError> {
        let target = {
            let w = self.world.borrow();
            let mut children = w
                .procs
                .iter()
                .filter(|(k, p)| {
                    p.parent == self.pid
                        && !matches!(p.state, State::Reaped | State::Stopped(_))
                        && !(w.busy.contains(k) && p.state == State::Pending)
                })
                .map(|(k, _)| *k);
            match pid {
                Some(p) => children.find(|c| *c == p),
                None => children.next(),
            }
        };
        match target {
            None => Ok(None),
            Some(t) => self.wait(Some(t)).map(Some),
        }
    }

    fn pipe(&mut self) -> Result<(u32, u32), OsError> {
        let id = {
            let mut w = self.world.borrow_mut();
            w.pipes.push(VecDeque::new());
            w.pipe_count += 1;
            w.pipes.len() - 1
        };
        let r = self.new_fd(Obj::PipeR(id));
        let wr = self.new_fd(Obj::PipeW(id));
        Ok((r, wr))
    }

    fn open(&mut self, path: &str, mode: OpenMode) -> Result<u32, OsError> {
        assert!(path.starts_with('/'), "open path must be absolute: {path}");
        if self.denied(path) {
            return Err(OsError::PermissionDenied);
        }
        match (self.node(path), mode) {
            (Some(Node::Dir), OpenMode::Read) => return Err(OsError::IsADirectory),
            (Some(Node::Dir), _) => return Err(OsError::IsADirectory),
            (None, OpenMode::Read) => return Err(OsError::NotFound),
            (None, _) => {
                if !matches!(self.node(&parent_of(path)), Some(Node::Dir)) {
                    return Err(OsError::NotFound);
                }
                self.world.borrow_mut().fs.insert(path.into(), Node::File { data: Vec::new(), mode: 0o644 });
            }
            (Some(Node::File { .. }), OpenMode::WriteTruncate) => {
                if let Some(Node::File { data, .. }) = self.world.borrow_mut().fs.get_mut(path) {
                    data.clear();
                }
            }
            _ => {}
        }
        let h = FileHandle {
            path: path.into(),
            pos: 0,
            append: mode == OpenMode::Append,
            readable: matches!(mode, OpenMode::Read | OpenMode::ReadWrite),
            writable: mode != OpenMode::Read,
        };
        Ok(self.new_fd(Obj::File(Rc::new(RefCell::new(h)))))
    }

    fn close(&mut self, fd: u32) -> Result<(), OsError> {
        let mut w = self.world.borrow_mut();
        w.procs.get_mut(&self.pid).unwrap().fds.remove(&fd).map(|_| ()).ok_or(OsError::BadFd)
    }

    fn read(&mut self, fd: u32, buf: &mut [u8]) -> Result<usize, OsError> {
        match self.obj(fd)? {
            Obj::File(h) => {
                let mut h = h.borrow_mut();
                if !h.readable {
                    return Err(OsError::BadFd);
                }
                let w = self.world.borrow();
                let Some(Node::File { data, .. }) = w.fs.get(&h.path) else { return Ok(0) };
                let n = buf.len().min(data.len().saturating_sub(h.pos));
                buf[..n].copy_from_slice(&data[h.pos..h.pos + n]);
                h.pos += n;
                Ok(n)
            }
            Obj::PipeR(id) => loop {
                {
                    let mut w = self.world.borrow_mut();
                    let q = &mut w.pipes[id];
                    if !q.is_empty() {
                        let n = buf.len().min(q.len());
                        for b in buf.iter_mut().take(n) {
                            *b = q.pop_front().unwrap();
                        }
                        return Ok(n);
                    }
                }
                let writer = self.world.borrow().live_writer(id);
                match writer {
                    None => return Ok(0),
                    Some((pid, State::Pending)) => MockOs::run_proc(&self.world, pid),
                    Some((pid, _)) => {
                        panic!(
                            "deadlock: pid {} reads pipe {id} whose write end is held by running pid {pid}",
                            self.pid
                        )
                    }
                }
            },
            Obj::TtyIn => {
                let mut w = self.world.borrow_mut();
                let n = buf.len().min(w.stdin.len());
                for b in buf.iter_mut().take(n) {
                    *b = w.stdin.pop_front().unwrap();
                }
                Ok(n)
            }
            Obj::PipeW(_) | Obj::TtyOut | Obj::TtyErr => Err(OsError::BadFd),
        }
    }

    fn write(&mut self, fd: u32, buf: &[u8]) -> Result<usize, OsError> {
        match self.obj(fd)? {
            Obj::File(h) => {
                let mut h = h.borrow_mut();
                if !h.writable {
                    return Err(OsError::BadFd);
                }
                let mut w = self.world.borrow_mut();
                let World { fs, disk_free, .. } = &mut *w;
                let Some(Node::File { data, .. }) = fs.get_mut(&h.path) else { return Err(OsError::NotFound) };
                if h.append {
                    h.pos = data.len();
                }
                let mut end = h.pos + buf.len();
                take_free(disk_free, data.len(), h.pos, &mut end)?;
                let buf = &buf[..end - h.pos];
                if data.len() < end {
                    data.resize(end, 0);
                }
                data[h.pos..end].copy_from_slice(buf);
                h.pos = end;
                Ok(buf.len())
            }
            Obj::PipeW(id) => {
                self.world.borrow_mut().pipes[id].extend(buf);
                Ok(buf.len())
            }
            Obj::TtyOut => {
                self.world.borrow_mut().stdout.extend(buf);
                Ok(buf.len())
            }
            Obj::TtyErr => {
                self.world.borrow_mut().stderr.extend(buf);
                Ok(buf.len())
            }
            Obj::PipeR(_) | Obj::TtyIn => Err(OsError::BadFd),
        }
    }

    fn chdir(&mut self, path: &str) -> Result<(), OsError> {
        assert!(path.starts_with('/'));
        match self.node(path) {
            None => Err(OsError::NotFound),
            Some(Node::File { .. }) => Err(OsError::NotADirectory),
            Some(Node::Dir) if self.denied(path) => Err(OsError::PermissionDenied),
            Some(Node::Dir) => {
                self.world.borrow_mut().procs.get_mut(&self.pid).unwrap().cwd = path.into();
                Ok(())
            }
        }
    }

    fn getcwd(&mut self) -> Result<String, OsError> {
        Ok(self.world.borrow().procs[&self.pid].cwd.clone())
    }

    fn stat(&mut self, path: &str) -> Result<Metadata, OsError> {
        assert!(path.starts_with('/'), "stat path must be absolute: {path}");
        match self.node(path) {
            None => Err(OsError::NotFound),
            Some(Node::Dir) => Ok(Metadata { kind: FileKind::Dir, mode: 0o755, size: 0 }),
            Some(Node::File { data, mode }) => Ok(Metadata { kind: FileKind::File, mode, size: data.len() as u64 }),
        }
    }

    fn read_dir(&mut self, path: &str) -> Result<Vec<String>, OsError> {
        assert!(path.starts_with('/'));
        if self.denied(path) {
            return Err(OsError::PermissionDenied);
        }
        match self.node(path) {
            Some(Node::Dir) => {}
            Some(_) => return Err(OsError::NotADirectory),
            None => return Err(OsError::NotFound),
        }
        let prefix = if path == "/" { "/".to_string() } else { format!("{path}/") };
        let w = self.world.borrow();
        // Reverse order: the shell must sort.
        let mut names: Vec<String> =
            w.fs.keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .filter(|rest| !rest.is_empty() && !rest.contains('/'))
                .map(String::from)
                .collect();
        names.reverse();
        Ok(names)
    }

    fn security_context(&mut self) -> Result<String, OsError> {
        Ok(self.world.borrow().context.clone())
    }

    fn pid(&mut self) -> Pid {
        self.pid
    }

    fn is_terminal(&mut self, fd: u32) -> bool {
        self.world.borrow().tty && matches!(self.obj(fd), Ok(Obj::TtyIn | Obj::TtyOut | Obj::TtyErr))
    }

    fn set_raw_mode(&mut self, _fd: u32, raw: bool) -> Result<(), OsError> {
        self.world.borrow_mut().raw_mode.push(raw);
        Ok(())
    }

    fn waitpid(&mut self, pid: Pid, flags: WaitFlags) -> Result<Option<(Pid, WaitStatus)>, OsError> {
        let stop = {
            let mut w = self.world.borrow_mut();
            if !flags.nohang && w.interrupts > 0 {
                w.interrupts -= 1;
                return Err(OsError::Interrupted);
            }
            let pending = w.procs.get(&pid).is_some_and(|p| p.state == State::Pending && p.parent == self.pid);
            match w.stops.get(&pid).copied() {
                Some(sig) if flags.untraced && pending => {
                    w.stops.remove(&pid);
                    w.procs.get_mut(&pid).unwrap().state = State::Stopped(sig);
                    Some(sig)
                }
                _ => None,
            }
        };
        if let Some(sig) = stop {
            return Ok(Some((pid, WaitStatus::Stopped(sig))));
        }
        if flags.nohang { self.try_wait(Some(pid)) } else { self.wait(Some(pid)).map(Some) }
    }

    fn getpgrp(&mut self) -> Pid {
        self.world.borrow().procs[&self.pid].pgid
    }

    fn setpgid(&mut self, pid: Pid, pgid: Pid) -> Result<(), OsError> {
        let target = if pid == 0 { self.pid } else { pid };
        let mut w = self.world.borrow_mut();
        let p = w.procs.get_mut(&target).ok_or(shell::os::ESRCH)?;
        p.pgid = if pgid == 0 { target } else { pgid };
        Ok(())
    }

    fn tcsetpgrp(&mut self, fd: u32, pgid: Pid) -> Result<(), OsError> {
        if !self.is_terminal(fd) {
            return Err(shell::os::ENOTTY);
        }
        self.world.borrow_mut().foreground.push(pgid);
        Ok(())
    }

    fn tcgetpgrp(&mut self, fd: u32) -> Result<Pid, OsError> {
        if !self.is_terminal(fd) {
            return Err(shell::os::ENOTTY);
        }
        Ok(self.world.borrow().foreground.last().copied().unwrap_or(SHELL_PID))
    }

    fn kill(&mut self, pid: Pid, sig: i32) -> Result<(), OsError> {
        self.signal(i64::from(pid), sig)
    }

    fn killpg(&mut self, pgid: Pid, sig: i32) -> Result<(), OsError> {
        self.signal(-i64::from(pgid), sig)
    }

    fn job_control_signals(&mut self, on: bool) -> Result<(), OsError> {
        self.world.borrow_mut().jc_signals.push(on);
        Ok(())
    }

    fn take_interrupt(&mut self) -> bool {
        std::mem::take(&mut self.world.borrow_mut().sigint)
    }
}
