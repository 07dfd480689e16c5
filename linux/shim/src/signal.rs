//! Signal delivery to the program's handlers (docs/linux-abi.md,
//! "Signals"): `SIGCHLD`, a Linux `rt_sigframe`, `rt_sigreturn`,
//! `rt_sigsuspend`/`pause`.
//!
//! **Delivery happens at the system-call boundary.** A signal the shim
//! generates is pending until the program's current call returns; then,
//! if it is not blocked and its disposition is a handler, the shim builds
//! the x86_64 Linux signal frame on the program's stack (below the red
//! zone: return address = the `sa_restorer`, `ucontext` with the
//! interrupted registers and the call's result in `rax`, `siginfo`, the
//! `fxsave` state) and the call "returns" into the handler with `rdi` =
//! signal, `rsi` = `&siginfo`, `rdx` = `&ucontext` (sigaction(2),
//! signal(7)). The handler's `rt_sigreturn` restores everything from the
//! frame, mask included. A `SIG_DFL` or `SIG_IGN` disposition for a signal
//! the shim generates (`SIGCHLD`: default ignore) discards it.
//!
//! What generates signals today: `SIGCHLD`, when the shim learns that a
//! child changed state while the program waits in `rt_sigsuspend`/`pause`
//! (the shim then reaps the child for the program and keeps its status
//! for the next `wait4`, [`take_reaped`]). Signals other processes send
//! go through rm, which applies the default actions (rm knows no Linux
//! handler yet: docs/linux-abi.md, "What is not there yet") or discards
//! those the program ignores (`misc::tell_rm`).

use crate::entry::Frame;
use crate::misc::{SIGACTIONS, SIGMASK};
use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_libos::rampart_rt::rm;
use rampart_linux_abi::errno::*;
use rampart_rm_api::{ChildEvent, WaitFor};
use spin::Mutex;

/// `SIGCHLD`.
pub const SIGCHLD: u64 = 17;
/// Pending signals (bit `sig - 1`).
static PENDING: AtomicU64 = AtomicU64::new(0);
/// Children the shim reaped for the program (while it waited in
/// `rt_sigsuspend`), oldest first, until a `wait4` reports them.
static REAPED: Mutex<VecDeque<(u32, ChildEvent)>> = Mutex::new(VecDeque::new());

/// `sa_flags` (sigaction(2)).
const SA_NODEFER: u64 = 0x4000_0000;
const SA_RESETHAND: u64 = 0x8000_0000;
const SA_RESTORER: u64 = 0x0400_0000;

/// Bytes of the kernel's `struct ucontext` (x86_64), `siginfo`, and the
/// offset of `uc_mcontext` / `uc_sigmask` in it.
const UC_BYTES: u64 = 304;
const SI_BYTES: u64 = 128;
const MCONTEXT: u64 = 40;
const SIGMASK_AT: u64 = 296;

/// Marks `sig` pending.
pub fn raise(sig: u64) {
    PENDING.fetch_or(1 << (sig - 1), Relaxed);
}

/// A child event the shim reaped for `target` (wait4's), if any.
pub fn take_reaped(target: WaitFor) -> Option<(u32, ChildEvent)> {
    let mut q = REAPED.lock();
    let i = q.iter().position(|(p, _)| match target {
        WaitFor::Pid(x) => *p == x,
        _ => true,
    })?;
    q.remove(i)
}

