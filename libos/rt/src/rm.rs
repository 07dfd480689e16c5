//! Client of the resource manager ("proc" service, `rampart_rm_api`), over
//! the task's rm channel (`startup::slot::RM`).
//!
//! Every function returns rm's [`Errno`] on failure; transport failures
//! become `EIO` (rm went away), `EBADF` (no rm channel) or `EBADMSG`.

use crate::cap::{CPtr, Endpoint};
use crate::ipc::codec::{CallError, call, call_with_caps};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_rm_api::{
    ChildEvent, ContainerId, ContainerStat, ExitStatus, Pid, RegionId, Request, Response, Spawn, Stats, WaitFor,
};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

static CHANNEL: AtomicU64 = AtomicU64::new(slot::RM);

/// The rm channel of this task (`startup::slot::RM` unless
/// [`set_channel`] changed it).
pub fn channel() -> Endpoint {
    Endpoint(CHANNEL.load(Relaxed))
}

/// Uses `ep` as the rm channel (init, whose CSpace is laid out by the
/// kernel, keeps its channel elsewhere).
pub fn set_channel(ep: Endpoint) {
    CHANNEL.store(ep.0, Relaxed);
}

/// Sends `req` to rm and returns its response (an `Err` response becomes
/// `Err`).
///
/// # Errors
/// rm's error or the transport's.
pub fn request(req: &Request) -> Result<Response, Errno> {
    match call::<_, Response>(channel(), req) {
        Ok(Response::Err(e)) => Err(e),
        Ok(r) => Ok(r),
        Err(e) => Err(e.errno()),
    }
}

fn unexpected<T>(_: Response) -> Result<T, Errno> {
    Err(Errno::EPROTO)
}

/// Ends this task (rm destroys it and reports `status` to the parent).
pub fn exit(status: i32) -> ! {
    let _ = request(&Request::Exit { status });
    loop {
        crate::syscall::yield_now();
    }
}

/// Creates a task; returns its pid.
///
/// # Errors
/// `ENOENT` (no such image), `ENOEXEC` (malformed image), `EDQUOT`,
/// `ENOMEM`, `EPERM`, `EINVAL`.
pub fn spawn(s: Spawn) -> Result<Pid, Errno> {
    match request(&Request::Spawn(s))? {
        Response::Spawned { pid } => Ok(pid),
        r => unexpected(r),
    }
}

/// As [`spawn`], with the faults of the new task sent to `fault_ep` (a
/// capability in this task's CSpace) instead of rm.
///
/// # Errors
/// As [`spawn`].
pub fn spawn_supervised(mut s: Spawn, fault_ep: CPtr) -> Result<Pid, Errno> {
    s.supervised = true;
    match call_with_caps::<_, Response>(channel(), &Request::Spawn(s), &[fault_ep]) {
        Ok((Response::Spawned { pid }, _)) => Ok(pid),
        Ok((Response::Err(e), _)) => Err(e),
        Ok((r, _)) => unexpected(r),
        Err(e) => Err(e.errno()),
    }
}

/// Waits for child `pid` (or any child) to end; `None` if `block` is false
/// and none has. A stop and continue of the caller meanwhile is invisible;
/// a signal handler that ran makes it `EINTR` (unless the handler asked
/// for restarting).
///
/// # Errors
/// `ECHILD`, `EINTR`.
pub fn wait(pid: Option<Pid>, block: bool) -> Result<Option<(Pid, ExitStatus)>, Errno> {
    let target = pid.map_or(WaitFor::Any, WaitFor::Pid);
    loop {
        match wait_for(target, WaitOptions { block, ..WaitOptions::default() })? {
            Some((p, ChildEvent::Exited(s))) => return Ok(Some((p, s))),
            Some(_) => continue,
            None => return Ok(None),
        }
    }
}

/// What [`wait_for`] reports besides exits, and whether it blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitOptions {
    /// Wait for an event.
    pub block: bool,
    /// Stopped children (`WUNTRACED`).
    pub stopped: bool,
    /// Continued children (`WCONTINUED`).
    pub continued: bool,
}

