//! Driver tasks and the request loop: starting a driver with exactly its
//! grants, programming its interrupt, serving its requests (assignment,
//! capabilities, filtered configuration access) and brokering its client.

use crate::kernel::{CNODE, Kernel};
use crate::security::Security;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use rampart_abi::Rights;
use rampart_connsrv_api::ConnBadge;
use rampart_devmgr_api::{
    BarKind, Bdf, CONN, DRIVER, DRIVER_CHANNEL, DeviceEntry, DriverInfo, Grant, Handler, IrqKind, Request, Response,
    Shared, dispatch,
};
use rampart_devmgr_core::assign::{DriverSpec, Plan, serial_grants};
use rampart_devmgr_core::filter::{DriverView, FilterError};
use rampart_devmgr_core::msi::{msi_writes, msix_control, msix_entry_writes};
use rampart_devmgr_core::pci::{ConfigSpace, Function, command, reg};
use rampart_rm_api::{Image, Request as RmRequest, Response as RmResponse, Spawn};
use rampart_rt::cap::{CPtr, Notification, Reply};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::call_with_caps;
use rampart_rt::server::{Server, Service, Step};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// A driver task and what devmgr keeps for it.
pub struct Driver {
    /// What it is told.
    pub info: DriverInfo,
    /// Program.
    pub program: &'static str,
    /// The driver's domain (`DriverSpec::context`).
    pub context: &'static str,
    /// The device's context (`DriverSpec::device_context`; the target of
    /// `device claim`).
    pub device_context: &'static str,
    /// The context its program runs as (`DriverSpec::exec_context`).
    pub exec_context: &'static str,
    /// devmgr's slot of each grant.
    pub caps: Vec<CPtr>,
    /// Grants already handed out.
    pub taken: Vec<bool>,
    /// Its configuration view (PCI drivers).
    pub view: Option<DriverView>,
    /// Pid.
    pub pid: u32,
    /// Published region token and notification.
    pub region: Option<CPtr>,
    /// Published notification.
    pub notify: Option<CPtr>,
    /// The bound client's notification and connection badge.
    pub client: Option<(CPtr, u64)>,
    /// The SID of the driver's domain (`DriverSpec::context`; 0: unknown,
    /// every attachment refused).
    pub sid: u32,
}

impl Driver {
    /// The serial driver's record (grants made at start).
    pub fn serial(spec: DriverSpec) -> Driver {
        Driver {
            info: DriverInfo {
                name: String::new(),
                bdf: Bdf::default(),
                vendor: 0,
                device: 0,
                class: [7, 0, 2],
                bars: Vec::new(),
                grants: serial_grants(),
            },
            program: spec.program,
            context: spec.context,
            device_context: spec.device_context,
            exec_context: spec.exec_context,
            caps: Vec::new(),
            taken: Vec::new(),
            view: None,
            pid: 0,
            region: None,
            notify: None,
            client: None,
            sid: 0,
        }
    }
}

/// devmgr's state.
pub struct Devmgr {
    /// Kernel resources.
    pub k: Kernel,
    /// The drivers (index = badge low bits).
    pub drivers: Vec<Driver>,
    /// Policy checks (`None`: no security server, attachments refused).
    pub security: Option<Security>,
    recv: CPtr,
}

