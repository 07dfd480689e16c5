//! Signals for programs (docs/signals.md): handlers, masks, `kill`, and
//! the runtime's half of the contract with rm.
//!
//! rm decides and delivers; this module tells rm, through the thread's
//! signal block (`rampart_uabi::signal`), whether the thread may be
//! interrupted now and what it blocks, and provides the handler entry rm
//! redirects the thread to:
//!
//! - every server call ([`crate::ipc::codec::call_raw`]) marks the block
//!   `STATE_CALL` (rm holds signals until the answer is in) and, once the
//!   answer is in, asks rm for what it held (`SigCheck`);
//! - [`interruptible`] marks a call that may block indefinitely (a
//!   terminal read, `wait`) `STATE_WAIT`: a signal then aborts the call,
//!   and the caller reports `EINTR` or makes it again ([`Interrupted`]);
//! - the trampoline `rampart_signal_entry` saves the x87/SSE state, the
//!   IPC buffer and the block's state word, runs the handler, restores
//!   them and makes the bare `sigreturn` call, after which rm puts back
//!   the interrupted registers.
//!
//! Handlers run asynchronously, between any two instructions of the
//! program's own code: like POSIX handlers they must only touch atomics
//! (and may make server calls, which the trampoline makes safe for the
//! interrupted code). Only the main thread receives signals.

use crate::ipc::codec::CallError;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use rampart_abi::{MessageInfo, Syscall};
use rampart_rm_api::{KillTarget, Pid, Request, Response};
use rampart_uabi::Errno;
pub use rampart_uabi::signal::*;

/// A signal handler (runs on the interrupted stack; see the module
/// documentation for what it may do).
pub type Handler = fn(Signo);

/// What to do with a signal (`sigaction(2)`).
#[derive(Clone, Copy, Debug)]
pub enum Action {
    /// The default action.
    Default,
    /// Discard it.
    Ignore,
    /// Run this handler.
    Handle(Handler),
}

/// Options of a handled signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Also blocked while the handler runs.
    pub mask: SigSet,
    /// Calls the signal interrupted are made again (`SA_RESTART`) rather
    /// than failing with `EINTR`.
    pub restart: bool,
    /// The signal is not blocked during its own handler (`SA_NODEFER`).
    pub nodefer: bool,
    /// Back to the default action once delivered (`SA_RESETHAND`).
    pub reset: bool,
}

static HANDLERS: [AtomicUsize; NSIG as usize] = [const { AtomicUsize::new(0) }; NSIG as usize];
static RESTART: AtomicU64 = AtomicU64::new(0);
/// A handler without `restart` ran since [`Interrupted::start`].
static NO_RESTART_RAN: AtomicBool = AtomicBool::new(false);
/// rm channel used by the trampoline's `sigreturn`.
static SIGRETURN_INFO: u64 = MessageInfo::new(LABEL_SIGRETURN, 0, 0, 0).0;

fn block_word(off: u64) -> Option<&'static AtomicU64> {
    let ipc = crate::tls::current().ipc_buffer_addr();
    if ipc == 0 {
        return None;
    }
    let p = (ipc + BLOCK_OFFSET + off) as *const AtomicU64;
    // SAFETY: the IPC buffer is the first KiB of a page the thread owns,
    // mapped read-write for its whole life (procbuild, `crate::spawn`);
    // the block's words lie in the same page, 8-byte aligned. rm reads
    // (and writes `pending` of) the same words concurrently, so they are
    // only used as atomics.
    Some(unsafe { &*p })
}

/// Marks the start of a server call; returns the state to restore.
#[inline]
pub(crate) fn call_begin() -> u64 {
    match block_word(STATE) {
        Some(w) => {
            let prev = w.load(Relaxed);
            if prev == STATE_USER {
                w.store(STATE_CALL, SeqCst);
            }
            prev
        }
        None => STATE_WAIT,
    }
}

/// Marks the end of a server call begun with state `prev`; outside
/// [`interruptible`] asks rm for signals it held meanwhile.
#[inline]
pub(crate) fn call_end(prev: u64) {
    if prev != STATE_USER {
        return;
    }
    if let Some(w) = block_word(STATE) {
        w.store(STATE_USER, SeqCst);
        check();
    }
}

/// Signals rm holds for this thread that it does not block.
fn deliverable() -> bool {
    match (block_word(PENDING), block_word(BLOCKED)) {
        (Some(p), Some(b)) => p.load(SeqCst) & !b.load(SeqCst) != 0,
        _ => false,
    }
}

/// Asks rm to act on pending signals this thread no longer blocks (they
/// run before this returns). Cheap when there are none.
pub fn check() {
    if !deliverable() {
        return;
    }
    let Some(w) = block_word(STATE) else { return };
    // Interruptible, and without the call hooks (no recursion).
    w.store(STATE_WAIT, SeqCst);
    if let Ok(out) = crate::ipc::codec::Outgoing::encode(&Request::SigCheck) {
        let (info, regs) = out.stage();
        crate::syscall::raw(Syscall::Call, crate::rm::channel().0, info, regs, 0);
    }
    w.store(STATE_USER, SeqCst);
}

