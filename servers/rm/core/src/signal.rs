//! One task's signal state and the decisions rm makes with it
//! (docs/signals.md): what a new signal does, which pending signal acts
//! next, and the stack of interrupted contexts handlers return to.
//!
//! The rm binary performs what [`SigState::post`] and [`SigState::next`]
//! ask for (destroy, suspend, resume, redirect); nothing here touches the
//! kernel. The task's own mask comes from its signal block
//! (`rampart_uabi::signal`), which the task writes: it is treated as
//! untrusted input that only decides when the task's *own* signals act,
//! and never blocks `SIGKILL` or `SIGSTOP`.

use alloc::vec::Vec;
use rampart_abi::tcb::REGISTER_COUNT;
use rampart_uabi::signal::{
    Catch, DefaultAction, Disposition, NSIG, SIGCONT, SIGKILL, STOP_SIGNALS, SigSet, Signo, UNBLOCKABLE, default_action,
};

/// Most handlers running at once in one task (nested interruptions);
/// further signals stay pending until one returns.
pub const MAX_DEPTH: usize = 8;

/// A context saved when a handler was entered: restored by `sigreturn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The thread's registers (`rampart_abi::tcb::REGISTER_ORDER`).
    pub regs: [u64; REGISTER_COUNT],
    /// Signals blocked while this handler runs.
    pub mask: SigSet,
    /// The signal being handled.
    pub sig: Signo,
}

/// What rm must do to the task now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing (no signal can act now).
    Idle,
    /// Destroy the task: it was killed by this signal.
    Terminate(Signo),
    /// Stop the task (suspend its thread) and report it to the parent.
    Stop(Signo),
    /// Run a handler: save the context, redirect the thread.
    Deliver(Signo, Catch),
}

/// What posting a signal did at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posted {
    /// Discarded (ignored, or a `SIGCONT` to a running task with no handler).
    Discarded,
    /// Held in `pending`; [`SigState::next`] acts on it.
    Pending,
    /// `SIGKILL`: destroy the task now (stopped or not).
    Kill,
    /// `SIGCONT` to a stopped task: resume it (and it may also be pending,
    /// if caught).
    Continue,
}

/// Errors of [`SigState::set_action`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionError {
    /// Not a signal number 1..=64.
    BadSignal,
    /// `SIGKILL` and `SIGSTOP` keep their default action.
    Unchangeable,
}

/// A task's signal state.
#[derive(Clone, Debug)]
pub struct SigState {
    actions: [Disposition; NSIG as usize],
    /// Signals waiting to act (authoritative; rm mirrors it into the
    /// task's signal block).
    pub pending: SigSet,
    /// Contexts of the handlers running, innermost last.
    pub frames: Vec<Frame>,
    /// Stopped by a stop signal and not continued yet.
    pub stopped: bool,
}

impl Default for SigState {
    fn default() -> Self {
        SigState::new()
    }
}

impl SigState {
    /// Every signal at its default action, nothing pending.
    pub fn new() -> SigState {
        SigState {
            actions: [Disposition::Default; NSIG as usize],
            pending: SigSet::EMPTY,
            frames: Vec::new(),
            stopped: false,
        }
    }

    /// The state a child starts with after `exec`-style spawning (POSIX
    /// `execve(2)`: caught signals return to default, ignored ones stay
    /// ignored; nothing is pending).
    pub fn inherit(&self) -> SigState {
        let mut s = SigState::new();
        for (i, a) in self.actions.iter().enumerate() {
            if *a == Disposition::Ignore {
                s.actions[i] = Disposition::Ignore;
            }
        }
        s
    }

    /// The disposition of `sig` (`Default` for an invalid number).
    pub fn action(&self, sig: Signo) -> Disposition {
        if sig == 0 || sig > NSIG { Disposition::Default } else { self.actions[usize::from(sig - 1)] }
    }

