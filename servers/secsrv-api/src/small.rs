//! Register-only messages for `ComputeAv` and its `Decision`: the shared
//! [`rampart_uabi::small`] codec (postcard in the four message registers),
//! re-exported so clients and the server name one module.

pub use rampart_uabi::small::{SMALL_BYTES, decode4, encode4};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decision, Request, Response};
    use rampart_uabi::codec::CodecError;
    use rampart_uabi::codec::{MAX_WORDS, PROTOCOL_POSTCARD, encode};

    #[test]
    fn same_bytes_as_the_general_codec() {
        let req = Request::ComputeAv { ssid: u32::MAX, tsid: u32::MAX, class: u16::MAX };
        let (l, w, n) = encode4(&req).unwrap();
        let mut g = [0u64; MAX_WORDS];
        let (gl, gn) = encode(&req, &mut g).unwrap();
        assert_eq!((l, n), (gl, gn));
        assert_eq!(&w[..n], &g[..n]);
        assert_eq!(decode4::<Request>(l, &w).unwrap(), req);
        let d = Response::Decision(Decision {
            allowed: u32::MAX,
            auditallow: u32::MAX,
            auditdeny: u32::MAX,
            seqno: u32::MAX,
        });
        let (l, w, _) = encode4(&d).unwrap();
        assert_eq!(decode4::<Response>(l, &w).unwrap(), d);
        assert!(encode4(&Request::ContextToSid { context: "x".repeat(40) }).is_none());
        assert_eq!(decode4::<Request>(PROTOCOL_POSTCARD | 33, &w), Err(CodecError::TooLong));
        assert_eq!(decode4::<Request>(5, &w), Err(CodecError::NotPostcard));
    }

    proptest::proptest! {
        #[test]
        fn hostile_registers_never_panic(w: [u64; 4], len in 0u64..40) {
            let _ = decode4::<Request>(PROTOCOL_POSTCARD | len, &w);
            let _ = decode4::<Response>(PROTOCOL_POSTCARD | len, &w);
        }
    }
}
