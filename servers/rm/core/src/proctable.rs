//! The process table: pids, parents, exit statuses and waiting.
//!
//! A task that ends becomes a *zombie* record (pid, parent, status) — it
//! holds no kernel object any more — until its parent collects it with
//! `Wait`. A parent blocked in `Wait` is recorded with an opaque token
//! (rm's saved reply) and woken by the exit. Children of an ended task are
//! handed to init ([`INIT_PID`]); its unreaped zombies are dropped.
//!
//! A child that stops or continues leaves a one-shot *event* for its parent
//! (`WUNTRACED`, `WCONTINUED`). Process groups, sessions and terminals are
//! in [`crate::jobs`].

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_rm_api::{ChildEvent, ContainerId, ExitStatus, INIT_PID, Pid, WaitFor};
use rampart_uabi::signal::Signo;

/// A task's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// Its pid.
    pub pid: Pid,
    /// Its parent.
    pub parent: Pid,
    /// The container it is charged to.
    pub container: ContainerId,
    /// Its security context.
    pub context: String,
    /// May it learn physical addresses (drivers)?
    pub privileged: bool,
    /// `None` while alive.
    pub status: Option<ExitStatus>,
    /// Its process group.
    pub pgid: Pid,
    /// Its session.
    pub sid: Pid,
    /// A stop or continue not yet reported to the parent.
    pub event: Option<ChildEvent>,
}

/// Which events a `Wait` reports besides exits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitOptions {
    /// Block until one happens.
    pub block: bool,
    /// Stopped children (`WUNTRACED`).
    pub stopped: bool,
    /// Continued children (`WCONTINUED`).
    pub continued: bool,
}

/// A parent blocked in `Wait`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter<W> {
    /// The children it waits for.
    pub filter: WaitFor,
    /// What it reports.
    pub opts: WaitOptions,
    /// rm's handle for answering it.
    pub token: W,
}

/// What an exit requires rm to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitEffects<W> {
    /// Answer this waiting parent: (token, child, status). The zombie is
    /// already reaped.
    pub wake: Option<(W, Pid, ExitStatus)>,
    /// Signal this parent's notification (no waiter matched).
    pub notify: Option<Pid>,
    /// A `Wait` the ended task itself was blocked in (its token is void).
    pub cancelled: Option<W>,
    /// Live children handed to init.
    pub reparented: Vec<Pid>,
    /// Process groups to send `SIGHUP` (then `SIGCONT`): the foreground
    /// group of a terminal whose session leader or server ended.
    pub hangup: Vec<Pid>,
}

/// What a stop or continue requires rm to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeEffects<W> {
    /// Answer this waiting parent: (token, child, event); the event is
    /// consumed.
    pub wake: Option<(W, Pid, ChildEvent)>,
    /// The parent to notify (and send `SIGCHLD`) otherwise.
    pub notify: Option<Pid>,
}

/// The result of a `Wait`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitResult {
    /// A child had ended (now reaped), stopped or continued.
    Event(Pid, ChildEvent),
    /// None has ended and the caller does not block.
    NoneYet,
    /// The caller is recorded as waiting.
    Blocked,
    /// No such child.
    NoChild,
    /// The caller is already waiting.
    Busy,
}

/// The table.
#[derive(Clone, Debug)]
pub struct ProcTable<W> {
    pub(crate) procs: BTreeMap<Pid, Proc>,
    children: BTreeMap<Pid, BTreeSet<Pid>>,
    waiters: BTreeMap<Pid, Waiter<W>>,
    next: Pid,
    pub(crate) terminals: BTreeMap<u32, crate::jobs::Terminal>,
    pub(crate) next_terminal: u32,
}

impl<W: Copy> Default for ProcTable<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W: Copy> ProcTable<W> {
    /// An empty table; pids start after init's.
    pub fn new() -> ProcTable<W> {
        ProcTable {
            procs: BTreeMap::new(),
            children: BTreeMap::new(),
            waiters: BTreeMap::new(),
            next: INIT_PID + 1,
            terminals: BTreeMap::new(),
            next_terminal: 1,
        }
    }

    /// A fresh pid (never 0 or a pid in the table).
    pub fn alloc_pid(&mut self) -> Pid {
        loop {
            let p = self.next;
            self.next = if self.next == Pid::MAX { INIT_PID + 1 } else { self.next + 1 };
            if p > INIT_PID && !self.procs.contains_key(&p) {
                return p;
            }
        }
    }

