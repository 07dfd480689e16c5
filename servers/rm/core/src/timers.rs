//! Who may take one of the kernel's timers (`rampart_rm_api::Request::TimerAlloc`).
//!
//! The kernel has [`TIMERS`] timers for the whole system (docs/kernel.md,
//! "Timers and timeouts"); rm hands one to each task that sleeps. Without
//! a limit one user could take every timer (a few hundred background
//! `sleep`s), after which everybody else's sleeps, connection retries and
//! poll timeouts fall back to yielding — the starvation the timers exist
//! to end. The limit is per SELinux user identity (the first field of the
//! task's security context, which the policy's user constraints already
//! treat as the unit of isolation):
//!
//! - `system_u` (the system's servers and daemons) is not limited;
//! - any other identity holds at most [`PER_USER`] timers;
//! - all other identities together hold at most [`ALL_USERS`], so
//!   [`TIMERS`]` - `[`ALL_USERS`] are always left for the system.
//!
//! A task refused here keeps working: the library OS waits by yielding,
//! as when the table is empty (docs/reliability.md §5).

use rampart_uabi::Errno;

pub use rampart_abi::invocation::TIMERS;
/// Most timers one identity other than [`SYSTEM_USER`] holds at once.
pub const PER_USER: usize = 768;
/// Most timers all identities other than [`SYSTEM_USER`] hold together.
pub const ALL_USERS: usize = 896;
/// The identity of the system's own tasks, never limited.
pub const SYSTEM_USER: &str = "system_u";

/// The user identity of a security context (`user:role:type[:level]`):
/// the text before the first `:` (the whole text if there is none).
pub fn identity(context: &str) -> &str {
    context.split(':').next().unwrap_or(context)
}

/// May a task of context `context` take a timer, given the contexts of
/// the tasks that hold one now (`held`)?
///
/// # Errors
/// `EDQUOT` when its identity holds [`PER_USER`] timers, or every
/// identity but [`SYSTEM_USER`] together holds [`ALL_USERS`].
pub fn may_take<'a>(context: &str, held: impl IntoIterator<Item = &'a str>) -> Result<(), Errno> {
    let me = identity(context);
    if me == SYSTEM_USER {
        return Ok(());
    }
    let (mut mine, mut users) = (0usize, 0usize);
    for c in held {
        let u = identity(c);
        if u != SYSTEM_USER {
            users += 1;
            if u == me {
                mine += 1;
            }
        }
    }
    if mine >= PER_USER || users >= ALL_USERS { Err(Errno::EDQUOT) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn one_user_cannot_take_every_timer() {
        let user = "user_u:user_r:user_t:s0";
        let mut held: Vec<&str> = Vec::new();
        let mut granted = 0;
        for _ in 0..TIMERS {
            if may_take(user, held.iter().copied()).is_ok() {
                held.push(user);
                granted += 1;
            }
        }
        assert_eq!(granted, PER_USER);
        assert_eq!(may_take(user, held.iter().copied()), Err(Errno::EDQUOT));
        // Another user still gets timers, up to the users' share ...
        let other = "staff_u:staff_r:staff_t";
        let mut more = 0;
        while may_take(other, held.iter().copied()).is_ok() {
            held.push(other);
            more += 1;
        }
        assert_eq!(more, ALL_USERS - PER_USER);
        // ... and the system keeps the rest.
        assert!(may_take("system_u:system_r:syslogd_t", held.iter().copied()).is_ok());
        assert!(TIMERS - held.len() >= TIMERS - ALL_USERS);
    }

    #[test]
    fn identities_are_compared_exactly() {
        assert_eq!(identity("root:sysadm_r:sysadm_t"), "root");
        assert_eq!(identity("odd"), "odd");
        assert_eq!(identity(""), "");
        // A user named like a prefix of system_u is a user like any other.
        let held = [("system:r:t"); PER_USER];
        assert_eq!(may_take("system:r:t", held), Err(Errno::EDQUOT));
        assert!(may_take("system_u:r:t", held).is_ok());
        // Malformed contexts count under their whole text, still limited.
        let held = ["x"; PER_USER];
        assert_eq!(may_take("x", held), Err(Errno::EDQUOT));
    }
}
