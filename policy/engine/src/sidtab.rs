//! The SID table: security context <-> security identifier.
//!
//! SIDs `1..=n` are the policy's initial SIDs in declaration order; later
//! contexts get the next free number when first seen. A SID's identity is
//! its context *string*: on a policy reload every entry is re-resolved
//! against the new policy, so SIDs held by object servers stay meaningful;
//! an entry whose context is no longer valid resolves to `None` and the
//! engine treats it as the `unlabeled` initial SID. The table only grows
//! (as in SELinux); callers bound it by how many contexts they mint.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::db::Context;
use crate::error::PolicyError;
use crate::ids::Sid;

#[derive(Clone, Debug)]
struct Entry {
    text: String,
    ctx: Option<Context>,
}

/// See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct SidTable {
    entries: Vec<Entry>,
    by_text: BTreeMap<String, u32>,
}

impl SidTable {
    /// An empty table.
    pub fn new() -> SidTable {
        SidTable::default()
    }

    /// Number of SIDs issued.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no SID was issued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns the SID of canonical context text `text`, issuing a new one
    /// (resolved to `ctx`) if needed.
    ///
    /// # Errors
    /// [`PolicyError::SidTableFull`] after 2^32 - 1 SIDs.
    pub fn intern(&mut self, text: &str, ctx: Context) -> Result<Sid, PolicyError> {
        if let Some(&s) = self.by_text.get(text) {
            if let Some(e) = self.entries.get_mut(s as usize - 1) {
                e.ctx = Some(ctx);
            }
            return Ok(Sid(s));
        }
        let sid = u32::try_from(self.entries.len() + 1).map_err(|_| PolicyError::SidTableFull)?;
        self.entries.push(Entry { text: text.into(), ctx: Some(ctx) });
        self.by_text.insert(text.into(), sid);
        Ok(Sid(sid))
    }

    /// Issues a new SID for `text` even if one exists (used for initial
    /// SIDs, which keep their numbers even when two share a context).
    ///
    /// # Errors
    /// [`PolicyError::SidTableFull`] after 2^32 - 1 SIDs.
    pub fn push(&mut self, text: &str, ctx: Option<Context>) -> Result<Sid, PolicyError> {
        let sid = u32::try_from(self.entries.len() + 1).map_err(|_| PolicyError::SidTableFull)?;
        self.entries.push(Entry { text: text.into(), ctx });
        self.by_text.entry(text.into()).or_insert(sid);
        Ok(Sid(sid))
    }

    /// Replaces the text and context of an existing SID (initial SIDs on
    /// reload).
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`] if it was never issued.
    pub fn set(&mut self, sid: Sid, text: &str, ctx: Option<Context>) -> Result<(), PolicyError> {
        let i = (sid.0 as usize)
            .checked_sub(1)
            .filter(|i| *i < self.entries.len())
            .ok_or(PolicyError::UnknownSid(sid.0))?;
        self.entries[i] = Entry { text: text.into(), ctx };
        self.by_text.entry(text.into()).or_insert(sid.0);
        Ok(())
    }

    /// The SID already issued for `text`, if any.
    pub fn find(&self, text: &str) -> Option<Sid> {
        self.by_text.get(text).map(|s| Sid(*s))
    }

    /// The context text of `sid`.
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`] if it was never issued.
    pub fn text(&self, sid: Sid) -> Result<&str, PolicyError> {
        self.entry(sid).map(|e| e.text.as_str())
    }

    /// The resolved context of `sid` (`None` if invalid under the current
    /// policy).
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`] if it was never issued.
    pub fn context(&self, sid: Sid) -> Result<Option<&Context>, PolicyError> {
        self.entry(sid).map(|e| e.ctx.as_ref())
    }

    fn entry(&self, sid: Sid) -> Result<&Entry, PolicyError> {
        (sid.0 as usize).checked_sub(1).and_then(|i| self.entries.get(i)).ok_or(PolicyError::UnknownSid(sid.0))
    }

    /// Re-resolves every entry with `resolve` (after a reload).
    pub fn reresolve(&mut self, mut resolve: impl FnMut(&str) -> Option<Context>) {
        for e in &mut self.entries {
            e.ctx = resolve(&e.text);
        }
    }
}