/// rt_sigsuspend(2) (and pause(2) with `mask` 0): waits with the mask
/// `*mask` until a signal is delivered; always `EINTR`. The only signal
/// the shim generates is `SIGCHLD`: it waits for a child to change state
/// (reaping it for the program's next `wait4`). Without children it
/// waits forever, as for a signal that never comes (rm's default actions
/// still end it).
///
/// # Errors
/// `EINTR`, `EFAULT`, `EINVAL` (size).
pub fn sigsuspend(mask: u64, size: u64) -> Result<u64, i32> {
    if size != 8 {
        return Err(EINVAL);
    }
    let old = SIGMASK.load(Relaxed);
    if mask != 0 {
        SIGMASK.store(crate::mem::get_u64(mask)? & !((1 << 8) | (1 << 18)), Relaxed);
    }
    loop {
        if PENDING.load(Relaxed) & !SIGMASK.load(Relaxed) != 0 {
            break;
        }
        let o = rm::WaitOptions { block: true, stopped: false, continued: false };
        match rm::wait_for(WaitFor::Any, o) {
            Ok(Some(ev)) => {
                REAPED.lock().push_back(ev);
                raise(SIGCHLD);
                // A SIGCHLD the program ignores or blocks does not end
                // the wait.
                if handler(SIGCHLD).is_none() && SIGMASK.load(Relaxed) & (1 << (SIGCHLD - 1)) == 0 {
                    PENDING.fetch_and(!(1 << (SIGCHLD - 1)), Relaxed);
                    continue;
                }
            }
            Ok(None) | Err(_) => {
                // No child to wait for: nothing the shim can generate.
                rampart_libos::rampart_rt::syscall::yield_now();
                continue;
            }
        }
    }
    // Delivery (at this call's return) runs with the suspend mask and
    // restores the old one through the frame.
    OLD_MASK.store(old | (1 << 63), Relaxed);
    Err(EINTR)
}

/// The mask `rt_sigsuspend` replaced (bit 63: present), restored after
/// delivery (saved in the frame) or at once if nothing is delivered.
static OLD_MASK: AtomicU64 = AtomicU64::new(0);

/// The handler of `sig` and its action words, `None` for `SIG_DFL`/`SIG_IGN`.
fn handler(sig: u64) -> Option<[u64; 4]> {
    let w: [u64; 4] = core::array::from_fn(|i| SIGACTIONS[(sig - 1) as usize][i].load(Relaxed));
    (w[0] > 1).then_some(w)
}

/// At the end of every call: delivers the lowest pending unblocked signal
/// with a handler (discarding those without one) by building its frame
/// and redirecting `f` into the handler.
pub fn deliver(f: &mut Frame) {
    let old = OLD_MASK.swap(0, Relaxed);
    let suspended = old & (1 << 63) != 0;
    let ready = PENDING.load(Relaxed) & !SIGMASK.load(Relaxed);
    let sig = u64::from(ready.trailing_zeros()) + 1;
    let act = if ready == 0 {
        None
    } else {
        PENDING.fetch_and(!(1 << (sig - 1)), Relaxed);
        handler(sig)
    };
    let Some(act) = act else {
        if suspended {
            SIGMASK.store(old & !(1 << 63), Relaxed);
        }
        return;
    };
    // The frame keeps the mask to return to: the one before
    // rt_sigsuspend, else the current one.
    let current = SIGMASK.load(Relaxed);
    let back = if suspended { old & !(1 << 63) } else { current };
    if build_frame(f, sig, &act, back).is_err() {
        // No room on the program's stack: Linux kills with SIGSEGV.
        rampart_libos::eprintln!("linux: cannot deliver signal {sig}: bad stack");
        rampart_libos::process::exit(128 + 11);
    }
    let mut m = current | act[3];
    if act[1] & SA_NODEFER == 0 {
        m |= 1 << (sig - 1);
    }
    SIGMASK.store(m & !((1 << 8) | (1 << 18)), Relaxed);
    if act[1] & SA_RESETHAND != 0 {
        SIGACTIONS[(sig - 1) as usize][0].store(0, Relaxed);
    }
}

