//! Register-only messages (the same as `rampart_secsrv_api::small`): a
//! request or response whose postcard encoding fits in the four register
//! message words (32 bytes) travels without the general codec's 960-byte
//! staging buffers. The encoding is exactly `rampart_uabi::codec`'s (label
//! `PROTOCOL_POSTCARD | length`, bytes little-endian in MR0..MR3), so either
//! side may use either codec.

use rampart_uabi::codec::{CodecError, LENGTH_MASK, PROTOCOL_POSTCARD, decode_bytes, is_postcard};
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
/// `rampart_uabi::codec::decode_bytes`.
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
    use crate::{Request, Response};
    use rampart_uabi::codec::PROTOCOL_POSTCARD;

    #[test]
    fn round_trip_and_limits() {
        let req = Request::Connect { name: "security".into() };
        let (l, w, _) = encode4(&req).unwrap();
        assert_eq!(decode4::<Request>(l, &w).unwrap(), req);
        assert!(encode4(&Request::Connect { name: "x".repeat(40) }).is_none());
        assert_eq!(decode4::<Request>(PROTOCOL_POSTCARD | 33, &w), Err(CodecError::TooLong));
    }

    proptest::proptest! {
        #[test]
        fn hostile_registers_never_panic(w: [u64; 4], len in 0u64..40) {
            let _ = decode4::<Request>(PROTOCOL_POSTCARD | len, &w);
            let _ = decode4::<Response>(PROTOCOL_POSTCARD | len, &w);
        }
    }
}
