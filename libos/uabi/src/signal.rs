//! POSIX signals as every Rampart component sees them (docs/signals.md):
//! numbers, names, default actions, signal sets, the dispositions rm
//! records, and the *signal block* a thread shares with rm.
//!
//! Numbers follow Linux x86_64 (`signal(7)`), so the Linux personality
//! needs no translation. Real-time signals (32..=64) are numbered but have
//! no names here.
//!
//! # The signal block
//!
//! rm decides and delivers signals (docs/signals.md); the thread it
//! interrupts tells it, through a few words in its own IPC-buffer page at
//! [`BLOCK_OFFSET`], whether it may be interrupted right now and which
//! signals it blocks. rm maps a copy of every task's main IPC-buffer page.
//! Each word has one writer:
//!
//! | word | offset | writer | meaning |
//! |---|---|---|---|
//! | `state` | 0 | the thread | [`STATE_USER`], [`STATE_CALL`], [`STATE_WAIT`] |
//! | `blocked` | 8 | the thread | its signal mask ([`SigSet`] bits) |
//! | `pending` | 16 | rm | signals rm holds for the task (blocked, or waiting for the end of a call) |
//! | `handled` | 24 | the thread | count of handlers run (the runtime tells an interruption for a handler from a stop) |
//!
//! The block is advisory for the task's own sake: a task that writes
//! nonsense into it only changes when *its own* signals arrive. rm never
//! lets it block `SIGKILL` or `SIGSTOP`.

use core::fmt;
use serde::{Deserialize, Serialize};

/// A signal number (1..=64; 0 is the "null signal" of `kill(2)`, which only
/// checks that the target exists and may be signalled).
pub type Signo = u8;

/// Highest signal number.
pub const NSIG: Signo = 64;

macro_rules! signals {
    ($($name:ident = $n:expr, $act:ident, $desc:expr;)*) => {
        $(#[doc = $desc] pub const $name: Signo = $n;)*

        /// The name without `SIG` (`"INT"`), or `None` for an unnamed number.
        pub fn name(sig: Signo) -> Option<&'static str> {
            match sig {
                $($n => Some(&stringify!($name)[3..]),)*
                _ => None,
            }
        }

        /// The conventional description (`strsignal(3)`: "Interrupt").
        pub const fn describe(sig: Signo) -> &'static str {
            match sig {
                $($n => $desc,)*
                32..=64 => "Real-time signal",
                _ => "Unknown signal",
            }
        }

        /// What happens to a process that neither catches nor ignores `sig`
        /// (`signal(7)`, "Standard signals"; real-time signals terminate).
        pub const fn default_action(sig: Signo) -> DefaultAction {
            match sig {
                $($n => DefaultAction::$act,)*
                _ => DefaultAction::Terminate,
            }
        }

        /// Every named signal, in number order.
        pub const ALL: &[Signo] = &[$($n,)*];
    };
}

signals! {
    SIGHUP = 1, Terminate, "Hangup";
    SIGINT = 2, Terminate, "Interrupt";
    SIGQUIT = 3, Core, "Quit";
    SIGILL = 4, Core, "Illegal instruction";
    SIGTRAP = 5, Core, "Trace/breakpoint trap";
    SIGABRT = 6, Core, "Aborted";
    SIGBUS = 7, Core, "Bus error";
    SIGFPE = 8, Core, "Floating point exception";
    SIGKILL = 9, Terminate, "Killed";
    SIGUSR1 = 10, Terminate, "User defined signal 1";
    SIGSEGV = 11, Core, "Segmentation fault";
    SIGUSR2 = 12, Terminate, "User defined signal 2";
    SIGPIPE = 13, Terminate, "Broken pipe";
    SIGALRM = 14, Terminate, "Alarm clock";
    SIGTERM = 15, Terminate, "Terminated";
    SIGSTKFLT = 16, Terminate, "Stack fault";
    SIGCHLD = 17, Ignore, "Child exited";
    SIGCONT = 18, Continue, "Continued";
    SIGSTOP = 19, Stop, "Stopped (signal)";
    SIGTSTP = 20, Stop, "Stopped";
    SIGTTIN = 21, Stop, "Stopped (tty input)";
    SIGTTOU = 22, Stop, "Stopped (tty output)";
    SIGURG = 23, Ignore, "Urgent I/O condition";
    SIGXCPU = 24, Core, "CPU time limit exceeded";
    SIGXFSZ = 25, Core, "File size limit exceeded";
    SIGVTALRM = 26, Terminate, "Virtual timer expired";
    SIGPROF = 27, Terminate, "Profiling timer expired";
    SIGWINCH = 28, Ignore, "Window changed";
    SIGIO = 29, Terminate, "I/O possible";
    SIGPWR = 30, Terminate, "Power failure";
    SIGSYS = 31, Core, "Bad system call";
}

