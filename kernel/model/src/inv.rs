//! Object invocations beyond the CNode and Untyped ones: TCBs, scheduling
//! contexts, interrupts and I/O ports.
//!
//! An [`Inv`] is encoded into the label, message registers and extra
//! capability pointers a user thread would send ([`Inv::encode`]); the
//! model decodes them again through [`Args`], which reads arguments in the
//! kernel's order with the kernel's checks (a message register past the
//! message, or past MR3 without an IPC buffer, is `TruncatedMessage`; so is
//! an extra capability without an IPC buffer), so the first failing check
//! decides the error code, as in the kernel.

use crate::state::{Addr, Cap, CapKind, Outcome, SlotId, State};
use rampart_abi::{Error, Label, Rights};

/// An invocation with its arguments (capability arguments are pointers in
/// the invoker's root CNode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Inv {
    /// SchedControl: configure the context at `sc`.
    SchedConfigure {
        /// The context.
        sc: u32,
        /// Budget (µs).
        budget: u64,
        /// Period (µs).
        period: u64,
        /// Badge.
        badge: u64,
    },
    /// SchedContext: bind the TCB at the pointer (anything else: an error).
    ScBind(u32),
    /// SchedContext: unbind everything.
    ScUnbind,
    /// SchedContext: unbind the TCB at the pointer.
    ScUnbindObject(u32),
    /// SchedContext: time consumed.
    ScConsumed,
    /// SchedContext: yield to the bound thread.
    ScYieldTo,
    /// TCB: MCP, priority (authority `auth`), context `sc`, fault endpoint.
    TcbSetSchedParams {
        /// New MCP.
        mcp: u64,
        /// New priority.
        prio: u64,
        /// Authorising TCB.
        auth: u32,
        /// Scheduling context (an empty slot unbinds).
        sc: u32,
        /// Fault endpoint (an empty slot removes it).
        fault: u32,
    },
    /// TCB: priority (`mcp` false) or MCP, authority `auth`.
    TcbSetPriority {
        /// Value.
        value: u64,
        /// Authorising TCB.
        auth: u32,
        /// Set the MCP instead.
        mcp: bool,
    },
    /// TCB: IPC buffer at `vaddr` (0: none) in the frame at `frame`.
    TcbSetIpcBuffer {
        /// User address.
        vaddr: u64,
        /// Frame capability.
        frame: u32,
    },
    /// TCB: TLS base.
    TcbSetTlsBase(u64),
    /// TCB: foreign-ABI dispatch (entry, native lo, native hi).
    TcbSetSyscallDispatch(u64, u64, u64),
    /// TCB: suspend.
    TcbSuspend,
    /// TCB: resume.
    TcbResume,
    /// TCB: bind the notification at the pointer.
    TcbBindNotification(u32),
    /// TCB: unbind the notification.
    TcbUnbindNotification,
    /// TCB: timeout endpoint (an empty slot removes it).
    TcbSetTimeoutEndpoint(u32),
    /// TCB: read `count` registers, suspending the thread first.
    TcbReadRegisters {
        /// Suspend first.
        suspend: bool,
        /// Number of registers.
        count: u64,
    },
    /// TCB: write `count` registers (values derived from `seed`).
    TcbWriteRegisters {
        /// Resume afterwards.
        resume: bool,
        /// Number of registers.
        count: u64,
        /// Values: `seed + i * 0x1000` for register `i`.
        seed: u64,
    },
    /// TCB: copy the registers of the TCB at `src`.
    TcbCopyRegisters {
        /// Source TCB.
        src: u32,
        /// Bit 0: suspend the source; bit 1: resume the target.
        flags: u64,
    },
    /// IRQControl: handler for IOAPIC input `gsi` into slot `index` of the
    /// CNode at `root`.
    IrqGetIoapic {
        /// Destination CNode.
        root: u32,
        /// Destination slot.
        index: u32,
        /// IOAPIC input.
        gsi: u64,
    },
    /// IRQControl: handler for an MSI.
    IrqGetMsi {
        /// Destination CNode.
        root: u32,
        /// Destination slot.
        index: u32,
    },
    /// IRQHandler: acknowledge.
    IrqAck,
    /// IRQHandler: signal the notification at the pointer.
    IrqSetNotification(u32),
    /// IRQHandler: stop signalling.
    IrqClear,
    /// IOPortControl: issue ports `first..=last` into slot `index` of the
    /// CNode at `root`.
    PortIssue {
        /// First port.
        first: u64,
        /// Last port.
        last: u64,
        /// Destination CNode.
        root: u32,
        /// Destination slot.
        index: u32,
    },
    /// Frame: map into the VSpace at `vs` at `vaddr`.
    FrameMap {
        /// VSpace capability.
        vs: u32,
        /// User address.
        vaddr: u64,
        /// Rights (masked by the capability's).
        rights: u64,
        /// Attributes (`rampart_abi::object::vm_attr`).
        attr: u64,
    },
    /// Frame: unmap.
    FrameUnmap,
    /// Paging structure of `level` (3 PDPT, 2 page directory, 1 page
    /// table): map into the VSpace at `vs` to cover `vaddr`.
    TableMap {
        /// Level the label is for.
        level: u8,
        /// VSpace capability.
        vs: u32,
        /// Any address in the region.
        vaddr: u64,
    },
    /// Paging structure: unmap (label for `level`).
    TableUnmap(u8),
    /// ASID pool: assign an ASID to the VSpace at the pointer.
    AsidAssign(u32),
    /// IOPort: read (`value` None) or write `width` bytes at `port`.
    PortIo {
        /// Port.
        port: u64,
        /// 1, 2 or 4.
        width: u8,
        /// Value to write.
        value: Option<u64>,
    },
}

