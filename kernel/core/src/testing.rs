//! A host test bench for the kernel core: a recording [`MockMachine`] and a
//! [`World`] with a booted root task whose "physical memory" is a host
//! allocation (the physical-memory offset is 0 on the host). Tests act as
//! user threads by writing registers and calling the kernel's entry points.
//!
//! Enabled for the crate's own tests and, with feature `testing`, for other
//! host crates (the kernel model's refinement tests).

extern crate std;

use crate::boot::RootTask;
use crate::ipc::ipc_buffer_paddr;
use crate::kernel::Kernel;
use crate::kmem;
use crate::machine::{IrqRoute, Machine};
use crate::object::TcbRef;
use crate::regs::{MR_REGS, r};
use rampart_abi::bootinfo::{INIT_IPC_BUFFER_VADDR, slot as ws};
use rampart_abi::ipc_buffer::IpcBuffer;
use rampart_abi::{Error, Label, MessageInfo, Syscall};
use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::vec::Vec;

/// A machine that records what the kernel asked of it.
#[derive(Default)]
pub struct MockMachine {
    /// Kernel console output.
    pub output: Vec<u8>,
    /// Code of the last DebugShutdown.
    pub shutdown: Option<u32>,
    /// (asid, vaddr) of every TLB flush.
    pub flushes: Vec<(u64, Option<u64>)>,
    /// Port writes (port, width, value).
    pub port_writes: Vec<(u16, u8, u32)>,
    /// Value returned by port reads.
    pub port_read_value: u32,
    /// Masked state per IRQ.
    pub irq_masked: Vec<bool>,
    /// TCBs reported destroyed.
    pub destroyed: Vec<u64>,
    /// Value returned as the time-stamp counter (tests advance it).
    pub tsc: u64,
}

impl Machine for MockMachine {
    fn kernel_pml4(&self) -> u64 {
        0
    }
    fn tlb_flush(&mut self, asid: u64, vaddr: Option<u64>) {
        self.flushes.push((asid, vaddr));
    }
    fn io_in(&mut self, _port: u16, _width: u8) -> u32 {
        self.port_read_value
    }
    fn io_out(&mut self, port: u16, width: u8, value: u32) {
        self.port_writes.push((port, width, value));
    }
    fn irq_route(&mut self, _irq: u8, route: IrqRoute) -> bool {
        !matches!(route, IrqRoute::Ioapic { gsi, .. } if gsi >= 24)
    }
    fn irq_mask(&mut self, irq: u8, masked: bool) {
        if self.irq_masked.len() < 256 {
            self.irq_masked.resize(256, false);
        }
        self.irq_masked[irq as usize] = masked;
    }
    fn msi_message(&self, irq: u8) -> (u64, u64) {
        (0xfee0_0000, 32 + u64::from(irq))
    }
    fn tcb_destroyed(&mut self, tcb: u64) {
        self.destroyed.push(tcb);
    }
    fn init_fpu_area(&mut self, _area: u64) {}
    fn tsc(&self) -> u64 {
        self.tsc
    }
    fn debug_write(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
    }
    fn debug_shutdown(&mut self, code: u32) {
        self.shutdown = Some(code);
    }
}

/// Host memory standing in for physical RAM.
struct Arena {
    base: *mut u8,
    layout: Layout,
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: allocated in `World::new` with this layout.
        unsafe { dealloc(self.base, self.layout) }
    }
}

/// Results of a system call as seen by the calling thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysResult {
    /// `rdi`.
    pub badge: u64,
    /// `rsi`.
    pub info: MessageInfo,
    /// MR0..MR3.
    pub mrs: [u64; 4],
}

/// A kernel with a booted root task, on host memory.
pub struct World {
    /// The kernel.
    pub k: Kernel<MockMachine>,
    /// The root task.
    pub root: RootTask,
    /// Root slot of a 2^24-byte untyped covering most of the arena.
    pub untyped: u64,
    _arena: Arena,
}

