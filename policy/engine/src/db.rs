//! The compiled (binary) policy: plain data produced by `policy-compiler`
//! and consumed by the decision engine and the analysis tools.
//!
//! Numbering: classes are numbered from 1 ([`crate::ClassId`]); types,
//! roles, users, booleans, sensitivities and categories are indexes into
//! their vectors. Types and attributes share one index space
//! ([`PolicyDb::types`]); rules may name either, and an attribute matches
//! every type that has it. Source positions ([`Origin`]) are optional debug
//! information used by the analysis tools to point at the policy source.
//!
//! Nothing here is trusted after decoding: [`crate::codec::decode`] runs
//! [`crate::validate::validate`] before anyone indexes these vectors.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::ids::{AccessVector, FileKind, FlowDir, Protocol};
pub use crate::labeling::{RangeTransition, RoleTransition, TypeBounds, ValidateTrans};
use crate::mls::{Level, LevelOp, MlsRange};

/// A position in the policy source: file index into [`PolicyDb::files`],
/// 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Origin {
    /// Index into [`PolicyDb::files`].
    pub file: u16,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub col: u32,
}

/// An object class and its permissions (common ones first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassDef {
    /// Class name, e.g. `file`.
    pub name: String,
    /// The `common` it inherits, if any (for display only).
    pub common: Option<String>,
    /// Permission names; bit `i` of an access vector is `perms[i]`.
    pub perms: Vec<String>,
}

/// A type or an attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDef {
    /// Name, e.g. `httpd_t` or `domain`.
    pub name: String,
    /// True for attributes (sets of types), false for concrete types.
    pub attribute: bool,
    /// Other names for a concrete type.
    pub aliases: Vec<String>,
    /// For a concrete type: the attributes it has (sorted). Empty for
    /// attributes.
    pub attrs: Vec<u32>,
}

/// A role and the concrete types it may enter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDef {
    /// Name, e.g. `user_r`.
    pub name: String,
    /// Concrete types authorised for the role (sorted).
    pub types: Vec<u32>,
}

/// A user and its authorised roles and MLS range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDef {
    /// Name, e.g. `system_u`.
    pub name: String,
    /// Authorised roles (sorted).
    pub roles: Vec<u32>,
    /// Default (login) level, MLS/Biba policies only.
    pub default_level: Option<Level>,
    /// Authorised range, MLS/Biba policies only.
    pub range: Option<MlsRange>,
}

/// A sensitivity or category name with its aliases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    /// Primary name, e.g. `s0`.
    pub name: String,
    /// Aliases, e.g. `unclassified`.
    pub aliases: Vec<String>,
}

/// The MLS (or Biba integrity) lattice of an MLS-enabled policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlsDefs {
    /// Sensitivities in dominance order (index 0 is lowest).
    pub sensitivities: Vec<Named>,
    /// Categories; a category's number is its index.
    pub categories: Vec<Named>,
    /// The level given to a context written without one.
    pub default_level: Level,
    /// Concrete types exempt from the model's built-in lattice rules (they
    /// remain subject to `mlsconstrain`). Sorted.
    pub trusted: Vec<u32>,
}

/// The kind of an access-vector rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RuleKind {
    /// `allow`: grant.
    Allow,
    /// `auditallow`: audit when granted.
    AuditAllow,
    /// `dontaudit`: do not audit when denied.
    DontAudit,
}

impl RuleKind {
    /// The policy-language keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            RuleKind::Allow => "allow",
            RuleKind::AuditAllow => "auditallow",
            RuleKind::DontAudit => "dontaudit",
        }
    }
}

/// One access-vector rule after set expansion: one source type or
/// attribute, one target type or attribute, one class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvRule {
    /// Rule kind.
    pub kind: RuleKind,
    /// Source type or attribute.
    pub src: u32,
    /// Target type or attribute.
    pub tgt: u32,
    /// Class number (1-based).
    pub class: u16,
    /// Permissions.
    pub perms: AccessVector,
    /// Where the rule was written.
    pub origin: Option<Origin>,
}

/// One node of a boolean expression in reverse Polish notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CondNode {
    /// Push the value of boolean `i`.
    Bool(u32),
    /// Negate the top.
    Not,
    /// Pop two, push conjunction.
    And,
    /// Pop two, push disjunction.
    Or,
    /// Pop two, push exclusive or.
    Xor,
    /// Pop two, push equality.
    Eq,
    /// Pop two, push inequality.
    Ne,
}