/// Value written to register `i` by [`Inv::TcbWriteRegisters`].
pub fn reg_value(seed: u64, i: usize) -> u64 {
    seed.wrapping_add(i as u64 * 0x1000)
}

impl Inv {
    /// The label, message registers and extra capability pointers a thread
    /// sends; `depth(cptr)` is the depth to use for a slot relative to the
    /// CNode capability at `cptr`.
    pub fn encode(&self, depth: &dyn Fn(u32) -> u64) -> (Label, Vec<u64>, Vec<u32>) {
        use Label as L;
        let i = |x: u32| u64::from(x);
        match *self {
            Inv::SchedConfigure { sc, budget, period, badge } => {
                (L::SchedControlConfigure, vec![budget, period, 0, badge], vec![sc])
            }
            Inv::ScBind(c) => (L::SchedContextBind, vec![], vec![c]),
            Inv::ScUnbind => (L::SchedContextUnbind, vec![], vec![]),
            Inv::ScUnbindObject(c) => (L::SchedContextUnbindObject, vec![], vec![c]),
            Inv::ScConsumed => (L::SchedContextConsumed, vec![], vec![]),
            Inv::ScYieldTo => (L::SchedContextYieldTo, vec![], vec![]),
            Inv::TcbSetSchedParams { mcp, prio, auth, sc, fault } => {
                (L::TcbSetSchedParams, vec![mcp, prio], vec![auth, sc, fault])
            }
            Inv::TcbSetPriority { value, auth, mcp } => {
                (if mcp { L::TcbSetMcPriority } else { L::TcbSetPriority }, vec![value], vec![auth])
            }
            Inv::TcbSetIpcBuffer { vaddr, frame } => (L::TcbSetIpcBuffer, vec![vaddr], vec![frame]),
            Inv::TcbSetTlsBase(b) => (L::TcbSetTlsBase, vec![b], vec![]),
            Inv::TcbSetSyscallDispatch(e, lo, hi) => (L::TcbSetSyscallDispatch, vec![e, lo, hi], vec![]),
            Inv::TcbSuspend => (L::TcbSuspend, vec![], vec![]),
            Inv::TcbResume => (L::TcbResume, vec![], vec![]),
            Inv::TcbBindNotification(c) => (L::TcbBindNotification, vec![], vec![c]),
            Inv::TcbUnbindNotification => (L::TcbUnbindNotification, vec![], vec![]),
            Inv::TcbSetTimeoutEndpoint(c) => (L::TcbSetTimeoutEndpoint, vec![], vec![c]),
            Inv::TcbReadRegisters { suspend, count } => (L::TcbReadRegisters, vec![suspend as u64, 0, count], vec![]),
            Inv::TcbWriteRegisters { resume, count, seed } => {
                let mut m = vec![resume as u64, 0, count];
                m.extend((0..count.min(20) as usize).map(|k| reg_value(seed, k)));
                (L::TcbWriteRegisters, m, vec![])
            }
            Inv::TcbCopyRegisters { src, flags } => (L::TcbCopyRegisters, vec![flags], vec![src]),
            Inv::IrqGetIoapic { root, index, gsi } => {
                (L::IrqControlGetIoapic, vec![i(index), depth(root), gsi, 0, 0], vec![root])
            }
            Inv::IrqGetMsi { root, index } => (L::IrqControlGetMsi, vec![i(index), depth(root)], vec![root]),
            Inv::IrqAck => (L::IrqHandlerAck, vec![], vec![]),
            Inv::IrqSetNotification(c) => (L::IrqHandlerSetNotification, vec![], vec![c]),
            Inv::IrqClear => (L::IrqHandlerClear, vec![], vec![]),
            Inv::PortIssue { first, last, root, index } => {
                (L::IoPortControlIssue, vec![first, last, i(index), depth(root)], vec![root])
            }
            Inv::FrameMap { vs, vaddr, rights, attr } => (L::FrameMap, vec![vaddr, rights, attr], vec![vs]),
            Inv::FrameUnmap => (L::FrameUnmap, vec![], vec![]),
            Inv::TableMap { level, vs, vaddr } => {
                let l = match level {
                    3 => L::PdptMap,
                    2 => L::PageDirectoryMap,
                    _ => L::PageTableMap,
                };
                (l, vec![vaddr], vec![vs])
            }
            Inv::TableUnmap(level) => (
                match level {
                    3 => L::PdptUnmap,
                    2 => L::PageDirectoryUnmap,
                    _ => L::PageTableUnmap,
                },
                vec![],
                vec![],
            ),
            Inv::AsidAssign(v) => (L::AsidPoolAssign, vec![], vec![v]),
            Inv::PortIo { port, width, value } => {
                let l = match (width, value.is_some()) {
                    (1, false) => L::IoPortIn8,
                    (2, false) => L::IoPortIn16,
                    (4, false) => L::IoPortIn32,
                    (1, true) => L::IoPortOut8,
                    (2, true) => L::IoPortOut16,
                    _ => L::IoPortOut32,
                };
                let mut m = vec![port];
                m.extend(value);
                (l, m, vec![])
            }
        }
    }
}

