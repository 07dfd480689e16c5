//! Deterministic reproducers of the kernel bugs the fuzzer found, one
//! small test each (the fuzzer's report shows the random sequences they
//! were distilled from).

use crate::harness::{Env, ROOT, ROOT_PRIO, Reason, TestResult, ep_and_reply, wait_done};
use crate::{check, check_eq, fail, ok};
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::bootinfo::slot;
use rampart_abi::{Error, Label, MessageInfo, Rights, Syscall};
use rampart_rt::alloc::ROOT_DEPTH;
use rampart_rt::cap::{Endpoint, Frame, IoPort, IoPortControl, Reply};
use rampart_rt::invoke::call_raw;
use rampart_rt::ipc;
use rampart_rt::spawn::Options;
use rampart_rt::syscall::raw;

static EP: AtomicU64 = AtomicU64::new(0);
static REPLY: AtomicU64 = AtomicU64::new(0);
/// What the server saw on its last request: `fs:[0]`, and DS, ES, GS.
static SEEN_FS0: AtomicU64 = AtomicU64::new(0);
static SEEN_SEL: AtomicU64 = AtomicU64::new(u64::MAX);

fn selectors() -> u64 {
    let (ds, es, gs): (u16, u16, u16);
    // SAFETY: reads segment selectors; no side effects.
    unsafe {
        asm!("mov {0:x}, ds", "mov {1:x}, es", "mov {2:x}, gs", out(reg) ds, out(reg) es, out(reg) gs,
            options(nomem, nostack, preserves_flags));
    }
    u64::from(ds) | u64::from(es) << 16 | u64::from(gs) << 32
}

/// A server that records its FS base (through `fs:[0]`, its thread
/// block's self pointer) and its selectors on every request.
fn server(_: u64) -> u64 {
    // SAFETY: null selectors in DS, ES and GS are always valid; FS is left
    // alone (loading it would clear the FS base).
    unsafe { asm!("mov ds, {0:x}", "mov es, {0:x}", "mov gs, {0:x}", in(reg) 0u16, options(nomem, nostack)) };
    let (ep, reply) = (EP.load(Relaxed), REPLY.load(Relaxed));
    ipc::recv(ep, reply);
    loop {
        SEEN_SEL.store(selectors(), Relaxed);
        SEEN_FS0.store(rampart_rt::tls::current_addr(), Relaxed);
        ipc::reply_recv(ep, MessageInfo(0), [0; 4], Reply(reply));
    }
}

/// A client that sets its own TLS base to the server's thread block, loads
/// the user data selector into FS (the hardware FS base becomes 0) and
/// calls the server.
fn client_fs(server_block: u64) -> u64 {
    let me = rampart_rt::tls::current().tcb();
    if me.set_tls_base(server_block).is_err() {
        return 1;
    }
    // SAFETY: 0x1b is the user data segment; this thread makes no
    // FS-relative access afterwards (the runtime read its block before).
    unsafe { asm!("mov fs, {0:x}", in(reg) 0x1bu16, options(nomem, nostack)) };
    raw(Syscall::Call, EP.load(Relaxed), MessageInfo(0), [0; 4], 0).info.label()
}

/// A client that loads selectors into DS, ES and GS and calls the server.
fn client_selectors(_: u64) -> u64 {
    // SAFETY: user data and code selectors (DPL 3, readable) load in ring 3;
    // 64-bit code ignores their bases.
    unsafe {
        asm!("mov ds, {0:x}", "mov es, {1:x}", "mov gs, {1:x}", in(reg) 0x23u16, in(reg) 0x1bu16,
            options(nomem, nostack));
    }
    raw(Syscall::Call, EP.load(Relaxed), MessageInfo(0), [0; 4], 0).info.label()
}

/// Starts [`server`] in a new address space above the test's priority;
/// returns its thread-block address and the endpoint its faults go to.
fn start_server(env: &mut Env) -> Result<(u64, Endpoint, Reply), Reason> {
    let (ep, reply) = ep_and_reply(env)?;
    let (fep, freply) = ep_and_reply(env)?;
    EP.store(ep.0, Relaxed);
    REPLY.store(reply.0, Relaxed);
    SEEN_FS0.store(0, Relaxed);
    SEEN_SEL.store(u64::MAX, Relaxed);
    let mut o = Options::new(ROOT_PRIO + 2);
    o.new_vspace = true;
    o.fault_ep = Endpoint(ok!(env.a.mint(fep.0, Rights::ALL, 1)));
    let t = env.spawn(server, 0, &o)?;
    Ok((core::ptr::from_ref(t.block()) as u64, fep, freply))
}

