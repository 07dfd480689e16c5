//! The abstract syntax tree of the policy language (one [`Stmt`] per
//! statement, every name with its position).

use crate::diag::Span;
use crate::prelude::*;

/// A name and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// The text.
    pub text: String,
    /// Position.
    pub span: Span,
}

/// One element of a type set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetItem {
    /// A type, attribute or alias (`-name` excludes it when `neg`).
    Name {
        /// The name.
        name: Name,
        /// Written as `-name` (exclusion).
        neg: bool,
    },
    /// `*`: every type.
    Star(Span),
    /// `self`: the source type itself (targets only).
    SelfRef(Span),
}

/// A type set: `a`, `{ a b -c }`, `~a`, `~{ a b }`, `*`, `self`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeSet {
    /// Items.
    pub items: Vec<SetItem>,
    /// Written with a leading `~` (complement of the whole set).
    pub complement: bool,
    /// Position of the set.
    pub span: Span,
}

/// A permission set: `p`, `{ p q }`, `*`, `~p`, `~{ p q }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermSet {
    /// Named permissions (empty for `*`).
    pub names: Vec<Name>,
    /// `*`.
    pub star: bool,
    /// Leading `~`.
    pub complement: bool,
    /// Position.
    pub span: Span,
}

/// `sens[:cats]`, categories as `(first, last)` spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelAst {
    /// Sensitivity.
    pub sens: Name,
    /// Category items; `(c, None)` is a single category.
    pub cats: Vec<(Name, Option<Name>)>,
}

/// `low[-high]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeAst {
    /// Low level.
    pub low: LevelAst,
    /// High level, if written.
    pub high: Option<LevelAst>,
}

/// `user:role:type[:range]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextAst {
    /// User.
    pub user: Name,
    /// Role.
    pub role: Name,
    /// Type.
    pub ty: Name,
    /// Range.
    pub range: Option<RangeAst>,
    /// Position.
    pub span: Span,
}

/// Access-vector statement kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvKind {
    /// `allow`
    Allow,
    /// `auditallow`
    AuditAllow,
    /// `dontaudit`
    DontAudit,
    /// `neverallow`
    NeverAllow,
}

/// Boolean condition expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CondExpr {
    /// A boolean.
    Bool(Name),
    /// `!e`
    Not(Box<CondExpr>),
    /// Binary operator (`&&`, `||`, `^`, `==`, `!=`).
    Bin(CondOp, Box<CondExpr>, Box<CondExpr>),
}

/// Binary boolean operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondOp {
    /// `&&`
    And,
    /// `||`
    Or,
    /// `^`
    Xor,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

/// Constraint expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsExpr {
    /// `not e`
    Not(Box<ConsExpr>),
    /// `a and b`
    And(Box<ConsExpr>, Box<ConsExpr>),
    /// `a or b`
    Or(Box<ConsExpr>, Box<ConsExpr>),
    /// `OPERAND OP OPERAND` or `OPERAND OP { names }`.
    Cmp {
        /// Left operand keyword (`u1`, `t2`, `l1`, ...).
        left: Name,
        /// Operator (`==`, `!=`, `dom`, `domby`, `eq`, `incomp`).
        op: Name,
        /// Right operand: a keyword or a set of names.
        right: ConsRight,
    },
}

/// Right side of a constraint comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsRight {
    /// Another operand keyword.
    Operand(Name),
    /// A set of names (types may be attributes).
    Names(Vec<Name>),
}

/// A statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    /// Position of its first token.
    pub span: Span,
    /// What it says.
    pub kind: StmtKind,
}

/// Statement kinds; see the language reference for each.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum StmtKind {
    Model(Name),
    Common {
        name: Name,
        perms: Vec<Name>,
    },
    Class {
        name: Name,
        inherits: Option<Name>,
        perms: Vec<Name>,
    },
    Sensitivity {
        name: Name,
        aliases: Vec<Name>,
    },
    Dominance(Vec<Name>),
    Category {
        name: Name,
        aliases: Vec<Name>,
    },
    DefaultLevel(LevelAst),
    Attribute(Name),
    Type {
        name: Name,
        aliases: Vec<Name>,
        attrs: Vec<Name>,
    },
    TypeAttribute {
        ty: Name,
        attrs: Vec<Name>,
    },
    TypeAlias {
        ty: Name,
        aliases: Vec<Name>,
    },
    Bool {
        name: Name,
        default: bool,
    },
    Av {
        kind: AvKind,
        src: TypeSet,
        tgt: TypeSet,
        classes: Vec<Name>,
        perms: PermSet,
    },
    TypeTransition {
        src: TypeSet,
        tgt: TypeSet,
        classes: Vec<Name>,
        new: Name,
        object: Option<Name>,
    },
    Role {
        name: Name,
        types: Option<TypeSet>,
    },
    RoleAllow {
        from: Vec<Name>,
        to: Vec<Name>,
    },
    User {
        name: Name,
        roles: Option<Vec<Name>>,
        level: Option<LevelAst>,
        range: Option<RangeAst>,
    },
    Constrain {
        mls: bool,
        classes: Vec<Name>,
        perms: PermSet,
        expr: ConsExpr,
    },
    MlsTrusted(TypeSet),
    If {
        cond: CondExpr,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
    },
    FileCon {
        pattern: Name,
        kind: Option<Name>,
        ctx: Option<ContextAst>,
    },
    PortCon {
        proto: Name,
        low: u64,
        high: u64,
        ctx: ContextAst,
    },
    ServiceCon {
        pattern: Name,
        ctx: ContextAst,
    },
    Sid {
        name: Name,
        ctx: ContextAst,
    },
    PermFlow {
        class: Name,
        perms: PermSet,
        dir: Name,
        weight: Option<(u64, Span)>,
    },
    AssertNoFlow {
        from: Name,
        to: Name,
        except: Option<TypeSet>,
    },
    /// `role_transition ROLES TYPES [: CLASSES] NEW_ROLE;` (no classes:
    /// `process`).
    RoleTransition {
        roles: Vec<Name>,
        types: TypeSet,
        classes: Vec<Name>,
        new: Name,
    },
    /// `range_transition SRC TGT [: CLASSES] RANGE;` (no classes:
    /// `process`).
    RangeTransition {
        src: TypeSet,
        tgt: TypeSet,
        classes: Vec<Name>,
        range: RangeAst,
    },
    /// `typebounds PARENT CHILD[, CHILD...];`
    TypeBounds {
        parent: Name,
        children: Vec<Name>,
    },
    /// `validatetrans CLASSES EXPR;` / `mlsvalidatetrans`.
    ValidateTrans {
        mls: bool,
        classes: Vec<Name>,
        expr: ConsExpr,
    },
}
