//! The victim: a server in its own address space that answers requests on
//! its endpoint with `ReplyRecv` while the attackers play, and checks on
//! every request that nothing of its own state was disturbed.
//!
//! It checks what an attacker could only reach through a kernel bug: its
//! FS base (`fs:[0]` must be its own thread block) on every request and
//! after every wait, the callee-saved registers and `xmm15` across the
//! system call, MXCSR and the x87 control word, RFLAGS, a canary on its
//! stack, its thread block, its data page (of which an attacker holds a
//! read-only capability) and the badges and capabilities of requests.
//! A finding is counted ([`super::stats::disturbed`]) and the state
//! repaired, so each count is a new disturbance. It never uses the
//! runtime's FS-relative thread block.
//!
//! Segment selectors follow the kernel's contract (docs/kernel.md, "Segment
//! state"): they carry no authority, the IPC fast path may hand a callee
//! its caller's selectors (counted in
//! [`super::stats::SELECTORS_CARRIED`], not a disturbance), and every
//! switch by the scheduler leaves the thread it switches to null
//! selectors. So the victim nulls its selectors before it waits or yields
//! and must find them null afterwards.
//!
//! Requests (message labels): [`ECHO`] answers at once with every message
//! word XOR-ed with [`mask`]; [`WAIT`] first waits on the doorbell
//! notification, [`YIELD`] yields up to four times, [`SPIN`] spins; the
//! reply label is the request's with [`REPLY_FLAG`]. Anything else gets
//! [`BAD_REQUEST`].

use super::stats::{self, Disturbance as D, disturbed};
use super::world::{V_DOORBELL, V_EP, V_REPLY, V_TCB, VICTIM_BADGES, VICTIM_DATA, VICTIM_REGION, ipc_addr, tls_addr};
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::ipc_buffer::IpcBuffer;
use rampart_abi::{Label, MessageInfo, Syscall};
use rampart_rt::syscall::{IpcResult, raw};

/// Request kinds.
pub const ECHO: u64 = 0x4e0;
/// See [`ECHO`].
pub const WAIT: u64 = 0x4e1;
/// See [`ECHO`].
pub const YIELD: u64 = 0x4e2;
/// See [`ECHO`].
pub const SPIN: u64 = 0x4e3;
/// Set in the label of every answer.
pub const REPLY_FLAG: u64 = 0x1000;
/// Label of the answer to an unknown request.
pub const BAD_REQUEST: u64 = 0xbad;
/// Longest request the victim answers word by word.
pub const MAX_WORDS: usize = 16;

/// Set once the victim waits for its first request.
pub static READY: AtomicU64 = AtomicU64::new(0);
/// 1 while the victim handles a request.
pub static BUSY: AtomicU64 = AtomicU64::new(0);
/// Times the victim (re)started in this round.
pub static STARTS: AtomicU64 = AtomicU64::new(0);

/// The word the victim XORs into message word `i` of an answer.
pub const fn mask(i: usize) -> u64 {
    0x5a5a_0000_0000_0000 | (i as u64 * 0x0101)
}

/// Word `i` of the data page's pattern.
const fn data_word(i: u64) -> u64 {
    0xda7a_0000_0000_0000 ^ i.wrapping_mul(0x9e37_79b9)
}

/// Marker in the thread block after the three words the runtime uses.
const BLOCK_MAGIC: u64 = 0x7e55_b10c;
const STACK_CANARY: u64 = 0xca11_ab1e_5afe_0000;

/// The FPU control state the victim expects to find on every request.
struct Baseline {
    mxcsr: u32,
    fcw: u16,
}

/// Reads DS, ES, FS, GS.
fn selectors() -> [u16; 4] {
    let (ds, es, fs, gs): (u16, u16, u16, u16);
    // SAFETY: reading segment selectors has no side effects.
    unsafe {
        asm!("mov {0:x}, ds", "mov {1:x}, es", "mov {2:x}, fs", "mov {3:x}, gs",
            out(reg) ds, out(reg) es, out(reg) fs, out(reg) gs, options(nomem, nostack, preserves_flags));
    }
    [ds, es, fs, gs]
}

