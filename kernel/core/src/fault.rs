//! Faults become IPC to the thread's fault endpoint (seL4 Reference Manual
//! §6.2): the faulting thread is blocked as if it had done a `Call` with the
//! fault message; the handler's reply decides whether it resumes.

use crate::ipc::{get_mr, ipc_buffer_paddr, set_mr};
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::{EpRef, FaultLabel, TcbRef, ThreadState, tcb_slot};
use crate::regs::{FAULT_ORDER, r};
use rampart_abi::fault::{TIMEOUT_LENGTH, UNKNOWN_SYSCALL_LENGTH, USER_EXCEPTION_LENGTH, VM_FAULT_LENGTH};
use rampart_abi::{CapType, MessageInfo, Rights};

/// A fault to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Unknown syscall number.
    UnknownSyscall(u64),
    /// CPU exception `vector` with `error` code.
    UserException {
        /// Exception vector.
        vector: u64,
        /// Error code.
        error: u64,
    },
    /// Page fault at `addr`.
    VmFault {
        /// Faulting address (CR2).
        addr: u64,
        /// x86 page-fault error code.
        error: u64,
    },
}

impl<M: Machine> Kernel<M> {
    /// Records `fault` for `t` and sends it to `t`'s fault endpoint. Without
    /// a usable fault endpoint the thread stops (Inactive).
    pub fn handle_fault(&mut self, t: TcbRef, fault: Fault) {
        let g = t.get();
        match fault {
            Fault::UnknownSyscall(n) => {
                g.fault.set(FaultLabel::UnknownSyscall as u64);
                g.fault_w[0].set(n);
            }
            Fault::UserException { vector, error } => {
                g.fault.set(FaultLabel::UserException as u64);
                g.fault_w[0].set(vector);
                g.fault_w[1].set(error);
            }
            Fault::VmFault { addr, error } => {
                g.fault.set(FaultLabel::VmFault as u64);
                g.fault_w[0].set(addr);
                g.fault_w[1].set(error);
            }
        }
        self.deliver_fault(t, tcb_slot::FAULT_EP);
    }

    /// Sends the timeout fault for `t` if it has a timeout endpoint.
    pub fn send_timeout_fault(&mut self, t: TcbRef) {
        let ep = t.slot(tcb_slot::TIMEOUT_EP).cap();
        if ep.cap_type() != CapType::Endpoint || t.state() != ThreadState::Running {
            return;
        }
        let g = t.get();
        let sc = t.sc();
        g.fault.set(FaultLabel::Timeout as u64);
        g.fault_w[0].set(if sc.is_none() { 0 } else { sc.get().badge.get() });
        g.fault_w[1].set(if sc.is_none() { 0 } else { sc.get().consumed.get() * 1000 });
        self.deliver_fault(t, tcb_slot::TIMEOUT_EP);
    }

    fn deliver_fault(&mut self, t: TcbRef, which: u64) {
        let cap = t.slot(which).cap();
        if cap.cap_type() != CapType::Endpoint || !cap.rights().contains(Rights::WRITE) {
            // No handler: the thread stops (seL4 `handleDoubleFault`).
            if cfg!(feature = "trace-faults") {
                self.log_kernel(b"kernel: thread faulted without a fault handler; stopped\n");
            }
            t.get().fault.set(FaultLabel::None as u64);
            self.set_thread_state(t, ThreadState::Inactive);
            return;
        }
        // The fault endpoint gets the message as a Call; grant-reply lets the
        // handler send capabilities back.
        let rights = cap.rights().and(Rights::GRANT_REPLY);
        self.send_ipc(t, EpRef(cap.paddr()), cap.badge(), rights, true, true);
    }

    /// Writes the fault message of `sender` into `receiver`; returns its
    /// message info.
    pub(crate) fn fault_message(&mut self, sender: TcbRef, receiver: TcbRef, rbuf: Option<u64>) -> MessageInfo {
        let g = sender.get();
        let regs = &g.regs;
        let label = g.fault.get();
        let words: &mut [u64; 19] = &mut [0; 19];
        let len = match FaultLabel::from_u64(label) {
            Some(FaultLabel::UnknownSyscall) => {
                for (i, &reg) in FAULT_ORDER.iter().enumerate() {
                    words[i] = regs.get_user(reg);
                }
                words[18] = g.fault_w[0].get();
                UNKNOWN_SYSCALL_LENGTH
            }
            Some(FaultLabel::UserException) => {
                *words = [0; 19];
                words[0] = regs.get(r::RIP);
                words[1] = regs.get(r::RSP);
                words[2] = regs.get(r::RFLAGS);
                words[3] = g.fault_w[0].get();
                words[4] = g.fault_w[1].get();
                USER_EXCEPTION_LENGTH
            }
            Some(FaultLabel::VmFault) => {
                words[0] = regs.get(r::RIP);
                words[1] = g.fault_w[0].get();
                words[2] = (g.fault_w[1].get() >> 4) & 1;
                words[3] = g.fault_w[1].get();
                VM_FAULT_LENGTH
            }
            Some(FaultLabel::Timeout) => {
                words[0] = g.fault_w[0].get();
                words[1] = g.fault_w[1].get();
                TIMEOUT_LENGTH
            }
            _ => 0,
        };
        let mut stored = 0;
        for (i, &w) in words.iter().enumerate().take(len) {
            if !set_mr(receiver, rbuf, i, w) {
                break;
            }
            stored += 1;
        }
        MessageInfo::new(label, 0, 0, stored as u64)
    }

    /// Applies the handler's reply (from `replier`'s registers) to the
    /// faulted `t`; returns true if `t` should resume.
    pub(crate) fn handle_fault_reply(&mut self, t: TcbRef, replier: TcbRef) -> bool {
        let info = MessageInfo(replier.get().regs.get(r::RSI));
        if info.label() != 0 {
            return false;
        }
        let buf = ipc_buffer_paddr(replier);
        let len = info.length();
        let regs = &t.get().regs;
        match FaultLabel::from_u64(t.get().fault.get()) {
            Some(FaultLabel::UnknownSyscall) => {
                for (i, &reg) in FAULT_ORDER.iter().enumerate().take(len) {
                    regs.set_user(reg, get_mr(replier, buf, i));
                }
            }
            Some(FaultLabel::UserException) => {
                let order = [r::RIP, r::RSP, r::RFLAGS];
                for (i, &reg) in order.iter().enumerate().take(len) {
                    regs.set_user(reg, get_mr(replier, buf, i));
                }
            }
            _ => {}
        }
        true
    }
}
