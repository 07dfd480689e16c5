//! Identity, time, limits, randomness, and the calls recorded for later
//! (signal dispositions and masks: delivery to Linux handlers is not
//! implemented yet, docs/linux-abi.md).
//!
//! Credentials: `getuid`/`getgid` answer the user and group the file
//! server derives from this process's security context (its SELinux user,
//! `/etc/identities`) — the ids every file access is checked with — read
//! once at start. Nothing the program does changes them.

use crate::mem::{get_u64, put, user_mut};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_linux_abi::errno::*;
use rampart_linux_abi::nr;

/// `ENODEV` (mmap of something that cannot be mapped).
pub const ENODEV: i32 = 19;

static PID: AtomicU64 = AtomicU64::new(0);
static PPID: AtomicU64 = AtomicU64::new(0);
static IDS: AtomicU64 = AtomicU64::new(0);
static UMASK: AtomicU64 = AtomicU64::new(0o022);
pub static SIGMASK: AtomicU64 = AtomicU64::new(0);
pub static SIGACTIONS: [[AtomicU64; 4]; 64] = [const { [const { AtomicU64::new(0) }; 4] }; 64];

/// Reads what the light path answers (pid, parent, credentials) and
/// records the program path; called once before the program starts.
pub fn init() {
    let (pid, ppid) = rampart_libos::rampart_rt::rm::getpid().unwrap_or((rampart_libos::process::id(), 1));
    PID.store(u64::from(pid), Relaxed);
    PPID.store(u64::from(ppid), Relaxed);
}

/// Signal dispositions, mask and umask as words (a forked child inherits
/// them, fork(2)).
pub fn state() -> Vec<u64> {
    let mut v = alloc::vec![UMASK.load(Relaxed), SIGMASK.load(Relaxed)];
    v.extend(SIGACTIONS.iter().flat_map(|s| s.iter().map(|w| w.load(Relaxed))));
    v
}

/// Installs what [`state`] recorded in the parent; `exec` resets caught
/// signals to their default (execve(2)).
pub fn set_state(v: &[u64]) {
    if v.len() != 2 + 64 * 4 {
        return;
    }
    UMASK.store(v[0], Relaxed);
    SIGMASK.store(v[1], Relaxed);
    for (i, w) in v[2..].iter().enumerate() {
        SIGACTIONS[i / 4][i % 4].store(*w, Relaxed);
    }
    for (i, act) in SIGACTIONS.iter().enumerate() {
        tell_rm(i as u64 + 1, act[0].load(Relaxed), SIG_DFL);
    }
}

/// `SIG_DFL` and `SIG_IGN` (signal.h).
const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;

/// Tells rm whether the program ignores `sig` (`SIG_IGN`, from
/// `rt_sigaction` or inherited over fork and exec), so that signals from
/// other processes and the terminal keys are discarded as on Linux, and a
/// `tcsetpgrp` from a background group with `SIGTTOU` ignored is allowed
/// (busybox `sh`'s job control; tcsetpgrp(3)) instead of stopping the
/// caller. Handlers are not registered with rm (docs/linux-abi.md,
/// "Signals"); `SIGCHLD` stays the shim's; rm's refusals change nothing.
fn tell_rm(sig: u64, handler: u64, was: u64) {
    if matches!(sig, 9 | 17 | 19) || sig > 64 || (handler == SIG_IGN) == (was == SIG_IGN) {
        return;
    }
    use rampart_libos::rampart_rt::signal::{Action, Options, set_action};
    let act = if handler == SIG_IGN { Action::Ignore } else { Action::Default };
    let _ = set_action(sig as u8, act, Options::default());
}

use rampart_libos::rampart_rt::jobs;

fn from_rampart_errno(e: rampart_uabi::Errno) -> i32 {
    from_rampart(e.0)
}