/// Loads selector `v` into DS, ES, FS or GS (`which` 0..=3).
fn load_selector(which: usize, v: u16) {
    // SAFETY: the victim only loads values it read from the register
    // before (or 0), which are valid; the load changes no memory.
    unsafe {
        match which {
            0 => asm!("mov ds, {0:x}", in(reg) v, options(nomem, nostack, preserves_flags)),
            1 => asm!("mov es, {0:x}", in(reg) v, options(nomem, nostack, preserves_flags)),
            2 => asm!("mov fs, {0:x}", in(reg) v, options(nomem, nostack, preserves_flags)),
            _ => asm!("mov gs, {0:x}", in(reg) v, options(nomem, nostack, preserves_flags)),
        }
    }
}

fn fpu_control() -> (u32, u16) {
    let (mut mxcsr, mut fcw) = (0u32, 0u16);
    // SAFETY: both instructions store into the local variables only.
    unsafe {
        asm!("stmxcsr [{0}]", "fnstcw [{1}]", in(reg) &raw mut mxcsr, in(reg) &raw mut fcw, options(nostack, preserves_flags));
    }
    (mxcsr, fcw)
}

fn set_fpu_control(mxcsr: u32, fcw: u16) {
    // SAFETY: restores values read from the registers at start-up.
    unsafe {
        asm!("ldmxcsr [{0}]", "fldcw [{1}]", in(reg) &raw const mxcsr, in(reg) &raw const fcw, options(nostack, preserves_flags));
    }
}

fn peek(addr: u64) -> u64 {
    // SAFETY: only called for addresses of the victim's own mapped pages
    // (thread block, IPC buffer, data page).
    unsafe { (addr as *const u64).read_volatile() }
}

fn poke(addr: u64, v: u64) {
    // SAFETY: as `peek`; these pages are mapped writable in the victim.
    unsafe { (addr as *mut u64).write_volatile(v) }
}

/// `fs:[0]`: faults (reported to ktest) if the FS base is unmapped.
fn fs_word0() -> u64 {
    let v: u64;
    // SAFETY: an FS-relative load; with an intact FS base it reads the
    // thread block's self pointer.
    unsafe { asm!("mov {}, qword ptr fs:[0]", out(reg) v, options(nostack, readonly, preserves_flags)) };
    v
}

/// A register-only invocation of the victim's own TCB.
fn own_tcb(label: Label, arg: u64) {
    raw(Syscall::Call, V_TCB, MessageInfo::new(label as u64, 0, 0, 1), [arg, 0, 0, 0], 0);
}

/// Points the hardware FS base at the thread block again: two different
/// values, so that a kernel caching the last value written must write.
fn resync_fs() {
    own_tcb(Label::TcbSetTlsBase, tls_addr(VICTIM_REGION) + 8);
    own_tcb(Label::TcbSetTlsBase, tls_addr(VICTIM_REGION));
}

/// The IPC system call with callee-saved registers and `xmm15` set to
/// patterns derived from `pat`; returns the result, a non-zero word if any
/// of them changed, and RFLAGS after the call.
fn checked(n: Syscall, info: MessageInfo, mrs: [u64; 4], pat: u64) -> (IpcResult, u64, u64) {
    let (badge, info_out, m0, m1, m2, m3, diff, flags);
    // SAFETY: rbx and rbp are saved and restored around the call on the
    // stack (the block is not `nostack`); r13-r15, xmm15, rcx, r11 and rax
    // are declared clobbered; the kernel preserves everything else.
    unsafe {
        asm!(
            "push rbp",
            "push rbx",
            "push rcx",
            "mov rbx, rcx",
            "lea rbp, [rcx + 1]",
            "lea r13, [rcx + 2]",
            "lea r14, [rcx + 3]",
            "lea r15, [rcx + 4]",
            "movq xmm15, rcx",
            "syscall",
            "mov rcx, [rsp]",
            "xor rbx, rcx",
            "lea r11, [rcx + 1]", "xor rbp, r11", "or rbx, rbp",
            "lea r11, [rcx + 2]", "xor r13, r11", "or rbx, r13",
            "lea r11, [rcx + 3]", "xor r14, r11", "or rbx, r14",
            "lea r11, [rcx + 4]", "xor r15, r11", "or rbx, r15",
            "movq r11, xmm15", "xor r11, rcx", "or rbx, r11",
            "mov r11, rbx",
            "pushfq",
            "pop rax",
            "pop rcx",
            "pop rbx",
            "pop rbp",
            inout("rax") n as u64 => flags,
            inout("rcx") pat => _,
            inout("rdi") V_EP => badge,
            inout("rsi") info.0 => info_out,
            inout("rdx") mrs[0] => m0,
            inout("r8") mrs[1] => m1,
            inout("r9") mrs[2] => m2,
            inout("r10") mrs[3] => m3,
            in("r12") V_REPLY,
            lateout("r11") diff,
            out("r13") _,
            out("r14") _,
            out("r15") _,
            out("xmm15") _,
        );
    }
    (IpcResult { badge, info: MessageInfo(info_out), mrs: [m0, m1, m2, m3] }, diff, flags)
}

