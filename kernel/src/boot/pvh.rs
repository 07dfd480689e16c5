//! PVH boot: `struct hvm_start_info` (Xen public header
//! `arch-x86/hvm/start_info.h`, version 1 with the memory map).

use super::{BootError, BootParams, PROTOCOL_PVH, boot_bytes};

const MAGIC: u32 = 0x336e_c578;

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from(u32_at(b, o)) | (u64::from(u32_at(b, o + 4)) << 32)
}

/// Parses the start info at `paddr`.
pub fn parse(paddr: u64) -> Result<BootParams, BootError> {
    let si = boot_bytes(paddr, 56).ok_or(BootError::BadPvhInfo)?;
    if u32_at(si, 0) != MAGIC || u32_at(si, 4) < 1 {
        return Err(BootError::BadPvhInfo);
    }
    let mut p = BootParams::empty(PROTOCOL_PVH);
    let nr_modules = u64::from(u32_at(si, 12));
    let modlist = u64_at(si, 16);
    let cmdline = u64_at(si, 24);
    p.rsdp_paddr = u64_at(si, 32);
    let memmap = u64_at(si, 40);
    let entries = u64::from(u32_at(si, 48));

    let map = boot_bytes(memmap, entries * 24).ok_or(BootError::BadPvhInfo)?;
    for e in map.chunks_exact(24) {
        p.add_memory(u64_at(e, 0), u64_at(e, 8), u32_at(e, 16));
    }
    if let Some(mods) = boot_bytes(modlist, nr_modules.min(16) * 32) {
        for m in mods.chunks_exact(32) {
            let start = u64_at(m, 0);
            p.add_module(start, start.saturating_add(u64_at(m, 8)));
        }
    }
    if let Some(r) = boot_bytes(p.rsdp_paddr, 36).filter(|_| p.rsdp_paddr != 0) {
        p.set_rsdp(r);
    }
    if cmdline != 0 {
        // The command line is NUL-terminated; read what fits below 4 GiB.
        let len = (super::MAX_INFO).min((4u64 << 30).saturating_sub(cmdline)).min(4096);
        if let Some(b) = boot_bytes(cmdline, len) {
            p.set_cmdline(b);
        }
    }
    Ok(p)
}
