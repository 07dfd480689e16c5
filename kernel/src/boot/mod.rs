//! Boot information from the boot loader, normalised into [`BootParams`].
//!
//! Two protocols reach `kmain` (docs/boot.md): PVH (`qemu -kernel`) and
//! multiboot2 (GRUB). Both are parsed here into the same structure before
//! the kernel allocates any memory, so nothing the boot loader left in RAM
//! is needed afterwards except the boot modules themselves.

pub mod multiboot2;
pub mod pvh;

use rampart_kcore::memmap::{Region, RegionList};

/// Boot protocol identifiers, as passed by the boot stub in `rsi`.
pub const PROTOCOL_PVH: u64 = 1;
/// Multiboot2 (GRUB).
pub const PROTOCOL_MULTIBOOT2: u64 = 2;

/// Maximum boot modules remembered.
pub const MAX_MODULES: usize = 4;

/// Normalised boot information.
pub struct BootParams {
    /// [`PROTOCOL_PVH`] or [`PROTOCOL_MULTIBOOT2`].
    pub protocol: u64,
    /// Usable RAM (E820 type 1).
    pub ram: RegionList<64>,
    /// Every range the firmware described as memory of any kind (RAM, ACPI,
    /// NVS); used to choose write-back versus uncached mappings.
    pub memory: RegionList<64>,
    /// Some RAM or memory range did not fit in `ram`/`memory` (a memory map
    /// of more than 64 disjoint ranges). The unlisted RAM is not used, and
    /// device memory is then described only above `memory_end`, where no
    /// RAM can be.
    pub map_overflow: bool,
    /// One past the highest byte of any RAM, ACPI or NVS range described,
    /// listed or not.
    pub memory_end: u64,
    /// Boot modules (physical ranges), in boot-loader order.
    pub modules: [Region; MAX_MODULES],
    /// Number of valid entries in `modules`.
    pub module_count: usize,
    /// Kernel command line bytes.
    pub cmdline: [u8; rampart_abi::bootinfo::CMDLINE_MAX],
    /// Length of `cmdline`.
    pub cmdline_len: usize,
    /// Physical address of the ACPI RSDP if the loader gave one, else 0.
    pub rsdp_paddr: u64,
    /// A copy of the RSDP (ACPI 6.4 §5.2.5.3: 20 bytes for revision 0, 36
    /// for 2+), when the loader passed one; under UEFI this is the only way
    /// to find ACPI tables.
    pub rsdp: [u8; 36],
    /// Valid bytes in `rsdp` (0 if none).
    pub rsdp_len: usize,
}

impl BootParams {
    const fn empty(protocol: u64) -> Self {
        BootParams {
            protocol,
            ram: RegionList::new(),
            memory: RegionList::new(),
            map_overflow: false,
            memory_end: 0,
            modules: [Region { start: 0, end: 0 }; MAX_MODULES],
            module_count: 0,
            cmdline: [0; rampart_abi::bootinfo::CMDLINE_MAX],
            cmdline_len: 0,
            rsdp_paddr: 0,
            rsdp: [0; 36],
            rsdp_len: 0,
        }
    }

    fn add_memory(&mut self, start: u64, len: u64, e820_type: u32) {
        let r = Region::new(start, start.saturating_add(len));
        // A full list only loses detail (smaller usable RAM; see
        // `map_overflow` for device memory); never fatal.
        if e820_type == 1 && self.ram.add(r).is_err() {
            self.map_overflow = true;
        }
        if matches!(e820_type, 1 | 3 | 4) {
            self.memory_end = self.memory_end.max(r.end);
            if self.memory.add(r).is_err() {
                self.map_overflow = true;
            }
        }
    }

    fn add_module(&mut self, start: u64, end: u64) {
        if self.module_count < MAX_MODULES && end > start {
            self.modules[self.module_count] = Region::new(start, end);
            self.module_count += 1;
        }
    }

    fn set_rsdp(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.rsdp.len());
        self.rsdp[..n].copy_from_slice(&bytes[..n]);
        self.rsdp_len = n;
    }

    fn set_cmdline(&mut self, bytes: &[u8]) {
        let n = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len()).min(self.cmdline.len());
        self.cmdline[..n].copy_from_slice(&bytes[..n]);
        self.cmdline_len = n;
    }

    /// The command line as a string (lossy: invalid UTF-8 gives `""`).
    pub fn cmdline(&self) -> &str {
        core::str::from_utf8(&self.cmdline[..self.cmdline_len]).unwrap_or("")
    }

    /// The boot modules.
    pub fn modules(&self) -> &[Region] {
        &self.modules[..self.module_count]
    }
}

/// Why the boot information could not be used.
#[derive(Debug)]
pub enum BootError {
    /// The boot stub saw neither protocol's magic.
    UnknownProtocol,
    /// The PVH start info has a wrong magic or no memory map.
    BadPvhInfo,
    /// The multiboot2 information is malformed.
    BadMultiboot2Info,
    /// No usable RAM was described.
    NoMemory,
}

/// Largest structure the parsers will read from the boot loader (bytes).
const MAX_INFO: u64 = 64 * 1024;

/// Reads boot-loader memory below 4 GiB (covered by the boot page tables).
fn boot_bytes(paddr: u64, len: u64) -> Option<&'static [u8]> {
    if len > MAX_INFO || paddr.checked_add(len)? > (4u64 << 30) {
        return None;
    }
    // SAFETY: the range is below 4 GiB, which the boot tables map in the
    // direct map, and boot-loader data is not written by anyone during boot.
    Some(unsafe { crate::arch::paging::phys_slice(paddr, len as usize) })
}

/// Parses the boot information at `info_paddr` for `protocol`.
pub fn parse(protocol: u64, info_paddr: u64) -> Result<BootParams, BootError> {
    let p = match protocol {
        PROTOCOL_PVH => pvh::parse(info_paddr)?,
        PROTOCOL_MULTIBOOT2 => multiboot2::parse(info_paddr)?,
        _ => return Err(BootError::UnknownProtocol),
    };
    if p.ram.total() == 0 {
        return Err(BootError::NoMemory);
    }
    Ok(p)
}