/// The action a signal takes when it is neither caught nor ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process.
    Terminate,
    /// End the process ("core dump" on Linux; Rampart writes no core file).
    Core,
    /// Discard the signal.
    Ignore,
    /// Stop the process until `SIGCONT`.
    Stop,
    /// Continue a stopped process (and otherwise discard).
    Continue,
}

/// The number of the signal named `name` (`"INT"`, `"SIGINT"`, any case),
/// or of a decimal number 1..=64.
pub fn from_name(name: &str) -> Option<Signo> {
    if let Ok(n) = name.parse::<u8>() {
        return (1..=NSIG).contains(&n).then_some(n);
    }
    let upper = |c: u8| c.to_ascii_uppercase();
    let bytes = name.as_bytes();
    let bare = if bytes.len() > 3 && bytes[..3].iter().map(|&c| upper(c)).eq(*b"SIG") { &bytes[3..] } else { bytes };
    ALL.iter().copied().find(|&s| name_of(s).as_bytes().iter().copied().eq(bare.iter().map(|&c| upper(c))))
}

fn name_of(s: Signo) -> &'static str {
    name(s).unwrap_or_default()
}

/// Signals that can be neither caught, ignored nor blocked.
pub const UNBLOCKABLE: SigSet = SigSet::EMPTY.with(SIGKILL).with(SIGSTOP);
/// The stop signals (`SIGSTOP`, `SIGTSTP`, `SIGTTIN`, `SIGTTOU`): a
/// `SIGCONT` discards them and they discard a pending `SIGCONT`.
pub const STOP_SIGNALS: SigSet = SigSet::EMPTY.with(SIGSTOP).with(SIGTSTP).with(SIGTTIN).with(SIGTTOU);

/// A set of signals: bit `n - 1` for signal `n` (the layout of Linux's
/// `sigset_t` on x86_64).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SigSet(pub u64);

impl SigSet {
    /// No signal.
    pub const EMPTY: SigSet = SigSet(0);
    /// Every signal.
    pub const FULL: SigSet = SigSet(u64::MAX);

    const fn bit(sig: Signo) -> u64 {
        if sig == 0 || sig > NSIG { 0 } else { 1 << (sig - 1) }
    }

    /// The set with `sig` added (0 or out of range: unchanged).
    #[must_use]
    pub const fn with(self, sig: Signo) -> SigSet {
        SigSet(self.0 | Self::bit(sig))
    }

    /// The set with `sig` removed.
    #[must_use]
    pub const fn without(self, sig: Signo) -> SigSet {
        SigSet(self.0 & !Self::bit(sig))
    }

    /// Whether `sig` is in the set.
    pub const fn contains(self, sig: Signo) -> bool {
        Self::bit(sig) != 0 && self.0 & Self::bit(sig) != 0
    }

    /// Union.
    #[must_use]
    pub const fn union(self, o: SigSet) -> SigSet {
        SigSet(self.0 | o.0)
    }

    /// Signals of `self` not in `o`.
    #[must_use]
    pub const fn minus(self, o: SigSet) -> SigSet {
        SigSet(self.0 & !o.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The lowest-numbered signal in the set (POSIX leaves the order of
    /// delivery open; Linux delivers the lowest first, as here).
    pub const fn first(self) -> Option<Signo> {
        if self.0 == 0 { None } else { Some(self.0.trailing_zeros() as Signo + 1) }
    }

    /// The signals in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = Signo> {
        (1..=NSIG).filter(move |&s| self.contains(s))
    }
}

impl fmt::Debug for SigSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|s| name(s).unwrap_or("RT"))).finish()
    }
}

/// What a process asked to happen when a signal arrives (`sigaction(2)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Disposition {
    /// The default action ([`default_action`]).
    #[default]
    Default,
    /// Discard it.
    Ignore,
    /// Run a handler: rm redirects the thread to `entry` (the runtime's
    /// trampoline; see docs/signals.md for the register contract).
    Catch(Catch),
}

