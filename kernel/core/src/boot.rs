//! Building the root task at boot (seL4 `create_initial_thread` and
//! friends), from memory the caller provides.
//!
//! The kernel binary calls this with memory carved from the boot memory
//! map; host tests call it with host memory. The root task gets a CNode with
//! the well-known slots of `rampart_abi::bootinfo::slot`, a TCB at the
//! highest priority, a VSpace with an ASID from the first ASID pool, a
//! scheduling context and an IPC buffer. Capabilities created here are CDT
//! roots: they have no Untyped parent and are never reclaimed.

use crate::cap::Cap;
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::{ScRef, TcbRef, ThreadState, tcb_slot};
use crate::slot::{self, SlotRef};
use crate::vspace::pte;
use crate::{kmem, sched_ops};
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::object::{ObjectType, SLOT_BITS};
use rampart_abi::tcb::MAX_PRIORITY;
use rampart_abi::{CapType, Rights};

/// Allocator of boot memory: returns the physical address of `2^bits`
/// bytes aligned to their size, or 0 if memory ran out.
pub type BootAlloc<'a> = &'a mut dyn FnMut(u32) -> u64;

/// Why the root task could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootError {
    /// The boot allocator ran out of memory.
    OutOfMemory,
    /// The root CNode is full.
    CNodeFull,
    /// A virtual address is already mapped or out of range.
    BadMapping,
}

/// The root task under construction.
pub struct RootTask {
    /// Its TCB.
    pub tcb: TcbRef,
    /// Capability to its root CNode (with the guard that makes slot indices
    /// 64-bit capability pointers).
    pub cnode: Cap,
    /// Its VSpace capability (with ASID).
    pub vspace: Cap,
    /// Next unused slot of the root CNode.
    pub next_slot: u64,
}

impl RootTask {
    /// Slot `i` of the root CNode.
    pub fn slot(&self, i: u64) -> SlotRef {
        SlotRef::index(self.cnode.paddr(), i)
    }
    /// Number of slots in the root CNode.
    pub fn slots(&self) -> u64 {
        1 << self.cnode.size_bits()
    }
}

impl<M: Machine> Kernel<M> {
    fn boot_object(&mut self, alloc: BootAlloc, ty: ObjectType, arg: u64) -> Result<Cap, BootError> {
        let bits = ty.size_bits(arg).ok_or(BootError::OutOfMemory)?;
        let p = alloc(bits);
        if p == 0 {
            return Err(BootError::OutOfMemory);
        }
        Ok(self.create_object(ty, p, bits, false))
    }

    /// Creates the root task's objects with a root CNode of `2^radix` slots
    /// and its IPC buffer mapped at `ipc_buffer_vaddr`.
    ///
    /// # Errors
    /// [`BootError`] if memory runs out.
    pub fn boot_root_task(
        &mut self,
        alloc: BootAlloc,
        radix: u32,
        ipc_buffer_vaddr: u64,
    ) -> Result<RootTask, BootError> {
        let cn = self.boot_object(alloc, ObjectType::CNode, u64::from(radix))?;
        let cnode = cn.with_guard_data(u64::from(64 - radix) << 58).ok_or(BootError::OutOfMemory)?;
        let tcb_cap = self.boot_object(alloc, ObjectType::Tcb, 0)?;
        let vs = self.boot_object(alloc, ObjectType::VSpace, 0)?;
        let pool_mem = alloc(12);
        if pool_mem == 0 {
            return Err(BootError::OutOfMemory);
        }
        let pool = self.make_asid_pool(pool_mem).ok_or(BootError::OutOfMemory)?;
        let sc = self.boot_object(alloc, ObjectType::SchedContext, 0)?;
        let ipcbuf = self.boot_object(alloc, ObjectType::Frame4K, 0)?;
        let mut root = RootTask { tcb: TcbRef(tcb_cap.paddr()), cnode, vspace: vs, next_slot: ws::FIRST_FREE };
        let put = |root: &RootTask, i: u64, c: Cap| slot::insert_root(c, root.slot(i));
        put(&root, ws::CNODE, cnode);
        put(&root, ws::TCB, tcb_cap);
        put(&root, ws::VSPACE, vs);
        put(&root, ws::ASID_POOL, pool);
        self.asid_assign(pool, root.slot(ws::VSPACE)).map_err(|_| BootError::OutOfMemory)?;
        root.vspace = root.slot(ws::VSPACE).cap();
        self.root_vspace = vs.paddr();
        put(&root, ws::IRQ_CONTROL, Cap::control(CapType::IrqControl));
        put(&root, ws::ASID_CONTROL, Cap::control(CapType::AsidControl));
        put(&root, ws::IO_PORT_CONTROL, Cap::control(CapType::IoPortControl));
        put(&root, ws::SCHED_CONTEXT, sc);
        put(&root, ws::SCHED_CONTROL, Cap::control(CapType::SchedControl));
        put(&root, ws::AUDIT, Cap::control(CapType::Audit));
        put(&root, ws::LOG, Cap::log(0, Rights::ALL));
        put(&root, ws::TIMER_CONTROL, Cap::control(CapType::TimerControl));
        put(&root, ws::IPC_BUFFER, ipcbuf);
        self.boot_map(&mut root, alloc, ws::IPC_BUFFER, ipc_buffer_vaddr, Rights::RW, 0)?;

        // The TCB's own capability registers are copies of the above.
        let t = root.tcb;
        slot::insert(cnode, root.slot(ws::CNODE), t.slot(tcb_slot::CSPACE));
        slot::insert(root.vspace, root.slot(ws::VSPACE), t.slot(tcb_slot::VSPACE));
        let buf = root.slot(ws::IPC_BUFFER).cap().with_mapping(0, 0);
        slot::insert(buf, root.slot(ws::IPC_BUFFER), t.slot(tcb_slot::IPC_BUFFER));
        t.get().ipc_buffer.set(ipc_buffer_vaddr);
        let g = t.get();
        g.priority.set(MAX_PRIORITY);
        g.mcp.set(MAX_PRIORITY);
        let s = ScRef(sc.paddr());
        s.get().tcb.set(t.0);
        g.sc.set(s.0);
        // Round robin with a 5-tick time slice.
        self.sc_configure(s, 5 * sched_ops::TICK_US, 5 * sched_ops::TICK_US, 0);
        Ok(root)
    }

