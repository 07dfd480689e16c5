//! The service: `rampart-gui-api` requests, the policy checks, the
//! clients' window buffers, and the notifications (input, policy changes,
//! closed connections).

use crate::devices::{BADGE_GPU, BADGE_INPUT, Devices};
use alloc::collections::BTreeMap;
use alloc::string::String;
use rampart_connsrv_api::ConnBadge;
use rampart_connsrv_api::rt::Channel;
use rampart_gui_api::{Errno, Handler, Request, Response, dispatch};
use rampart_gui_core::draw::{PALETTE, Rect, UNLABELLED};
use rampart_gui_core::{Buffers, Desktop};
use rampart_objmgr::{Class, ObjectManager, SecurityServer, Vocabulary};
use rampart_rt::cap::CPtr;
use rampart_rt::dprintln;
use rampart_rt::rm::Region;
use rampart_rt::server::{Server, Service, Step};
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;

rampart_objmgr::permissions! {
    /// Class `window`.
    enum WindowPerm { Create = "create", Fullscreen = "fullscreen", Read = "read" }
}

/// The server's vocabulary.
pub struct Vocab {
    window: Option<Class<WindowPerm>>,
}

impl Vocabulary for Vocab {
    fn resolve<S: SecurityServer + ?Sized>(sec: &mut S) -> Self {
        Vocab { window: Class::resolve(sec, "window") }
    }
}

fn want(p: WindowPerm) -> impl Fn(&Vocab) -> Option<(u16, u32)> {
    move |v: &Vocab| v.window.as_ref()?.want(&[p])
}

/// The clients' buffers, by window id.
struct Maps(BTreeMap<u32, (Region, u32)>);

impl Buffers for Maps {
    fn row(&self, id: u32, y: u32, x: u32, out: &mut [u32]) {
        let Some((r, width)) = self.0.get(&id) else {
            out.fill(0);
            return;
        };
        let at = (u64::from(y) * u64::from(*width) + u64::from(x)) * 4;
        if at + out.len() as u64 * 4 > r.bytes {
            out.fill(0);
            return;
        }
        // SAFETY: the bytes lie inside the client's region, mapped in this
        // task until `region_free` (checked just above; `create` checked
        // the window fits the region). The client may write them
        // meanwhile: that only changes what its own window shows.
        unsafe { core::ptr::copy_nonoverlapping((r.vaddr + at) as *const u32, out.as_mut_ptr(), out.len()) };
    }
}

/// The server's state.
pub struct Gui {
    om: ObjectManager<Client<Ipc>, Vocab, 16, 2>,
    audit: Ipc,
    ch: Channel,
    devs: Devices,
    desk: Desktop,
    maps: Maps,
    /// The slot capabilities arrive in.
    pub recv: CPtr,
    /// The slot a new window's region token is made in (handed over with
    /// the reply).
    pub token: CPtr,
    trusted_shown: bool,
    /// Clients' pids for the audit trail (connsrv's `WhoIs`, asked at a
    /// client's first audited decision), by connection badge.
    pids: BTreeMap<u64, u32>,
    /// When the last key event for a focused window was taken (TSC).
    key_tsc: Option<u64>,
}

impl Gui {
    /// The server over secsrv connection `sec`, connsrv channel `ch` and
    /// the attached devices.
    ///
    /// # Errors
    /// secsrv's.
    pub fn new(sec: Ipc, ch: Channel, devs: Devices) -> Result<Gui, Errno> {
        let mut om = ObjectManager::new(Client(sec));
        om.refresh()?;
        let desk = Desktop::new(devs.width(), devs.height());
        Ok(Gui {
            om,
            audit: sec,
            ch,
            devs,
            desk,
            maps: Maps(BTreeMap::new()),
            recv: 0,
            token: 0,
            trusted_shown: false,
            pids: BTreeMap::new(),
            key_tsc: None,
        })
    }

    fn show(&mut self, r: Rect) {
        if r.is_empty() {
            return;
        }
        self.desk.compose(&r, &self.maps);
        self.devs.flush(&self.desk.pixels, r.x, r.y, r.right(), r.bottom());
    }

    /// Composes and shows the whole screen.
    pub fn redraw_all(&mut self) {
        let s = self.desk.screen();
        self.show(s);
    }

    /// The label colour the policy gives `sid`: the first `window_colour`
    /// permission it holds on itself.
    fn colour(&mut self, sid: u32) -> u32 {
        let sec = &mut self.om.sec;
        let Some(class) = SecurityServer::class_id(sec, "window_colour") else { return UNLABELLED };
        let Ok(d) = SecurityServer::compute_av(sec, sid, sid, class) else { return UNLABELLED };
        for (name, rgb) in PALETTE {
            if let Some(bit) = SecurityServer::perm_bit(sec, class, name)
                && d.allowed & bit != 0
            {
                return rgb;
            }
        }
        UNLABELLED
    }

