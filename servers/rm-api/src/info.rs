//! What rm reports about tasks, containers and itself ([`TaskInfo`],
//! [`TaskEntry`] and [`MappingEntry`] pages, [`ContainerStat`], [`Stats`])
//! and the limits of those reports.

use alloc::string::String;
use serde::{Deserialize, Serialize};

use crate::{ContainerId, Pid, RegionId};

/// What a task holds (bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// Its pid.
    pub pid: Pid,
    /// Its parent.
    pub parent: Pid,
    /// Its program name.
    pub name: String,
    /// Its container.
    pub container: ContainerId,
    /// Kernel objects made for it at creation, frames excluded.
    pub object_bytes: u64,
    /// Frames made for it at creation (image copies, stack, IPC buffer,
    /// startup information, initial heap).
    pub frame_bytes: u64,
    /// Everything charged to its container for it now (its chunks and
    /// regions).
    pub charged: u64,
    /// Its security context.
    pub context: String,
    /// Processor time its thread has used since it was created, in
    /// microseconds (the kernel's `SchedContextConsumed` of its scheduling
    /// context, summed by rm).
    pub cpu_us: u64,
}

/// One task in a [`Response::Tasks`](crate::Response::Tasks) page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEntry {
    /// Its pid (0: rm itself).
    pub pid: Pid,
    /// Its parent.
    pub parent: Pid,
    /// Its program name.
    pub name: String,
    /// Its security context.
    pub context: String,
    /// The kernel's id of its thread (`TcbGetId`); `None` for init, whose
    /// TCB rm does not hold.
    pub thread: Option<u64>,
}

impl TaskEntry {
    /// An upper bound of the entry's encoded size in bytes (postcard:
    /// varints of at most 5 and 10 bytes, strings with a length prefix).
    pub fn encoded_bound(&self) -> usize {
        5 + 5 + 11 + 5 + self.name.len() + 5 + self.context.len()
    }
}

/// Bytes of [`TaskEntry`] encodings rm puts in one [`Response::Tasks`](crate::Response::Tasks)
/// (the message limit is 960 bytes).
pub const TASKS_PAGE_BYTES: usize = 800;

/// One mapping of a shared region into another task, in a
/// [`Response::Mappings`](crate::Response::Mappings) page: `mapper` maps
/// region `region` of `owner` (`RegionShare` token → `RegionMap`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingEntry {
    /// rm's region number.
    pub region: RegionId,
    /// The task that allocated the region (and maps it too).
    pub owner: Pid,
    /// The task the region is mapped into.
    pub mapper: Pid,
    /// The region's size in 4 KiB pages.
    pub pages: u64,
    /// Mapped writable (through a writable token).
    pub writable: bool,
}

/// Most [`MappingEntry`]s in one page (each encodes in at most 5 + 5 + 5
/// + 10 + 1 = 26 bytes; the message limit is 960 bytes).
pub const MAPPINGS_PER_PAGE: usize = 32;

/// Largest device region in pages (16 MiB).
pub const DEVICE_MAX_PAGES: u64 = 4096;

/// Most physical addresses in one [`Response::Phys`](crate::Response::Phys).
pub const PHYS_PER_REPLY: usize = 64;

/// Usage of a container (bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerStat {
    /// The container.
    pub id: ContainerId,
    /// Its parent (itself for the root).
    pub parent: ContainerId,
    /// Quota.
    pub quota: u64,
    /// Charged to its tasks.
    pub used: u64,
    /// Split off to nested containers.
    pub reserved: u64,
    /// Live tasks charged to it.
    pub tasks: u32,
}

/// rm's statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Bytes of RAM rm manages.
    pub total_bytes: u64,
    /// Bytes free in the buddy allocator.
    pub free_bytes: u64,
    /// Largest free block in bytes.
    pub largest_free: u64,
    /// Free capability slots in rm's CNode.
    pub free_slots: u64,
    /// Live tasks.
    pub tasks: u32,
    /// Ended tasks not yet waited for.
    pub zombies: u32,
    /// Containers.
    pub containers: u32,
    /// Regions.
    pub regions: u32,
}
