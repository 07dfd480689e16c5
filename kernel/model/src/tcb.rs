//! TCB invocations: scheduling parameters and priorities, the IPC buffer,
//! the TLS base, suspend and resume, notification binding, the timeout
//! endpoint, and reading, writing and copying registers.
//!
//! Checks happen in the kernel's order, and, as in the kernel, an
//! invocation that fails late keeps the effects of its earlier steps
//! (TcbSetSchedParams installs the fault endpoint and sets the priorities
//! before it binds the scheduling context).

use crate::Events;
use crate::inv::Args;
use crate::state::{Addr, Cap, CapKind, Notification, Outcome, SlotId, State, ThreadState, tcb_slot};
use rampart_abi::{Error, Label, Rights};

/// Largest priority.
pub const MAX_PRIORITY: u64 = 255;
/// Registers in a register message.
pub const REGISTER_COUNT: u64 = 20;
/// Alignment of an IPC buffer.
pub const IPC_BUFFER_ALIGN: u64 = 1024;

impl State {
    /// Suspends `t` (seL4 `suspend`).
    pub fn suspend(&mut self, t: Addr, ev: &mut Events) {
        self.cancel_ipc(t, ev);
        self.set_state(t, ThreadState::Inactive);
    }

    /// Resumes `t` if it is stopped without a pending fault.
    pub fn resume(&mut self, t: Addr) {
        let x = self.tcb_mut(t);
        if x.state == ThreadState::Inactive && x.fault.is_none() {
            x.state = ThreadState::Running;
        }
    }

    /// Replaces TCB slot `which` of `t` by a copy of the capability in
    /// `src`, or empties it.
    fn install(&mut self, t: Addr, which: u32, src: Option<(SlotId, Cap)>, ev: &mut Events) -> Result<(), Error> {
        let dest = SlotId { obj: t, index: which };
        self.delete(dest, ev);
        if let Some((s, cap)) = src {
            if self.cap(s) != Some(cap) {
                return Err(Error::IllegalOperation);
            }
            let d = self.derive(cap, s).map_err(|_| Error::IllegalOperation)?;
            if self.cap(dest).is_none() {
                self.cap_insert(d, s, dest);
            }
        }
        Ok(())
    }

    fn auth_mcp(a: &Args, s: &State) -> Result<u64, Error> {
        match a.extra(0)?.1.map(|c| c.kind) {
            Some(CapKind::Tcb(x)) => Ok(s.tcb(x).map_or(0, |x| x.mcp)),
            _ => Err(Error::InvalidCapability),
        }
    }

    /// Performs TCB invocation `label` by `actor` on thread `t`. `None`:
    /// outside the model's domain (registers written into a thread blocked
    /// sending).
    pub fn invoke_tcb(
        &mut self,
        actor: Addr,
        t: Addr,
        label: Label,
        a: &Args,
        ev: &mut Events,
    ) -> Option<Result<Outcome, Error>> {
        let sending = |s: &State, x: Addr| matches!(s.thread_state(x), ThreadState::BlockedOnSend { .. });
        let r = match label {
            Label::TcbReadRegisters => (|| {
                let (suspend, count) = (a.mr(0)?, a.mr(2)?);
                if count > REGISTER_COUNT {
                    return Err(Error::RangeError);
                }
                if t == actor {
                    return Err(Error::IllegalOperation);
                }
                if suspend != 0 {
                    self.suspend(t, ev);
                }
                Ok(Outcome::Regs { target: t, n: count as u8 })
            })(),
            Label::TcbWriteRegisters => {
                if sending(self, t) {
                    return None;
                }
                (|| {
                    let (resume, count) = (a.mr(0)?, a.mr(2)?);
                    if count > REGISTER_COUNT {
                        return Err(Error::RangeError);
                    }
                    if t == actor {
                        return Err(Error::IllegalOperation);
                    }
                    let vals: Vec<u64> = (0..count as usize).map(|i| a.mr(3 + i)).collect::<Result<_, _>>()?;
                    let regs = &mut self.tcb_mut(t).regs;
                    for (i, &v) in vals.iter().enumerate() {
                        regs.write(i, v);
                    }
                    if resume != 0 {
                        self.resume(t);
                    }
                    ev.push((t, Outcome::Clobbered));
                    Ok(Outcome::Ok)
                })()
            }
            Label::TcbCopyRegisters => {
                if sending(self, t) {
                    return None;
                }
                (|| {
                    let flags = a.mr(0)?;
                    let Some(CapKind::Tcb(src)) = a.extra(0)?.1.map(|c| c.kind) else {
                        return Err(Error::InvalidCapability);
                    };
                    if src == t || t == actor {
                        return Err(Error::IllegalOperation);
                    }
                    if flags & 1 != 0 {
                        self.suspend(src, ev);
                    }
                    let from = self.tcb(src).map(|x| x.regs).unwrap_or_default();
                    let to = &mut self.tcb_mut(t).regs;
                    for i in 0..18 {
                        to.write(i, from.read(i).unwrap_or(0));
                    }
                    to.tls = from.tls;
                    if flags & 2 != 0 {
                        self.resume(t);
                    }
                    ev.push((t, Outcome::Clobbered));
                    Ok(Outcome::Ok)
                })()
            }
            _ => self.invoke_tcb_config(actor, t, label, a, ev),
        };
        Some(r)
    }

