//! What init gives rm at start (encoded in rm's startup information
//! `data`): the capabilities init moved or copied into rm's CNode.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// rm's CNode slots fixed by init (the well-known task slots 1-6 come
/// first: TCB, CNode, -, -, notification, reply).
pub mod slot {
    /// rm's own service endpoint (unbadged, all rights).
    pub const ENDPOINT: u64 = 3;
    /// rm's VSpace.
    pub const VSPACE: u64 = 7;
    /// ASID control.
    pub const ASID_CONTROL: u64 = 8;
    /// Scheduling control.
    pub const SCHED_CONTROL: u64 = 9;
    /// init's notification (badged `EVENT_CHILD`): rm signals it when a
    /// child of init ends.
    pub const INIT_NOTIFICATION: u64 = 10;
    /// First slot of the boot-module archive frames (mapped read-only at
    /// [`super::RmBoot::bootfs_vaddr`] page by page).
    pub const BOOTFS_FIRST: u64 = 32;
}

/// One untyped capability given to rm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UntypedCap {
    /// Its slot in rm's CNode.
    pub slot: u64,
    /// Physical address.
    pub paddr: u64,
    /// log2 size in bytes.
    pub bits: u8,
}

/// rm's boot description.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RmBoot {
    /// log2 slots of rm's CNode (slot = capability pointer).
    pub cnode_radix: u8,
    /// First slot of rm's CNode that is free.
    pub first_free: u64,
    /// All RAM untyped (no children).
    pub untyped: Vec<UntypedCap>,
    /// Number of boot-module archive frames (from [`slot::BOOTFS_FIRST`]).
    pub bootfs_pages: u64,
    /// Address of the archive in rm (page aligned mapping + offset).
    pub bootfs_vaddr: u64,
    /// Archive size in bytes.
    pub bootfs_size: u64,
    /// rm's window for filling frames: page-table-backed, unused.
    pub window: u64,
    /// rm's priority (children get at most this).
    pub priority: u8,
}
