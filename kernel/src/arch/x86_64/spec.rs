//! Transient-execution exposure: what the CPU says it is affected by, the
//! mitigations the kernel turns on, and what it leaves exposed (the
//! position is in docs/kernel.md, "Transient execution").
//!
//! Sources: Intel's "Affected Processors: Transient Execution Attacks"
//! guidance and the `IA32_ARCH_CAPABILITIES` MSR (Intel SDM Vol. 4, MSR
//! 10AH); AMD's security briefs (AMD processors are not affected by
//! Meltdown or MDS).
//!
//! - Meltdown (rogue data cache load): not mitigated. Every address space
//!   maps all RAM for the kernel (the direct map), so on an affected CPU a
//!   user thread can read any memory. Rampart is safe only on CPUs that are
//!   not affected: AMD, and Intel parts reporting `RDCL_NO`.
//! - MDS (microarchitectural data sampling): every return to user mode
//!   executes `VERW` (entry.rs), which clears the affected buffers on CPUs
//!   with the `MD_CLEAR` microcode; unconditional, one instruction.
//! - Spectre v2 (branch target injection): enhanced IBRS (Intel `IBRS_ALL`)
//!   or AutoIBRS (AMD) is switched on once at boot where present; other
//!   CPUs are exposed (no retpolines: stable Rust cannot build them).

use super::cpu;

/// How the kernel stands against one class of attack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stance {
    /// The CPU reports it is not affected.
    NotAffected,
    /// A mitigation is active.
    Mitigated,
    /// The CPU may be affected and nothing mitigates it.
    Vulnerable,
}

impl Stance {
    /// A word for the boot line.
    pub fn word(self) -> &'static str {
        match self {
            Stance::NotAffected => "not-affected",
            Stance::Mitigated => "mitigated",
            Stance::Vulnerable => "VULNERABLE",
        }
    }
}

/// The kernel's exposure on this CPU.
#[derive(Clone, Copy, Debug)]
pub struct Exposure {
    /// Meltdown.
    pub meltdown: Stance,
    /// Microarchitectural data sampling.
    pub mds: Stance,
    /// Spectre v2.
    pub spectre_v2: Stance,
}

const MSR_ARCH_CAPABILITIES: u32 = 0x10a;
const MSR_SPEC_CTRL: u32 = 0x48;
const ARCH_RDCL_NO: u64 = 1 << 0;
const ARCH_IBRS_ALL: u64 = 1 << 1;
const ARCH_MDS_NO: u64 = 1 << 5;
/// EFER.AIBRSE (AMD AutoIBRS).
const EFER_AUTOIBRS: u64 = 1 << 21;

/// Reads what the CPU reports and turns on what the kernel uses.
pub fn init() -> Exposure {
    let v = cpu::cpuid(0, 0);
    let (b, d, c) = (v.ebx.to_le_bytes(), v.edx.to_le_bytes(), v.ecx.to_le_bytes());
    let vendor = [b[0], b[1], b[2], b[3], d[0], d[1], d[2], d[3], c[0], c[1], c[2], c[3]];
    let amd = vendor == *b"AuthenticAMD" || vendor == *b"HygonGenuine";
    let leaf7 = if v.eax >= 7 { cpu::cpuid(7, 0).edx } else { 0 };
    let md_clear = leaf7 & (1 << 10) != 0;
    let arch = if leaf7 & (1 << 29) != 0 { cpu::rdmsr(MSR_ARCH_CAPABILITIES) } else { 0 };
    let ext_max = cpu::cpuid(0x8000_0000, 0).eax;
    let auto_ibrs = amd && ext_max >= 0x8000_0021 && cpu::cpuid(0x8000_0021, 0).eax & (1 << 8) != 0;
    let meltdown = if amd || arch & ARCH_RDCL_NO != 0 { Stance::NotAffected } else { Stance::Vulnerable };
    let mds = if amd || arch & ARCH_MDS_NO != 0 {
        Stance::NotAffected
    } else if md_clear {
        Stance::Mitigated
    } else {
        Stance::Vulnerable
    };
    let spectre_v2 = if arch & ARCH_IBRS_ALL != 0 {
        cpu::wrmsr(MSR_SPEC_CTRL, 1); // IBRS, once: enhanced IBRS stays on
        Stance::Mitigated
    } else if auto_ibrs {
        cpu::wrmsr(cpu::msr::EFER, cpu::rdmsr(cpu::msr::EFER) | EFER_AUTOIBRS);
        Stance::Mitigated
    } else {
        Stance::Vulnerable
    };
    Exposure { meltdown, mds, spectre_v2 }
}
