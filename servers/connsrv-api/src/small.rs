//! Register-only messages for connsrv requests and replies: the shared
//! [`rampart_uabi::small`] codec (postcard in the four message registers),
//! re-exported so clients and the server name one module.

pub use rampart_uabi::small::{SMALL_BYTES, decode4, encode4};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Request, Response};
    use rampart_uabi::codec::CodecError;
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
