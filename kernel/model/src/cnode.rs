//! Capability-space operations: Retype, Copy, Mint, Move, Mutate, Delete,
//! Revoke, CancelBadgedSends, and the finalisation of objects whose last
//! capability is deleted.
//!
//! Error checks happen in the order of the ABI (`rampart_abi::invocation`)
//! and seL4's decode functions, so the first failing check decides the
//! error code.

use crate::Events;
use crate::state::{
    Addr, Cap, CapKind, Endpoint, NewObj, Notification, Object, Reply, SlotId, State, Tcb, ThreadState,
};
use rampart_abi::{Error, Rights};

/// Largest number of objects one Retype may create.
pub const RETYPE_FAN_OUT: u32 = 256;

/// The slot that `index` names relative to the CNode capability `node`,
/// resolving `depth` = guard size + radix bits as the kernel's CNode
/// operations do: bits of `index` above the depth are ignored, the guard
/// bits must be zero, the low `radix` bits select the slot.
///
/// # Errors
/// `FailedLookup` if `node` is not a CNode capability or the guard does
/// not match.
pub fn node_slot(node: Option<Cap>, index: u32) -> Result<SlotId, Error> {
    match node.map(|c| c.kind) {
        Some(CapKind::CNode { obj, radix, guard_bits }) => {
            let depth = radix + guard_bits;
            let idx = if depth >= 64 { u64::from(index) } else { u64::from(index) & ((1u64 << depth) - 1) };
            if idx >> radix != 0 {
                return Err(Error::FailedLookup);
            }
            Ok(SlotId { obj, index: idx as u32 })
        }
        _ => Err(Error::FailedLookup),
    }
}

/// seL4 `updateCapData`: the capability with badge or guard `data` applied.
/// A badge can be set only once and never by Mutate (`preserve`); a CNode
/// guard is `data >> 58` zero bits. `None`: not allowed.
pub fn update_cap_data(cap: Cap, preserve: bool, data: u64) -> Option<Cap> {
    match cap.kind {
        CapKind::Endpoint(_) | CapKind::Notification(_) => {
            if preserve || cap.badge != 0 {
                (data == 0).then_some(cap)
            } else {
                Some(Cap { badge: data, ..cap })
            }
        }
        CapKind::CNode { obj, radix, .. } if data != 0 => {
            let guard_bits = (data >> 58) as u32;
            let guard = data & ((1u64 << 58) - 1) & ((1u64 << guard_bits.min(58)) - 1);
            (guard_bits + radix <= 64 && guard == 0)
                .then_some(Cap { kind: CapKind::CNode { obj, radix, guard_bits }, ..cap })
        }
        _ => Some(cap),
    }
}

impl State {
    /// seL4 `deriveCap`: the copy of the capability in `src` that may be
    /// made. Untyped capabilities are never copied in Rampart (seL4 copies
    /// one without children): two copies would each keep a watermark over
    /// the same memory. Retype a smaller untyped and move it instead.
    ///
    /// # Errors
    /// `IllegalOperation` for an untyped capability.
    pub fn derive(&self, cap: Cap, _src: SlotId) -> Result<Cap, Error> {
        match cap.kind {
            CapKind::Untyped { .. } | CapKind::IrqControl | CapKind::IoPortControl => Err(Error::IllegalOperation),
            // A copy of a frame capability starts unmapped; paging
            // structures and VSpaces are copied only once mapped or given
            // an ASID.
            CapKind::Frame { obj, .. } => Ok(Cap { kind: CapKind::Frame { obj, mapped: None }, ..cap }),
            CapKind::Table { mapped: None, .. } | CapKind::VSpace { asid: 0, .. } => Err(Error::IllegalOperation),
            _ => Ok(cap),
        }
    }

