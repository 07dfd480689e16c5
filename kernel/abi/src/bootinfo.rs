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

/// Boot information, one 4 KiB page, `#[repr(C)]`.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct BootInfo {
    /// [`BOOTINFO_MAGIC`].
    pub magic: u64,
    /// Virtual address of the boot-module archive in init ([`BOOTFS_VADDR`]).
    pub bootfs_vaddr: u64,
    /// Size of the boot-module archive in bytes.
    pub bootfs_size: u64,
    /// Physical address of the ACPI RSDP, 0 if the boot loader gave none.
    pub rsdp_paddr: u64,
    /// Which boot protocol started the kernel: 1 PVH, 2 multiboot2.
    pub boot_protocol: u64,
    /// Bytes of RAM the kernel found usable in the boot memory map.
    pub usable_ram: u64,
    /// Length of `cmdline` in bytes.
    pub cmdline_len: u64,
    /// The kernel command line (not NUL-terminated), truncated to
    /// [`CMDLINE_MAX`] bytes.
    pub cmdline: [u8; CMDLINE_MAX],
}

impl BootInfo {
    /// The command line as UTF-8, or `""` if it is not valid UTF-8.
    pub fn cmdline(&self) -> &str {
        let n = (self.cmdline_len as usize).min(CMDLINE_MAX);
        core::str::from_utf8(&self.cmdline[..n]).unwrap_or("")
    }
}

const _: () = assert!(core::mem::size_of::<BootInfo>() <= crate::PAGE_SIZE);
