//! The error numbers the file protocol uses: `rampart_uabi`'s one errno
//! table (Linux numbers, names and messages), re-exported so that
//! `rampart_fs_api::errno::ENOTDIR` and `Errno::ENOTDIR` name the same value.

pub use rampart_uabi::errno::*;
