//! The engine's error type.

use alloc::string::String;
use core::fmt;

/// Everything the engine can refuse. Every fallible public function returns
/// this instead of panicking, including on hostile input (binary policy
/// bytes, context strings and ids received over IPC).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// The bytes do not start with [`crate::codec::MAGIC`].
    BadMagic,
    /// The binary format version is not [`crate::codec::FORMAT_VERSION`].
    UnsupportedVersion(u32),
    /// The body failed to decode (truncated, malformed or trailing bytes).
    Malformed(&'static str),
    /// The body decoded but is inconsistent (an index out of range, ...).
    Invalid(String),
    /// The policy names a model the loader does not know.
    UnknownModel(String),
    /// A context string is not `user:role:type[:range]` over known names.
    BadContext(String),
    /// A context is well formed but not valid under the model
    /// (role not authorised for the user, type not for the role, range
    /// outside the user's clearance, ...).
    InvalidContext(String),
    /// A SID that the table never issued.
    UnknownSid(u32),
    /// A class number the policy does not define.
    UnknownClass(u16),
    /// A name (class, permission, boolean, ...) the policy does not define.
    UnknownName(String),
    /// No file or port context rule matched.
    NoContext,
    /// The SID table is at its capacity ([`crate::SidTable::capacity`]).
    SidTableFull,
    /// An initial SID: it is never released.
    PinnedSid(u32),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::BadMagic => write!(f, "not a Rampart binary policy (bad magic)"),
            PolicyError::UnsupportedVersion(v) => {
                write!(f, "unsupported binary policy format version {v}")
            }
            PolicyError::Malformed(m) => write!(f, "malformed binary policy: {m}"),
            PolicyError::Invalid(m) => write!(f, "inconsistent binary policy: {m}"),
            PolicyError::UnknownModel(m) => write!(f, "unknown policy model `{m}`"),
            PolicyError::BadContext(m) => write!(f, "bad security context: {m}"),
            PolicyError::InvalidContext(m) => write!(f, "invalid security context: {m}"),
            PolicyError::UnknownSid(s) => write!(f, "unknown SID {s}"),
            PolicyError::UnknownClass(c) => write!(f, "unknown class number {c}"),
            PolicyError::UnknownName(n) => write!(f, "unknown name `{n}`"),
            PolicyError::NoContext => write!(f, "no context rule matches"),
            PolicyError::SidTableFull => write!(f, "SID table full"),
            PolicyError::PinnedSid(s) => write!(f, "SID {s} is an initial SID and is never released"),
        }
    }
}

impl core::error::Error for PolicyError {}