/// A pid argument (`pid_t`, non-negative).
fn id32(v: u64) -> Result<u32, i32> {
    u32::try_from(v as i32).map_err(|_| EINVAL)
}

/// The process id.
pub fn pid() -> u64 {
    PID.load(Relaxed)
}

/// The parent's process id.
pub fn ppid() -> u64 {
    PPID.load(Relaxed)
}

/// (uid, gid) from the file server's view of this process's context
/// (cached after the first call; 65534 "nobody" if it cannot say).
pub fn ids() -> (u32, u32) {
    let v = IDS.load(Relaxed);
    if v != 0 {
        return (((v >> 32) & 0x7fff_ffff) as u32, v as u32);
    }
    let (u, g) = rampart_libos::process::credentials().map_or((65534, 65534), |c| (c.uid, c.gid));
    IDS.store((u64::from(u) << 32) | u64::from(g) | (1 << 63), Relaxed);
    (u, g)
}

/// `AT_HWCAP`: CPUID leaf 1 EDX.
pub fn hwcap() -> u64 {
    u64::from(core::arch::x86_64::__cpuid(1).edx)
}

fn rdrand() -> Option<u64> {
    if core::arch::x86_64::__cpuid(1).ecx & (1 << 30) == 0 {
        return None;
    }
    for _ in 0..10 {
        let (v, ok): (u64, u8);
        // SAFETY: RDRAND is present (CPUID.1:ECX.RDRAND); it only writes
        // its destination and CF.
        unsafe { core::arch::asm!("rdrand {}", "setc {}", out(reg) v, out(reg_byte) ok, options(nomem, nostack)) };
        if ok != 0 {
            return Some(v);
        }
    }
    None
}

/// Fills `out` from the processor's RDRAND; without it, from a TSC-seeded
/// generator (not cryptographic: docs/linux-abi.md).
pub fn random_bytes(out: &mut [u8]) {
    let mut x = rampart_libos::rampart_rt::cpu::rdtsc() | 1;
    for chunk in out.chunks_mut(8) {
        let v = rdrand().unwrap_or_else(|| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        });
        chunk.copy_from_slice(&v.to_le_bytes()[..chunk.len()]);
    }
}

/// (seconds, nanoseconds) since boot from the TSC.
fn since_boot() -> (u64, u64) {
    let hz = rampart_libos::rampart_rt::startup::header().map_or(1, |h| h.tsc_hz).max(1);
    let t = rampart_libos::rampart_rt::cpu::rdtsc();
    (t / hz, ((u128::from(t % hz) * 1_000_000_000) / u128::from(hz)) as u64)
}

fn clock(id: u64) -> Result<(u64, u64), i32> {
    let (s, ns) = since_boot();
    match id {
        0 | 5 | 8 => Ok((s + rampart_libos::time::BOOT_EPOCH, ns)), // REALTIME, _COARSE, _ALARM
        1 | 4 | 6 | 7 | 2 | 3 => Ok((s, ns)),                       // MONOTONIC, _RAW, _COARSE, BOOTTIME, CPUTIME
        _ => Err(EINVAL),
    }
}

fn timespec(s: u64, ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&s.to_le_bytes());
    b[8..].copy_from_slice(&ns.to_le_bytes());
    b
}

/// `struct rlimit` answers (prlimit64(2)): (soft, hard).
fn rlimit(res: u64) -> Result<(u64, u64), i32> {
    const INF: u64 = u64::MAX;
    Ok(match res {
        3 => (crate::mem::STACK_BYTES, crate::mem::STACK_BYTES), // RLIMIT_STACK
        7 => (1024, 1024),                                       // RLIMIT_NOFILE
        0..=15 => (INF, INF),
        _ => return Err(EINVAL),
    })
}