    /// Retype: `count` new objects of type `ty` from the untyped in `ut`, in
    /// slots `offset..offset+count` of the CNode `node`. `dest_root` is the
    /// capability the destination is named relative to.
    ///
    /// # Errors
    /// As the ABI describes for `UntypedRetype`.
    pub fn retype(
        &mut self,
        ut: SlotId,
        ty: NewObj,
        dest_root: Option<Cap>,
        node: Option<u32>,
        offset: u32,
        count: u32,
    ) -> Result<(), Error> {
        let Some(Cap { kind: CapKind::Untyped { base, size_bits, free }, .. }) = self.cap(ut) else {
            return Err(Error::InvalidCapability);
        };
        let bits = self.sizes.bits(ty);
        if bits > size_bits {
            return Err(Error::InvalidArgument);
        }
        let node_cap = match node {
            None => dest_root,
            Some(i) => self.cap(node_slot(dest_root, i)?),
        };
        let Some(CapKind::CNode { obj: cnode, radix, .. }) = node_cap.map(|c| c.kind) else {
            return Err(Error::FailedLookup);
        };
        if count == 0 || count > RETYPE_FAN_OUT {
            return Err(Error::RangeError);
        }
        let slots = 1u64 << radix;
        if u64::from(offset) >= slots || u64::from(count) > slots - u64::from(offset) {
            return Err(Error::RangeError);
        }
        let dests: Vec<SlotId> = (offset..offset + count).map(|index| SlotId { obj: cnode, index }).collect();
        if dests.iter().any(|d| self.cap(*d).is_some()) {
            return Err(Error::DeleteFirst);
        }
        // Memory is reused only when nothing made from this capability is left.
        let free = if self.has_children(ut) { free } else { 0 };
        let size = 1u64 << bits;
        let start = (base + free).next_multiple_of(size);
        let end = start + u64::from(count) * size;
        if end > base + (1u64 << size_bits) {
            return Err(Error::NotEnoughMemory);
        }
        let ut_cap = self.cap(ut).expect("untyped");
        self.set_cap(ut, Some(Cap { kind: CapKind::Untyped { base, size_bits, free: end - base }, ..ut_cap }));
        for (i, d) in dests.into_iter().enumerate() {
            let a = start + i as u64 * size;
            let kind = match ty {
                NewObj::Untyped(n) => CapKind::Untyped { base: a, size_bits: n, free: 0 },
                NewObj::CNode(r) => {
                    self.objects.insert(a, Object::CNode(vec![None; 1 << r]));
                    CapKind::CNode { obj: a, radix: r, guard_bits: 0 }
                }
                NewObj::Tcb => {
                    self.objects.insert(a, Object::Tcb(Tcb::new(ThreadState::Inactive)));
                    CapKind::Tcb(a)
                }
                NewObj::SchedContext => {
                    self.objects.insert(a, Object::SchedContext(Default::default()));
                    CapKind::SchedContext(a)
                }
                NewObj::Frame => {
                    self.objects.insert(a, Object::Frame(Default::default()));
                    CapKind::Frame { obj: a, mapped: None }
                }
                NewObj::VSpace => {
                    self.objects
                        .insert(a, Object::Table(crate::vspace::Table { level: 4, entries: Default::default() }));
                    CapKind::VSpace { obj: a, asid: 0 }
                }
                NewObj::Table(level) => {
                    self.objects.insert(a, Object::Table(crate::vspace::Table { level, entries: Default::default() }));
                    CapKind::Table { obj: a, level, mapped: None }
                }
                NewObj::Endpoint => {
                    self.objects.insert(a, Object::Endpoint(Endpoint::Idle));
                    CapKind::Endpoint(a)
                }
                NewObj::Notification => {
                    self.objects.insert(a, Object::Notification(Notification::Idle));
                    CapKind::Notification(a)
                }
                NewObj::Reply => {
                    self.objects.insert(a, Object::Reply(Reply::default()));
                    CapKind::Reply(a)
                }
            };
            let rights = if matches!(kind, CapKind::Frame { .. }) { Rights::RW } else { Rights::ALL };
            self.insert_new(Cap { kind, rights, badge: 0 }, ut, d);
        }
        Ok(())
    }

    /// Copy (`data` None) or Mint: puts a copy of the capability in `src`,
    /// with rights masked by `rights` and badge or guard `data`, in `dest`.
    ///
    /// # Errors
    /// `DeleteFirst` (dest in use), `FailedLookup` (src empty),
    /// `IllegalOperation` (badge or guard not allowed, untyped).
    pub fn copy(&mut self, dest: SlotId, src: SlotId, rights: Rights, data: Option<u64>) -> Result<(), Error> {
        if self.cap(dest).is_some() {
            return Err(Error::DeleteFirst);
        }
        let cap = self.cap(src).ok_or(Error::FailedLookup)?;
        let mut new = cap.masked(rights);
        if let Some(d) = data {
            new = update_cap_data(new, false, d).ok_or(Error::IllegalOperation)?;
        }
        let new = self.derive(new, src)?;
        self.cap_insert(new, src, dest);
        Ok(())
    }

