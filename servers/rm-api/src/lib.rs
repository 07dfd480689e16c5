//! The resource manager's protocol ("proc" service, docs/resource-manager.md).
//!
//! Every task reaches rm through slot `rampart_uabi::startup::slot::RM`, an
//! rm endpoint capability badged with the task's pid ([`badge`]). Requests
//! and responses are postcard messages (`rampart_uabi::codec`). rm never
//! blocks: a blocking [`Request::Wait`] is answered when a child exits.
//!
//! The client stubs live in the runtime (`rampart_rt::rm`), because the
//! runtime itself needs them (exit, heap growth); this crate holds only the
//! types, so it is host-tested.
#![no_std]

extern crate alloc;

mod args;
pub mod boot;
mod info;
mod spawn;
pub mod status;

pub use args::{ARG_MAX, ArgBlock, ArgSummary, MAX_ARG_STRLEN, MAX_BLOCK_BYTES, arg_cost, check_args, encode_args};
pub use info::{
    ContainerStat, DEVICE_MAX_PAGES, MAPPINGS_PER_PAGE, MappingEntry, PHYS_PER_REPLY, Stats, TASKS_PAGE_BYTES,
    TaskEntry, TaskInfo,
};
pub use spawn::{Image, MAX_STAGED, Spawn, Staged};
pub use status::{ChildEvent, ExitStatus, FaultKind, FaultReport, KillTarget, WaitFor};

// Kept for request and response fields appended to the enums below (the
// types that used it moved to `spawn` and `info`).
#[allow(unused_imports)]
use alloc::string::String;
use alloc::vec::Vec;
use rampart_uabi::Errno;
use serde::{Deserialize, Serialize};

/// A process id. 0 is never used; init is [`INIT_PID`].
pub type Pid = u32;
/// init's pid (registered by rm at start).
pub const INIT_PID: Pid = 1;
/// A resource container id. [`ROOT_CONTAINER`] holds all memory.
pub type ContainerId = u32;
/// The root container.
pub const ROOT_CONTAINER: ContainerId = 0;
/// A memory region id, unique within rm.
pub type RegionId = u32;

/// Badges of rm's endpoint capabilities.
pub mod badge {
    /// A client channel: the badge is the pid (bits 0..32).
    pub const PID_MASK: u64 = 0xffff_ffff;
    /// Fault endpoint of a task's threads: `FAULT | pid`.
    pub const FAULT: u64 = 1 << 62;
    /// A region token: `TOKEN | token number`.
    pub const TOKEN: u64 = 1 << 61;
    /// rm's own bound notification (secsrv's policy-change signal,
    /// `EVENT | rampart_secsrv_api::EVENT_POLICY`): never a client's badge.
    pub const EVENT: u64 = 1 << 60;
}