    /// Sets the disposition of `sig`; returns the old one. Ignoring a
    /// pending signal discards it (POSIX `sigaction(2)`).
    ///
    /// # Errors
    /// [`ActionError`].
    pub fn set_action(&mut self, sig: Signo, d: Disposition) -> Result<Disposition, ActionError> {
        if sig == 0 || sig > NSIG {
            return Err(ActionError::BadSignal);
        }
        if UNBLOCKABLE.contains(sig) {
            return Err(ActionError::Unchangeable);
        }
        let old = core::mem::replace(&mut self.actions[usize::from(sig - 1)], d);
        if self.ignored(sig) {
            self.pending = self.pending.without(sig);
        }
        Ok(old)
    }

    fn ignored(&self, sig: Signo) -> bool {
        match self.action(sig) {
            Disposition::Ignore => true,
            Disposition::Default => default_action(sig) == DefaultAction::Ignore,
            Disposition::Catch(_) => false,
        }
    }

    /// Signals blocked right now: the task's own mask (from its signal
    /// block) and the masks of the handlers running, never the
    /// unblockable ones.
    pub fn blocked(&self, own: SigSet) -> SigSet {
        self.frames.iter().fold(own, |m, f| m.union(f.mask)).minus(UNBLOCKABLE)
    }

    /// A signal arrives (`kill`, the terminal, a child's exit).
    pub fn post(&mut self, sig: Signo) -> Posted {
        if sig == 0 || sig > NSIG {
            return Posted::Discarded;
        }
        if sig == SIGKILL {
            return Posted::Kill;
        }
        // A stop signal cancels a pending continue and vice versa.
        if STOP_SIGNALS.contains(sig) {
            self.pending = self.pending.without(SIGCONT);
        }
        let mut posted = Posted::Discarded;
        if sig == SIGCONT {
            self.pending = self.pending.minus(STOP_SIGNALS);
            if self.stopped {
                self.stopped = false;
                posted = Posted::Continue;
            }
        }
        // An ignored signal is discarded even if blocked (POSIX), except
        // that a stopped task's continue already happened above.
        if self.ignored(sig) || (sig == SIGCONT && self.action(sig) == Disposition::Default) {
            return posted;
        }
        self.pending = self.pending.with(sig);
        if posted == Posted::Continue { Posted::Continue } else { Posted::Pending }
    }

    /// The next thing a pending signal does, given the task's own mask
    /// `own` and whether its thread may be interrupted now
    /// (`interruptible`: not in the middle of a call that must finish,
    /// `rampart_uabi::signal::STATE_CALL`). Termination needs no
    /// cooperation and happens either way; stops and handlers wait for an
    /// interruptible moment. Removes the signal it acts on from `pending`
    /// and, for a handler, pushes the frame's mask (the caller fills in the
    /// registers with [`SigState::push_frame`]).
    pub fn next(&mut self, own: SigSet, interruptible: bool) -> Step {
        if self.stopped {
            return Step::Idle;
        }
        let ready = self.pending.minus(self.blocked(own));
        for sig in ready.iter() {
            match self.action(sig) {
                Disposition::Ignore => self.pending = self.pending.without(sig),
                Disposition::Default => match default_action(sig) {
                    DefaultAction::Terminate | DefaultAction::Core => {
                        self.pending = self.pending.without(sig);
                        return Step::Terminate(sig);
                    }
                    DefaultAction::Ignore | DefaultAction::Continue => self.pending = self.pending.without(sig),
                    DefaultAction::Stop if interruptible => {
                        self.pending = self.pending.without(sig);
                        self.stopped = true;
                        return Step::Stop(sig);
                    }
                    DefaultAction::Stop => {}
                },
                Disposition::Catch(c) if interruptible && self.frames.len() < MAX_DEPTH => {
                    self.pending = self.pending.without(sig);
                    if c.reset {
                        self.actions[usize::from(sig - 1)] = Disposition::Default;
                    }
                    return Step::Deliver(sig, c);
                }
                Disposition::Catch(_) => {}
            }
        }
        Step::Idle
    }

    /// Records the context interrupted to run the handler of `sig` with
    /// `catch` (after [`Step::Deliver`]).
    pub fn push_frame(&mut self, sig: Signo, catch: Catch, regs: [u64; REGISTER_COUNT]) {
        let mask = if catch.nodefer { catch.mask } else { catch.mask.with(sig) };
        self.frames.push(Frame { regs, mask, sig });
    }