    /// Move (`data` None) or Mutate: moves the capability in `src` to `dest`.
    ///
    /// # Errors
    /// `DeleteFirst`, `FailedLookup`, `IllegalOperation` (Mutate data).
    pub fn move_cap(&mut self, dest: SlotId, src: SlotId, data: Option<u64>) -> Result<(), Error> {
        if self.cap(dest).is_some() {
            return Err(Error::DeleteFirst);
        }
        let cap = self.cap(src).ok_or(Error::FailedLookup)?;
        let new = match data {
            Some(d) => update_cap_data(cap, true, d).ok_or(Error::IllegalOperation)?,
            None => cap,
        };
        self.cap_move(new, src, dest);
        Ok(())
    }

    /// Deletes the capability in `s`; if it was the last one to its object,
    /// the object is destroyed first (containers: every slot emptied).
    pub fn delete(&mut self, s: SlotId, ev: &mut Events) {
        let Some(cap) = self.cap(s) else { return };
        if !self.is_final(s) {
            self.vspace_copy_deleted(cap);
            self.empty_slot(s);
            return;
        }
        self.vspace_destroyed(cap);
        self.empty_slot(s);
        match cap.kind {
            CapKind::IrqHandler(irq) => self.irq_handler_destroyed(irq),
            CapKind::IoPort { first, last } => self.ports_released(first, last),
            _ => {}
        }
        if let Some(obj) = cap.obj() {
            self.destroy(obj, ev);
        }
    }

    /// Deletes every CDT descendant of `s` (those it has when Revoke
    /// starts), even if one of the deletions destroys the CNode holding `s`
    /// itself. The order does not matter: deleting a set of capabilities
    /// ends in the same state whatever the order.
    pub fn revoke(&mut self, s: SlotId, ev: &mut Events) {
        for d in self.descendants(s) {
            if self.objects.contains_key(&d.obj) {
                self.delete(d, ev);
            }
        }
    }

    /// Destroys the object at `obj`, whose last capability is gone.
    fn destroy(&mut self, obj: Addr, ev: &mut Events) {
        match self.objects.get(&obj) {
            Some(Object::Endpoint(_)) => self.cancel_all_ipc(obj, ev),
            Some(Object::Notification(_)) => {
                self.cancel_all_signals(obj, ev);
                self.ntfn_unreferenced(obj);
            }
            Some(Object::Reply(_)) => self.reply_destroyed(obj, ev),
            Some(Object::SchedContext(_)) => self.sc_destroyed(obj),
            Some(Object::Frame(_) | Object::Table(_) | Object::AsidPool(_)) => {}
            Some(Object::Tcb(_)) => {
                self.cancel_ipc(obj, ev);
                self.set_state(obj, ThreadState::Inactive);
                let x = self.tcb_mut(obj);
                x.bound_ntfn = None;
                self.unbind_sc(obj);
                for index in (0..5).rev() {
                    self.delete(SlotId { obj, index }, ev);
                }
            }
            Some(Object::CNode(slots)) => {
                for index in (0..slots.len() as u32).rev() {
                    self.delete(SlotId { obj, index }, ev);
                }
            }
            None => {}
        }
        self.objects.remove(&obj);
    }

    /// CancelBadgedSends: senders blocked on endpoint `ep` with `badge`
    /// restart their send.
    pub fn cancel_badged_sends(&mut self, ep: Addr, badge: u64, ev: &mut Events) {
        let Endpoint::Send(q) = self.ep_mut(ep).clone() else { return };
        for t in q {
            if matches!(self.thread_state(t), ThreadState::BlockedOnSend { badge: b, .. } if b == badge) {
                self.cancel_ipc(t, ev);
                if self.fault(t).is_none() {
                    self.wake(t);
                }
            }
        }
    }
}
