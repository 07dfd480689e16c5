//! Signal delivery (docs/signals.md): rm holds every task's signal state
//! (`rampart_rm_core::signal`) and acts on it with kernel operations on the
//! task's main thread — destroy it, suspend it (stop), resume it
//! (continue), or suspend it, save its registers and redirect it to the
//! handler entry its runtime registered (deliver); `sigreturn` puts the
//! saved registers back.
//!
//! Whether the thread may be interrupted now is read from its signal
//! block (`rampart_uabi::signal`), a few words in its IPC-buffer page of
//! which rm maps a copy into its own address space at [`WINDOW`]. The
//! block is written by the task and read here as untrusted input: it only
//! decides when the task's own signals act.
//!
//! Single-CPU assumption: rm reads the block and suspends the thread while
//! the thread cannot run (rm's priority is above every program's). With
//! several CPUs rm must stop the thread before reading the block (issue
//! 17).

use crate::kops::{CNODE, Holdings};
use crate::state::Rm;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::Rights;
use rampart_procbuild::build::{create, map_tables, table_groups};
use rampart_procbuild::pack::{Table, tables_needed};
use rampart_rm_api::{ExitStatus, Pid};
use rampart_rm_core::signal::{Posted, Step};
use rampart_rt::cap::{CPtr, Frame};
use rampart_rt::dprintln;
use rampart_uabi::signal::{self as usig, Catch, SigSet, Signo};

/// Base of the window in rm's address space where the signal-block pages
/// of tasks are mapped (one page per task; PML4 slot 240, used for nothing
/// else).
pub const WINDOW: u64 = 0x7800_0000_0000;
/// Most tasks with a mapped signal block (the window is one page
/// directory: 1 GiB).
pub const WINDOW_PAGES: u32 = 1 << 18;

/// rm's mapping of one task's signal block.
#[derive(Clone, Copy, Debug)]
pub struct Block {
    /// Address of the task's IPC-buffer page in rm.
    va: u64,
    /// rm's slot holding the copy of the frame capability that maps it.
    slot: CPtr,
    /// Page index in the window.
    index: u32,
}

/// The window's allocator and the paging structures made for it.
#[derive(Default)]
pub struct Windows {
    free: Vec<u32>,
    next: u32,
    tables: BTreeSet<Table>,
    /// rm's own memory for the paging structures (never freed).
    hold: Holdings,
}

impl Block {
    fn word(&self, off: u64) -> &AtomicU64 {
        let p = (self.va + usig::BLOCK_OFFSET + off) as *const AtomicU64;
        // SAFETY: `attach` mapped the task's IPC-buffer page read-write at
        // `va` and it stays mapped until `detach` deletes the mapping; the
        // offsets are within the page and 8-byte aligned. The task writes
        // the same words concurrently, so they are only accessed as
        // atomics, never through a `&mut`.
        unsafe { &*p }
    }
}

/// Maps a copy of `pid`'s main IPC-buffer page into rm (at spawn).
///
/// # Errors
/// `ENOMEM` (window full, no memory or slots), `EIO` (kernel refusal).
pub fn attach(rm: &mut Rm, pid: Pid) -> Result<(), rampart_uabi::Errno> {
    use rampart_uabi::Errno;
    let frame = rm.tasks.get(&pid).ok_or(Errno::ESRCH)?.built.ipc_frame;
    let index = match rm.sigwin.free.pop() {
        Some(i) => i,
        None if rm.sigwin.next < WINDOW_PAGES => {
            rm.sigwin.next += 1;
            rm.sigwin.next - 1
        }
        None => return Err(Errno::ENOMEM),
    };
    let va = WINDOW + u64::from(index) * 4096;
    let give_back = |rm: &mut Rm| rm.sigwin.free.push(index);
    let need = tables_needed([va], &rm.sigwin.tables);
    if !need.is_empty() {
        let mut hold = core::mem::take(&mut rm.sigwin.hold);
        let made = {
            let mut res =
                Rm::res(&mut rm.buddy, &mut rm.slots, &mut rm.containers, rampart_rm_api::ROOT_CONTAINER, &mut hold);
            create(&rm.b, &mut res, &table_groups(&need), 0).and_then(|o| map_tables(rm.b.vspace, &need, o.first[0]))
        };
        rm.sigwin.hold = hold;
        if made.is_err() {
            give_back(rm);
            return Err(Errno::ENOMEM);
        }
        rm.sigwin.tables.extend(need.iter().copied());
    }
    let Some(slot) = rm.slots.alloc(1) else {
        give_back(rm);
        return Err(Errno::ENOMEM);
    };
    let ok = CNODE.copy(slot, 64, CNODE.path(frame.0, 64), Rights::RW).is_ok()
        && Frame(slot).map(rm.b.vspace, va, Rights::RW, 0).is_ok();
    if !ok {
        let _ = CNODE.delete(slot, 64);
        rm.slots.free(slot, 1);
        give_back(rm);
        return Err(Errno::EIO);
    }
    if let Some(t) = rm.tasks.get_mut(&pid) {
        t.block = Some(Block { va, slot, index });
    }
    Ok(())
}

