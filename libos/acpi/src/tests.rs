//! Host tests: tables built byte by byte as firmware lays them out, and
//! garbage that must give errors, never panics.

extern crate std;
use super::*;
use proptest::prelude::*;
use std::vec;
use std::vec::Vec;

/// Physical memory: one byte array at `base`; anything else is unreadable.
struct Mem {
    base: u64,
    bytes: Vec<u8>,
}

impl PhysMem for Mem {
    fn read(&mut self, paddr: u64, buf: &mut [u8]) -> Result<(), AcpiError> {
        let off = paddr.checked_sub(self.base).ok_or(AcpiError::Unreadable(paddr))? as usize;
        let src = self.bytes.get(off..off + buf.len()).ok_or(AcpiError::Unreadable(paddr))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

const BASE: u64 = 0x7ffe_0000;

fn fix_checksum(t: &mut [u8], at: usize) {
    t[at] = 0;
    t[at] = 0u8.wrapping_sub(sum(t));
}

fn table(sig: &[u8; 4], revision: u8, body: &[u8]) -> Vec<u8> {
    let mut t = vec![0u8; 36];
    t[..4].copy_from_slice(sig);
    t[4..8].copy_from_slice(&((36 + body.len()) as u32).to_le_bytes());
    t[8] = revision;
    t[10..16].copy_from_slice(b"BOCHS ");
    t.extend_from_slice(body);
    fix_checksum(&mut t, 9);
    t
}

fn rsdp(revision: u8, rsdt: u32, xsdt: u64) -> Vec<u8> {
    let mut r = vec![0u8; 36];
    r[..8].copy_from_slice(b"RSD PTR ");
    r[9..15].copy_from_slice(b"BOCHS ");
    r[15] = revision;
    r[16..20].copy_from_slice(&rsdt.to_le_bytes());
    r[20..24].copy_from_slice(&36u32.to_le_bytes());
    r[24..32].copy_from_slice(&xsdt.to_le_bytes());
    let v1 = 0u8.wrapping_sub(sum(&r[..20]));
    r[8] = v1;
    fix_checksum(&mut r, 32);
    r
}

/// QEMU `pc`'s FADT essentials: PM1a_CNT 0x604, SMI_CMD 0xb2 / 0xf1,
/// reset register 0xcf9 / 0x0f, ACPI 1.0 DSDT pointer.
fn fadt(dsdt: u32, revision: u8, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len - 36];
    let put = |b: &mut Vec<u8>, off: usize, v: &[u8]| {
        if off >= 36 && off - 36 + v.len() <= b.len() {
            b[off - 36..off - 36 + v.len()].copy_from_slice(v);
        }
    };
    put(&mut b, 40, &dsdt.to_le_bytes());
    put(&mut b, 48, &0xb2u32.to_le_bytes());
    put(&mut b, 52, &[0xf1]);
    put(&mut b, 64, &0x604u32.to_le_bytes());
    put(&mut b, 89, &[2]);
    put(&mut b, 112, &(fadt::RESET_REG_SUP).to_le_bytes());
    put(&mut b, 116, &[SPACE_IO, 8, 0, 0]);
    put(&mut b, 120, &0xcf9u64.to_le_bytes());
    put(&mut b, 128, &[0x0f]);
    table(b"FACP", revision, &b)
}

/// An AML fragment like QEMU's: `Name (\_S5, Package (4) { Zero, Zero, Zero, Zero })`
/// after some unrelated byte code mentioning `_S5_` in a string.
fn dsdt(s5: &[u8]) -> Vec<u8> {
    let mut aml = vec![0x10, 0x05, b'\\', b'_', b'S', b'B', b'_']; // Scope
    aml.extend_from_slice(&[0x0d, b'_', b'S', b'5', b'_', 0x00]); // String "_S5_"
    aml.extend_from_slice(&vec![0xa3; 5000]); // filler (Noop): spans a chunk
    aml.extend_from_slice(&[NAME, b'\\', b'_', b'S', b'5', b'_']);
    aml.extend_from_slice(s5);
    aml.extend_from_slice(&[0xa3; 10]);
    table(b"DSDT", 1, &aml)
}
const NAME: u8 = 0x08;

/// Lays out tables at BASE: RSDT (+0x000), XSDT (+0x100), FADT (+0x200),
/// DSDT (+0x400); returns the memory and the RSDP bytes.
fn firmware(fadt_t: Vec<u8>, dsdt_t: Vec<u8>, with_xsdt: bool) -> (Mem, Vec<u8>) {
    let mut bytes = vec![0u8; 0x400 + dsdt_t.len()];
    let rsdt = table(b"RSDT", 1, &((BASE + 0x200) as u32).to_le_bytes());
    let xsdt = table(b"XSDT", 1, &[0u64.to_le_bytes(), (BASE + 0x200).to_le_bytes()].concat());
    bytes[..rsdt.len()].copy_from_slice(&rsdt);
    bytes[0x100..0x100 + xsdt.len()].copy_from_slice(&xsdt);
    bytes[0x200..0x200 + fadt_t.len()].copy_from_slice(&fadt_t);
    bytes[0x400..].copy_from_slice(&dsdt_t);
    let r = if with_xsdt { rsdp(2, BASE as u32, BASE + 0x100) } else { rsdp(0, BASE as u32, 0) };
    (Mem { base: BASE, bytes }, r)
}

const QEMU_S5: [u8; 7] = [0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00];

#[test]
fn qemu_like_tables_give_s5_and_reset() {
    for with_xsdt in [false, true] {
        let (mut m, r) = firmware(fadt((BASE + 0x400) as u32, 1, 244), dsdt(&QEMU_S5), with_xsdt);
        let r = Rsdp::parse(&r).unwrap();
        assert_eq!(r.xsdt.is_some(), with_xsdt);
        assert_eq!(&r.oem_id, b"BOCHS ");
        let p = power(&mut m, &r).unwrap();
        assert_eq!(p.s5, Ok(S5 { pm1a: 0x604, pm1b: None, slp_typ_a: 0, slp_typ_b: 0 }));
        assert_eq!(p.reset, Some(Reset { port: 0xcf9, value: 0x0f }));
        assert_eq!(p.acpi_enable, Some(AcpiEnable { smi_cmd: 0xb2, value: 0xf1 }));
    }
}

#[test]
fn an_acpi_1_fadt_has_no_reset_register() {
    let (mut m, r) = firmware(fadt((BASE + 0x400) as u32, 1, 116), dsdt(&QEMU_S5), false);
    let p = power(&mut m, &Rsdp::parse(&r).unwrap()).unwrap();
    assert_eq!(p.reset, None);
    assert!(p.s5.is_ok());
}

#[test]
fn s5_encodings() {
    // BytePrefix values, two elements.
    assert_eq!(aml::parse_s5(&[0x12, 0x06, 0x02, 0x0a, 0x05, 0x0a, 0x07]), Some((5, 7)));
    // One element holding both (ACPI 1.0 style).
    assert_eq!(aml::parse_s5(&[0x12, 0x05, 0x01, 0x0b, 0x07, 0x03]), Some((7, 3)));
    // Two-byte PkgLength.
    assert_eq!(aml::parse_s5(&[0x12, 0x47, 0x00, 0x02, 0x01, 0x00, 0, 0, 0]), Some((1, 0)));
    // Out of range, Ones, truncated, empty, not a package.
    assert_eq!(aml::parse_s5(&[0x12, 0x06, 0x02, 0x0a, 0x08, 0x00]), None);
    assert_eq!(aml::parse_s5(&[0x12, 0x05, 0x02, 0xff, 0x00]), None);
    assert_eq!(aml::parse_s5(&[0x12, 0x06, 0x04, 0x00]), None);
    assert_eq!(aml::parse_s5(&[0x12, 0x02, 0x00]), None);
    assert_eq!(aml::parse_s5(&[0x14, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00]), None);
    // A string or method mentioning _S5_ is not a declaration.
    assert_eq!(aml::search(&[0x0d, b'_', b'S', b'5', b'_', 0x12, 0x06, 0x04, 0, 0, 0, 0]), None);
    assert_eq!(aml::search(&[0x08, b'_', b'S', b'5', b'_', 0x12, 0x06, 0x04, 0x0a, 5, 0, 0]), Some((5, 0)));
}

#[test]
fn a_declaration_straddling_two_chunks_is_found() {
    for pad in 4080..4110 {
        let mut aml = vec![0xa3u8; pad];
        aml.extend_from_slice(&[NAME, b'_', b'S', b'5', b'_', 0x12, 0x06, 0x02, 0x0a, 0x03, 0x0a, 0x04]);
        let t = table(b"DSDT", 1, &aml);
        let len = t.len() as u32;
        let mut m = Mem { base: BASE, bytes: t };
        let tab = Table { paddr: BASE, signature: *b"DSDT", length: len, revision: 1 };
        assert_eq!(aml::find_s5(&mut m, &tab), Ok((3, 4)), "pad {pad}");
    }
}

#[test]
fn bad_checksums_lengths_and_signatures_are_errors() {
    let (mut m, r) = firmware(fadt((BASE + 0x400) as u32, 1, 244), dsdt(&QEMU_S5), true);
    let rs = Rsdp::parse(&r).unwrap();
    // Corrupt the FADT checksum: no FADT.
    m.bytes[0x200 + 9] ^= 1;
    assert_eq!(power(&mut m, &rs), Err(AcpiError::NoTable(*b"FACP")));
    m.bytes[0x200 + 9] ^= 1;
    // A DSDT claiming 64 MiB: TooLong, S5 unusable, reset still there.
    m.bytes[0x404..0x408].copy_from_slice(&(64u32 << 20).to_le_bytes());
    let p = power(&mut m, &rs).unwrap();
    assert_eq!(p.s5, Err(AcpiError::TooLong(BASE + 0x400)));
    assert!(p.reset.is_some());
    // Bad RSDPs.
    assert_eq!(Rsdp::parse(&r[..19]), Err(AcpiError::BadRsdp));
    let mut bad = r.clone();
    bad[0] = b'X';
    assert_eq!(Rsdp::parse(&bad), Err(AcpiError::BadRsdp));
    // A bad extended checksum drops only the XSDT.
    let mut ext = r.clone();
    ext[33] ^= 0xff;
    assert_eq!(Rsdp::parse(&ext).unwrap().xsdt, None);
    // A table near the top of the address space.
    assert!(read_table(&mut m, u64::MAX - 10, None).is_err());
}

#[test]
fn hardware_reduced_or_memory_space_pm1_gives_no_s5() {
    let mut f = fadt((BASE + 0x400) as u32, 6, 276);
    f[112..116].copy_from_slice(&(fadt::HW_REDUCED_ACPI | fadt::RESET_REG_SUP).to_le_bytes());
    fix_checksum(&mut f, 9);
    let (mut m, r) = firmware(f, dsdt(&QEMU_S5), true);
    let p = power(&mut m, &Rsdp::parse(&r).unwrap()).unwrap();
    assert_eq!(p.s5, Err(AcpiError::NoPm1Control));
    assert_eq!(p.acpi_enable, None);
    // X_PM1a_CNT_BLK in memory space overrides the I/O one.
    let mut f = fadt((BASE + 0x400) as u32, 6, 276);
    f[172..176].copy_from_slice(&[0, 16, 0, 2]);
    f[176..184].copy_from_slice(&0xfed0_0000u64.to_le_bytes());
    fix_checksum(&mut f, 9);
    assert_eq!(Fadt::parse(&f).pm1_control(), Err(AcpiError::NoPm1Control));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// Garbage memory and garbage RSDPs: errors, never panics.
    #[test]
    fn garbage_never_panics(mem in proptest::collection::vec(any::<u8>(), 0..2048), rsdt in 0u32..0x900, tweak in any::<u64>()) {
        let mut m = Mem { base: BASE, bytes: mem.clone() };
        let mut r = rsdp(2, BASE as u32 + rsdt, BASE + (tweak % 0x900));
        r[15] = (tweak >> 32) as u8;
        if let Ok(r) = Rsdp::parse(&r) {
            let _ = power(&mut m, &r);
        }
        let _ = aml::search(&mem);
        let _ = aml::parse_s5(&mem);
        let _ = Fadt::parse(&mem).pm1_control();
        let _ = Fadt::parse(&mem).reset_io();
    }

    /// Garbage tables with valid headers and checksums (so parsing goes
    /// deep): errors, never panics.
    #[test]
    fn checksummed_garbage_never_panics(body in proptest::collection::vec(any::<u8>(), 0..470), aml in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut a = vec![NAME, b'_', b'S', b'5', b'_', 0x12];
        a.extend_from_slice(&aml);
        let (mut m, r) = firmware(table(b"FACP", 3, &body), table(b"DSDT", 1, &a), true);
        let _ = power(&mut m, &Rsdp::parse(&r).unwrap());
    }
}
