//! What sigtest runs as its own child (`sigtest MODE ...`): each mode
//! plays one side of a check and reports through its exit status.

use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_rm_api::{ExitStatus, Image, Spawn, WaitFor};
use rampart_rt::signal::{self, Action, Options, SigSet};
use rampart_rt::{dprintln, rm};
use rampart_uabi::Errno;

static COUNT: AtomicU64 = AtomicU64::new(0);
static LAST: AtomicU64 = AtomicU64::new(0);

fn count(sig: u8) {
    COUNT.fetch_add(1, SeqCst);
    LAST.store(u64::from(sig), SeqCst);
}

/// Tells the parent the handlers are in place: the child stops itself;
/// the parent sees the stop and continues it ([`crate::pester`]).
fn ready() {
    let _ = signal::raise(signal::SIGSTOP);
}

/// Yields forever (until killed).
pub fn spin() -> ! {
    loop {
        rampart_rt::syscall::yield_now();
    }
}

/// A word of this thread's signal block.
pub fn block_word(off: u64) -> &'static AtomicU64 {
    let a = rampart_rt::tls::current().ipc_buffer_addr() + signal::BLOCK_OFFSET + off;
    // SAFETY: the signal block lies in this thread's own IPC-buffer page,
    // mapped read-write for its life; rm reads it concurrently, so it is
    // only used as an atomic.
    unsafe { &*(a as *const AtomicU64) }
}

fn spawn_self(args: &[&str]) -> Result<u32, Errno> {
    spawn_in(args, None)
}

fn spawn_in(args: &[&str], pgroup: Option<u32>) -> Result<u32, Errno> {
    let mut argv = alloc::vec![alloc::string::String::from("sigtest")];
    argv.extend(args.iter().map(|s| alloc::string::String::from(*s)));
    rm::spawn(Spawn { image: Some(Image::Bootfs("sigtest".into())), argv, pgroup, ..Default::default() })
}

/// Runs mode `mode`; the exit status.
pub fn run(mode: &str) -> i32 {
    match mode {
        "spin" => spin(),
        "exit" => 3,
        // Ignores SIGTERM, then spins: only SIGKILL ends it.
        "ignore-term" => {
            let _ = signal::set_action(signal::SIGTERM, Action::Ignore, Options::default());
            spin()
        }
        // Claims to block every signal, SIGKILL included, by writing its
        // block directly: rm must still kill it.
        "forge-mask" => {
            block_word(signal::BLOCKED).store(u64::MAX, SeqCst);
            spin()
        }
        // Claims to be in a call that must finish, forever: terminations
        // still act.
        "forge-state" => {
            block_word(signal::STATE).store(signal::STATE_CALL, SeqCst);
            spin()
        }
        // A sigreturn with no handler running: rm ends it (SIGSEGV).
        "forge-sigreturn" => {
            let info = rampart_abi::MessageInfo::new(signal::LABEL_SIGRETURN, 0, 0, 0);
            rampart_rt::syscall::raw(rampart_abi::Syscall::Call, rm::channel().0, info, [0; 4], 0);
            dprintln!("sigtest: forged sigreturn returned");
            1
        }
        // A handler entry in kernel space: the delivery faults this task,
        // nobody else.
        "bad-entry" => {
            let c = signal::Catch { entry: 0xffff_8000_0000_1000, ..Default::default() };
            let r = rm::request(&rampart_rm_api::Request::SigAction {
                sig: signal::SIGUSR1,
                action: signal::Disposition::Catch(c),
            });
            if r.is_err() {
                return 2;
            }
            let _ = signal::raise(signal::SIGUSR1);
            dprintln!("sigtest: survived a handler at a kernel address");
            1
        }
        // A blocking wait interrupted by a handler without SA_RESTART
        // fails with EINTR.
        "waitintr" => {
            let _ = signal::set_action(signal::SIGUSR1, Action::Handle(count), Options::default());
            let Ok(gc) = spawn_self(&["spin"]) else { return 2 };
            ready();
            let r = rm::wait(Some(gc), true);
            let _ = rm::kill(gc);
            let _ = rm::wait(Some(gc), true);
            if r == Err(Errno::EINTR) && COUNT.load(SeqCst) >= 1 { 0 } else { 10 }
        }
        // With SA_RESTART the wait goes on and collects the grandchild.
        "waitrestart" => {
            let _ = signal::set_handler(signal::SIGUSR1, count);
            let Ok(gc) = spawn_self(&["slowexit"]) else { return 2 };
            ready();
            let r = rm::wait(Some(gc), true);
            if r == Ok(Some((gc, ExitStatus::Exited(7)))) && COUNT.load(SeqCst) >= 1 {
                0
            } else {
                dprintln!("sigtest: restarted wait gave {r:?}, {} handlers", COUNT.load(SeqCst));
                10
            }
        }
        "slowexit" => {
            for _ in 0..20_000 {
                rampart_rt::syscall::yield_now();
            }
            7
        }
        // Registers and SSE state survive handlers that compute with
        // floating point and make server calls.
        "regs" => regs(),
        // The parent sends SIGUSR2; its handler raises SIGUSR1 (nested).
        "nested" => {
            let _ = signal::set_handler(signal::SIGUSR1, count);
            let _ = signal::set_handler(signal::SIGUSR2, |_| {
                let before = COUNT.load(SeqCst);
                let _ = signal::raise(signal::SIGUSR1);
                if COUNT.load(SeqCst) == before + 1 {
                    LAST.store(100, SeqCst);
                }
            });
            ready();
            while LAST.load(SeqCst) != 100 {
                rampart_rt::syscall::yield_now();
            }
            0
        }
        "setsid" => {
            let Ok(sid) = rampart_rt::jobs::setsid() else { return 2 };
            let foreign = spawn_in(&["exit"], Some(1));
            let me = rampart_rt::process::pid();
            let again = rampart_rt::jobs::setsid();
            let g = rampart_rt::jobs::group(0);
            let fg = rampart_rt::jobs::foreground();
            let sig = rampart_rt::jobs::terminal_signal(1, signal::SIGINT);
            let ok = sid == me
                && foreign == Err(Errno::EPERM)
                && again == Err(Errno::EPERM)
                && g == Ok((me, me))
                && fg == Err(Errno::ENOTTY)
                && sig == Err(Errno::EPERM);
            if !ok {
                dprintln!("sigtest: setsid {sid} again {again:?} group {g:?} fg {fg:?} tsig {sig:?}");
            }
            if ok { 0 } else { 10 }
        }
        // Waits for any child of group 0 (its own) when it has none there.
        "nochild" => match rm::wait_for(WaitFor::Group(0), rm::WaitOptions { block: true, ..Default::default() }) {
            Err(Errno::ECHILD) => 0,
            _ => 10,
        },
        m => {
            dprintln!("sigtest: unknown mode {m:?}");
            2
        }
    }
}