/// Unmaps `pid`'s signal block (before its memory is released).
pub fn detach(rm: &mut Rm, b: Option<Block>) {
    if let Some(b) = b {
        let _ = CNODE.delete(b.slot, 64);
        rm.slots.free(b.slot, 1);
        rm.sigwin.free.push(b.index);
    }
}

/// The task's interruptibility state and own mask (a task without a block
/// counts as interruptible with nothing blocked).
fn block_state(rm: &Rm, pid: Pid) -> (u64, SigSet) {
    match rm.tasks.get(&pid).and_then(|t| t.block) {
        Some(b) => (b.word(usig::STATE).load(SeqCst), SigSet(b.word(usig::BLOCKED).load(SeqCst))),
        None => (usig::STATE_USER, SigSet::EMPTY),
    }
}

/// Whether `pid` blocks `sig` now (its own mask or a running handler's).
pub fn blocks(rm: &Rm, pid: Pid, sig: Signo) -> bool {
    let (_, own) = block_state(rm, pid);
    rm.tasks.get(&pid).is_some_and(|t| t.sig.blocked(own).contains(sig))
}

/// Mirrors rm's pending set into the task's block.
fn publish(rm: &Rm, pid: Pid) {
    if let Some(t) = rm.tasks.get(&pid)
        && let Some(b) = t.block
    {
        b.word(usig::PENDING).store(t.sig.pending.0, SeqCst);
    }
}

/// Sends `sig` to live task `pid` (the permission checks are the
/// caller's) and acts on it as far as the task's state allows.
pub fn post(rm: &mut Rm, pid: Pid, sig: Signo) {
    let Some(t) = rm.tasks.get_mut(&pid) else { return };
    match t.sig.post(sig) {
        Posted::Discarded | Posted::Pending => {}
        Posted::Kill => {
            crate::lifecycle::destroy(rm, pid, ExitStatus::Signaled(usig::SIGKILL));
            return;
        }
        Posted::Continue => resume(rm, pid),
    }
    run(rm, pid);
}

/// Acts on `pid`'s pending signals: terminations at once, stops and
/// handlers when the thread may be interrupted.
pub fn run(rm: &mut Rm, pid: Pid) {
    for _ in 0..=usig::NSIG {
        let (state, own) = block_state(rm, pid);
        let Some(t) = rm.tasks.get_mut(&pid) else { return };
        match t.sig.next(own, state != usig::STATE_CALL) {
            Step::Idle => break,
            Step::Terminate(sig) => {
                crate::lifecycle::destroy(rm, pid, ExitStatus::Signaled(sig));
                return;
            }
            Step::Stop(sig) => stop(rm, pid, sig),
            Step::Deliver(sig, c) => {
                if deliver(rm, pid, sig, c, state == usig::STATE_WAIT).is_err() {
                    rampart_rt::pr_err!("rm: cannot deliver signal {sig} to pid {pid}; ending it");
                    crate::lifecycle::destroy(rm, pid, ExitStatus::Signaled(sig));
                    return;
                }
            }
        }
    }
    publish(rm, pid);
}

