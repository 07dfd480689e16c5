//! Eager FPU/SSE/AVX state switching between user threads.
//!
//! The kernel itself never touches FPU registers (its text is checked to
//! contain no SSE/x87 instructions), so user state stays live in the CPU
//! while the kernel runs; it is saved and restored only when the CPU
//! switches to a different user thread. XSAVE is used when available (with
//! the components enabled in XCR0), FXSAVE otherwise. Areas are 1 KiB, 64-byte
//! aligned, inside each TCB.

use core::arch::asm;

static mut XSAVE: bool = false;
static mut XCR0: u64 = 0b11;

/// Records the CPU's save mechanism (once, at boot).
pub fn init(xsave: bool, xcr0: u64) {
    // SAFETY: single-threaded boot.
    unsafe {
        XSAVE = xsave;
        XCR0 = xcr0;
    }
}

/// Saves the current FPU state into the area at virtual address `area`.
///
/// # Safety
/// `area` must be a 64-byte-aligned, writable 1 KiB XSAVE area.
pub unsafe fn save(area: u64) {
    // SAFETY: guaranteed by the caller; XSAVE/XCR0 set at boot.
    unsafe {
        if XSAVE {
            asm!("xsave64 [{}]", in(reg) area, in("eax") XCR0 as u32, in("edx") (XCR0 >> 32) as u32, options(nostack));
        } else {
            asm!("fxsave64 [{}]", in(reg) area, options(nostack));
        }
    }
}

/// Loads the FPU state from the area at virtual address `area`.
///
/// # Safety
/// `area` must hold a state saved by [`save`] or initialised by
/// [`init_area`].
pub unsafe fn restore(area: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        if XSAVE {
            asm!("xrstor64 [{}]", in(reg) area, in("eax") XCR0 as u32, in("edx") (XCR0 >> 32) as u32, options(nostack));
        } else {
            asm!("fxrstor64 [{}]", in(reg) area, options(nostack));
        }
    }
}

/// Writes the initial state into a zeroed area at virtual address `area`:
/// x87 control word 0x37f, MXCSR 0x1f80, XSAVE header "all components in
/// their initial state".
///
/// # Safety
/// `area` must be a writable 1 KiB area.
pub unsafe fn init_area(area: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        core::ptr::write_bytes(area as *mut u8, 0, 1024);
        core::ptr::write_volatile(area as *mut u16, 0x037f);
        core::ptr::write_volatile((area + 24) as *mut u32, 0x1f80);
    }
}
