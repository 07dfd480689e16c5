//! TCB invocations (seL4 Reference Manual §10.3.10, MCS variants).

use crate::cap::Cap;
use crate::cnode_ops::{derive, update_cap_data};
use crate::invoke::{Inv, InvError, InvResult, expect};
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::{NtfnRef, NtfnState, ScRef, TcbRef, ThreadState, tcb_slot};
use crate::regs::{ABI_ORDER, r};
use crate::slot::{self, SlotRef};
use rampart_abi::ipc_buffer::IPC_BUFFER_ALIGN;
use rampart_abi::tcb::{MAX_PRIORITY, REGISTER_COUNT};
use rampart_abi::{CapType, Error, Label, Rights, USER_TOP};

impl<M: Machine> Kernel<M> {
    /// Replaces the capability in TCB slot `which` of `t` by a copy of the
    /// one in `src` (transformed to `cap`), or empties it if `src` is None.
    /// Fails if deleting the old capability destroyed `src` or the TCB.
    fn install(&mut self, inv: &Inv, t: TcbRef, which: u64, src: Option<(SlotRef, Cap)>) -> Result<(), InvError> {
        let dest = t.slot(which);
        self.delete_slot(dest);
        self.vspace_epoch += 1;
        if inv.slot.cap() != inv.cap {
            return Err(InvError::new(Error::IllegalOperation)); // the TCB itself went away
        }
        if let Some((s, cap)) = src {
            if s.cap().is_null() || !s.cap().same_object_as(cap) && s.cap() != cap {
                return Err(InvError::new(Error::IllegalOperation));
            }
            let d = derive(cap, s).ok_or(InvError::new(Error::IllegalOperation))?;
            if dest.cap().is_null() {
                slot::insert(d, s, dest);
            }
        }
        Ok(())
    }

    /// Suspends `t` (seL4 `suspend`).
    pub fn suspend(&mut self, t: TcbRef) {
        self.cancel_ipc(t);
        self.set_thread_state(t, ThreadState::Inactive);
        self.ready.dequeue(t);
    }

    /// Resumes a suspended `t` (seL4 `restart`).
    pub fn resume(&mut self, t: TcbRef) {
        if t.state() == ThreadState::Inactive && t.get().fault.get() == 0 {
            self.wake(t);
        }
    }

    fn set_priority(&mut self, t: TcbRef, prio: u64) {
        let queued = t.get().in_ready_queue.get() != 0;
        if queued {
            self.ready.dequeue(t);
        }
        t.get().priority.set(prio);
        if queued {
            self.ready.enqueue(t);
        }
        if t == self.cur || queued {
            self.reschedule_required();
        }
    }

    fn check_cspace(&self, c: Cap, data: u64) -> Result<Cap, InvError> {
        expect(c, CapType::CNode, 0)?;
        update_cap_data(c, false, data).ok_or(InvError::with(Error::InvalidArgument, 0))
    }

    fn check_ipc_buffer(&self, vaddr: u64, frame: Cap) -> Result<(), InvError> {
        if vaddr == 0 {
            return Ok(());
        }
        if !vaddr.is_multiple_of(IPC_BUFFER_ALIGN) {
            return Err(InvError::new(Error::AlignmentError));
        }
        // The kernel writes received messages into the buffer: a frame the
        // thread may only read (a shared read-only page, another program's
        // code) must not become one (seL4 `lookupIPCBuffer` wants
        // read-write for a receiver).
        if vaddr >= USER_TOP
            || frame.cap_type() != CapType::Frame
            || frame.is_device()
            || !frame.rights().contains(Rights::RW)
        {
            return Err(InvError::with(Error::InvalidCapability, 2));
        }
        Ok(())
    }

    fn bind_sc(&mut self, t: TcbRef, sc: ScRef) -> Result<(), InvError> {
        let cur = t.sc();
        if cur == sc {
            return Ok(());
        }
        if !cur.is_none() || !TcbRef(sc.get().tcb.get()).is_none() {
            return Err(InvError::new(Error::IllegalOperation));
        }
        sc.get().tcb.set(t.0);
        t.get().sc.set(sc.0);
        if t.state() == ThreadState::Running && t != self.cur {
            self.possible_switch_to(t);
        }
        Ok(())
    }

    fn unbind_sc(&mut self, t: TcbRef) {
        let sc = t.sc();
        if sc.is_none() {
            return;
        }
        sc.get().tcb.set(0);
        t.get().sc.set(0);
        self.ready.dequeue(t);
        if t == self.cur {
            self.reschedule_required();
        }
    }