fn fill_data_page() {
    for i in 0..512 {
        poke(VICTIM_DATA + 8 * i, data_word(i));
    }
}

/// Checks the data page (all of it if `full`, else the words a kernel
/// would write if the page were used as an IPC buffer); repairs it.
fn check_data_page(full: bool) {
    let mut bad = None;
    if full {
        bad = (0..512).find(|&i| peek(VICTIM_DATA + 8 * i) != data_word(i));
    } else {
        let offs =
            [IpcBuffer::MSG_OFFSET as u64 + 32, IpcBuffer::MSG_OFFSET as u64 + 8 * 19, IpcBuffer::CAPS_OFFSET as u64];
        'blocks: for blk in 0..4u64 {
            for o in offs {
                let i = (blk * 1024 + o) / 8;
                if peek(VICTIM_DATA + 8 * i) != data_word(i) {
                    bad = Some(i);
                    break 'blocks;
                }
            }
        }
    }
    if let Some(i) = bad {
        disturbed(D::DataPage, 8 * i, peek(VICTIM_DATA + 8 * i), data_word(i));
        fill_data_page();
    }
}

/// Checks `fs:[0]` (an FS base of 0 makes the load fault, which ktest
/// reports).
fn check_fs_base() {
    let tls = tls_addr(VICTIM_REGION);
    let got = fs_word0();
    if got != tls {
        disturbed(D::FsBase, got, tls, 0);
        resync_fs();
    }
}

/// Loads null into every selector that is not (then points the FS base
/// back at the thread block if FS was reloaded: that clears the base).
fn null_selectors() {
    let sel = selectors();
    for (i, s) in sel.iter().enumerate() {
        if *s != 0 {
            load_selector(i, 0);
        }
    }
    if sel[2] != 0 {
        resync_fs();
    }
}

/// After a wait or yield (with null selectors before): the selectors must
/// be null and the FS base intact.
fn check_after_switch() {
    let sel = selectors();
    let kinds = [D::DsSelector, D::EsSelector, D::FsSelector, D::GsSelector];
    for i in 0..4 {
        if sel[i] != 0 {
            disturbed(kinds[i], u64::from(sel[i]), 0, 0);
        }
    }
    null_selectors();
    check_fs_base();
}

