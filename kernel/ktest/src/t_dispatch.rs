//! Syscall User Dispatch (`TcbSetSyscallDispatch`, docs/linux-abi.md) on
//! the real entry path: the root thread switches itself to foreign-ABI
//! mode with a native range holding only a small forwarding stub, then
//! - every runtime call it makes (all outside the range) reaches the stub,
//!   which re-issues it from inside the range: the registers the kernel
//!   hands over are exactly the ones of the original `syscall`;
//! - a raw `Send` on a notification from outside the range (Linux `close`
//!   has the same number) is not interpreted: the notification stays
//!   unsignalled, the stub sees `rax`, `rcx` = the return address and gets
//!   to answer in `rax`;
//! - bad ranges are refused and the mode turns off again.

use crate::harness::{Env, Test, TestResult};
use crate::{check, check_eq, expect_err, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::bootinfo::slot;
use rampart_abi::{Error, Rights, Syscall, USER_TOP};
use rampart_rt::cap::{Notification, Tcb};

/// The tests of this group.
pub const TESTS: &[Test] = &[test!(dispatch_bad_ranges_are_refused), test!(dispatch_redirects_foreign_syscalls)];

const ROOT_TCB: Tcb = Tcb(slot::TCB);

/// Set by the stub: 0 = forward the call natively, 1 = record it and return
/// -38 (ENOSYS) without making any system call.
#[unsafe(no_mangle)]
static DISPATCH_MODE: AtomicU64 = AtomicU64::new(0);
#[unsafe(no_mangle)]
static DISPATCH_FORWARDED: AtomicU64 = AtomicU64::new(0);
#[unsafe(no_mangle)]
static DISPATCH_SEEN_RAX: AtomicU64 = AtomicU64::new(0);
#[unsafe(no_mangle)]
static DISPATCH_SEEN_RCX: AtomicU64 = AtomicU64::new(0);
#[unsafe(no_mangle)]
static DISPATCH_RET: AtomicU64 = AtomicU64::new(0);

core::arch::global_asm!(
    r#"
    .section .text.dispatch_native, "ax"
    .balign 16
    .global dispatch_native_start
dispatch_native_start:
dispatch_stub:
    mov [rip + DISPATCH_RET], rcx
    cmp qword ptr [rip + DISPATCH_MODE], 0
    jne 1f
    lock inc qword ptr [rip + DISPATCH_FORWARDED]
    syscall
    jmp qword ptr [rip + DISPATCH_RET]
1:  mov [rip + DISPATCH_SEEN_RAX], rax
    mov [rip + DISPATCH_SEEN_RCX], rcx
    mov rax, -38
    jmp qword ptr [rip + DISPATCH_RET]
    .global dispatch_native_end
dispatch_native_end:
    .global dispatch_stub_entry
    .set dispatch_stub_entry, dispatch_stub

    .text
    /* A raw `syscall` outside the native range: rax = number, rdi = cptr.
       Returns rax and writes the return address it expects to rdx's slot. */
    .global dispatch_probe
dispatch_probe:
    mov rax, rdi
    mov rdi, rsi
    xor esi, esi
    lea rcx, [rip + 2f]
    mov [rdx], rcx
    syscall
2:  ret
"#
);

unsafe extern "C" {
    static dispatch_native_start: u8;
    static dispatch_native_end: u8;
    fn dispatch_stub_entry();
    fn dispatch_probe(n: u64, cptr: u64, ret_at: *mut u64) -> u64;
}

fn range() -> (u64, u64, u64) {
    (
        dispatch_stub_entry as *const () as u64,
        &raw const dispatch_native_start as u64,
        &raw const dispatch_native_end as u64,
    )
}

fn dispatch_bad_ranges_are_refused(_: &mut Env) -> TestResult {
    let (entry, lo, hi) = range();
    let t = ROOT_TCB;
    expect_err!(t.set_syscall_dispatch(USER_TOP, lo, hi), Error::InvalidArgument);
    expect_err!(t.set_syscall_dispatch(0xffff_ffff_8000_0000, lo, hi), Error::InvalidArgument);
    expect_err!(t.set_syscall_dispatch(entry, hi, lo), Error::InvalidArgument);
    expect_err!(t.set_syscall_dispatch(entry, 0, u64::MAX), Error::InvalidArgument);
    expect_err!(Tcb(slot::CNODE).set_syscall_dispatch(entry, lo, hi), Error::IllegalOperation);
    // Nothing was switched on: a native call from anywhere still works.
    check!(t.get_id().is_ok(), "root thread still native");
    Ok(())
}

fn dispatch_redirects_foreign_syscalls(env: &mut Env) -> TestResult {
    let (entry, lo, hi) = range();
    let plain = ok!(env.a.notification());
    // Badge 1: a signal through it leaves a non-zero word to poll.
    let n = Notification(ok!(env.a.mint(plain.0, Rights::ALL, 1)));
    let id = ok!(ROOT_TCB.get_id());
    DISPATCH_MODE.store(0, SeqCst);
    DISPATCH_FORWARDED.store(0, SeqCst);
    ok!(ROOT_TCB.set_syscall_dispatch(entry, lo, hi));
    // From here every system call of this thread goes through the stub.
    let id2 = ROOT_TCB.get_id();
    let fwd = DISPATCH_FORWARDED.load(SeqCst);
    // The probe: `Send` (3) on the notification, from outside the range.
    DISPATCH_MODE.store(1, SeqCst);
    let mut ret_at = 0u64;
    // SAFETY: `dispatch_probe` follows the C ABI; it writes one word
    // through the valid pointer and makes one `syscall`.
    let r = unsafe { dispatch_probe(Syscall::Send as u64, n.0, &mut ret_at) };
    let seen_send = (DISPATCH_SEEN_RAX.load(SeqCst), DISPATCH_SEEN_RCX.load(SeqCst));
    // `Null` (9, Linux `mmap`) has a shortcut in the entry stub: it must
    // reach the handler too.
    let mut ret_null = 0u64;
    // SAFETY: as above.
    let r_null = unsafe { dispatch_probe(Syscall::Null as u64, 0, &mut ret_null) };
    let seen_null = (DISPATCH_SEEN_RAX.load(SeqCst), DISPATCH_SEEN_RCX.load(SeqCst));
    DISPATCH_MODE.store(0, SeqCst);
    let polled = n.poll();
    let off = ROOT_TCB.set_syscall_dispatch(0, 0, 0);
    let fwd_after = DISPATCH_FORWARDED.load(SeqCst);
    // Back to native: this call does not go through the stub.
    check!(ROOT_TCB.get_id().is_ok(), "native again");
    check_eq!(DISPATCH_FORWARDED.load(SeqCst), fwd_after, "no forwarding after the mode is off");
    check_eq!(off, Ok(()), "turning the mode off (itself forwarded)");
    check_eq!(id2, Ok(id), "a forwarded invocation gets the same answer");
    check!(fwd >= 1, "the runtime's call went through the stub");
    check_eq!(r as i64, -38, "the stub answered the foreign call");
    check_eq!(seen_send, (Syscall::Send as u64, ret_at), "rax as the program left it, rcx = the return address");
    check_eq!(polled, 0, "the Send from outside the range was not interpreted");
    check_eq!(r_null as i64, -38, "Null from outside the range reached the handler");
    check_eq!(seen_null, (Syscall::Null as u64, ret_null), "Null: rax and rcx at the handler");
    // Control: the same probe without the mode signals the notification.
    // SAFETY: as above.
    let _ = unsafe { dispatch_probe(Syscall::Send as u64, n.0, &mut ret_at) };
    check!(n.poll() != 0, "the same Send from native mode signals");
    Ok(())
}