/// log2 of the arena size.
const ARENA_BITS: u32 = 25;
/// log2 of the untyped given to the root task.
pub const UNTYPED_BITS: u32 = 24;

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// Boots a root task with a 2^12-slot CNode and gives it a 16 MiB untyped.
    pub fn new() -> World {
        let layout = Layout::from_size_align(1 << ARENA_BITS, 1 << ARENA_BITS).expect("layout");
        // SAFETY: non-zero size.
        let base = unsafe { alloc_zeroed(layout) };
        assert!(!base.is_null(), "arena allocation failed");
        let arena = Arena { base, layout };
        let b = base as u64;
        // Boot objects from the lower half, bump-allocated with alignment.
        let mut next = b;
        let limit = b + (1 << UNTYPED_BITS);
        let mut alloc = |bits: u32| -> u64 {
            let p = next.next_multiple_of(1 << bits);
            if p + (1 << bits) > limit {
                return 0;
            }
            next = p + (1 << bits);
            p
        };
        let mut k = Kernel::new(MockMachine::default());
        let mut root = k.boot_root_task(&mut alloc, 12, INIT_IPC_BUFFER_VADDR).expect("boot");
        let ut = crate::cap::Cap::untyped(b + (1 << UNTYPED_BITS), UNTYPED_BITS, false, 0);
        let untyped = k.boot_put(&mut root, ut).expect("slot");
        k.boot_start(&root, 0x40_0000, 0x7000_0000, 0);
        k.log.attach(std::boxed::Box::leak(std::boxed::Box::default()));
        k.attach_timers(std::boxed::Box::leak(std::boxed::Box::default()));
        World { k, root, untyped, _arena: arena }
    }

    /// Physical address of the start of the world's memory (to compare
    /// addresses between worlds).
    pub fn base(&self) -> u64 {
        self._arena.base as u64
    }

    /// The root thread.
    pub fn root_tcb(&self) -> TcbRef {
        self.root.tcb
    }

    /// Makes `t` the running thread (as if the scheduler picked it).
    pub fn switch_to(&mut self, t: TcbRef) {
        if self.k.cur == t {
            return;
        }
        let cur = self.k.cur;
        if self.k.schedulable(cur) {
            self.k.ready.enqueue(cur);
        }
        self.k.ready.dequeue(t);
        self.k.cur = t;
    }

    /// Writes message registers (MR4.. into the IPC buffer) and extra
    /// capability pointers for `t`.
    pub fn set_message(&self, t: TcbRef, mrs: &[u64], caps: &[u64]) {
        let regs = &t.get().regs;
        let buf = ipc_buffer_paddr(t);
        for (i, &v) in mrs.iter().enumerate() {
            if i < 4 {
                regs.set(MR_REGS[i], v);
            } else if let Some(b) = buf {
                kmem::write_u64(b + (IpcBuffer::MSG_OFFSET + 8 * i) as u64, v);
            }
        }
        if let Some(b) = buf {
            for (i, &c) in caps.iter().enumerate() {
                kmem::write_u64(b + (IpcBuffer::CAPS_OFFSET + 8 * i) as u64, c);
            }
        }
    }

    /// Sets the receive slot (CNode cptr, index, depth) in `t`'s IPC buffer.
    pub fn set_receive_slot(&self, t: TcbRef, cnode: u64, index: u64, depth: u64) {
        let b = ipc_buffer_paddr(t).expect("thread has an IPC buffer");
        kmem::write_u64(b + IpcBuffer::RECEIVE_OFFSET as u64, cnode);
        kmem::write_u64(b + IpcBuffer::RECEIVE_OFFSET as u64 + 8, index);
        kmem::write_u64(b + IpcBuffer::RECEIVE_OFFSET as u64 + 16, depth);
    }

    /// Reads message register `i` of `t`.
    pub fn mr(&self, t: TcbRef, i: usize) -> u64 {
        crate::ipc::get_mr(t, ipc_buffer_paddr(t), i)
    }

    /// Thread `t` (made current) performs syscall `n`. Returns what `t`
    /// sees in its registers afterwards (meaningful if it did not block).
    pub fn syscall(
        &mut self,
        t: TcbRef,
        n: Syscall,
        cptr: u64,
        info: MessageInfo,
        mrs: &[u64],
        reply: u64,
    ) -> SysResult {
        self.switch_to(t);
        let regs = &t.get().regs;
        regs.set(r::RAX, n as u64);
        regs.set(r::RDI, cptr);
        regs.set(r::RSI, info.0);
        regs.set(r::R12, reply);
        regs.set(r::VECTOR, crate::regs::VECTOR_SYSCALL);
        self.set_message(t, mrs, &[]);
        let _ = self.k.syscall();
        self.result(t)
    }

    /// What `t` sees in its result registers.
    pub fn result(&self, t: TcbRef) -> SysResult {
        let regs = &t.get().regs;
        SysResult {
            badge: regs.get(r::RDI),
            info: MessageInfo(regs.get(r::RSI)),
            mrs: [regs.get(r::RDX), regs.get(r::R8), regs.get(r::R9), regs.get(r::R10)],
        }
    }

    /// Thread `t` invokes the capability at `cptr` with `label`, message
    /// words `mrs` and extra capabilities `caps`. Returns the result words
    /// or the error code.
    pub fn invoke_as(
        &mut self,
        t: TcbRef,
        cptr: u64,
        label: Label,
        mrs: &[u64],
        caps: &[u64],
    ) -> Result<Vec<u64>, Error> {
        self.switch_to(t);
        self.set_message(t, mrs, caps);
        let info = MessageInfo::new(label as u64, 0, caps.len() as u64, mrs.len() as u64);
        let res = self.syscall(t, Syscall::Call, cptr, info, &mrs[..mrs.len().min(4)], 0);
        let n = res.info.length();
        let words: Vec<u64> = (0..n).map(|i| self.mr(t, i)).collect();
        match Error::from_label(res.info.label()) {
            None => Ok(words),
            Some(e) => Err(e),
        }
    }

    /// The root thread invokes a capability (see [`World::invoke_as`]).
    pub fn invoke(&mut self, cptr: u64, label: Label, mrs: &[u64], caps: &[u64]) -> Result<Vec<u64>, Error> {
        let t = self.root.tcb;
        self.invoke_as(t, cptr, label, mrs, caps)
    }

    /// Retypes `count` objects of `ty` (size argument `size`) from the root
    /// untyped into root slots starting at `slot`.
    pub fn retype(&mut self, ty: rampart_abi::ObjectType, size: u64, slot: u64, count: u64) -> Result<(), Error> {
        self.invoke(self.untyped, Label::UntypedRetype, &[ty as u64, size, 0, 0, slot, count], &[ws::CNODE]).map(|_| ())
    }

    /// The capability type at root slot `i` (as `DebugCapIdentify` reports).
    pub fn cap_type(&self, i: u64) -> rampart_abi::CapType {
        self.root.slot(i).cap().cap_type()
    }
}
