//! `linux --bench-getppid`: the cost of one Linux system call round trip
//! through the personality (docs/performance.md, "Linux personality").
//!
//! A 39-byte stub is written into an executable page of the foreign
//! window — outside the shim's native range, so its `syscall` is a Linux
//! one — and loops `getppid` (110) N times between two `rdtsc`s. Under
//! `-icount shift=0` the TSC counts instructions, so the result is the
//! instructions per round trip: kernel entry, the redirect, the handler's
//! entry and exit (register and SSE save, stack switch), the answer, and
//! the `iretq` back, plus the stub's 3 loop instructions.

use rampart_libos::println;
use rampart_linux_abi::range::{PROT_EXEC, PROT_READ};

/// Where the stub goes (inside the foreign window, below any program).
const STUB: u64 = 0x10_0000;

/// `u64 stub(u64 iterations)`: TSC ticks for `iterations` getppid calls.
const CODE: [u8; 39] = [
    0x53, // push rbx
    0x0f, 0x31, // rdtsc
    0x48, 0xc1, 0xe2, 0x20, // shl rdx, 32
    0x48, 0x09, 0xd0, // or rax, rdx
    0x49, 0x89, 0xc0, // mov r8, rax
    0xb8, 0x6e, 0x00, 0x00, 0x00, // 1: mov eax, 110 (getppid)
    0x0f, 0x05, // syscall
    0x48, 0xff, 0xcf, // dec rdi
    0x75, 0xf4, // jnz 1b
    0x0f, 0x31, // rdtsc
    0x48, 0xc1, 0xe2, 0x20, // shl rdx, 32
    0x48, 0x09, 0xd0, // or rax, rdx
    0x4c, 0x29, 0xc0, // sub rax, r8
    0x5b, // pop rbx
    0xc3, // ret
];

/// Runs the benchmark and prints
/// `linux-bench: getppid median=M min=A max=B (instructions per call)`.
pub fn run() -> i32 {
    if let Err(e) = crate::mem::map_fixed(STUB, 4096, PROT_READ | PROT_EXEC) {
        rampart_libos::eprintln!("linux-bench: cannot map the stub: errno {e}");
        return 1;
    }
    // SAFETY: the page was just mapped writable (and executable) for us.
    unsafe { core::ptr::copy_nonoverlapping(CODE.as_ptr(), STUB as *mut u8, CODE.len()) };
    crate::entry::enter_dispatch_mode();
    // SAFETY: the stub follows the C ABI (rdi in, rax out; it saves rbx,
    // clobbers rdx, rcx, r8, r11 — all caller-saved).
    let stub: extern "C" fn(u64) -> u64 = unsafe { core::mem::transmute(STUB as *const ()) };
    const N: u64 = 1000;
    let mut runs = [0u64; 15];
    for r in runs.iter_mut() {
        *r = stub(N) / N;
    }
    let ppid = crate::misc::ppid();
    runs.sort_unstable();
    println!(
        "linux-bench: getppid median={} min={} max={} (instructions per call; ppid {ppid})",
        runs[runs.len() / 2],
        runs[0],
        runs[runs.len() - 1]
    );
    0
}
