//! [`Policy`]: the security server's view of a loaded policy — binary
//! policy, model, SID table, booleans, file and port contexts — behind
//! SID-based calls suitable for IPC.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::codec;
use crate::context::{format_context, parse_context};
use crate::db::{Context, PolicyDb};
use crate::error::PolicyError;
use crate::filecon::FileContexts;
use crate::ids::{AccessVector, ClassId, FileKind, Protocol, Sid};
use crate::index::PolicyIndex;
use crate::model::{AccessDecision, ModelRegistry, PolicyModel};
use crate::portcon;
use crate::servicecon;
use crate::sidtab::SidTable;

/// A loaded policy with its run-time state. See the crate documentation
/// for an example.
pub struct Policy {
    index: PolicyIndex,
    model: Box<dyn PolicyModel>,
    filecons: FileContexts,
    sids: SidTable,
    initial: Vec<String>,
    seqno: u32,
}

impl core::fmt::Debug for Policy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Policy")
            .field("model", &self.model.name())
            .field("seqno", &self.seqno)
            .field("sids", &self.sids.len())
            .finish()
    }
}

struct Prepared {
    index: PolicyIndex,
    model: Box<dyn PolicyModel>,
    filecons: FileContexts,
}

fn prepare(db: PolicyDb, registry: &ModelRegistry) -> Result<Prepared, PolicyError> {
    crate::validate::validate(&db)?;
    let model = registry.create(&db.model)?;
    let filecons = FileContexts::new(&db.filecons)?;
    let index = PolicyIndex::new(db);
    model.check_policy(&index)?;
    Ok(Prepared { index, model, filecons })
}

impl Policy {
    /// Loads a binary policy with the built-in models. The sequence number
    /// starts at 1.
    ///
    /// # Errors
    /// Any decoding error of [`codec::decode`],
    /// [`PolicyError::UnknownModel`], or [`PolicyError::Invalid`] if the
    /// model rejects the policy or a file-context pattern does not compile.
    pub fn load(bytes: &[u8]) -> Result<Policy, PolicyError> {
        Policy::load_with(bytes, &ModelRegistry::builtin())
    }

    /// Like [`Policy::load`] with a caller-supplied model registry.
    ///
    /// # Errors
    /// As for [`Policy::load`].
    pub fn load_with(bytes: &[u8], registry: &ModelRegistry) -> Result<Policy, PolicyError> {
        Policy::from_db(codec::decode(bytes)?, registry)
    }

    /// Builds a policy from an in-memory database (validated first).
    ///
    /// # Errors
    /// As for [`Policy::load`].
    pub fn from_db(db: PolicyDb, registry: &ModelRegistry) -> Result<Policy, PolicyError> {
        let p = prepare(db, registry)?;
        let mut policy = Policy {
            index: p.index,
            model: p.model,
            filecons: p.filecons,
            sids: SidTable::new(),
            initial: Vec::new(),
            seqno: 1,
        };
        let init: Vec<(String, String, Context)> = policy
            .index
            .db
            .initial_sids
            .iter()
            .map(|s| {
                let text = format_context(&policy.index.db, &s.context);
                (s.name.clone(), text, s.context.clone())
            })
            .collect();
        for (name, text, ctx) in init {
            policy.sids.push(&text, Some(ctx))?;
            policy.initial.push(name);
        }
        Ok(policy)
    }

    /// Replaces the policy, keeping SIDs (each is re-resolved; see
    /// [`crate::sidtab`]) and incrementing the sequence number. Booleans
    /// take the new policy's defaults. On error the old policy stays.
    ///
    /// # Errors
    /// As for [`Policy::load_with`].
    pub fn reload(&mut self, bytes: &[u8], registry: &ModelRegistry) -> Result<u32, PolicyError> {
        let p = prepare(codec::decode(bytes)?, registry)?;
        self.index = p.index;
        self.model = p.model;
        self.filecons = p.filecons;
        let (index, model) = (&self.index, &self.model);
        self.sids.reresolve(|text| {
            // A context from an MLS policy keeps its user, role and type
            // under a policy without MLS (SELinux's `convert_context`
            // drops the range the same way); one without a range gets
            // the user's default level under an MLS policy (parse_context).
            let text = match (&index.db.mls, text.splitn(4, ':').nth(3)) {
                (None, Some(range)) => &text[..text.len() - range.len() - 1],
                _ => text,
            };
            let c = parse_context(&index.db, text).ok()?;
            model.validate_context(index, &c).ok().map(|_| c)
        });
        for (i, name) in self.initial.iter().enumerate() {
            let sid = Sid(u32::try_from(i + 1).unwrap_or(u32::MAX));
            if let Some(s) = self.index.db.initial_sids.iter().find(|s| &s.name == name) {
                let text = format_context(&self.index.db, &s.context);
                self.sids.set(sid, &text, Some(s.context.clone()))?;
            }
        }
        self.seqno = self.seqno.wrapping_add(1).max(1);
        Ok(self.seqno)
    }

