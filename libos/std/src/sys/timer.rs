//! The task's kernel timer: sleeping that lets every other task run.
//!
//! A program that waited by yielding in a loop let only tasks of its own
//! priority run, and kept the processor busy (docs/reliability.md §5). On
//! the first sleep the library OS asks rm for a kernel timer
//! (`rampart_rt::rm::timer_alloc`, docs/kernel.md "Timers and timeouts"):
//! the timer arrives in startup slot `TIMER` with a notification of its
//! own in `TIMER_NOTIFICATION`, and from then on a sleep arms the timer on
//! that notification and waits on it. Not on the task's bound
//! notification: waiting there would take the bits other sources signal
//! (log records, child exits, the network server) from waiters that read
//! them straight from it.
//!
//! Trust: none beyond the kernel and rm. When no timer can be had (all
//! are issued, the task's user identity holds its share, rm holds none,
//! a second thread of the task is already
//! sleeping on it, or the capabilities went away as in a forked child),
//! [`sleep_until`] says so and the caller falls back to yielding.

use core::sync::atomic::{AtomicBool, Ordering};
use rampart_rt::cap::{Notification, Timer};
use rampart_rt::cpu::rdtsc;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;
use spin::Mutex;

#[derive(Clone, Copy)]
enum State {
    /// Not asked for yet.
    Unknown,
    /// The timer and the notification it signals.
    Ready(Timer, Notification),
    /// rm refused at this TSC value; asked again a second later (`EAGAIN`)
    /// or never (any other refusal: `u64::MAX`).
    Refused(u64),
}

static STATE: Mutex<State> = Mutex::new(State::Unknown);
/// Held by the thread sleeping on the timer (one timer per task).
static BUSY: AtomicBool = AtomicBool::new(false);

fn acquire() -> Option<(Timer, Notification)> {
    let mut st = STATE.lock();
    match *st {
        State::Ready(t, n) => return Some((t, n)),
        State::Refused(at) if at == u64::MAX => return None,
        State::Refused(at) if rdtsc().wrapping_sub(at) < crate::time::tsc_hz() => return None,
        _ => {}
    }
    // Fixed startup slots, not the descriptor table's allocator: a sleep
    // may happen while that table is locked (connecting to a server from
    // inside `super::with`). rm fills both (`TimerAlloc`).
    let got = rampart_rt::rm::timer_alloc();
    let ready = (Timer(slot::TIMER), Notification(slot::TIMER_NOTIFICATION));
    match got {
        Ok(()) => {
            *st = State::Ready(ready.0, ready.1);
            Some(ready)
        }
        Err(e) => {
            *st = State::Refused(if e == Errno::EAGAIN { rdtsc() } else { u64::MAX });
            None
        }
    }
}

fn forget() {
    *STATE.lock() = State::Unknown;
}

/// Blocks until the time-stamp counter reaches `deadline_tsc` on the
/// task's kernel timer (woken at the first kernel tick at or after it: up
/// to 1 ms late, never early). Returns false if there is no usable timer,
/// possibly after sleeping part of the way: the caller then waits for the
/// rest some other way.
pub fn sleep_until(deadline_tsc: u64) -> bool {
    if rdtsc() >= deadline_tsc {
        return true;
    }
    if BUSY.swap(true, Ordering::Acquire) {
        return false;
    }
    let slept = match acquire() {
        Some((timer, ntfn)) => loop {
            if rdtsc() >= deadline_tsc {
                break true;
            }
            // Re-armed after every wake-up: a bit left from an earlier
            // arming may end a wait early, and a timer fires once.
            if timer.set(ntfn, deadline_tsc).is_err() {
                forget();
                break false;
            }
            let _ = ntfn.wait();
        },
        None => false,
    };
    BUSY.store(false, Ordering::Release);
    slept
}
