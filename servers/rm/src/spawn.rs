//! Creating a task (`Spawn`): image from a boot module, from an image the
//! file server sealed (`crate::seal`) or, for init, from one of the
//! caller's regions; objects charged to a container, the rm channel and
//! the event notification installed, then started.

use crate::kops::{CNODE, Holdings, build_errno, release};
use crate::seal::Seal;
use crate::state::{Rm, Task};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_abi::Rights;
use rampart_procbuild::build::{TaskSpec, build_task};
use rampart_procbuild::image::{ImagePlan, Limits};
use rampart_rm_api::{INIT_PID, Image, Pid, Spawn, badge};
use rampart_rm_core::proctable::Proc;
use rampart_rt::cap::{CPtr, Endpoint, Notification};
use rampart_rt::dprintln;
use rampart_uabi::Errno;
use rampart_uabi::startup::{self, EVENT_CHILD, StartupBody, StartupHeader, layout, slot};

/// Default priority of programs started by init (servers ask for more).
pub const PROGRAM_PRIORITY: u8 = 100;

/// Pages of the window rm reads images from regions through: the rest of
/// the one page table init made for rm's windows (512 pages, after the
/// builder's `WINDOW_PAGES`), so program files up to 1.75 MiB.
pub const IMAGE_WINDOW_PAGES: u64 = 512 - rampart_procbuild::build::WINDOW_PAGES as u64;

/// Rights of a task's rm channel: send, and grant capabilities both ways.
const CHANNEL_RIGHTS: Rights = Rights(Rights::WRITE.0 | Rights::GRANT.0 | Rights::GRANT_REPLY.0);

/// Frames of a caller's region mapped into rm's image window (undone by
/// [`unmap_window`]).
struct Window {
    slots: (CPtr, u64),
}

/// (`owner` 0: a sealed region, which rm owns.)
fn map_window(rm: &mut Rm, caller: Pid, region: u32, len: u64) -> Result<(&'static [u8], Window), Errno> {
    let w = map_frames(rm, caller, region, len)?;
    // SAFETY: `len` bytes of the region were just mapped read-only at the
    // image window (rm's own address space, used only here); the slice is
    // dropped before `unmap_window` deletes the mappings (the caller's
    // contract below).
    let bytes = unsafe { core::slice::from_raw_parts(rm.image_window as *const u8, len as usize) };
    Ok((bytes, w))
}

/// Maps the first `len` bytes of `caller`'s region at rm's image window
/// (read-only), as [`map_window`] without making a slice of them.
fn map_frames(rm: &mut Rm, caller: Pid, region: u32, len: u64) -> Result<Window, Errno> {
    let r = rm.regions.get(&region).filter(|r| r.owner == caller).ok_or(Errno::ENOENT)?;
    let pages = len.div_ceil(4096);
    if len == 0 || pages > r.pages {
        return Err(Errno::EINVAL);
    }
    if pages > IMAGE_WINDOW_PAGES {
        return Err(Errno::E2BIG);
    }
    let frames = r.frames;
    let s = rm.slots.alloc(pages).ok_or(Errno::ENOMEM)?;
    let w = Window { slots: (s, pages) };
    for i in 0..pages {
        if CNODE.copy(s + i, 64, CNODE.path(frames + i, 64), Rights::READ).is_err() {
            unmap_window(rm, w);
            return Err(Errno::EIO);
        }
    }
    let caps: Vec<CPtr> = (0..pages).map(|i| s + i).collect();
    if rampart_procbuild::build::map_run(rm.b.vspace, rm.image_window, &caps, Rights::READ, 0).is_err() {
        unmap_window(rm, w);
        return Err(Errno::EIO);
    }
    Ok(w)
}

fn unmap_window(rm: &mut Rm, w: Window) {
    for i in 0..w.slots.1 {
        let _ = CNODE.delete(w.slots.0 + i, 64);
    }
    rm.slots.free(w.slots.0, w.slots.1);
}

/// Longest task name rm keeps in bytes (Linux's `NAME_MAX`): a longer
/// `argv[0]` is cut at a character boundary.
const NAME_MAX: usize = 255;

/// `s` cut to at most [`NAME_MAX`] bytes at a character boundary.
fn task_name(s: &str) -> String {
    let mut end = s.len().min(NAME_MAX);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    String::from(&s[..end])
}

