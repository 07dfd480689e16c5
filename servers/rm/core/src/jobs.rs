//! Process groups, sessions and terminals (POSIX job control, the
//! "General Terminal Interface" of POSIX.1-2017 §11 and `credentials(7)`),
//! kept in the process table.
//!
//! A terminal is registered by the server that drives it (the console) and
//! labelled with that server's security context; a session leader takes
//! it as its controlling terminal; its foreground process group is the
//! one the terminal's signal keys reach and the only one that may read it.
//! The policy checks on these operations (`console read write setfg`) are
//! made by rm before it calls in here; this module enforces the POSIX
//! structure (same session, group leaders, one terminal per session).

use crate::proctable::{Proc, ProcTable};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_rm_api::Pid;
use rampart_uabi::Errno;

/// A registered terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terminal {
    /// The task that serves it (the only one that may report its signal
    /// keys).
    pub server: Pid,
    /// Its security context (the server's, at registration).
    pub context: String,
    /// The session it is the controlling terminal of.
    pub session: Option<Pid>,
    /// Its foreground process group (0: none).
    pub fg: Pid,
}

impl<W: Copy> ProcTable<W> {
    fn live_proc(&self, pid: Pid) -> Option<&Proc> {
        self.procs.get(&pid).filter(|p| p.status.is_none())
    }

    /// Whether group `pgid` exists in session `sid`: a process of the
    /// session is in it, running or ended but not yet collected by `Wait`
    /// (as in POSIX, a zombie keeps its group: a shell's pipeline `true |
    /// sleep 9` joins the group of `true` even if it has already exited).
    fn group_in_session(&self, pgid: Pid, sid: Pid) -> bool {
        self.procs.values().any(|p| p.pgid == pgid && p.sid == sid)
    }

    /// The group and session of a child `parent` starts with `pgroup`
    /// (`Spawn::pgroup`); `child` is its pid.
    ///
    /// # Errors
    /// `ESRCH` (no parent), `EPERM` (`pgroup` names no group of the
    /// parent's session).
    pub fn spawn_group(&self, parent: Pid, pgroup: Option<Pid>, child: Pid) -> Result<(Pid, Pid), Errno> {
        let p = self.live_proc(parent).ok_or(Errno::ESRCH)?;
        match pgroup {
            None => Ok((p.pgid, p.sid)),
            Some(0) => Ok((child, p.sid)),
            Some(g) if self.group_in_session(g, p.sid) => Ok((g, p.sid)),
            Some(_) => Err(Errno::EPERM),
        }
    }

    /// `setpgid(2)` by `caller`.
    ///
    /// # Errors
    /// `ESRCH` (not the caller or its child), `EPERM` (another session, a
    /// session leader, or no such group in the session).
    pub fn set_pgid(&mut self, caller: Pid, pid: Pid, pgid: Pid) -> Result<(), Errno> {
        let target = if pid == 0 { caller } else { pid };
        let me = self.live_proc(caller).ok_or(Errno::ESRCH)?.clone();
        let t = self.live_proc(target).ok_or(Errno::ESRCH)?;
        if target != caller && t.parent != caller {
            return Err(Errno::ESRCH);
        }
        if t.sid != me.sid || t.sid == target {
            return Err(Errno::EPERM);
        }
        let pgid = if pgid == 0 { target } else { pgid };
        if pgid != target && !self.group_in_session(pgid, me.sid) {
            return Err(Errno::EPERM);
        }
        if let Some(t) = self.procs.get_mut(&target) {
            t.pgid = pgid;
        }
        Ok(())
    }

    /// `setsid(2)` by `caller`; the new session id.
    ///
    /// # Errors
    /// `ESRCH`, `EPERM` (the caller leads a group, or a group with its pid
    /// exists).
    pub fn set_sid(&mut self, caller: Pid) -> Result<Pid, Errno> {
        self.live_proc(caller).ok_or(Errno::ESRCH)?;
        if self.procs.values().any(|p| p.status.is_none() && p.pgid == caller) {
            return Err(Errno::EPERM);
        }
        let p = self.procs.get_mut(&caller).ok_or(Errno::ESRCH)?;
        p.pgid = caller;
        p.sid = caller;
        Ok(caller)
    }

    /// The live members of group `pgid`, in pid order.
    pub fn group(&self, pgid: Pid) -> Vec<Pid> {
        self.procs.values().filter(|p| p.status.is_none() && p.pgid == pgid).map(|p| p.pid).collect()
    }

