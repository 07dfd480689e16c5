//! The capability-graph audit (docs/assurance.md §8).
//!
//! `init.audit=NAME` starts the auditor `capaudit` after the first program:
//! in the administrator's domain (the policy reserves `security
//! dump_capgraph` for `sysadm_t`; the auditor checks it is granted before
//! dumping), at priority 1 so that it runs only when every other thread is
//! blocked, with a copy of the kernel's `Audit` capability and one frame
//! for the dump. It audits once a task named `NAME` runs.
//!
//! `init.audit.plant=1` is the auditor's negative test: init gives the
//! first program a send capability to the security server's endpoint (a
//! channel the default policy does not allow a user), which the auditor
//! must report as a violation.

use crate::security::Core;
use crate::session::rm_call;
use alloc::string::ToString;
use rampart_abi::bootfs::Bootfs;
use rampart_abi::bootinfo::slot;
use rampart_rm_api::{Image, Request as RmRequest, Spawn, Staged};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::{CNode, Tcb};
use rampart_rt::dprintln;

/// The auditor's context.
pub const AUDITOR_CONTEXT: &str = "root:sysadm_r:sysadm_t";
/// The auditor's priority (below every other task).
pub const AUDITOR_PRIORITY: u8 = 1;
/// Badge of the planted channel (one secsrv never issued: its requests
/// fail with `EBADF`; the capability itself is the extra authority).
pub const PLANT_BADGE: u64 = 0x0bad;

fn option<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    cmdline.split_whitespace().rev().find_map(|w| w.strip_prefix(key))
}

/// Whether the command line asks for the planted channel.
pub fn plant_requested(cmdline: &str) -> bool {
    option(cmdline, "init.audit.plant=") == Some("1")
}

/// Stages the planted channel (made by `security::start`) for the next
/// spawn, the first program's.
pub fn stage_planted(core: &Core) {
    let Some(cap) = core.planted else { return };
    let r = rm_call(&RmRequest::StageCap(Staged { fd: None, name: "planted".into() }), cap);
    match r {
        Ok(()) => dprintln!("init: audit test: the first program gets a channel to the security server"),
        Err(e) => dprintln!("init: audit test: {e}"),
    }
    let _ = CNode(slot::CNODE).delete(cap, 64);
}

/// Starts the auditor if `init.audit=NAME` is given and its boot module
/// exists (failures are logged).
pub fn start(core: &Core, alloc: &mut Allocator, fs: &Bootfs, cmdline: &str) {
    let Some(wait_for) = option(cmdline, "init.audit=") else { return };
    if fs.find("capaudit").is_none() {
        rampart_rt::pr_err!("init: init.audit given but no capaudit boot module");
        return;
    }
    let r = (|| -> Result<_, alloc::string::String> {
        let me = Tcb(slot::TCB).get_id().map_err(|e| alloc::format!("own thread id: {e}"))?;
        let frame = alloc.frame().map_err(|e| alloc::format!("dump frame: {e}"))?;
        let staged = |name: &str| RmRequest::StageCap(Staged { fd: None, name: name.into() });
        rm_call(&staged("audit"), slot::AUDIT)?;
        rm_call(&staged("audit-frame"), frame.0)?;
        // The staged copy is the auditor's; init needs no access to it.
        let _ = CNode(slot::CNODE).delete(frame.0, 64);
        let req = Spawn {
            image: Some(Image::Bootfs("capaudit".into())),
            argv: alloc::vec!["capaudit".to_string(), wait_for.to_string(), me.to_string()],
            priority: Some(AUDITOR_PRIORITY),
            ..Default::default()
        };
        let pid = core.spawn(alloc, req, AUDITOR_CONTEXT)?;
        // The auditor maps the dump frame through rm's device path; its
        // domain (the administrator's) has no `resource map_device`, so
        // init grants it this one task's device authority explicitly.
        rampart_rt::rm::device_grant(pid).map_err(|e| alloc::format!("device authority for the auditor: {e}"))?;
        Ok(pid)
    })();
    match r {
        Ok(pid) => dprintln!("init: started capaudit (pid {pid}) as {AUDITOR_CONTEXT}, auditing once {wait_for} runs"),
        Err(e) => rampart_rt::pr_err!("init: auditor not started: {e}"),
    }
}
