//! The ACPI tables power control needs (ACPI 6.4), read from untrusted
//! firmware memory without ever panicking and within fixed bounds.
//!
//! - [`Rsdp::parse`]: the Root System Description Pointer (§5.2.5), from
//!   the copy the kernel passes in the boot information;
//! - [`find_table`]: a table listed in the XSDT (§5.2.8) or RSDT (§5.2.7),
//!   signature, length and checksum verified;
//! - [`Fadt::read`]: the Fixed ACPI Description Table (§5.2.9): PM1a/PM1b
//!   control blocks, SMI command port, reset register, DSDT address;
//! - [`aml::find_s5`]: the `\_S5` sleep type (§7.4.2.5) by a bounded search
//!   of the DSDT's AML byte code for the `Name (_S5, Package {...})` that
//!   every firmware declares, rather than an AML interpreter;
//! - [`power`]: all of the above turned into I/O ports and values;
//! - [`madt::Madt::read`]: the processors and their local APIC IDs (§5.2.12),
//!   for the kernel's multicore start-up.
//!
//! Why not the `acpi` crate: its `AcpiHandler::map_physical_region` cannot
//! fail, so a garbage table length forces the handler to map whatever the
//! firmware claims or to panic; here every length is checked against
//! [`MAX_TABLE_LEN`] first and every failure is an [`AcpiError`]. Physical
//! memory is reached through [`PhysMem`], which the caller implements (init
//! maps device frames; host tests use a byte array).
#![no_std]

pub mod aml;
mod fadt;
pub mod madt;

pub use fadt::{Fadt, Gas, SPACE_IO};

/// Longest table read (bytes): larger claimed lengths are [`AcpiError::TooLong`].
pub const MAX_TABLE_LEN: u32 = 1 << 20;
/// Most RSDT/XSDT entries examined.
pub const MAX_ROOT_ENTRIES: u32 = 256;
/// Size of a system description table header (bytes, §5.2.6).
pub const HEADER_LEN: u32 = 36;

/// Why the tables could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcpiError {
    /// No RSDP, or its signature or checksum is wrong.
    BadRsdp,
    /// Physical memory at this address could not be read.
    Unreadable(u64),
    /// The table at this address has a wrong signature, length or checksum.
    BadTable(u64),
    /// The table claims more than [`MAX_TABLE_LEN`] bytes.
    TooLong(u64),
    /// No table with this signature is listed.
    NoTable([u8; 4]),
    /// The DSDT has no usable `\_S5` package.
    NoS5,
    /// The FADT describes no usable PM1a control block (none, not in I/O
    /// space, or a hardware-reduced platform).
    NoPm1Control,
}

/// Read access to physical memory.
pub trait PhysMem {
    /// Copies `buf.len()` bytes from physical address `paddr`.
    ///
    /// # Errors
    /// [`AcpiError::Unreadable`] when the memory cannot be reached.
    fn read(&mut self, paddr: u64, buf: &mut [u8]) -> Result<(), AcpiError>;
}

/// The Root System Description Pointer (§5.2.5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rsdp {
    /// 0 for ACPI 1.0, 2 for 2.0 and later.
    pub revision: u8,
    /// Physical address of the RSDT.
    pub rsdt: u32,
    /// Physical address of the XSDT (revision 2+, extended checksum valid,
    /// non-zero).
    pub xsdt: Option<u64>,
    /// OEM identifier (`BOCHS ` for QEMU's tables).
    pub oem_id: [u8; 6],
}

fn sum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b))
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

impl Rsdp {
    /// Parses an RSDP from `bytes` (20 bytes for revision 0, 36 for 2+).
    /// An invalid extended part (length or extended checksum) only drops
    /// the XSDT: the RSDT is used, as Linux does.
    ///
    /// # Errors
    /// [`AcpiError::BadRsdp`]: too short, wrong signature or checksum.
    pub fn parse(bytes: &[u8]) -> Result<Rsdp, AcpiError> {
        let v1 = bytes.get(..20).ok_or(AcpiError::BadRsdp)?;
        if &v1[..8] != b"RSD PTR " || sum(v1) != 0 {
            return Err(AcpiError::BadRsdp);
        }
        let mut oem_id = [0u8; 6];
        oem_id.copy_from_slice(&v1[9..15]);
        let revision = v1[15];
        let xsdt = match bytes.get(..36) {
            Some(v2) if revision >= 2 && u32_at(v2, 20) == 36 && sum(v2) == 0 => Some(u64_at(v2, 24)),
            _ => None,
        }
        .filter(|&a| a != 0);
        Ok(Rsdp { revision, rsdt: u32_at(v1, 16), xsdt, oem_id })
    }
}

/// A validated table: its address, signature and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    /// Physical address of the header.
    pub paddr: u64,
    /// Signature.
    pub signature: [u8; 4],
    /// Length including the header (bytes, at most [`MAX_TABLE_LEN`]).
    pub length: u32,
    /// Revision byte of the header.
    pub revision: u8,
}