/// The caller's argument block ([`Spawn::args`]), copied out of its region
/// and then checked (the caller may write the region meanwhile: only the
/// copy is looked at and used), with the task name its `argv[0]` gives.
///
/// # Errors
/// `EINVAL` (`argv` or `envp` given too, `len` 0 or past the region,
/// malformed block), `ENOENT` (not the caller's region), `E2BIG` (limits
/// of `rampart_rm_api::check_args`), `ENOMEM`, `EIO`.
fn load_args(rm: &mut Rm, caller: Pid, req: &Spawn) -> Result<Option<(Vec<u8>, String)>, Errno> {
    let Some(a) = req.args else {
        return Ok(None);
    };
    if !req.argv.is_empty() || !req.envp.is_empty() || a.len == 0 {
        return Err(Errno::EINVAL);
    }
    if a.len > rampart_rm_api::MAX_BLOCK_BYTES as u64 {
        return Err(Errno::E2BIG);
    }
    let mut copy = Vec::new();
    copy.try_reserve_exact(a.len as usize).map_err(|_| Errno::ENOMEM)?;
    let w = map_frames(rm, caller, a.region, a.len)?;
    // SAFETY: `map_frames` mapped `a.len` bytes read-only at the image
    // window, unmapped only below; `copy` has room for them (reserved
    // above) and is rm's own memory. A raw copy, no reference: the client
    // may be writing the same frames right now, which can change only
    // what is copied (then checked), never memory rm already holds.
    unsafe {
        core::ptr::copy_nonoverlapping(rm.image_window as *const u8, copy.as_mut_ptr(), a.len as usize);
        copy.set_len(a.len as usize);
    }
    unmap_window(rm, w);
    let sum = rampart_rm_api::check_args(&copy)?;
    // `check_args` found `argv[0]` within the block and valid UTF-8.
    let name = sum
        .argv0
        .and_then(|(s, e)| core::str::from_utf8(&copy[s..e]).ok())
        .map_or_else(|| String::from("?"), task_name);
    Ok(Some((copy, name)))
}

/// Handles `Spawn` from `caller`; `fault_cap` is the fault endpoint the
/// message carried (supervised spawns).
///
/// # Errors
/// `ESRCH` (caller), `EPERM` (container), `EINVAL` (parameters), `ENOENT`
/// (image; a seal unknown or already used; the argument block's region),
/// `ENOEXEC` (malformed image), `E2BIG` (arguments: the startup
/// information, or an argument block past `rampart_rm_api::ARG_MAX`),
/// `EINVAL` (a malformed argument block), `EACCES` (the policy's `resource create_task`,
/// `process spawn`, `transition`, `file entrypoint` or `execute_no_trans`
/// on the image's label, `resource execute_anon` for a region; a seal made
/// for another subject), `EDQUOT`, `ENOMEM`, `EIO` (kernel refusal,
/// logged).
pub fn spawn(rm: &mut Rm, caller: Pid, req: Spawn, fault_cap: Option<CPtr>) -> Result<Pid, Errno> {
    let parent = rm.procs.get(caller).filter(|p| p.status.is_none()).ok_or(Errno::ESRCH)?;
    let parent_context = parent.context.clone();
    // A fork (the Linux personality) stays in the caller's domain, from a
    // sealed image only.
    if req.fork
        && (req.context.is_some() || req.exec_context.is_some() || !matches!(req.image, Some(Image::Sealed { .. })))
    {
        return Err(Errno::EINVAL);
    }
    // A sealed image is used once, whatever happens next (its region is
    // freed below).
    let sealed = match req.image {
        Some(Image::Sealed { token }) => Some(crate::seal::take(rm, caller, &parent_context, token)?),
        _ => None,
    };
    let r = spawn_checked(rm, caller, req, fault_cap, sealed.as_ref());
    if let Some(s) = sealed {
        crate::memory::destroy_region(rm, s.region);
    }
    r
}

