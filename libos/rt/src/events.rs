//! Notification bits that arrived while the task waited for something else.
//!
//! A task has one notification (startup slot `NOTIFICATION`) on which
//! several sources signal with their own badge bits: a driver's
//! completions, the security server's policy changes, connsrv's closed
//! connections. A `Wait` returns and clears *every* pending bit, so code
//! that waits for one source (a block client waiting for its driver, a
//! serial client waiting for room in the ring) must not drop the others:
//! a lost policy-change bit leaves a server deciding with a stale cache
//! until the next change. Such code waits with [`wait_for`] (or
//! [`stash`]es what it did not want); the server loop
//! ([`crate::server::Server::run`]) hands the stashed bits to its handler
//! as a notification before it receives the next message.

use crate::cap::Notification;
use core::sync::atomic::{AtomicU64, Ordering};
use rampart_uabi::startup::slot;

static PENDING: AtomicU64 = AtomicU64::new(0);

/// Keeps notification `bits` for the task's own loop (0 is ignored).
pub fn stash(bits: u64) {
    if bits != 0 {
        PENDING.fetch_or(bits, Ordering::AcqRel);
    }
}

/// Takes the bits kept by [`stash`] (0 if none).
pub fn take() -> u64 {
    PENDING.swap(0, Ordering::AcqRel)
}

/// Waits on the task notification until a bit of `mask` arrives and
/// returns the bits of `mask` that did; every other bit that arrived
/// meanwhile is [`stash`]ed.
pub fn wait_for(mask: u64) -> u64 {
    loop {
        let word = Notification(slot::NOTIFICATION).wait();
        stash(word & !mask);
        if word & mask != 0 {
            return word & mask;
        }
    }
}