    /// Whether group `pgid` is orphaned: no member has a parent in another
    /// group of the same session (POSIX: nobody is left to continue it,
    /// so a stop would be forever).
    pub fn orphaned(&self, pgid: Pid) -> bool {
        !self
            .procs
            .values()
            .filter(|p| p.status.is_none() && p.pgid == pgid)
            .any(|p| self.live_proc(p.parent).is_some_and(|parent| parent.pgid != pgid && parent.sid == p.sid))
    }

    /// Registers a terminal served by `server` and labelled `context`; its
    /// id.
    pub fn register_terminal(&mut self, server: Pid, context: String) -> u32 {
        let id = self.next_terminal;
        self.next_terminal = self.next_terminal.wrapping_add(1).max(1);
        self.terminals.insert(id, Terminal { server, context, session: None, fg: 0 });
        id
    }

    /// Terminal `id`.
    pub fn terminal(&self, id: u32) -> Option<&Terminal> {
        self.terminals.get(&id)
    }

    /// The controlling terminal of `pid`'s session.
    pub fn controlling_terminal(&self, pid: Pid) -> Option<u32> {
        let sid = self.live_proc(pid)?.sid;
        self.terminals.iter().find(|(_, t)| t.session == Some(sid)).map(|(id, _)| *id)
    }

    /// `caller`, a session leader without a controlling terminal, takes
    /// terminal `id` (its group becomes the foreground).
    ///
    /// # Errors
    /// `EPERM` (not a session leader, or already has one), `ENXIO` (no
    /// such terminal), `EBUSY` (another session's).
    pub fn set_controlling_terminal(&mut self, caller: Pid, id: u32) -> Result<(), Errno> {
        let p = self.live_proc(caller).ok_or(Errno::ESRCH)?;
        let (sid, pgid) = (p.sid, p.pgid);
        if sid != caller || self.controlling_terminal(caller).is_some() {
            return Err(Errno::EPERM);
        }
        let t = self.terminals.get_mut(&id).ok_or(Errno::ENXIO)?;
        if t.session.is_some() {
            return Err(Errno::EBUSY);
        }
        t.session = Some(sid);
        t.fg = pgid;
        Ok(())
    }

    /// `tcsetpgrp(3)`: group `pgid` of `caller`'s session becomes the
    /// foreground of its controlling terminal; the terminal's id.
    ///
    /// # Errors
    /// `ENOTTY` (no controlling terminal), `EPERM` (no such group in the
    /// session).
    pub fn set_foreground(&mut self, caller: Pid, pgid: Pid) -> Result<u32, Errno> {
        let id = self.controlling_terminal(caller).ok_or(Errno::ENOTTY)?;
        let sid = self.live_proc(caller).ok_or(Errno::ESRCH)?.sid;
        if !self.group_in_session(pgid, sid) {
            return Err(Errno::EPERM);
        }
        if let Some(t) = self.terminals.get_mut(&id) {
            t.fg = pgid;
        }
        Ok(id)
    }

    /// `tcgetpgrp(3)`: (terminal, foreground group) of `caller`'s
    /// controlling terminal.
    ///
    /// # Errors
    /// `ENOTTY`.
    pub fn foreground(&self, caller: Pid) -> Result<(u32, Pid), Errno> {
        let id = self.controlling_terminal(caller).ok_or(Errno::ENOTTY)?;
        Ok((id, self.terminals.get(&id).map_or(0, |t| t.fg)))
    }

    /// The group a signal key on terminal `id` reaches, if `server`
    /// serves it (0: nobody is in the foreground).
    ///
    /// # Errors
    /// `EPERM` (not its server, or no such terminal).
    pub fn terminal_signal_target(&self, server: Pid, id: u32) -> Result<Pid, Errno> {
        match self.terminals.get(&id) {
            Some(t) if t.server == server => Ok(if t.session.is_some() { t.fg } else { 0 }),
            _ => Err(Errno::EPERM),
        }
    }