    /// The innermost handler returned: its saved context (`None` if no
    /// handler is running — a forged `sigreturn`).
    pub fn pop_frame(&mut self) -> Option<Frame> {
        self.frames.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_uabi::signal::*;

    fn catch() -> Catch {
        Catch { entry: 0x1000, ..Default::default() }
    }

    #[test]
    fn default_actions() {
        let mut s = SigState::new();
        assert_eq!(s.post(SIGINT), Posted::Pending);
        assert_eq!(s.next(SigSet::EMPTY, true), Step::Terminate(SIGINT));
        assert_eq!(s.post(SIGCHLD), Posted::Discarded, "ignored by default");
        assert_eq!(s.post(SIGWINCH), Posted::Discarded);
        assert_eq!(s.post(SIGCONT), Posted::Discarded, "continue of a running task");
        assert_eq!(s.post(SIGKILL), Posted::Kill);
        assert_eq!(s.post(0), Posted::Discarded);
        assert_eq!(s.post(65), Posted::Discarded);
        assert!(s.pending.is_empty());
    }

    #[test]
    fn stop_and_continue() {
        let mut s = SigState::new();
        s.post(SIGTSTP);
        assert_eq!(s.next(SigSet::EMPTY, false), Step::Idle, "not in the middle of a call");
        assert_eq!(s.next(SigSet::EMPTY, true), Step::Stop(SIGTSTP));
        assert!(s.stopped);
        // A stopped task acts on nothing but KILL and CONT.
        s.post(SIGTERM);
        assert_eq!(s.next(SigSet::EMPTY, true), Step::Idle);
        assert_eq!(s.post(SIGCONT), Posted::Continue);
        assert!(!s.stopped);
        assert_eq!(s.next(SigSet::EMPTY, true), Step::Terminate(SIGTERM), "held while stopped");
        // CONT discards pending stops, a stop discards a pending CONT.
        s.set_action(SIGCONT, Disposition::Catch(catch())).unwrap();
        s.post(SIGTTIN);
        s.post(SIGCONT);
        assert_eq!(s.pending, SigSet::EMPTY.with(SIGCONT));
        s.post(SIGSTOP);
        assert_eq!(s.pending, SigSet::EMPTY.with(SIGSTOP));
        // STOP cannot be blocked.
        assert_eq!(s.next(SigSet::FULL, true), Step::Stop(SIGSTOP));
    }

    #[test]
    fn continue_of_a_stopped_task_with_a_handler_runs_it() {
        let mut s = SigState::new();
        s.set_action(SIGCONT, Disposition::Catch(catch())).unwrap();
        s.post(SIGSTOP);
        s.next(SigSet::EMPTY, true);
        // Even blocked, CONT continues the task.
        assert_eq!(s.post(SIGCONT), Posted::Continue);
        assert_eq!(s.next(SigSet::EMPTY.with(SIGCONT), true), Step::Idle);
        assert_eq!(s.next(SigSet::EMPTY, true), Step::Deliver(SIGCONT, catch()));
    }

    #[test]
    fn masks_defer_and_handlers_nest_up_to_a_depth() {
        let mut s = SigState::new();
        s.set_action(SIGUSR1, Disposition::Catch(catch())).unwrap();
        s.set_action(SIGUSR2, Disposition::Catch(Catch { mask: SigSet::EMPTY.with(SIGUSR1), ..catch() })).unwrap();
        s.post(SIGUSR1);
        assert_eq!(s.next(SigSet::EMPTY.with(SIGUSR1), true), Step::Idle, "blocked");
        assert_eq!(s.pending, SigSet::EMPTY.with(SIGUSR1));
        assert_eq!(s.next(SigSet::EMPTY, false), Step::Idle, "a call must finish first");
        assert_eq!(s.next(SigSet::EMPTY, true), Step::Deliver(SIGUSR1, catch()));
        s.push_frame(SIGUSR1, catch(), [1; REGISTER_COUNT]);
        // The handler blocks its own signal ...
        s.post(SIGUSR1);
        assert_eq!(s.next(SigSet::EMPTY, true), Step::Idle);
        // ... but not USR2, whose handler blocks USR1 too.
        s.post(SIGUSR2);
        let Step::Deliver(SIGUSR2, c) = s.next(SigSet::EMPTY, true) else { panic!() };
        s.push_frame(SIGUSR2, c, [2; REGISTER_COUNT]);
        assert_eq!(s.blocked(SigSet::EMPTY), SigSet::EMPTY.with(SIGUSR1).with(SIGUSR2));
        assert_eq!(s.pop_frame().unwrap().regs, [2; REGISTER_COUNT]);
        assert_eq!(s.pop_frame().unwrap().regs, [1; REGISTER_COUNT]);
        assert_eq!(s.next(SigSet::EMPTY, true), Step::Deliver(SIGUSR1, catch()), "pending one now");
        assert!(s.pop_frame().is_none(), "a forged sigreturn finds nothing");
        // Depth limit.
        s.set_action(SIGUSR1, Disposition::Catch(Catch { nodefer: true, ..catch() })).unwrap();
        for _ in 0..MAX_DEPTH {
            s.post(SIGUSR1);
            let Step::Deliver(sig, c) = s.next(SigSet::EMPTY, true) else { panic!() };
            s.push_frame(sig, c, [0; REGISTER_COUNT]);
        }
        s.post(SIGUSR1);
        assert_eq!(s.next(SigSet::EMPTY, true), Step::Idle);
        assert!(s.pending.contains(SIGUSR1));
    }

    #[test]
    fn kill_and_stop_cannot_be_caught_ignored_or_blocked() {
        let mut s = SigState::new();
        assert_eq!(s.set_action(SIGKILL, Disposition::Ignore), Err(ActionError::Unchangeable));
        assert_eq!(s.set_action(SIGSTOP, Disposition::Catch(catch())), Err(ActionError::Unchangeable));
        assert_eq!(s.set_action(0, Disposition::Ignore), Err(ActionError::BadSignal));
        assert_eq!(s.set_action(65, Disposition::Ignore), Err(ActionError::BadSignal));
        assert_eq!(s.post(SIGKILL), Posted::Kill);
        s.post(SIGSTOP);
        assert_eq!(s.next(SigSet::FULL, true), Step::Stop(SIGSTOP));
        // A handler frame cannot block them either.
        let mut s = SigState::new();
        s.set_action(SIGUSR1, Disposition::Catch(Catch { mask: SigSet::FULL, ..catch() })).unwrap();
        s.push_frame(SIGUSR1, Catch { mask: SigSet::FULL, ..catch() }, [0; REGISTER_COUNT]);
        assert!(!s.blocked(SigSet::FULL).contains(SIGSTOP));
    }

    #[test]
    fn ignoring_discards_pending_and_reset_hand() {
        let mut s = SigState::new();
        s.post(SIGTERM);
        s.set_action(SIGTERM, Disposition::Ignore).unwrap();
        assert!(s.pending.is_empty());
        assert_eq!(s.post(SIGTERM), Posted::Discarded);
        s.set_action(SIGINT, Disposition::Catch(Catch { reset: true, ..catch() })).unwrap();
        s.post(SIGINT);
        assert!(matches!(s.next(SigSet::EMPTY, true), Step::Deliver(SIGINT, _)));
        assert_eq!(s.action(SIGINT), Disposition::Default, "SA_RESETHAND");
        // Terminating signals act even in the middle of a call.
        s.post(SIGINT);
        assert_eq!(s.next(SigSet::EMPTY, false), Step::Terminate(SIGINT));
    }

    #[test]
    fn exec_keeps_ignored_resets_caught() {
        let mut s = SigState::new();
        s.set_action(SIGINT, Disposition::Ignore).unwrap();
        s.set_action(SIGTERM, Disposition::Catch(catch())).unwrap();
        s.post(SIGUSR1);
        let c = s.inherit();
        assert_eq!(c.action(SIGINT), Disposition::Ignore);
        assert_eq!(c.action(SIGTERM), Disposition::Default);
        assert!(c.pending.is_empty());
    }
}
