//! The resource manager's decisions, as pure data structures with host
//! tests (docs/resource-manager.md). The rm binary performs the kernel
//! invocations these structures ask for.
//!
//! - [`buddy`]: a buddy allocator whose blocks are untyped capabilities
//!   (split = retype into two halves, merge = delete the halves);
//! - [`container`]: nested resource containers with byte quotas;
//! - [`jobs`]: process groups, sessions, terminals and their foreground;
//! - [`proctable`]: pids, parents, exit statuses, waiting and killing rules;
//! - [`signal`]: a task's signal dispositions, pending set, stop state and
//!   handler frames, and what a signal does next;
//! - [`slots`]: ranges of rm's capability slots;
//! - [`timers`]: how many of the kernel's timers each user identity may
//!   hold;
//! - [`vocab`]: the policy's class and permission numbers, read again
//!   when the policy changes.
#![no_std]

extern crate alloc;

pub mod buddy;
pub mod container;
pub mod jobs;
pub mod proctable;
pub mod signal;
pub mod slots;
pub mod timers;
pub mod vocab;
