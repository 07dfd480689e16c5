//! Error codes returned by system calls and object invocations.
//!
//! The numbering follows seL4's `seL4_Error` (seL4 Reference Manual §10.1,
//! "Errors") so that tools and documentation written for seL4 apply. On
//! return from an invocation the error code is the `label` of the reply
//! [`MessageInfo`](crate::MessageInfo); 0 means success. For errors that
//! name an argument, message register 0 carries the argument's index (as in
//! seL4's `InvalidArgument`, `InvalidCapability`, `RangeError`, `FailedLookup`).

/// An invocation error. `#[repr(u64)]` values are ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Error {
    /// An argument is out of its valid set (MR0: argument index).
    InvalidArgument = 1,
    /// A capability argument is of the wrong type or invalid (MR0: index).
    InvalidCapability = 2,
    /// The operation is not allowed in the object's current state, or the
    /// invoked capability lacks a right the operation needs.
    IllegalOperation = 3,
    /// A numeric argument is outside a range (MR0/MR1: min, max).
    RangeError = 4,
    /// An argument violates an alignment requirement.
    AlignmentError = 5,
    /// A capability lookup failed (MR0: 1 if it was the source slot).
    FailedLookup = 6,
    /// The message is shorter than the invocation requires.
    TruncatedMessage = 7,
    /// The destination slot is not empty.
    DeleteFirst = 8,
    /// The capability has derived children that must be revoked first.
    RevokeFirst = 9,
    /// The untyped object has too little free memory left (MR0: bytes left).
    NotEnoughMemory = 10,
}

impl Error {
    /// Decodes a reply label; returns `None` for 0 (success) or an unknown code.
    pub const fn from_label(label: u64) -> Option<Error> {
        Some(match label {
            1 => Error::InvalidArgument,
            2 => Error::InvalidCapability,
            3 => Error::IllegalOperation,
            4 => Error::RangeError,
            5 => Error::AlignmentError,
            6 => Error::FailedLookup,
            7 => Error::TruncatedMessage,
            8 => Error::DeleteFirst,
            9 => Error::RevokeFirst,
            10 => Error::NotEnoughMemory,
            _ => return None,
        })
    }

    /// A short human-readable description, for diagnostics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::InvalidArgument => "invalid argument",
            Error::InvalidCapability => "invalid capability",
            Error::IllegalOperation => "illegal operation",
            Error::RangeError => "range error",
            Error::AlignmentError => "alignment error",
            Error::FailedLookup => "failed lookup",
            Error::TruncatedMessage => "truncated message",
            Error::DeleteFirst => "delete first",
            Error::RevokeFirst => "revoke first",
            Error::NotEnoughMemory => "not enough memory",
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_round_trip() {
        for code in 1..=10u64 {
            let e = Error::from_label(code).expect("known code");
            assert_eq!(e as u64, code);
        }
        assert_eq!(Error::from_label(0), None);
        assert_eq!(Error::from_label(11), None);
        assert_eq!(Error::from_label(u64::MAX), None);
    }
}
