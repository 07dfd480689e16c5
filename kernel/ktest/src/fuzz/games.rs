//! The attackers' games with processor state between invocations:
//! segment selectors (FS, GS, DS, ES) loaded with valid and invalid values,
//! privileged instructions and software interrupts that must fault, and
//! FPU/flags state that must not leak into the victim.
//!
//! Invalid selectors and privileged instructions raise exceptions; they
//! come to ktest as faults of the attacker thread, which restarts it, so
//! faults are part of the fuzzing. An instruction that should fault but
//! returns is counted as an anomaly.

use super::stats::{self, Anomaly, bump};
use crate::rng::Rng;
use core::arch::{asm, global_asm};

/// Selectors worth loading: null ones, the user data and code segments
/// (with every RPL), kernel segments, the TSS, the LDT (none), beyond the
/// GDT.
const SELECTORS: [u16; 18] =
    [0, 1, 2, 3, 0x1b, 0x18, 0x1a, 0x23, 0x20, 0x0b, 0x08, 0x13, 0x10, 0x2b, 0x33, 0x04, 0x3b, 0xfffc];

/// A selector value: mostly from [`SELECTORS`], sometimes random.
pub fn selector(rng: &mut Rng) -> u16 {
    if rng.one_in(6) { rng.next() as u16 } else { SELECTORS[rng.below(SELECTORS.len() as u64) as usize] }
}

/// Loads `v` into DS, ES, FS or GS (`which` 0..=3); faults (#GP, #NP) on
/// selectors the CPU refuses.
pub fn load(which: u64, v: u16) {
    // SAFETY: loading a data-segment selector touches no memory; in 64-bit
    // mode DS and ES bases are ignored and the attacker never uses FS or
    // GS relative addressing, so any value it can load is harmless to it.
    unsafe {
        match which & 3 {
            0 => asm!("mov ds, {0:x}", in(reg) v, options(nomem, nostack, preserves_flags)),
            1 => asm!("mov es, {0:x}", in(reg) v, options(nomem, nostack, preserves_flags)),
            2 => asm!("mov fs, {0:x}", in(reg) v, options(nomem, nostack, preserves_flags)),
            _ => asm!("mov gs, {0:x}", in(reg) v, options(nomem, nostack, preserves_flags)),
        }
    }
}

/// One segment game: one to three random loads. Returns the first
/// (register, selector) for the trace.
pub fn segments(rng: &mut Rng) -> (u64, u64) {
    let first = (rng.below(4), selector(rng));
    bump(&stats::GAMES[first.0 as usize]);
    load(first.0, first.1);
    for _ in 0..rng.below(3) {
        let (w, s) = (rng.below(4), selector(rng));
        bump(&stats::GAMES[w as usize]);
        load(w, s);
    }
    (first.0, u64::from(first.1))
}

global_asm!(
    ".section .text.fuzz_int_table, \"ax\"",
    ".balign 16",
    ".global fuzz_int_table",
    "fuzz_int_table:",
    ".set fuzz_vec, 0",
    ".rept 256",
    ".balign 4",
    ".byte 0xcd, fuzz_vec",
    "ret",
    ".set fuzz_vec, fuzz_vec + 1",
    ".endr",
);

unsafe extern "C" {
    static fuzz_int_table: u8;
}

/// Number of instruction games.
pub const N_INSTRUCTIONS: u64 = 26;

/// True if the CPU has UMIP (then `sgdt`, `sidt`, `sldt`, `smsw` and `str`
/// must fault in user mode: the kernel turns it on where it exists).
fn has_umip() -> bool {
    core::arch::x86_64::__cpuid_count(7, 0).ecx & (1 << 2) != 0
}

