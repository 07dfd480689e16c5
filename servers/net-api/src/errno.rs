//! The error numbers the socket protocol uses: `rampart_uabi`'s one errno
//! table (Linux numbers, names and messages), re-exported so that
//! `rampart_net_api::errno::ECONNREFUSED` and `Errno::ECONNREFUSED` name the
//! same value.

pub use rampart_uabi::errno::*;