/// Requests to rm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// End the calling task with `status` (no reply: the caller is destroyed).
    Exit {
        /// Exit status.
        status: i32,
    },
    /// Create a task. Reply: [`Response::Spawned`].
    Spawn(Spawn),
    /// Collect a child that ended (`waitpid(2)`), or with `stopped` /
    /// `continued` one that stopped or continued since last reported
    /// (`WUNTRACED`, `WCONTINUED`). With `block` the reply waits for one;
    /// without, [`Response::NoneExited`] if none has. A signal handler
    /// interrupts a blocking wait (the call returns "aborted", see
    /// docs/signals.md). Reply: [`Response::Exited`],
    /// [`Response::Stopped`], [`Response::Continued`]; `ECHILD` if no
    /// child matches `target`, `EBUSY` if the caller already waits.
    Wait {
        /// Which children.
        target: WaitFor,
        /// Wait for one to change state.
        block: bool,
        /// Report stopped children too.
        stopped: bool,
        /// Report continued children too.
        continued: bool,
    },
    /// Send signal `sig` (`rampart_uabi::signal`; 0: only check) to
    /// `target` (`kill(2)`). The policy must grant the caller `process`
    /// `sigkill` (SIGKILL), `sigstop` (SIGSTOP), `signull` (0) or `signal`
    /// (any other) on each target; without a security server each target
    /// must instead be the caller or its descendant (or the caller a task
    /// init started). init and rm are never signalled. A group succeeds if
    /// one member could be signalled. Reply: `Ok`;
    /// `ESRCH` (no such process or group), `EPERM`, `EINVAL` (bad
    /// signal number).
    Kill {
        /// Whom.
        target: KillTarget,
        /// The signal.
        sig: u8,
    },
    /// Set the caller's disposition of `sig` (`sigaction(2)`). Reply:
    /// [`Response::SigAction`] with the old one; `EINVAL` (bad number,
    /// or `SIGKILL`/`SIGSTOP`).
    SigAction {
        /// The signal.
        sig: u8,
        /// What to do when it arrives.
        action: rampart_uabi::signal::Disposition,
    },
    /// Act on the caller's pending signals that its signal block no longer
    /// blocks, or that waited for the end of a call (the runtime sends it
    /// when it finds `pending & !blocked` non-empty). The call may be
    /// interrupted by the handler it starts, or the caller stopped or
    /// ended. Reply: `Ok`.
    SigCheck,
    /// Put process `pid` (0: the caller; itself or a child in the same
    /// session) into group `pgid` (0: `pid`), a new group or one in the
    /// same session (`setpgid(2)`; a child is allowed after it started,
    /// unlike POSIX, see docs/signals.md). Reply: `Ok`; `ESRCH`, `EPERM`
    /// (a session leader, another session, no such group), `EINVAL`.
    SetPgid {
        /// The process.
        pid: Pid,
        /// The group.
        pgid: Pid,
    },
    /// Make the caller the leader of a new session and process group
    /// with no controlling terminal (`setsid(2)`). Reply:
    /// [`Response::Group`]; `EPERM` (already a group leader).
    SetSid,
    /// The process group and session of `pid` (0: the caller) — any
    /// process the caller may see (`getpgid(2)`, `getsid(2)`). Reply:
    /// [`Response::Group`]; `ESRCH`, `EPERM`.
    GetGroup {
        /// The process.
        pid: Pid,
    },
    /// The caller serves a terminal, labelled with the caller's own
    /// security context (the `console` class checks are made against it);
    /// rm hands out its id. Reply: [`Response::Terminal`].
    RegisterTerminal,
    /// The caller, a session leader without a controlling terminal, takes
    /// `terminal` as its session's (`TIOCSCTTY`); needs `console { read
    /// write }` on the terminal. Reply: `Ok`; `EPERM`, `ENXIO` (no such
    /// terminal), `EBUSY` (another session has it), `EACCES`.
    SetControllingTerminal {
        /// The terminal.
        terminal: u32,
    },
    /// Make group `pgid` of the caller's session the foreground group of
    /// the caller's controlling terminal (`tcsetpgrp(3)`); needs `console
    /// setfg` on the terminal. Reply: `Ok`; `ENOTTY` (no controlling
    /// terminal), `EPERM` (group not in the session), `EACCES`.
    SetForeground {
        /// The group.
        pgid: Pid,
    },
    /// The foreground group of the caller's controlling terminal
    /// (`tcgetpgrp(3)`; 0: none) and the terminal id. Reply:
    /// [`Response::Foreground`]; `ENOTTY`.
    GetForeground,
    /// From a terminal's server only: the user typed a signal key
    /// (Ctrl-C, Ctrl-Z, Ctrl-\) or the window changed (SIGWINCH): signal
    /// the terminal's foreground group. No policy check: the server's
    /// authority covers only the sessions attached to its terminal, as a
    /// tty driver's does. Reply: `Ok`; `EPERM` (not the terminal's
    /// server), `EINVAL`.
    TerminalSignal {
        /// The terminal.
        terminal: u32,
        /// The signal.
        sig: u8,
    },
    /// From a terminal's server only, before it hands input to task `pid`:
    /// may `pid` read the terminal now? `Ok` if the terminal belongs to no
    /// session yet (the login opening it) or `pid` is in its foreground
    /// group; `EACCES` if `pid` is not in the terminal's session (another
    /// session's process never reads its keystrokes); if `pid` is in a
    /// background group of the session, `SIGTTIN` goes to that group and
    /// the reply is `EINTR` (`EIO` if the group cannot be stopped: orphaned,
    /// or `pid` ignores `SIGTTIN`). Reply: `Ok`; `EPERM` (not the
    /// terminal's server).
    TerminalAccess {
        /// The terminal.
        terminal: u32,
        /// The reader.
        pid: Pid,
    },
    /// Reply: [`Response::Pid`].
    GetPid,
    /// Stage the capability this message carries for the caller's next
    /// `Spawn` (docs/userland.md §4: inherited handle tokens; the kernel
    /// moves one capability per message). The next spawn moves every
    /// staged capability into the child (slots 8.., after a `cap_name`
    /// one, in staging order) and lists them in its startup information;
    /// a failed spawn drops them. A region token ([`Request::RegionShare`])
    /// may be staged as a named capability too (rm stages a copy of its
    /// original). Reply: `Ok`; `EINVAL` (no capability),
    /// `E2BIG` (more than [`MAX_STAGED`]).
    StageCap(Staged),
    /// init only: the message carries rm's channel to the security server
    /// (badged with rm's SID), used for exec type transitions
    /// ([`Spawn::exec_context`]) and the `process signal` check of
    /// [`Request::Kill`] from servers. Reply: `Ok`; `EPERM`, `EINVAL`.
    SetSecsrv {
        /// secsrv's pid: when that task ends, rm drops the channel (every
        /// later check fails closed) instead of calling a server nobody
        /// answers.
        pid: Pid,
    },
    /// Map `bytes` (rounded up to pages) more at the end of the heap.
    /// Reply: [`Response::Heap`]; `EDQUOT`, `ENOMEM`.
    HeapGrow {
        /// Bytes to add.
        bytes: u64,
    },
    /// A new anonymous region mapped into the caller. Reply:
    /// [`Response::Region`]; `EDQUOT`, `ENOMEM`, `EINVAL`.
    RegionAlloc {
        /// Size in bytes (rounded up to pages).
        bytes: u64,
    },
    /// Unmap and free one of the caller's regions (its own, or a mapping of
    /// someone else's). Reply: `Ok`; `ENOENT`.
    RegionFree {
        /// The region.
        region: RegionId,
    },
    /// A token for the caller's region (the reply carries a capability,
    /// docs/userland.md §5). Reply: `Ok` + one capability.
    RegionShare {
        /// The region.
        region: RegionId,
        /// May the presenter write?
        writable: bool,
    },
    /// Map the region named by the token capability carried by this message
    /// into the caller. Reply: [`Response::Region`]; `EBADF` (no token).
    RegionMap,
    /// Physical addresses of the pages of one of the caller's regions from
    /// page `first` (at most [`PHYS_PER_REPLY`]); authorised callers only.
    /// Reply: [`Response::Phys`]; `EPERM`, `ENOENT`.
    RegionPhys {
        /// The region.
        region: RegionId,
        /// First page index.
        first: u64,
    },
    /// A new container nested in the caller's, with `quota` bytes split from
    /// the caller's container. Reply: [`Response::Container`]; `EDQUOT`.
    ContainerCreate {
        /// Quota in bytes.
        quota: u64,
    },
    /// Destroy a container the caller created (its quota returns to the
    /// parent). Reply: `Ok`; `EBUSY` (tasks or sub-containers remain),
    /// `EPERM`, `ENOENT`.
    ContainerDestroy {
        /// The container.
        id: ContainerId,
    },
    /// Usage of a container (the caller's own: `None`). Reply:
    /// [`Response::ContainerInfo`].
    ContainerInfo {
        /// The container.
        id: Option<ContainerId>,
    },
    /// rm's memory statistics. Reply: [`Response::Stats`].
    Stats,
    /// init only: the message carries rm's trusted channel to connsrv
    /// (docs/security-architecture.md). From then on rm gives every task it
    /// creates a connsrv channel for its context in slot 3 and tells
    /// connsrv when a task ends. Reply: `Ok`; `EPERM` (not init), `EINVAL`
    /// (no capability).
    SetConnsrv {
        /// connsrv's pid (rm never calls connsrv about connsrv itself).
        pid: Pid,
    },
    /// What task `pid` holds: the caller, a descendant, or a task on whose
    /// context the policy grants the caller `process getattr`. Reply:
    /// [`Response::TaskInfo`]; `ESRCH`, `EPERM`.
    TaskInfo {
        /// The task.
        pid: Pid,
    },
    /// Stops the machine through the power-control ports init gave rm
    /// (docs/resource-manager.md, "Power"): power off (QEMU's
    /// `isa-debug-exit` with `status`, else ACPI S5) or, with `reboot`, a
    /// reset through the reset register. Needs the policy's `system halt`
    /// (`system reboot`) on rm's own context; without a security server
    /// only init may power off. Reply (only on failure): `EACCES`;
    /// `ENOSYS` (no security server, or no port for the method); `EIO`
    /// (the machine did not stop).
    PowerOff {
        /// `reboot` rather than `poweroff` (checked as `system reboot`).
        reboot: bool,
        /// The exit status the machine reports where it can (QEMU's exit
        /// status is `(status << 1) | 1`); init passes the first
        /// program's, `poweroff` 0.
        status: u32,
    },
    /// The live tasks the caller may inspect (itself, its descendants, and
    /// every task on whose context the policy grants the caller `process
    /// getattr`), in pid order from `from`, as many as fit one message
    /// (the capability-graph auditor maps the kernel's thread ids to tasks
    /// with it, docs/assurance.md §8). rm itself is listed as pid 0.
    /// Reply: [`Response::Tasks`].
    TaskList {
        /// The first pid to list.
        from: Pid,
    },
    /// Maps the device frame capability carried by this message at page
    /// `index` of one of the caller's device regions, uncached and
    /// writable (docs/devices.md). `region: None` first reserves a new
    /// device region of `pages` pages (1..=[`DEVICE_MAX_PAGES`]) in the
    /// caller. Device authority only (policy `resource map_device`: the
    /// tasks init started and those a device-authorised parent named with
    /// [`Request::DeviceGrant`]). Reply: [`Response::Region`]; `EPERM`,
    /// `EINVAL` (no frame capability, bad index or size), `ENOENT` (not the
    /// caller's device region), `EEXIST` (page already mapped).
    DeviceMap {
        /// The region, or `None` for a new one.
        region: Option<RegionId>,
        /// Pages of a new region (ignored for an existing one).
        pages: u64,
        /// Page index for the carried frame.
        index: u64,
    },
    /// Gives the caller's child `pid` device authority ([`Request::DeviceMap`]
    /// and [`Request::RegionPhys`]): devmgr names the drivers it started.
    /// Device authority only. Reply: `Ok`; `EPERM`, `ESRCH` (not a child).
    DeviceGrant {
        /// The child.
        pid: Pid,
    },
    /// A new anonymous region mapped into the caller at the fixed address
    /// `vaddr`, inside the foreign window `[layout::FOREIGN_START,
    /// layout::FOREIGN_END)` that only tasks whose own image lies above it
    /// have (the Linux personality's shim, which places a Linux program's
    /// segments, stack and `brk` there; docs/linux-abi.md). `exec` maps it
    /// executable. Same policy check as [`Request::RegionAlloc`]. Reply:
    /// [`Response::Region`]; `EINVAL` (unaligned, outside the window, or
    /// the caller has no window), `EEXIST` (overlaps a mapping),
    /// `EACCES`, `EDQUOT`, `ENOMEM`.
    RegionAllocAt {
        /// First address (page aligned).
        vaddr: u64,
        /// Size in bytes (rounded up to pages).
        bytes: u64,
        /// Map executable?
        exec: bool,
    },
    /// The file server vouches for a program image (docs/resource-manager.md,
    /// "Sealed images"): the first `len` bytes of the caller's region
    /// `region` are the contents of a file labelled `file_sid` that the
    /// subject `subject_sid` may execute (the caller checked `file
    /// execute` and the execute bits). rm takes the region away from the
    /// caller (every mapping and token of its frames is revoked, so the
    /// bytes can no longer change) and keeps it for one [`Image::Sealed`]
    /// spawn by a process whose context is the subject's. Only callers
    /// the policy grants `resource seal_image` (the file server). Reply:
    /// [`Response::Sealed`]; `EACCES` (not a sealer), `ENOENT` (not the
    /// caller's region), `EINVAL` (length, SIDs), `E2BIG` (larger than rm's
    /// image window), `ENOSPC` (too many seals outstanding).
    SealImage {
        /// The region holding the image.
        region: RegionId,
        /// Bytes of the image.
        len: u64,
        /// SID of the program file's label.
        file_sid: u32,
        /// SID of the process the image is for.
        subject_sid: u32,
    },
    /// Gives the caller a kernel timer (docs/kernel.md, "Timers and
    /// timeouts"): rm puts a `Timer` capability into the caller's slot
    /// `startup::slot::TIMER` (which must be empty), so the caller can
    /// block until a deadline instead of yielding in a loop. One per task;
    /// the timer is freed with the task's CNode. The kernel has a fixed
    /// number of timers (`rampart_abi::invocation::TIMERS`) for the whole
    /// system: when none is free the caller gets `EAGAIN` and waits some
    /// other way. Reply: [`Response::Ok`]; `EEXIST` (the caller already
    /// has one), `EBUSY` (the slot is occupied), `EAGAIN` (none free),
    /// `ENOSYS` (rm holds no timer control), `ESRCH` (the caller is not a
    /// task rm started).
    TimerAlloc,
    /// One page of the shared-region mappings the caller may inspect,
    /// regions from `from` on, in region order (the capability-graph
    /// auditor lists which task maps which region, docs/assurance.md §8):
    /// a mapping is listed if the caller may inspect both the region's
    /// owner and the mapping task, as for [`Request::TaskList`] (itself,
    /// its descendants, or the policy's `process getattr` on their
    /// contexts); others are left out, never reported as an error.
    /// Reply: [`Response::Mappings`].
    RegionMappings {
        /// The first region to list.
        from: RegionId,
    },
}