/// Runs `client(arg)` in a new address space (it runs at once, above the
/// test) and fails if the server faulted meanwhile.
fn run_client(env: &mut Env, client: fn(u64) -> u64, arg: u64, fep: Endpoint, freply: Reply) -> TestResult {
    let mut o = Options::new(ROOT_PRIO + 1);
    o.new_vspace = true;
    let c = env.spawn(client, arg, &o)?;
    let f = ipc::nb_recv(fep, freply.0);
    if f.info.label() != 0 {
        fail!("the server faulted: fault {} at rip {:#x}, address {:#x}", f.info.label(), f.mrs[0], f.mrs[1]);
    }
    check!(wait_done(&c), "the client did not finish");
    check_eq!(c.result(), 0, "the client's call");
    Ok(())
}

/// machine.rs `switch_fs` skips the FS_BASE write when the cached value
/// equals the next thread's TLS base, although the running thread changed
/// the hardware FS base by loading FS: the server then runs with FS base 0.
pub fn fuzz_found_fs_base_survives_fs_selector_load(env: &mut Env) -> TestResult {
    let (block, fep, freply) = start_server(env)?;
    run_client(env, client_fs, block, fep, freply)?;
    check_eq!(SEEN_FS0.load(Relaxed), block, "the server's fs:[0]");
    Ok(())
}

/// DS, ES, FS and GS are neither saved per thread nor reset on return to
/// user mode: a server sees the selectors its caller loaded.
pub fn fuzz_found_selectors_not_leaked_to_other_threads(env: &mut Env) -> TestResult {
    let (_, fep, freply) = start_server(env)?;
    run_client(env, client_selectors, 0, fep, freply)?;
    let sel = SEEN_SEL.load(Relaxed);
    check!(
        sel == 0,
        "the server's selectors: DS {:#x}, ES {:#x}, GS {:#x} (it loaded 0 into each)",
        sel & 0xffff,
        sel >> 16 & 0xffff,
        sel >> 32
    );
    Ok(())
}

/// Where the read-only test maps its frame in the test task.
const RO_TEST_VADDR: u64 = 0x60_0000_0000;

fn read_registers(target: u64) -> u64 {
    let info = MessageInfo::new(Label::TcbReadRegisters as u64, 0, 0, 3);
    raw(Syscall::Call, target, info, [0, 0, 20, 0], 0).info.label()
}

/// TcbSetIpcBuffer (and TcbConfigure) accept a frame capability without
/// write rights, and the kernel then writes message words into the frame.
pub fn fuzz_found_read_only_ipc_buffer_not_written(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(env.parent.vspace, f, RO_TEST_VADDR, Rights::RW, 0));
    let page = |i: u64| (RO_TEST_VADDR + 8 * i) as *mut u64;
    for i in 0..512 {
        // SAFETY: the frame was just mapped read-write at this address.
        unsafe { page(i).write_volatile(0x5eed ^ i) };
    }
    let ro = Frame(ok!(env.a.copy(f.0, Rights::READ)));
    let target = ok!(env.a.tcb());
    let mut o = Options::new(ROOT_PRIO + 1);
    o.resume = false;
    let t = env.spawn(read_registers, target.0, &o)?;
    if t.tcb.set_ipc_buffer(ro, RO_TEST_VADDR).is_err() {
        return Ok(()); // refused: nothing can be written through it
    }
    ok!(t.tcb.resume());
    check!(wait_done(&t), "the thread did not finish");
    check_eq!(t.result(), 0, "TcbReadRegisters of 20 registers");
    for i in 0..512 {
        // SAFETY: as above; the frame stays mapped until the test ends.
        let v = unsafe { page(i).read_volatile() };
        check_eq!(v, 0x5eed ^ i, "a word of the frame given read-only as IPC buffer");
    }
    Ok(())
}

/// The IOPort range check computes `port + width - 1` in 64 bits, which
/// wraps for ports near 2^64: the access is then made at `port as u16`.
pub fn fuzz_found_ioport_range_check_overflow(env: &mut Env) -> TestResult {
    let s = ok!(env.a.slot());
    ok!(IoPortControl(slot::IO_PORT_CONTROL).issue(0x80, 0x80, ROOT, s, ROOT_DEPTH));
    for (label, port) in [(Label::IoPortIn16, u64::MAX), (Label::IoPortIn32, u64::MAX - 2)] {
        let r = call_raw(IoPort(s), label as u64, &[port], &[]);
        check_eq!(r.info.label(), Error::RangeError as u64, "reading port 2^64 - k through a capability to 0x80");
    }
    Ok(())
}
