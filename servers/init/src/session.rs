//! The user-facing part of the boot (docs/userland.md §1): the console,
//! file and network servers with the device capabilities they drive, the
//! system logger, and the login session's context.
//!
//! They reach their devices through the device manager, which init starts
//! after them: the console the 16550 driver's rings (`serial0`, so devmgr
//! starts the serial driver for a login session), the file server the
//! virtio-blk disk `blk0`, the network server the virtio-net NIC `net0`
//! (docs/network.md). The console and the network server get reply
//! objects for deferring blocked reads and socket calls, staged with rm (`StageCap`) so it finds them by name in
//! its startup information.

use alloc::string::{String, ToString};
use rampart_abi::bootfs::Bootfs;
use rampart_rm_api::{Image, Request as RmRequest, Response as RmResponse, Spawn, Staged};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::CPtr;
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::call_with_caps;

/// The console server's context.
pub const CONSOLE_CONTEXT: &str = "system_u:system_r:console_t";
/// The file server's context.
pub const FS_CONTEXT: &str = "system_u:system_r:fs_t";
/// The system logger's context (`userland/syslogd`).
pub const SYSLOGD_CONTEXT: &str = "system_u:system_r:syslogd_t";
/// The audit daemon's context (`userland/auditd`).
pub const AUDITD_CONTEXT: &str = "system_u:system_r:auditd_t";
/// The network server's context.
pub const NET_CONTEXT: &str = "system_u:system_r:net_t";
/// Reply objects the network server keeps callers of held (blocking)
/// socket requests in.
pub const NET_REPLIES: usize = 20;
/// The login session's default context (`init.context=` overrides it,
/// e.g. `root:sysadm_r:sysadm_t` for an administrator).
pub const USER_CONTEXT: &str = "user_u:user_r:user_t";

/// Sends rm `req` carrying the capability in `cap`.
///
/// # Errors
/// rm's refusal, as a message.
pub fn rm_call(req: &RmRequest, cap: CPtr) -> Result<(), String> {
    match call_with_caps::<_, RmResponse>(rampart_rt::rm::channel(), req, &[cap]) {
        Ok((RmResponse::Ok, _)) => Ok(()),
        Ok((RmResponse::Err(e), _)) => Err(alloc::format!("rm refused {req:?}: {e}")),
        Ok(_) => Err(alloc::format!("rm: unexpected reply to {req:?}")),
        Err(e) => Err(alloc::format!("rm: {req:?}: {}", e.errno())),
    }
}

fn stage(name: &str, cap: CPtr) -> Result<(), String> {
    rm_call(&RmRequest::StageCap(Staged { fd: None, name: name.into() }), cap)
}

fn server(core: &crate::security::Core, alloc: &mut Allocator, name: &str, context: &str) -> Result<(), String> {
    server_with(core, alloc, alloc::vec![name.to_string()], context, Some(200))
}

/// Starts boot module `argv[0]` with `argv` in `context` at `priority`
/// (`None`: rm's default for programs).
fn server_with(
    core: &crate::security::Core,
    alloc: &mut Allocator,
    argv: alloc::vec::Vec<String>,
    context: &str,
    priority: Option<u8>,
) -> Result<(), String> {
    let name = argv[0].clone();
    let req = Spawn {
        image: Some(Image::Bootfs(name.clone())),
        argv,
        priority,
        context: Some(context.into()),
        ..Default::default()
    };
    let pid = core.spawn(alloc, req, context)?;
    dprintln!("init: started server {name} (pid {pid}) as {context}");
    Ok(())
}

fn console(core: &crate::security::Core, alloc: &mut Allocator) -> Result<(), String> {
    // Reply objects for deferring blocked reads (only rm and init can make
    // kernel objects).
    for i in 0..12 {
        let r = alloc.reply().map_err(|e| alloc::format!("reply object: {e}"))?;
        stage(&alloc::format!("reply{i}"), r.0)?;
    }
    server(core, alloc, "console", CONSOLE_CONTEXT)
}

fn net(core: &crate::security::Core, alloc: &mut Allocator) -> Result<(), String> {
    for i in 0..NET_REPLIES {
        let r = alloc.reply().map_err(|e| alloc::format!("reply object: {e}"))?;
        stage(&alloc::format!("reply{i}"), r.0)?;
    }
    server(core, alloc, "net", NET_CONTEXT)
}