/// Responses from rm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// Done.
    Ok,
    /// The caller's pid and its parent's.
    Pid {
        /// The caller.
        pid: Pid,
        /// Its parent.
        parent: Pid,
    },
    /// A process's group and session.
    Group {
        /// The process group id.
        pgid: Pid,
        /// The session id.
        sid: Pid,
    },
    /// The previous disposition of a signal.
    SigAction(rampart_uabi::signal::Disposition),
    /// A terminal's id.
    Terminal(u32),
    /// The foreground group of the caller's controlling terminal.
    Foreground {
        /// The terminal.
        terminal: u32,
        /// Its foreground group (0: none).
        pgid: Pid,
    },
    /// A child stopped.
    Stopped {
        /// The child.
        pid: Pid,
        /// The stop signal.
        sig: u8,
    },
    /// A child continued.
    Continued {
        /// The child.
        pid: Pid,
    },

    /// A task was created.
    Spawned {
        /// Its pid.
        pid: Pid,
    },
    /// A child ended.
    Exited {
        /// The child.
        pid: Pid,
        /// How.
        status: ExitStatus,
    },
    /// `Wait` without `block`: no child has ended yet.
    NoneExited,
    /// The heap after growing: `[start, end)`.
    Heap {
        /// Start.
        start: u64,
        /// End.
        end: u64,
    },
    /// A region mapped into the caller.
    Region {
        /// Its id (for the caller).
        region: RegionId,
        /// Where it is mapped.
        vaddr: u64,
        /// Its size.
        bytes: u64,
    },
    /// Physical addresses of region pages.
    Phys(Vec<u64>),
    /// A container was created.
    Container(ContainerId),
    /// Container usage.
    ContainerInfo(ContainerStat),
    /// Statistics.
    Stats(Stats),
    /// A task's holdings.
    TaskInfo(TaskInfo),
    /// A page of [`Request::TaskList`].
    Tasks {
        /// The tasks, in pid order.
        tasks: Vec<TaskEntry>,
        /// The pid to continue from, if more tasks may follow.
        next: Option<Pid>,
    },
    /// The request failed.
    Err(Errno),
    /// A sealed image ([`Request::SealImage`]), named by [`Image::Sealed`].
    Sealed {
        /// The token.
        token: u64,
    },
    /// A page of [`Request::RegionMappings`].
    Mappings {
        /// The mappings, by region then mapping task.
        mappings: Vec<MappingEntry>,
        /// The region to continue from, if more may follow.
        next: Option<RegionId>,
    },
}

#[cfg(test)]
mod tests;