    /// Checks `p` for the client behind `badge` (its records name its pid).
    fn check(&mut self, badge: u64, ssid: u32, tsid: u32, p: WindowPerm, what: &str) -> Result<(), Errno> {
        self.om.set_subject(badge);
        let r = self.om.check(ssid, tsid, want(p), what);
        self.report_audit();
        r
    }

    /// The pid of the client behind connection badge `badge` (0 if connsrv
    /// cannot say), asked once per connection.
    fn pid_of(&mut self, badge: u64) -> u32 {
        if let Some(&p) = self.pids.get(&badge) {
            return p;
        }
        let p = rampart_connsrv_api::client::who_is(&mut self.ch, badge).map_or(0, |p| p.pid);
        self.pids.insert(badge, p);
        p
    }

    fn report_audit(&mut self) {
        for e in self.om.take_audit() {
            let rec = e.record;
            let pid = self.pid_of(e.subject);
            let sub = rampart_secsrv_api::AuditSubmit {
                ssid: rec.ssid,
                tsid: rec.tsid,
                class: rec.class,
                perms: rec.perms,
                denied: rec.denied,
                enforced: rec.enforced,
                seqno: rec.seqno,
                object: e.object.clone(),
                pid,
            };
            // The console copy, in the audit trail's format (as the other
            // object managers print theirs).
            let ctx = |sec: &mut Client<Ipc>, sid: u32| {
                sec.sid_to_context(sid).unwrap_or_else(|_| alloc::format!("sid{sid}"))
            };
            let (scon, tcon) = (ctx(&mut self.om.sec, rec.ssid), ctx(&mut self.om.sec, rec.tsid));
            let names: alloc::vec::Vec<&str> =
                self.om.vocab().window.as_ref().map(|c| c.names(rec.perms).collect()).unwrap_or_default();
            dprintln!("gui: {} pid={pid}", rampart_objmgr::audit_line(&e, &scon, &tcon, "window", &names));
            let _ = Client(self.audit).audit(sub);
        }
    }

    fn closed(&mut self) {
        let mut gone = alloc::vec::Vec::new();
        let _ = rampart_connsrv_api::client::drain_closed(&mut self.ch, |c| gone.push(c));
        let mut any = false;
        for c in gone {
            self.pids.retain(|b, _| ConnBadge::decode(*b).is_none_or(|x| x.conn != c));
            let owners: alloc::vec::Vec<u64> = self
                .desk
                .windows()
                .iter()
                .map(|w| w.owner)
                .filter(|o| ConnBadge::decode(*o).is_some_and(|b| b.conn == c))
                .collect();
            for o in owners {
                for id in self.desk.drop_owner(o) {
                    self.unmap(id);
                    any = true;
                }
            }
        }
        if any {
            self.redraw_all();
        }
    }

    fn unmap(&mut self, id: u32) {
        if let Some((r, _)) = self.maps.0.remove(&id) {
            let _ = rampart_rt::rm::region_free(r.id);
        }
    }
}

/// One request's context: the caller's badge and SID.
pub struct Cx<'a> {
    server: &'a mut Server,
    badge: u64,
    sid: u32,
    /// A capability to hand over with the reply.
    cap: Option<CPtr>,
}

impl Service for Gui {
    type Request = Request;
    type Response = Response;

    fn error(&mut self, e: Errno) -> Response {
        Response::Err(e)
    }

    fn request(&mut self, server: &mut Server, badge: u64, req: Request) -> Step<Response> {
        let Some(b) = ConnBadge::decode(badge) else { return Step::Reply(Response::Err(Errno::EBADF)) };
        let mut cx = Cx { server, badge, sid: b.sid, cap: None };
        let resp = dispatch(self, &mut cx, req);
        match (cx.cap, &resp) {
            (Some(c), Response::Window(_)) => Step::HandOver(resp, c),
            _ => Step::Reply(resp),
        }
    }

    fn is_signal(&self, badge: u64) -> bool {
        badge & rampart_connsrv_api::CONN == 0
    }

    fn notified(&mut self, _: &mut Server, badge: u64) {
        if badge & rampart_secsrv_api::EVENT_POLICY != 0 {
            let _ = self.om.refresh();
        }
        if badge & rampart_connsrv_api::EVENT_CLOSED != 0 {
            self.closed();
        }
        if badge & (BADGE_INPUT[0] | BADGE_INPUT[1]) != 0 {
            let mut dirty = Rect::default();
            let before = self.desk.focused().map(|w| w.id);
            let desk = &mut self.desk;
            let mut typed = false;
            self.devs.drain_input(|e| {
                typed |= e.kind == rampart_gui_core::EV_KEY && e.code < 0x100 && e.code != rampart_gui_core::SAK;
                if let Some(r) = desk.input(e.kind, e.code, e.value) {
                    dirty = dirty.union(&r);
                }
            });
            if typed && self.desk.focused().is_some() && !self.desk.trusted() && self.key_tsc.is_none() {
                self.key_tsc = Some(rampart_rt::cpu::rdtsc());
            }
            // Shown first, then logged: a log line means the screen shows it.
            self.show(dirty);
            let after = self.desk.focused().map(|w| w.id);
            if after != before {
                dprintln!("gui: focus: window {}", after.unwrap_or(0));
            }
            if self.desk.trusted() != self.trusted_shown {
                self.trusted_shown = self.desk.trusted();
                dprintln!("gui: trusted mode {}", if self.trusted_shown { "on" } else { "off" });
            }
        }
        let _ = BADGE_GPU;
    }
}

