//! Pluggable decision models.
//!
//! A model turns a pair of security contexts and a class into an access
//! decision, decides the context of new objects and processes, and says
//! which contexts are valid. The binary policy records the model's name; a
//! [`ModelRegistry`] maps names to implementations, so a new model is one
//! `impl PolicyModel` plus one `register` call in the loader — no other
//! component (security server, AVC, object servers) changes.
//!
//! Built-in models:
//! - [`AllowAll`] (`allow-all`): grants everything, audits nothing.
//! - [`Te`] (`te`): type enforcement + RBAC + `constrain`.
//! - [`Mls`] (`mls`): `te` + Bell-LaPadula confidentiality + `mlsconstrain`.
//! - [`Biba`] (`biba`): `te` + Biba strict integrity + `mlsconstrain`.
//!
//! Every model also declares, through [`PolicyModel::grants`], what it may
//! grant beyond the policy's `allow` rules ([`Grants`]); the static
//! analyses (`polc check`, `flow`, `prove`) use that declaration and refuse
//! models that make none.

mod allow_all;
mod biba;
mod grants;
mod lattice;
mod mls;
pub mod te;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

pub use allow_all::AllowAll;
pub use biba::Biba;
pub use grants::{ExtraGrant, Grants};
pub use mls::Mls;
pub use te::Te;

use crate::db::{Context, PolicyDb};
use crate::error::PolicyError;
use crate::ids::AccessVector;
use crate::index::PolicyIndex;

/// The outcome of `compute_av` for one (source, target, class) triple.
///
/// `allowed` is the set of granted permissions; a granted permission in
/// `auditallow` is audited; a denied permission in `auditdeny` is audited
/// (`auditdeny` starts as all ones and `dontaudit` rules clear bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct AccessDecision {
    /// Granted permissions.
    pub allowed: AccessVector,
    /// Granted permissions to audit.
    pub auditallow: AccessVector,
    /// Denied permissions to audit.
    pub auditdeny: AccessVector,
    /// Policy sequence number the decision was computed under.
    pub seqno: u32,
}

/// A decision model. Implementations must be pure functions of their
/// arguments (no hidden state), so that decisions can be cached by the AVC
/// until the policy sequence number changes.
///
/// Every method must tolerate any context the [`crate::SidTable`] holds
/// (ids validated against the policy) and any class number (unknown classes
/// get an empty decision); none may panic.
pub trait PolicyModel: Send + Sync {
    /// The name recorded in binary policies (`model NAME;` in the source).
    fn name(&self) -> &str;

    /// Rejects a policy the model cannot work with (e.g. a lattice model
    /// without sensitivities). Called once at load.
    ///
    /// # Errors
    /// [`PolicyError::Invalid`] explaining what is missing.
    fn check_policy(&self, p: &PolicyIndex) -> Result<(), PolicyError> {
        let _ = p;
        Ok(())
    }

    /// Decides whether a syntactically correct context is valid.
    ///
    /// The default is type enforcement's rule ([`te::te_validate`]: the
    /// user may take the role, the role may enter the type), which the
    /// lattice models keep; a model with other authorisations overrides it.
    ///
    /// # Errors
    /// [`PolicyError::InvalidContext`] saying which authorisation fails.
    fn validate_context(&self, p: &PolicyIndex, c: &Context) -> Result<(), PolicyError> {
        te::te_validate(p, c)
    }

    /// Declares what the model may grant beyond the `allow` rules of `db`,
    /// for every boolean setting and every pair of contexts: the upper
    /// bound static analyses use (see [`Grants`] for the exact contract).
    /// It gets the database, not the index, because the declaration must
    /// hold whatever the booleans' current values.
    ///
    /// The default is [`Grants::Unknown`]: the model still runs, but
    /// `polc check`, `flow` and `prove` refuse policies using it. A model
    /// that only ever removes permissions from what [`te::te_av`] grants
    /// returns [`Grants::SubsetOfRules`]; one that adds permissions lists
    /// them ([`Grants::Extra`], over-approximating is fine) or returns
    /// [`Grants::Everything`]. Declaring less than the model grants makes
    /// the analyses unsound, so a model's tests should check its
    /// declaration against `compute_av` (as the built-in ones are, in
    /// `policy/analysis/tests/models.rs`).
    fn grants(&self, db: &PolicyDb) -> Grants {
        let _ = db;
        Grants::Unknown
    }

    /// Decides a relabel: may `task` change an object of `class` from
    /// context `old` to `new`? The default evaluates the policy's
    /// `validatetrans` statements (not `mlsvalidatetrans`, which lattice
    /// models add); `true` when none applies. Access permissions
    /// (`relabelfrom`, `relabelto`) are decided by [`PolicyModel::compute_av`].
    fn validate_trans(&self, p: &PolicyIndex, old: &Context, new: &Context, task: &Context, class: u16) -> bool {
        te::validatetrans_holds(p, old, new, task, class, false)
    }

    /// Computes the access decision (with `seqno` 0; the engine fills it).
    fn compute_av(&self, p: &PolicyIndex, s: &Context, t: &Context, class: u16) -> AccessDecision;

    /// Computes the context of a new object of `class` created by `s`
    /// under (or, for `process`, by executing) `t`, with optional final
    /// path component `name`.
    ///
    /// The default labels as type enforcement does ([`te::te_create`]:
    /// type transitions, named transitions, the creator's user and role,
    /// the level of the creator) and then validates the result with
    /// [`PolicyModel::validate_context`].
    ///
    /// # Errors
    /// [`PolicyError::InvalidContext`] if the resulting context is not valid
    /// (e.g. the role may not enter the new type);
    /// [`PolicyError::UnknownClass`] for an unknown class.
    fn compute_create(
        &self,
        p: &PolicyIndex,
        s: &Context,
        t: &Context,
        class: u16,
        name: Option<&str>,
    ) -> Result<Context, PolicyError> {
        let c = te::te_create(p, s, t, class, name)?;
        self.validate_context(p, &c)?;
        Ok(c)
    }
}

/// A constructor for a model.
pub type ModelCtor = fn() -> Box<dyn PolicyModel>;

/// Maps model names (as recorded in binary policies) to constructors.
#[derive(Clone)]
pub struct ModelRegistry {
    entries: Vec<(String, ModelCtor)>,
}

impl Default for ModelRegistry {
    fn default() -> Self {
        ModelRegistry::builtin()
    }
}

impl ModelRegistry {
    /// A registry with no models.
    pub fn empty() -> ModelRegistry {
        ModelRegistry { entries: Vec::new() }
    }

    /// A registry with `allow-all`, `te`, `mls` and `biba`.
    pub fn builtin() -> ModelRegistry {
        let mut r = ModelRegistry::empty();
        r.register("allow-all", || Box::new(AllowAll));
        r.register("te", || Box::new(Te));
        r.register("mls", || Box::new(Mls));
        r.register("biba", || Box::new(Biba));
        r
    }

    /// Adds (or replaces) the model called `name`.
    pub fn register(&mut self, name: &str, ctor: ModelCtor) {
        self.entries.retain(|(n, _)| n != name);
        self.entries.push((name.into(), ctor));
    }

    /// Instantiates the model called `name`.
    ///
    /// # Errors
    /// [`PolicyError::UnknownModel`] if it is not registered.
    pub fn create(&self, name: &str) -> Result<Box<dyn PolicyModel>, PolicyError> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c())
            .ok_or_else(|| PolicyError::UnknownModel(name.into()))
    }

    /// The registered names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }
}