/// The label of the program file an image comes from, as rm trusts it:
/// a seal's (the file server's word); a boot module's, named by its
/// spawner ([`Spawn::exec_context`]); none for a region the caller filled
/// itself, which only init, or a caller the policy grants `resource
/// execute_anon`, may run at all.
///
/// # Errors
/// `EINVAL` (a claimed label with an image that has its own, no image),
/// `EACCES` (a region without `execute_anon`).
fn exec_label(rm: &Rm, caller: Pid, parent: &str, req: &Spawn, sealed: Option<&Seal>) -> Result<Option<String>, Errno> {
    match (&req.image, sealed) {
        (Some(Image::Sealed { .. }), Some(s)) if req.exec_context.is_none() => Ok(Some(s.exec.clone())),
        (Some(Image::Bootfs(_)), None) => Ok(req.exec_context.clone()),
        (Some(Image::Region { .. }), None) => {
            if caller != INIT_PID && !crate::security::may_use(rm, parent, "execute_anon") {
                return Err(Errno::EACCES);
            }
            if caller != INIT_PID && req.exec_context.is_some() {
                return Err(Errno::EINVAL);
            }
            Ok(req.exec_context.clone())
        }
        _ => Err(Errno::EINVAL),
    }
}

/// [`spawn`] once a sealed image (if any) is taken.
fn spawn_checked(
    rm: &mut Rm,
    caller: Pid,
    req: Spawn,
    fault_cap: Option<CPtr>,
    sealed: Option<&Seal>,
) -> Result<Pid, Errno> {
    let parent = rm.procs.get(caller).filter(|p| p.status.is_none()).ok_or(Errno::ESRCH)?;
    let (own_container, parent_context) = (parent.container, parent.context.clone());
    let exec = exec_label(rm, caller, &parent_context, &req, sealed)?;
    // The group must exist before anything is built (`EPERM` otherwise).
    rm.procs.spawn_group(caller, req.pgroup, 0)?;
    let container = req.container.unwrap_or(own_container);
    if !rm.containers.may_use(container, caller, own_container) {
        return Err(Errno::EPERM);
    }
    if (req.supervised || req.cap_name.is_some()) && fault_cap.is_none() {
        return Err(Errno::EINVAL);
    }
    // init's children may run up to just below rm (servers); programs
    // default to PROGRAM_PRIORITY. Others get at most their parent's.
    let (max, default) = match caller {
        INIT_PID => (rm.priority - 1, PROGRAM_PRIORITY),
        _ => rm.tasks.get(&caller).map_or((1, 1), |t| (t.priority, t.priority)),
    };
    let priority = req.priority.unwrap_or(default).min(max);
    let radix = u32::from(req.cnode_radix.unwrap_or(startup::CNODE_RADIX as u8));
    let stack_pages = u64::from(req.stack_pages.unwrap_or(layout::STACK_PAGES as u32));
    let heap_pages = u64::from(req.heap_pages.unwrap_or(16));
    if !(startup::MIN_CNODE_RADIX..=16).contains(&radix) || !(1..=1024).contains(&stack_pages) || heap_pages > 4096 {
        return Err(Errno::EINVAL);
    }
    // The child's context, decided before anything is made for it: init
    // names it; another process may ask for one the policy lets it enter
    // with this executable (`runcon`); otherwise the policy's type
    // transition for (parent context, executable's context). The
    // decisions add nothing to secsrv's SID table; only the context of a
    // task that is then built is held (docs/security-architecture.md §1).
    // A fork (checked in `spawn`) stays in the caller's domain: it is then
    // checked below exactly as a spawn without a transition.
    let context = match &req.context {
        _ if req.fork => parent_context.clone(),
        Some(c) if caller == INIT_PID => c.clone(),
        Some(c) => crate::security::explicit(rm, &parent_context, c, exec.as_deref())?,
        None => crate::security::transition(rm, &parent_context, exec.as_deref())?,
    };
    // `resource create_task` for every spawner but init, and `process
    // spawn` when the child starts directly in a domain (init naming it,
    // or a child in its parent's own domain); a change of domain was
    // checked above as `transition` and `entrypoint`.
    if caller != INIT_PID && !crate::security::may_use(rm, &parent_context, "create_task") {
        return Err(Errno::EACCES);
    }
    if (caller == INIT_PID || context == parent_context)
        && !crate::jobs::allowed(rm, &parent_context, &context, "process", "spawn")
    {
        return Err(Errno::EACCES);
    }
    // A program from a file that runs in its caller's own domain needs
    // `file execute_no_trans` on the file (SELinux's rule for an exec
    // without a domain transition); a transition was checked above as
    // `entrypoint`.
    if let Some(exec) = exec.as_deref()
        && caller != INIT_PID
        && context == parent_context
        && !crate::jobs::allowed(rm, &parent_context, exec, "file", "execute_no_trans")
    {
        return Err(Errno::EACCES);
    }
    let held = crate::security::hold(rm, caller, &context)?;
    let sizes = (radix, stack_pages, heap_pages);
    let r = spawn_as(rm, caller, req, (fault_cap, container, priority, sizes), context, held, sealed);
    if r.is_err() {
        crate::security::release(rm, held);
    }
    r
}