/// Executes privileged instruction game `which`; every one of them must
/// fault (returning is an anomaly). `arg` picks the vector of `int n`.
pub fn instruction(which: u64, arg: u64) {
    bump(&stats::GAMES[4 + (which % 8) as usize]);
    let mut table = [0u64; 2];
    // SAFETY: every instruction below raises an exception in user mode
    // (privileged, not enabled, a DPL-0 interrupt gate, a write to a
    // read-only page, UMIP) before it could change anything, except the
    // descriptor-table stores on a CPU without UMIP, which write 10 bytes
    // into the local `table`; `int n` is reached through a `call` into a
    // table of `int n; ret` stubs whose stack use the block allows.
    unsafe {
        match which {
            0 => asm!("hlt"),
            1 => asm!("cli"),
            2 => asm!("in al, 0x80", out("al") _),
            3 => asm!("out 0xf4, al", in("al") 0u8),
            4 => asm!("mov {}, cr3", out(reg) _),
            5 => asm!("rdmsr", in("ecx") 0xc000_0100u32, out("eax") _, out("edx") _),
            6 => asm!("wrmsr", in("ecx") 0xc000_0100u32, in("eax") 0u32, in("edx") 0u32),
            7 => asm!("swapgs"),
            8 => asm!("sysret"),
            9 => asm!("sysenter"),
            10 => asm!(".byte 0xf1"), // icebp: #DB regardless of the gate's DPL
            11 => asm!("ud2"),
            12 => asm!("rdfsbase {}", out(reg) _),
            13 => asm!("wrgsbase {}", in(reg) 0u64),
            14 => asm!("invlpg [{}]", in(reg) 0x40_0000u64),
            15 => asm!("clts"),
            16 => asm!("int3"),
            17 => asm!("mov ss, {0:x}", in(reg) 0x13u16),
            19 => {
                // A write through the read-only mapping of the victim's
                // data page must fault.
                let p = super::world::RO_VIEW as *mut u64;
                p.add((arg & 511) as usize).write_volatile(arg);
                stats::anomaly(Anomaly::ReadOnlyWrite, arg & 511, 0, 0);
                return;
            }
            18 => {
                let base = &raw const fuzz_int_table as u64;
                asm!("call {}", in(reg) base + (arg & 0xff) * 4, clobber_abi("C"));
            }
            20..=24 => {
                let p = table.as_mut_ptr();
                match which {
                    20 => asm!("sgdt [{}]", in(reg) p),
                    21 => asm!("sidt [{}]", in(reg) p),
                    22 => asm!("sldt word ptr [{}]", in(reg) p),
                    23 => asm!("smsw word ptr [{}]", in(reg) p),
                    _ => asm!("str word ptr [{}]", in(reg) p),
                }
                if !has_umip() {
                    return;
                }
            }
            _ => {
                // TF set, then a system call: the single-step trap must come
                // to user mode (after `sysret`), never into the kernel.
                asm!(
                    "pushfq",
                    "or qword ptr [rsp], 0x100",
                    "popfq",
                    "syscall",
                    "pushfq",
                    "and qword ptr [rsp], ~0x100",
                    "popfq",
                    inout("rax") rampart_abi::Syscall::Null as u64 => _,
                    out("rcx") _,
                    out("r11") _,
                    lateout("rdi") _, lateout("rsi") _, lateout("rdx") _,
                    lateout("r8") _, lateout("r9") _, lateout("r10") _,
                );
                return;
            }
        }
    }
    stats::anomaly(Anomaly::NoFault, which, arg & 0xff, 0);
}

/// Scribbles over FPU and SSE state and the control words (valid values,
/// or reserved MXCSR bits that make `ldmxcsr` fault).
pub fn fpu(rng: &mut Rng) {
    bump(&stats::GAMES[12]);
    let junk = rng.next();
    let mxcsr = if rng.one_in(16) { rng.next() as u32 } else { (rng.next() as u32) & 0xffbf };
    let fcw = rng.next() as u16;
    // SAFETY: writes only SSE/x87 registers (declared clobbered) and the
    // control registers; the Rust code of the attacker does no floating
    // point, so odd rounding or masked exceptions do not matter to it. An
    // invalid MXCSR raises #GP before anything changes.
    unsafe {
        asm!(
            "movq xmm0, {j}", "movq xmm7, {j}", "movq xmm8, {j}", "movq xmm15, {j}",
            "ldmxcsr [{m}]",
            "fldcw [{f}]",
            j = in(reg) junk,
            m = in(reg) &raw const mxcsr,
            f = in(reg) &raw const fcw,
            out("xmm0") _, out("xmm7") _, out("xmm8") _, out("xmm15") _,
            options(nostack),
        );
    }
}
