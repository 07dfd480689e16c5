//! System-call dispatch (seL4 `handleSyscall`, MCS variant).
//!
//! Register conventions are in `rampart_abi::syscall`. The kernel reads the
//! current thread's saved registers, performs the call, writes results back
//! into them, and then makes the scheduling decision.

use crate::cap::Cap;
use crate::cspace;
use crate::fastpath::FastSwitch;
use crate::fault::Fault;
use crate::ipc::set_recv_result;
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::{EpRef, NtfnRef, ReplyRef, TcbRef, ThreadState};
use crate::regs::r;
use crate::slot::SlotRef;
use rampart_abi::{CapType, Error, MessageInfo, Rights, Syscall};

fn error_result(t: TcbRef, e: Error) {
    set_recv_result(t, 0, MessageInfo::new(e as u64, 0, 0, 0));
}

impl<M: Machine> Kernel<M> {
    fn lookup(&self, t: TcbRef, cptr: u64) -> Option<(SlotRef, Cap)> {
        let (s, c) = cspace::lookup_cap(self.cspace_root(t), cptr).ok()?;
        (!c.is_null()).then_some((s, c))
    }

    /// Entry point for the system call the current thread just made: the IPC
    /// fast path when it applies (returning the address space to switch to),
    /// else the general path (then the caller activates [`Kernel::cur`]).
    #[inline(always)]
    pub fn syscall(&mut self) -> Option<FastSwitch> {
        let t = self.cur;
        // Invariants at every entry from user mode: the caller is the current
        // thread and no scheduling decision is pending (`schedule` ends every
        // entry).
        debug_assert!(!t.is_none() && self.action == crate::kernel::SchedAction::Resume);
        #[cfg(any(test, feature = "testing"))]
        let enabled = self.fastpath_enabled;
        #[cfg(not(any(test, feature = "testing")))]
        let enabled = true;
        if enabled {
            let n = t.get().regs.get(r::RAX);
            let fast = if n == Syscall::Call as u64 {
                self.fastpath_call()
            } else if n == Syscall::ReplyRecv as u64 {
                self.fastpath_reply_recv()
            } else {
                None
            };
            if fast.is_some() {
                #[cfg(any(test, feature = "testing"))]
                {
                    self.fastpath_hits += 1;
                }
                return fast;
            }
        }
        self.handle_syscall();
        None
    }

    /// Syscall User Dispatch (`TcbSetSyscallDispatch`, docs/linux-abi.md):
    /// if `t` is in foreign-ABI mode and its `syscall` instruction (the
    /// return `rip` − 2) lies outside its native range, the call is not
    /// interpreted: `t` resumes at its handler entry with `rcx` = the return
    /// `rip`, `r11` = RFLAGS and every other register as it was (the
    /// context is marked trap-saved so the return uses `iretq` and restores
    /// `rcx`/`r11` from the context). Returns true if it redirected. One
    /// load and branch on the general path for threads not in the mode.
    #[inline(always)]
    fn foreign_syscall(&self, t: TcbRef) -> bool {
        let g = t.get();
        let entry = g.dispatch_entry.get();
        if entry == 0 {
            return false;
        }
        let regs = &g.regs;
        let rip = regs.get(r::RIP);
        let lo = g.dispatch_lo.get();
        if rip.wrapping_sub(2).wrapping_sub(lo) < g.dispatch_hi.get() - lo {
            return false;
        }
        regs.set(r::RCX, rip);
        regs.set(r::R11, regs.get(r::RFLAGS));
        regs.set(r::RIP, entry);
        regs.set(r::VECTOR, crate::regs::VECTOR_KERNEL);
        true
    }

    /// Handles the system call the current thread just made (general path).
    /// A thread in foreign-ABI mode always gets here (the fast path never
    /// serves it: `fast_lookup` has no cached CSpace for it), so the
    /// redirect costs threads not in the mode nothing on the fast path.
    pub fn handle_syscall(&mut self) {
        let t = self.cur;
        if t.is_none() {
            return;
        }
        if self.foreign_syscall(t) {
            return;
        }
        self.syscalls += 1;
        let regs = &t.get().regs;
        let n = regs.get(r::RAX);
        let cptr = regs.get(r::RDI);
        match Syscall::from_u64(n) {
            Some(Syscall::Call) => self.sys_send(t, cptr, true, true),
            Some(Syscall::Send) => self.sys_send(t, cptr, true, false),
            Some(Syscall::NBSend) => self.sys_send(t, cptr, false, false),
            Some(Syscall::Recv) => self.sys_recv(t, cptr, true, true),
            Some(Syscall::NBRecv) => self.sys_recv(t, cptr, false, true),
            Some(Syscall::Wait) => self.sys_recv(t, cptr, true, false),
            Some(Syscall::ReplyRecv) => {
                let reply_cptr = regs.get(r::R12);
                match self.lookup(t, reply_cptr) {
                    Some((_, c)) if c.cap_type() == CapType::Reply => {
                        self.do_reply(t, ReplyRef(c.paddr()), c.rights().contains(Rights::GRANT));
                        self.sys_recv(t, cptr, true, true);
                    }
                    _ => error_result(t, Error::InvalidCapability),
                }
            }
            Some(Syscall::Yield) => self.yield_current(),
            Some(Syscall::Null) => {}
            Some(Syscall::DebugShutdown) if cfg!(any(test, feature = "debug-syscalls")) => {
                // Only the root task may stop the machine this way; everyone
                // else asks rm, which holds the power-control ports and
                // checks the policy (docs/kernel.md, "Debug system calls").
                if self.is_root_thread(t) {
                    self.m.debug_shutdown(regs.get(r::RDX) as u32);
                } else {
                    error_result(t, Error::IllegalOperation);
                }
            }
            Some(Syscall::DebugCapIdentify) if cfg!(feature = "debug-syscalls") => {
                let ty = self.lookup(t, cptr).map_or(0, |(_, c)| c.cap_type() as u64);
                regs.set(r::RDI, ty);
            }
            Some(Syscall::DebugCheckInvariants) if cfg!(feature = "debug-syscalls") => {
                let v = self.check_invariants();
                regs.set(r::RDI, v);
            }
            Some(Syscall::DebugIdleTicks) if cfg!(feature = "debug-syscalls") => {
                regs.set(r::RDI, self.m.idle_ticks());
            }
            _ => self.handle_fault(t, Fault::UnknownSyscall(n)),
        }
        self.schedule();
    }