/// The rest of [`spawn`] once the child's context is decided and its SID
/// held (`held`: released by the caller if this fails).
fn spawn_as(
    rm: &mut Rm,
    caller: Pid,
    req: Spawn,
    (fault_cap, container, priority, sizes): (Option<CPtr>, u32, u8, (u32, u64, u64)),
    context: String,
    held: Option<crate::security::Held>,
    sealed: Option<&Seal>,
) -> Result<Pid, Errno> {
    let (fault_cap, inherit) = if req.supervised { (fault_cap, None) } else { (None, fault_cap) };
    // Arguments in a block are copied before the image window is used.
    let args = load_args(rm, caller, &req)?;
    let argv0 = match &args {
        Some((_, n)) => n.clone(),
        None => req.argv.first().map_or_else(|| String::from("?"), |a| task_name(a)),
    };
    // The image.
    let (name, bytes, window, shareable) = match req.image.clone().ok_or(Errno::EINVAL)? {
        Image::Bootfs(name) => {
            let e = rm.bootfs.as_ref().and_then(|fs| fs.find(&name)).ok_or(Errno::ENOENT)?;
            let aligned = rm.bootfs_vaddr.is_multiple_of(4096);
            (name, e.data, None, aligned.then_some(e.offset as u64 / 4096))
        }
        Image::Region { region, len } => {
            let (b, w) = map_window(rm, caller, region, len)?;
            (argv0, b, Some(w), None)
        }
        Image::Sealed { .. } => {
            let s = sealed.ok_or(Errno::EINVAL)?;
            let (b, w) = map_window(rm, 0, s.region, s.len)?;
            (argv0, b, Some(w), None)
        }
    };
    let result = build(
        rm,
        caller,
        &req,
        &name,
        bytes,
        shareable,
        args.as_ref().map(|(b, _)| b.as_slice()),
        container,
        priority,
        sizes,
        (context, held),
        (fault_cap, inherit),
    );
    if let Some(w) = window {
        unmap_window(rm, w);
    }
    result
}

