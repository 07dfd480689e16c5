//! A host harness for the real kernel core: a [`Config`] booted on host
//! memory, and model operations performed as system calls.
//!
//! Physical memory is one aligned host allocation; the physical-memory
//! offset is 0 on the host, so a model address `a` is the host address
//! `base + a` (the bijection between model and kernel objects). Boot
//! objects are created with the kernel's own `create_object` and the CDT
//! built with `slot::insert_root`/`slot::insert` in the order
//! [`Config::boot`] builds the model's. Each thread also gets an IPC buffer
//! frame, a configured scheduling context (unless it boots passive, blocked
//! in a receive) and a VSpace with an ASID from the boot ASID pool (all
//! model objects), so the IPC fast path can run. The
//! harness makes the acting thread current before each system call, as the
//! scheduler would (the previous one goes back to the ready queue).

use crate::boot::{BootObj, Config, Layout};
use crate::op::{Loc, Op};
use crate::state::{Cap as MCap, CapKind, Msg, NewObj, State};
use rampart_abi::ipc_buffer::IpcBuffer;
use rampart_abi::{Label, MessageInfo, ObjectType, Syscall};
use rampart_kcore::cap::Cap;
use rampart_kcore::kernel::{Kernel, SchedAction};
use rampart_kcore::kmem;
use rampart_kcore::object::{EpRef, ReplyRef, ScRef, TcbRef, ThreadState, tcb_slot};
use rampart_kcore::regs::{MR_REGS, VECTOR_SYSCALL, r};
use rampart_kcore::slot::{self, SlotRef};
use rampart_kcore::testing::MockMachine;
use std::alloc::{Layout as MemLayout, alloc_zeroed, dealloc};

/// `rip` the harness gives a thread before each system call; a restarted
/// system call leaves it 2 bytes lower.
pub const RIP: u64 = crate::state::USER_RIP;
/// User address of every thread's IPC buffer.
pub const IPC_BUFFER_VADDR: u64 = crate::boot::IPC_BUFFER_VADDR;

/// Which way the kernel handled a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Path {
    /// The fast path for `Call`.
    FastCall,
    /// The fast path for `ReplyRecv`.
    FastReplyRecv,
    /// The general path.
    General,
}

/// The real kernel core booted from a [`Config`].
pub struct KWorld {
    /// The kernel.
    pub k: Kernel<MockMachine>,
    /// Host address of model address 0.
    pub base: u64,
    /// Where the boot objects are.
    pub layout: Layout,
    /// Port writes recorded before the last step.
    pub port_mark: usize,
    mem: *mut u8,
    mem_layout: MemLayout,
}

impl Drop for KWorld {
    fn drop(&mut self) {
        // SAFETY: allocated in `KWorld::boot` with this layout.
        unsafe { dealloc(self.mem, self.mem_layout) }
    }
}

/// The kernel encoding of a model capability.
pub fn kcap(base: u64, c: &MCap) -> Cap {
    match c.kind {
        CapKind::Untyped { base: b, size_bits, free } => Cap::untyped(base + b, size_bits, false, free),
        CapKind::CNode { obj, radix, guard_bits } => Cap::cnode(base + obj, radix, guard_bits, 0),
        CapKind::Tcb(a) => Cap::tcb(base + a),
        CapKind::Endpoint(a) => Cap::endpoint(base + a, c.badge, c.rights),
        CapKind::Notification(a) => Cap::notification(base + a, c.badge, c.rights),
        CapKind::Reply(a) => Cap::reply(base + a, c.rights.contains(rampart_abi::Rights::GRANT)),
        CapKind::SchedContext(a) => Cap::sched_context(base + a),
        CapKind::Frame { obj, mapped } => {
            let (asid, va) = mapped.unwrap_or((0, 0));
            Cap::frame(base + obj, false, c.rights, false).with_mapping(asid, va)
        }
        CapKind::Table { obj, level, mapped } => {
            let t = match level {
                3 => rampart_abi::CapType::Pdpt,
                2 => rampart_abi::CapType::PageDirectory,
                _ => rampart_abi::CapType::PageTable,
            };
            let (asid, va) = mapped.unwrap_or((0, 0));
            Cap::paging(t, base + obj).with_mapping(asid, va)
        }
        CapKind::VSpace { obj, asid } => Cap::vspace(base + obj, asid),
        CapKind::AsidPool { obj, base: b } => Cap::asid_pool(base + obj, b),
        CapKind::SchedControl => Cap::control(rampart_abi::CapType::SchedControl),
        CapKind::IrqControl => Cap::control(rampart_abi::CapType::IrqControl),
        CapKind::IoPortControl => Cap::control(rampart_abi::CapType::IoPortControl),
        CapKind::IrqHandler(i) => Cap::irq_handler(i),
        CapKind::IoPort { first, last } => Cap::io_port(first, last),
    }
}

