//! fork(2), vfork(2) and clone(2) of a process (docs/linux-abi.md, "fork").
//!
//! The child is a new Rampart process running the shim (`/bin/linux
//! --forked`), started by rm with [`rampart_rm_api::Spawn::fork`]: in this
//! process's own security context (never another domain), charged to its
//! container like any spawn, with this process's descriptors inherited
//! through the runtime's ordinary handle passing (the servers know the
//! second holder: the open files are shared, as POSIX requires). The
//! program's memory is **copied eagerly**: every page of every mapping
//! goes into one region this process shares with the child (a token staged
//! as the named capability `linux-fork`), with the shim's own state (the
//! registers at the `fork`, x87/SSE state, FS base, mapping table, break,
//! signal dispositions and mask, umask, descriptor paths). The child maps
//! each region again at its address (`RegionAllocAt`), copies the bytes,
//! marks the region done, and resumes the program at the `fork` with
//! `rax` = 0. No copy-on-write yet: a fork costs a copy of the whole
//! address space (busybox: about 3 MiB).
//!
//! `vfork` is `fork` (the parent does not wait for the child's exec: a
//! difference a correct program cannot observe). `clone` without
//! `CLONE_VM`, `CLONE_THREAD` and `CLONE_SIGHAND` is `fork` (with
//! `CLONE_CHILD_SETTID` and `CLONE_SETTLS`; glibc's `fork` is such a
//! clone); threads are `ENOSYS`.

use crate::entry::{FRAME_WORDS, Frame};
use crate::mem::Snapshot;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_libos::rampart_rt::{self, rm};
use rampart_linux_abi::errno::*;
use rampart_rm_api::{Request, Response, Staged};

/// The name of the staged region token in the child's startup information.
const CAP_NAME: &str = "linux-fork";
/// First word of the shared region.
const MAGIC: u64 = 0x6b72_6f66_7875_6e6c;
/// `clone` flags (clone(2)).
const CLONE_VM: u64 = 0x100;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x1_0000;
const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;
/// Most yields the parent waits for the child to take its copy.
const COPY_YIELDS: u32 = 1_000_000;

fn errno(e: rampart_uabi::Errno) -> i32 {
    from_rampart(e.0)
}

/// clone(2): `rdi` flags, `rsi` new stack, `rdx` parent tid pointer,
/// `r10` child tid pointer, `r8` TLS.
///
/// # Errors
/// `ENOSYS` for threads and shared address spaces (`CLONE_VM`,
/// `CLONE_THREAD`, `CLONE_SIGHAND`), else as [`fork`].
pub fn clone(f: &Frame) -> Result<u64, i32> {
    if f.rdi & (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_VFORK) != 0 {
        return Err(ENOSYS);
    }
    fork(f, f.rdi, if f.rdi & CLONE_CHILD_SETTID != 0 { f.r10 } else { 0 })
}

/// Serialised words: fixed header, then variable parts.
struct Words(Vec<u64>);

impl Words {
    fn str(&mut self, s: &str) {
        self.0.push(s.len() as u64);
        for c in s.as_bytes().chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.0.push(u64::from_le_bytes(w));
        }
    }
}

