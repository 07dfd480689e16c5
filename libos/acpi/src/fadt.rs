//! The Fixed ACPI Description Table (ACPI 6.4 §5.2.9): the fields power
//! control uses. Fields beyond the table's length read as zero, so ACPI
//! 1.0 tables (116 bytes) and current ones (276 bytes) parse alike.

use crate::{AcpiEnable, AcpiError, PhysMem, Reset, Table, u32_at, u64_at};

/// Generic Address Structure `address_space_id` of system I/O (§5.2.3.2).
pub const SPACE_IO: u8 = 1;
/// FADT flag: the reset register is supported (§5.2.9.3, bit 10).
pub const RESET_REG_SUP: u32 = 1 << 10;
/// FADT flag: hardware-reduced ACPI (no PM1 blocks; bit 20).
pub const HW_REDUCED_ACPI: u32 = 1 << 20;
/// Bytes of the FADT read (ACPI 6.4 size).
const FADT_LEN: usize = 276;

/// A Generic Address Structure (§5.2.3.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gas {
    /// Address space (0 memory, 1 system I/O, ...).
    pub space: u8,
    /// Register width in bits.
    pub bit_width: u8,
    /// Register offset in bits.
    pub bit_offset: u8,
    /// Access size (0 undefined, 1 byte, 2 word, ...).
    pub access_size: u8,
    /// Address in that space.
    pub address: u64,
}

impl Gas {
    fn at(b: &[u8], off: usize) -> Gas {
        let byte = |i: usize| b.get(off + i).copied().unwrap_or(0);
        Gas {
            space: byte(0),
            bit_width: byte(1),
            bit_offset: byte(2),
            access_size: byte(3),
            address: u64_at(b, off + 4),
        }
    }

    /// The I/O port of a system-I/O register of `bytes` bytes that fits the
    /// 16-bit port space.
    pub fn io_port(&self, bytes: u64) -> Option<u16> {
        (self.space == SPACE_IO && self.address != 0 && self.address.saturating_add(bytes.saturating_sub(1)) <= 0xffff)
            .then_some(self.address as u16)
    }
}

/// The FADT fields power control needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fadt {
    /// Table length (bytes).
    pub length: u32,
    /// Flags (offset 112).
    pub flags: u32,
    /// DSDT physical address (`X_DSDT` if set, else `DSDT`).
    pub dsdt: u64,
    /// SMI command port (offset 48; 0: none).
    pub smi_cmd: u32,
    /// Value for [`Fadt::smi_cmd`] that enters ACPI mode (offset 52).
    pub acpi_enable: u8,
    /// PM1a control block (`X_PM1a_CNT_BLK` if set, else `PM1a_CNT_BLK` as I/O).
    pub pm1a_cnt: Gas,
    /// PM1b control block, likewise.
    pub pm1b_cnt: Gas,
    /// `PM1_CNT_LEN` (bytes, offset 89).
    pub pm1_cnt_len: u8,
    /// Reset register (offset 116).
    pub reset_reg: Gas,
    /// Reset value (offset 128).
    pub reset_value: u8,
}

fn block(b: &[u8], x_off: usize, legacy_off: usize) -> Gas {
    let x = Gas::at(b, x_off);
    if x.address != 0 {
        return x;
    }
    let legacy = u32_at(b, legacy_off);
    Gas { space: SPACE_IO, bit_width: 16, address: u64::from(legacy), ..Gas::default() }
}

impl Fadt {
    /// Reads the FADT `t` (validated by [`crate::read_table`]).
    ///
    /// # Errors
    /// [`AcpiError::BadTable`] if it is not a FADT or too short for the
    /// ACPI 1.0 fields; [`AcpiError::Unreadable`].
    pub fn read(mem: &mut dyn PhysMem, t: &Table) -> Result<Fadt, AcpiError> {
        if &t.signature != b"FACP" || t.length < 116 {
            return Err(AcpiError::BadTable(t.paddr));
        }
        let mut b = [0u8; FADT_LEN];
        let n = (t.length as usize).min(FADT_LEN);
        mem.read(t.paddr, &mut b[..n])?;
        Ok(Fadt::parse(&b[..n]))
    }

    /// Parses FADT bytes (fields past the end read as zero).
    pub fn parse(b: &[u8]) -> Fadt {
        let x_dsdt = u64_at(b, 140);
        Fadt {
            length: u32_at(b, 4),
            flags: u32_at(b, 112),
            dsdt: if x_dsdt != 0 { x_dsdt } else { u64::from(u32_at(b, 40)) },
            smi_cmd: u32_at(b, 48),
            acpi_enable: b.get(52).copied().unwrap_or(0),
            pm1a_cnt: block(b, 172, 64),
            pm1b_cnt: block(b, 184, 68),
            pm1_cnt_len: b.get(89).copied().unwrap_or(0),
            reset_reg: Gas::at(b, 116),
            reset_value: b.get(128).copied().unwrap_or(0),
        }
    }

    /// The PM1a (and PM1b, if any) control ports: 16-bit registers in I/O
    /// space (`PM1_CNT_LEN` ≥ 2).
    ///
    /// # Errors
    /// [`AcpiError::NoPm1Control`] on a hardware-reduced platform, or when
    /// PM1a is missing, not in I/O space or shorter than 2 bytes.
    pub fn pm1_control(&self) -> Result<(u16, Option<u16>), AcpiError> {
        if self.flags & HW_REDUCED_ACPI != 0 || self.pm1_cnt_len < 2 {
            return Err(AcpiError::NoPm1Control);
        }
        let a = self.pm1a_cnt.io_port(2).ok_or(AcpiError::NoPm1Control)?;
        Ok((a, self.pm1b_cnt.io_port(2)))
    }

    /// The ACPI-mode switch, if the SMI command port is an I/O port and
    /// `ACPI_ENABLE` is non-zero (both zero: the platform is always in
    /// ACPI mode).
    pub fn acpi_enable(&self) -> Option<AcpiEnable> {
        let port = u16::try_from(self.smi_cmd).ok().filter(|&p| p != 0)?;
        (self.acpi_enable != 0 && self.flags & HW_REDUCED_ACPI == 0)
            .then_some(AcpiEnable { smi_cmd: port, value: self.acpi_enable })
    }

    /// The reset register, when the FADT is long enough to hold it, says it
    /// is supported, and it is an 8-bit register in I/O space.
    pub fn reset_io(&self) -> Option<Reset> {
        if self.length < 129 || self.flags & RESET_REG_SUP == 0 {
            return None;
        }
        let port = self.reset_reg.io_port(1)?;
        Some(Reset { port, value: self.reset_value })
    }
}
