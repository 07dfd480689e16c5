//! Starting the device manager (docs/userland.md §1 step 4,
//! docs/devices.md): init moves the device untyped memory, IRQControl and
//! IOPortControl (and the PCI configuration ports, which init issued
//! because the reset register lies among them: `crate::power`) into one
//! CNode, adds devmgr's endpoint and a read-only
//! copy of the boot-information frame, and starts devmgr with that CNode
//! as its only capability. With the security core running, devmgr's
//! endpoint is registered with connsrv as the core service `devmgr`, so
//! clients reach it only through connsrv.

use alloc::string::String;
use rampart_abi::Rights;
use rampart_abi::bootfs::Bootfs;
use rampart_abi::bootinfo::{BootInfo, slot};
use rampart_devmgr_api::boot as dslot;
use rampart_rm_api::{Image, Pid, Request as RmRequest, Response as RmResponse, Spawn};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::CNode;
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::call_with_caps;

/// devmgr's security context.
pub const DEVMGR_CONTEXT: &str = "system_u:system_r:devmgr_t";

/// Starts devmgr if its boot module exists; returns its pid.
/// `pci_config` is init's capability for the PCI configuration ports
/// (`crate::power`), moved to devmgr.
///
/// # Errors
/// A message if a step fails.
pub fn start(
    bi: &BootInfo,
    fs: &Bootfs,
    alloc: &mut Allocator,
    core: Option<&crate::security::Core>,
    pci_config: Option<rampart_rt::cap::CPtr>,
) -> Result<Option<Pid>, String> {
    if fs.find("devmgr").is_none() {
        return Ok(None);
    }
    let e = |w: &str, x: rampart_abi::Error| alloc::format!("devmgr {w}: {x}");
    let caps = alloc.cnode_object(u64::from(dslot::RADIX)).map_err(|x| e("CNode", x))?;
    let root = CNode(slot::CNODE);
    let r = u64::from(dslot::RADIX);
    caps.move_(dslot::IRQ_CONTROL, r, root.path(slot::IRQ_CONTROL, 64)).map_err(|x| e("IRQControl", x))?;
    caps.move_(dslot::IO_PORT_CONTROL, r, root.path(slot::IO_PORT_CONTROL, 64)).map_err(|x| e("IOPortControl", x))?;
    if let Some(p) = pci_config {
        caps.move_(dslot::PCI_CONFIG, r, root.path(p, 64)).map_err(|x| e("PCI configuration ports", x))?;
    }
    let ep = alloc.endpoint().map_err(|x| e("endpoint", x))?;
    caps.copy(dslot::ENDPOINT, r, root.path(ep.0, 64), Rights::ALL).map_err(|x| e("endpoint copy", x))?;
    caps.copy(dslot::BOOTINFO, r, root.path(slot::BOOTINFO_FRAME, 64), Rights::READ).map_err(|x| e("bootinfo", x))?;
    let mut n = 0;
    for (i, u) in bi.untypeds().iter().enumerate() {
        let dst = dslot::UNTYPED_FIRST + i as u64;
        if u.is_device == 1 && dst < (1 << dslot::RADIX) {
            caps.move_(dst, r, root.path(bi.untyped.start + i as u64, 64)).map_err(|x| e("untyped", x))?;
            n += 1;
        }
    }
    let req = Spawn {
        image: Some(Image::Bootfs("devmgr".into())),
        // The serial driver: asked for, or the console's line in a login
        // session (servers/init/src/session.rs).
        argv: if bi.cmdline().split(' ').any(|w| w == "devmgr.serial" || w.starts_with("init.first=login")) {
            alloc::vec!["devmgr".into(), "serial".into()]
        } else {
            alloc::vec!["devmgr".into()]
        },
        cap_name: Some(dslot::CAPS.into()),
        priority: Some(200),
        // In its own domain (an object manager: it checks attachments
        // through an AVC), not init's.
        context: core.is_some().then(|| DEVMGR_CONTEXT.into()),
        ..Default::default()
    };
    let pid = match call_with_caps::<_, RmResponse>(rampart_rt::rm::channel(), &RmRequest::Spawn(req), &[caps.0]) {
        Ok((RmResponse::Spawned { pid }, _)) => pid,
        Ok((RmResponse::Err(x), _)) => return Err(alloc::format!("cannot start devmgr: {x}")),
        Ok(_) => return Err("cannot start devmgr: unexpected reply".into()),
        Err(x) => return Err(alloc::format!("cannot start devmgr: {}", x.errno())),
    };
    dprintln!("init: started devmgr (pid {pid}) with {n} device untyped");
    if let Some(c) = core {
        // A send capability: connsrv mints connections from it and never
        // receives on devmgr's endpoint.
        let send = Rights(Rights::WRITE.0 | Rights::GRANT.0 | Rights::GRANT_REPLY.0);
        let give = alloc.copy(ep.0, send).map_err(|x| e("endpoint copy", x))?;
        let reg = rampart_connsrv_api::Request::RegisterCore {
            name: rampart_devmgr_api::SERVICE.into(),
            context: DEVMGR_CONTEXT.into(),
        };
        c.connsrv.call_giving(&reg, give).map_err(|x| alloc::format!("registering devmgr: {x}"))?;
        crate::security::forget(give);
    }
    crate::security::forget(ep.0);
    Ok(Some(pid))
}
