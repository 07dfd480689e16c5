//! Server messages: a serde value encoded with postcard and packed into
//! message registers (docs/userland.md §3).
//!
//! The encoded bytes are packed little-endian into words MR0, MR1, ... (the
//! caller moves MR0-MR3 to CPU registers and the rest to the IPC buffer);
//! the message label is [`PROTOCOL_POSTCARD`] `|` byte length. At most
//! [`MAX_MESSAGE_BYTES`] bytes travel in one message.
//!
//! Decoding treats the message as hostile: a wrong protocol tag, a length
//! beyond the words actually received, bytes postcard rejects, and trailing
//! bytes after the value are all errors; nothing panics.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Protocol tag in bits 16..52 of the label ("pc"); bits 0..16 hold the
/// encoded length in bytes. Distinct from kernel invocation labels (< 2^16),
/// fault labels (1..=5) and `LABEL_IPC_ABORTED` (2^52 - 1).
pub const PROTOCOL_POSTCARD: u64 = 0x7063 << 16;
/// Mask of the byte length in a postcard label.
pub const LENGTH_MASK: u64 = 0xffff;
/// Message registers per message (`rampart_abi::msg::MSG_MAX_LENGTH`).
pub const MAX_WORDS: usize = 120;
/// Largest encoded message in bytes (120 words of 8 bytes).
pub const MAX_MESSAGE_BYTES: usize = MAX_WORDS * 8;

/// Why a message could not be encoded or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The label does not carry [`PROTOCOL_POSTCARD`].
    NotPostcard,
    /// The encoded value exceeds [`MAX_MESSAGE_BYTES`], or the label claims
    /// more bytes than that.
    TooLong,
    /// The label claims more bytes than the words received hold.
    Truncated,
    /// postcard rejected the bytes (wrong variant, bad varint, bad UTF-8, ...).
    Malformed,
    /// Bytes are left over after the value.
    TrailingBytes,
}

impl CodecError {
    /// The POSIX error a server answers with for this decoding error.
    pub const fn errno(self) -> crate::Errno {
        match self {
            CodecError::TooLong => crate::Errno::E2BIG,
            _ => crate::Errno::EBADMSG,
        }
    }
}

/// True if `label` is a postcard message label.
pub const fn is_postcard(label: u64) -> bool {
    label & !LENGTH_MASK == PROTOCOL_POSTCARD
}

/// Number of words needed for `bytes` bytes.
pub const fn words_for(bytes: usize) -> usize {
    bytes.div_ceil(8)
}

/// Encodes `value` into `words`; returns the label and the number of words
/// used.
///
/// # Errors
/// [`CodecError::TooLong`] if the encoding exceeds [`MAX_MESSAGE_BYTES`],
/// [`CodecError::Malformed`] if serde fails (e.g. an unsupported type).
pub fn encode<T: Serialize + ?Sized>(value: &T, words: &mut [u64; MAX_WORDS]) -> Result<(u64, usize), CodecError> {
    let mut bytes = [0u8; MAX_MESSAGE_BYTES];
    let n = serialize(value, &mut bytes)?;
    let nw = words_for(n);
    for (i, w) in words.iter_mut().enumerate().take(nw) {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
        *w = u64::from_le_bytes(b);
    }
    Ok((PROTOCOL_POSTCARD | n as u64, nw))
}

/// Encodes `value` as the bytes of a message (what [`decode_bytes`] reads;
/// at most [`MAX_MESSAGE_BYTES`]), for protocols that carry messages in
/// shared memory or test them as bytes.
///
/// # Errors
/// As [`encode`].
pub fn encode_bytes<T: Serialize + ?Sized>(value: &T) -> Result<alloc::vec::Vec<u8>, CodecError> {
    let mut bytes = [0u8; MAX_MESSAGE_BYTES];
    let n = serialize(value, &mut bytes)?;
    Ok(bytes[..n].to_vec())
}

fn serialize<T: Serialize + ?Sized>(value: &T, out: &mut [u8; MAX_MESSAGE_BYTES]) -> Result<usize, CodecError> {
    match postcard::to_slice(value, out) {
        Ok(s) => Ok(s.len()),
        Err(postcard::Error::SerializeBufferFull) => Err(CodecError::TooLong),
        Err(_) => Err(CodecError::Malformed),
    }
}