    /// Places `cap` in the (empty) root slot `i`.
    pub fn boot_give(&mut self, root: &mut RootTask, i: u64, cap: Cap) {
        slot::insert_root(cap, root.slot(i));
    }

    /// Places `cap` in the next free slot of the root CNode; returns the slot.
    ///
    /// # Errors
    /// [`BootError::CNodeFull`].
    pub fn boot_put(&mut self, root: &mut RootTask, cap: Cap) -> Result<u64, BootError> {
        if root.next_slot >= root.slots() {
            return Err(BootError::CNodeFull);
        }
        let i = root.next_slot;
        slot::insert_root(cap, root.slot(i));
        root.next_slot += 1;
        Ok(i)
    }

    /// Maps the frame capability in root slot `frame_slot` at `vaddr` in the
    /// root task's VSpace, creating (and giving capabilities to) any missing
    /// paging structures.
    ///
    /// # Errors
    /// [`BootError`].
    pub fn boot_map(
        &mut self,
        root: &mut RootTask,
        alloc: BootAlloc,
        frame_slot: u64,
        vaddr: u64,
        rights: Rights,
        attr: u64,
    ) -> Result<(), BootError> {
        let pml4 = root.vspace.paddr();
        let asid = root.vspace.mapped_asid();
        let mut table = pml4;
        for (level, ty, kind) in [
            (4u32, ObjectType::Pdpt, CapType::Pdpt),
            (3, ObjectType::PageDirectory, CapType::PageDirectory),
            (2, ObjectType::PageTable, CapType::PageTable),
        ] {
            let e = table + 8 * ((vaddr >> (12 + 9 * (level - 1))) & 0x1ff);
            let v = kmem::read_u64(e);
            if v & pte::P != 0 {
                if v & pte::PS != 0 {
                    return Err(BootError::BadMapping);
                }
                table = v & pte::ADDR;
                continue;
            }
            let c = self.boot_object(alloc, ty, 0)?;
            debug_assert_eq!(c.cap_type(), kind);
            kmem::write_u64(e, c.paddr() | pte::P | pte::W | pte::U);
            let align = 12 + 9 * level;
            self.boot_put(root, c.with_mapping(asid, vaddr & !((1u64 << align) - 1)))?;
            table = c.paddr();
        }
        let fs = root.slot(frame_slot);
        let f = fs.cap();
        let e = table + 8 * ((vaddr >> 12) & 0x1ff);
        if kmem::read_u64(e) & pte::P != 0 {
            return Err(BootError::BadMapping);
        }
        let mut bits = pte::P | pte::U;
        if rights.contains(Rights::WRITE) {
            bits |= pte::W;
        }
        if attr & rampart_abi::object::vm_attr::EXECUTE == 0 && self.nx {
            bits |= pte::NX;
        }
        kmem::write_u64(e, f.paddr() | bits);
        fs.set_cap(f.with_mapping(asid, vaddr));
        Ok(())
    }

    /// Creates a frame capability for existing memory at `paddr` (boot
    /// image, bootfs) in the next root slot; returns the slot.
    ///
    /// # Errors
    /// [`BootError::CNodeFull`].
    pub fn boot_frame(&mut self, root: &mut RootTask, paddr: u64, rights: Rights) -> Result<u64, BootError> {
        self.boot_put(root, Cap::frame(paddr, false, rights, false))
    }

    /// Starts the root task at `entry` with stack `sp` and argument `arg` and
    /// makes it the current thread.
    pub fn boot_start(&mut self, root: &RootTask, entry: u64, sp: u64, arg: u64) {
        self.start_thread(root.tcb, entry, sp, arg);
        root.tcb.set_state(ThreadState::Running);
        self.cur = root.tcb;
    }
}

/// Size of a root CNode of `radix` in bytes.
pub const fn cnode_bytes(radix: u32) -> u64 {
    1 << (radix + SLOT_BITS)
}