/// Runs `f`, a call that may block indefinitely, interruptibly: a signal
/// arriving meanwhile aborts the call (it returns [`CallError::Aborted`])
/// and runs its handler.
pub fn interruptible<T>(f: impl FnOnce() -> T) -> T {
    let Some(w) = block_word(STATE) else { return f() };
    let prev = w.load(Relaxed);
    w.store(STATE_WAIT, SeqCst);
    let r = f();
    w.store(prev, SeqCst);
    if prev == STATE_USER {
        check();
    }
    r
}

/// Number of handlers this thread has run.
pub fn handled() -> u64 {
    block_word(HANDLED).map_or(0, |w| w.load(Relaxed))
}

/// Tells an aborted interruptible call made for a handler from one made
/// for a stop: take [`Interrupted::start`] before the call; on
/// [`CallError::Aborted`] ask [`Interrupted::retry`].
#[derive(Clone, Copy, Debug)]
pub struct Interrupted(u64);

impl Interrupted {
    /// Before an interruptible call.
    pub fn start() -> Interrupted {
        NO_RESTART_RAN.store(false, Relaxed);
        Interrupted(handled())
    }

    /// Whether a handler without `restart` ran since [`Interrupted::start`]
    /// (a blocking wait that is not a call should now fail with `EINTR`).
    pub fn eintr(&self) -> bool {
        handled() != self.0 && NO_RESTART_RAN.load(Relaxed)
    }

    /// After the call was aborted: `Ok` to make it again (no handler ran,
    /// the thread was only stopped and continued; or every handler that
    /// ran asked for `SA_RESTART`), `Err(EINTR)` to report.
    ///
    /// # Errors
    /// `EINTR`.
    pub fn retry(self) -> Result<Interrupted, Errno> {
        if handled() == self.0 || !NO_RESTART_RAN.load(Relaxed) { Ok(Interrupted::start()) } else { Err(Errno::EINTR) }
    }
}

/// Sets the action for `sig`; returns the previous one (a handler set by
/// another runtime reads as `Default`).
///
/// # Errors
/// `EINVAL` (bad number, `SIGKILL`, `SIGSTOP`), rm's transport errors.
pub fn set_action(sig: Signo, action: Action, opts: Options) -> Result<Action, Errno> {
    if sig == 0 || sig > NSIG {
        return Err(Errno::EINVAL);
    }
    let i = usize::from(sig - 1);
    let d = match action {
        Action::Default => Disposition::Default,
        Action::Ignore => Disposition::Ignore,
        Action::Handle(f) => {
            HANDLERS[i].store(f as usize, SeqCst);
            Disposition::Catch(Catch {
                entry: rampart_signal_entry as *const () as usize as u64,
                mask: opts.mask.minus(UNBLOCKABLE),
                restart: opts.restart,
                nodefer: opts.nodefer,
                reset: opts.reset,
            })
        }
    };
    if opts.restart {
        RESTART.fetch_or(1 << i, SeqCst);
    } else {
        RESTART.fetch_and(!(1 << i), SeqCst);
    }
    let old = match crate::rm::request(&Request::SigAction { sig, action: d })? {
        Response::SigAction(o) => o,
        _ => return Err(Errno::EPROTO),
    };
    Ok(match old {
        Disposition::Default => Action::Default,
        Disposition::Ignore => Action::Ignore,
        Disposition::Catch(_) => match HANDLERS[i].load(SeqCst) {
            0 => Action::Default,
            // SAFETY: only `set_action` stores into HANDLERS, and only
            // addresses of `Handler` functions.
            f => Action::Handle(unsafe { core::mem::transmute::<usize, Handler>(f) }),
        },
    })
}

/// Runs `f` when `sig` arrives, restarting interrupted calls.
///
/// # Errors
/// As [`set_action`].
pub fn set_handler(sig: Signo, f: Handler) -> Result<(), Errno> {
    set_action(sig, Action::Handle(f), Options { restart: true, ..Options::default() }).map(|_| ())
}

/// How [`set_mask`] changes the mask (`sigprocmask(2)`'s `how`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// Add the set (`SIG_BLOCK`).
    Block,
    /// Remove the set (`SIG_UNBLOCK`).
    Unblock,
    /// Replace the mask (`SIG_SETMASK`).
    Set,
}

/// Changes this thread's signal mask; returns the old one. Signals that
/// become unblocked and are pending run before this returns. `SIGKILL` and
/// `SIGSTOP` are never blocked.
pub fn set_mask(how: How, set: SigSet) -> SigSet {
    let Some(w) = block_word(BLOCKED) else { return SigSet::EMPTY };
    let old = SigSet(w.load(SeqCst));
    let new = match how {
        How::Block => old.union(set),
        How::Unblock => old.minus(set),
        How::Set => set,
    };
    w.store(new.minus(UNBLOCKABLE).0, SeqCst);
    check();
    old
}

