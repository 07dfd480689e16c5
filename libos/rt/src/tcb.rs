//! Thread control block invocations (`Label::Tcb*`).

use crate::cap::{CNode, Cap, Endpoint, Frame, Notification, SchedContext, Tcb, VSpace};
use crate::invoke::{invoke, invoke0};
use rampart_abi::tcb::REGISTER_COUNT;
use rampart_abi::{Error, Label};

/// A thread's user registers in `rampart_abi::tcb::REGISTER_ORDER`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct UserContext {
    /// Instruction pointer.
    pub rip: u64,
    /// Stack pointer.
    pub rsp: u64,
    /// Flags (the kernel sanitises them).
    pub rflags: u64,
    /// General-purpose registers.
    pub rax: u64,
    #[allow(missing_docs)]
    pub rbx: u64,
    #[allow(missing_docs)]
    pub rcx: u64,
    #[allow(missing_docs)]
    pub rdx: u64,
    #[allow(missing_docs)]
    pub rsi: u64,
    #[allow(missing_docs)]
    pub rdi: u64,
    #[allow(missing_docs)]
    pub rbp: u64,
    #[allow(missing_docs)]
    pub r8: u64,
    #[allow(missing_docs)]
    pub r9: u64,
    #[allow(missing_docs)]
    pub r10: u64,
    #[allow(missing_docs)]
    pub r11: u64,
    #[allow(missing_docs)]
    pub r12: u64,
    #[allow(missing_docs)]
    pub r13: u64,
    #[allow(missing_docs)]
    pub r14: u64,
    #[allow(missing_docs)]
    pub r15: u64,
    /// FS base (thread pointer).
    pub fs_base: u64,
    /// GS base.
    pub gs_base: u64,
}

impl UserContext {
    /// The registers as words in ABI order.
    pub fn to_words(&self) -> [u64; REGISTER_COUNT] {
        [
            self.rip,
            self.rsp,
            self.rflags,
            self.rax,
            self.rbx,
            self.rcx,
            self.rdx,
            self.rsi,
            self.rdi,
            self.rbp,
            self.r8,
            self.r9,
            self.r10,
            self.r11,
            self.r12,
            self.r13,
            self.r14,
            self.r15,
            self.fs_base,
            self.gs_base,
        ]
    }

    /// Builds a context from words in ABI order (missing words are 0).
    pub fn from_words(w: &[u64]) -> UserContext {
        let g = |i: usize| w.get(i).copied().unwrap_or(0);
        UserContext {
            rip: g(0),
            rsp: g(1),
            rflags: g(2),
            rax: g(3),
            rbx: g(4),
            rcx: g(5),
            rdx: g(6),
            rsi: g(7),
            rdi: g(8),
            rbp: g(9),
            r8: g(10),
            r9: g(11),
            r10: g(12),
            r11: g(13),
            r12: g(14),
            r13: g(15),
            r14: g(16),
            r15: g(17),
            fs_base: g(18),
            gs_base: g(19),
        }
    }
}

impl Tcb {
    /// Reads the first `count` (0..=20) registers; `suspend` stops the thread
    /// first. Registers beyond `count` are 0 in the result. The kernel does
    /// not keep `gs_base` (it reads as 0).
    ///
    /// # Errors
    /// `RangeError` (count), `IllegalOperation` (reading the caller itself).
    ///
    /// # Panics
    /// If `count > 4` and the caller has no IPC buffer.
    pub fn read_registers(self, suspend: bool, count: u64) -> Result<UserContext, Error> {
        let r = invoke(self, Label::TcbReadRegisters, &[suspend as u64, 0, count], &[])?;
        let n = (count as usize).min(REGISTER_COUNT).min(r.info.length());
        let mut w = [0u64; REGISTER_COUNT];
        for (i, v) in w.iter_mut().enumerate().take(n) {
            *v = r.mr(i);
        }
        Ok(UserContext::from_words(&w))
    }

    /// Writes the first `count` (0..=20) registers of `ctx`; `resume` makes
    /// the thread runnable afterwards. The kernel sanitises: `rflags` keeps
    /// IF set and IOPL 0, a `rip`/`rsp`/`fs_base` outside user space becomes
    /// 0 (the thread then faults), `gs_base` is ignored.
    ///
    /// # Errors
    /// `RangeError` (count), `IllegalOperation` (the caller itself).
    pub fn write_registers(self, resume: bool, count: u64, ctx: &UserContext) -> Result<(), Error> {
        let n = (count as usize).min(REGISTER_COUNT);
        let mut args = [0u64; 3 + REGISTER_COUNT];
        args[0] = resume as u64;
        args[2] = count;
        args[3..3 + n].copy_from_slice(&ctx.to_words()[..n]);
        invoke0(self, Label::TcbWriteRegisters, &args[..3 + n], &[])
    }

    /// Copies the registers of `src` into this thread, optionally suspending
    /// the source first and resuming this thread afterwards.
    ///
    /// # Errors
    /// `InvalidCapability` (src), `IllegalOperation`.
    pub fn copy_registers(self, src: Tcb, suspend_source: bool, resume_target: bool) -> Result<(), Error> {
        let flags = suspend_source as u64 | (resume_target as u64) << 1;
        invoke0(self, Label::TcbCopyRegisters, &[flags], &[src.cptr()])
    }