/// fork(2) with `clone` flags `flags` (0 for fork/vfork) and the child's
/// tid pointer `ctid` (0: none). Returns the child's pid.
///
/// # Errors
/// `EAGAIN` (rm refused: quota, `EDQUOT`/`ENOMEM`), `EACCES` (the policy
/// refuses a spawn in this domain), `ENOMEM`, other rm errors.
pub fn fork(f: &Frame, flags: u64, ctid: u64) -> Result<u64, i32> {
    let snap = crate::mem::snapshot();
    let (rsp, fx) = crate::entry::saved_user_state();
    let mut w = Words(Vec::new());
    w.0.extend_from_slice(&f.words());
    w.0.extend_from_slice(&[rsp, crate::entry::linux_fs(), flags, ctid, f.r8]);
    w.0.extend(fx.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))));
    let misc = crate::misc::state();
    w.0.push(misc.len() as u64);
    w.0.extend_from_slice(&misc);
    w.0.push(snap.regions.len() as u64);
    for &(s, b, x) in &snap.regions {
        w.0.extend_from_slice(&[s, b, u64::from(x)]);
    }
    w.0.push(snap.maps.len() as u64);
    for &(s, e, p) in &snap.maps {
        w.0.extend_from_slice(&[s, e, u64::from(p)]);
    }
    w.0.extend_from_slice(&[snap.brk.0, snap.brk.1, snap.brk.2]);
    let (paths, exe) = crate::files::paths();
    w.0.push(paths.len() as u64);
    for (fd, p) in &paths {
        w.0.push(u64::from(*fd));
        w.str(p);
    }
    w.str(&exe);
    let cloexec = crate::files::cloexec_fds();
    w.0.push(cloexec.len() as u64);
    w.0.extend(cloexec.iter().map(|&fd| u64::from(fd)));
    let meta = (4 + w.0.len() as u64) * 8;
    let data_off = meta.next_multiple_of(4096);
    let total = data_off + snap.regions.iter().map(|r| r.1).sum::<u64>();
    let region = rm::region_alloc(total).map_err(|e| {
        trace("region_alloc", e);
        if e == rampart_uabi::Errno::EDQUOT { EAGAIN } else { errno(e) }
    })?;
    // SAFETY: `total` bytes were just mapped read-write for this process
    // at `region.vaddr`; the program's regions are mapped (the shim made
    // them) and the program is stopped in its `fork`.
    let out = unsafe { core::slice::from_raw_parts_mut(region.vaddr as *mut u64, (total / 8) as usize) };
    out[..4].copy_from_slice(&[MAGIC, 0, meta, data_off]);
    out[4..4 + w.0.len()].copy_from_slice(&w.0);
    let mut at = data_off as usize;
    for &(s, b, _) in &snap.regions {
        // SAFETY: as above; byte views of the same mappings.
        unsafe { core::ptr::copy_nonoverlapping(s as *const u8, (region.vaddr as *mut u8).add(at), b as usize) };
        at += b as usize;
    }
    let r = start_child(region.id).and_then(|pid| {
        if wait_copied(region.vaddr, pid) {
            return Ok(pid);
        }
        // The child could not rebuild the memory (its own quota check
        // failed, or it ended): the fork failed, as Linux's EAGAIN; the
        // child is collected here, never seen by the program.
        let _ = rm::kill(pid);
        let _ = rm::wait(Some(pid), true);
        Err(EAGAIN)
    });
    let _ = rm::region_free(region.id);
    r.map(u64::from)
}

/// Stages a token for region `id` and starts the shim in fork mode with
/// every descriptor of this process (same numbers).
fn start_child(id: u32) -> Result<u32, i32> {
    use rampart_libos::sys::with;
    let slot = with(|st| st.slot());
    let staged = rm::region_share(id, true, slot).and_then(|()| {
        let req = Request::StageCap(Staged { fd: None, name: CAP_NAME.into() });
        match rampart_rt::ipc::codec::call_with_caps::<_, Response>(rm::channel(), &req, &[slot]) {
            Ok((Response::Ok, _)) => Ok(()),
            Ok((Response::Err(e), _)) => Err(e),
            Ok(_) => Err(rampart_uabi::Errno::EPROTO),
            Err(e) => Err(e.errno()),
        }
    });
    with(|st| st.free_slot(slot));
    staged.map_err(|e| {
        trace("stage", e);
        errno(e)
    })?;
    let fds: Vec<(u32, u32)> = with(|st| st.fds.keys().map(|&k| (k, k)).collect());
    let envp: Vec<String> = rampart_libos::env::vars().into_iter().map(|(k, v)| alloc::format!("{k}={v}")).collect();
    let argv = [String::from("linux"), String::from("--forked")];
    let cwd = rampart_libos::env::current_dir();
    let opts = rampart_libos::sys::spawn::SpawnOptions { fork: true, ..Default::default() };
    rampart_libos::sys::spawn::spawn_with(rampart_libos::sys::spawn::LINUX_SHIM, &argv, envp, &cwd, &fds, &opts)
        .map_err(|e| match e {
            e if trace("spawn", e) => EAGAIN,
            // Out of quota or memory, or more descriptors than one spawn
            // passes (22 besides the region token): Linux's EAGAIN.
            rampart_uabi::Errno::EDQUOT | rampart_uabi::Errno::ENOMEM | rampart_uabi::Errno::E2BIG => EAGAIN,
            e => errno(e),
        })
}

/// Reports a failed step under `LINUX_TRACE=1`; false.
fn trace(what: &str, e: rampart_uabi::Errno) -> bool {
    if crate::entry::TRACE.load(core::sync::atomic::Ordering::Relaxed) != 0 {
        rampart_libos::eprintln!("[linux] fork: {what}: {e}");
    }
    false
}