    /// Call, Send and NBSend.
    fn sys_send(&mut self, t: TcbRef, cptr: u64, blocking: bool, call: bool) {
        let Some((slot, cap)) = self.lookup(t, cptr) else {
            return error_result(t, Error::InvalidCapability);
        };
        match cap.cap_type() {
            CapType::Endpoint => {
                if !cap.rights().contains(Rights::WRITE) {
                    return error_result(t, Error::InvalidCapability);
                }
                self.send_ipc(t, EpRef(cap.paddr()), cap.badge(), cap.rights(), blocking, call);
                if !call && t.state() == ThreadState::Running {
                    t.get().regs.set(r::RSI, 0);
                }
            }
            CapType::Notification => {
                if !cap.rights().contains(Rights::WRITE) {
                    return error_result(t, Error::InvalidCapability);
                }
                self.signal(NtfnRef(cap.paddr()), cap.badge());
                t.get().regs.set(r::RSI, 0);
            }
            CapType::Reply => {
                if call {
                    return error_result(t, Error::InvalidCapability);
                }
                // An answer nobody took is an error the server can act on
                // (keep the data it would have handed over).
                if !self.do_reply(t, ReplyRef(cap.paddr()), cap.rights().contains(Rights::GRANT)) {
                    return error_result(t, Error::IllegalOperation);
                }
                t.get().regs.set(r::RSI, 0);
            }
            CapType::Zombie | CapType::Null => error_result(t, Error::InvalidCapability),
            _ => self.invoke(t, slot, cap),
        }
    }

    /// Recv, NBRecv and Wait (`with_reply`: the reply object is in `r12`).
    fn sys_recv(&mut self, t: TcbRef, cptr: u64, blocking: bool, with_reply: bool) {
        let Some((_, cap)) = self.lookup(t, cptr) else {
            return error_result(t, Error::InvalidCapability);
        };
        if !cap.rights().contains(Rights::READ) {
            return error_result(t, Error::InvalidCapability);
        }
        match cap.cap_type() {
            CapType::Endpoint => {
                let reply = if with_reply {
                    match self.lookup(t, t.get().regs.get(r::R12)) {
                        Some((_, c)) if c.cap_type() == CapType::Reply => ReplyRef(c.paddr()),
                        _ => return error_result(t, Error::InvalidCapability),
                    }
                } else {
                    ReplyRef::NONE
                };
                self.recv_ipc(t, EpRef(cap.paddr()), reply, blocking);
            }
            CapType::Notification => self.wait_signal(t, NtfnRef(cap.paddr()), blocking),
            _ => error_result(t, Error::InvalidCapability),
        }
    }

    /// A CPU exception in user mode (`vector`, `error`; `cr2` for page
    /// faults): becomes a fault message to the thread's fault handler.
    pub fn handle_exception(&mut self, vector: u64, error: u64, cr2: u64) {
        let t = self.cur;
        if t.is_none() {
            return;
        }
        let f = if vector == 14 { Fault::VmFault { addr: cr2, error } } else { Fault::UserException { vector, error } };
        self.handle_fault(t, f);
        self.schedule();
    }

    /// After an interrupt: make the scheduling decision.
    pub fn after_interrupt(&mut self) {
        self.schedule();
    }

    /// The VSpace root (PML4 physical address) and ASID `t` runs in, or
    /// `None` if its VSpace capability is missing or has no valid ASID (the
    /// thread is then stopped by [`Kernel::stop_unrunnable`]).
    #[inline(always)]
    pub fn thread_vspace(&self, t: TcbRef) -> Option<(u64, u64)> {
        let g = t.get();
        if g.vs_epoch.get() == self.vspace_epoch {
            return Some((g.vs_pml4.get(), g.vs_asid.get()));
        }
        let c = t.slot(crate::object::tcb_slot::VSPACE).cap();
        if !c.is(CapType::VSpace) {
            return None;
        }
        let asid = c.mapped_asid();
        if self.find_vspace(asid) != Some(c.paddr()) {
            return None;
        }
        g.vs_pml4.set(c.paddr());
        g.vs_asid.set(asid);
        g.vs_epoch.set(self.vspace_epoch);
        Some((c.paddr(), asid))
    }

    /// True if `t` runs in the root task's address space (the initial
    /// thread and any thread the root task created in its own VSpace).
    pub fn is_root_thread(&self, t: TcbRef) -> bool {
        self.root_vspace != 0 && self.thread_vspace(t).is_some_and(|(pml4, _)| pml4 == self.root_vspace)
    }

    /// Stops the current thread because it has no usable address space, and
    /// schedules another.
    pub fn stop_unrunnable(&mut self) {
        let t = self.cur;
        if !t.is_none() {
            self.set_thread_state(t, ThreadState::Inactive);
        }
        self.schedule();
    }
}
