//! What a new task is made from: its image ([`Image`]), the [`Spawn`]
//! request's parameters and the capabilities staged for it ([`Staged`]).

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::{ContainerId, Pid, RegionId};

/// Where the image of a new task comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Image {
    /// A boot module by name.
    Bootfs(String),
    /// The first `len` bytes of one of the caller's regions: bytes the
    /// caller wrote itself, with no file label. init only, or a caller the
    /// policy grants `resource execute_anon` (the shipped policies grant it
    /// to `sysadm_t` alone); `EACCES` otherwise (docs/resource-manager.md, "Sealed
    /// images").
    Region {
        /// The region.
        region: RegionId,
        /// Bytes of the image.
        len: u64,
    },
    /// A program file the file server read and sealed for the caller
    /// ([`Request::SealImage`](crate::Request::SealImage), [`Response::Sealed`](crate::Response::Sealed)): rm takes its label
    /// from the seal, never from the caller. One spawn per seal; `EACCES`
    /// for a seal made for another subject, `ENOENT` for an unknown or
    /// used one.
    Sealed {
        /// The seal's token ([`Response::Sealed`](crate::Response::Sealed)).
        token: u64,
    },
}

/// A request to create a task.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spawn {
    /// The image.
    pub image: Option<Image>,
    /// Arguments (`argv[0]` is the program name).
    pub argv: Vec<String>,
    /// Environment (`KEY=value`).
    pub envp: Vec<String>,
    /// Working directory ("" inherits "/").
    pub cwd: String,
    /// Container to charge (the caller's own, or one it created); `None`:
    /// the caller's container.
    pub container: Option<ContainerId>,
    /// Priority (at most the caller's; `None`: the caller's).
    pub priority: Option<u8>,
    /// log2 slots of the task's CNode (6..=16; `None`: 12).
    pub cnode_radix: Option<u8>,
    /// Stack pages (`None`: 16).
    pub stack_pages: Option<u32>,
    /// Initial heap pages (`None`: 16).
    pub heap_pages: Option<u32>,
    /// The message carries a fault endpoint capability: the task's faults
    /// go to the caller (init supervising servers) instead of rm.
    pub supervised: bool,
    /// The message carries a capability to hand to the child (e.g. a region
    /// token): rm moves it to the child's slot `INHERIT_FIRST` and lists it
    /// in the child's startup information under this name.
    pub cap_name: Option<String>,
    /// The child's security context. init chooses any; another process
    /// gets it only where the policy grants it `process transition` to the
    /// context and the context `file entrypoint` on [`Spawn::exec_context`]
    /// (SELinux's `setexeccon`: `runcon`), else `EACCES` (`EINVAL` for an
    /// invalid context). `None`: the policy's type transition.
    pub context: Option<String>,
    /// The security context of a boot module ([`Image::Bootfs`] only:
    /// boot modules have no file label, their spawner names one). With it,
    /// rm asks the security server for the policy's type transition
    /// (parent context, this context, `process`) and checks `process
    /// transition` and `file entrypoint` when the domain changes, `file
    /// execute_no_trans` when it does not. `EINVAL` with any other image:
    /// a sealed image's label comes from its seal, and a region has none.
    pub exec_context: Option<String>,
    /// The child's process group: `None` the caller's, `Some(0)` a new
    /// group led by the child, `Some(g)` group `g` of the caller's
    /// session (`posix_spawn`'s `POSIX_SPAWN_SETPGROUP`: a shell starts a
    /// job in its own group without a race). `EPERM` for a group of
    /// another session.
    pub pgroup: Option<Pid>,
    /// The child leads a new session (and group) without a controlling
    /// terminal (`POSIX_SPAWN_SETSID`; `setsid(1)`); overrides `pgroup`.
    pub setsid: bool,
    /// The task's heap is fixed at `heap_pages`: its runtime never asks rm
    /// to grow it (the startup flag `HEAP_GROWS` is clear), so allocation
    /// beyond it fails. Servers rm calls while answering (secsrv) start
    /// this way, so they never call rm while rm waits for them.
    pub fixed_heap: bool,
    /// `fork(2)` for the Linux personality (docs/linux-abi.md, "fork"):
    /// the child runs in the caller's own security context, whatever the
    /// policy's type transition for the image would be, so a process can
    /// neither leave nor gain a domain by forking. Checked as a spawn in
    /// the caller's domain (`resource create_task`, `process spawn` on
    /// itself, `file execute_no_trans` on the sealed image's label) and
    /// charged like any spawn. Only with an [`Image::Sealed`] image and
    /// without [`Spawn::context`] (`EINVAL` otherwise).
    pub fork: bool,
    /// Arguments and environment too large for this message, in an
    /// argument block in one of the caller's regions (`crate::args`; the
    /// library OS sends them so past about 800 bytes). `argv` and `envp`
    /// must then be empty (`EINVAL` otherwise); rm copies the block before
    /// checking it, so the caller may free the region once the spawn
    /// returns. Errors: `EINVAL` (malformed block, not the caller's
    /// region, `len` 0 or beyond the region), `E2BIG` (past
    /// [`ARG_MAX`](crate::ARG_MAX) or [`MAX_ARG_STRLEN`](crate::MAX_ARG_STRLEN),
    /// or `len` over [`MAX_BLOCK_BYTES`](crate::MAX_BLOCK_BYTES)), `ENOMEM`.
    pub args: Option<crate::ArgBlock>,
}

/// A capability staged for the caller's next [`Request::Spawn`](crate::Request::Spawn)
/// ([`Request::StageCap`](crate::Request::StageCap)): an inherited handle token (`fd`) or a named
/// capability.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staged {
    /// File-descriptor number in the child (`None`: a named capability).
    pub fd: Option<u32>,
    /// For a handle: the service that issued the token; else the
    /// capability's name.
    pub name: String,
}

/// Most capabilities staged for one spawn (the child's slots 8..32, one
/// of which may hold the `cap_name` capability).
pub const MAX_STAGED: usize = 23;