/// The signals rm holds for this thread (blocked, or waiting for a call
/// to end: `sigpending(2)`).
pub fn pending() -> SigSet {
    SigSet(block_word(PENDING).map_or(0, |w| w.load(SeqCst)))
}

fn do_kill(target: KillTarget, sig: Signo) -> Result<(), Errno> {
    crate::rm::request(&Request::Kill { target, sig }).map(|_| ())
}

/// Sends `sig` to process `pid` (`kill(2)`; `sig` 0 only checks).
///
/// # Errors
/// `ESRCH`, `EPERM`, `EINVAL`.
pub fn kill(pid: Pid, sig: Signo) -> Result<(), Errno> {
    do_kill(KillTarget::Pid(pid), sig)
}

/// Sends `sig` to every process of group `pgid` (0: the caller's).
///
/// # Errors
/// `ESRCH`, `EPERM`, `EINVAL`.
pub fn killpg(pgid: Pid, sig: Signo) -> Result<(), Errno> {
    do_kill(KillTarget::Group(pgid), sig)
}

/// Sends `sig` to this process (`raise(3)`); a handler runs, or the
/// default action happens, before this returns.
///
/// # Errors
/// `EINVAL`.
pub fn raise(sig: Signo) -> Result<(), Errno> {
    kill(crate::startup::header().map_or(0, |h| h.pid), sig)
}

/// Maps an aborted call to `EINTR` (the errno every interrupted call
/// reports).
pub fn errno_of(e: CallError) -> Errno {
    match e {
        CallError::Aborted => Errno::EINTR,
        e => e.errno(),
    }
}

// Where rm sends the thread to run a handler: `rdi` = signal, `rsi` =
// entry flags (`ENTRY_INTERRUPTED_CALL`), `rsp` as at a function's entry.
// Saves the FPU/SSE state (512 bytes, `fxsave64`) and calls
// `rampart_signal_dispatch` with a save area for the IPC buffer; then
// restores and makes the bare `sigreturn` call (which never returns).
unsafe extern "C" {
    fn rampart_signal_entry();
}

core::arch::global_asm!(
    r#"
    .section .text.rampart_signal_entry, "ax"
    .global rampart_signal_entry
rampart_signal_entry:
    cld
    push rbp
    mov rbp, rsp
    sub rsp, {frame}
    and rsp, -64
    fxsave64 [rsp]
    lea rdx, [rsp + 512]
    call rampart_signal_dispatch
    mov rbx, rax
    fxrstor64 [rsp]
    mov rax, {call}
    mov rdi, rbx
    mov rsi, [rip + {info}]
    xor edx, edx
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r12d, r12d
    syscall
    ud2
"#,
    frame = const 512 + SAVE_BYTES + 64,
    call = const Syscall::Call as u64,
    info = sym SIGRETURN_INFO,
);

/// Bytes of the dispatcher's save area: the IPC buffer (1 KiB) and the
/// block's state word.
const SAVE_BYTES: usize = 1024 + 8;

/// Runs the handler of `sig` for the trampoline; returns the rm channel
/// for `sigreturn`.
#[unsafe(no_mangle)]
extern "C" fn rampart_signal_dispatch(sig: u64, _flags: u64, save: *mut u8) -> u64 {
    let ipc = crate::tls::current().ipc_buffer_addr();
    let state = block_word(STATE);
    if ipc == 0 {
        return crate::rm::channel().0; // no IPC buffer: no handler either
    }
    // SAFETY: `save` is the trampoline's stack area of SAVE_BYTES bytes,
    // exclusively ours; the IPC buffer is this thread's own 1 KiB, which
    // nothing else writes while this thread runs (the kernel writes it only
    // during this thread's system calls). Volatile copies: the kernel
    // writes the buffer behind the compiler's back.
    unsafe {
        for i in 0..128 {
            let w = core::ptr::read_volatile((ipc as *const u64).add(i));
            core::ptr::write_unaligned((save as *mut u64).add(i), w);
        }
        core::ptr::write_unaligned((save as *mut u64).add(128), state.map_or(0, |s| s.load(SeqCst)));
    }
    if let Some(h) = block_word(HANDLED) {
        h.fetch_add(1, SeqCst);
    }
    let sig = sig as Signo;
    if (1..=NSIG).contains(&sig) {
        let i = usize::from(sig - 1);
        if RESTART.load(SeqCst) & (1 << i) == 0 {
            NO_RESTART_RAN.store(true, Relaxed);
        }
        let f = HANDLERS[i].load(SeqCst);
        if f != 0 {
            // SAFETY: only `set_action` stores into HANDLERS, and only
            // addresses of `Handler` functions.
            let f = unsafe { core::mem::transmute::<usize, Handler>(f) };
            f(sig);
        }
    }
    // SAFETY: as above, copying back what was saved.
    unsafe {
        for i in 0..128 {
            let w = core::ptr::read_unaligned((save as *const u64).add(i));
            core::ptr::write_volatile((ipc as *mut u64).add(i), w);
        }
        if let Some(s) = state {
            s.store(core::ptr::read_unaligned((save as *const u64).add(128)), SeqCst);
        }
    }
    crate::rm::channel().0
}