#[allow(clippy::too_many_arguments)]
fn build(
    rm: &mut Rm,
    caller: Pid,
    req: &Spawn,
    name: &str,
    bytes: &[u8],
    share_from: Option<u64>,
    args: Option<&[u8]>,
    container: u32,
    priority: u8,
    (radix, stack_pages, heap_pages): (u32, u64, u64),
    (context, held): (String, Option<crate::security::Held>),
    (fault_cap, inherit): (Option<CPtr>, Option<CPtr>),
) -> Result<Pid, Errno> {
    let plan = ImagePlan::new(bytes, &Limits::default()).map_err(|_| Errno::ENOEXEC)?;
    let pool = rm.pool().ok_or(Errno::ENOMEM)?;
    let pid = rm.procs.alloc_pid();
    // Capabilities staged with `StageCap` follow the `cap_name` one.
    let staged_first = slot::INHERIT_FIRST + u64::from(req.cap_name.is_some() && inherit.is_some());
    let staged: Vec<(rampart_rm_api::Staged, CPtr)> = rm.staged.remove(&caller).unwrap_or_default();
    if staged_first + staged.len() as u64 > slot::INHERIT_END {
        put_back(rm, caller, staged);
        return Err(Errno::E2BIG);
    }
    let mut handles = Vec::new();
    let mut caps = match (&req.cap_name, inherit) {
        (Some(n), Some(_)) => alloc::vec![startup::NamedCap { name: n.clone(), slot: slot::INHERIT_FIRST }],
        _ => Vec::new(),
    };
    for (i, (st, _)) in staged.iter().enumerate() {
        let s = staged_first + i as u64;
        match st.fd {
            Some(fd) => handles.push(startup::InheritedHandle { fd, service: st.name.clone(), slot: s }),
            None => caps.push(startup::NamedCap { name: st.name.clone(), slot: s }),
        }
    }
    // The kernel log, where the policy lets the new task's domain write
    // (or read) it; records it writes carry its pid.
    let log = crate::security::log_rights(rm, caller, &context);
    if log != Rights::NONE {
        caps.push(startup::NamedCap { name: "log".into(), slot: slot::LOG });
    }
    let body = StartupBody {
        name: name.into(),
        security_context: context.clone(),
        argv: req.argv.clone(),
        envp: req.envp.clone(),
        cwd: if req.cwd.is_empty() { "/".into() } else { req.cwd.clone() },
        handles,
        caps,
        data: Vec::new(),
    };
    let header = StartupHeader {
        pid,
        parent: caller,
        tsc_hz: rm.tsc_hz,
        // A fixed heap (`Spawn::fixed_heap`): the runtime never asks rm
        // for more.
        flags: if req.fixed_heap { 0 } else { startup::flags::HEAP_GROWS } | rampart_rt::syscall::debug_syscalls_flag(),
        ..Default::default()
    };
    // The fault endpoint: the supervisor's, or rm's badged with the pid.
    let temp = match fault_cap {
        Some(c) => (c, false),
        None => {
            let s = rm.slots.alloc(1).ok_or(Errno::ENOMEM)?;
            let r = Rights(Rights::WRITE.0 | Rights::GRANT_REPLY.0);
            if CNODE.mint(s, 64, CNODE.path(rm.ep.0, 64), r, badge::FAULT | u64::from(pid)).is_err() {
                rm.slots.free(s, 1);
                return Err(Errno::EIO);
            }
            (s, true)
        }
    };
    let mut hold = Holdings::default();
    let first = rm.bootfs_first;
    let pages = rm.bootfs_pages;
    let frames = move |i: u64| share_from.map(|f| f + i).filter(|&p| p < pages).map(|p| first + p);
    let built = {
        let mut res = Rm::res(&mut rm.buddy, &mut rm.slots, &mut rm.containers, container, &mut hold);
        let spec = TaskSpec {
            image: bytes,
            plan: &plan,
            image_frames: if share_from.is_some() { Some(&frames) } else { None },
            cnode_radix: radix,
            stack_pages,
            heap_pages,
            priority: u64::from(priority),
            mcp: u64::from(priority),
            budget_period_us: (10_000, 10_000),
            fault_ep: Endpoint(temp.0),
            asid_pool: rm.pools[pool].cap,
            header,
            body: &body,
            args,
        };
        build_task(&rm.b, &mut res, &spec).map_err(|e| {
            if let rampart_procbuild::build::BuildError::Kernel(k, what) = e {
                dprintln!("rm: building {name}: {what}: {k}");
            }
            build_errno(e, res.errno)
        })
    };
    if temp.1 {
        let _ = CNODE.delete(temp.0, 64);
        rm.slots.free(temp.0, 1);
    }
    let built = match built {
        Ok(b) => b,
        Err(e) => {
            release(&mut hold, &mut rm.buddy, &mut rm.slots, &mut rm.containers, container);
            put_back(rm, caller, staged);
            return Err(e);
        }
    };
    rm.pools[pool].used += 1;
    let installed = install(rm, &built, pid, &mut hold, inherit, log);
    let moved = move_staged(rm, &built, staged_first, staged);
    match installed.and_then(|ev| moved.map(|()| ev)) {
        Ok(events) => {
            crate::connsrv::give_channel(rm, &built, pid, &context);
            let _ = rm.containers.add_task(container);
            let (pgid, sid) = if req.setsid {
                (pid, pid)
            } else {
                rm.procs.spawn_group(caller, req.pgroup, pid).unwrap_or((pid, pid))
            };
            rm.procs.insert(Proc {
                pid,
                parent: caller,
                container,
                context,
                privileged: caller == INIT_PID,
                status: None,
                pgid,
                sid,
                event: None,
            });
            let sig = rm.tasks.get(&caller).map(|t| t.sig.inherit()).unwrap_or_default();
            let heap_end = built.heap_end;
            rm.tasks.insert(
                pid,
                Task {
                    built,
                    name: name.into(),
                    container,
                    priority,
                    hold,
                    events,
                    pool,
                    heap_end,
                    next_region: layout::REGION_BASE,
                    regions: Vec::new(),
                    mapped: Vec::new(),
                    sig,
                    block: None,
                    sid: held,
                    timer: false,
                    cpu_us: core::cell::Cell::new(0),
                },
            );
            if let Err(e) = crate::signals::attach(rm, pid) {
                rampart_rt::pr_err!("rm: no signal block for pid {pid}: {e}");
                // `spawn` releases the SID with the error.
                if let Some(t) = rm.tasks.get_mut(&pid) {
                    t.sid = None;
                }
                crate::lifecycle::destroy(rm, pid, rampart_rm_api::ExitStatus::KILLED);
                return Err(e);
            }
            if let Some(t) = rm.tasks.get_mut(&pid)
                && t.built.tcb.resume().is_err()
            {
                // `spawn` releases the SID with the error.
                t.sid = None;
                crate::lifecycle::destroy(rm, pid, rampart_rm_api::ExitStatus::KILLED);
                return Err(Errno::EIO);
            }
            Ok(pid)
        }
        Err(e) => {
            rm.pools[pool].used -= 1;
            release(&mut hold, &mut rm.buddy, &mut rm.slots, &mut rm.containers, container);
            Err(e)
        }
    }
}

