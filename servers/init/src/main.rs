//! init, the root task (docs/userland.md §1).
//!
//! The kernel starts init with the boot information page address in `rdi`.
//! init checks it, builds and starts the resource manager (rm) with every
//! RAM untyped, starts the servers in the order of
//! [`supervise::SERVERS`], then the first program, and supervises: it is
//! the fault handler of the servers (restarting them a bounded number of
//! times) and powers the machine off with the first program's exit status.
//!
//! Kernel command-line options:
//! - `init.first=PROG[:ARG]`: the first program (default: `sh` if present),
//!   with `ARG` as its argument;
//! - `init.test=NAME`: run the test program `NAMEtest` first (e.g.
//!   `init.test=rm` runs `rmtest`, the resource-manager test suite);
//! - `init.servers=NAME[:ARG],...`: extra boot modules to start as
//!   supervised servers (with `ARG` as their argument);
//! - `init.audit=NAME`: start the capability-graph auditor, which audits
//!   once a task named `NAME` runs (`audit`); `init.audit.plant=1` gives
//!   the first program a channel the policy forbids (the auditor's
//!   negative test).
#![no_std]
#![no_main]
// `unsafe` allowed: the root task reads the `BootInfo` page and the boot
// archive the kernel maps for it, reads ACPI tables through mappings, and
// sets up its static heap (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]

extern crate alloc;

mod acpimem;
mod audit;
mod buildrm;
mod devices;
mod power;
mod security;
mod session;
mod shutdown;
mod supervise;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use rampart_abi::Rights;
use rampart_abi::bootfs::Bootfs;
use rampart_abi::bootinfo::{BOOTINFO_MAGIC, BootInfo, slot};
use rampart_rm_api::{Image, Spawn};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::{CNode, Endpoint, Tcb, Untyped};
use rampart_rt::cpu::rdtsc;
use rampart_rt::dprintln;

rampart_rt::entry!(main);

/// init's heap (init is a root task: no rm to grow it).
#[repr(C, align(4096))]
struct Heap([u8; 1 << 20]);
static mut HEAP: Heap = Heap([0; 1 << 20]);

fn main(bootinfo: u64) -> i32 {
    // SAFETY: the kernel maps one page holding a `BootInfo` at this address
    // (rampart_abi::bootinfo) before starting init.
    let bi: &BootInfo = unsafe { &*(bootinfo as *const BootInfo) };
    if bi.magic != BOOTINFO_MAGIC {
        rampart_rt::pr_err!("init: bad boot information magic {:#x}", bi.magic);
        return 1;
    }
    // The thread block first: it holds the IPC-buffer address the kernel
    // log writes go through.
    if rampart_rt::tls::init_root(bi).is_err() {
        return 1;
    }
    dprintln!("init: hello from ring 3");
    // SAFETY: the kernel maps the boot-module archive read-only at
    // `bootfs_vaddr` for `bootfs_size` bytes, for init's whole life.
    let archive: &'static [u8] =
        unsafe { core::slice::from_raw_parts(bi.bootfs_vaddr as *const u8, bi.bootfs_size as usize) };
    let fs = match Bootfs::parse(archive) {
        Ok(fs) => fs,
        Err(e) => {
            rampart_rt::pr_err!("init: bad boot-module archive: {:?}", e);
            return 1;
        }
    };
    for e in fs.iter() {
        dprintln!("init: boot module {} ({} bytes)", e.name, e.data.len());
    }
    // A deterministic measurement: under `-icount shift=0` the TSC counts
    // retired instructions, so this number repeats exactly across boots.
    let t0 = rdtsc();
    for _ in 0..1000 {
        rampart_rt::syscall::yield_now();
    }
    let t1 = rdtsc();
    dprintln!("init: measure: 1000 yield syscalls took {} cycles", t1 - t0);

    // SAFETY: the heap array is used by nothing else, and this runs once.
    unsafe { rampart_rt::heap::init(&raw mut HEAP as u64, core::mem::size_of::<Heap>() as u64, false) };
    if fs.find("rm").is_none() {
        rampart_rt::pr_err!("init: no resource manager in the boot modules; powering off");
        return 0;
    }
    match run(bi, fs) {
        Ok(end) => {
            if end.rm_alive {
                power_off(end.code);
            }
            end.code
        }
        Err(e) => {
            dprintln!("init: {e}");
            0x71
        }
    }
}

struct Options {
    first: Option<(String, Vec<String>)>,
    servers: Vec<(String, Vec<String>)>,
}

fn options(cmdline: &str, fs: &Bootfs) -> Options {
    let mut o = Options { first: fs.find("sh").map(|_| prog("sh")), servers: Vec::new() };
    for w in cmdline.split_whitespace() {
        if let Some(p) = w.strip_prefix("init.first=") {
            o.first = Some(prog(p));
        } else if let Some(t) = w.strip_prefix("init.test=") {
            o.first = Some(prog(&alloc::format!("{t}test")));
        } else if let Some(list) = w.strip_prefix("init.servers=") {
            o.servers.extend(list.split(',').filter(|s| !s.is_empty()).map(prog));
        }
    }
    o
}

