//! Deterministic reproducers of kernel bugs the fuzzer found, one small
//! test each (the fuzzer's report shows the random sequences they were
//! distilled from). The FS-base and selector findings have theirs in
//! `t_seg`.

use crate::harness::{Env, ROOT, ROOT_PRIO, TestResult, wait_done};
use crate::{check, check_eq, ok};
use rampart_abi::bootinfo::slot;
use rampart_abi::{Error, Label, MessageInfo, Rights, Syscall};
use rampart_rt::alloc::ROOT_DEPTH;
use rampart_rt::cap::{Frame, IoPort, IoPortControl};
use rampart_rt::invoke::call_raw;
use rampart_rt::spawn::Options;
use rampart_rt::syscall::raw;

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