impl KWorld {
    /// Boots `cfg` (which must use byte sizes) on fresh host memory.
    ///
    /// # Panics
    /// If host memory cannot be allocated.
    pub fn boot(cfg: &Config) -> KWorld {
        let layout = cfg.layout();
        let size = layout.end;
        let align = 1u64 << cfg.untyped_bits.max(12);
        let mem_layout = MemLayout::from_size_align(size as usize, align as usize).expect("layout");
        // SAFETY: non-zero size.
        let mem = unsafe { alloc_zeroed(mem_layout) };
        assert!(!mem.is_null(), "host memory");
        let base = mem as u64;
        let mut k = Kernel::new(MockMachine::default());
        let b = base;
        let pool = k.make_asid_pool(b + layout.asid_pool).expect("ASID pool");
        for &a in &layout.endpoints {
            k.create_object(ObjectType::Endpoint, b + a, Self::bits(NewObj::Endpoint), false);
        }
        for &a in &layout.notifications {
            k.create_object(ObjectType::Notification, b + a, Self::bits(NewObj::Notification), false);
        }
        for &a in &layout.replies {
            k.create_object(ObjectType::Reply, b + a, Self::bits(NewObj::Reply), false);
        }
        for &a in &layout.scs {
            k.create_object(ObjectType::SchedContext, b + a, Self::bits(NewObj::SchedContext), false);
        }
        for i in 0..cfg.threads {
            k.create_object(ObjectType::CNode, b + layout.cnodes[i], Self::bits(NewObj::CNode(cfg.radix)), false);
            k.create_object(ObjectType::Tcb, b + layout.tcbs[i], Self::bits(NewObj::Tcb), false);
            let t = TcbRef(b + layout.tcbs[i]);
            let own = SlotRef::index(b + layout.cnodes[i], 0);
            let cn = MCap::new(cfg.boot_kind(&layout, BootObj::CNode(i)));
            slot::insert_root(kcap(b, &cn), own);
            slot::insert(own.cap(), own, t.slot(tcb_slot::CSPACE));
            let frame = Cap::frame(b + layout.frames[i], false, rampart_abi::Rights::RW, false);
            slot::insert_root(frame, t.slot(tcb_slot::IPC_BUFFER));
            t.get().ipc_buffer.set(IPC_BUFFER_VADDR);
            let vs = k.create_object(ObjectType::VSpace, b + layout.vspaces[i], 12, false);
            slot::insert_root(vs, t.slot(tcb_slot::VSPACE));
            k.asid_assign(pool, t.slot(tcb_slot::VSPACE)).expect("ASID");
            let g = t.get();
            g.priority.set(crate::boot::BOOT_PRIO);
            g.mcp.set(255);
            g.regs.set(r::VECTOR, VECTOR_SYSCALL);
            g.regs.set(r::RIP, RIP);
            t.set_state(ThreadState::Running);
            let sc = ScRef(b + layout.scs[i]);
            k.sc_configure(sc, crate::boot::BOOT_BUDGET_US, crate::boot::BOOT_BUDGET_US, 0);
            if !cfg.passive.iter().any(|p| p.0 == i) {
                sc.get().tcb.set(t.0);
                g.sc.set(sc.0);
            }
        }
        for &(i, e, rp) in &cfg.passive {
            let t = TcbRef(b + layout.tcbs[i]);
            k.recv_ipc(t, EpRef(b + layout.endpoints[e]), ReplyRef(b + layout.replies[rp]), true);
        }
        let mut first: std::collections::BTreeMap<BootObj, SlotRef> = std::collections::BTreeMap::new();
        for i in 0..cfg.threads {
            first.insert(BootObj::CNode(i), SlotRef::index(b + layout.cnodes[i], 0));
            first.insert(BootObj::Frame(i), TcbRef(b + layout.tcbs[i]).slot(tcb_slot::IPC_BUFFER));
            first.insert(BootObj::VSpace(i), TcbRef(b + layout.tcbs[i]).slot(tcb_slot::VSPACE));
        }
        for bc in &cfg.caps {
            let dest = SlotRef::index(b + layout.cnodes[bc.thread], u64::from(bc.slot));
            match first.get(&bc.obj) {
                None => {
                    let m = MCap::new(cfg.boot_kind(&layout, bc.obj)).masked(bc.rights);
                    let m = MCap { badge: if m.is_badged_kind() { bc.badge } else { 0 }, ..m };
                    slot::insert_root(kcap(b, &m), dest);
                    first.insert(bc.obj, dest);
                }
                Some(&src) => {
                    let mut c = src.cap().masked(bc.rights);
                    if matches!(c.cap_type(), rampart_abi::CapType::Endpoint | rampart_abi::CapType::Notification)
                        && c.badge() == 0
                    {
                        c = c.with_badge(bc.badge);
                    }
                    slot::insert(c, src, dest);
                }
            }
        }
        KWorld { k, base, layout, port_mark: 0, mem, mem_layout }
    }

