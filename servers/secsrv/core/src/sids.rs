//! SID lifetime and limits (docs/security-architecture.md §1, "SID
//! lifetime and limits").
//!
//! Every SID the server issues beyond the policy's initial SIDs is *held*
//! by one or more [`Owner`]s, each hold counted: a caller holds the SIDs
//! its `ContextToSid`, `ComputeCreate`, `FileContext`, `PortContext` and
//! `HoldContext` requests returned until it releases them (`ReleaseSid`);
//! the audit ring holds the SIDs its records name. When the last hold on a
//! SID is dropped the SID leaves the table, and the engine's generation
//! tags make sure its number never names another context
//! (`rampart_policy::sidtab`).
//!
//! Holds are charged: an owner may hold at most [`OWNER_SIDS`] distinct
//! SIDs ([`MANAGER_SIDS`] for trusted owners), all owners together at
//! most [`HOLDS_MAX`] (SID, owner) pairs, and the table at most
//! [`SID_CAPACITY`] SIDs. A request that would pass a limit is refused
//! with `ENOSPC` and changes nothing. Initial SIDs are never held (they
//! never go away), so they count against nobody.

use alloc::collections::BTreeMap;
use rampart_policy::{Context, Policy, PolicyError, Sid};
use rampart_secsrv_api::{CONTEXT_MAX, HOLDS_MAX, MANAGER_SIDS, OWNER_SIDS, SID_CAPACITY};
use rampart_uabi::Errno;

/// Who a hold is charged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// init's boot channel, and the server's own SID.
    Boot,
    /// The audit ring (bounded by its size, exempt from the limits).
    Audit,
    /// A caller's SID (from its badge), or the subject a trusted caller
    /// charges (`HoldContext { subject }`).
    Sid(u32),
}

/// The holds: `(SID, owner) → count`, and distinct SIDs per owner.
#[derive(Debug, Default)]
pub struct Holds {
    holds: BTreeMap<(u32, Owner), u32>,
    owned: BTreeMap<Owner, u32>,
    refusals: u64,
}

impl Holds {
    /// No holds.
    pub fn new() -> Holds {
        Holds::default()
    }

    /// Does `owner` hold `sid`?
    pub fn holds(&self, sid: u32, owner: Owner) -> bool {
        self.holds.contains_key(&(sid, owner))
    }

    /// The number of holds `owner` has on `sid` (0 if none).
    pub fn count(&self, sid: u32, owner: Owner) -> u32 {
        self.holds.get(&(sid, owner)).copied().unwrap_or(0)
    }

    /// Does anybody hold `sid`?
    pub fn held(&self, sid: u32) -> bool {
        self.holds.range((sid, Owner::Boot)..=(sid, Owner::Sid(u32::MAX))).next().is_some()
    }

    /// Distinct SIDs `owner` holds.
    pub fn owned(&self, owner: Owner) -> u32 {
        self.owned.get(&owner).copied().unwrap_or(0)
    }

    /// (SID, owner) pairs held.
    pub fn pairs(&self) -> usize {
        self.holds.len()
    }

    /// Requests refused because a limit was reached, since boot.
    pub fn refusals(&self) -> u64 {
        self.refusals
    }

    /// Adds one hold of `owner` on `sid` (the count saturates: a SID held
    /// 2^32 - 1 times by one owner is never released by it).
    pub fn add(&mut self, sid: u32, owner: Owner) {
        let n = self.holds.entry((sid, owner)).or_insert(0);
        if *n == 0 {
            *self.owned.entry(owner).or_insert(0) += 1;
        }
        *n = n.saturating_add(1);
    }

    /// Drops one hold of `owner` on `sid`; true if nobody holds `sid` any
    /// more.
    ///
    /// # Errors
    /// `ENOENT` if `owner` holds no such SID.
    pub fn drop_one(&mut self, sid: u32, owner: Owner) -> Result<bool, Errno> {
        let n = self.holds.get_mut(&(sid, owner)).ok_or(Errno::ENOENT)?;
        if *n == u32::MAX {
            return Ok(false);
        }
        *n -= 1;
        if *n == 0 {
            self.holds.remove(&(sid, owner));
            match self.owned.get_mut(&owner) {
                Some(k) if *k > 1 => *k -= 1,
                _ => {
                    self.owned.remove(&owner);
                }
            }
        }
        Ok(!self.held(sid))
    }

    /// Counts a refusal.
    fn refuse(&mut self) -> Errno {
        self.refusals = self.refusals.saturating_add(1);
        Errno::ENOSPC
    }
}