    fn invoke_tcb_config(
        &mut self,
        _actor: Addr,
        t: Addr,
        label: Label,
        a: &Args,
        ev: &mut Events,
    ) -> Result<Outcome, Error> {
        match label {
            Label::TcbSetIpcBuffer => {
                let vaddr = a.mr(0)?;
                let src = if vaddr == 0 { None } else { Some(a.extra(0)?) };
                if let Some((_, f)) = src {
                    if !vaddr.is_multiple_of(IPC_BUFFER_ALIGN) {
                        return Err(Error::AlignmentError);
                    }
                    // An IPC buffer must be writable: the kernel writes
                    // received words and capabilities into it.
                    let ok = matches!(f, Some(Cap { kind: CapKind::Frame { .. }, rights, .. }) if rights.contains(Rights::RW));
                    if vaddr >= rampart_abi::USER_TOP || !ok {
                        return Err(Error::InvalidCapability);
                    }
                }
                let src = src.and_then(|(s, c)| Some((s, c?)));
                self.install(t, tcb_slot::IPC_BUFFER, src, ev)?;
                self.tcb_mut(t).ipc_buffer = vaddr;
                Ok(Outcome::Ok)
            }
            Label::TcbSetPriority | Label::TcbSetMcPriority => {
                let v = a.mr(0)?;
                let mcp = Self::auth_mcp(a, self)?;
                if v > mcp || v > MAX_PRIORITY {
                    return Err(Error::RangeError);
                }
                let x = self.tcb_mut(t);
                if label == Label::TcbSetPriority {
                    x.prio = v;
                } else {
                    x.mcp = v;
                }
                Ok(Outcome::Ok)
            }
            Label::TcbSetSchedParams => {
                let (mcp, prio) = (a.mr(0)?, a.mr(1)?);
                let (_, auth) = a.extra(0)?;
                let (_, sc) = a.extra(1)?;
                let fault = a.extra(2)?;
                let Some(CapKind::Tcb(auth)) = auth.map(|c| c.kind) else { return Err(Error::InvalidCapability) };
                let amcp = self.tcb(auth).map_or(0, |x| x.mcp);
                if mcp > amcp || prio > amcp {
                    return Err(Error::RangeError);
                }
                let sc = match sc.map(|c| c.kind) {
                    None => None,
                    Some(CapKind::SchedContext(x)) => Some(x),
                    Some(_) => return Err(Error::InvalidCapability),
                };
                let fault = match fault {
                    (_, None) => None,
                    (s, Some(c @ Cap { kind: CapKind::Endpoint(_), .. })) => Some((s, c)),
                    _ => return Err(Error::InvalidCapability),
                };
                self.install(t, tcb_slot::FAULT_EP, fault, ev)?;
                let x = self.tcb_mut(t);
                x.mcp = mcp;
                x.prio = prio;
                match sc {
                    None => self.unbind_sc(t),
                    Some(x) if self.tcb(t).and_then(|y| y.sc) == Some(x) => {}
                    Some(x) => {
                        if self.tcb(t).is_some_and(|y| y.sc.is_some()) || self.sc_mut(x).tcb.is_some() {
                            return Err(Error::IllegalOperation);
                        }
                        self.donate(x, t);
                    }
                }
                Ok(Outcome::Ok)
            }
            Label::TcbSetTimeoutEndpoint => {
                let src = match a.extra(0)? {
                    (_, None) => None,
                    (s, Some(c @ Cap { kind: CapKind::Endpoint(_), .. })) => Some((s, c)),
                    _ => return Err(Error::InvalidCapability),
                };
                self.install(t, tcb_slot::TIMEOUT_EP, src, ev)?;
                Ok(Outcome::Ok)
            }
            Label::TcbSuspend => {
                self.suspend(t, ev);
                Ok(Outcome::Ok)
            }
            Label::TcbResume => {
                self.resume(t);
                Ok(Outcome::Ok)
            }
            Label::TcbBindNotification => {
                let Some(Cap { kind: CapKind::Notification(n), rights, .. }) = a.extra(0)?.1 else {
                    return Err(Error::InvalidCapability);
                };
                // Binding lets the thread receive the notification's signals.
                if !rights.contains(Rights::READ) {
                    return Err(Error::InvalidCapability);
                }
                let taken =
                    self.objects.values().any(|o| matches!(o, crate::state::Object::Tcb(x) if x.bound_ntfn == Some(n)));
                let waiting =
                    matches!(self.objects.get(&n), Some(crate::state::Object::Notification(Notification::Waiting(_))));
                if self.tcb(t).is_some_and(|x| x.bound_ntfn.is_some()) || taken || waiting {
                    return Err(Error::IllegalOperation);
                }
                self.tcb_mut(t).bound_ntfn = Some(n);
                Ok(Outcome::Ok)
            }
            Label::TcbUnbindNotification => {
                if self.tcb_mut(t).bound_ntfn.take().is_none() {
                    return Err(Error::IllegalOperation);
                }
                Ok(Outcome::Ok)
            }
            Label::TcbSetSyscallDispatch => {
                let (entry, lo, hi) = (a.mr(0)?, a.mr(1)?, a.mr(2)?);
                let top = rampart_abi::USER_TOP;
                if entry >= top || lo > hi || hi > top {
                    return Err(Error::InvalidArgument);
                }
                self.tcb_mut(t).dispatch = if entry == 0 { (0, 0, 0) } else { (entry, lo, hi) };
                Ok(Outcome::Ok)
            }
            Label::TcbSetTlsBase => {
                let base = a.mr(0)?;
                if base >= rampart_abi::USER_TOP {
                    return Err(Error::InvalidArgument);
                }
                self.tcb_mut(t).regs.tls = base;
                Ok(Outcome::Ok)
            }
            _ => Err(Error::IllegalOperation),
        }
    }
}
