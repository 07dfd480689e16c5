//! Base address registers: decoding and sizing by probing (PCI Local Bus
//! 3.0 §6.2.5.1): with decoding disabled, write all ones, read back the
//! writable bits, restore. The size is the two's complement of the
//! writable address bits.

use crate::pci::{ConfigSpace, command, reg};
use alloc::vec::Vec;
use rampart_devmgr_api::{Bar, BarKind, Bdf};

/// Why a BAR could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarError {
    /// A 64-bit BAR in the last register (no upper half).
    Truncated64(u8),
    /// The writable bits do not describe a power-of-two size.
    BadSize(u8),
    /// The address is not aligned to the size (the firmware or device is
    /// broken; the BAR is not handed out).
    Misaligned(u8),
    /// Memory type 01b (below 1 MiB, obsolete) or reserved 11b.
    BadType(u8),
}

/// Decodes BAR `index` from its original value(s) and the read-back after
/// writing all ones (`hi` values: the next register, for 64-bit BARs).
/// `Ok(None)` for an unimplemented BAR (reads back 0).
///
/// # Errors
/// [`BarError`].
pub fn decode(index: u8, orig: u32, mask: u32, orig_hi: u32, mask_hi: u32) -> Result<Option<Bar>, BarError> {
    if orig & 1 == 1 {
        let m = mask & !3;
        // I/O BARs decode 16 bits of port space on x86; the upper bits may
        // read back as zero.
        let m = m | 0xffff_0000;
        if mask & !3 == 0 {
            return Ok(None);
        }
        let size = (!m).wrapping_add(1) as u64;
        if !size.is_power_of_two() {
            return Err(BarError::BadSize(index));
        }
        let addr = (orig & !3) as u64;
        if !addr.is_multiple_of(size) {
            return Err(BarError::Misaligned(index));
        }
        return Ok(Some(Bar { index, kind: BarKind::Io, addr, size, prefetchable: false }));
    }
    let prefetchable = orig & 8 != 0;
    let (kind, addr, full_mask) = match (orig >> 1) & 3 {
        0 => (BarKind::Mem32, (orig & !0xf) as u64, (mask & !0xf) as u64 | 0xffff_ffff_0000_0000),
        2 => (
            BarKind::Mem64,
            (orig & !0xf) as u64 | (orig_hi as u64) << 32,
            (mask & !0xf) as u64 | (mask_hi as u64) << 32,
        ),
        _ => return Err(BarError::BadType(index)),
    };
    if full_mask & 0xffff_ffff == 0 && (kind == BarKind::Mem32 || mask_hi == 0) {
        return Ok(None);
    }
    let size = (!full_mask).wrapping_add(1);
    if size == 0 || !size.is_power_of_two() {
        return Err(BarError::BadSize(index));
    }
    if addr % size != 0 {
        return Err(BarError::Misaligned(index));
    }
    Ok(Some(Bar { index, kind, addr, size, prefetchable }))
}

fn probe(cs: &mut dyn ConfigSpace, bdf: Bdf, i: u8) -> (u32, u32) {
    let off = reg::BAR0 + 4 * i as u16;
    let orig = cs.read(bdf, off);
    cs.write(bdf, off, 0xffff_ffff);
    let mask = cs.read(bdf, off);
    cs.write(bdf, off, orig);
    (orig, mask)
}

