//! Finding `\_S5` in AML byte code without interpreting it (ACPI 6.4
//! §20.2): firmware declares the S5 sleep type as a named package,
//! `Name (_S5, Package () { SLP_TYPa, SLP_TYPb, ... })`, encoded as
//! `NameOp (0x08) [\] "_S5_" PackageOp (0x12) PkgLength NumElements
//! element...`. [`parse_s5`] decodes one such declaration; [`find_s5`]
//! scans a DSDT for the first that decodes. Both are bounded by the table
//! length and never panic on garbage.

use crate::{AcpiError, HEADER_LEN, PhysMem, Table};

const NAME_OP: u8 = 0x08;
const PACKAGE_OP: u8 = 0x12;
const ROOT_CHAR: u8 = b'\\';
/// Bytes scanned per read (plus [`OVERLAP`]).
const CHUNK: usize = 4096;
/// Bytes each read extends past its chunk, so a declaration straddling
/// two chunks is seen whole (name, package header, two 9-byte integers).
const OVERLAP: usize = 32;

/// Decodes an AML integer data object (§20.2.3) at the start of `b`:
/// `ZeroOp`, `OneOp`, `BytePrefix`, `WordPrefix`, `DWordPrefix`,
/// `QWordPrefix`. Returns the value and the bytes used.
pub fn integer(b: &[u8]) -> Option<(u64, usize)> {
    let le = |n: usize| -> Option<u64> {
        let s = b.get(1..1 + n)?;
        Some(s.iter().rev().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
    };
    match *b.first()? {
        0x00 => Some((0, 1)),
        0x01 => Some((1, 1)),
        0x0a => Some((le(1)?, 2)),
        0x0b => Some((le(2)?, 3)),
        0x0c => Some((le(4)?, 5)),
        0x0e => Some((le(8)?, 9)),
        _ => None,
    }
}

/// Decodes a PkgLength (§20.2.4) at the start of `b`: the length (which
/// counts the PkgLength bytes themselves) and the bytes used.
pub fn pkg_length(b: &[u8]) -> Option<(usize, usize)> {
    let lead = *b.first()?;
    let follow = usize::from(lead >> 6);
    if follow == 0 {
        return Some((usize::from(lead & 0x3f), 1));
    }
    let mut len = usize::from(lead & 0x0f);
    for i in 0..follow {
        len |= usize::from(*b.get(1 + i)?) << (4 + 8 * i);
    }
    Some((len, 1 + follow))
}

/// Decodes the package of a `_S5_` declaration: `b` starts just after the
/// name. Returns (`SLP_TYPa`, `SLP_TYPb`), each 0..=7. A one-element
/// package holds both in its low two bytes (the ACPI 1.0 form Linux also
/// accepts).
pub fn parse_s5(b: &[u8]) -> Option<(u8, u8)> {
    if *b.first()? != PACKAGE_OP {
        return None;
    }
    let (len, used) = pkg_length(b.get(1..)?)?;
    // The package must lie within what is left and hold NumElements.
    let body = b.get(1 + used..1 + len)?;
    let count = *body.first()?;
    let (a, n) = integer(body.get(1..)?)?;
    let (a, b_) = if count == 1 {
        (a & 0xff, (a >> 8) & 0xff)
    } else {
        let (b_, _) = integer(body.get(1 + n..)?)?;
        (a, b_)
    };
    (count >= 1 && a <= 7 && b_ <= 7).then_some((a as u8, b_ as u8))
}

/// Searches `b` for a `Name (_S5, Package ...)` declaration that decodes.
pub fn search(b: &[u8]) -> Option<(u8, u8)> {
    let mut i = 0;
    while i + 4 <= b.len() {
        if &b[i..i + 4] == b"_S5_" {
            let named = match i {
                0 => false,
                1 => b[0] == NAME_OP,
                _ => b[i - 1] == NAME_OP || (b[i - 1] == ROOT_CHAR && b[i - 2] == NAME_OP),
            };
            if named && let Some(v) = parse_s5(&b[i + 4..]) {
                return Some(v);
            }
        }
        i += 1;
    }
    None
}

/// Finds `\_S5` in the DSDT (or an SSDT) `t`, reading it in overlapping
/// chunks.
///
/// # Errors
/// [`AcpiError::NoS5`] if no declaration decodes; [`AcpiError::Unreadable`].
pub fn find_s5(mem: &mut dyn PhysMem, t: &Table) -> Result<(u8, u8), AcpiError> {
    let end = u64::from(t.length);
    let mut buf = [0u8; 2 + CHUNK + OVERLAP];
    // Each read starts two bytes before its chunk (for the NameOp and root
    // prefix before a name) and ends OVERLAP bytes after it.
    let mut off = u64::from(HEADER_LEN);
    while off < end {
        let start = off - 2;
        let n = (end - start).min(buf.len() as u64) as usize;
        mem.read(t.paddr + start, &mut buf[..n])?;
        if let Some(v) = search(&buf[..n]) {
            return Ok(v);
        }
        off += CHUNK as u64;
    }
    Err(AcpiError::NoS5)
}
