//! rm's state: the allocators, the tables, and per-task and per-region
//! records.

use crate::kops::{Holdings, KOps, Res};
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_abi::bootfs::Bootfs;
use rampart_procbuild::build::{Builder, Task as Built};
use rampart_rm_api::{ContainerId, Pid, RegionId};
use rampart_rm_core::buddy::Buddy;
use rampart_rm_core::container::Containers;
use rampart_rm_core::proctable::ProcTable;
use rampart_rm_core::slots::Slots;
use rampart_rt::cap::{AsidControl, AsidPool, CPtr, Endpoint, Notification, Reply};
use rampart_uabi::Errno;

/// What kind of memory a region is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// A heap extension (freed only with the task).
    Heap,
    /// An anonymous region the task asked for.
    Anon,
    /// Device frames the task holds, mapped uncached (`DeviceMap`).
    Device,
    /// A program image sealed by the file server (`crate::seal`): owned
    /// by rm, mapped nowhere, freed by the spawn that uses it.
    Sealed,
}

/// A mapping of a region into a task other than its owner.
#[derive(Clone, Debug)]
pub struct Mapping {
    /// The task.
    pub pid: Pid,
    /// rm's slots holding the frame-capability copies that map it.
    pub slots: (CPtr, u64),
    /// Mapped writable (through a writable token): the policy's `shm
    /// write` is checked again on every policy change, besides `shm read`.
    pub writable: bool,
}

/// A memory region.
#[derive(Clone, Debug)]
pub struct Region {
    /// Owner.
    pub owner: Pid,
    /// The container charged (the owner's).
    pub container: ContainerId,
    /// Kind.
    pub kind: RegionKind,
    /// Pages.
    pub pages: u64,
    /// Frame capabilities (consecutive slots).
    pub frames: CPtr,
    /// Chunks and slots of the frames.
    pub hold: Holdings,
    /// Mappings into other tasks.
    pub mappings: Vec<Mapping>,
    /// Tokens issued for it: (token number, rm slot of the original).
    pub tokens: Vec<(u64, CPtr)>,
}

/// A live task.
#[derive(Clone, Debug)]
pub struct Task {
    /// Its objects.
    pub built: Built,
    /// Its name.
    pub name: String,
    /// Container charged.
    pub container: ContainerId,
    /// Priority (children get at most this).
    pub priority: u8,
    /// Chunks and slots of its objects (and paging structures added later).
    pub hold: Holdings,
    /// Badged copy of its notification (rm signals child events on it).
    pub events: Notification,
    /// The ASID pool its VSpace is in (index into `Rm::pools`).
    pub pool: usize,
    /// End of its heap.
    pub heap_end: u64,
    /// Next address for a region.
    pub next_region: u64,
    /// Regions it owns.
    pub regions: Vec<RegionId>,
    /// Regions of others mapped into it.
    pub mapped: Vec<RegionId>,
    /// Its signal dispositions, pending signals and handler frames.
    pub sig: rampart_rm_core::signal::SigState,
    /// rm's mapping of its signal block (`crate::signals`).
    pub block: Option<crate::signals::Block>,
    /// The SID of its context rm holds for it (released when it is
    /// destroyed).
    pub sid: Option<crate::security::Held>,
    /// It was given a kernel timer (`crate::timer`).
    pub timer: bool,
    /// Processor time consumed up to rm's last `SchedContextConsumed` on
    /// its scheduling context, in microseconds (the kernel answers the
    /// time since the previous call).
    pub cpu_us: core::cell::Cell<u64>,
}

/// A region token.
#[derive(Clone, Copy, Debug)]
pub struct Token {
    /// The region.
    pub region: RegionId,
    /// Writable mappings?
    pub writable: bool,
}

/// An ASID pool and how many VSpaces use it.
#[derive(Clone, Copy, Debug)]
pub struct Pool {
    /// Its capability.
    pub cap: AsidPool,
    /// VSpaces assigned.
    pub used: u32,
}

/// ASIDs per pool usable by rm (pool 0's first ASID is reserved; rm never
/// gets pool 0).
pub const POOL_ASIDS: u32 = 512;