    /// Sets the CSpace root (with guard data `cspace_data`, see
    /// [`crate::cnode::guard_data`]), the VSpace root and the IPC buffer
    /// (`ipc_frame` mapped at `ipc_addr`; `Frame(0)` and 0 for none).
    ///
    /// # Errors
    /// `InvalidCapability` (a capability argument has the wrong type),
    /// `AlignmentError` (buffer address).
    pub fn configure(
        self,
        cspace: CNode,
        cspace_data: u64,
        vspace: VSpace,
        ipc_frame: Frame,
        ipc_addr: u64,
    ) -> Result<(), Error> {
        invoke0(self, Label::TcbConfigure, &[cspace_data, ipc_addr], &[cspace.cptr(), vspace.cptr(), ipc_frame.cptr()])
    }

    /// Sets the priority, authorised by `authority` (the priority must not
    /// exceed the authority's maximum controlled priority).
    ///
    /// # Errors
    /// `RangeError` (above the authority's MCP), `InvalidCapability`.
    pub fn set_priority(self, authority: Tcb, prio: u64) -> Result<(), Error> {
        invoke0(self, Label::TcbSetPriority, &[prio], &[authority.cptr()])
    }

    /// Sets the maximum controlled priority, authorised by `authority`.
    ///
    /// # Errors
    /// `RangeError` (above the authority's MCP), `InvalidCapability`.
    pub fn set_mc_priority(self, authority: Tcb, mcp: u64) -> Result<(), Error> {
        invoke0(self, Label::TcbSetMcPriority, &[mcp], &[authority.cptr()])
    }

    /// Sets MCP and priority (authorised by `authority`), binds scheduling
    /// context `sc` (`SchedContext(0)`: unbind) and sets the fault endpoint
    /// (`Endpoint(0)`: none).
    ///
    /// # Errors
    /// `RangeError` (priorities), `InvalidCapability`, `IllegalOperation`
    /// (the SC is bound elsewhere).
    pub fn set_sched_params(
        self,
        authority: Tcb,
        mcp: u64,
        prio: u64,
        sc: SchedContext,
        fault_ep: Endpoint,
    ) -> Result<(), Error> {
        invoke0(self, Label::TcbSetSchedParams, &[mcp, prio], &[authority.cptr(), sc.cptr(), fault_ep.cptr()])
    }

    /// Sets the IPC buffer to `frame` mapped at `addr` (aligned to
    /// `IPC_BUFFER_ALIGN`, 1 KiB; 0 removes it).
    ///
    /// # Errors
    /// `AlignmentError`, `InvalidCapability`.
    pub fn set_ipc_buffer(self, frame: Frame, addr: u64) -> Result<(), Error> {
        invoke0(self, Label::TcbSetIpcBuffer, &[addr], &[frame.cptr()])
    }

    /// Sets the fault endpoint, the CSpace root (guard data `cspace_data`)
    /// and the VSpace root.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn set_space(self, fault_ep: Endpoint, cspace: CNode, cspace_data: u64, vspace: VSpace) -> Result<(), Error> {
        invoke0(self, Label::TcbSetSpace, &[cspace_data], &[fault_ep.cptr(), cspace.cptr(), vspace.cptr()])
    }

    /// Stops the thread (cancelling any IPC it is blocked in).
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn suspend(self) -> Result<(), Error> {
        invoke0(self, Label::TcbSuspend, &[], &[])
    }

    /// Makes a suspended thread runnable again.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn resume(self) -> Result<(), Error> {
        invoke0(self, Label::TcbResume, &[], &[])
    }

    /// Binds notification `ntfn`: its signals then also wake the thread's
    /// `Recv` on an endpoint.
    ///
    /// # Errors
    /// `IllegalOperation` (already bound), `InvalidCapability`.
    pub fn bind_notification(self, ntfn: Notification) -> Result<(), Error> {
        invoke0(self, Label::TcbBindNotification, &[], &[ntfn.cptr()])
    }

    /// Unbinds the bound notification.
    ///
    /// # Errors
    /// `IllegalOperation` (none bound).
    pub fn unbind_notification(self) -> Result<(), Error> {
        invoke0(self, Label::TcbUnbindNotification, &[], &[])
    }

    /// Sets the FS base (thread pointer) to `base`.
    ///
    /// # Errors
    /// `InvalidArgument` (not a canonical user address).
    pub fn set_tls_base(self, base: u64) -> Result<(), Error> {
        invoke0(self, Label::TcbSetTlsBase, &[base], &[])
    }

    /// Puts the thread in foreign-ABI mode (Syscall User Dispatch,
    /// docs/linux-abi.md): a `syscall` instruction outside the native range
    /// `[lo, hi)` resumes the thread at `entry` with `rcx` = the return
    /// address and `r11` = RFLAGS, every other register untouched. `entry`
    /// 0 turns the mode off. The Linux personality's shim uses it.
    ///
    /// # Errors
    /// `InvalidArgument` (detail MR0 = 0: `entry` is not a user address,
    /// 1: `lo > hi`, 2: `hi` above user space).
    pub fn set_syscall_dispatch(self, entry: u64, lo: u64, hi: u64) -> Result<(), Error> {
        invoke0(self, Label::TcbSetSyscallDispatch, &[entry, lo, hi], &[])
    }

    /// The kernel's identifier of the thread (as in capability-graph dumps).
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn get_id(self) -> Result<u64, Error> {
        invoke(self, Label::TcbGetId, &[], &[]).map(|r| r.mrs[0])
    }

    /// Sets the timeout-fault endpoint (`Endpoint(0)`: none).
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn set_timeout_endpoint(self, ep: Endpoint) -> Result<(), Error> {
        invoke0(self, Label::TcbSetTimeoutEndpoint, &[], &[ep.cptr()])
    }
}