/// Writes the `rt_sigframe` for `sig` below the program's stack and points
/// `f` at the handler.
fn build_frame(f: &mut Frame, sig: u64, act: &[u64; 4], mask: u64) -> Result<(), i32> {
    let (rsp, fx) = crate::entry::saved_user_state();
    // Below the red zone: the fxsave area (64-aligned), then the frame
    // (return address, ucontext, siginfo), rsp + 8 16-aligned at entry.
    let fpstate = (rsp.checked_sub(128 + 512).ok_or(EFAULT)?) & !63;
    let base = ((fpstate - 8 - UC_BYTES - SI_BYTES) & !15) - 8;
    let uc = base + 8;
    let si = uc + UC_BYTES;
    crate::mem::put(fpstate, &fx)?;
    let mut frame = [0u8; (8 + UC_BYTES + SI_BYTES) as usize];
    let mut put = |off: u64, v: u64| frame[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes());
    let restorer = if act[1] & SA_RESTORER != 0 { act[2] } else { 0 };
    put(0, restorer);
    // sigcontext: r8 r9 r10 r11 r12 r13 r14 r15 rdi rsi rbp rbx rdx rax rcx rsp rip eflags cs/gs/fs/ss
    let [rbx, rbp, r12, r13, r14, r15] = f.rest;
    let regs = [
        f.r8,
        f.r9,
        f.r10,
        f.rflags,
        r12,
        r13,
        r14,
        r15,
        f.rdi,
        f.rsi,
        rbp,
        rbx,
        f.rdx,
        f.rax,
        f.rip,
        rsp,
        f.rip,
        f.rflags,
        0x33 | (0x2b << 48),
    ];
    for (i, v) in regs.iter().enumerate() {
        put(8 + MCONTEXT + 8 * i as u64, *v);
    }
    put(8 + MCONTEXT + 8 * 23, fpstate);
    put(8 + SIGMASK_AT, mask);
    // siginfo: si_signo, si_errno, si_code (SI_KERNEL 0x80 / CLD_EXITED 1 for SIGCHLD).
    let code: u64 = if sig == SIGCHLD { 1 } else { 0x80 };
    put(8 + UC_BYTES, sig | (code << 32));
    crate::mem::put(base, &frame)?;
    f.rip = act[0];
    f.rdi = sig;
    // (`siginfo` is filled whether or not the handler asked for SA_SIGINFO.)
    f.rsi = si;
    f.rdx = uc;
    f.rax = 0;
    crate::entry::set_user_state(base, &fx);
    Ok(())
}

/// rt_sigreturn(2): restores the registers, stack, x87/SSE state and
/// mask saved in the frame the handler returns from (at the program's
/// `rsp`); the result is the interrupted call's `rax`. A frame that is
/// not readable ends the process (Linux: `SIGSEGV`).
///
/// # Errors
/// None returned: a bad frame ends the process.
pub fn sigreturn(f: &mut Frame) -> Result<u64, i32> {
    let (uc, _) = crate::entry::saved_user_state();
    let Ok(bytes) = crate::mem::user(uc, UC_BYTES as usize) else {
        rampart_libos::eprintln!("linux: rt_sigreturn with a bad frame");
        rampart_libos::process::exit(128 + 11);
    };
    let get = |off: u64| u64::from_le_bytes(bytes[off as usize..off as usize + 8].try_into().unwrap_or([0; 8]));
    let r = |i: u64| get(MCONTEXT + 8 * i);
    f.r8 = r(0);
    f.r9 = r(1);
    f.r10 = r(2);
    f.rest = [r(11), r(10), r(4), r(5), r(6), r(7)];
    f.rdi = r(8);
    f.rsi = r(9);
    f.rdx = r(12);
    let rax = r(13);
    let rsp = r(15);
    f.rip = r(16);
    // Only the arithmetic flags, direction and trap flags (Linux's
    // FIX_EFLAGS): the program cannot set IOPL or interrupt flags.
    f.rflags = (f.rflags & !0x4dd5) | (r(17) & 0x4dd5);
    let mut fx = crate::entry::saved_user_state().1;
    let fp = r(23);
    if fp != 0 {
        match crate::mem::user(fp, 512) {
            Ok(b) => {
                fx.copy_from_slice(b);
                // MXCSR reserved bits set would fault fxrstor in the shim.
                let mxcsr = u32::from_le_bytes([fx[24], fx[25], fx[26], fx[27]]) & 0xffff;
                fx[24..28].copy_from_slice(&mxcsr.to_le_bytes());
            }
            Err(_) => rampart_libos::process::exit(128 + 11),
        }
    }
    SIGMASK.store(get(SIGMASK_AT) & !((1 << 8) | (1 << 18)), Relaxed);
    crate::entry::set_user_state(rsp, &fx);
    Ok(rax)
}
