//! Multiboot2 boot information (Multiboot2 Specification version 2.0, §3.6:
//! tags `1` command line, `3` module, `6` memory map, `14`/`15` ACPI RSDP).

use super::{BootError, BootParams, PROTOCOL_MULTIBOOT2, boot_bytes};

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from(u32_at(b, o)) | (u64::from(u32_at(b, o + 4)) << 32)
}

/// Parses the information structure at `paddr`.
pub fn parse(paddr: u64) -> Result<BootParams, BootError> {
    let head = boot_bytes(paddr, 8).ok_or(BootError::BadMultiboot2Info)?;
    let total = u64::from(u32_at(head, 0));
    if total < 16 {
        return Err(BootError::BadMultiboot2Info);
    }
    let info = boot_bytes(paddr, total).ok_or(BootError::BadMultiboot2Info)?;
    let mut p = BootParams::empty(PROTOCOL_MULTIBOOT2);
    let mut off = 8usize;
    while off + 8 <= info.len() {
        let ty = u32_at(info, off);
        let size = u32_at(info, off + 4) as usize;
        if size < 8 || off + size > info.len() {
            return Err(BootError::BadMultiboot2Info);
        }
        let tag = &info[off..off + size];
        match ty {
            0 => break,
            1 => p.set_cmdline(&tag[8..]),
            3 if size >= 16 => p.add_module(u64::from(u32_at(tag, 8)), u64::from(u32_at(tag, 12))),
            6 if size >= 16 => {
                let esize = u32_at(tag, 8) as usize;
                if esize >= 24 {
                    for e in tag[16..].chunks_exact(esize) {
                        p.add_memory(u64_at(e, 0), u64_at(e, 8), u32_at(e, 16));
                    }
                }
            }
            // The RSDP tags carry a copy of the RSDP, not its address. Prefer
            // the ACPI 2.0+ copy (tag 15) over the 1.0 one (tag 14).
            14 if size > 8 && p.rsdp_len == 0 => p.set_rsdp(&tag[8..]),
            15 if size > 8 => p.set_rsdp(&tag[8..]),
            _ => {}
        }
        off += size.next_multiple_of(8);
    }
    Ok(p)
}