/// Sizes the six BARs of a type-0 function, with I/O and memory decoding
/// disabled while probing (restored afterwards). Unusable BARs are
/// skipped; the first problem is returned with the BARs found.
///
/// # Errors
/// The BARs found and the first [`BarError`].
pub fn size_bars(cs: &mut dyn ConfigSpace, bdf: Bdf) -> Result<Vec<Bar>, (Vec<Bar>, BarError)> {
    let cmd = cs.read(bdf, reg::COMMAND);
    cs.write(bdf, reg::COMMAND, cmd & !u32::from(command::IO | command::MEMORY) & 0xffff);
    let mut bars = Vec::new();
    let mut err = None;
    let mut i = 0u8;
    while i < 6 {
        let (orig, mask) = probe(cs, bdf, i);
        let is64 = orig & 1 == 0 && (orig >> 1) & 3 == 2;
        let (orig_hi, mask_hi) = if is64 && i < 5 { probe(cs, bdf, i + 1) } else { (0, 0) };
        let r = if is64 && i == 5 { Err(BarError::Truncated64(i)) } else { decode(i, orig, mask, orig_hi, mask_hi) };
        match r {
            Ok(Some(b)) => bars.push(b),
            Ok(None) => {}
            Err(e) => {
                err.get_or_insert(e);
            }
        }
        i += if is64 { 2 } else { 1 };
    }
    cs.write(bdf, reg::COMMAND, cmd & 0xffff);
    match err {
        None => Ok(bars),
        Some(e) => Err((bars, e)),
    }
}

/// The size mask a function's BAR register reads back after all ones are
/// written (what [`crate::filter`] shows a driver that sizes its BARs).
/// `hi`: the upper register of a 64-bit BAR.
pub fn size_mask(bar: &Bar, hi: bool) -> u32 {
    let m = !(bar.size - 1);
    match (bar.kind, hi) {
        (BarKind::Io, _) => (m as u32 & !3) | 1,
        (BarKind::Mem64, true) => (m >> 32) as u32,
        (BarKind::Mem64, false) => (m as u32 & !0xf) | 4 | if bar.prefetchable { 8 } else { 0 },
        (BarKind::Mem32, _) => (m as u32 & !0xf) | if bar.prefetchable { 8 } else { 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_kinds() {
        let b = decode(1, 0xfebd_1000, 0xffff_f000, 0, 0).unwrap().unwrap();
        assert_eq!((b.kind, b.addr, b.size), (BarKind::Mem32, 0xfebd_1000, 0x1000));
        let b = decode(4, 0xfe00_000c, 0xffff_c00c, 0, 0xffff_ffff).unwrap().unwrap();
        assert_eq!((b.kind, b.addr, b.size, b.prefetchable), (BarKind::Mem64, 0xfe00_0000, 0x4000, true));
        let b = decode(0, 0xc041, 0xffff_ffc1, 0, 0).unwrap().unwrap();
        assert_eq!((b.kind, b.addr, b.size), (BarKind::Io, 0xc040, 0x40));
        let b = decode(0, 0xc041, 0x0000_ffc1, 0, 0).unwrap().unwrap();
        assert_eq!(b.size, 0x40, "I/O BARs may implement only 16 bits");
        assert_eq!(decode(2, 0, 0, 0, 0), Ok(None));
        assert_eq!(decode(2, 0x1000, 0xffff_f000 ^ 0x2000, 0, 0), Err(BarError::BadSize(2)));
        assert_eq!(decode(2, 0x1800, 0xffff_f000, 0, 0), Err(BarError::Misaligned(2)));
        assert_eq!(decode(2, 0x2, 0xffff_fff2, 0, 0), Err(BarError::BadType(2)));
        let b = decode(4, 0x4, 0x4, 0x80, 0xffff_fff0).unwrap().unwrap();
        assert_eq!((b.addr, b.size), (0x80_0000_0000, 0x10_0000_0000), "a BAR larger than 4 GiB");
    }

    #[test]
    fn masks_round_trip() {
        for bar in [
            Bar { index: 0, kind: BarKind::Io, addr: 0xc000, size: 0x40, prefetchable: false },
            Bar { index: 1, kind: BarKind::Mem32, addr: 0xfebd_1000, size: 0x1000, prefetchable: false },
            Bar { index: 4, kind: BarKind::Mem64, addr: 0xfe00_0000, size: 0x4000, prefetchable: true },
        ] {
            let orig = match bar.kind {
                BarKind::Io => bar.addr as u32 | 1,
                BarKind::Mem64 => bar.addr as u32 | 0xc,
                BarKind::Mem32 => bar.addr as u32,
            };
            let got = decode(bar.index, orig, size_mask(&bar, false), (bar.addr >> 32) as u32, size_mask(&bar, true));
            assert_eq!(got, Ok(Some(bar)));
        }
    }
}