/// Waits until child `pid` marked the shared region at `vaddr` taken
/// (true) or failed, or ended (false).
fn wait_copied(vaddr: u64, pid: u32) -> bool {
    // SAFETY: word 1 of the shared region, mapped in this process until
    // the caller frees it; the child writes it once.
    let done = unsafe { &*((vaddr + 8) as *const core::sync::atomic::AtomicU64) };
    for i in 0..COPY_YIELDS {
        match done.load(core::sync::atomic::Ordering::Acquire) {
            0 => {}
            v => return v == 1,
        }
        if i % 64 == 63 && rm::task_info(pid).is_err() {
            return false;
        }
        rampart_rt::syscall::yield_now();
    }
    false
}

/// Reads serialised words.
struct Reader<'a>(&'a [u64], usize);

impl Reader<'_> {
    fn u(&mut self) -> u64 {
        let v = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        v
    }
    fn n(&mut self, max: u64) -> usize {
        self.u().min(max) as usize
    }
    fn str(&mut self) -> String {
        let len = self.n(4096);
        let mut b = Vec::with_capacity(len);
        for _ in 0..len.div_ceil(8) {
            b.extend_from_slice(&self.u().to_le_bytes());
        }
        b.truncate(len);
        String::from_utf8(b).unwrap_or_default()
    }
}

/// The child's side (`linux --forked`): rebuilds the parent's program from
/// the shared region and resumes it at its `fork` with result 0. Returns
/// (exit status 126) only if that is impossible.
pub fn child() -> i32 {
    let Some(token) = rampart_rt::startup::named_cap(CAP_NAME) else {
        return 126;
    };
    let Ok(region) = rm::region_map(token) else {
        return 126;
    };
    // SAFETY: the region is mapped read-write at `region.vaddr` for
    // `region.bytes` bytes until this process frees it below.
    let all = unsafe { core::slice::from_raw_parts(region.vaddr as *const u64, (region.bytes / 8) as usize) };
    if all.len() < 4 || all[0] != MAGIC || all[2] > region.bytes || all[3] > region.bytes {
        return 126;
    }
    let (meta, data_off) = (all[2] as usize / 8, all[3]);
    let mut r = Reader(&all[4..meta], 0);
    let mut frame = [0u64; FRAME_WORDS];
    frame.iter_mut().for_each(|x| *x = r.u());
    let (rsp, mut fs, flags, ctid, tls) = (r.u(), r.u(), r.u(), r.u(), r.u());
    let mut fx = [0u8; 512];
    for c in fx.chunks_mut(8) {
        c.copy_from_slice(&r.u().to_le_bytes());
    }
    let n = r.n(1024);
    let misc: Vec<u64> = (0..n).map(|_| r.u()).collect();
    let n = r.n(1 << 16);
    let regions: Vec<(u64, u64, bool)> = (0..n).map(|_| (r.u(), r.u(), r.u() != 0)).collect();
    let n = r.n(1 << 16);
    let maps = (0..n).map(|_| (r.u(), r.u(), r.u() as u32)).collect();
    let brk = (r.u(), r.u(), r.u());
    let n = r.n(1 << 16);
    let paths = (0..n).map(|_| (r.u() as u32, r.str())).collect();
    let exe = r.str();
    let n = r.n(1 << 16);
    let cloexec: Vec<u32> = (0..n).map(|_| r.u() as u32).collect();
    let snap = Snapshot { regions, maps, brk };
    let mut at = data_off;
    let ok = crate::mem::restore(&snap, |_, dst| {
        let len = dst.len() as u64;
        if at + len <= region.bytes {
            // SAFETY: inside the shared region (checked above).
            let src = unsafe { core::slice::from_raw_parts((region.vaddr + at) as *const u8, dst.len()) };
            dst.copy_from_slice(src);
        }
        at += len;
    });
    // SAFETY: word 1 of the shared region, mapped read-write.
    let done = unsafe { &*((region.vaddr + 8) as *const core::sync::atomic::AtomicU64) };
    done.store(if ok.is_ok() && at <= region.bytes { 1 } else { 2 }, core::sync::atomic::Ordering::Release);
    let _ = rm::region_free(region.id);
    if ok.is_err() || at > region.bytes {
        // The parent reports EAGAIN.
        return 126;
    }
    crate::misc::set_state(&misc);
    crate::files::set_paths(paths, exe);
    crate::files::set_cloexec_fds(&cloexec);
    crate::entry::enter_dispatch_mode();
    if flags & CLONE_SETTLS != 0 {
        fs = tls;
    }
    if ctid != 0 {
        let _ = crate::mem::put(ctid, &(crate::misc::pid() as u32).to_le_bytes());
    }
    frame[0] = 0;
    crate::entry::resume(frame, rsp, &fx, fs)
}