    fn bits(t: NewObj) -> u32 {
        crate::state::Sizes::Bytes.bits(t)
    }

    /// The kernel TCB of model thread `t`.
    pub fn tcb(&self, t: u64) -> TcbRef {
        TcbRef(self.base + t)
    }

    fn buffer(&self, t: TcbRef) -> Option<u64> {
        rampart_kcore::ipc::ipc_buffer_paddr(t)
    }

    /// Writes `t`'s receive slot (an index of its root CNode, or none).
    fn set_receive(&self, t: TcbRef, recv: Option<u32>) {
        let Some(b) = self.buffer(t) else { return };
        let b = b + IpcBuffer::RECEIVE_OFFSET as u64;
        kmem::write_u64(b, 0);
        kmem::write_u64(b + 8, recv.map_or(0, u64::from));
        kmem::write_u64(b + 16, if recv.is_some() { 64 } else { 0 });
    }

    /// Performs `op` as thread `t` through the kernel's entry points (a
    /// system call, an exception or an interrupt). `m` is the model state
    /// before the step (for CNode depths). Returns every thread's result
    /// registers as they were just before the kernel was entered (inputs
    /// written), and the path a system call took.
    pub fn perform(
        &mut self,
        m: &State,
        t: u64,
        op: &Op,
    ) -> (std::collections::BTreeMap<u64, super::compare::Regs>, Path) {
        self.port_mark = self.k.m.port_writes.len();
        let tcb = self.tcb(t);
        let depth = |cptr: u32| -> u64 {
            match m.lookup(t, cptr).and_then(|s| m.cap(s)).map(|c| c.kind) {
                Some(CapKind::CNode { radix, guard_bits, .. }) => u64::from(radix + guard_bits),
                _ => 64,
            }
        };
        let loc = |l: Loc| [u64::from(l.index), depth(l.node)];
        let (sys, cptr, label, mrs, caps, reply): (Syscall, u32, u64, Vec<u64>, Vec<u64>, u32) = match *op {
            Op::Retype { ut, ty, root, node, offset, count } => {
                let (ot, arg) = match ty {
                    NewObj::Untyped(n) => (ObjectType::Untyped, u64::from(n)),
                    NewObj::CNode(r) => (ObjectType::CNode, u64::from(r)),
                    NewObj::Tcb => (ObjectType::Tcb, 0),
                    NewObj::Endpoint => (ObjectType::Endpoint, 0),
                    NewObj::Notification => (ObjectType::Notification, 0),
                    NewObj::Reply => (ObjectType::Reply, 0),
                    NewObj::SchedContext => (ObjectType::SchedContext, 0),
                    NewObj::Frame => (ObjectType::Frame4K, 0),
                    NewObj::VSpace => (ObjectType::VSpace, 0),
                    NewObj::Table(3) => (ObjectType::Pdpt, 0),
                    NewObj::Table(2) => (ObjectType::PageDirectory, 0),
                    NewObj::Table(_) => (ObjectType::PageTable, 0),
                };
                let (ni, nd) = node.map_or((0, 0), |i| (u64::from(i), depth(root)));
                let mrs = vec![ot as u64, arg, ni, nd, u64::from(offset), u64::from(count)];
                (Syscall::Call, ut, Label::UntypedRetype as u64, mrs, vec![u64::from(root)], 0)
            }
            Op::Copy { dest, src, rights, data } => {
                let mut mrs = [loc(dest), loc(src)].concat();
                mrs.push(rights.0);
                let label = match data {
                    Some(d) => {
                        mrs.push(d);
                        Label::CNodeMint
                    }
                    None => Label::CNodeCopy,
                };
                (Syscall::Call, dest.node, label as u64, mrs, vec![u64::from(src.node)], 0)
            }
            Op::Move { dest, src, data } => {
                let mut mrs = [loc(dest), loc(src)].concat();
                let label = match data {
                    Some(d) => {
                        mrs.push(d);
                        Label::CNodeMutate
                    }
                    None => Label::CNodeMove,
                };
                (Syscall::Call, dest.node, label as u64, mrs, vec![u64::from(src.node)], 0)
            }
            Op::Delete(l) => (Syscall::Call, l.node, Label::CNodeDelete as u64, loc(l).to_vec(), vec![], 0),
            Op::Revoke(l) => (Syscall::Call, l.node, Label::CNodeRevoke as u64, loc(l).to_vec(), vec![], 0),
            Op::CancelBadgedSends(l) => {
                (Syscall::Call, l.node, Label::CNodeCancelBadgedSends as u64, loc(l).to_vec(), vec![], 0)
            }
            Op::Send { cap, msg, blocking } => {
                let sys = if blocking { Syscall::Send } else { Syscall::NBSend };
                Self::message(sys, cap, msg, 0)
            }
            Op::Call { cap, msg, recv_slot } => {
                self.set_receive(tcb, recv_slot);
                Self::message(Syscall::Call, cap, msg, 0)
            }
            Op::Recv { cap, reply, recv_slot, blocking } => {
                self.set_receive(tcb, recv_slot);
                let sys = match (reply, blocking) {
                    (None, _) => Syscall::Wait,
                    (Some(_), true) => Syscall::Recv,
                    (Some(_), false) => Syscall::NBRecv,
                };
                (sys, cap, 0, vec![], vec![], reply.unwrap_or(0))
            }
            Op::ReplyRecv { reply, cap, msg, recv_slot } => {
                self.set_receive(tcb, recv_slot);
                Self::message(Syscall::ReplyRecv, cap, msg, reply)
            }
            Op::Invoke { cap, ref inv } => {
                let (label, mrs, extras) = inv.encode(&depth);
                (Syscall::Call, cap, label as u64, mrs, extras.into_iter().map(u64::from).collect(), 0)
            }
            Op::Fault(f) => return (self.fault(m, tcb, f), Path::General),
            Op::Interrupt(irq) => {
                let before = super::compare::snapshot(self, m);
                self.k.handle_interrupt(irq as u8);
                self.k.after_interrupt();
                return (before, Path::General);
            }
        };
        let regs = &tcb.get().regs;
        let buf = self.buffer(tcb);
        for (i, &v) in mrs.iter().enumerate() {
            if i < 4 {
                regs.set(MR_REGS[i], v);
            } else if let Some(b) = buf {
                kmem::write_u64(b + (IpcBuffer::MSG_OFFSET + 8 * i) as u64, v);
            }
        }
        for (i, &c) in caps.iter().enumerate() {
            if let Some(b) = buf {
                kmem::write_u64(b + (IpcBuffer::CAPS_OFFSET + 8 * i) as u64, c);
            }
        }
        regs.set(r::RAX, sys as u64);
        regs.set(r::RDI, u64::from(cptr));
        regs.set(r::RSI, MessageInfo::new(label, 0, caps.len() as u64, mrs.len() as u64).0);
        regs.set(r::R12, u64::from(reply));
        regs.set(r::VECTOR, VECTOR_SYSCALL);
        regs.set(r::RIP, RIP);
        self.switch_to(tcb);
        let before = super::compare::snapshot(self, m);
        let hits = self.k.fastpath_hits;
        let _ = self.k.syscall();
        let path = match (self.k.fastpath_hits > hits, sys) {
            (true, Syscall::Call) => Path::FastCall,
            (true, _) => Path::FastReplyRecv,
            (false, _) => Path::General,
        };
        (before, path)
    }