/// Unpacks the bytes of a postcard message from `words` into `out`;
/// returns the byte length.
///
/// # Errors
/// [`CodecError::NotPostcard`], [`CodecError::TooLong`], [`CodecError::Truncated`].
pub fn unpack(label: u64, words: &[u64], out: &mut [u8; MAX_MESSAGE_BYTES]) -> Result<usize, CodecError> {
    if !is_postcard(label) {
        return Err(CodecError::NotPostcard);
    }
    let n = (label & LENGTH_MASK) as usize;
    if n > MAX_MESSAGE_BYTES {
        return Err(CodecError::TooLong);
    }
    let nw = words_for(n);
    if nw > words.len() {
        return Err(CodecError::Truncated);
    }
    for (i, w) in words.iter().enumerate().take(nw) {
        out[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    Ok(n)
}

/// Decodes a value from a message with `label` whose words are `words`
/// (the received message registers; extra words are ignored).
///
/// # Errors
/// Any [`CodecError`]; never panics on hostile input.
pub fn decode<T: DeserializeOwned>(label: u64, words: &[u64]) -> Result<T, CodecError> {
    let mut bytes = [0u8; MAX_MESSAGE_BYTES];
    let n = unpack(label, words, &mut bytes)?;
    decode_bytes(&bytes[..n])
}

/// Decodes a value from exactly `bytes` (no trailing bytes allowed).
///
/// # Errors
/// [`CodecError::Malformed`] or [`CodecError::TrailingBytes`].
pub fn decode_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((v, [])) => Ok(v),
        Ok(_) => Err(CodecError::TrailingBytes),
        Err(_) => Err(CodecError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum Req {
        Ping,
        Echo { text: String, n: u64 },
        Blob(Vec<u8>),
    }

    #[test]
    fn round_trips() {
        let mut w = [0u64; MAX_WORDS];
        for v in [Req::Ping, Req::Echo { text: "héllo".into(), n: u64::MAX }, Req::Blob(alloc::vec![7; 900])] {
            let (label, nw) = encode(&v, &mut w).unwrap();
            assert!(is_postcard(label));
            assert_eq!(decode::<Req>(label, &w[..nw]).unwrap(), v);
        }
    }

    #[test]
    fn bytes_round_trip_and_match_the_words() {
        let mut w = [0u64; MAX_WORDS];
        for v in [Req::Ping, Req::Echo { text: "héllo".into(), n: 3 }, Req::Blob(alloc::vec![7; 900])] {
            let b = encode_bytes(&v).unwrap();
            assert_eq!(decode_bytes::<Req>(&b).unwrap(), v);
            let (label, _) = encode(&v, &mut w).unwrap();
            assert_eq!((label & LENGTH_MASK) as usize, b.len());
        }
        assert_eq!(encode_bytes(&Req::Blob(alloc::vec![0; 1000])), Err(CodecError::TooLong));
    }

    #[test]
    fn rejects_oversized_and_malformed() {
        let mut w = [0u64; MAX_WORDS];
        assert_eq!(encode(&Req::Blob(alloc::vec![0; 1000]), &mut w), Err(CodecError::TooLong));
        assert_eq!(decode::<Req>(5, &w), Err(CodecError::NotPostcard));
        assert_eq!(decode::<Req>(PROTOCOL_POSTCARD | 2000, &w), Err(CodecError::TooLong));
        assert_eq!(decode::<Req>(PROTOCOL_POSTCARD | 17, &w[..2]), Err(CodecError::Truncated));
        w[0] = 0xff; // variant index 255
        assert_eq!(decode::<Req>(PROTOCOL_POSTCARD | 1, &w), Err(CodecError::Malformed));
        w[0] = 0; // Ping, then a trailing byte
        assert_eq!(decode::<Req>(PROTOCOL_POSTCARD | 2, &w), Err(CodecError::TrailingBytes));
        assert_eq!(decode::<Req>(PROTOCOL_POSTCARD, &w), Err(CodecError::Malformed));
    }

    /// Cases: `ci`, or `PROPTEST_CASES` for a longer run (docs/assurance.md §10).
    fn cases(ci: u32) -> u32 {
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
    }

    #[test]
    fn random_messages_never_panic() {
        let mut s = 0x1234_5678_9abc_def1u64;
        let mut w = [0u64; MAX_WORDS];
        for _ in 0..cases(20_000) {
            for x in w.iter_mut().take(8) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                *x = s;
            }
            let len = (s >> 50) % 80;
            let _ = decode::<Req>(PROTOCOL_POSTCARD | len, &w[..(s as usize % 12)]);
        }
    }
}