impl Handler<Cx<'_>> for Gui {
    fn info(&mut self, cx: &mut Cx<'_>) -> Result<(u32, u32), Errno> {
        let _ = &cx.server;
        Ok((self.desk.width, self.desk.height))
    }

    fn create_window(&mut self, cx: &mut Cx<'_>, width: u32, height: u32) -> Result<u32, Errno> {
        self.check(cx.badge, cx.sid, cx.sid, WindowPerm::Create, "window")?;
        // Sizes first (no allocation for a window that cannot be shown).
        let (sw, sh) = (self.desk.width, self.desk.height);
        if width == 0 || height == 0 {
            return Err(Errno::EINVAL);
        }
        if width > sw || height > sh.saturating_sub(rampart_gui_api::LABEL_BAR) {
            return Err(Errno::E2BIG);
        }
        let region = rampart_rt::rm::region_alloc(u64::from(width) * u64::from(height) * 4)?;
        let label: String = self.om.sec.sid_to_context(cx.sid).unwrap_or_else(|_| alloc::format!("sid {}", cx.sid));
        let colour = self.colour(cx.sid);
        let r =
            self.desk.create(cx.badge, cx.sid, label, colour, width, height, region.bytes).and_then(|(handle, id)| {
                // The client's token, handed over with the reply.
                let _ = rampart_rt::cap::CNode(rampart_uabi::startup::slot::CNODE).delete(self.token, 64);
                match rampart_rt::rm::region_share(region.id, true, self.token) {
                    Ok(()) => Ok((handle, id)),
                    Err(e) => {
                        let _ = self.desk.destroy(cx.badge, handle);
                        Err(e)
                    }
                }
            });
        match r {
            Ok((handle, id)) => {
                self.maps.0.insert(id, (region, width));
                cx.cap = Some(self.token);
                let w = self.desk.window(cx.badge, handle)?;
                let f = w.frame();
                dprintln!(
                    "gui: window {id} of {} at {},{} {}x{} colour {:06x}",
                    w.label,
                    f.x,
                    f.y,
                    width,
                    height,
                    colour
                );
                self.show(f);
                Ok(handle)
            }
            Err(e) => {
                let _ = rampart_rt::rm::region_free(region.id);
                Err(e)
            }
        }
    }

    fn damage(&mut self, cx: &mut Cx<'_>, window: u32, x: u32, y: u32, width: u32, height: u32) -> Result<(), Errno> {
        let r = self.desk.damage(cx.badge, window, x, y, width, height)?;
        let t0 = rampart_rt::cpu::rdtsc();
        self.show(r);
        let t = rampart_rt::cpu::rdtsc() - t0;
        dprintln!("gui: damage {}x{}: compose and flush {t} TSC ticks", r.w, r.h);
        // Keystroke to pixel: from taking a key event to the flush of the
        // next damage (the focused client drawing its answer).
        if let Some(k) = self.key_tsc.take() {
            dprintln!("gui: key to pixel: {} TSC ticks", rampart_rt::cpu::rdtsc() - k);
        }
        Ok(())
    }

    fn fullscreen(&mut self, cx: &mut Cx<'_>, window: u32, on: bool) -> Result<(), Errno> {
        self.desk.window(cx.badge, window)?;
        if on {
            self.check(cx.badge, cx.sid, cx.sid, WindowPerm::Fullscreen, "window")?;
        }
        let r = self.desk.fullscreen(cx.badge, window, on)?;
        self.show(r);
        Ok(())
    }

    fn next_key(&mut self, cx: &mut Cx<'_>, window: u32) -> Result<Option<u32>, Errno> {
        self.desk.next_key(cx.badge, window)
    }

    fn read_pixel(&mut self, cx: &mut Cx<'_>, x: u32, y: u32) -> Result<u32, Errno> {
        if let Some((owner, sid)) = self.desk.owner_at(x, y)?
            && owner != cx.badge
        {
            self.check(cx.badge, cx.sid, sid, WindowPerm::Read, "window")?;
        }
        Ok(self.desk.pixels[(y * self.desk.width + x) as usize])
    }

    fn destroy(&mut self, cx: &mut Cx<'_>, window: u32) -> Result<(), Errno> {
        let (r, id) = self.desk.destroy(cx.badge, window)?;
        self.unmap(id);
        self.show(r);
        Ok(())
    }
}