/// `waitpid(2)`: the next event of a child matching `target`.
///
/// # Errors
/// `ECHILD`, `EINTR` (a handler ran and did not ask for restarting).
pub fn wait_for(target: WaitFor, o: WaitOptions) -> Result<Option<(Pid, ChildEvent)>, Errno> {
    let req = Request::Wait { target, block: o.block, stopped: o.stopped, continued: o.continued };
    let mut intr = crate::signal::Interrupted::start();
    loop {
        let r = if o.block {
            crate::signal::interruptible(|| call::<_, Response>(channel(), &req))
        } else {
            call(channel(), &req)
        };
        return match r {
            Ok(Response::Exited { pid, status }) => Ok(Some((pid, ChildEvent::Exited(status)))),
            Ok(Response::Stopped { pid, sig }) => Ok(Some((pid, ChildEvent::Stopped(sig)))),
            Ok(Response::Continued { pid }) => Ok(Some((pid, ChildEvent::Continued))),
            Ok(Response::NoneExited) => Ok(None),
            Ok(Response::Err(e)) => Err(e),
            Ok(r) => unexpected(r),
            Err(CallError::Aborted) => {
                intr = intr.retry()?;
                continue;
            }
            Err(e) => Err(e.errno()),
        };
    }
}

/// Sends `SIGKILL` to `pid` (see [`crate::signal::kill`]).
///
/// # Errors
/// `ESRCH`, `EPERM`.
pub fn kill(pid: Pid) -> Result<(), Errno> {
    crate::signal::kill(pid, rampart_uabi::signal::SIGKILL)
}

/// This task's pid and its parent's.
///
/// # Errors
/// Transport errors.
pub fn getpid() -> Result<(Pid, Pid), Errno> {
    match request(&Request::GetPid)? {
        Response::Pid { pid, parent } => Ok((pid, parent)),
        r => unexpected(r),
    }
}

/// Grows the heap by `bytes`; returns the heap's `(start, end)`.
///
/// # Errors
/// `EDQUOT`, `ENOMEM`.
pub fn heap_grow(bytes: u64) -> Result<(u64, u64), Errno> {
    match request(&Request::HeapGrow { bytes })? {
        Response::Heap { start, end } => Ok((start, end)),
        r => unexpected(r),
    }
}

/// A mapped region: id, address, size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Id.
    pub id: RegionId,
    /// Address in this task.
    pub vaddr: u64,
    /// Size in bytes.
    pub bytes: u64,
}

impl Region {
    /// A view of the region's memory ([`crate::shared::SharedBytes`]:
    /// copies in and out, never a reference, since the process the region
    /// is shared with may write it at any time).
    ///
    /// # Safety
    /// The region must stay mapped (not freed) while the view is used.
    pub unsafe fn shared(&self) -> crate::shared::SharedBytes {
        // SAFETY: the caller's contract; rm mapped `bytes` bytes read-write
        // at `vaddr`.
        unsafe { crate::shared::SharedBytes::new(self.vaddr as *mut u8, self.bytes as usize) }
    }
}

fn region(r: Response) -> Result<Region, Errno> {
    match r {
        Response::Region { region, vaddr, bytes } => Ok(Region { id: region, vaddr, bytes }),
        r => unexpected(r),
    }
}

/// A new anonymous zeroed region of `bytes` (rounded up to pages).
///
/// # Errors
/// `EDQUOT`, `ENOMEM`, `EINVAL`.
pub fn region_alloc(bytes: u64) -> Result<Region, Errno> {
    region(request(&Request::RegionAlloc { bytes })?)
}

/// A new anonymous zeroed region at the fixed address `vaddr` in the
/// caller's foreign window (rm's `RegionAllocAt`; the Linux personality's
/// shim only, docs/linux-abi.md), executable if `exec`.
///
/// # Errors
/// `EINVAL` (unaligned, outside the window, no window), `EEXIST`
/// (overlap), `EACCES`, `EDQUOT`, `ENOMEM`.
pub fn region_alloc_at(vaddr: u64, bytes: u64, exec: bool) -> Result<Region, Errno> {
    region(request(&Request::RegionAllocAt { vaddr, bytes, exec })?)
}