    /// The policy sequence number (incremented by every reload and boolean
    /// change; AVCs drop entries computed under an older one).
    pub fn seqno(&self) -> u32 {
        self.seqno
    }

    /// The compiled policy.
    pub fn db(&self) -> &PolicyDb {
        &self.index.db
    }

    /// The index (policy + lookup structures), for models and tools.
    pub fn index(&self) -> &PolicyIndex {
        &self.index
    }

    /// The model's name (`te`, `mls`, ...).
    pub fn model_name(&self) -> &str {
        self.model.name()
    }

    /// The SID table.
    pub fn sids(&self) -> &SidTable {
        &self.sids
    }

    /// The SID of initial SID `name` (`kernel`, `unlabeled`, ...).
    pub fn initial_sid(&self, name: &str) -> Option<Sid> {
        let i = self.initial.iter().position(|n| n == name)?;
        u32::try_from(i + 1).ok().map(Sid)
    }

    /// Parses, validates and interns a context string.
    ///
    /// # Errors
    /// [`PolicyError::BadContext`] for syntax or unknown names,
    /// [`PolicyError::InvalidContext`] if the model rejects it,
    /// [`PolicyError::SidTableFull`].
    pub fn context_to_sid(&mut self, text: &str) -> Result<Sid, PolicyError> {
        let c = self.valid_context(text)?;
        self.intern(c)
    }

    /// Parses and validates a context string without adding it to the SID
    /// table (decide first, intern only what is used).
    ///
    /// # Errors
    /// [`PolicyError::BadContext`] for syntax or unknown names,
    /// [`PolicyError::InvalidContext`] if the model rejects it.
    pub fn valid_context(&self, text: &str) -> Result<Context, PolicyError> {
        let c = parse_context(&self.index.db, text)?;
        self.model.validate_context(&self.index, &c)?;
        Ok(c)
    }

    /// The canonical text of a context (what the SID table stores).
    pub fn context_text(&self, c: &Context) -> String {
        format_context(&self.index.db, c)
    }

    fn intern(&mut self, c: Context) -> Result<Sid, PolicyError> {
        self.intern_context(c).map(|(s, _)| s)
    }

    /// The SID of a context obtained from this policy (validated), and
    /// whether it is new.
    ///
    /// # Errors
    /// [`PolicyError::SidTableFull`].
    pub fn intern_context(&mut self, c: Context) -> Result<(Sid, bool), PolicyError> {
        let text = format_context(&self.index.db, &c);
        self.sids.intern_new(&text, c)
    }

    /// Limits the SID table to `capacity` live SIDs (initial ones
    /// included; see [`SidTable::set_capacity`]).
    pub fn set_sid_capacity(&mut self, capacity: usize) {
        self.sids.set_capacity(capacity);
    }

    /// True for the policy's initial SIDs (never released).
    pub fn is_initial(&self, sid: Sid) -> bool {
        sid.0 >= 1 && (sid.0 as usize) <= self.initial.len()
    }

    /// Releases a SID: it leaves the table and its number is never issued
    /// again (see [`crate::sidtab`]).
    ///
    /// # Errors
    /// [`PolicyError::PinnedSid`] for an initial SID,
    /// [`PolicyError::UnknownSid`] for one that is not live.
    pub fn release_sid(&mut self, sid: Sid) -> Result<(), PolicyError> {
        if self.is_initial(sid) {
            return Err(PolicyError::PinnedSid(sid.0));
        }
        self.sids.release(sid)
    }