fn regs() -> i32 {
    fn handler(_: u8) {
        // Clobber SSE registers and make a server call.
        let mut x = 1.5f64;
        for i in 0..50 {
            x = x * 1.000_1 + f64::from(i);
        }
        LAST.store(x.to_bits(), SeqCst);
        let _ = rampart_rt::jobs::group(0);
        COUNT.fetch_add(1, SeqCst);
    }
    let _ = signal::set_handler(signal::SIGUSR1, handler);
    ready();
    let mut a: u64 = 0x1234_5678;
    let mut f = 0.25f64;
    let mut rounds = 0u64;
    while COUNT.load(SeqCst) < 50 && rounds < 50_000_000 {
        for _ in 0..1000 {
            a = a.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            f = f * 0.5 + 1.0;
        }
        rounds += 1;
        rampart_rt::syscall::yield_now();
    }
    // Recompute the same sequence without interruptions.
    let mut b: u64 = 0x1234_5678;
    let mut g = 0.25f64;
    for _ in 0..rounds * 1000 {
        b = b.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        g = g * 0.5 + 1.0;
    }
    let handled = COUNT.load(SeqCst);
    if a == b && f.to_bits() == g.to_bits() && handled >= 50 {
        0
    } else {
        dprintln!("sigtest: regs: {a:#x} vs {b:#x}, {f} vs {g}, {handled} handlers, {rounds} rounds");
        10
    }
}

/// Blocks `set`, returns whether `sig` is pending after raising it and
/// whether the handler ran only after unblocking.
pub fn mask_defers() -> bool {
    COUNT.store(0, SeqCst);
    let _ = signal::set_handler(signal::SIGUSR2, count);
    let old = signal::set_mask(signal::How::Block, SigSet::EMPTY.with(signal::SIGUSR2));
    let _ = signal::raise(signal::SIGUSR2);
    let held = COUNT.load(SeqCst) == 0 && signal::pending().contains(signal::SIGUSR2);
    signal::set_mask(signal::How::Set, old);
    held && COUNT.load(SeqCst) == 1 && !signal::pending().contains(signal::SIGUSR2)
}

/// A handler runs on `raise` with its signal number.
pub fn handler_runs() -> bool {
    COUNT.store(0, SeqCst);
    let _ = signal::set_handler(signal::SIGUSR1, count);
    let r = signal::raise(signal::SIGUSR1);
    r.is_ok() && COUNT.load(SeqCst) == 1 && LAST.load(SeqCst) == u64::from(signal::SIGUSR1)
}

/// SIGCHLD handlers run when a child ends.
pub fn sigchld_counted(child: u32) -> bool {
    let r = rm::wait(Some(child), true);
    matches!(r, Ok(Some((_, ExitStatus::Exited(3))))) && COUNT.load(SeqCst) >= 1
}

/// Counts SIGCHLD from now on.
pub fn count_sigchld() {
    COUNT.store(0, SeqCst);
    let _ = signal::set_handler(signal::SIGCHLD, count);
}