/// Reads and validates the table at `paddr`: length between the header
/// size and [`MAX_TABLE_LEN`], checksum zero, and signature `want` if given.
///
/// # Errors
/// [`AcpiError::BadTable`], [`AcpiError::TooLong`], [`AcpiError::Unreadable`].
pub fn read_table(mem: &mut dyn PhysMem, paddr: u64, want: Option<[u8; 4]>) -> Result<Table, AcpiError> {
    let mut h = [0u8; HEADER_LEN as usize];
    mem.read(paddr, &mut h)?;
    let signature = [h[0], h[1], h[2], h[3]];
    let length = u32_at(&h, 4);
    if want.is_some_and(|w| w != signature) || length < HEADER_LEN {
        return Err(AcpiError::BadTable(paddr));
    }
    if length > MAX_TABLE_LEN {
        return Err(AcpiError::TooLong(paddr));
    }
    paddr.checked_add(u64::from(length)).ok_or(AcpiError::BadTable(paddr))?;
    let mut total = 0u8;
    let mut chunk = [0u8; 256];
    let mut off = 0u32;
    while off < length {
        let n = (length - off).min(chunk.len() as u32) as usize;
        mem.read(paddr + u64::from(off), &mut chunk[..n])?;
        total = total.wrapping_add(sum(&chunk[..n]));
        off += n as u32;
    }
    if total != 0 {
        return Err(AcpiError::BadTable(paddr));
    }
    Ok(Table { paddr, signature, length, revision: h[8] })
}

/// Finds the first valid table with `signature` listed in the XSDT (if the
/// RSDP gives one and it is valid) or else the RSDT. Entries whose table is
/// unreadable or invalid are skipped.
///
/// # Errors
/// [`AcpiError::NoTable`] if none is found; the root table's own error if
/// neither root table is valid.
pub fn find_table(mem: &mut dyn PhysMem, rsdp: &Rsdp, signature: [u8; 4]) -> Result<Table, AcpiError> {
    let root = match rsdp.xsdt.map(|x| read_table(mem, x, Some(*b"XSDT"))) {
        Some(Ok(t)) => (t, 8u32),
        _ => (read_table(mem, u64::from(rsdp.rsdt), Some(*b"RSDT"))?, 4u32),
    };
    let (t, width) = root;
    let entries = ((t.length - HEADER_LEN) / width).min(MAX_ROOT_ENTRIES);
    for i in 0..entries {
        let mut e = [0u8; 8];
        mem.read(t.paddr + u64::from(HEADER_LEN + i * width), &mut e[..width as usize])?;
        let addr = u64::from_le_bytes(e);
        if addr == 0 {
            continue;
        }
        if let Ok(found) = read_table(mem, addr, Some(signature)) {
            return Ok(found);
        }
    }
    Err(AcpiError::NoTable(signature))
}

/// ACPI S5 (soft off) through the PM1 control registers (§4.8.3.2.1,
/// §16.1.7): write `SLP_TYPx << 10`, then with `SLP_EN` (bit 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S5 {
    /// PM1a control block I/O port (16-bit register).
    pub pm1a: u16,
    /// PM1b control block I/O port, if the platform has one.
    pub pm1b: Option<u16>,
    /// `SLP_TYPa` for S5 (0..=7).
    pub slp_typ_a: u8,
    /// `SLP_TYPb` for S5 (0..=7).
    pub slp_typ_b: u8,
}

/// Switching the platform from legacy to ACPI mode (§4.8.2.1.1): write
/// `value` (FADT `ACPI_ENABLE`) to the SMI command port, then wait for
/// `SCI_EN` (bit 0 of PM1 control). Needed before S5 on firmware that
/// boots in legacy mode; QEMU's PM1 logic does not check it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcpiEnable {
    /// The SMI command I/O port (8-bit).
    pub smi_cmd: u16,
    /// The value to write.
    pub value: u8,
}

/// The reset register (§4.8.3.6): writing `value` to the 8-bit I/O `port`
/// resets the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reset {
    /// I/O port.
    pub port: u16,
    /// Value to write.
    pub value: u8,
}

/// Everything power control needs, as far as the tables describe it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Power {
    /// S5, or why it is not usable.
    pub s5: Result<S5, AcpiError>,
    /// ACPI-mode switch, if the FADT names an SMI command port.
    pub acpi_enable: Option<AcpiEnable>,
    /// The FADT's reset register, if supported and in I/O space.
    pub reset: Option<Reset>,
}

/// Reads the FADT and the DSDT's `\_S5` from the tables `rsdp` points to.
///
/// # Errors
/// Only when no FADT can be read; a missing S5 or reset register is
/// reported inside [`Power`].
pub fn power(mem: &mut dyn PhysMem, rsdp: &Rsdp) -> Result<Power, AcpiError> {
    let t = find_table(mem, rsdp, *b"FACP")?;
    let f = Fadt::read(mem, &t)?;
    let s5 = f.pm1_control().and_then(|(pm1a, pm1b)| {
        let dsdt = read_table(mem, f.dsdt, Some(*b"DSDT"))?;
        let (a, b) = aml::find_s5(mem, &dsdt)?;
        Ok(S5 { pm1a, pm1b, slp_typ_a: a, slp_typ_b: b })
    });
    Ok(Power { s5, acpi_enable: f.acpi_enable(), reset: f.reset_io() })
}

#[cfg(test)]
mod tests;