/// Installs the rm channel (slot 4) and makes rm's badged copy of the
/// task's notification; returns the latter.
fn install(
    rm: &mut Rm,
    t: &rampart_procbuild::build::Task,
    pid: Pid,
    hold: &mut Holdings,
    inherit: Option<CPtr>,
    log: Rights,
) -> Result<Notification, Errno> {
    let r = u64::from(t.cnode_radix);
    match inherit {
        Some(c) if c & crate::TOKEN_COPY != 0 => {
            let src = CNODE.path(c & !crate::TOKEN_COPY, 64);
            t.cnode.copy(slot::INHERIT_FIRST, r, src, Rights::WRITE).map_err(|_| Errno::EIO)?;
        }
        Some(c) => t.cnode.move_(slot::INHERIT_FIRST, r, CNODE.path(c, 64)).map_err(|_| Errno::EIO)?,
        None => {}
    }
    t.cnode.mint(slot::RM, r, CNODE.path(rm.ep.0, 64), CHANNEL_RIGHTS, u64::from(pid)).map_err(|_| Errno::EIO)?;
    if log != Rights::NONE {
        let mint = CNODE.path(rampart_rm_api::boot::slot::LOG_MINT, 64);
        t.cnode.mint(slot::LOG, r, mint, log, u64::from(pid)).map_err(|_| Errno::EIO)?;
    }
    let s = rm.slots.alloc(1).ok_or(Errno::ENOMEM)?;
    hold.slots.push((s, 1));
    CNODE.mint(s, 64, CNODE.path(t.ntfn.0, 64), Rights::WRITE, EVENT_CHILD).map_err(|_| Errno::EIO)?;
    Ok(Notification(s))
}

/// Drops staged capabilities after a failed spawn.
fn put_back(rm: &mut Rm, caller: Pid, staged: Vec<(rampart_rm_api::Staged, CPtr)>) {
    if !staged.is_empty() {
        rm.staged.insert(caller, staged);
        crate::security::drop_staged(rm, caller);
    }
}

/// Moves the staged capabilities into the child's slots `first..`.
fn move_staged(
    rm: &mut Rm,
    t: &rampart_procbuild::build::Task,
    first: u64,
    staged: Vec<(rampart_rm_api::Staged, CPtr)>,
) -> Result<(), Errno> {
    let r = u64::from(t.cnode_radix);
    let mut res = Ok(());
    for (i, (_, s)) in staged.into_iter().enumerate() {
        if t.cnode.move_(first + i as u64, r, CNODE.path(s, 64)).is_err() {
            res = Err(Errno::EIO);
        }
        crate::lifecycle::drop_slot(rm, s);
    }
    res
}
