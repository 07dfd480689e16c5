//! `linux --fuzz N [SEED]`: N random Linux system calls from code outside
//! the shim's native range, with hostile arguments (wild, kernel-half,
//! unaligned and huge pointers and lengths, bad descriptors), through the
//! real kernel redirect and handler. The process must survive every call
//! with an error code; it then prints `linux-fuzz: N calls, ... survived`.
//!
//! Calls that would end the process or take away what the fuzzer itself
//! runs on are left out (and only those): exiting, signals, its code page
//! and stack (`munmap`, `mmap`, `mremap`, `mprotect`, `brk`), its FS base
//! (`arch_prctl`), its terminal descriptors (`close`, `dup2`, `dup3`),
//! blocking reads of the terminal, and removing files.

use rampart_libos::println;
use rampart_linux_abi::nr;
use rampart_linux_abi::range::{PROT_EXEC, PROT_READ};

const STUB: u64 = 0x11_0000;

/// `u64 stub(u64 *regs)`: loads rax, rdi, rsi, rdx, r10, r8, r9 from
/// `regs[0..7]`, makes one `syscall`, returns rax.
const CODE: [u8; 37] = [
    0x49, 0x89, 0xfb, // mov r11, rdi
    0x49, 0x8b, 0x03, // mov rax, [r11]
    0x49, 0x8b, 0x7b, 0x08, // mov rdi, [r11+8]
    0x49, 0x8b, 0x73, 0x10, // mov rsi, [r11+16]
    0x49, 0x8b, 0x53, 0x18, // mov rdx, [r11+24]
    0x4d, 0x8b, 0x53, 0x20, // mov r10, [r11+32]
    0x4d, 0x8b, 0x43, 0x28, // mov r8, [r11+40]
    0x4d, 0x8b, 0x4b, 0x30, // mov r9, [r11+48]
    0x0f, 0x05, // syscall
    0xc3, // ret
    0x90, 0x90, 0x90, 0x90,
];

const SKIP: &[u64] = &[
    nr::EXIT,
    nr::EXIT_GROUP,
    nr::READ,
    nr::READV,
    nr::PREAD64,
    nr::CLOSE,
    nr::DUP2,
    nr::DUP3,
    nr::MMAP,
    nr::MUNMAP,
    nr::MREMAP,
    nr::MPROTECT,
    nr::BRK,
    nr::ARCH_PRCTL,
    nr::KILL,
    nr::TKILL,
    nr::TGKILL,
    nr::RT_SIGRETURN,
    nr::PAUSE,
    nr::UNLINK,
    nr::UNLINKAT,
    nr::RMDIR,
    nr::RENAME,
    nr::RENAMEAT,
    nr::RENAMEAT2,
    nr::FCNTL,
    nr::WRITE,
    nr::WRITEV,
    nr::PWRITE64,
];

/// Runs the fuzzer; the status is 0 if it got through every call.
pub fn run(n: u64, seed: u64) -> i32 {
    if let Err(e) = crate::mem::map_fixed(STUB, 4096, PROT_READ | PROT_EXEC) {
        rampart_libos::eprintln!("linux-fuzz: cannot map the stub: errno {e}");
        return 1;
    }
    // SAFETY: the page was just mapped writable (and executable) for us.
    unsafe { core::ptr::copy_nonoverlapping(CODE.as_ptr(), STUB as *mut u8, CODE.len()) };
    crate::entry::enter_dispatch_mode();
    // SAFETY: the stub follows the C ABI (rdi in, rax out); it clobbers
    // only caller-saved registers (rax, rcx, rdx, rsi, rdi, r8-r11).
    let stub: extern "C" fn(*const u64) -> u64 = unsafe { core::mem::transmute(STUB as *const ()) };
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let stack_probe = 0u64;
    let values = |r: u64, own: u64| -> u64 {
        match r % 16 {
            0 => 0,
            1 => u64::MAX,
            2 => r >> 40,
            3 => 0xffff_8000_0000_0000 + (r & 0xfff_ffff),
            4 => 0x0000_8000_0000_0000 - (r & 0xff),
            5 => 0x40_0000 + (r & 0xf_ffff),
            6 => own,
            7 => STUB + (r & 0xfff),
            8 => 1 << (r % 64),
            9 => 0x7000_0000 + (r & 0xffff), // the shim's own text and data
            10 => (r & 0xff) as i64 as u64 - 100,
            11 => 4096,
            12 => 3,
            _ => r,
        }
    };
    let (mut calls, mut errors) = (0u64, 0u64);
    while calls < n {
        let r = next();
        let num = r % 460;
        if SKIP.contains(&num) {
            continue;
        }
        let own = &stack_probe as *const u64 as u64;
        let regs = [
            num,
            values(next(), own),
            values(next(), own),
            values(next(), own),
            values(next(), own),
            values(next(), own),
            values(next(), own),
        ];
        let res = stub(regs.as_ptr());
        calls += 1;
        if (res as i64) < 0 && (res as i64) >= -4095 {
            errors += 1;
        }
    }
    println!("linux-fuzz: {calls} calls, {errors} errors, the process survived");
    0
}