    /// Makes `t` the current thread (the previous one, if it can run, goes
    /// back to the ready queue), as the scheduler would.
    fn switch_to(&mut self, t: TcbRef) {
        let cur = self.k.cur;
        if cur != t {
            if !cur.is_none() && self.k.schedulable(cur) {
                self.k.ready.enqueue(cur);
            }
            self.k.ready.dequeue(t);
            self.k.cur = t;
        }
        self.k.action = SchedAction::Resume;
    }

    /// Thread `t` faults: an unknown system call (through the system-call
    /// entry) or a CPU exception.
    fn fault(
        &mut self,
        m: &State,
        t: TcbRef,
        f: crate::state::Fault,
    ) -> std::collections::BTreeMap<u64, super::compare::Regs> {
        let regs = &t.get().regs;
        regs.set(r::RIP, RIP);
        self.switch_to(t);
        match f {
            crate::state::Fault::UnknownSyscall(n) => {
                regs.set(r::RAX, n);
                regs.set(r::VECTOR, VECTOR_SYSCALL);
                let before = super::compare::snapshot(self, m);
                let _ = self.k.syscall();
                before
            }
            crate::state::Fault::UserException(v) => {
                regs.set(r::VECTOR, v);
                let before = super::compare::snapshot(self, m);
                self.k.handle_exception(v, 0, 0);
                before
            }
            crate::state::Fault::VmFault(addr) => {
                regs.set(r::VECTOR, 14);
                let before = super::compare::snapshot(self, m);
                self.k.handle_exception(14, 4, addr);
                before
            }
        }
    }

    /// Registers and extra capability of an IPC system call carrying `msg`.
    fn message(sys: Syscall, cap: u32, msg: Msg, reply: u32) -> (Syscall, u32, u64, Vec<u64>, Vec<u64>, u32) {
        let caps = msg.cap.map(|c| vec![u64::from(c)]).unwrap_or_default();
        (sys, cap, msg.label, vec![msg.mr0], caps, reply)
    }
}