/// Asks rm for a kernel timer, put into this task's slot
/// `startup::slot::TIMER` (which must be empty; `Request::TimerAlloc`).
///
/// # Errors
/// `EEXIST` (this task has one), `EBUSY` (slot in use), `EAGAIN` (every
/// kernel timer is issued), `ENOSYS` (rm has none), `ESRCH` (not a task
/// rm started).
pub fn timer_alloc() -> Result<(), Errno> {
    request(&Request::TimerAlloc).map(|_| ())
}

/// Frees (unmaps) region `id`.
///
/// # Errors
/// `ENOENT`.
pub fn region_free(id: RegionId) -> Result<(), Errno> {
    request(&Request::RegionFree { region: id }).map(|_| ())
}

/// Asks for a token for region `id`, received into `slot` of this task's
/// CNode (which must be empty).
///
/// # Errors
/// `ENOENT`, `EIO` (no capability came back).
pub fn region_share(id: RegionId, writable: bool, slot: CPtr) -> Result<(), Errno> {
    let b = crate::buffer::expect_current();
    b.set_receive_slot(crate::cap::CNode(rampart_uabi::startup::slot::CNODE), slot, 64);
    let r = call_with_caps::<_, Response>(channel(), &Request::RegionShare { region: id, writable }, &[]);
    b.clear_receive_slot();
    match r {
        Ok((Response::Ok, m)) if m.received_cap() => Ok(()),
        Ok((Response::Err(e), _)) => Err(e),
        Ok(_) => Err(Errno::EIO),
        Err(e) => Err(e.errno()),
    }
}

/// Maps the region named by token capability `token` into this task.
///
/// # Errors
/// `EBADF` (not a live token), `EDQUOT`, `ENOMEM`.
pub fn region_map(token: CPtr) -> Result<Region, Errno> {
    match call_with_caps::<_, Response>(channel(), &Request::RegionMap, &[token]) {
        Ok((Response::Err(e), _)) => Err(e),
        Ok((r, _)) => region(r),
        Err(e) => Err(e.errno()),
    }
}

/// Seals the first `len` bytes of this task's region `id` as the image of
/// a program file labelled `file_sid` for a process of SID `subject_sid`
/// (`Request::SealImage`: the file server only); the region is no longer
/// this task's afterwards, whatever the answer but `EACCES`/`ENOENT`.
/// Returns the token `Image::Sealed` names.
///
/// # Errors
/// `EACCES` (not a sealer), `ENOENT`, `EINVAL`, `E2BIG`, `ENOSPC`.
pub fn seal_image(id: RegionId, len: u64, file_sid: u32, subject_sid: u32) -> Result<u64, Errno> {
    match request(&Request::SealImage { region: id, len, file_sid, subject_sid })? {
        Response::Sealed { token } => Ok(token),
        r => unexpected(r),
    }
}

/// Physical addresses of region `id`'s pages from page `first`.
///
/// # Errors
/// `EPERM` (not authorised), `ENOENT`.
pub fn region_phys(id: RegionId, first: u64) -> Result<std_alloc::vec::Vec<u64>, Errno> {
    match request(&Request::RegionPhys { region: id, first })? {
        Response::Phys(v) => Ok(v),
        r => unexpected(r),
    }
}

/// A new container nested in this task's, with `quota` bytes.
///
/// # Errors
/// `EDQUOT`.
pub fn container_create(quota: u64) -> Result<ContainerId, Errno> {
    match request(&Request::ContainerCreate { quota })? {
        Response::Container(id) => Ok(id),
        r => unexpected(r),
    }
}

/// Destroys container `id`.
///
/// # Errors
/// `EBUSY`, `EPERM`, `ENOENT`.
pub fn container_destroy(id: ContainerId) -> Result<(), Errno> {
    request(&Request::ContainerDestroy { id }).map(|_| ())
}

