//! Binary policy encoding: an 8-byte magic, a little-endian `u32` format
//! version, then the [`PolicyDb`] serialised with `postcard`.
//!
//! [`decode`] treats its input as hostile: any truncation, malformed varint,
//! trailing garbage or inconsistent index is an error, never a panic.

use alloc::vec::Vec;

use crate::db::PolicyDb;
use crate::error::PolicyError;

/// The first eight bytes of every binary policy.
pub const MAGIC: [u8; 8] = *b"RMPTPOL\0";

/// The binary format version this crate reads and writes (2: service-name
/// contexts, `servicecon`; 3: `role_transition`, `range_transition`,
/// `typebounds`, `validatetrans`).
pub const FORMAT_VERSION: u32 = 3;

/// Encodes a policy as header + postcard body.
///
/// # Errors
/// [`PolicyError::Malformed`] if serialisation fails (it cannot for a
/// `PolicyDb` in memory, but the error is propagated rather than unwrapped).
pub fn encode(db: &PolicyDb) -> Result<Vec<u8>, PolicyError> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let body = postcard::to_allocvec(db).map_err(|_| PolicyError::Malformed("encode failed"))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// True if `bytes` starts with the binary policy magic.
pub fn is_binary_policy(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// Decodes and validates a binary policy.
///
/// # Errors
/// [`PolicyError::BadMagic`], [`PolicyError::UnsupportedVersion`],
/// [`PolicyError::Malformed`] (postcard failure or trailing bytes) and
/// [`PolicyError::Invalid`] (see [`crate::validate::validate`]).
pub fn decode(bytes: &[u8]) -> Result<PolicyDb, PolicyError> {
    let rest = bytes.strip_prefix(&MAGIC).ok_or(PolicyError::BadMagic)?;
    let (ver, body) = rest.split_first_chunk::<4>().ok_or(PolicyError::Malformed("truncated header"))?;
    let ver = u32::from_le_bytes(*ver);
    if ver != FORMAT_VERSION {
        return Err(PolicyError::UnsupportedVersion(ver));
    }
    let (db, tail): (PolicyDb, &[u8]) =
        postcard::take_from_bytes(body).map_err(|_| PolicyError::Malformed("bad body"))?;
    if !tail.is_empty() {
        return Err(PolicyError::Malformed("trailing bytes"));
    }
    crate::validate::validate(&db)?;
    Ok(db)
}