/// A caught signal's delivery parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catch {
    /// Address the thread is redirected to.
    pub entry: u64,
    /// Signals blocked while the handler runs (besides the signal itself
    /// unless [`Catch::nodefer`]).
    pub mask: SigSet,
    /// `SA_RESTART`: calls the signal interrupted are made again.
    pub restart: bool,
    /// `SA_NODEFER`: the signal is not blocked during its own handler.
    pub nodefer: bool,
    /// `SA_RESETHAND`: the disposition returns to default once delivered.
    pub reset: bool,
}

/// Offset of the signal block in a thread's IPC-buffer page (the IPC
/// buffer is the first 1024 bytes, a spawned thread's runtime block sits at
/// 2048).
pub const BLOCK_OFFSET: u64 = 3072;
/// Offset of the `state` word in the block.
pub const STATE: u64 = 0;
/// Offset of the `blocked` word.
pub const BLOCKED: u64 = 8;
/// Offset of the `pending` word.
pub const PENDING: u64 = 16;
/// Offset of the `handled` word.
pub const HANDLED: u64 = 24;

/// `state`: running its own code (or in a system call that restarts by
/// itself): rm may interrupt it at once.
pub const STATE_USER: u64 = 0;
/// `state`: in a server call that must run to its end (a file read: the
/// server has already acted when it answers). rm holds signals in
/// `pending`; the runtime asks for them when the call returns.
pub const STATE_CALL: u64 = 1;
/// `state`: in a call that may block indefinitely and is safe to abandon
/// (a terminal read, `wait`): rm interrupts it; the call returns
/// "aborted" and the runtime reports `EINTR` or makes it again.
pub const STATE_WAIT: u64 = 2;

/// Message label of the `sigreturn` call the runtime's trampoline makes
/// to rm when a handler returns (a bare label: the trampoline runs with no
/// heap and no encoder; "sg" in bits 16..32, distinct from postcard
/// labels).
pub const LABEL_SIGRETURN: u64 = 0x7367 << 16;

/// `rsi` bit at a handler's entry: the signal interrupted a call (its
/// result will be "aborted").
pub const ENTRY_INTERRUPTED_CALL: u64 = 1;
/// Bytes rm leaves untouched below the interrupted stack pointer (the
/// System V x86_64 red zone).
pub const RED_ZONE: u64 = 128;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for &s in ALL {
            let n = name(s).unwrap();
            assert_eq!(from_name(n), Some(s));
            assert_eq!(from_name(&alloc::format!("SIG{n}")), Some(s));
            assert_eq!(from_name(&n.to_ascii_lowercase()), Some(s));
        }
        assert_eq!(from_name("9"), Some(SIGKILL));
        assert_eq!(from_name("64"), Some(64));
        assert_eq!(from_name("0"), None);
        assert_eq!(from_name("65"), None);
        assert_eq!(from_name("SIG"), None);
        assert_eq!(from_name("BOGUS"), None);
        assert_eq!(from_name(""), None);
        assert_eq!(name(SIGWINCH), Some("WINCH"));
        assert_eq!(ALL.len(), 31);
    }

    #[test]
    fn default_actions_follow_signal_7() {
        assert_eq!(default_action(SIGINT), DefaultAction::Terminate);
        assert_eq!(default_action(SIGCHLD), DefaultAction::Ignore);
        assert_eq!(default_action(SIGWINCH), DefaultAction::Ignore);
        assert_eq!(default_action(SIGTSTP), DefaultAction::Stop);
        assert_eq!(default_action(SIGCONT), DefaultAction::Continue);
        assert_eq!(default_action(SIGQUIT), DefaultAction::Core);
        assert_eq!(default_action(40), DefaultAction::Terminate);
    }

    #[test]
    fn sets() {
        let s = SigSet::EMPTY.with(SIGINT).with(SIGTERM);
        assert!(s.contains(SIGINT) && s.contains(SIGTERM) && !s.contains(SIGHUP));
        assert_eq!(s.0, (1 << 1) | (1 << 14));
        assert_eq!(s.first(), Some(SIGINT));
        assert_eq!(s.without(SIGINT).first(), Some(SIGTERM));
        assert!(!s.contains(0) && !s.contains(65));
        assert_eq!(SigSet::EMPTY.with(0).with(65), SigSet::EMPTY);
        assert_eq!(SigSet::FULL.with(64).first(), Some(1));
        assert!(SigSet::EMPTY.with(64).contains(64));
        assert_eq!(s.iter().collect::<alloc::vec::Vec<_>>(), [SIGINT, SIGTERM]);
        assert!(UNBLOCKABLE.contains(SIGKILL) && UNBLOCKABLE.contains(SIGSTOP) && !UNBLOCKABLE.contains(SIGTSTP));
    }
}