/// `NAME[:ARG]` as (name, argv).
fn prog(s: &str) -> (String, Vec<String>) {
    let (name, arg) = s.split_once(':').map_or((s, None), |(n, a)| (n, Some(a)));
    let mut argv = alloc::vec![name.to_string()];
    argv.extend(arg.map(|a| a.to_string()));
    (name.to_string(), argv)
}

/// Asks rm to power the machine off with `code` as its exit status (rm
/// holds the power ports; the policy grants `init_t` `system halt`).
/// Returns only if that failed: `main` then returns and the runtime falls
/// back on the kernel's `DebugShutdown` (honoured for the root task only,
/// debug kernels).
fn power_off(code: i32) {
    if let Err(e) = rampart_rt::rm::power_off(false, code as u32) {
        rampart_rt::pr_err!("init: rm did not power off ({e}); trying the kernel's debug shutdown");
    }
}

fn run(bi: &BootInfo, fs: Bootfs<'static>) -> Result<supervise::Ended, String> {
    let opts = options(bi.cmdline(), &fs);
    // init's own objects come from the smallest RAM untyped of 64 KiB or more.
    let own = bi
        .untypeds()
        .iter()
        .enumerate()
        .filter(|(_, u)| u.is_device == 0 && u.size_bits >= 16)
        .min_by_key(|(_, u)| u.size_bits)
        .map(|(i, _)| Untyped(bi.untyped.start + i as u64))
        .ok_or("no RAM untyped")?;
    let mut alloc = Allocator::new(CNode(slot::CNODE), bi.empty, own);
    // Before anything else uses IOPortControl or the device untyped.
    let power = power::discover(bi, &mut alloc);
    let err = |w: &str, e: rampart_abi::Error| alloc::format!("{w}: {e}");
    let ep = alloc.endpoint().map_err(|e| err("endpoint", e))?;
    let ntfn = alloc.notification().map_err(|e| err("notification", e))?;
    let reply = alloc.reply().map_err(|e| err("reply", e))?;
    Tcb(slot::TCB).bind_notification(ntfn).map_err(|e| err("bind notification", e))?;
    let rm_fault = alloc
        .mint(ep.0, Rights::ALL, supervise::FAULT | supervise::RM_INDEX)
        .map_err(|e| err("rm fault endpoint", e))?;
    let rm = buildrm::start_rm(bi, &fs, &mut alloc, Endpoint(rm_fault), ntfn, &power)
        .map_err(|e| alloc::format!("cannot start rm: {e:?}"))?;
    rampart_rt::rm::set_channel(rm.channel);
    let _ = rm.tcb;
    alloc.set_untyped(own);
    let core = security::start(&fs, &mut alloc, bi.cmdline(), ntfn.0).unwrap_or_else(|e| {
        rampart_rt::pr_err!("init: security core not started: {e}");
        None
    });
    // A login session (`init.first=login`, the runner's default) gets the
    // console and file servers; they take their device capabilities before
    // devmgr receives IRQControl and IOPortControl.
    if let Some(c) = &core
        && opts.first.as_ref().is_some_and(|(f, _)| f == "login")
    {
        session::start(c, &mut alloc, &fs, bi.cmdline());
    }
    if let Err(e) = devices::start(bi, &fs, &mut alloc, core.as_ref(), power.pci_config) {
        dprintln!("init: {e}");
    }
    let mut servers = supervise::start_servers(&fs, &mut alloc, ep, &opts.servers);
    if let Some(c) = &core {
        c.start_secure(&mut alloc, bi.cmdline(), &fs);
    }

    let Some((first, argv)) = opts.first else {
        rampart_rt::pr_err!("init: no first program; powering off");
        return Ok(supervise::Ended { code: 0, rm_alive: true, trusted_lost: false });
    };
    let req = Spawn {
        image: Some(Image::Bootfs(first.clone())),
        argv,
        container: session::container(),
        ..Default::default()
    };
    if let Some(c) = &core {
        audit::stage_planted(c);
    }
    let pid = match &core {
        Some(c) => c.spawn(&mut alloc, req, session::first_context(bi.cmdline(), &first))?,
        None => rampart_rt::rm::spawn(req).map_err(|e| alloc::format!("cannot start {first}: {e}"))?,
    };
    dprintln!("init: started {first} (pid {pid})");
    if let Some(c) = &core {
        c.report_sids(&alloc::format!("started {first}"));
        audit::start(c, &mut alloc, &fs, bi.cmdline());
    }
    let mut refill = || {
        if let Some(c) = &core {
            c.refill(&mut alloc);
        }
    };
    let trusted = core.as_ref().map_or(&[][..], |c| &c.trusted[..]);
    let end = supervise::run(ep, reply, &mut servers, (pid, trusted), &mut refill);
    if let Some(c) = &core {
        if end.trusted_lost {
            shutdown::linger(bi.tsc_hz, &mut alloc);
            return Ok(end);
        }
        c.report_sids("first program ended");
        if end.rm_alive {
            shutdown::audit_trail(c, bi.tsc_hz, &mut alloc);
            shutdown::file_server(c, &mut alloc);
        }
    }
    Ok(end)
}
