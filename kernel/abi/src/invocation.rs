//! Invocation labels and their arguments.
//!
//! An invocation is a `Call` (or `Send`) on a capability to a kernel object.
//! The label of the [`MessageInfo`](crate::MessageInfo) selects the
//! operation; arguments are message registers MR0.. (MR0..MR3 travel in
//! registers, the rest in the IPC buffer's `msg`), and capability arguments
//! are extra capabilities: capability pointers in the invoker's IPC buffer
//! `caps_or_badges[0..extra_caps]`, resolved in the invoker's CSpace with
//! full 64-bit depth.
//!
//! The reply's label is 0 on success or an [`Error`](crate::Error) code; on
//! error MR0/MR1 may carry detail (the failing argument index, the valid
//! range, the bytes left in an untyped). Results are returned in MR0...
//!
//! Slot arguments "(index, depth)" name a slot relative to a CNode
//! capability (the invoked one, or an extra capability): `depth` bits of
//! `index` are resolved (1..=64), and must be used up exactly.
//!
//! Semantics follow the seL4 Reference Manual (version 13, MCS) chapter by
//! chapter; `docs/kernel.md` lists the deliberate differences.

/// Operation selector (message-info label of an invocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Label {
    /// Untyped: create `MR5` objects of type `MR0` (size argument `MR1`) in
    /// consecutive empty slots starting at `MR4` of the CNode at
    /// (`MR2` index, `MR3` depth) relative to root cap0. Objects are carved at
    /// the untyped's watermark, aligned to their size. If the untyped has no
    /// children, the watermark is first reset to 0 (its memory is reusable
    /// after Revoke). Errors: InvalidArgument (type/size), RangeError
    /// (count 1..=256, slots outside the CNode), DeleteFirst (slot in use),
    /// NotEnoughMemory (MR0 = bytes left).
    UntypedRetype = 1,

    /// CNode: delete every capability derived from slot (MR0 index, MR1 depth).
    /// As in seL4, the descendants are re-examined after each deletion: if
    /// the revoked capability itself is destroyed along the way (it was
    /// stored in a CNode derived from it), the revoke ends and any remaining
    /// derived capabilities stay in the tree under the revoked capability's
    /// parent (revoking that parent removes them).
    CNodeRevoke = 2,
    /// CNode: delete the capability in slot (MR0, MR1).
    CNodeDelete = 3,
    /// CNode: abort every pending send on the endpoint in slot (MR0, MR1)
    /// that carries that capability's badge.
    CNodeCancelBadgedSends = 4,
    /// CNode: copy slot (MR2 index, MR3 depth) of root cap0 to slot
    /// (MR0, MR1) of the invoked CNode, with rights masked by MR4.
    CNodeCopy = 5,
    /// CNode: as Copy, and set the badge (endpoints, notifications; only if
    /// the source is unbadged) or guard (CNodes: MR5 = guard | size << 58)
    /// to MR5.
    CNodeMint = 6,
    /// CNode: move slot (MR2, MR3) of root cap0 to slot (MR0, MR1).
    CNodeMove = 7,
    /// CNode: move and change the guard (CNodes) to MR4.
    CNodeMutate = 8,
    /// CNode: rotate atomically, as seL4's `seL4_CNode_Rotate`: the
    /// capability in the pivot slot (MR4,MR5 of cap1) moves to (MR0,MR1),
    /// and the one in the source slot (MR2,MR3 of cap0) moves to the pivot
    /// slot. `MR6` is the badge for the capability leaving the pivot, `MR7`
    /// the badge for the one leaving the source (0 for unchanged). The
    /// destination must be empty unless it is the source (then the two
    /// capabilities swap); the pivot must differ from both.
    CNodeRotate = 9,

    /// TCB: read registers into MR0.. (MR0 = suspend source first, MR2 =
    /// count, order [`crate::tcb::REGISTER_ORDER`]).
    TcbReadRegisters = 10,
    /// TCB: write registers from MR3.. (MR0 = resume target, MR2 = count).
    /// `rip` must be a user address; RFLAGS are sanitised.
    TcbWriteRegisters = 11,
    /// TCB: copy registers from TCB cap0 (MR0 bit 0 suspend source, bit 1
    /// resume target).
    TcbCopyRegisters = 12,
    /// TCB: set CSpace root cap0 (guard data MR0), VSpace root cap1 and IPC
    /// buffer frame cap2 at user address MR1 (0 and a null cap2 for none).
    TcbConfigure = 13,
    /// TCB: set priority MR0, authorised by TCB cap0 (priority must not
    /// exceed cap0's maximum controlled priority).
    TcbSetPriority = 14,
    /// TCB: set maximum controlled priority MR0, authorised by TCB cap0.
    TcbSetMcPriority = 15,
    /// TCB: set MCP MR0, priority MR1 (authority TCB cap0), scheduling
    /// context cap1 (null cap: unbind) and fault endpoint cap2.
    TcbSetSchedParams = 16,
    /// TCB: set the IPC buffer to frame cap0 at user address MR0 (aligned
    /// to [`crate::ipc_buffer::IPC_BUFFER_ALIGN`]; MR0 = 0 removes it).
    TcbSetIpcBuffer = 17,
    /// TCB: set fault endpoint cap0, CSpace root cap1 (guard MR0), VSpace
    /// root cap2.
    TcbSetSpace = 18,
    /// TCB: stop the thread (cancels any IPC it is blocked in).
    TcbSuspend = 19,
    /// TCB: make a suspended thread runnable again.
    TcbResume = 20,
    /// TCB: bind notification cap0 (signals then wake the thread's `Recv`).
    TcbBindNotification = 21,
    /// TCB: unbind the bound notification.
    TcbUnbindNotification = 22,
    /// TCB: set the FS base (thread-local storage pointer) to MR0.
    TcbSetTlsBase = 23,
    /// TCB: set the timeout-fault endpoint to cap0 (null: none).
    TcbSetTimeoutEndpoint = 24,
    /// TCB: MR0 = the kernel's id for the thread (as in capability-graph
    /// dumps).
    TcbGetId = 25,
    /// TCB: put the thread in foreign-ABI mode (Linux's *Syscall User
    /// Dispatch*, `prctl(PR_SET_SYSCALL_USER_DISPATCH)`, applied per TCB):
    /// MR0 = handler entry (0 turns the mode off), MR1..MR2 = the native
    /// range `[lo, hi)`. A `syscall` instruction whose own address (the
    /// return `rip` − 2) lies outside the range is not a Rampart system
    /// call: the thread resumes at the entry with every register preserved
    /// except `rcx` (= the return `rip`) and `r11` (= RFLAGS), the two the
    /// `syscall` instruction clobbers anyway. Errors: InvalidArgument (MR0 =
    /// 0: entry not a user address; 1: lo > hi; 2: hi above user space).
    /// docs/linux-abi.md, "The ABI switch".
    TcbSetSyscallDispatch = 26,

    /// SchedControl: configure scheduling context cap0 with budget MR0 and
    /// period MR1 in microseconds (budget ≤ period; enforced at the kernel
    /// tick, 1 ms), MR3 = badge reported in timeout faults.
    SchedControlConfigure = 30,
    /// SchedContext: bind to the TCB cap0 (`IllegalOperation` if either is
    /// already bound; `InvalidCapability` for anything but a TCB — binding
    /// to a notification, which seL4 allows, is not supported).
    SchedContextBind = 31,
    /// SchedContext: unbind from its thread (no effect while the context is
    /// lent through a call).
    SchedContextUnbind = 32,
    /// SchedContext: unbind from the TCB cap0, which must be the bound thread
    /// (`IllegalOperation` otherwise).
    SchedContextUnbindObject = 33,
    /// SchedContext: MR0 = microseconds consumed since the last call.
    SchedContextConsumed = 34,
    /// SchedContext: run the bound thread now if it is runnable and has
    /// priority ≤ the caller's MCP.
    SchedContextYieldTo = 35,

    /// IRQControl: create a handler for IOAPIC input MR2 (GSI), MR3 level
    /// triggered, MR4 active low, in slot (MR0, MR1) of root cap0.
    IrqControlGetIoapic = 40,
    /// IRQControl: allocate an MSI vector and create its handler in slot
    /// (MR0, MR1) of cap0. Reply: MR0 = MSI address, MR1 = MSI data to
    /// program into the device.
    IrqControlGetMsi = 41,
    /// IRQHandler: acknowledge (unmask) the interrupt.
    IrqHandlerAck = 42,
    /// IRQHandler: deliver interrupts as signals on notification cap0.
    IrqHandlerSetNotification = 43,
    /// IRQHandler: stop delivering signals.
    IrqHandlerClear = 44,

    /// IOPortControl: issue a capability for ports MR0..=MR1 into slot
    /// (MR2, MR3) of root cap0. Ports owned by the kernel (COM1 while the
    /// kernel console is active is shared, 0xf4 debug exit) may be issued;
    /// ranges overlapping an already issued range are refused.
    IoPortControlIssue = 50,
    /// IOPort: MR0 = 8-bit input from port MR0.
    IoPortIn8 = 51,
    /// IOPort: MR0 = 16-bit input from port MR0.
    IoPortIn16 = 52,
    /// IOPort: MR0 = 32-bit input from port MR0.
    IoPortIn32 = 53,
    /// IOPort: output the low 8 bits of MR1 to port MR0.
    IoPortOut8 = 54,
    /// IOPort: output the low 16 bits of MR1 to port MR0.
    IoPortOut16 = 55,
    /// IOPort: output the low 32 bits of MR1 to port MR0.
    IoPortOut32 = 56,

    /// ASIDControl: turn 4 KiB untyped cap0 (no children) into an ASID pool
    /// in slot (MR0, MR1) of root cap1.
    AsidControlMakePool = 60,
    /// ASIDPool: assign an ASID to VSpace cap0.
    AsidPoolAssign = 61,

    /// PDPT: map into VSpace cap0 to cover the 512 GiB region holding MR0.
    PdptMap = 70,
    /// PDPT: unmap.
    PdptUnmap = 71,
    /// Page directory: map into VSpace cap0 to cover the 1 GiB region holding MR0.
    PageDirectoryMap = 72,
    /// Page directory: unmap.
    PageDirectoryUnmap = 73,
    /// Page table: map into VSpace cap0 to cover the 2 MiB region holding MR0.
    PageTableMap = 74,
    /// Page table: unmap.
    PageTableUnmap = 75,
    /// Frame: map into VSpace cap0 at MR0 with rights MR1 (masked by the
    /// cap's rights) and attributes MR2 ([`crate::object::vm_attr`]). A frame
    /// cap maps once; copy the cap to map a frame twice. Errors:
    /// FailedLookup (a paging structure is missing: MR0 = its level, 1 PT,
    /// 2 PD, 3 PDPT), DeleteFirst (something is already mapped there).
    FrameMap = 76,
    /// Frame: unmap (no-op if not mapped).
    FrameUnmap = 77,
    /// Frame: change the rights (MR0) and attributes (MR1) of the existing
    /// mapping.
    FrameRemap = 78,
    /// Frame: MR0 = physical address.
    FrameGetAddress = 79,
    /// VSpace: map MR3 frames named by capability pointers MR4.. at
    /// consecutive addresses from MR0, rights MR1, attributes MR2. Stops at
    /// the first error; reply MR0 = number mapped (on error: the error
    /// detail is in MR1).
    VSpaceMapFrames = 80,
    /// VSpace: unmap MR0 frames named by capability pointers MR1...
    VSpaceUnmapFrames = 81,

    /// Audit: write the capability graph into writable frame cap0, starting
    /// at cursor MR0 (0 first). Reply: MR0 = next cursor (0 when done), MR1 =
    /// number of [`crate::audit::AuditEntry`] records written at the start
    /// of the frame.
    AuditDumpCapGraph = 90,

    /// Log: append a record (see [`crate::log`]).
    LogWrite = 100,
    /// Log: read the first record with a sequence number at least MR0.
    LogRead = 101,
    /// Log: signal notification cap0 when records are appended.
    LogSetNotification = 102,

    /// TimerControl: put a capability to a free timer into the empty slot
    /// (cap0 = destination CNode, MR0 = index, MR1 = depth). Reply: MR0 =
    /// the timer's number (0..[`TIMERS`]). `RevokeFirst` if every timer is
    /// issued. docs/kernel.md, "Timers and timeouts".
    TimerControlGet = 110,
    /// Timer: arm it. cap0 = notification capability with Write (its badge
    /// is the one signalled), MR0 = deadline as a time-stamp-counter value.
    /// At the first kernel tick (1 kHz) at or after the deadline the
    /// notification is signalled and the timer disarmed; a deadline already
    /// passed signals at once; `u64::MAX` never fires. Re-arming replaces
    /// the previous deadline and notification.
    TimerSet = 111,
    /// Timer: disarm it. Reply: MR0 = 1 if it was armed, 0 if it had
    /// already fired or was never armed.
    TimerCancel = 112,
}