/// Is `sid`'s domain trusted with the larger limit ([`MANAGER_SIDS`]) and
/// with naming subjects: does its type carry the policy attribute
/// `object_manager`? False for unknown SIDs and policies without it.
pub fn trusted(p: &Policy, sid: u32) -> bool {
    let Some(attr) = p.db().type_id("object_manager") else { return false };
    match p.sids().context(Sid(sid)) {
        Ok(Some(c)) => p.index().ids(c.ty).contains(&attr),
        _ => false,
    }
}

/// Most distinct SIDs `owner` may hold.
pub fn limit(p: &Policy, owner: Owner) -> u32 {
    match owner {
        Owner::Boot => SID_CAPACITY,
        Owner::Audit => u32::MAX,
        Owner::Sid(s) if trusted(p, s) => MANAGER_SIDS,
        Owner::Sid(_) => OWNER_SIDS,
    }
}

/// The SID of validated context `c`, held by `owner` from now on; a new
/// SID only if `owner`, the holds and the table are within their limits.
///
/// # Errors
/// `EINVAL` (canonical text longer than [`CONTEXT_MAX`]), `ENOSPC` (a
/// limit; nothing changed).
pub fn hold(p: &mut Policy, h: &mut Holds, owner: Owner, c: Context) -> Result<u32, Errno> {
    let text = p.context_text(&c);
    if text.len() > CONTEXT_MAX {
        return Err(Errno::EINVAL);
    }
    let existing = p.sids().find(&text);
    if let Some(s) = existing.filter(|s| p.is_initial(*s)) {
        return Ok(s.0);
    }
    if !existing.is_some_and(|s| h.holds(s.0, owner)) {
        let full = h.owned(owner) >= limit(p, owner) || h.pairs() >= HOLDS_MAX as usize;
        if full && owner != Owner::Audit {
            return Err(h.refuse());
        }
    }
    let (sid, _) = match p.intern_context(c) {
        Ok(x) => x,
        Err(PolicyError::SidTableFull) => return Err(h.refuse()),
        Err(_) => return Err(Errno::EINVAL),
    };
    h.add(sid.0, owner);
    Ok(sid.0)
}

/// Another hold by `owner` on live SID `sid`, whose context text no longer
/// validates under the loaded policy (it was interned under an earlier
/// one and is still held: SELinux keeps such SIDs, resolving them to the
/// `unlabeled` context for decisions). A task in a context the reload
/// invalidated can so still spawn in its own context.
///
/// # Errors
/// `ENOSPC` (a limit; nothing changed).
pub fn hold_live(p: &Policy, h: &mut Holds, owner: Owner, sid: Sid) -> Result<u32, Errno> {
    if p.is_initial(sid) {
        return Ok(sid.0);
    }
    if !h.holds(sid.0, owner) {
        let full = h.owned(owner) >= limit(p, owner) || h.pairs() >= HOLDS_MAX as usize;
        if full && owner != Owner::Audit {
            return Err(h.refuse());
        }
    }
    h.add(sid.0, owner);
    Ok(sid.0)
}

/// Drops one hold of `owner` on `sid`; the SID leaves the table when
/// nobody holds it. Releasing an initial SID does nothing.
///
/// # Errors
/// `ENOENT` (`owner` holds no such SID).
pub fn release(p: &mut Policy, h: &mut Holds, owner: Owner, sid: u32) -> Result<(), Errno> {
    if p.is_initial(Sid(sid)) {
        return Ok(());
    }
    if h.drop_one(sid, owner)? {
        // Every live non-initial SID is held, so it is live here.
        let _ = p.release_sid(Sid(sid));
    }
    Ok(())
}

/// Adds an `Audit` hold on `sid` if it is live and not initial (a record
/// naming it was stored); true if a hold was added.
pub fn hold_for_audit(p: &Policy, h: &mut Holds, sid: u32) -> bool {
    let keep = !p.is_initial(Sid(sid)) && p.sids().is_live(Sid(sid));
    if keep {
        h.add(sid, Owner::Audit);
    }
    keep
}

/// Every live non-initial SID is held and every held SID is live (the
/// invariant the host tests check after every step).
pub fn consistent(p: &Policy, h: &Holds) -> bool {
    let initial = (1..=u32::MAX).take_while(|s| p.is_initial(Sid(*s))).count();
    let mut held: alloc::vec::Vec<u32> = h.holds.keys().map(|(s, _)| *s).collect();
    held.dedup();
    held.iter().all(|s| p.sids().is_live(Sid(*s))) && held.len() + initial == p.sids().len()
}
