//! Register-only messages: a request or response whose postcard encoding
//! fits in the four register message words (32 bytes) travels without the
//! IPC buffer and without the general codec's 960-byte staging buffers, so
//! the common calls stay on the kernel's IPC fast path (docs/kernel.md,
//! "IPC fast path"). The encoding is exactly [`crate::codec`]'s (label
//! `PROTOCOL_POSTCARD | length`, bytes little-endian in MR0..MR3), so either
//! side of a protocol may use either codec.

use crate::codec::{CodecError, LENGTH_MASK, PROTOCOL_POSTCARD, decode_bytes, is_postcard};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bytes that fit in the register words.
pub const SMALL_BYTES: usize = 32;

/// Encodes `v` into at most four words: `(label, words, words used)`;
/// `None` if the encoding is longer (use the general codec).
#[inline]
pub fn encode4<T: Serialize + ?Sized>(v: &T) -> Option<(u64, [u64; 4], usize)> {
    let mut b = [0u8; SMALL_BYTES];
    let n = postcard::to_slice(v, &mut b).ok()?.len();
    let mut w = [0u64; 4];
    for (i, x) in w.iter_mut().enumerate().take(n.div_ceil(8)) {
        let mut c = [0u8; 8];
        c.copy_from_slice(&b[i * 8..i * 8 + 8]);
        *x = u64::from_le_bytes(c);
    }
    Some((PROTOCOL_POSTCARD | n as u64, w, n.div_ceil(8)))
}

/// Decodes a message of at most [`SMALL_BYTES`] bytes from the register
/// words.
///
/// # Errors
/// [`CodecError::NotPostcard`], [`CodecError::TooLong`] (longer than the
/// registers: use the general codec), or the decoding errors of
/// [`decode_bytes`](crate::codec::decode_bytes).
#[inline]
pub fn decode4<T: DeserializeOwned>(label: u64, w: &[u64; 4]) -> Result<T, CodecError> {
    if !is_postcard(label) {
        return Err(CodecError::NotPostcard);
    }
    let n = (label & LENGTH_MASK) as usize;
    if n > SMALL_BYTES {
        return Err(CodecError::TooLong);
    }
    let mut b = [0u8; SMALL_BYTES];
    for (i, x) in w.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&x.to_le_bytes());
    }
    decode_bytes(&b[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{MAX_WORDS, encode};
    use alloc::string::String;

    #[test]
    fn same_bytes_as_the_general_codec() {
        let v = (u32::MAX, String::from("security"), u16::MAX);
        let (l, w, n) = encode4(&v).unwrap();
        let mut g = [0u64; MAX_WORDS];
        let (gl, gn) = encode(&v, &mut g).unwrap();
        assert_eq!((l, n), (gl, gn));
        assert_eq!(&w[..n], &g[..n]);
        assert_eq!(decode4::<(u32, String, u16)>(l, &w).unwrap(), v);
    }

    #[test]
    fn limits() {
        assert!(encode4(&"x".repeat(40)).is_none());
        let (_, w, _) = encode4(&7u8).unwrap();
        assert_eq!(decode4::<u8>(PROTOCOL_POSTCARD | 33, &w), Err(CodecError::TooLong));
        assert_eq!(decode4::<u8>(5, &w), Err(CodecError::NotPostcard));
        // A length shorter than the value's encoding is a decoding error, not a panic.
        let (_, w, _) = encode4(&u64::MAX).unwrap();
        assert!(decode4::<u64>(PROTOCOL_POSTCARD | 2, &w).is_err());
    }
}