/// A conditional block: `if (expr) { if_true } else { if_false }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CondBlock {
    /// The condition, RPN.
    pub expr: Vec<CondNode>,
    /// Rules active when the condition is true.
    pub if_true: Vec<AvRule>,
    /// Rules active when the condition is false.
    pub if_false: Vec<AvRule>,
    /// Where the `if` was written.
    pub origin: Option<Origin>,
}

/// A boolean declared with `bool name default;`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoolDef {
    /// Name.
    pub name: String,
    /// Value at load time.
    pub default: bool,
}

/// A `type_transition` after expansion to concrete source and target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeTransition {
    /// Concrete source (creating or executing domain).
    pub src: u32,
    /// Concrete target (executable file type, or parent directory type).
    pub tgt: u32,
    /// Class of the new object (`process` for exec transitions).
    pub class: u16,
    /// Optional final path component the rule is limited to.
    pub name: Option<String>,
    /// The new object's (or new process's) type.
    pub new_type: u32,
    /// Where the rule was written.
    pub origin: Option<Origin>,
}

/// Which context of a constraint an operand names: the source (`1`),
/// the target (`2`), or in `validatetrans` the old context (`1`), the new
/// one (`2`) and the relabelling task (`3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// `u1`, `r1`, `t1`, `l1`, `h1`.
    Source,
    /// `u2`, `r2`, `t2`, `l2`, `h2`.
    Target,
    /// `u3`, `r3`, `t3`: the task (only in `validatetrans`).
    Task,
}

/// A level operand of `mlsconstrain`: `l1 h1 l2 h2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelRef {
    /// Whose range.
    pub side: Side,
    /// `true` for the high level (`h`), `false` for the low (`l`).
    pub high: bool,
}

/// Which context field a name comparison looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    /// The user.
    User,
    /// The role.
    Role,
    /// The type.
    Type,
}

/// One node of a constraint expression, RPN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsNode {
    /// Negate the top.
    Not,
    /// Pop two, push conjunction.
    And,
    /// Pop two, push disjunction.
    Or,
    /// `u1 == u2` / `r1 == r2` / `t1 == t2` (or `!=` when `negate`).
    SameField {
        /// Field compared.
        field: Field,
        /// True for `!=`.
        negate: bool,
    },
    /// `t1 == { set }` etc.: the field of `side` is one of `ids`
    /// (for types, concrete types after attribute expansion).
    FieldIn {
        /// Field compared.
        field: Field,
        /// Which context.
        side: Side,
        /// Sorted ids.
        ids: Vec<u32>,
        /// True for `!=`.
        negate: bool,
    },
    /// `l1 dom h2` and friends.
    Levels {
        /// Left operand.
        left: LevelRef,
        /// Comparison.
        op: LevelOp,
        /// Right operand.
        right: LevelRef,
    },
}

/// A `constrain` or `mlsconstrain` statement for one class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// Class number.
    pub class: u16,
    /// Permissions the constraint restricts.
    pub perms: AccessVector,
    /// Expression, RPN; permissions are removed when it is false.
    pub expr: Vec<ConsNode>,
    /// True for `mlsconstrain` (only evaluated by lattice models).
    pub mls: bool,
    /// Where it was written.
    pub origin: Option<Origin>,
}

/// A compiled security context (ids, not names).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Context {
    /// User index.
    pub user: u32,
    /// Role index.
    pub role: u32,
    /// Concrete type index.
    pub ty: u32,
    /// MLS range; `Some` exactly when the policy is MLS-enabled.
    pub range: Option<MlsRange>,
}

/// A `filecon` rule. Lookup takes the first rule (in this order) whose
/// anchored regular expression matches the whole path and whose kind, if
/// any, matches; the compiler orders rules most specific first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCon {
    /// Regular expression over the whole path (anchored at both ends).
    pub pattern: String,
    /// Restrict to this kind of file, or any.
    pub kind: Option<FileKind>,
    /// The context, or `None` for `<<none>>` (leave unlabeled).
    pub context: Option<Context>,
    /// Where it was written.
    pub origin: Option<Origin>,
}