/// Number of kernel timers (`TimerControlGet` fails with `RevokeFirst`
/// when all are issued). More than the tasks that fit in memory on the
/// machines tested (about 340 in 512 MiB): rm hands one to every task
/// that sleeps, and a task without one waits by yielding.
pub const TIMERS: usize = 1024;

impl Label {
    /// Decodes a label; `None` for unknown values.
    pub const fn from_u64(v: u64) -> Option<Label> {
        use Label::*;
        Some(match v {
            1 => UntypedRetype,
            2 => CNodeRevoke,
            3 => CNodeDelete,
            4 => CNodeCancelBadgedSends,
            5 => CNodeCopy,
            6 => CNodeMint,
            7 => CNodeMove,
            8 => CNodeMutate,
            9 => CNodeRotate,
            10 => TcbReadRegisters,
            11 => TcbWriteRegisters,
            12 => TcbCopyRegisters,
            13 => TcbConfigure,
            14 => TcbSetPriority,
            15 => TcbSetMcPriority,
            16 => TcbSetSchedParams,
            17 => TcbSetIpcBuffer,
            18 => TcbSetSpace,
            19 => TcbSuspend,
            20 => TcbResume,
            21 => TcbBindNotification,
            22 => TcbUnbindNotification,
            23 => TcbSetTlsBase,
            24 => TcbSetTimeoutEndpoint,
            25 => TcbGetId,
            26 => TcbSetSyscallDispatch,
            30 => SchedControlConfigure,
            31 => SchedContextBind,
            32 => SchedContextUnbind,
            33 => SchedContextUnbindObject,
            34 => SchedContextConsumed,
            35 => SchedContextYieldTo,
            40 => IrqControlGetIoapic,
            41 => IrqControlGetMsi,
            42 => IrqHandlerAck,
            43 => IrqHandlerSetNotification,
            44 => IrqHandlerClear,
            50 => IoPortControlIssue,
            51 => IoPortIn8,
            52 => IoPortIn16,
            53 => IoPortIn32,
            54 => IoPortOut8,
            55 => IoPortOut16,
            56 => IoPortOut32,
            60 => AsidControlMakePool,
            61 => AsidPoolAssign,
            70 => PdptMap,
            71 => PdptUnmap,
            72 => PageDirectoryMap,
            73 => PageDirectoryUnmap,
            74 => PageTableMap,
            75 => PageTableUnmap,
            76 => FrameMap,
            77 => FrameUnmap,
            78 => FrameRemap,
            79 => FrameGetAddress,
            80 => VSpaceMapFrames,
            81 => VSpaceUnmapFrames,
            90 => AuditDumpCapGraph,
            100 => LogWrite,
            101 => LogRead,
            102 => LogSetNotification,
            110 => TimerControlGet,
            111 => TimerSet,
            112 => TimerCancel,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        let mut n = 0;
        for v in 0..200 {
            if let Some(l) = Label::from_u64(v) {
                assert_eq!(l as u64, v);
                n += 1;
            }
        }
        assert_eq!(n, 65);
    }
}