    /// Whether `pid` may read terminal `id`, asked by `server`: `Ok(true)`
    /// if in the foreground (or the terminal has no session), `Ok(false)`
    /// if in a background group of the terminal's session.
    ///
    /// # Errors
    /// `EPERM` (`server` does not serve it), `EACCES` (`pid` is not in the
    /// terminal's session).
    pub fn terminal_access(&self, server: Pid, id: u32, pid: Pid) -> Result<bool, Errno> {
        let t = self.terminals.get(&id).filter(|t| t.server == server).ok_or(Errno::EPERM)?;
        let Some(sid) = t.session else { return Ok(true) };
        let p = self.live_proc(pid).filter(|p| p.sid == sid).ok_or(Errno::EACCES)?;
        Ok(p.pgid == t.fg)
    }

    /// Whether `pid` has a controlling terminal whose foreground group is
    /// not its own (it must not read the terminal).
    pub fn in_background(&self, pid: Pid) -> bool {
        let Some(p) = self.live_proc(pid) else { return false };
        self.controlling_terminal(pid).and_then(|id| self.terminals.get(&id)).is_some_and(|t| t.fg != p.pgid)
    }

    /// `pid` is ending: terminals it served are gone, and if it led a
    /// session its controlling terminal is released. Returns the
    /// foreground groups to hang up.
    pub(crate) fn release_terminals(&mut self, pid: Pid) -> Vec<Pid> {
        let leader = self.live_proc(pid).is_some_and(|p| p.sid == pid);
        let mut hangup = Vec::new();
        self.terminals.retain(|_, t| {
            let served = t.server == pid;
            let led = leader && t.session == Some(pid);
            if (served || led) && t.session.is_some() && t.fg != 0 {
                hangup.push(t.fg);
            }
            if led {
                t.session = None;
                t.fg = 0;
            }
            !served
        });
        hangup
    }
}

#[cfg(test)]
mod tests {
    use crate::proctable::{Proc, ProcTable};
    use alloc::string::ToString;
    use rampart_rm_api::{ExitStatus, INIT_PID, Pid, WaitFor};
    use rampart_uabi::Errno;

    fn proc(pid: Pid, parent: Pid, pgid: Pid, sid: Pid) -> Proc {
        Proc {
            pid,
            parent,
            container: 0,
            context: "u:r:t".to_string(),
            privileged: false,
            status: None,
            pgid,
            sid,
            event: None,
        }
    }

    /// init(1) -> login(2, session 2) -> shell(3) -> jobs 4 and 5.
    fn session() -> ProcTable<u32> {
        let mut t = ProcTable::new();
        t.insert(proc(INIT_PID, 0, 1, 1));
        t.insert(proc(2, 1, 1, 1));
        assert_eq!(t.set_sid(2), Ok(2));
        let (g, s) = t.spawn_group(2, None, 3).unwrap();
        t.insert(proc(3, 2, g, s));
        let (g, s) = t.spawn_group(3, Some(0), 4).unwrap();
        t.insert(proc(4, 3, g, s));
        let (g, s) = t.spawn_group(3, Some(4), 5).unwrap();
        t.insert(proc(5, 3, g, s));
        t
    }

    #[test]
    fn groups_and_sessions_follow_posix() {
        let mut t = session();
        assert_eq!((t.get(3).unwrap().pgid, t.get(3).unwrap().sid), (2, 2));
        assert_eq!((t.get(5).unwrap().pgid, t.get(5).unwrap().sid), (4, 2));
        assert_eq!(t.group(4), [4, 5]);
        assert_eq!(t.spawn_group(3, Some(1), 6), Err(Errno::EPERM), "init's group is another session's");
        assert_eq!(t.set_sid(2), Err(Errno::EPERM), "already a group leader");
        assert_eq!(t.set_sid(4), Err(Errno::EPERM), "leads group 4");
        assert_eq!(t.set_pgid(3, 4, 0), Ok(()), "its own group already");
        assert_eq!(t.set_pgid(3, 5, 0), Ok(()), "child into a new group");
        assert_eq!(t.get(5).unwrap().pgid, 5);
        assert_eq!(t.set_pgid(3, 5, 4), Ok(()), "back into an existing group");
        assert_eq!(t.set_pgid(3, 5, 99), Err(Errno::EPERM), "no such group");
        assert_eq!(t.set_pgid(3, 2, 0), Err(Errno::ESRCH), "not a child");
        assert_eq!(t.set_pgid(3, 1, 0), Err(Errno::ESRCH));
        assert_eq!(t.set_pgid(2, 2, 0), Err(Errno::EPERM), "session leader");
        assert_eq!(t.set_pgid(3, 5, 1), Err(Errno::EPERM), "group of another session");
        // A child that left for its own session cannot be moved.
        assert_eq!(t.set_pgid(4, 5, 0), Err(Errno::ESRCH), "5 is 3's child");
        t.insert(proc(6, 3, 2, 2));
        t.set_sid(6).unwrap();
        assert_eq!(t.set_pgid(3, 6, 2), Err(Errno::EPERM));
    }