    /// Records a live task.
    pub fn insert(&mut self, p: Proc) {
        self.children.entry(p.parent).or_default().insert(p.pid);
        self.procs.insert(p.pid, p);
    }

    /// The record of `pid`.
    pub fn get(&self, pid: Pid) -> Option<&Proc> {
        self.procs.get(&pid)
    }

    /// Live tasks.
    pub fn live(&self) -> usize {
        self.procs.values().filter(|p| p.status.is_none()).count()
    }

    /// Zombies.
    pub fn zombies(&self) -> usize {
        self.procs.values().filter(|p| p.status.is_some()).count()
    }

    /// Live children of `pid`.
    pub fn live_children(&self, pid: Pid) -> Vec<Pid> {
        self.children.get(&pid).map_or(Vec::new(), |c| {
            c.iter().copied().filter(|k| self.procs.get(k).is_some_and(|p| p.status.is_none())).collect()
        })
    }

    /// True if `victim` is a proper descendant of `killer`.
    pub fn is_descendant(&self, victim: Pid, killer: Pid) -> bool {
        let mut p = victim;
        for _ in 0..self.procs.len() + 1 {
            let Some(r) = self.procs.get(&p) else { return false };
            if r.parent == killer {
                return true;
            }
            if r.parent == p || r.parent == 0 {
                return false;
            }
            p = r.parent;
        }
        false
    }

    fn reap(&mut self, pid: Pid) {
        if let Some(p) = self.procs.remove(&pid)
            && let Some(c) = self.children.get_mut(&p.parent)
        {
            c.remove(&pid);
            if c.is_empty() {
                self.children.remove(&p.parent);
            }
        }
    }

    /// Task `pid` ended with `status` (rm has destroyed it).
    pub fn exited(&mut self, pid: Pid, status: ExitStatus) -> ExitEffects<W> {
        let mut fx =
            ExitEffects { wake: None, notify: None, cancelled: None, reparented: Vec::new(), hangup: Vec::new() };
        let Some(parent) = self.procs.get(&pid).filter(|p| p.status.is_none()).map(|p| p.parent) else {
            return fx;
        };
        fx.cancelled = self.waiters.remove(&pid).map(|w| w.token);
        // Children: live ones go to init, zombies are dropped.
        for c in self.children.remove(&pid).unwrap_or_default() {
            match self.procs.get_mut(&c) {
                Some(p) if p.status.is_none() => {
                    p.parent = INIT_PID;
                    self.children.entry(INIT_PID).or_default().insert(c);
                    fx.reparented.push(c);
                }
                _ => {
                    self.procs.remove(&c);
                }
            }
        }
        fx.hangup = self.release_terminals(pid);
        if let Some(p) = self.procs.get_mut(&pid) {
            p.status = Some(status);
            p.event = None;
        }
        if let Some(w) = self.waiters.get(&parent).copied()
            && self.matches(parent, w.filter, pid)
        {
            self.waiters.remove(&parent);
            self.reap(pid);
            fx.wake = Some((w.token, pid, status));
        } else {
            fx.notify = Some(parent);
        }
        fx
    }

    fn matches(&self, parent: Pid, filter: WaitFor, child: Pid) -> bool {
        let Some(c) = self.procs.get(&child) else { return false };
        match filter {
            WaitFor::Any => true,
            WaitFor::Pid(p) => p == child,
            WaitFor::Group(0) => self.procs.get(&parent).is_some_and(|p| p.pgid == c.pgid),
            WaitFor::Group(g) => g == c.pgid,
        }
    }

    /// Live task `pid` stopped (signal `sig`) or, with `None`, continued:
    /// the event is kept for its parent's `Wait`, or answers a waiting
    /// parent that asked for it.
    pub fn changed(&mut self, pid: Pid, sig: Option<Signo>) -> ChangeEffects<W> {
        let mut fx = ChangeEffects { wake: None, notify: None };
        let ev = match sig {
            Some(s) => ChildEvent::Stopped(s),
            None => ChildEvent::Continued,
        };
        let Some(parent) = self.procs.get_mut(&pid).filter(|p| p.status.is_none()).map(|p| {
            p.event = Some(ev);
            p.parent
        }) else {
            return fx;
        };
        if let Some(w) = self.waiters.get(&parent).copied()
            && self.matches(parent, w.filter, pid)
            && wants(w.opts, ev)
        {
            self.waiters.remove(&parent);
            if let Some(p) = self.procs.get_mut(&pid) {
                p.event = None;
            }
            fx.wake = Some((w.token, pid, ev));
        } else {
            fx.notify = Some(parent);
        }
        fx
    }