/// Usage of container `id` (this task's: `None`).
///
/// # Errors
/// `EPERM`, `ENOENT`.
pub fn container_info(id: Option<ContainerId>) -> Result<ContainerStat, Errno> {
    match request(&Request::ContainerInfo { id })? {
        Response::ContainerInfo(s) => Ok(s),
        r => unexpected(r),
    }
}

/// What task `pid` holds.
///
/// # Errors
/// `ESRCH`, `EPERM`.
pub fn task_info(pid: Pid) -> Result<rampart_rm_api::TaskInfo, Errno> {
    match request(&Request::TaskInfo { pid })? {
        Response::TaskInfo(t) => Ok(t),
        r => unexpected(r),
    }
}

/// Every live task this task may inspect (itself, its descendants, and
/// those the policy grants it `process getattr` on; rm as pid 0), in pid
/// order, fetched a page at a time (`ps`).
///
/// # Errors
/// Transport errors.
pub fn task_list() -> Result<std_alloc::vec::Vec<rampart_rm_api::TaskEntry>, Errno> {
    let mut all = std_alloc::vec::Vec::new();
    let mut from = 0;
    loop {
        match request(&Request::TaskList { from })? {
            Response::Tasks { tasks, next } => {
                all.extend(tasks);
                match next {
                    Some(n) if n > from => from = n,
                    _ => return Ok(all),
                }
            }
            r => return unexpected(r),
        }
    }
}

/// Every mapping of a shared region into another task that this task may
/// inspect (both the region's owner and the mapping task: itself, its
/// descendants, and those the policy grants it `process getattr` on), by
/// region, fetched a page at a time (`RegionMappings`; the capability
/// auditor's memory view).
///
/// # Errors
/// Transport errors.
pub fn region_mappings() -> Result<std_alloc::vec::Vec<rampart_rm_api::MappingEntry>, Errno> {
    let mut all = std_alloc::vec::Vec::new();
    let mut from = 0;
    loop {
        match request(&Request::RegionMappings { from })? {
            Response::Mappings { mappings, next } => {
                all.extend(mappings);
                match next {
                    Some(n) if n > from => from = n,
                    _ => return Ok(all),
                }
            }
            r => return unexpected(r),
        }
    }
}

/// Stops the machine (`reboot`: checked as `system reboot`, otherwise
/// `system halt`), reporting `status` where the machine can (QEMU's exit
/// status); returns only on failure.
///
/// # Errors
/// `EACCES`, `ENOSYS`, `EIO` (see `Request::PowerOff`).
pub fn power_off(reboot: bool, status: u32) -> Result<(), Errno> {
    request(&Request::PowerOff { reboot, status }).map(|_| ())
}

/// rm's statistics.
///
/// # Errors
/// Transport errors.
pub fn stats() -> Result<Stats, Errno> {
    match request(&Request::Stats)? {
        Response::Stats(s) => Ok(s),
        r => unexpected(r),
    }
}

/// Maps device frame `frame` (a capability this task holds) at page
/// `index` of device region `region` (`None`: a new region of `pages`
/// pages), uncached and writable (docs/devices.md).
///
/// # Errors
/// `EPERM` (no device authority), `EINVAL`, `ENOENT`, `EEXIST`.
pub fn device_map(id: Option<RegionId>, pages: u64, index: u64, frame: CPtr) -> Result<Region, Errno> {
    let req = Request::DeviceMap { region: id, pages, index };
    match call_with_caps::<_, Response>(channel(), &req, &[frame]) {
        Ok((Response::Err(e), _)) => Err(e),
        Ok((r, _)) => region(r),
        Err(e) => Err(e.errno()),
    }
}

/// Gives child `pid` device authority (devmgr, for the drivers it starts).
///
/// # Errors
/// `EPERM`, `ESRCH`.
pub fn device_grant(pid: Pid) -> Result<(), Errno> {
    request(&Request::DeviceGrant { pid }).map(|_| ())
}