fn err<T>(what: &'static str) -> impl Fn(T) -> &'static str {
    move |_| what
}

impl Devmgr {
    /// devmgr over `k`.
    pub fn new(mut k: Kernel) -> Devmgr {
        let recv = k.slots.alloc(1).unwrap_or(0);
        let slots = k.slots.alloc(1).zip(k.slots.alloc(1)).ok_or(Errno::ENOSPC);
        let security = match slots.and_then(|(s, n)| Security::connect(s, n)) {
            Ok(s) => Some(s),
            Err(e) => {
                rampart_rt::pr_err!("devmgr: no security server ({e}): no device is claimed, no client attaches");
                None
            }
        };
        Devmgr { k, drivers: Vec::new(), security, recv }
    }

    /// Starts the driver of `spec` for function `f` with `plan`.
    ///
    /// # Errors
    /// A description of the step that failed.
    pub fn start_pci(&mut self, f: &Function, spec: &DriverSpec, plan: &Plan, name: &str) -> Result<u32, &'static str> {
        let mut cmd = command::MEMORY | command::BUS_MASTER;
        if spec.needs_io {
            cmd |= command::IO;
        }
        let cur = self.k.cfg.read(f.bdf, reg::COMMAND);
        self.k.cfg.write(f.bdf, reg::COMMAND, (cur & 0xffff) | u32::from(cmd));
        // Frames of every memory BAR, page by page.
        let mut pages: Vec<(u64, CPtr)> = Vec::new();
        for b in f.bars.iter().filter(|b| b.kind != BarKind::Io) {
            let base = b.addr & !0xfff;
            let bits = (b.size.max(4096).trailing_zeros()) as u8;
            let first = self.k.frames(base, bits)?;
            for i in 0..(1u64 << (bits - 12)) {
                pages.push((base + i * 4096, first + i));
            }
        }
        let mut d = Driver {
            info: DriverInfo {
                name: name.to_string(),
                bdf: f.bdf,
                vendor: f.vendor,
                device: f.device,
                class: f.class,
                bars: f.bars.clone(),
                grants: plan.grants.clone(),
            },
            program: spec.program,
            context: spec.context,
            device_context: spec.device_context,
            exec_context: spec.exec_context,
            caps: Vec::new(),
            taken: Vec::new(),
            view: Some(DriverView::new(f.bdf, &f.bars)),
            pid: 0,
            region: None,
            notify: None,
            client: None,
            sid: 0,
        };
        for g in &plan.grants {
            let s = match *g {
                Grant::Frame { paddr, .. } => pages.iter().find(|p| p.0 == paddr).map(|p| p.1).ok_or("frame")?,
                Grant::IoPort { first, last } => self.ioport(first, last)?,
                Grant::Irq(kind) => self.irq(f, kind, &pages)?,
            };
            d.caps.push(s);
        }
        self.start(d, name)
    }

    fn ioport(&mut self, first: u16, last: u16) -> Result<CPtr, &'static str> {
        let s = self.k.slots.alloc(1).ok_or("out of slots")?;
        self.k.ports.issue(first, last, CNODE, s, 64).map_err(err("issuing ports"))?;
        Ok(s)
    }

    /// Creates the interrupt handler of `kind` for `f` and programs the
    /// device (MSI-X table entry or MSI capability).
    fn irq(&mut self, f: &Function, kind: IrqKind, pages: &[(u64, CPtr)]) -> Result<CPtr, &'static str> {
        let s = self.k.slots.alloc(1).ok_or("out of slots")?;
        match kind {
            IrqKind::Ioapic { gsi, level, active_low } => {
                self.k
                    .irq
                    .get_ioapic(CNODE, s, 64, u64::from(gsi), level, active_low)
                    .map_err(err("IOAPIC handler"))?;
            }
            IrqKind::Msi => {
                let cap = f.caps.msi.ok_or("no MSI")?;
                let (addr, data) = self.k.irq.get_msi(CNODE, s, 64).map_err(err("MSI vector"))?;
                let header = self.k.cfg.read(f.bdf, cap.offset);
                for (o, v) in msi_writes(&cap, header, addr, data as u16) {
                    self.k.cfg.write(f.bdf, o, v);
                }
            }
            IrqKind::MsiX { entry } => {
                let cap = f.caps.msix.ok_or("no MSI-X")?;
                let (addr, data) = self.k.irq.get_msi(CNODE, s, 64).map_err(err("MSI vector"))?;
                let bar = f.bars.iter().find(|b| b.index == cap.table_bar).ok_or("MSI-X table BAR")?;
                let table = bar.addr + u64::from(cap.table_offset);
                let frame = pages.iter().find(|p| p.0 == table & !0xfff).map(|p| p.1).ok_or("MSI-X table page")?;
                let region = rampart_rt::rm::device_map(None, 1, 0, frame).map_err(err("mapping the MSI-X table"))?;
                let base = region.vaddr + (table & 0xfff);
                let header = self.k.cfg.read(f.bdf, cap.offset);
                let (masked, enabled) = msix_control(header);
                self.k.cfg.write(f.bdf, cap.offset, masked);
                for (off, v) in msix_entry_writes(&cap, entry, addr, data as u32).map_err(err("MSI-X entry"))? {
                    if (table & 0xfff) + off + 4 > 4096 {
                        return Err("MSI-X entry beyond the table page");
                    }
                    // SAFETY: `base + off` lies in the table page rm mapped
                    // uncached for devmgr (checked above); MMIO needs a
                    // volatile 32-bit store.
                    unsafe { core::ptr::write_volatile((base + off) as *mut u32, v) };
                }
                self.k.cfg.write(f.bdf, cap.offset, enabled);
            }
        }
        Ok(s)
    }

    /// Spawns driver `d` as `name` with a badged channel to devmgr and
    /// names it to rm as device-authorised.
    ///
    /// # Errors
    /// A description of the failure.
    pub fn start(&mut self, mut d: Driver, name: &str) -> Result<u32, &'static str> {
        if d.view.is_none() && d.caps.is_empty() {
            for g in d.info.grants.clone() {
                let s = match g {
                    Grant::IoPort { first, last } => self.ioport(first, last)?,
                    Grant::Irq(IrqKind::Ioapic { gsi, level, active_low }) => {
                        let s = self.k.slots.alloc(1).ok_or("out of slots")?;
                        self.k
                            .irq
                            .get_ioapic(CNODE, s, 64, u64::from(gsi), level, active_low)
                            .map_err(err("IOAPIC"))?;
                        s
                    }
                    _ => return Err("unsupported grant"),
                };
                d.caps.push(s);
            }
        }
        d.info.name = name.to_string();
        // `device claim`, by devmgr and the driver's domain, before the
        // driver exists (fail closed without a security server).
        let sec = self.security.as_mut().ok_or("no security server to decide the claim")?;
        d.sid = sec.sid(d.context).map_err(err("the driver's context"))?;
        let device = sec.sid(d.device_context).map_err(err("the device's context"))?;
        sec.may_claim(d.sid, device, name).map_err(err("device claim denied by the policy"))?;
        d.taken = alloc::vec![false; d.caps.len()];
        let index = self.drivers.len() as u64;
        let chan = self.k.slots.alloc(1).ok_or("out of slots")?;
        let rights = Rights(Rights::WRITE.0 | Rights::GRANT.0 | Rights::GRANT_REPLY.0);
        CNODE.mint(chan, 64, CNODE.path(self.k.ep.0, 64), rights, DRIVER | index).map_err(err("minting a channel"))?;
        let req = Spawn {
            image: Some(Image::Bootfs(d.program.into())),
            argv: alloc::vec![d.program.into(), name.into()],
            cap_name: Some(DRIVER_CHANNEL.into()),
            priority: Some(150),
            // The driver runs in its own domain (the policy's transition
            // from devmgr_t on this exec type), not in devmgr's.
            exec_context: Some(d.exec_context.into()),
            ..Default::default()
        };
        let pid = match call_with_caps::<_, RmResponse>(rampart_rt::rm::channel(), &RmRequest::Spawn(req), &[chan]) {
            Ok((RmResponse::Spawned { pid }, _)) => pid,
            Ok((RmResponse::Err(Errno::ENOENT), _)) => return Err("no such boot module"),
            _ => return Err("spawning the driver"),
        };
        rampart_rt::rm::device_grant(pid).map_err(err("DeviceGrant"))?;
        d.pid = pid;
        self.drivers.push(d);
        Ok(pid)
    }

    /// Serves drivers and clients forever (`rampart_rt::server`'s
    /// skeleton; the requests are [`Handler`] methods below).
    pub fn run(mut self) -> ! {
        let mut server = Server::new(self.k.ep, Reply(slot::REPLY));
        server.set_receive_slot(CNODE, self.recv);
        server.serve(&mut self)
    }

    fn keep_received(&mut self, server: &mut Server) -> Result<CPtr, Errno> {
        if !server.received_cap() {
            return Err(Errno::EINVAL);
        }
        let s = self.k.slots.alloc(1).ok_or(Errno::ENOMEM)?;
        CNODE.move_(s, 64, CNODE.path(self.recv, 64)).map_err(|_| Errno::EIO)?;
        server.take_cap();
        Ok(s)
    }

    /// The driver index of a driver's channel badge (bit 63 clear,
    /// [`DRIVER`] set, a known index).
    ///
    /// # Errors
    /// `EPERM`: not a driver's channel.
    fn driver_of(&self, badge: u64) -> Result<usize, Errno> {
        let i = (badge & 0xffff) as usize;
        if badge & CONN == 0 && badge & DRIVER != 0 && i < self.drivers.len() { Ok(i) } else { Err(Errno::EPERM) }
    }

    /// Requests anyone connected may send: a connection from connsrv or a
    /// driver.
    ///
    /// # Errors
    /// `EPERM`: neither.
    fn connected(&self, badge: u64) -> Result<(), Errno> {
        if badge & CONN != 0 { Ok(()) } else { self.driver_of(badge).map(|_| ()) }
    }
}

