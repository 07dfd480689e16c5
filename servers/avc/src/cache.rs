//! The set-associative cache itself.

use crate::{AuditRecord, AuditSink, AvcBackend, AvcError, Decision};

#[derive(Clone, Copy, Debug)]
struct Entry {
    ssid: u32,
    tsid: u32,
    /// 0 = empty slot (0 is never a valid class).
    class: u16,
    seqno: u32,
    allowed: u32,
    auditallow: u32,
    auditdeny: u32,
}

impl Entry {
    const EMPTY: Entry = Entry { ssid: 0, tsid: 0, class: 0, seqno: 0, allowed: 0, auditallow: 0, auditdeny: 0 };
}

/// Counters, for tuning and for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that went to the backend.
    pub misses: u64,
    /// Valid entries overwritten to make room.
    pub evictions: u64,
    /// Times a newer policy sequence number invalidated the cache.
    pub resets: u64,
    /// Decisions used once but not cached (computed under an older policy).
    pub uncached: u64,
}

/// The access vector cache: `SETS` sets (a power of two) of `WAYS`
/// entries. Capacity is `SETS * WAYS` decisions, each 28 bytes.
#[derive(Clone, Debug)]
pub struct Avc<const SETS: usize, const WAYS: usize> {
    sets: [[Entry; WAYS]; SETS],
    victim: [u8; SETS],
    seqno: u32,
    enforcing: bool,
    stats: Stats,
}

impl<const SETS: usize, const WAYS: usize> Default for Avc<SETS, WAYS> {
    fn default() -> Self {
        Self::new()
    }
}

/// True if `a` is newer than `b` in wrapping sequence-number order.
fn newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl<const SETS: usize, const WAYS: usize> Avc<SETS, WAYS> {
    const CHECK: () =
        assert!(SETS.is_power_of_two() && WAYS > 0 && WAYS <= 255, "SETS must be a power of two and WAYS in 1..=255");

    /// An empty, enforcing cache that has seen no policy yet (seqno 0).
    pub const fn new() -> Self {
        let () = Self::CHECK;
        Avc {
            sets: [[Entry::EMPTY; WAYS]; SETS],
            victim: [0; SETS],
            seqno: 0,
            enforcing: true,
            stats: Stats { hits: 0, misses: 0, evictions: 0, resets: 0, uncached: 0 },
        }
    }

    /// Capacity in decisions.
    pub const fn capacity(&self) -> usize {
        SETS * WAYS
    }

    #[inline(always)]
    fn set_index(ssid: u32, tsid: u32, class: u16) -> usize {
        let h = ssid.wrapping_mul(0x9E37_79B1) ^ tsid.wrapping_mul(0x85EB_CA77) ^ u32::from(class);
        ((h ^ (h >> 16)) as usize) & (SETS - 1)
    }

    /// The cached decision for the key, if present and current. Counts a
    /// hit or a miss. This is the hot path.
    #[inline]
    pub fn lookup(&mut self, ssid: u32, tsid: u32, class: u16) -> Option<Decision> {
        let set = &self.sets[Self::set_index(ssid, tsid, class)];
        for e in set {
            if e.ssid == ssid && e.tsid == tsid && e.class == class && e.seqno == self.seqno && class != 0 {
                self.stats.hits += 1;
                return Some(Decision {
                    allowed: e.allowed,
                    auditallow: e.auditallow,
                    auditdeny: e.auditdeny,
                    seqno: e.seqno,
                });
            }
        }
        self.stats.misses += 1;
        None
    }

    /// Caches a decision (after a miss). A newer sequence number first
    /// invalidates everything cached; an older one is not cached.
    pub fn insert(&mut self, ssid: u32, tsid: u32, class: u16, d: Decision) {
        if class == 0 {
            return;
        }
        if newer(d.seqno, self.seqno) {
            self.policy_changed(d.seqno);
        } else if d.seqno != self.seqno {
            self.stats.uncached += 1;
            return;
        }
        let i = Self::set_index(ssid, tsid, class);
        let cur = self.seqno;
        let set = &mut self.sets[i];
        let slot = match set.iter().position(|e| e.class == 0 || e.seqno != cur) {
            Some(free) => free,
            None => {
                let v = usize::from(self.victim[i]) % WAYS;
                self.victim[i] = ((v + 1) % WAYS) as u8;
                self.stats.evictions += 1;
                v
            }
        };
        set[slot] = Entry {
            ssid,
            tsid,
            class,
            seqno: d.seqno,
            allowed: d.allowed,
            auditallow: d.auditallow,
            auditdeny: d.auditdeny,
        };
    }

    /// The decision for the key: from the cache, or from `backend` (then
    /// cached).
    ///
    /// # Errors
    /// [`AvcError::InvalidClass`] for class 0, [`AvcError::Backend`] if the
    /// backend fails.
    pub fn query<B: AvcBackend>(
        &mut self,
        backend: &mut B,
        ssid: u32,
        tsid: u32,
        class: u16,
    ) -> Result<Decision, AvcError<B::Error>> {
        if class == 0 {
            return Err(AvcError::InvalidClass);
        }
        if let Some(d) = self.lookup(ssid, tsid, class) {
            return Ok(d);
        }
        let d = backend.compute_av(ssid, tsid, class).map_err(AvcError::Backend)?;
        self.insert(ssid, tsid, class, d);
        Ok(d)
    }

    /// Checks that every permission in `requested` is granted, auditing
    /// as the decision says. In permissive mode denials are audited (with
    /// `enforced: false`) but not returned.
    ///
    /// # Errors
    /// [`AvcError::Denied`] with the missing bits; otherwise as
    /// [`Avc::query`].
    pub fn has_perm<B: AvcBackend, A: AuditSink>(
        &mut self,
        backend: &mut B,
        audit: &mut A,
        ssid: u32,
        tsid: u32,
        class: u16,
        requested: u32,
    ) -> Result<(), AvcError<B::Error>> {
        let d = self.query(backend, ssid, tsid, class)?;
        let denied = requested & !d.allowed;
        let mut rec =
            AuditRecord { ssid, tsid, class, perms: 0, denied: false, enforced: self.enforcing, seqno: d.seqno };
        if denied != 0 {
            rec.perms = denied & d.auditdeny;
            rec.denied = true;
            if rec.perms != 0 {
                audit.audit(&rec);
            }
            return if self.enforcing { Err(AvcError::Denied(denied)) } else { Ok(()) };
        }
        rec.perms = requested & d.auditallow;
        if rec.perms != 0 {
            audit.audit(&rec);
        }
        Ok(())
    }

    /// Announces a policy change (reload or boolean change) with its
    /// sequence number: if newer than the cache's, every cached decision
    /// becomes stale.
    pub fn policy_changed(&mut self, seqno: u32) {
        if newer(seqno, self.seqno) {
            self.seqno = seqno;
            self.stats.resets += 1;
        }
    }

    /// Empties the cache (keeps the sequence number and statistics).
    pub fn flush(&mut self) {
        self.sets = [[Entry::EMPTY; WAYS]; SETS];
    }

    /// The newest policy sequence number seen.
    pub fn seqno(&self) -> u32 {
        self.seqno
    }

    /// Statistics.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Number of current (non-stale) entries.
    pub fn len(&self) -> usize {
        self.sets.iter().flatten().filter(|e| e.class != 0 && e.seqno == self.seqno).count()
    }

    /// True if no current entry is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Switches between enforcing (default) and permissive mode.
    pub fn set_enforcing(&mut self, on: bool) {
        self.enforcing = on;
    }

    /// True if enforcing.
    pub fn enforcing(&self) -> bool {
        self.enforcing
    }
}