    /// Forgets that `pid` waits (rm interrupted its `Wait` for a signal);
    /// the token, if it waited.
    pub fn cancel_wait(&mut self, pid: Pid) -> Option<W> {
        self.waiters.remove(&pid).map(|w| w.token)
    }

    /// `pid` waits for a child matching `filter` to end (or stop, or
    /// continue, as `opts` asks).
    pub fn wait(&mut self, pid: Pid, filter: WaitFor, opts: WaitOptions, token: W) -> WaitResult {
        let kids: Vec<Pid> = self
            .children
            .get(&pid)
            .map_or(Vec::new(), |c| c.iter().copied().filter(|k| self.matches(pid, filter, *k)).collect());
        if kids.is_empty() {
            return WaitResult::NoChild;
        }
        if let Some((k, s)) = kids.iter().find_map(|k| self.procs.get(k).and_then(|p| p.status.map(|s| (*k, s)))) {
            self.reap(k);
            return WaitResult::Event(k, ChildEvent::Exited(s));
        }
        for k in &kids {
            if let Some(p) = self.procs.get_mut(k)
                && let Some(ev) = p.event
                && wants(opts, ev)
            {
                p.event = None;
                return WaitResult::Event(*k, ev);
            }
        }
        if !opts.block {
            return WaitResult::NoneYet;
        }
        if self.waiters.contains_key(&pid) {
            return WaitResult::Busy;
        }
        self.waiters.insert(pid, Waiter { filter, opts, token });
        WaitResult::Blocked
    }

    /// Number of blocked waiters.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }
}