/// Starts the console, file and network servers, the system logger and
/// the audit daemon if their boot modules exist (failures are logged; the
/// system goes on without them). The audit daemon gets the `auditd.*`
/// words of `cmdline` as arguments, without the prefix
/// (`auditd.max_log_file=BYTES`, `auditd.num_logs=N`).
pub fn start(core: &crate::security::Core, alloc: &mut Allocator, fs: &Bootfs, cmdline: &str) {
    if fs.find("console").is_some()
        && let Err(e) = console(core, alloc)
    {
        rampart_rt::pr_err!("init: console server: {e}");
    }
    if fs.find("fs").is_some()
        && let Err(e) = server(core, alloc, "fs", FS_CONTEXT)
    {
        rampart_rt::pr_err!("init: file server: {e}");
    }
    // The system logger copies the kernel log to /var/log/messages once
    // the file server serves the root.
    if fs.find("fs").is_some()
        && fs.find("syslogd").is_some()
        && let Err(e) = server(core, alloc, "syslogd", SYSLOGD_CONTEXT)
    {
        rampart_rt::pr_err!("init: system logger: {e}");
    }
    // The audit daemon copies the security server's audit trail to
    // /var/log/audit/audit.log. It runs at the programs' priority, not the
    // servers': a program flooding the trail with denials runs its time
    // slice before the daemon drains, so identical repeats coalesce in
    // secsrv instead of costing one log write each.
    if fs.find("fs").is_some() && fs.find("auditd").is_some() {
        let mut argv = alloc::vec![String::from("auditd")];
        argv.extend(cmdline.split_whitespace().filter_map(|w| w.strip_prefix("auditd.")).map(String::from));
        if let Err(e) = server_with(core, alloc, argv, AUDITD_CONTEXT, None) {
            rampart_rt::pr_err!("init: audit daemon: {e}");
        }
    }
    if fs.find("net").is_some()
        && let Err(e) = net(core, alloc)
    {
        rampart_rt::pr_err!("init: network server: {e}");
    }
}

/// The first program's context: `init.context=` if given, the user's for
/// `login`, else the security core's default.
pub fn first_context<'a>(cmdline: &'a str, first: &str) -> &'a str {
    match cmdline.split_whitespace().rev().find_map(|w| w.strip_prefix("init.context=")) {
        Some(c) => c,
        None if first == "login" => USER_CONTEXT,
        None => crate::security::Core::first_context(cmdline),
    }
}

/// Memory the login session cannot take from the system's servers and
/// daemons, in bytes (docs/reliability.md, "Resource isolation").
pub const SYSTEM_RESERVE: u64 = 64 << 20;

/// A resource container for the first program and everything it starts
/// (rm charges children to their parent's container): the memory init's
/// container has available minus [`SYSTEM_RESERVE`]. A user's process or
/// memory bomb is then refused (`EDQUOT`) while the file, network and
/// console servers — in init's container — still grow their heaps. `None`
/// (the first program then shares init's container, as before) when rm
/// refuses or less than the reserve is available; the reason is logged.
pub fn container() -> Option<rampart_rm_api::ContainerId> {
    let st = match rampart_rt::rm::container_info(None) {
        Ok(st) => st,
        Err(e) => {
            rampart_rt::pr_warn!("init: no container for the session (rm: {e})");
            return None;
        }
    };
    let available = st.quota.saturating_sub(st.used + st.reserved);
    let Some(quota) = available.checked_sub(SYSTEM_RESERVE).filter(|&q| q > 0) else {
        rampart_rt::pr_warn!("init: {} KiB available, no room for a session container", available >> 10);
        return None;
    };
    match rampart_rt::rm::container_create(quota) {
        Ok(id) => {
            dprintln!(
                "init: session container {id}: {} KiB ({} KiB kept for the system)",
                quota >> 10,
                SYSTEM_RESERVE >> 10
            );
            Some(id)
        }
        Err(e) => {
            rampart_rt::pr_warn!("init: no container for the session (rm: {e})");
            None
        }
    }
}
