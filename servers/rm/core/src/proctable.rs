//! The process table: pids, parents, exit statuses and waiting.
//!
//! A task that ends becomes a *zombie* record (pid, parent, status) — it
//! holds no kernel object any more — until its parent collects it with
//! `Wait`. A parent blocked in `Wait` is recorded with an opaque token
//! (rm's saved reply) and woken by the exit. Children of an ended task are
//! handed to init ([`INIT_PID`]); its unreaped zombies are dropped.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_rm_api::{ContainerId, ExitStatus, INIT_PID, Pid};

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
}

/// A parent blocked in `Wait`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter<W> {
    /// The child it waits for, or any.
    pub filter: Option<Pid>,
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
}

/// The result of a `Wait`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitResult {
    /// A child had ended (now reaped).
    Exited(Pid, ExitStatus),
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
    procs: BTreeMap<Pid, Proc>,
    children: BTreeMap<Pid, BTreeSet<Pid>>,
    waiters: BTreeMap<Pid, Waiter<W>>,
    next: Pid,
}

impl<W: Copy> Default for ProcTable<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W: Copy> ProcTable<W> {
    /// An empty table; pids start after init's.
    pub fn new() -> ProcTable<W> {
        ProcTable { procs: BTreeMap::new(), children: BTreeMap::new(), waiters: BTreeMap::new(), next: INIT_PID + 1 }
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
        let mut fx = ExitEffects { wake: None, notify: None, cancelled: None, reparented: Vec::new() };
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
        if let Some(p) = self.procs.get_mut(&pid) {
            p.status = Some(status);
        }
        match self.waiters.get(&parent) {
            Some(w) if w.filter.is_none_or(|f| f == pid) => {
                let w = self.waiters.remove(&parent).expect("waiter");
                self.reap(pid);
                fx.wake = Some((w.token, pid, status));
            }
            _ => fx.notify = Some(parent),
        }
        fx
    }

    /// `pid` waits for child `filter` (or any child).
    pub fn wait(&mut self, pid: Pid, filter: Option<Pid>, block: bool, token: W) -> WaitResult {
        let kids: Vec<Pid> = self
            .children
            .get(&pid)
            .map_or(Vec::new(), |c| c.iter().copied().filter(|k| filter.is_none_or(|f| f == *k)).collect());
        if kids.is_empty() {
            return WaitResult::NoChild;
        }
        if let Some((k, s)) = kids.iter().find_map(|k| self.procs.get(k).and_then(|p| p.status.map(|s| (*k, s)))) {
            self.reap(k);
            return WaitResult::Exited(k, s);
        }
        if !block {
            return WaitResult::NoneYet;
        }
        if self.waiters.contains_key(&pid) {
            return WaitResult::Busy;
        }
        self.waiters.insert(pid, Waiter { filter, token });
        WaitResult::Blocked
    }

    /// Number of blocked waiters.
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn proc(pid: Pid, parent: Pid) -> Proc {
        Proc { pid, parent, container: 0, context: "u:r:t".to_string(), privileged: false, status: None }
    }

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
        assert_eq!(t.wait(a, None, false, 7), WaitResult::NoneYet);
        let fx = t.exited(b, ExitStatus::Exited(3));
        assert_eq!(fx.notify, Some(a));
        assert_eq!(t.zombies(), 1);
        assert_eq!(t.wait(a, Some(b), true, 7), WaitResult::Exited(b, ExitStatus::Exited(3)));
        assert_eq!(t.zombies(), 0);
        assert_eq!(t.wait(a, None, true, 7), WaitResult::NoChild);

        let c = t.alloc_pid();
        t.insert(proc(c, a));
        assert_eq!(t.wait(a, None, true, 9), WaitResult::Blocked);
        assert_eq!(t.wait(a, None, true, 9), WaitResult::Busy);
        let fx = t.exited(c, ExitStatus::Killed);
        assert_eq!(fx.wake, Some((9, c, ExitStatus::Killed)));
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
        assert_eq!(t.wait(b, None, true, 1), WaitResult::Blocked);
        let fx = t.exited(a, ExitStatus::Exited(1));
        assert_eq!(fx.reparented, [b]);
        assert!(t.get(z).is_none(), "unreaped zombie of an ended parent is dropped");
        let fx = t.exited(b, ExitStatus::Exited(2));
        assert_eq!(fx.cancelled, Some(1));
        assert_eq!(fx.notify, Some(INIT_PID));
        assert_eq!(t.get(c).unwrap().parent, INIT_PID);
        assert_eq!(t.wait(INIT_PID, Some(a), false, 0), WaitResult::Exited(a, ExitStatus::Exited(1)));
        // A second exit report for the same task changes nothing.
        let fx = t.exited(b, ExitStatus::Killed);
        assert!(fx.wake.is_none() && fx.notify.is_none());
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