    /// The context string of a SID.
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`].
    pub fn sid_to_context(&self, sid: Sid) -> Result<&str, PolicyError> {
        self.sids.text(sid)
    }

    /// The resolved context of a SID; an entry that is invalid under the
    /// current policy resolves to the `unlabeled` initial SID's context.
    fn resolve(&self, sid: Sid) -> Result<Option<&Context>, PolicyError> {
        match self.sids.context(sid)? {
            Some(c) => Ok(Some(c)),
            None => match self.initial_sid("unlabeled") {
                Some(u) => self.sids.context(u),
                None => Ok(None),
            },
        }
    }

    /// The class number of `name`.
    pub fn class_id(&self, name: &str) -> Option<ClassId> {
        self.index.db.class_id(name).map(ClassId)
    }

    /// The access vector of the named permissions of `class`.
    ///
    /// # Errors
    /// [`PolicyError::UnknownClass`] / [`PolicyError::UnknownName`].
    pub fn perms(&self, class: ClassId, names: &[&str]) -> Result<AccessVector, PolicyError> {
        if self.index.db.class(class.0).is_none() {
            return Err(PolicyError::UnknownClass(class.0));
        }
        names.iter().try_fold(0, |acc, n| {
            let bit = self.index.db.perm_bit(class.0, n).ok_or_else(|| PolicyError::UnknownName((*n).into()))?;
            Ok(acc | bit)
        })
    }

    /// Computes the access decision for `(ssid, tsid, class)`.
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`] or [`PolicyError::UnknownClass`].
    pub fn compute_av(&self, ssid: Sid, tsid: Sid, class: ClassId) -> Result<AccessDecision, PolicyError> {
        if self.index.db.class(class.0).is_none() {
            return Err(PolicyError::UnknownClass(class.0));
        }
        let (s, t) = (self.resolve(ssid)?, self.resolve(tsid)?);
        let mut d = match (s, t) {
            (Some(s), Some(t)) => self.model.compute_av(&self.index, s, t, class.0),
            _ => AccessDecision { auditdeny: self.index.class_mask(class.0), ..AccessDecision::default() },
        };
        d.seqno = self.seqno;
        Ok(d)
    }

    /// The access decision for two validated contexts (from
    /// [`Policy::valid_context`]), without SIDs.
    ///
    /// # Errors
    /// [`PolicyError::UnknownClass`].
    pub fn compute_av_contexts(&self, s: &Context, t: &Context, class: ClassId) -> Result<AccessDecision, PolicyError> {
        if self.index.db.class(class.0).is_none() {
            return Err(PolicyError::UnknownClass(class.0));
        }
        let mut d = self.model.compute_av(&self.index, s, t, class.0);
        d.seqno = self.seqno;
        Ok(d)
    }

    /// Convenience for tests and tools: are all `perms` of `class` granted
    /// from context `scon` to `tcon`?
    ///
    /// # Errors
    /// Context, class and permission errors as above.
    pub fn check(&mut self, scon: &str, tcon: &str, class: &str, perms: &[&str]) -> Result<bool, PolicyError> {
        let c = self.class_id(class).ok_or_else(|| PolicyError::UnknownName(class.into()))?;
        let want = self.perms(c, perms)?;
        let (s, t) = (self.context_to_sid(scon)?, self.context_to_sid(tcon)?);
        Ok(self.compute_av(s, t, c)?.allowed & want == want)
    }

    /// May `task` relabel an object of `class` from `old` to `new`? The
    /// policy's `validatetrans` (and, for lattice models,
    /// `mlsvalidatetrans`) statements, evaluated by the model; the
    /// `relabelfrom`/`relabelto` permissions are separate access
    /// decisions. An unlabeled SID stands for the `unlabeled` initial
    /// SID's context.
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`], [`PolicyError::UnknownClass`],
    /// [`PolicyError::InvalidContext`] when a SID has no context at all.
    pub fn validate_trans(&self, old: Sid, new: Sid, task: Sid, class: ClassId) -> Result<bool, PolicyError> {
        if self.index.db.class(class.0).is_none() {
            return Err(PolicyError::UnknownClass(class.0));
        }
        let (o, n, t) = (self.resolve(old)?, self.resolve(new)?, self.resolve(task)?);
        let (Some(o), Some(n), Some(t)) = (o, n, t) else {
            return Err(PolicyError::InvalidContext("unlabeled context".into()));
        };
        Ok(self.model.validate_trans(&self.index, o, n, t, class.0))
    }

    /// The SID of a new object of `class` created by `ssid` in/under
    /// `tsid` (the parent directory, or the executable for `process`),
    /// applying `type_transition` rules (a rule naming `name` wins).
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`], [`PolicyError::UnknownClass`],
    /// [`PolicyError::InvalidContext`] if the result is not valid (e.g.
    /// the role may not enter the new type), [`PolicyError::SidTableFull`].
    pub fn compute_create(
        &mut self,
        ssid: Sid,
        tsid: Sid,
        class: ClassId,
        name: Option<&str>,
    ) -> Result<Sid, PolicyError> {
        let c = self.create_context(ssid, tsid, class, name)?;
        self.intern(c)
    }

    /// As [`Policy::compute_create`], returning the new context without
    /// adding it to the SID table.
    ///
    /// # Errors
    /// As [`Policy::compute_create`], without `SidTableFull`.
    pub fn create_context(
        &self,
        ssid: Sid,
        tsid: Sid,
        class: ClassId,
        name: Option<&str>,
    ) -> Result<Context, PolicyError> {
        let (s, t) = (self.resolve(ssid)?, self.resolve(tsid)?);
        let (Some(s), Some(t)) = (s, t) else {
            return Err(PolicyError::InvalidContext("unlabeled subject or target".into()));
        };
        self.create_from_contexts(s, t, class, name)
    }

    /// The context of a new object of `class` created by context `s`
    /// in/under context `t` (both validated), without SIDs.
    ///
    /// # Errors
    /// [`PolicyError::UnknownClass`], [`PolicyError::InvalidContext`].
    pub fn create_from_contexts(
        &self,
        s: &Context,
        t: &Context,
        class: ClassId,
        name: Option<&str>,
    ) -> Result<Context, PolicyError> {
        self.model.compute_create(&self.index, s, t, class.0, name)
    }

    /// The SID a file at `path` of kind `kind` gets from the file-context
    /// rules; `Ok(None)` for a `<<none>>` rule.
    ///
    /// # Errors
    /// [`PolicyError::NoContext`] if no rule matches,
    /// [`PolicyError::SidTableFull`].
    pub fn file_context(&mut self, path: &str, kind: FileKind) -> Result<Option<Sid>, PolicyError> {
        match self.file_context_of(path, kind)? {
            Some(c) => self.intern(c).map(Some),
            None => Ok(None),
        }
    }

    /// As [`Policy::file_context`], returning the context without adding
    /// it to the SID table.
    ///
    /// # Errors
    /// [`PolicyError::NoContext`] if no rule matches.
    pub fn file_context_of(&self, path: &str, kind: FileKind) -> Result<Option<Context>, PolicyError> {
        Ok(self.filecons.lookup(path, kind)?.cloned())
    }

    /// The SID of `port` for `proto` from the port-context rules.
    ///
    /// # Errors
    /// [`PolicyError::NoContext`] if no rule covers the port,
    /// [`PolicyError::SidTableFull`].
    pub fn port_context(&mut self, proto: Protocol, port: u16) -> Result<Sid, PolicyError> {
        let c = self.port_context_of(proto, port)?;
        self.intern(c)
    }

    /// As [`Policy::port_context`], returning the context without adding
    /// it to the SID table.
    ///
    /// # Errors
    /// [`PolicyError::NoContext`] if no rule covers the port.
    pub fn port_context_of(&self, proto: Protocol, port: u16) -> Result<Context, PolicyError> {
        portcon::lookup(&self.index.db.portcons, proto, port).cloned().ok_or(PolicyError::NoContext)
    }

    /// The SID of service name `name` from the service-name rules
    /// (`servicecon`): the target of `service register`.
    ///
    /// # Errors
    /// [`PolicyError::NoContext`] if no rule covers the name,
    /// [`PolicyError::SidTableFull`].
    pub fn service_context(&mut self, name: &str) -> Result<Sid, PolicyError> {
        let c = self.service_context_of(name)?;
        self.intern(c)
    }

    /// As [`Policy::service_context`], returning the context without
    /// adding it to the SID table.
    ///
    /// # Errors
    /// [`PolicyError::NoContext`] if no rule covers the name.
    pub fn service_context_of(&self, name: &str) -> Result<Context, PolicyError> {
        servicecon::lookup(&self.index.db.servicecons, name).cloned().ok_or(PolicyError::NoContext)
    }

    /// Sets a boolean; increments the sequence number so AVCs drop cached
    /// decisions. Returns the new sequence number.
    ///
    /// # Errors
    /// [`PolicyError::UnknownName`] if no such boolean.
    pub fn set_bool(&mut self, name: &str, value: bool) -> Result<u32, PolicyError> {
        self.index.set_bool(name, value)?;
        self.seqno = self.seqno.wrapping_add(1).max(1);
        Ok(self.seqno)
    }

    /// The current value of a boolean.
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        let i = self.index.db.bool_id(name)?;
        self.index.bools.get(i as usize).copied()
    }

    /// All booleans with their current values.
    pub fn bools(&self) -> impl Iterator<Item = (&str, bool)> {
        self.index.db.bools.iter().zip(&self.index.bools).map(|(b, v)| (b.name.as_str(), *v))
    }
}