fn wants(opts: WaitOptions, ev: ChildEvent) -> bool {
    match ev {
        ChildEvent::Exited(_) => true,
        ChildEvent::Stopped(_) => opts.stopped,
        ChildEvent::Continued => opts.continued,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn proc(pid: Pid, parent: Pid) -> Proc {
        Proc {
            pid,
            parent,
            container: 0,
            context: "u:r:t".to_string(),
            privileged: false,
            status: None,
            pgid: 1,
            sid: 1,
            event: None,
        }
    }

    const BLOCK: WaitOptions = WaitOptions { block: true, stopped: false, continued: false };
    const POLL: WaitOptions = WaitOptions { block: false, stopped: false, continued: false };

    fn table() -> ProcTable<u32> {
        let mut t = ProcTable::new();
        t.insert(proc(INIT_PID, 0));
        t
    }

    #[test]
    fn exit_then_wait_and_wait_then_exit() {
        let mut t = table();
        let a = t.alloc_pid();
        t.insert(proc(a, INIT_PID));
        let b = t.alloc_pid();
        t.insert(proc(b, a));
        assert_eq!(t.wait(a, WaitFor::Any, POLL, 7), WaitResult::NoneYet);
        let fx = t.exited(b, ExitStatus::Exited(3));
        assert_eq!(fx.notify, Some(a));
        assert_eq!(t.zombies(), 1);
        assert_eq!(
            t.wait(a, WaitFor::Pid(b), BLOCK, 7),
            WaitResult::Event(b, ChildEvent::Exited(ExitStatus::Exited(3)))
        );
        assert_eq!(t.zombies(), 0);
        assert_eq!(t.wait(a, WaitFor::Any, BLOCK, 7), WaitResult::NoChild);

        let c = t.alloc_pid();
        t.insert(proc(c, a));
        assert_eq!(t.wait(a, WaitFor::Any, BLOCK, 9), WaitResult::Blocked);
        assert_eq!(t.wait(a, WaitFor::Any, BLOCK, 9), WaitResult::Busy);
        let fx = t.exited(c, ExitStatus::KILLED);
        assert_eq!(fx.wake, Some((9, c, ExitStatus::KILLED)));
        assert!(t.get(c).is_none(), "reaped by the waiter");
        assert_eq!(t.waiting(), 0);
    }

    #[test]
    fn orphans_go_to_init_and_descendants() {
        let mut t = table();
        let a = t.alloc_pid();
        t.insert(proc(a, INIT_PID));
        let b = t.alloc_pid();
        t.insert(proc(b, a));
        let z = t.alloc_pid();
        t.insert(proc(z, a));
        let c = t.alloc_pid();
        t.insert(proc(c, b));
        assert!(t.is_descendant(c, a) && t.is_descendant(c, INIT_PID) && !t.is_descendant(a, c));
        assert!(!t.is_descendant(a, a));
        t.exited(z, ExitStatus::Exited(0));
        assert_eq!(t.wait(b, WaitFor::Any, BLOCK, 1), WaitResult::Blocked);
        let fx = t.exited(a, ExitStatus::Exited(1));
        assert_eq!(fx.reparented, [b]);
        assert!(t.get(z).is_none(), "unreaped zombie of an ended parent is dropped");
        let fx = t.exited(b, ExitStatus::Exited(2));
        assert_eq!(fx.cancelled, Some(1));
        assert_eq!(fx.notify, Some(INIT_PID));
        assert_eq!(t.get(c).unwrap().parent, INIT_PID);
        assert_eq!(
            t.wait(INIT_PID, WaitFor::Pid(a), POLL, 0),
            WaitResult::Event(a, ChildEvent::Exited(ExitStatus::Exited(1)))
        );
        // A second exit report for the same task changes nothing.
        let fx = t.exited(b, ExitStatus::KILLED);
        assert!(fx.wake.is_none() && fx.notify.is_none());
    }

    #[test]
    fn stops_and_continues_are_reported_once_when_asked_for() {
        let mut t = table();
        let a = t.alloc_pid();
        t.insert(proc(a, INIT_PID));
        let b = t.alloc_pid();
        t.insert(proc(b, a));
        let untraced = WaitOptions { stopped: true, ..POLL };
        let fx = t.changed(b, Some(20));
        assert_eq!((fx.wake, fx.notify), (None, Some(a)));
        assert_eq!(t.wait(a, WaitFor::Any, POLL, 0), WaitResult::NoneYet, "not asked for stops");
        assert_eq!(t.wait(a, WaitFor::Any, untraced, 0), WaitResult::Event(b, ChildEvent::Stopped(20)));
        assert_eq!(t.wait(a, WaitFor::Any, untraced, 0), WaitResult::NoneYet, "reported once");
        // A waiting parent that asked for stops is woken by one.
        assert_eq!(
            t.wait(a, WaitFor::Pid(b), WaitOptions { block: true, stopped: true, continued: true }, 5),
            WaitResult::Blocked
        );
        let fx = t.changed(b, None);
        assert_eq!(fx.wake, Some((5, b, ChildEvent::Continued)));
        // One that did not is left waiting.
        assert_eq!(t.wait(a, WaitFor::Any, BLOCK, 6), WaitResult::Blocked);
        let fx = t.changed(b, Some(19));
        assert_eq!((fx.wake, fx.notify), (None, Some(a)));
        assert_eq!(t.cancel_wait(a), Some(6));
        assert_eq!(t.cancel_wait(a), None);
        // Exit supersedes a pending stop event.
        t.exited(b, ExitStatus::Signaled(15));
        assert_eq!(
            t.wait(a, WaitFor::Any, untraced, 0),
            WaitResult::Event(b, ChildEvent::Exited(ExitStatus::Signaled(15)))
        );
        assert_eq!(t.changed(b, Some(20)).notify, None, "gone");
    }

    #[test]
    fn wait_for_a_group() {
        let mut t = table();
        let a = t.alloc_pid();
        t.insert(proc(a, INIT_PID));
        let b = t.alloc_pid();
        t.insert(Proc { pgid: 50, ..proc(b, a) });
        let c = t.alloc_pid();
        t.insert(proc(c, a));
        assert_eq!(t.wait(a, WaitFor::Group(51), BLOCK, 0), WaitResult::NoChild);
        assert_eq!(t.wait(a, WaitFor::Group(50), BLOCK, 1), WaitResult::Blocked);
        t.exited(c, ExitStatus::Exited(0));
        assert_eq!(
            t.wait(a, WaitFor::Group(0), POLL, 0),
            WaitResult::Event(c, ChildEvent::Exited(ExitStatus::Exited(0))),
            "own group"
        );
        let fx = t.exited(b, ExitStatus::Exited(4));
        assert_eq!(fx.wake, Some((1, b, ExitStatus::Exited(4))));
    }

    #[test]
    fn pids_are_unique() {
        let mut t = table();
        let mut seen = BTreeSet::new();
        for _ in 0..1000 {
            let p = t.alloc_pid();
            assert!(p > INIT_PID && seen.insert(p));
            t.insert(proc(p, INIT_PID));
        }
    }
}
