//! Freestanding runtime symbols for Rampart's kernel and user programs.
//!
//! On `x86_64-unknown-linux-gnu`, `compiler_builtins` does not export
//! `memcpy`, `memmove`, `memset`, `memcmp` and `bcmp` (they come from libc),
//! and the precompiled `core` references `rust_eh_personality` even with
//! `panic = "abort"`. A freestanding binary links no libc, so this crate
//! provides them (docs/architecture.md, "Workspace and toolchain").
//!
//! Design: the crate is `#![no_builtins]` so the compiler cannot turn the
//! byte loops below back into calls to the very functions they implement.
//! Copies and fills use `rep movsq`/`rep stosq` (and `rep movsb`/`rep stosb`
//! for tails and backward moves), which use no SSE/x87
//! registers (the kernel text must stay free of them) and are fast on every
//! CPU with ERMSB.
//!
//! Trust: every function has the C library's contract; callers (compiler-
//! generated code) guarantee valid, non-null pointers for `n` bytes.
//!
//! Bulk work uses the 8-byte forms (`rep movsq`/`rep stosq`) and the byte
//! forms only for the tail: the same speed on CPUs with fast string
//! operations, and 8 times fewer repetitions where each one is counted (the
//! instruction-exact measurements under QEMU `-icount`).
#![no_std]
#![no_builtins]
// `memcpy` and friends are raw-pointer functions by definition (and
// `#[no_mangle]`, which the `unsafe_code` lint counts as unsafe).
#![allow(unsafe_code)]

use core::arch::asm;

/// Copies `n` bytes from `src` to `dest`; the regions must not overlap.
/// Returns `dest`.
///
/// # Safety
/// `src` must be readable and `dest` writable for `n` bytes (C `memcpy`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both ranges are valid for `n` bytes;
    // `rep movsq` copies the `n / 8` whole words forward, then `rep movsb`
    // the `n % 8` remaining bytes; no other memory is touched.
    unsafe {
        asm!(
            "rep movsq",
            "mov rcx, {tail}",
            "rep movsb",
            tail = in(reg) n % 8,
            inout("rcx") n / 8 => _,
            inout("rdi") dest => _,
            inout("rsi") src => _,
            options(nostack, preserves_flags)
        );
    }
    dest
}

/// Copies `n` bytes from `src` to `dest`; the regions may overlap.
/// Returns `dest`.
///
/// # Safety
/// `src` must be readable and `dest` writable for `n` bytes (C `memmove`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize).wrapping_sub(src as usize) >= n {
        // Forward copy is safe: dest is below src or the regions are disjoint.
        // SAFETY: same contract as `memcpy`, forward order preserves overlap.
        unsafe { memcpy(dest, src, n) }
    } else {
        // Backward copy with the direction flag set, restored afterwards.
        // SAFETY: the caller guarantees validity for `n` bytes; we start at the
        // last byte of each range and `std`/`cld` bracket the copy.
        unsafe {
            asm!(
                "std",
                "rep movsb",
                "cld",
                inout("rcx") n => _,
                inout("rdi") dest.add(n - 1) => _,
                inout("rsi") src.add(n - 1) => _,
                options(nostack)
            );
        }
        dest
    }
}

/// Fills `n` bytes at `dest` with the low byte of `c`. Returns `dest`.
///
/// # Safety
/// `dest` must be writable for `n` bytes (C `memset`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    let byte = u64::from(c as u8);
    // SAFETY: the caller guarantees `dest` is writable for `n` bytes; `rep
    // stosq` fills the `n / 8` whole words with the byte replicated, then
    // `rep stosb` the `n % 8` remaining bytes.
    unsafe {
        asm!(
            "rep stosq",
            "mov rcx, {tail}",
            "rep stosb",
            tail = in(reg) n % 8,
            inout("rcx") n / 8 => _,
            inout("rdi") dest => _,
            in("rax") byte * 0x0101_0101_0101_0101,
            options(nostack, preserves_flags)
        );
    }
    dest
}

/// Compares `n` bytes; returns <0, 0 or >0 as the first differing byte of
/// `a` is less than, equal to or greater than that of `b` (C `memcmp`).
///
/// # Safety
/// Both pointers must be readable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: `i < n` and the caller guarantees `n` readable bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// Returns 0 if the `n` bytes are equal, non-zero otherwise (C `bcmp`).
///
/// # Safety
/// Both pointers must be readable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as `memcmp`.
    unsafe { memcmp(a, b, n) }
}

/// Personality routine referenced by the precompiled `core`; never called
/// because every Rampart binary is built with `panic = "abort"`.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

/// Unwinder entry referenced by the landing pads of the precompiled
/// `alloc` (e.g. `alloc::fmt::format`); never called because every Rampart
/// binary is built with `panic = "abort"`. Should it ever be reached, it
/// stops the thread with an invalid-opcode fault.
#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Resume() -> ! {
    // SAFETY: `ud2` raises #UD and touches no memory.
    unsafe { core::arch::asm!("ud2", options(noreturn, nomem, nostack)) }
}
