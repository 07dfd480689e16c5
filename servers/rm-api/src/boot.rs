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
    /// I/O port capability for QEMU's `isa-debug-exit` (if present).
    pub const POWER_DEBUG_EXIT: u64 = 11;
    /// I/O port capability for the ACPI PM1a control block.
    pub const POWER_PM1A: u64 = 12;
    /// I/O port capability for the ACPI PM1b control block.
    pub const POWER_PM1B: u64 = 13;
    /// I/O port capability for the SMI command port (ACPI-mode switch).
    pub const POWER_SMI_CMD: u64 = 14;
    /// I/O port capability covering the reset register.
    pub const POWER_RESET: u64 = 15;
    /// The kernel log, unbadged, every right: rm mints each task's log
    /// capability from it (badge = pid).
    pub const LOG_MINT: u64 = 16;
    /// rm's own kernel-log capability (Write, badge [`super::LOG_BADGE_RM`]).
    pub const LOG: u64 = 17;
    /// The kernel's timer control (copied from init's): rm hands each task
    /// that asks one timer (`Request::TimerAlloc`).
    pub const TIMER_CONTROL: u64 = 18;
    /// First slot of the boot-module archive frames (mapped read-only at
    /// [`super::RmBoot::bootfs_vaddr`] page by page).
    pub const BOOTFS_FIRST: u64 = 32;
}

/// Badge of rm's own kernel-log records. Other badges: 0 the root task
/// (init), a pid for a task rm started, `rampart_abi::log::LOG_BADGE_KERNEL`
/// the kernel.
pub const LOG_BADGE_RM: u64 = u64::MAX - 1;

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
    /// The power-control ports init found and gave rm.
    pub power: PowerPorts,
}

/// The power-control registers whose I/O port capabilities init put in
/// rm's CNode (the `slot::POWER_*` slots); rm is their only holder
/// (docs/resource-manager.md, "Power"). `None`: not present or not usable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowerPorts {
    /// QEMU's `isa-debug-exit` port (32-bit writes of the exit status).
    pub debug_exit: Option<u16>,
    /// ACPI S5 through PM1 control (from the FADT and the DSDT's `\_S5`).
    pub s5: Option<S5Ports>,
    /// The ACPI-mode switch: (SMI command port, `ACPI_ENABLE` value).
    pub acpi_enable: Option<(u16, u8)>,
    /// The reset register: (8-bit port, value).
    pub reset: Option<(u16, u8)>,
}

/// ACPI S5 (soft off): write `SLP_TYPx << 10 | SLP_EN` to the PM1 control
/// registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct S5Ports {
    /// PM1a control port (16-bit).
    pub pm1a: u16,
    /// PM1b control port (16-bit), if any.
    pub pm1b: Option<u16>,
    /// `SLP_TYPa` for S5.
    pub slp_typ_a: u8,
    /// `SLP_TYPb` for S5.
    pub slp_typ_b: u8,
}