/// The arguments of an invocation as the kernel reads them (extra
/// capabilities are looked up when the invocation is decoded).
pub struct Args {
    mrs: Vec<u64>,
    extras: Vec<Option<(SlotId, Option<Cap>)>>,
    buffer: bool,
}

impl Args {
    /// Arguments sent by thread `t` (whose IPC buffer decides what arrives).
    pub fn new(s: &State, t: Addr, mrs: Vec<u64>, extras: Vec<u32>) -> Args {
        let buffer = s.ipc_buffer(t).is_some();
        let extras = extras.into_iter().map(|c| s.lookup(t, c).map(|x| (x, s.cap(x)))).collect();
        Args { mrs, extras, buffer }
    }

    /// Message register `i`.
    ///
    /// # Errors
    /// `TruncatedMessage` past the message, or past MR3 without an IPC buffer.
    pub fn mr(&self, i: usize) -> Result<u64, Error> {
        if i >= self.mrs.len() || (i >= 4 && !self.buffer) {
            return Err(Error::TruncatedMessage);
        }
        Ok(self.mrs[i])
    }

    /// Extra capability `k`: its slot and capability (None: empty slot).
    ///
    /// # Errors
    /// `TruncatedMessage` if absent or without an IPC buffer, `FailedLookup`
    /// if the pointer does not resolve.
    pub fn extra(&self, k: usize) -> Result<(SlotId, Option<Cap>), Error> {
        if k >= self.extras.len() || !self.buffer {
            return Err(Error::TruncatedMessage);
        }
        self.extras[k].ok_or(Error::FailedLookup)
    }
}

impl State {
    /// The slot `index` of the CNode capability `node` names, if empty.
    ///
    /// # Errors
    /// `FailedLookup` if `node` is no CNode capability, `DeleteFirst` if
    /// the slot is in use.
    pub fn empty_slot_at(&self, node: Option<Cap>, index: u64) -> Result<SlotId, Error> {
        let idx = u32::try_from(index).map_err(|_| Error::FailedLookup)?;
        let d = crate::cnode::node_slot(node, idx)?;
        if self.cap(d).is_some() { Err(Error::DeleteFirst) } else { Ok(d) }
    }
}

impl State {
    /// The IPC buffer of `t`, if valid: (frame, byte offset in it).
    pub fn ipc_buffer(&self, t: Addr) -> Option<(Addr, u64)> {
        let x = self.tcb(t)?;
        // The kernel ignores a frame that is not read-write.
        match x.slots[crate::state::tcb_slot::IPC_BUFFER as usize - 1] {
            Some(Cap { kind: CapKind::Frame { obj: f, .. }, rights, .. })
                if x.ipc_buffer != 0 && rights.contains(Rights::RW) =>
            {
                Some((f, x.ipc_buffer & 0xfff))
            }
            _ => None,
        }
    }

    /// Performs invocation `inv` by `t` on the capability at `cap`. `None`:
    /// outside the model's domain (registers written into a thread blocked
    /// sending, whose message would change).
    pub fn invoke(&mut self, t: Addr, cap: u32, inv: &Inv, ev: &mut crate::Events) -> Option<Result<Outcome, Error>> {
        let depth = |c: u32| match self.lookup(t, c).and_then(|x| self.cap(x)).map(|c| c.kind) {
            Some(CapKind::CNode { radix, guard_bits, .. }) => u64::from(radix + guard_bits),
            _ => 64,
        };
        let (label, mrs, extras) = inv.encode(&depth);
        let Some((slot, c)) = self.lookup(t, cap).and_then(|x| Some((x, self.cap(x)?))) else {
            return Some(Err(Error::InvalidCapability));
        };
        let a = Args::new(self, t, mrs, extras);
        Some(match c.kind {
            CapKind::Tcb(x) => return self.invoke_tcb(t, x, label, &a, ev),
            CapKind::SchedControl | CapKind::SchedContext(_) => self.invoke_sched(t, c, label, &a),
            CapKind::IrqControl | CapKind::IrqHandler(_) => self.invoke_irq(slot, c, label, &a),
            CapKind::IoPortControl | CapKind::IoPort { .. } => self.invoke_ioport(slot, c, label, &a, ev),
            CapKind::Frame { .. } | CapKind::Table { .. } | CapKind::VSpace { .. } | CapKind::AsidPool { .. } => {
                self.invoke_vspace(slot, c, label, &a)
            }
            _ => Err(Error::IllegalOperation),
        })
    }
}