/// A `portcon` rule over an inclusive port range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortCon {
    /// Protocol.
    pub proto: Protocol,
    /// First port.
    pub low: u16,
    /// Last port (inclusive).
    pub high: u16,
    /// The port's context.
    pub context: Context,
    /// Where it was written.
    pub origin: Option<Origin>,
}

/// A `servicecon` rule: a service name (or a prefix ending in `*`) and the
/// context `service register` is checked against
/// ([`crate::servicecon::lookup`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCon {
    /// The name, or a prefix followed by `*`.
    pub pattern: String,
    /// The name's context.
    pub context: Context,
    /// Where it was written.
    pub origin: Option<Origin>,
}

/// A named initial SID (`sid kernel system_u:system_r:kernel_t;`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitialSid {
    /// Name, e.g. `kernel`, `unlabeled`.
    pub name: String,
    /// Its context.
    pub context: Context,
}

/// A `permflow` statement: the information-flow direction and weight
/// (1..=10) of some permissions of a class, overriding the built-in map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermFlow {
    /// Class number.
    pub class: u16,
    /// Permissions.
    pub perms: AccessVector,
    /// Direction.
    pub dir: FlowDir,
    /// Weight, 1 (covert-ish) to 10 (direct data transfer).
    pub weight: u8,
}

/// A `neverallow` after expansion to concrete types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeverAllow {
    /// Concrete source types (sorted).
    pub src: Vec<u32>,
    /// Concrete target types (sorted).
    pub tgt: Vec<u32>,
    /// True if `self` was among the targets (each source on itself).
    pub tgt_self: bool,
    /// Class number.
    pub class: u16,
    /// Forbidden permissions.
    pub perms: AccessVector,
    /// The statement as written (for reports).
    pub text: String,
    /// Where it was written.
    pub origin: Option<Origin>,
}

/// An `assert noflow A -> B;` statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowAssertion {
    /// Name written for the source (type or attribute).
    pub from_name: String,
    /// Name written for the sink.
    pub to_name: String,
    /// Concrete source types (sorted).
    pub from: Vec<u32>,
    /// Concrete sink types (sorted).
    pub to: Vec<u32>,
    /// Names written in the `except` clause (for reports).
    pub except_names: Vec<String>,
    /// Concrete types a path may not pass through (trusted mediators such
    /// as object managers), sorted. Sources and sinks are never excluded.
    pub except: Vec<u32>,
    /// Where it was written.
    pub origin: Option<Origin>,
}

/// A whole compiled policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDb {
    /// The decision model's registered name (`allow-all`, `te`, `mls`,
    /// `biba`, or any model registered by the loader).
    pub model: String,
    /// Source file names, for [`Origin::file`].
    pub files: Vec<String>,
    /// Classes; class number `n` is `classes[n - 1]`.
    pub classes: Vec<ClassDef>,
    /// Types and attributes.
    pub types: Vec<TypeDef>,
    /// Roles.
    pub roles: Vec<RoleDef>,
    /// Users.
    pub users: Vec<UserDef>,
    /// `allow ROLE ROLE;` pairs: a process may change from the first role to
    /// the second on a transition.
    pub role_allows: Vec<(u32, u32)>,
    /// The lattice, for MLS-enabled policies.
    pub mls: Option<MlsDefs>,
    /// Booleans.
    pub bools: Vec<BoolDef>,
    /// Unconditional access-vector rules.
    pub rules: Vec<AvRule>,
    /// Conditional rules.
    pub conds: Vec<CondBlock>,
    /// Type transitions.
    pub transitions: Vec<TypeTransition>,
    /// `constrain` and `mlsconstrain`.
    pub constraints: Vec<Constraint>,
    /// File contexts, most specific first.
    pub filecons: Vec<FileCon>,
    /// Port contexts.
    pub portcons: Vec<PortCon>,
    /// Initial SIDs, in declaration order (SID `i + 1`).
    pub initial_sids: Vec<InitialSid>,
    /// Permission-map overrides.
    pub permflows: Vec<PermFlow>,
    /// Neverallow assertions (not used for decisions).
    pub neverallows: Vec<NeverAllow>,
    /// Information-flow assertions (not used for decisions).
    pub assertions: Vec<FlowAssertion>,
    /// Service-name contexts.
    pub servicecons: Vec<ServiceCon>,
    /// `role_transition` rules.
    pub role_transitions: Vec<RoleTransition>,
    /// `range_transition` rules.
    pub range_transitions: Vec<RangeTransition>,
    /// `typebounds` pairs.
    pub bounds: Vec<TypeBounds>,
    /// `validatetrans` and `mlsvalidatetrans`.
    pub validatetrans: Vec<ValidateTrans>,
}

