//! `linux --fuzz N [SEED]`: N random Linux system calls from code outside
//! the shim's native range, with hostile arguments (wild, kernel-half,
//! unaligned and huge pointers and lengths, bad descriptors), through the
//! real kernel redirect and handler. The process must survive every call
//! with an error code; it then prints `linux-fuzz: N calls, ... survived`.
//!
//! Calls that would end the process or take away what the fuzzer itself
//! runs on are left out (and only those): exiting, signals, forking and
//! waiting (a forked fuzzer has no native stack to return to), its code page
//! and stack (`munmap`, `mmap`, `mremap`, `mprotect`, `brk`), its FS base
//! (`arch_prctl`), its terminal descriptors (`close`, `dup2`, `dup3`),
//! blocking reads of the terminal, setting the terminal's mode or
//! foreground group, and removing files. `poll`, `ppoll`, `select` and
//! `pselect6` run with a zero timeout.

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
    // The process model (tests/tests/linux_proc.rs): a fork of the fuzzer
    // resumes in a child without the fuzzer's native stack; wait4 and
    // rt_sigsuspend block on such children by definition.
    nr::FORK,
    nr::VFORK,
    nr::CLONE,
    nr::WAIT4,
    nr::RT_SIGSUSPEND,
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
    let zero_time = [0u64; 2];
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
        let mut regs = [
            num,
            values(next(), own),
            values(next(), own),
            values(next(), own),
            values(next(), own),
            values(next(), own),
            values(next(), own),
        ];
        // The waits get hostile descriptors and sets but never wait: a
        // zero timeout (poll's `int`; a zeroed timespec or timeval).
        match num {
            nr::POLL => regs[3] = 0,
            nr::PPOLL => regs[3] = zero_time.as_ptr() as u64,
            nr::SELECT | nr::PSELECT6 => regs[5] = zero_time.as_ptr() as u64,
            // Setting the terminal's mode or foreground group takes the
            // terminal from the session that runs the fuzzer.
            nr::IOCTL if [0x5402, 0x5403, 0x5404, 0x5410].contains(&regs[2]) => continue,
            _ => {}
        }
        let res = stub(regs.as_ptr());
        calls += 1;
        if (res as i64) < 0 && (res as i64) >= -4095 {
            errors += 1;
        }
    }
    println!("linux-fuzz: {calls} calls, {errors} errors, the process survived");
    0
}

/// A read-write page for the checks' buffers.
const CHECK_DATA: u64 = 0x13_0000;

/// `linux --check-proc`: the process calls as an attacker makes them,
/// from Linux code (the stub), each with the answer Linux gives: `wait4`
/// for no child, for init and for itself (`ECHILD`), unknown options
/// (`EINVAL`); `kill` of init (refused by rm), of every process (`EPERM`),
/// a bad signal (`EINVAL`); threads (`ENOSYS`); `execve` of a missing file
/// (`ENOENT`) and from a kernel pointer (`EFAULT`); `rt_sigsuspend` with a
/// bad size (`EINVAL`). Then rm's side of fork: a `Spawn::fork` naming a
/// context, or without a sealed image, is `EINVAL` (a fork never changes
/// domain). Prints `linux-proc-check: N of M as expected` and each miss.
pub fn checks() -> i32 {
    for (at, prot) in [(STUB, PROT_READ | PROT_EXEC), (CHECK_DATA, PROT_READ | rampart_linux_abi::range::PROT_WRITE)] {
        if let Err(e) = crate::mem::map_fixed(at, 4096, prot) {
            rampart_libos::eprintln!("linux-proc-check: cannot map: errno {e}");
            return 1;
        }
    }
    // SAFETY: both pages were just mapped writable for us.
    unsafe {
        core::ptr::copy_nonoverlapping(CODE.as_ptr(), STUB as *mut u8, CODE.len());
        core::ptr::copy_nonoverlapping(c"/nonexistent-lp".as_ptr().cast::<u8>(), CHECK_DATA as *mut u8, 16);
        *((CHECK_DATA + 64) as *mut [u64; 2]) = [CHECK_DATA, 0];
    }
    crate::entry::enter_dispatch_mode();
    // SAFETY: as in `run`.
    let stub: extern "C" fn(*const u64) -> u64 = unsafe { core::mem::transmute(STUB as *const ()) };
    let pid = crate::misc::pid();
    let buf = CHECK_DATA + 512;
    let kernel = 0xffff_8000_0000_0000u64;
    let neg = |e: i32| (-(e as i64)) as u64;
    use rampart_linux_abi::errno::*;
    let cases: &[(&str, [u64; 7], &[i32])] = &[
        ("wait4 without children", [nr::WAIT4, u64::MAX, buf, 1, 0, 0, 0], &[ECHILD]),
        ("wait4 of init", [nr::WAIT4, 1, buf, 0, 0, 0, 0], &[ECHILD]),
        ("wait4 of itself", [nr::WAIT4, pid, buf, 0, 0, 0, 0], &[ECHILD]),
        ("wait4 with unknown options", [nr::WAIT4, u64::MAX, buf, 0x1000, 0, 0, 0], &[EINVAL]),
        ("kill of init", [nr::KILL, 1, 9, 0, 0, 0, 0], &[EPERM, ESRCH]),
        ("kill of every process", [nr::KILL, u64::MAX, 9, 0, 0, 0, 0], &[EPERM]),
        ("kill with signal 99", [nr::KILL, pid, 99, 0, 0, 0, 0], &[EINVAL]),
        ("clone of a thread", [nr::CLONE, 0x1_0f00, 0, 0, 0, 0, 0], &[ENOSYS]),
        ("execve of a missing file", [nr::EXECVE, CHECK_DATA, CHECK_DATA + 64, 0, 0, 0, 0], &[ENOENT]),
        ("execve from a kernel pointer", [nr::EXECVE, kernel, CHECK_DATA + 64, 0, 0, 0, 0], &[EFAULT]),
        ("rt_sigsuspend with size 4", [nr::RT_SIGSUSPEND, buf, 4, 0, 0, 0, 0], &[EINVAL]),
    ];
    let mut ok = 0;
    let mut total = 0;
    for (what, regs, want) in cases {
        let r = stub(regs.as_ptr());
        total += 1;
        if want.iter().any(|&e| r == neg(e)) {
            ok += 1;
        } else {
            println!("linux-proc-check: {what}: got {:#x}, want -{want:?}", r);
        }
    }
    // rm: a fork names no context and needs a sealed image.
    let forks = [
        rampart_rm_api::Spawn {
            image: Some(rampart_rm_api::Image::Sealed { token: 1 }),
            argv: alloc::vec!["linux".into()],
            fork: true,
            context: Some("system_u:system_r:secsrv_t:s0".into()),
            ..Default::default()
        },
        rampart_rm_api::Spawn {
            image: Some(rampart_rm_api::Image::Bootfs("linux".into())),
            argv: alloc::vec!["linux".into()],
            fork: true,
            ..Default::default()
        },
    ];
    for (i, req) in forks.into_iter().enumerate() {
        total += 1;
        match rampart_libos::rampart_rt::rm::spawn(req) {
            Err(rampart_uabi::Errno::EINVAL) => ok += 1,
            r => println!("linux-proc-check: rm fork request {i}: {r:?}, want EINVAL"),
        }
    }
    println!("linux-proc-check: {ok} of {total} as expected");
    i32::from(ok != total)
}