/// Everything the victim checks on a request.
fn check(base: &Baseline, r: &IpcResult, diff: u64, flags: u64, canary: &mut [u64; 4], answers: u64) {
    if diff != 0 {
        disturbed(D::Registers, diff, 0, 0);
    }
    if flags & (0x400 | 0x4_0000 | 0x100) != 0 {
        disturbed(D::Flags, flags, 0, 0);
        // SAFETY: clears the direction and alignment-check flags; TF cannot
        // be cleared from user mode without popf, which the next line does.
        unsafe { asm!("cld", "pushfq", "and qword ptr [rsp], ~0x40100", "popfq") };
    }
    check_fs_base();
    if selectors() != [0; 4] {
        stats::bump(&stats::SELECTORS_CARRIED);
    }
    let tls = tls_addr(VICTIM_REGION);
    let block = [tls, ipc_addr(VICTIM_REGION), V_TCB, BLOCK_MAGIC];
    for (i, want) in block.iter().enumerate() {
        let v = peek(tls + 8 * i as u64);
        if v != *want {
            disturbed(D::ThreadBlock, i as u64, v, *want);
            poke(tls + 8 * i as u64, *want);
        }
    }
    let (mxcsr, fcw) = fpu_control();
    if (mxcsr, fcw) != (base.mxcsr, base.fcw) {
        disturbed(D::FpuControl, u64::from(mxcsr), u64::from(fcw), 0);
        set_fpu_control(base.mxcsr, base.fcw);
    }
    for (i, c) in canary.iter_mut().enumerate() {
        // SAFETY: a volatile read of a local, so the compiler cannot assume
        // its value.
        let v = unsafe { core::ptr::read_volatile(c) };
        if v != STACK_CANARY + i as u64 {
            disturbed(D::Stack, i as u64, v, 0);
            // SAFETY: a volatile write to a local.
            unsafe { core::ptr::write_volatile(c, STACK_CANARY + i as u64) };
        }
    }
    check_data_page(answers.is_multiple_of(256));
    let info = r.info;
    if !VICTIM_BADGES.contains(&r.badge) || info.extra_caps() != 0 || info.caps_unwrapped() != 0 {
        disturbed(D::Message, r.badge, info.0, 0);
    }
}

/// The answer to request `r`.
fn handle(r: &IpcResult) -> (MessageInfo, [u64; 4]) {
    let kind = r.info.label();
    let len = r.info.length().min(MAX_WORDS);
    match kind {
        ECHO | WAIT | YIELD | SPIN => {
            match kind {
                WAIT => {
                    null_selectors();
                    raw(Syscall::Wait, V_DOORBELL, MessageInfo(0), [0; 4], 0);
                    check_after_switch();
                }
                YIELD => {
                    null_selectors();
                    for _ in 0..=r.mrs[0] & 3 {
                        raw(Syscall::Yield, 0, MessageInfo(0), [0; 4], 0);
                    }
                    check_after_switch();
                }
                SPIN => {
                    for i in 0..(r.mrs[0] & 0x3ff) {
                        core::hint::black_box(i);
                    }
                }
                _ => {}
            }
            let mrs = core::array::from_fn(|i| r.mrs[i] ^ mask(i));
            let buf = ipc_addr(VICTIM_REGION) + IpcBuffer::MSG_OFFSET as u64;
            for i in 4..len as u64 {
                poke(buf + 8 * i, peek(buf + 8 * i) ^ mask(i as usize));
            }
            (MessageInfo::new(kind | REPLY_FLAG, 0, 0, len as u64), mrs)
        }
        _ => (MessageInfo::new(BAD_REQUEST, 0, 0, 0), [0; 4]),
    }
}

/// The victim thread: sets itself up, then serves forever. ktest starts it
/// again here after a fault.
pub extern "C" fn entry(_: u64) -> ! {
    let tls = tls_addr(VICTIM_REGION);
    for (i, v) in [tls, ipc_addr(VICTIM_REGION), V_TCB, BLOCK_MAGIC].into_iter().enumerate() {
        poke(tls + 8 * i as u64, v);
    }
    for i in 0..4 {
        load_selector(i, 0);
    }
    resync_fs();
    raw(Syscall::Null, 0, MessageInfo(0), [0; 4], 0);
    let (mxcsr, fcw) = fpu_control();
    let base = Baseline { mxcsr, fcw };
    if STARTS.fetch_add(1, Relaxed) != 0 {
        check_data_page(true);
    }
    fill_data_page();
    let mut canary: [u64; 4] = core::array::from_fn(|i| STACK_CANARY + i as u64);
    READY.store(1, Relaxed);
    let (mut r, mut diff, mut flags) = checked(Syscall::Recv, MessageInfo(0), [0; 4], 0x1234_5678);
    loop {
        BUSY.store(1, Relaxed);
        let answers = stats::ANSWERS.load(Relaxed);
        check(&base, &r, diff, flags, &mut canary, answers);
        let (info, mrs) = handle(&r);
        stats::bump(&stats::ANSWERS);
        BUSY.store(0, Relaxed);
        let pat = answers.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (r, diff, flags) = checked(Syscall::ReplyRecv, info, mrs, pat);
    }
}