/// The resource manager.
pub struct Rm {
    /// Builder capabilities.
    pub b: Builder,
    /// rm's endpoint.
    pub ep: Endpoint,
    /// Untyped memory.
    pub buddy: Buddy,
    /// rm's slots.
    pub slots: Slots,
    /// Containers.
    pub containers: Containers,
    /// Process table; a waiter's token is its saved reply object.
    pub procs: ProcTable<Reply>,
    /// Live tasks (init is in `procs` only).
    pub tasks: BTreeMap<Pid, Task>,
    /// init's event notification (badged).
    pub init_events: Notification,
    /// Regions.
    pub regions: BTreeMap<RegionId, Region>,
    /// Next region id.
    pub next_region: RegionId,
    /// Region tokens.
    pub tokens: BTreeMap<u64, Token>,
    /// Next token number.
    pub next_token: u64,
    /// Sealed images waiting for their spawn, by token (`crate::seal`).
    pub sealed: BTreeMap<u64, crate::seal::Seal>,
    /// Next seal token.
    pub next_seal: u64,
    /// ASID control and the pools made with it.
    pub asid_control: AsidControl,
    /// ASID pools.
    pub pools: Vec<Pool>,
    /// Spare reply objects (for deferring answers).
    pub replies: Vec<Reply>,
    /// The boot-module archive.
    pub bootfs: Option<Bootfs<'static>>,
    /// Address of the archive in rm.
    pub bootfs_vaddr: u64,
    /// First slot of the archive's frames (page `i` of the archive's
    /// mapping is slot `bootfs_first + i`).
    pub bootfs_first: CPtr,
    /// Pages of the archive mapping.
    pub bootfs_pages: u64,
    /// Base of the window for reading images from regions.
    pub image_window: u64,
    /// rm's own memory (ASID pools, reply objects): never freed.
    pub own: Holdings,
    /// rm's priority.
    pub priority: u8,
    /// TSC frequency for children's startup information.
    pub tsc_hz: u64,
    /// rm's link to secsrv (`SetSecsrv`, `crate::security`).
    pub secsrv: crate::security::Secsrv,
    /// Capabilities staged for each task's next spawn (`StageCap`).
    pub staged: BTreeMap<Pid, Vec<(rampart_rm_api::Staged, CPtr)>>,
    /// rm's trusted channel to connsrv and connsrv's pid (`SetConnsrv`).
    pub connsrv: Option<(Endpoint, Pid)>,
    /// Tasks given device authority by `DeviceGrant` (docs/devices.md).
    pub device_tasks: alloc::collections::BTreeSet<Pid>,
    /// Addresses of device regions in their owners.
    pub device_vaddr: BTreeMap<RegionId, u64>,
    /// The power-control ports init gave rm (`crate::power`).
    pub power: rampart_rm_api::boot::PowerPorts,
    /// Where tasks' signal blocks are mapped in rm (`crate::signals`).
    pub sigwin: crate::signals::Windows,
}

impl Rm {
    /// Resources charged to `container`, recorded in `into`.
    pub fn res<'a>(
        buddy: &'a mut Buddy,
        slots: &'a mut Slots,
        containers: &'a mut Containers,
        container: ContainerId,
        into: &'a mut Holdings,
    ) -> Res<'a> {
        Res { buddy, slots, containers, container, into, errno: Errno::ENOMEM }
    }

    /// A spare reply object (making more from rm's own memory if needed).
    pub fn take_reply(&mut self) -> Option<Reply> {
        if self.replies.is_empty() {
            self.more_replies();
        }
        self.replies.pop()
    }

    /// Makes 64 reply objects from a fresh chunk of rm's own memory.
    pub fn more_replies(&mut self) {
        let Ok((id, slot)) = self.buddy.alloc(12, &mut KOps { slots: &mut self.slots }) else { return };
        self.own.blocks.push(id);
        let Some(s) = self.slots.alloc(64) else { return };
        self.own.slots.push((s, 64));
        let ut = rampart_rt::cap::Untyped(slot);
        if ut.retype(rampart_abi::ObjectType::Reply, 0, crate::kops::CNODE, 0, 0, s, 64).is_ok() {
            self.replies.extend((0..64).map(|i| Reply(s + i)));
        }
    }

    /// A pool with a free ASID (making one with ASID control if needed);
    /// its index.
    pub fn pool(&mut self) -> Option<usize> {
        if let Some(i) = self.pools.iter().position(|p| p.used < POOL_ASIDS) {
            return Some(i);
        }
        let (id, slot) = self.buddy.alloc(12, &mut KOps { slots: &mut self.slots }).ok()?;
        self.own.blocks.push(id);
        let s = self.slots.alloc(1)?;
        self.own.slots.push((s, 1));
        let ut = rampart_rt::cap::Untyped(slot);
        match self.asid_control.make_pool(ut, crate::kops::CNODE, s, 64) {
            Ok(()) => {
                self.pools.push(Pool { cap: AsidPool(s), used: 0 });
                Some(self.pools.len() - 1)
            }
            Err(e) => {
                rampart_rt::pr_err!("rm: cannot make an ASID pool: {e}");
                None
            }
        }
    }
}
