//! Decoding kernel-object invocations and delivering their results.
//!
//! An invocation's arguments are message registers and extra capabilities
//! (see `rampart_abi::invocation`); [`Inv`] reads them with bounds checks so
//! every decoder returns an [`InvError`] instead of trusting its input. The
//! result is written back as the reply: label 0 or the error code, and the
//! result words in MR0...

use crate::cap::Cap;
use crate::cspace;
use crate::ipc::{get_mr, ipc_buffer_paddr, set_mr};
use crate::kernel::Kernel;
use crate::kmem;
use crate::machine::Machine;
use crate::object::TcbRef;
use crate::regs::r;
use crate::slot::SlotRef;
use rampart_abi::ipc_buffer::IpcBuffer;
use rampart_abi::{CapType, Error, Label, MessageInfo};

/// An invocation error with up to two detail words (MR0, MR1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvError {
    /// The error code.
    pub err: Error,
    /// Detail words.
    pub detail: [u64; 2],
    /// Number of detail words.
    pub n: usize,
}

impl InvError {
    /// An error without detail.
    pub const fn new(err: Error) -> Self {
        InvError { err, detail: [0; 2], n: 0 }
    }
    /// An error with one detail word.
    pub const fn with(err: Error, a: u64) -> Self {
        InvError { err, detail: [a, 0], n: 1 }
    }
    /// An error with two detail words.
    pub const fn with2(err: Error, a: u64, b: u64) -> Self {
        InvError { err, detail: [a, b], n: 2 }
    }
}

impl From<Error> for InvError {
    fn from(e: Error) -> Self {
        InvError::new(e)
    }
}

/// Result of an invocation: the number of result words written to MR0...
pub type InvResult = Result<usize, InvError>;

/// A decoded invocation.
pub struct Inv {
    /// The invoking thread.
    pub t: TcbRef,
    /// Its IPC buffer (physical address), if any.
    pub buf: Option<u64>,
    /// The message info.
    pub info: MessageInfo,
    /// Slot of the invoked capability.
    pub slot: SlotRef,
    /// The invoked capability.
    pub cap: Cap,
    /// The operation (None: unknown label).
    pub label: Option<Label>,
}

impl Inv {
    /// Decodes the invocation `t` made on `cap` in `slot`.
    pub fn new(t: TcbRef, slot: SlotRef, cap: Cap) -> Inv {
        let info = MessageInfo(t.get().regs.get(r::RSI));
        Inv { t, buf: ipc_buffer_paddr(t), info, slot, cap, label: Label::from_u64(info.label()) }
    }

    /// Message register `i`.
    ///
    /// # Errors
    /// `TruncatedMessage` if the message is shorter.
    pub fn mr(&self, i: usize) -> Result<u64, InvError> {
        if i >= self.info.length() || (i >= 4 && self.buf.is_none()) {
            return Err(InvError::new(Error::TruncatedMessage));
        }
        Ok(get_mr(self.t, self.buf, i))
    }

    /// Number of message words sent.
    pub fn len(&self) -> usize {
        self.info.length()
    }

    /// True if the message has no words.
    pub fn is_empty(&self) -> bool {
        self.info.length() == 0
    }

    /// The capability pointer of extra capability `k` (without lookup).
    pub fn extra_cptr(&self, k: usize) -> Result<u64, InvError> {
        if k >= self.info.extra_caps() {
            return Err(InvError::new(Error::TruncatedMessage));
        }
        let b = self.buf.ok_or(InvError::new(Error::TruncatedMessage))?;
        Ok(kmem::read_u64(b + (IpcBuffer::CAPS_OFFSET + 8 * k) as u64))
    }

    /// Looks up extra capability `k` in the invoker's CSpace.
    ///
    /// # Errors
    /// `TruncatedMessage` if absent, `FailedLookup` if the lookup fails.
    pub fn extra(&self, root: Cap, k: usize) -> Result<(SlotRef, Cap), InvError> {
        let cptr = self.extra_cptr(k)?;
        cspace::lookup_cap(root, cptr).map_err(|_| InvError::with(Error::FailedLookup, k as u64))
    }

    /// Writes result word `i` (MR`i`).
    pub fn set_result(&self, i: usize, v: u64) {
        set_mr(self.t, self.buf, i, v);
    }
}

/// Requires `cap` to be of type `t`.
pub fn expect(cap: Cap, t: CapType, arg: u64) -> Result<(), InvError> {
    if cap.cap_type() == t { Ok(()) } else { Err(InvError::with(Error::InvalidCapability, arg)) }
}

impl<M: Machine> Kernel<M> {
    /// Performs the invocation of `cap` (in `slot`) by the current thread
    /// `t` and writes the reply registers (also for `Send`: the label
    /// reports the outcome).
    pub fn invoke(&mut self, t: TcbRef, slot: SlotRef, cap: Cap) {
        let inv = Inv::new(t, slot, cap);
        let result = if inv.label.is_none() {
            Err(InvError::new(Error::IllegalOperation))
        } else {
            match cap.cap_type() {
                CapType::Untyped => self.inv_untyped(&inv),
                CapType::CNode => self.inv_cnode(&inv),
                CapType::Tcb => self.inv_tcb(&inv),
                CapType::SchedControl | CapType::SchedContext => self.inv_sched(&inv),
                CapType::IrqControl | CapType::IrqHandler => self.inv_irq(&inv),
                CapType::IoPortControl | CapType::IoPort => self.inv_ioport(&inv),
                CapType::AsidControl
                | CapType::AsidPool
                | CapType::Frame
                | CapType::PageTable
                | CapType::PageDirectory
                | CapType::Pdpt
                | CapType::VSpace => self.inv_vspace(&inv),
                CapType::Audit => self.inv_audit(&inv),
                CapType::Log => self.inv_log(&inv),
                CapType::TimerControl | CapType::Timer => self.inv_timer(&inv),
                _ => Err(InvError::new(Error::InvalidCapability)),
            }
        };
        // The invoker may have destroyed its own TCB.
        if self.cur != t {
            return;
        }
        let regs = &t.get().regs;
        match result {
            Ok(n) => regs.set(r::RSI, MessageInfo::new(0, 0, 0, n as u64).0),
            Err(e) => {
                for i in 0..e.n {
                    inv.set_result(i, e.detail[i]);
                }
                regs.set(r::RSI, MessageInfo::new(e.err as u64, 0, 0, e.n as u64).0);
            }
        }
        regs.set(r::RDI, 0);
    }
}