/// One request's context: the server (for a received capability), the
/// sender's badge and the capability to send with the reply.
pub struct Cx<'a> {
    server: &'a mut Server,
    badge: u64,
    cap: Option<CPtr>,
}

impl Service for Devmgr {
    type Request = Request;
    type Response = Response;

    fn error(&mut self, e: Errno) -> Response {
        Response::Err(e)
    }

    fn request(&mut self, server: &mut Server, badge: u64, req: Request) -> Step<Response> {
        let mut cx = Cx { server, badge, cap: None };
        let resp = dispatch(self, &mut cx, req);
        match (cx.cap, &resp) {
            (Some(c), Response::Ok) => Step::ReplyCap(resp, c),
            _ => Step::Reply(resp),
        }
    }

    /// Channels carry [`CONN`] or [`DRIVER`]; the notification neither.
    fn is_signal(&self, badge: u64) -> bool {
        badge & (CONN | DRIVER) == 0
    }

    /// The bound notification: secsrv says the policy changed.
    fn notified(&mut self, _: &mut Server, badge: u64) {
        if badge & rampart_secsrv_api::EVENT_POLICY != 0 {
            self.policy_changed();
        }
    }
}

impl Handler<Cx<'_>> for Devmgr {
    fn info(&mut self, cx: &mut Cx<'_>) -> Result<DriverInfo, Errno> {
        let i = self.driver_of(cx.badge)?;
        Ok(self.drivers[i].info.clone())
    }

    fn get_cap(&mut self, cx: &mut Cx<'_>, index: u32) -> Result<(), Errno> {
        let i = self.driver_of(cx.badge)?;
        let d = &mut self.drivers[i];
        let k = index as usize;
        if k >= d.caps.len() {
            return Err(Errno::EINVAL);
        }
        if d.taken[k] {
            return Err(Errno::EBUSY);
        }
        d.taken[k] = true;
        cx.cap = Some(d.caps[k]);
        Ok(())
    }

    fn config_read(&mut self, cx: &mut Cx<'_>, offset: u16) -> Result<u32, Errno> {
        let i = self.driver_of(cx.badge)?;
        let v = self.drivers[i].view.as_mut().ok_or(Errno::EINVAL)?;
        v.read(&mut self.k.cfg, offset).map_err(filter_errno)
    }

    fn config_write(&mut self, cx: &mut Cx<'_>, offset: u16, value: u32) -> Result<(), Errno> {
        let i = self.driver_of(cx.badge)?;
        let v = self.drivers[i].view.as_mut().ok_or(Errno::EINVAL)?;
        v.write(&mut self.k.cfg, offset, value).map_err(filter_errno)
    }

    fn publish(&mut self, cx: &mut Cx<'_>, what: Shared) -> Result<(), Errno> {
        let i = self.driver_of(cx.badge)?;
        let s = self.keep_received(cx.server)?;
        let d = &mut self.drivers[i];
        match what {
            Shared::Region => d.region = Some(s),
            Shared::Notify => d.notify = Some(s),
        }
        Ok(())
    }

    fn take_client(&mut self, cx: &mut Cx<'_>) -> Result<(), Errno> {
        let i = self.driver_of(cx.badge)?;
        let (c, _) = self.drivers[i].client.ok_or(Errno::EAGAIN)?;
        cx.cap = Some(c);
        Ok(())
    }

    fn list(&mut self, cx: &mut Cx<'_>) -> Result<Vec<DeviceEntry>, Errno> {
        self.connected(cx.badge)?;
        Ok(self
            .drivers
            .iter()
            .map(|d| DeviceEntry {
                name: d.info.name.clone(),
                driver: d.program.into(),
                bdf: d.info.bdf,
                pid: d.pid,
                ready: d.region.is_some() && d.notify.is_some(),
                bound: d.client.is_some(),
            })
            .collect())
    }

    fn open(&mut self, cx: &mut Cx<'_>, name: String, what: Shared) -> Result<(), Errno> {
        self.connected(cx.badge)?;
        let i = self.drivers.iter().position(|d| d.info.name == name).ok_or(Errno::ENOENT)?;
        self.may_attach(cx.badge, i)?;
        let d = &self.drivers[i];
        if d.client.is_some_and(|c| c.1 != cx.badge) {
            return Err(Errno::EBUSY);
        }
        let cap = match what {
            Shared::Region => d.region,
            Shared::Notify => d.notify,
        };
        cx.cap = Some(cap.ok_or(Errno::EAGAIN)?);
        Ok(())
    }

    fn bind(&mut self, cx: &mut Cx<'_>, name: String) -> Result<(), Errno> {
        self.connected(cx.badge)?;
        let i = self.drivers.iter().position(|d| d.info.name == name).ok_or(Errno::ENOENT)?;
        self.may_attach(cx.badge, i)?;
        if self.drivers[i].client.is_some() {
            return Err(Errno::EBUSY);
        }
        let notify = self.drivers[i].notify.ok_or(Errno::EAGAIN)?;
        let s = self.keep_received(cx.server)?;
        self.drivers[i].client = Some((s, cx.badge));
        Notification(notify).signal();
        dprintln!("devmgr: {name}: client bound");
        Ok(())
    }
}

