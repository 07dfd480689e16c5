//! The mock world's initial state, the test harness, and the mock's
//! signals (job control).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use shell::{OsError, Shell, ShellConfig, WaitStatus};

use super::{MockOs, Node, Obj, Proc, SHELL_PID, SpawnRecord, State, World, programs};

impl MockOs {
    /// Send `sig` to process `target` (or group `-target`): `SIGCONT`
    /// makes a stopped process pending, a stop signal stops a pending one,
    /// 0 does nothing, any other signal ends it.
    pub(super) fn signal(&self, target: i64, sig: i32) -> Result<(), OsError> {
        let mut w = self.world.borrow_mut();
        w.signals.push((target, sig));
        let mut found = false;
        for (pid, p) in w.procs.iter_mut() {
            let hit = if target < 0 { i64::from(p.pgid) == -target } else { i64::from(*pid) == target };
            if !hit || matches!(p.state, State::Reaped | State::Done(_)) {
                continue;
            }
            found = true;
            p.state = match (sig, &p.state) {
                (0, s) => s.clone(),
                (18, State::Stopped(_)) => State::Pending,
                (18, s) => s.clone(),
                (19..=22, State::Pending) => State::Stopped(sig),
                (19..=22, s) => s.clone(),
                _ => State::Done(WaitStatus::Signaled(sig)),
            };
            if matches!(p.state, State::Done(_)) {
                p.fds.clear();
            }
        }
        if found { Ok(()) } else { Err(shell::os::ESRCH) }
    }
}

impl World {
    /// A world with /bin programs, /home/user, /tmp, /etc/motd and a
    /// shell process with the terminal on 0, 1 and 2.
    pub fn new() -> Rc<RefCell<World>> {
        let mut fs = BTreeMap::new();
        for d in ["/", "/bin", "/dev", "/home", "/home/user", "/tmp", "/etc"] {
            fs.insert(d.to_string(), Node::Dir);
        }
        fs.insert("/dev/null".into(), Node::File { data: Vec::new(), mode: 0o666 });
        fs.insert("/etc/motd".into(), Node::File { data: b"welcome\n".to_vec(), mode: 0o644 });
        fs.insert("/etc/secret".into(), Node::File { data: b"top secret\n".to_vec(), mode: 0o600 });
        let mut progs = BTreeMap::new();
        for (name, p) in programs() {
            let path = format!("/bin/{name}");
            fs.insert(path.clone(), Node::File { data: b"\x7fELF".to_vec(), mode: 0o755 });
            progs.insert(path, p);
        }
        let mut procs = BTreeMap::new();
        let mut fds = BTreeMap::new();
        fds.insert(0, Obj::TtyIn);
        fds.insert(1, Obj::TtyOut);
        fds.insert(2, Obj::TtyErr);
        procs.insert(
            SHELL_PID,
            Proc {
                parent: 0,
                path: "/bin/sh".into(),
                argv: vec!["sh".into()],
                env: vec![],
                cwd: "/home/user".into(),
                fds,
                state: State::Running,
                pgid: 2,
            },
        );
        let mut denied = BTreeSet::new();
        denied.insert("/etc/secret".to_string());
        Rc::new(RefCell::new(World {
            fs,
            denied,
            pipes: Vec::new(),
            procs,
            programs: progs,
            spawns: Vec::new(),
            pipe_count: 0,
            stdin: VecDeque::new(),
            stdout: Vec::new(),
            stderr: Vec::new(),
            tty: false,
            raw_mode: Vec::new(),
            foreground: Vec::new(),
            signals: Vec::new(),
            stops: BTreeMap::new(),
            jc_signals: Vec::new(),
            interrupts: 0,
            sigint: false,
            sigint_at_spawn: false,
            context: "root:sysadm_r:sysadm_t:s0".into(),
            next_pid: 200,
            busy: BTreeSet::new(),
            disk_free: None,
        }))
    }
}

/// A test harness: a world and a shell in it.
pub struct Harness {
    pub world: Rc<RefCell<World>>,
    pub sh: Shell<MockOs>,
}

pub fn env() -> Vec<String> {
    vec!["HOME=/home/user".into(), "PATH=/bin".into(), "USER=root".into()]
}

impl Harness {
    pub fn new() -> Harness {
        let world = World::new();
        let os = MockOs { world: world.clone(), pid: SHELL_PID };
        let sh = Shell::new(os, &env(), ShellConfig::default());
        Harness { world, sh }
    }

    /// Run source text; returns the status.
    pub fn run(&mut self, src: &str) -> i32 {
        match self.sh.run_source(src, None) {
            Ok(s) => s,
            Err(shell::Flow::Exit(s) | shell::Flow::Return(s)) => s,
            Err(_) => self.sh.status(),
        }
    }

    pub fn stdout(&self) -> String {
        String::from_utf8(self.world.borrow().stdout.clone()).unwrap()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8(self.world.borrow().stderr.clone()).unwrap()
    }

    pub fn clear(&self) {
        let mut w = self.world.borrow_mut();
        w.stdout.clear();
        w.stderr.clear();
        w.spawns.clear();
    }

    pub fn file(&self, path: &str) -> Option<String> {
        match self.world.borrow().fs.get(path) {
            Some(Node::File { data, .. }) => Some(String::from_utf8(data.clone()).unwrap()),
            _ => None,
        }
    }

    pub fn add_file(&self, path: &str, data: &str, mode: u32) {
        self.world.borrow_mut().fs.insert(path.into(), Node::File { data: data.as_bytes().to_vec(), mode });
    }

    pub fn add_dir(&self, path: &str) {
        self.world.borrow_mut().fs.insert(path.into(), Node::Dir);
    }

    pub fn spawns(&self) -> Vec<SpawnRecord> {
        self.world.borrow().spawns.clone()
    }

    /// The shell's open descriptors, described.
    pub fn shell_fds(&self) -> Vec<String> {
        let w = self.world.borrow();
        w.procs[&SHELL_PID].fds.iter().map(|(k, o)| format!("{k}={}", o.describe())).collect()
    }

    /// Assert that the shell holds only its terminal descriptors.
    pub fn assert_no_leaks(&self) {
        assert_eq!(self.shell_fds(), vec!["0=tty:in", "1=tty:out", "2=tty:err"], "leaked descriptors");
    }
}

/// Run `src` in a fresh harness: (status, stdout, stderr); checks for leaked descriptors.
pub fn run(src: &str) -> (i32, String, String) {
    let mut h = Harness::new();
    let st = h.run(src);
    h.assert_no_leaks();
    (st, h.stdout(), h.stderr())
}