    #[test]
    fn terminals_foreground_and_background() {
        let mut t = session();
        let id = t.register_terminal(10, "system_u:system_r:console_t".into());
        assert_eq!(t.controlling_terminal(3), None);
        assert_eq!(t.terminal_signal_target(10, id), Ok(0), "no session yet");
        assert_eq!(t.set_controlling_terminal(3, id), Err(Errno::EPERM), "not a session leader");
        assert_eq!(t.set_controlling_terminal(2, 77), Err(Errno::ENXIO));
        assert_eq!(t.set_controlling_terminal(2, id), Ok(()));
        assert_eq!(t.set_controlling_terminal(2, id), Err(Errno::EPERM), "has one");
        assert_eq!(t.controlling_terminal(5), Some(id), "the whole session");
        assert_eq!(t.foreground(3), Ok((id, 2)));
        assert!(t.in_background(4) && !t.in_background(3));
        assert_eq!(t.terminal_access(10, id, 3), Ok(true));
        assert_eq!(t.terminal_access(10, id, 4), Ok(false), "background");
        assert_eq!(t.terminal_access(10, id, 1), Err(Errno::EACCES), "init's session");
        assert_eq!(t.terminal_access(3, id, 3), Err(Errno::EPERM), "only the server asks");
        assert_eq!(t.set_foreground(3, 4), Ok(id));
        assert!(!t.in_background(5) && t.in_background(3));
        assert_eq!(t.terminal_signal_target(10, id), Ok(4));
        assert_eq!(t.terminal_signal_target(3, id), Err(Errno::EPERM), "only the terminal's server");
        assert_eq!(t.set_foreground(3, 1), Err(Errno::EPERM), "init's group");
        assert_eq!(t.set_foreground(1, 1), Err(Errno::ENOTTY));
        // Another session cannot take it.
        t.insert(proc(7, 1, 1, 1));
        t.set_sid(7).unwrap();
        assert_eq!(t.set_controlling_terminal(7, id), Err(Errno::EBUSY));
        // The session leader ends: the foreground group is hung up and the
        // terminal is free again.
        let fx = t.exited(2, ExitStatus::Exited(0));
        assert_eq!(fx.hangup, [4]);
        assert_eq!(t.controlling_terminal(3), None);
        assert_eq!(t.set_controlling_terminal(7, id), Ok(()));
        // Its server ends: gone.
        let fx = t.exited(10, ExitStatus::Exited(0));
        assert!(fx.hangup.is_empty(), "10 is not in the table: nothing to report");
    }

    #[test]
    fn a_group_lasts_until_its_last_member_is_collected() {
        use crate::proctable::{WaitOptions, WaitResult};
        let mut t = session();
        // A pipeline's first process (4, the leader) ends before the shell
        // spawns the last stage: its group still takes members.
        t.exited(4, ExitStatus::Exited(0));
        t.exited(5, ExitStatus::Exited(0));
        assert_eq!(t.spawn_group(3, Some(4), 6), Ok((4, 2)), "zombies keep group 4");
        assert_eq!(t.group(4), [] as [Pid; 0], "no live member");
        // Collected by the shell's wait: the group is gone.
        let o = WaitOptions { block: false, stopped: false, continued: false };
        for pid in [4, 5] {
            assert!(matches!(t.wait(3, WaitFor::Pid(pid), o, 0), WaitResult::Event(p, _) if p == pid));
        }
        assert_eq!(t.spawn_group(3, Some(4), 6), Err(Errno::EPERM));
    }

    #[test]
    fn orphaned_groups() {
        let mut t = session();
        // Group 4's members (4, 5) have parent 3 in group 2 of the same
        // session: not orphaned. Group 2 (2, 3): 2's parent is init, in
        // another session; 3's parent is 2, same group: orphaned.
        assert!(!t.orphaned(4));
        assert!(t.orphaned(2));
        t.exited(3, ExitStatus::Exited(0));
        assert!(t.orphaned(4), "their parent is gone (children of init now)");
    }
}