    pub(crate) fn inv_tcb(&mut self, inv: &Inv) -> InvResult {
        let t = TcbRef(inv.cap.paddr());
        let root = self.cspace_root(inv.t);
        let label = inv.label.ok_or(InvError::new(Error::IllegalOperation))?;
        match label {
            Label::TcbReadRegisters => {
                let (suspend, count) = (inv.mr(0)?, inv.mr(2)?);
                if count as usize > REGISTER_COUNT {
                    return Err(InvError::with2(Error::RangeError, 1, REGISTER_COUNT as u64));
                }
                if t == inv.t {
                    return Err(InvError::new(Error::IllegalOperation));
                }
                if suspend != 0 {
                    self.suspend(t);
                }
                let g = t.get();
                for (i, &reg) in ABI_ORDER.iter().enumerate().take(count as usize) {
                    inv.set_result(i, g.regs.get_user(reg));
                }
                if count as usize > ABI_ORDER.len() {
                    inv.set_result(ABI_ORDER.len(), g.fs_base.get());
                }
                if count as usize > ABI_ORDER.len() + 1 {
                    inv.set_result(ABI_ORDER.len() + 1, 0); // gs_base: not supported
                }
                Ok(count as usize)
            }
            Label::TcbWriteRegisters => {
                let (resume, count) = (inv.mr(0)?, inv.mr(2)?);
                if count as usize > REGISTER_COUNT {
                    return Err(InvError::with2(Error::RangeError, 1, REGISTER_COUNT as u64));
                }
                if t == inv.t {
                    return Err(InvError::new(Error::IllegalOperation));
                }
                let mut vals = [0u64; REGISTER_COUNT];
                for (i, v) in vals.iter_mut().enumerate().take(count as usize) {
                    *v = inv.mr(3 + i)?;
                }
                let g = t.get();
                for (i, &v) in vals.iter().enumerate().take(count as usize) {
                    match i {
                        18 => {
                            g.fs_base.set(if v < USER_TOP { v } else { 0 });
                            self.m.tls_base_changed(t.0);
                        }
                        19 => {}
                        _ => g.regs.set_user(ABI_ORDER[i], v),
                    }
                }
                if resume != 0 {
                    self.resume(t);
                }
                Ok(0)
            }
            Label::TcbCopyRegisters => {
                let flags = inv.mr(0)?;
                let (_, src) = inv.extra(root, 0)?;
                expect(src, CapType::Tcb, 0)?;
                let s = TcbRef(src.paddr());
                if s == t || t == inv.t {
                    return Err(InvError::new(Error::IllegalOperation));
                }
                if flags & 1 != 0 {
                    self.suspend(s);
                }
                for &reg in ABI_ORDER.iter() {
                    t.get().regs.set_user(reg, s.get().regs.get_user(reg));
                }
                t.get().fs_base.set(s.get().fs_base.get());
                self.m.tls_base_changed(t.0);
                if flags & 2 != 0 {
                    self.resume(t);
                }
                Ok(0)
            }
            Label::TcbConfigure | Label::TcbSetSpace => {
                let (guard, buf_vaddr) =
                    if label == Label::TcbConfigure { (inv.mr(0)?, inv.mr(1)?) } else { (inv.mr(0)?, 0) };
                let caps = [inv.extra(root, 0)?, inv.extra(root, 1)?, inv.extra(root, 2)?];
                let (cs, vs, third) = if label == Label::TcbConfigure {
                    (caps[0], caps[1], caps[2])
                } else {
                    (caps[1], caps[2], caps[0])
                };
                let cspace = self.check_cspace(cs.1, guard)?;
                expect(vs.1, CapType::VSpace, 1)?;
                if label == Label::TcbConfigure {
                    self.check_ipc_buffer(buf_vaddr, third.1)?;
                } else if !third.1.is_null() {
                    expect(third.1, CapType::Endpoint, 0)?;
                }
                self.install(inv, t, tcb_slot::CSPACE, Some((cs.0, cspace)))?;
                self.install(inv, t, tcb_slot::VSPACE, Some(vs))?;
                if label == Label::TcbConfigure {
                    let buf = if buf_vaddr == 0 { None } else { Some(third) };
                    self.install(inv, t, tcb_slot::IPC_BUFFER, buf)?;
                    t.get().ipc_buffer.set(buf_vaddr);
                } else {
                    let fault = if third.1.is_null() { None } else { Some(third) };
                    self.install(inv, t, tcb_slot::FAULT_EP, fault)?;
                }
                Ok(0)
            }
            Label::TcbSetIpcBuffer => {
                let vaddr = inv.mr(0)?;
                let src = if vaddr == 0 { None } else { Some(inv.extra(root, 0)?) };
                if let Some((_, f)) = src {
                    self.check_ipc_buffer(vaddr, f)?;
                }
                self.install(inv, t, tcb_slot::IPC_BUFFER, src)?;
                t.get().ipc_buffer.set(vaddr);
                Ok(0)
            }
            Label::TcbSetPriority | Label::TcbSetMcPriority => {
                let v = inv.mr(0)?;
                let (_, auth) = inv.extra(root, 0)?;
                expect(auth, CapType::Tcb, 0)?;
                let mcp = TcbRef(auth.paddr()).get().mcp.get();
                if v > mcp || v > MAX_PRIORITY {
                    return Err(InvError::with2(Error::RangeError, 0, mcp));
                }
                if label == Label::TcbSetPriority {
                    self.set_priority(t, v);
                } else {
                    t.get().mcp.set(v);
                }
                Ok(0)
            }
            Label::TcbSetSchedParams => {
                let (mcp_v, prio) = (inv.mr(0)?, inv.mr(1)?);
                let (_, auth) = inv.extra(root, 0)?;
                let (_, scc) = inv.extra(root, 1)?;
                let fault = inv.extra(root, 2)?;
                expect(auth, CapType::Tcb, 0)?;
                let amcp = TcbRef(auth.paddr()).get().mcp.get();
                if mcp_v > amcp || prio > amcp {
                    return Err(InvError::with2(Error::RangeError, 0, amcp));
                }
                if !scc.is_null() {
                    expect(scc, CapType::SchedContext, 1)?;
                }
                if !fault.1.is_null() {
                    expect(fault.1, CapType::Endpoint, 2)?;
                }
                let fault_src = if fault.1.is_null() { None } else { Some(fault) };
                self.install(inv, t, tcb_slot::FAULT_EP, fault_src)?;
                t.get().mcp.set(mcp_v);
                self.set_priority(t, prio);
                if scc.is_null() {
                    self.unbind_sc(t);
                } else {
                    self.bind_sc(t, ScRef(scc.paddr()))?;
                }
                Ok(0)
            }
            Label::TcbSetTimeoutEndpoint => {
                let ep = inv.extra(root, 0)?;
                if !ep.1.is_null() {
                    expect(ep.1, CapType::Endpoint, 0)?;
                }
                self.install(inv, t, tcb_slot::TIMEOUT_EP, if ep.1.is_null() { None } else { Some(ep) })?;
                Ok(0)
            }
            Label::TcbSuspend => {
                self.suspend(t);
                Ok(0)
            }
            Label::TcbResume => {
                self.resume(t);
                Ok(0)
            }
            Label::TcbBindNotification => {
                let (_, n) = inv.extra(root, 0)?;
                expect(n, CapType::Notification, 0)?;
                // A bound notification is received from: seL4 wants the
                // capability's Read right (a send-only copy must not let its
                // holder take another thread's signals).
                if !n.rights().contains(Rights::READ) {
                    return Err(InvError::with(Error::InvalidCapability, 0));
                }
                let ntfn = NtfnRef(n.paddr());
                if t.get().bound_ntfn.get() != 0
                    || ntfn.get().bound_tcb.get() != 0
                    || ntfn.state() == NtfnState::Waiting
                {
                    return Err(InvError::new(Error::IllegalOperation));
                }
                t.get().bound_ntfn.set(ntfn.0);
                ntfn.get().bound_tcb.set(t.0);
                Ok(0)
            }
            Label::TcbUnbindNotification => {
                let ntfn = NtfnRef(t.get().bound_ntfn.get());
                if ntfn.is_none() {
                    return Err(InvError::new(Error::IllegalOperation));
                }
                ntfn.get().bound_tcb.set(0);
                t.get().bound_ntfn.set(0);
                Ok(0)
            }
            Label::TcbGetId => {
                inv.set_result(0, t.get().id.get());
                Ok(1)
            }
            Label::TcbSetSyscallDispatch => {
                let (entry, lo, hi) = (inv.mr(0)?, inv.mr(1)?, inv.mr(2)?);
                if entry >= USER_TOP {
                    return Err(InvError::with(Error::InvalidArgument, 0));
                }
                if lo > hi {
                    return Err(InvError::with(Error::InvalidArgument, 1));
                }
                if hi > USER_TOP {
                    return Err(InvError::with(Error::InvalidArgument, 2));
                }
                let g = t.get();
                let (lo, hi) = if entry == 0 { (0, 0) } else { (lo, hi) };
                g.dispatch_entry.set(entry);
                g.dispatch_lo.set(lo);
                g.dispatch_hi.set(hi);
                // Recompute the fast path's CSpace cache (none in the mode).
                g.cs_epoch.set(0);
                Ok(0)
            }
            Label::TcbSetTlsBase => {
                let base = inv.mr(0)?;
                if base >= USER_TOP {
                    return Err(InvError::with(Error::InvalidArgument, 0));
                }
                t.get().fs_base.set(base);
                self.m.tls_base_changed(t.0);
                Ok(0)
            }
            _ => Err(InvError::new(Error::IllegalOperation)),
        }
    }

    /// The FS base of the thread, for the arch layer's context switch.
    pub fn tls_base(&self, t: TcbRef) -> u64 {
        t.get().fs_base.get()
    }

    /// The registers of `t` (for the arch layer).
    pub fn regs_ptr(&self, t: TcbRef) -> u64 {
        t.0
    }

    /// Sets `rip`-relative defaults for a fresh thread (boot).
    pub fn start_thread(&mut self, t: TcbRef, rip: u64, rsp: u64, arg: u64) {
        let regs = &t.get().regs;
        regs.set(r::RIP, rip);
        regs.set(r::RSP, rsp);
        regs.set(r::RDI, arg);
        t.set_state(ThreadState::Running);
    }
}
