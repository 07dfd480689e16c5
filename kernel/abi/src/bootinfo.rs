//! The boot information the kernel gives the root task (init), and the
//! boot-module archive ("bootfs") format the image builder produces.
//!
//! Modelled on seL4's `seL4_BootInfo` (seL4 Reference Manual §9.2): the
//! kernel maps one page holding a [`BootInfo`] into init's address space at
//! [`BOOTINFO_VADDR`] and passes its address in `rdi` at init's entry.

/// Virtual address of the boot information page in init (bytes).
pub const BOOTINFO_VADDR: u64 = 0x7fff_0000_0000;
/// Virtual address at which the boot-module archive is mapped read-only in
/// init (bytes).
pub const BOOTFS_VADDR: u64 = 0x7ffe_0000_0000;
/// Value of [`BootInfo::magic`]: ASCII "RPBOOTIN".
pub const BOOTINFO_MAGIC: u64 = u64::from_le_bytes(*b"RPBOOTIN");
/// Maximum length of the kernel command line kept in [`BootInfo`] (bytes).
pub const CMDLINE_MAX: usize = 256;

/// Well-known slots of init's root CNode (seL4's `seL4_CapInitThread*`).
pub mod slot {
    /// Always empty.
    pub const NULL: u64 = 0;
    /// init's TCB.
    pub const TCB: u64 = 1;
    /// init's root CNode (a capability to the CNode holding this list).
    pub const CNODE: u64 = 2;
    /// init's VSpace.
    pub const VSPACE: u64 = 3;
    /// IRQ control.
    pub const IRQ_CONTROL: u64 = 4;
    /// ASID control.
    pub const ASID_CONTROL: u64 = 5;
    /// The ASID pool init's VSpace is in.
    pub const ASID_POOL: u64 = 6;
    /// I/O port control.
    pub const IO_PORT_CONTROL: u64 = 7;
    /// The boot information frame.
    pub const BOOTINFO_FRAME: u64 = 8;
    /// init's IPC buffer frame.
    pub const IPC_BUFFER: u64 = 9;
    /// init's scheduling context.
    pub const SCHED_CONTEXT: u64 = 10;
    /// Scheduling control (configures scheduling contexts).
    pub const SCHED_CONTROL: u64 = 11;
    /// Capability-graph audit authority.
    pub const AUDIT: u64 = 12;
    /// The kernel log, every right, badge 0 (see `crate::log`).
    pub const LOG: u64 = 13;
    /// Timer control (`TimerControlGet`).
    pub const TIMER_CONTROL: u64 = 14;
    /// First slot not fixed by this list.
    pub const FIRST_FREE: u64 = 15;
}

/// log2 of the number of slots in init's root CNode. The CNode's guard makes
/// a slot index a valid 64-bit capability pointer.
pub const INIT_CNODE_RADIX: u32 = 14;

/// Virtual address of init's IPC buffer (bytes).
pub const INIT_IPC_BUFFER_VADDR: u64 = BOOTINFO_VADDR + 0x1000;

/// Maximum number of untyped capabilities described in [`BootInfo`].
pub const MAX_UNTYPED: usize = 160;

/// A range of slots `[start, end)` in init's root CNode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SlotRegion {
    /// First slot.
    pub start: u64,
    /// One past the last slot.
    pub end: u64,
}

impl SlotRegion {
    /// Number of slots.
    pub const fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
    /// True if the region is empty.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One untyped capability given to init.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct UntypedDesc {
    /// Physical address of the region (bytes).
    pub paddr: u64,
    /// log2 of the region size in bytes.
    pub size_bits: u8,
    /// 1 for device memory (frames only, never kernel objects; not zeroed).
    pub is_device: u8,
    /// Padding.
    pub _pad: [u8; 6],
}

/// Boot information, one 4 KiB page, `#[repr(C)]`.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct BootInfo {
    /// [`BOOTINFO_MAGIC`].
    pub magic: u64,
    /// Virtual address of the boot-module archive in init ([`BOOTFS_VADDR`]
    /// plus the archive's offset within its first page).
    pub bootfs_vaddr: u64,
    /// Size of the boot-module archive in bytes.
    pub bootfs_size: u64,
    /// Physical address of the ACPI RSDP, 0 if the boot loader gave none.
    pub rsdp_paddr: u64,
    /// Which boot protocol started the kernel: 1 PVH, 2 multiboot2.
    pub boot_protocol: u64,
    /// Bytes of RAM the kernel found usable in the boot memory map.
    pub usable_ram: u64,
    /// Kernel timer ticks per second.
    pub tick_hz: u64,
    /// Time-stamp counter frequency in Hz as measured at boot (0 if unknown).
    pub tsc_hz: u64,
    /// Virtual address of init's IPC buffer.
    pub ipc_buffer: u64,
    /// log2 of the slot count of init's root CNode.
    pub cnode_radix: u64,
    /// Empty slots of init's root CNode.
    pub empty: SlotRegion,
    /// Frame caps of init's own ELF image: slot `user_image_frames.start + i`
    /// maps the page at `user_image_vaddr + i * 4096` (the range is
    /// contiguous; gaps between segments are backed by zeroed frames).
    pub user_image_frames: SlotRegion,
    /// Virtual address of the first page of init's image.
    pub user_image_vaddr: u64,
    /// Paging-structure caps (PDPT, PD, PT) of init's address space.
    pub user_image_paging: SlotRegion,
    /// Frame caps of the boot-module archive (mapped read-only at
    /// [`BOOTFS_VADDR`]), in address order.
    pub bootfs_frames: SlotRegion,
    /// Untyped caps; `untyped_list[i]` describes slot `untyped.start + i`.
    pub untyped: SlotRegion,
    /// Description of each untyped cap.
    pub untyped_list: [UntypedDesc; MAX_UNTYPED],
    /// Valid bytes in `rsdp`.
    pub rsdp_len: u64,
    /// A copy of the ACPI RSDP (under UEFI the only way to find ACPI).
    pub rsdp: [u8; 36],
    /// Padding.
    pub _pad: [u8; 4],
    /// Length of `cmdline` in bytes.
    pub cmdline_len: u64,
    /// The kernel command line (not NUL-terminated), truncated to
    /// [`CMDLINE_MAX`] bytes.
    pub cmdline: [u8; CMDLINE_MAX],
    /// What this kernel offers beyond the ABI every kernel has
    /// ([`KERNEL_DEBUG_SYSCALLS`]).
    pub kernel_flags: u64,
    /// CPUs the kernel brought online (at least 1; docs/kernel.md,
    /// "Multicore"). In this landing only the boot CPU runs threads; the
    /// figure is what placement (rm) and `nproc` will use.
    pub cpus_online: u64,
}

/// [`BootInfo::kernel_flags`]: the `Debug*` system calls exist (a test
/// kernel; in the release kernel they are unknown system calls).
pub const KERNEL_DEBUG_SYSCALLS: u64 = 1;

impl BootInfo {
    /// The command line as UTF-8, or `""` if it is not valid UTF-8.
    pub fn cmdline(&self) -> &str {
        let n = (self.cmdline_len as usize).min(CMDLINE_MAX);
        core::str::from_utf8(&self.cmdline[..n]).unwrap_or("")
    }

    /// The untyped descriptors in use.
    pub fn untypeds(&self) -> &[UntypedDesc] {
        let n = (self.untyped.len() as usize).min(MAX_UNTYPED);
        &self.untyped_list[..n]
    }
}

const _: () = assert!(core::mem::size_of::<BootInfo>() <= crate::PAGE_SIZE);