impl PolicyDb {
    /// An empty policy for `model` (no classes, types or rules).
    pub fn empty(model: &str) -> PolicyDb {
        PolicyDb {
            model: model.into(),
            files: Vec::new(),
            classes: Vec::new(),
            types: Vec::new(),
            roles: Vec::new(),
            users: Vec::new(),
            role_allows: Vec::new(),
            mls: None,
            bools: Vec::new(),
            rules: Vec::new(),
            conds: Vec::new(),
            transitions: Vec::new(),
            constraints: Vec::new(),
            filecons: Vec::new(),
            portcons: Vec::new(),
            initial_sids: Vec::new(),
            permflows: Vec::new(),
            neverallows: Vec::new(),
            assertions: Vec::new(),
            servicecons: Vec::new(),
            role_transitions: Vec::new(),
            range_transitions: Vec::new(),
            bounds: Vec::new(),
            validatetrans: Vec::new(),
        }
    }

    /// The class with number `c`, if any.
    pub fn class(&self, c: u16) -> Option<&ClassDef> {
        usize::from(c).checked_sub(1).and_then(|i| self.classes.get(i))
    }

    /// The number of the class called `name`.
    pub fn class_id(&self, name: &str) -> Option<u16> {
        let i = self.classes.iter().position(|c| c.name == name)?;
        u16::try_from(i + 1).ok()
    }

    /// The bit of permission `perm` in class `c`.
    pub fn perm_bit(&self, c: u16, perm: &str) -> Option<AccessVector> {
        let i = self.class(c)?.perms.iter().position(|p| p == perm)?;
        1u32.checked_shl(u32::try_from(i).ok()?)
    }

    /// The names of the permissions in `av` for class `c`.
    pub fn perm_names(&self, c: u16, av: AccessVector) -> Vec<&str> {
        match self.class(c) {
            Some(cd) => cd
                .perms
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 32 && av & (1 << i) != 0)
                .map(|(_, p)| p.as_str())
                .collect(),
            None => Vec::new(),
        }
    }

    /// The index of the type, attribute or alias called `name`.
    pub fn type_id(&self, name: &str) -> Option<u32> {
        let i = self.types.iter().position(|t| t.name == name || t.aliases.iter().any(|a| a == name))?;
        u32::try_from(i).ok()
    }

    /// The name of type or attribute `t` (`"?"` if out of range).
    pub fn type_name(&self, t: u32) -> &str {
        self.types.get(t as usize).map_or("?", |t| t.name.as_str())
    }

    /// The concrete types an id stands for: itself for a type, its members
    /// for an attribute (sorted).
    pub fn expand_type(&self, t: u32) -> Vec<u32> {
        match self.types.get(t as usize) {
            Some(d) if d.attribute => (0..self.types.len())
                .filter(|&i| self.types[i].attrs.contains(&t))
                .filter_map(|i| u32::try_from(i).ok())
                .collect(),
            Some(_) => alloc::vec![t],
            None => Vec::new(),
        }
    }

    /// The index of the role called `name`.
    pub fn role_id(&self, name: &str) -> Option<u32> {
        let i = self.roles.iter().position(|r| r.name == name)?;
        u32::try_from(i).ok()
    }

    /// The index of the user called `name`.
    pub fn user_id(&self, name: &str) -> Option<u32> {
        let i = self.users.iter().position(|u| u.name == name)?;
        u32::try_from(i).ok()
    }

    /// The index of the boolean called `name`.
    pub fn bool_id(&self, name: &str) -> Option<u32> {
        let i = self.bools.iter().position(|b| b.name == name)?;
        u32::try_from(i).ok()
    }

    /// A human-readable `file:line:col` for an origin (or `<unknown>`).
    pub fn origin_string(&self, o: Option<Origin>) -> String {
        match o {
            Some(o) => alloc::format!(
                "{}:{}:{}",
                self.files.get(usize::from(o.file)).map_or("?", |s| s.as_str()),
                o.line,
                o.col
            ),
            None => String::from("<unknown>"),
        }
    }
}
