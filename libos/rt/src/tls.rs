//! Per-thread runtime state, reached through the FS base register.
//!
//! Every thread the runtime knows about has a [`ThreadBlock`] and the
//! kernel's FS base for the thread (`TcbSetTlsBase`) points at it. As in the
//! x86_64 TLS ABI, the first word of the block is a pointer to itself, so
//! `fs:[0]` yields the block's address without `rdfsbase` (which needs
//! CR4.FSGSBASE). The block holds the address of the thread's IPC buffer,
//! its own TCB capability pointer, the detail words of its last failed
//! invocation and, for threads started by [`crate::spawn`], the entry
//! function, argument and result.
//!
//! The root task must call [`init_root`] before using anything that needs
//! the IPC buffer or records error details (every typed invocation does);
//! reading the block of a thread whose FS base is not set faults.

use crate::cap::{CPtr, Tcb};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::bootinfo::{BootInfo, slot};

/// Runtime state of one thread; `#[repr(C)]`, its layout is fixed because
/// it is read with FS-relative loads.
#[repr(C)]
#[derive(Debug, Default)]
pub struct ThreadBlock {
    /// Address of this block (`fs:[0]`).
    pub self_ptr: AtomicU64,
    /// Address of the thread's IPC buffer, 0 if it has none (`fs:[8]`).
    pub ipc_buffer: AtomicU64,
    /// Capability pointer of the thread's own TCB in its CSpace, 0 if it
    /// has none.
    pub tcb: AtomicU64,
    /// MR0 and MR1 of the reply to the thread's last failed invocation
    /// (see [`crate::invoke::error_detail`]).
    pub error_detail: [AtomicU64; 2],
    /// Entry function of a spawned thread (a `fn(u64) -> u64` address).
    pub entry: AtomicU64,
    /// Argument of a spawned thread's entry function.
    pub arg: AtomicU64,
    /// Return value of a spawned thread's entry function.
    pub result: AtomicU64,
    /// Set to 1 when a spawned thread's entry function has returned.
    pub done: AtomicU64,
}

impl ThreadBlock {
    /// A zeroed block.
    pub const fn new() -> ThreadBlock {
        ThreadBlock {
            self_ptr: AtomicU64::new(0),
            ipc_buffer: AtomicU64::new(0),
            tcb: AtomicU64::new(0),
            error_detail: [AtomicU64::new(0), AtomicU64::new(0)],
            entry: AtomicU64::new(0),
            arg: AtomicU64::new(0),
            result: AtomicU64::new(0),
            done: AtomicU64::new(0),
        }
    }

    /// Fills the block for a thread whose IPC buffer is at `ipc_buffer` (0:
    /// none) and whose own TCB is `tcb` in its CSpace (0: none). `self_addr`
    /// is the address of the block *in the thread's address space*.
    pub fn prepare(&self, self_addr: u64, ipc_buffer: u64, tcb: CPtr) {
        self.self_ptr.store(self_addr, Relaxed);
        self.ipc_buffer.store(ipc_buffer, Relaxed);
        self.tcb.store(tcb, Relaxed);
        for d in &self.error_detail {
            d.store(0, Relaxed);
        }
        self.result.store(0, Relaxed);
        self.done.store(0, Relaxed);
    }

    /// The thread's IPC buffer address (0: none).
    pub fn ipc_buffer_addr(&self) -> u64 {
        self.ipc_buffer.load(Relaxed)
    }

    /// The thread's own TCB (cptr 0 if unknown).
    pub fn tcb(&self) -> Tcb {
        Tcb(self.tcb.load(Relaxed))
    }
}

/// The root task's block (a static: the root task has no allocator).
static ROOT_BLOCK: ThreadBlock = ThreadBlock::new();

/// Sets up the root task's thread block: its IPC buffer is
/// `bootinfo.ipc_buffer`, its TCB [`slot::TCB`]. Points the root thread's FS
/// base at the block with `TcbSetTlsBase`.
///
/// # Errors
/// The kernel's error if `TcbSetTlsBase` fails (the block is then not
/// installed and nothing that needs it may be used).
pub fn init_root(bootinfo: &BootInfo) -> Result<(), rampart_abi::Error> {
    let addr = &raw const ROOT_BLOCK as u64;
    ROOT_BLOCK.prepare(addr, bootinfo.ipc_buffer, slot::TCB);
    // A raw call: the typed wrapper would record error details in the very
    // block that is not installed yet.
    let r = crate::invoke::call_raw(slot::TCB, rampart_abi::Label::TcbSetTlsBase as u64, &[addr], &[]);
    match r.info.label() {
        0 => {
            // The root task's kernel-log capability (every right, badge 0).
            crate::debug::set_log(slot::LOG);
            let debug = bootinfo.kernel_flags & rampart_abi::bootinfo::KERNEL_DEBUG_SYSCALLS != 0;
            crate::syscall::set_debug_syscalls(debug);
            Ok(())
        }
        l => Err(crate::invoke::error_from_label(l)),
    }
}

/// Address of the current thread's block (`fs:[0]`).
#[inline(always)]
pub fn current_addr() -> u64 {
    let p: u64;
    // SAFETY: an FS-relative load of one word; every thread created by the
    // runtime (and the root task after `init_root`) has its FS base on a
    // mapped `ThreadBlock`, whose first word is the block's address. The
    // load neither writes memory nor touches the stack.
    unsafe { core::arch::asm!("mov {}, qword ptr fs:[0]", out(reg) p, options(nostack, readonly, preserves_flags)) };
    p
}

/// The current thread's block.
#[inline(always)]
pub fn current() -> &'static ThreadBlock {
    let p = current_addr() as *const ThreadBlock;
    // SAFETY: `p` is the self pointer of the current thread's block (see
    // `current_addr`); the block is only accessed through atomics and lives
    // as long as the thread (in a static for the root task, in the thread's
    // IPC-buffer page for spawned threads, which is only unmapped after the
    // thread is destroyed).
    unsafe { &*p }
}