/// Suspends `pid`'s thread; a `Wait` it was blocked in is forgotten (the
/// kernel aborts the call).
fn suspend(rm: &mut Rm, pid: Pid) -> Result<(), ()> {
    let tcb = rm.tasks.get(&pid).ok_or(())?.built.tcb;
    tcb.suspend().map_err(|_| ())?;
    if let Some(r) = rm.procs.cancel_wait(pid) {
        rm.replies.push(r);
    }
    Ok(())
}

fn deliver(rm: &mut Rm, pid: Pid, sig: Signo, c: Catch, interrupted_call: bool) -> Result<(), ()> {
    suspend(rm, pid)?;
    let tcb = rm.tasks.get(&pid).ok_or(())?.built.tcb;
    let saved = tcb.read_registers(false, rampart_abi::tcb::REGISTER_COUNT as u64).map_err(|_| ())?;
    let mut ctx = saved;
    // Below the red zone, aligned as at a function's entry (rsp + 8 is a
    // multiple of 16, System V x86_64 ABI §3.2.2).
    ctx.rsp = ((saved.rsp.wrapping_sub(usig::RED_ZONE)) & !15).wrapping_sub(8);
    ctx.rip = c.entry;
    ctx.rdi = u64::from(sig);
    ctx.rsi = if interrupted_call { usig::ENTRY_INTERRUPTED_CALL } else { 0 };
    ctx.rflags &= !(1 << 10); // DF clear at a function's entry
    let t = rm.tasks.get_mut(&pid).ok_or(())?;
    t.sig.push_frame(sig, c, saved.to_words());
    if tcb.write_registers(true, rampart_abi::tcb::REGISTER_COUNT as u64, &ctx).is_err() {
        t.sig.pop_frame();
        return Err(());
    }
    Ok(())
}

fn stop(rm: &mut Rm, pid: Pid, sig: Signo) {
    if suspend(rm, pid).is_err() {
        return;
    }
    let fx = rm.procs.changed(pid, Some(sig));
    crate::lifecycle::child_changed(rm, pid, fx);
}

fn resume(rm: &mut Rm, pid: Pid) {
    if let Some(t) = rm.tasks.get(&pid) {
        let _ = t.built.tcb.resume();
    }
    let fx = rm.procs.changed(pid, None);
    crate::lifecycle::child_changed(rm, pid, fx);
}

/// `sigreturn` from `pid`'s trampoline: restores the context the innermost
/// handler interrupted, then acts on signals that became deliverable. A
/// `sigreturn` with no handler running ends the task (`SIGSEGV`, as Linux
/// does for a bad signal frame).
pub fn sigreturn(rm: &mut Rm, pid: Pid) {
    let Some(t) = rm.tasks.get_mut(&pid) else { return };
    let Some(f) = t.sig.pop_frame() else {
        dprintln!("rm: pid {pid}: sigreturn without a signal handler running");
        crate::lifecycle::destroy(rm, pid, ExitStatus::Signaled(usig::SIGSEGV));
        return;
    };
    let tcb = t.built.tcb;
    let ctx = rampart_rt::tcb::UserContext::from_words(&f.regs);
    if tcb.suspend().is_err() || tcb.write_registers(true, rampart_abi::tcb::REGISTER_COUNT as u64, &ctx).is_err() {
        crate::lifecycle::destroy(rm, pid, ExitStatus::Signaled(usig::SIGSEGV));
        return;
    }
    run(rm, pid);
}

/// `SigAction` from `pid`.
///
/// # Errors
/// `EINVAL`.
pub fn sigaction(
    rm: &mut Rm,
    pid: Pid,
    sig: Signo,
    d: usig::Disposition,
) -> Result<usig::Disposition, rampart_uabi::Errno> {
    let t = rm.tasks.get_mut(&pid).ok_or(rampart_uabi::Errno::ESRCH)?;
    let old = t.sig.set_action(sig, d).map_err(|_| rampart_uabi::Errno::EINVAL)?;
    publish(rm, pid);
    Ok(old)
}