impl Devmgr {
    /// After a policy change: every bound client is checked again; one
    /// that lost `service connect` to its driver is detached and the
    /// capabilities devmgr handed it (the driver's region token and
    /// notification) are revoked.
    fn policy_changed(&mut self) {
        let Some(sec) = self.security.as_mut() else { return };
        if let Err(e) = sec.refresh() {
            rampart_rt::pr_err!("devmgr: cannot refresh after a policy change: {e}");
            return;
        }
        for i in 0..self.drivers.len() {
            let Some((ntfn, badge)) = self.drivers[i].client else { continue };
            if self.may_attach(badge, i).is_ok() {
                continue;
            }
            let d = &mut self.drivers[i];
            rampart_rt::pr_notice!("devmgr: {}: client detached: the policy no longer allows it", d.info.name);
            for c in [d.region, d.notify].into_iter().flatten() {
                let _ = CNODE.revoke(c, 64);
            }
            let _ = CNODE.delete(ntfn, 64);
            d.client = None;
        }
    }

    /// The policy check of `Open` and `Bind`: `service connect` from the
    /// connection's SID to driver `i`'s domain.
    fn may_attach(&mut self, badge: u64, i: usize) -> Result<(), Errno> {
        let client = ConnBadge::decode(badge).ok_or(Errno::EPERM)?.sid;
        let d = &self.drivers[i];
        let sec = self.security.as_mut().ok_or(Errno::EACCES)?;
        if d.sid == 0 {
            return Err(Errno::EACCES);
        }
        sec.may_attach(client, d.sid, &d.info.name)
    }
}

fn filter_errno(e: FilterError) -> Errno {
    match e {
        FilterError::BadOffset => Errno::EINVAL,
        FilterError::Denied => Errno::EPERM,
    }
}