/// The remaining supported calls; `None` for numbers not handled here.
pub fn handle(n: u64, a: u64, b: u64, c: u64, d: u64) -> Option<Result<u64, i32>> {
    Some(match n {
        nr::EXIT | nr::EXIT_GROUP => rampart_libos::process::exit((a & 0xff) as i32),
        nr::ARCH_PRCTL => match a {
            0x1002 => {
                // ARCH_SET_FS: a user address.
                if b >= rampart_linux_abi::range::USER_END {
                    Err(EPERM)
                } else {
                    crate::entry::set_linux_fs(b);
                    Ok(0)
                }
            }
            0x1003 => put(b, &crate::entry::linux_fs().to_le_bytes()).map(|()| 0),
            _ => Err(EINVAL),
        },
        nr::SET_TID_ADDRESS => Ok(pid()),
        nr::SET_ROBUST_LIST => {
            if b != 24 {
                Err(EINVAL)
            } else {
                Ok(0)
            }
        }
        nr::RT_SIGACTION => {
            if a == 0 || a > 64 || d != 8 || (b != 0 && (a == 9 || a == 19)) {
                return Some(Err(EINVAL));
            }
            let slot = &SIGACTIONS[(a - 1) as usize];
            let old: [u64; 4] = core::array::from_fn(|i| slot[i].load(Relaxed));
            let new = if b != 0 {
                let mut w = [0u64; 4];
                for (i, x) in w.iter_mut().enumerate() {
                    match get_u64(b + 8 * i as u64) {
                        Ok(v) => *x = v,
                        Err(x) => return Some(Err(x)),
                    }
                }
                Some(w)
            } else {
                None
            };
            if c != 0 {
                let mut bytes = [0u8; 32];
                for (i, w) in old.iter().enumerate() {
                    bytes[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
                }
                if let Err(x) = put(c, &bytes) {
                    return Some(Err(x));
                }
            }
            if let Some(w) = new {
                for (i, v) in w.iter().enumerate() {
                    slot[i].store(*v, Relaxed);
                }
                tell_rm(a, w[0], old[0]);
            }
            Ok(0)
        }
        nr::RT_SIGPROCMASK => {
            if d != 8 {
                return Some(Err(EINVAL));
            }
            let old = SIGMASK.load(Relaxed);
            let set = if b != 0 {
                match get_u64(b) {
                    Ok(v) => Some(v & !((1 << 8) | (1 << 18))), // SIGKILL, SIGSTOP stay unblocked
                    Err(x) => return Some(Err(x)),
                }
            } else {
                None
            };
            if c != 0
                && let Err(x) = put(c, &old.to_le_bytes())
            {
                return Some(Err(x));
            }
            if let Some(s) = set {
                let new = match a {
                    0 => old | s,
                    1 => old & !s,
                    2 => s,
                    _ => return Some(Err(EINVAL)),
                };
                SIGMASK.store(new, Relaxed);
            }
            Ok(0)
        }
        nr::UNAME => {
            let host = rampart_libos::fs::read_to_string("/etc/hostname").unwrap_or_default();
            let u = rampart_linux_abi::structs::utsname(
                "Linux",
                host.trim(),
                "6.1.0-rampart",
                "#1 SMP Rampart Linux personality",
                "x86_64",
            );
            put(a, &u).map(|()| 0)
        }
        nr::CLOCK_GETTIME => clock(a).and_then(|(s, ns)| put(b, &timespec(s, ns)).map(|()| 0)),
        nr::CLOCK_GETRES => {
            if b != 0 {
                clock(a).and_then(|_| put(b, &timespec(0, 1)).map(|()| 0))
            } else {
                clock(a).map(|_| 0)
            }
        }
        nr::GETTIMEOFDAY => {
            if a == 0 {
                Ok(0)
            } else {
                let (s, ns) = clock(0).unwrap_or((0, 0));
                put(a, &timespec(s, ns / 1000)).map(|()| 0)
            }
        }
        nr::TIME => {
            let s = clock(0).map_or(0, |t| t.0);
            if a != 0 && put(a, &s.to_le_bytes()).is_err() {
                return Some(Err(EFAULT));
            }
            Ok(s)
        }
        nr::GETRANDOM => {
            let len = (b as usize).min(1 << 20);
            user_mut(a, len).map(|buf| {
                random_bytes(buf);
                len as u64
            })
        }
        nr::UMASK => Ok(UMASK.swap(a & 0o777, Relaxed)),
        nr::SYSINFO => {
            let mut s = [0u8; 112];
            s[0..8].copy_from_slice(&since_boot().0.to_le_bytes());
            s[104..108].copy_from_slice(&1u32.to_le_bytes()); // mem_unit
            put(a, &s).map(|()| 0)
        }
        nr::PRLIMIT64 | nr::GETRLIMIT => {
            let (res, old) = if n == nr::GETRLIMIT { (a, b) } else { (b, d) };
            if n == nr::PRLIMIT64 && a != 0 && a != pid() {
                return Some(Err(ESRCH));
            }
            rlimit(res).and_then(|(soft, hard)| {
                if old != 0 {
                    let mut v = [0u8; 16];
                    v[..8].copy_from_slice(&soft.to_le_bytes());
                    v[8..].copy_from_slice(&hard.to_le_bytes());
                    put(old, &v)?;
                }
                Ok(0)
            })
        }
        nr::SCHED_GETAFFINITY => {
            if b < 8 || !b.is_multiple_of(8) {
                Err(EINVAL)
            } else {
                put(c, &1u64.to_le_bytes()).map(|()| 8)
            }
        }
        nr::NANOSLEEP | nr::CLOCK_NANOSLEEP => {
            // nanosleep(req, rem) / clock_nanosleep(clock, flags, req, rem):
            // relative sleeps only (TIMER_ABSTIME is EINVAL for now).
            let (req, flags) = if n == nr::NANOSLEEP { (a, 0) } else { (c, b) };
            if n == nr::CLOCK_NANOSLEEP && clock(a).is_err() {
                return Some(Err(EINVAL));
            }
            if flags != 0 {
                return Some(Err(EINVAL));
            }
            let (s, ns) = match (get_u64(req), get_u64(req.wrapping_add(8))) {
                (Ok(s), Ok(ns)) => (s, ns),
                (Err(x), _) | (_, Err(x)) => return Some(Err(x)),
            };
            if (s as i64) < 0 || ns >= 1_000_000_000 {
                return Some(Err(EINVAL));
            }
            rampart_libos::time::sleep(core::time::Duration::new(s, ns as u32));
            Ok(0)
        }
        nr::SCHED_YIELD => {
            rampart_libos::rampart_rt::syscall::yield_now();
            Ok(0)
        }
        // Process groups and sessions are rm's (docs/signals.md).
        nr::GETPGRP => jobs::group(0).map(|g| u64::from(g.0)).map_err(from_rampart_errno),
        nr::GETPGID => id32(a).and_then(|p| jobs::group(p).map(|g| u64::from(g.0)).map_err(from_rampart_errno)),
        nr::GETSID => id32(a).and_then(|p| jobs::group(p).map(|g| u64::from(g.1)).map_err(from_rampart_errno)),
        nr::SETPGID => id32(a).and_then(|p| {
            let g = id32(b)?;
            jobs::setpgid(p, g).map(|()| 0).map_err(from_rampart_errno)
        }),
        nr::SETSID => jobs::setsid().map(u64::from).map_err(from_rampart_errno),
        nr::GETGROUPS => Ok(0),
        // The ids come from the security context and cannot change: asking
        // for the current one succeeds, anything else is EPERM.
        nr::SETUID => {
            if a == u64::from(ids().0) {
                Ok(0)
            } else {
                Err(EPERM)
            }
        }
        nr::SETGID => {
            if a == u64::from(ids().1) {
                Ok(0)
            } else {
                Err(EPERM)
            }
        }
        _ => return None,
    })
}
