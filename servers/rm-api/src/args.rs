//! Program arguments and environment too large for one message
//! ([`ArgBlock`], docs/reliability.md §1): the library OS writes them into
//! one of its own regions as an *argument block* and names the region in
//! [`Spawn::args`](crate::Spawn::args); rm copies the block out, checks it
//! ([`check_args`]) and puts the bytes, unchanged, into the child's startup
//! information.
//!
//! The block is the postcard encoding of `(argv, envp)` (two
//! `Vec<String>`): a varint count, then each string as a varint length and
//! its UTF-8 bytes, for `argv` and then for `envp`. These are exactly the
//! bytes of the `argv` and `envp` fields of
//! `rampart_uabi::startup::StartupBody`, so rm never decodes the strings
//! into its own heap: it checks them in place.
//!
//! Limits follow Linux's execve(2) ("Limits on size of arguments and
//! environment"): every string counts its bytes, its terminating NUL and
//! one pointer ([`arg_cost`]) against [`ARG_MAX`]; one string may be at
//! most [`MAX_ARG_STRLEN`] bytes. Past either, `E2BIG`.
//!
//! Trust: the block comes from the client, which can keep writing its
//! region while rm reads it. rm copies it first and checks only the copy
//! (no time-of-check to time-of-use gap), and every length in it is
//! checked against the bytes that remain: a malformed block is `EINVAL`,
//! never a panic.

use alloc::string::String;
use alloc::vec::Vec;
use rampart_uabi::Errno;
use serde::{Deserialize, Serialize};

use crate::RegionId;

/// Most bytes of arguments plus environment, counted as [`arg_cost`]
/// (Linux: a quarter of the stack limit, 2 MiB with the default 8 MiB;
/// 128 KiB before 2.6.23 and POSIX's `sysconf(_SC_ARG_MAX)` minimum
/// `_POSIX_ARG_MAX` is 4 KiB). 256 KiB.
pub const ARG_MAX: usize = 256 * 1024;

/// Longest single argument or environment string in bytes, its NUL
/// included (Linux's `MAX_ARG_STRLEN`, 32 pages: 128 KiB).
pub const MAX_ARG_STRLEN: usize = 128 * 1024;

/// Longest argument block rm accepts in bytes: [`ARG_MAX`] plus the two
/// counts (a block within the limits is never longer, since each string's
/// length prefix takes at most 3 bytes and its [`arg_cost`] counts 9 more
/// than its bytes).
pub const MAX_BLOCK_BYTES: usize = ARG_MAX + 16;

/// Bytes a string of `len` bytes counts against [`ARG_MAX`]: the bytes,
/// the NUL and one 8-byte pointer, as Linux counts them.
pub const fn arg_cost(len: usize) -> usize {
    len.saturating_add(1 + 8)
}

/// Where a spawn's argument block is: the first `len` bytes of the
/// caller's region `region` (its own, from `RegionAlloc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgBlock {
    /// The region.
    pub region: RegionId,
    /// Bytes of the block (1..=[`MAX_BLOCK_BYTES`]).
    pub len: u64,
}

/// What [`check_args`] found in a valid block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgSummary {
    /// Number of arguments.
    pub argc: usize,
    /// Number of environment strings.
    pub envc: usize,
    /// Byte range of `argv[0]` in the block (`None` if `argc` is 0).
    pub argv0: Option<(usize, usize)>,
    /// Total [`arg_cost`] of all strings.
    pub cost: usize,
}

/// Encodes `argv` and `envp` as an argument block.
///
/// # Errors
/// `E2BIG`: a string of [`MAX_ARG_STRLEN`] bytes or more (its NUL
/// included), or more than [`ARG_MAX`] in all.
pub fn encode_args(argv: &[String], envp: &[String]) -> Result<Vec<u8>, Errno> {
    let mut cost = 0usize;
    for s in argv.iter().chain(envp) {
        if s.len() >= MAX_ARG_STRLEN {
            return Err(Errno::E2BIG);
        }
        cost = cost.saturating_add(arg_cost(s.len()));
    }
    if cost > ARG_MAX {
        return Err(Errno::E2BIG);
    }
    postcard::to_allocvec(&(argv, envp)).map_err(|_| Errno::E2BIG)
}

/// A postcard varint (`usize`) at `b[*at..]` in its shortest form; moves
/// `*at` past it.
fn varint(b: &[u8], at: &mut usize) -> Result<usize, Errno> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let byte = *b.get(*at + i).ok_or(Errno::EINVAL)?;
        let part = u64::from(byte & 0x7f);
        if i == 9 && byte > 1 {
            return Err(Errno::EINVAL);
        }
        v |= part << (7 * i);
        if byte & 0x80 == 0 {
            // A longer encoding than needed (a trailing zero group) is
            // refused: exactly one block encodes each list.
            if i > 0 && byte == 0 {
                return Err(Errno::EINVAL);
            }
            *at += i + 1;
            return usize::try_from(v).map_err(|_| Errno::EINVAL);
        }
    }
    Err(Errno::EINVAL)
}

/// Checks an argument block (module documentation) and sums it up.
///
/// # Errors
/// `EINVAL`: the block is malformed (a count or length running past its
/// end, a non-shortest varint, a string that is not UTF-8, bytes after
/// the environment); `E2BIG`: longer than [`MAX_BLOCK_BYTES`], a string
/// of [`MAX_ARG_STRLEN`] or more, or more than [`ARG_MAX`] in all.
pub fn check_args(block: &[u8]) -> Result<ArgSummary, Errno> {
    if block.len() > MAX_BLOCK_BYTES {
        return Err(Errno::E2BIG);
    }
    let mut at = 0;
    let mut cost = 0usize;
    let mut argv0 = None;
    let mut counts = [0usize; 2];
    for (list, count) in counts.iter_mut().enumerate() {
        let n = varint(block, &mut at)?;
        // Each string takes at least one byte (its length), so a count
        // beyond the bytes left is malformed; checked per string below.
        for i in 0..n {
            let len = varint(block, &mut at)?;
            if len >= MAX_ARG_STRLEN {
                return Err(Errno::E2BIG);
            }
            let end = at.checked_add(len).filter(|&e| e <= block.len()).ok_or(Errno::EINVAL)?;
            core::str::from_utf8(&block[at..end]).map_err(|_| Errno::EINVAL)?;
            cost += arg_cost(len);
            if cost > ARG_MAX {
                return Err(Errno::E2BIG);
            }
            if list == 0 && i == 0 {
                argv0 = Some((at, end));
            }
            at = end;
        }
        *count = n;
    }
    if at != block.len() {
        return Err(Errno::EINVAL);
    }
    Ok(ArgSummary { argc: counts[0], envc: counts[1], argv0, cost })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| String::from(*s)).collect()
    }

    /// What postcard (the child's runtime) makes of a block.
    fn decoded(b: &[u8]) -> Option<(Vec<String>, Vec<String>)> {
        postcard::from_bytes(b).ok()
    }

    #[test]
    fn a_block_round_trips_to_what_the_child_decodes() {
        let (argv, envp) = (strs(&["echo", "héllo", ""]), strs(&["PATH=/bin", "X=1"]));
        let b = encode_args(&argv, &envp).unwrap();
        let s = check_args(&b).unwrap();
        assert_eq!((s.argc, s.envc), (3, 2));
        assert_eq!(&b[s.argv0.unwrap().0..s.argv0.unwrap().1], b"echo");
        assert_eq!(s.cost, [4, 6, 0, 9, 3].iter().map(|&n| arg_cost(n)).sum::<usize>());
        assert_eq!(decoded(&b), Some((argv, envp)));
        let empty = encode_args(&[], &[]).unwrap();
        assert_eq!(check_args(&empty).unwrap().argv0, None);
    }

    #[test]
    fn limits_are_linux_s_and_exact() {
        // One string: MAX_ARG_STRLEN counts its NUL.
        let longest = vec!["a".repeat(MAX_ARG_STRLEN - 1)];
        assert!(check_args(&encode_args(&longest, &[]).unwrap()).is_ok());
        let over = vec!["a".repeat(MAX_ARG_STRLEN)];
        assert_eq!(encode_args(&over, &[]), Err(Errno::E2BIG));
        let forged = postcard::to_allocvec(&(&over, Vec::<String>::new())).unwrap();
        assert_eq!(check_args(&forged), Err(Errno::E2BIG));
        // In all: ARG_MAX exactly fits, one byte more does not.
        let n = 4;
        let each = ARG_MAX / n - 9;
        let mut exact: Vec<String> = (0..n).map(|_| "b".repeat(each)).collect();
        exact[0].push_str(&"c".repeat(ARG_MAX - n * arg_cost(each)));
        let b = encode_args(&exact, &[]).unwrap();
        assert_eq!(check_args(&b).unwrap().cost, ARG_MAX);
        assert!(b.len() <= MAX_BLOCK_BYTES);
        let mut past = exact.clone();
        past[1].push('d');
        assert_eq!(encode_args(&past[..2], &past[2..]), Err(Errno::E2BIG));
        let forged = postcard::to_allocvec(&(&past[..2], &past[2..])).unwrap();
        assert_eq!(check_args(&forged), Err(Errno::E2BIG));
        // Many empty strings count their pointers and NULs.
        let many = vec![String::new(); ARG_MAX / 9 + 1];
        assert_eq!(encode_args(&[], &many), Err(Errno::E2BIG));
        let forged = postcard::to_allocvec(&(Vec::<String>::new(), &many)).unwrap();
        assert_eq!(check_args(&forged), Err(Errno::E2BIG));
        assert_eq!(check_args(&vec![0; MAX_BLOCK_BYTES + 1]), Err(Errno::E2BIG));
    }

    #[test]
    fn malformed_blocks_are_refused_not_trusted() {
        let good = encode_args(&strs(&["sh", "-c", "echo hi"]), &strs(&["A=b"])).unwrap();
        // Every truncation.
        for n in 0..good.len() {
            assert_eq!(check_args(&good[..n]), Err(Errno::EINVAL), "prefix {n}");
        }
        // Bytes after the environment.
        let mut long = good.clone();
        long.push(0);
        assert_eq!(check_args(&long), Err(Errno::EINVAL));
        // A count larger than the strings present; a huge count.
        assert_eq!(check_args(&[5, 1, b'a', 0]), Err(Errno::EINVAL));
        let mut huge = vec![0xff; 9];
        huge.push(0x01);
        assert_eq!(check_args(&huge), Err(Errno::EINVAL));
        // A length running past the end, an overflowing varint, a varint
        // longer than 10 bytes, a non-shortest one.
        assert_eq!(check_args(&[1, 100, b'a', 0]), Err(Errno::EINVAL));
        let mut ovf = vec![1];
        ovf.extend([0xff; 9]);
        ovf.push(0x7f);
        ovf.push(0);
        assert_eq!(check_args(&ovf), Err(Errno::EINVAL));
        assert_eq!(check_args(&[0x80; 11]), Err(Errno::EINVAL));
        assert_eq!(check_args(&[0x81, 0x00, 1, b'a', 0]), Err(Errno::EINVAL));
        assert_eq!(check_args(&[1, 0x81, 0x00, b'a', 0]), Err(Errno::EINVAL));
        // Not UTF-8.
        assert_eq!(check_args(&[1, 2, 0xc3, 0x28, 0]), Err(Errno::EINVAL));
        assert_eq!(check_args(&[0, 1, 1, 0xff]), Err(Errno::EINVAL));
    }

    proptest! {
        /// Arbitrary bytes never panic, and whatever is accepted decodes
        /// in the child exactly as counted.
        #[test]
        fn arbitrary_blocks_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(s) = check_args(&b) {
                let (a, e) = decoded(&b).expect("an accepted block decodes");
                prop_assert_eq!((a.len(), e.len()), (s.argc, s.envc));
            }
        }

        /// Valid blocks with one byte changed: the same.
        #[test]
        fn mutated_blocks_never_panic(
            argv in proptest::collection::vec("[a-zé]{0,6}", 0..4),
            envp in proptest::collection::vec("[A-Z=]{0,6}", 0..3),
            at in any::<usize>(),
            byte in any::<u8>(),
        ) {
            let mut b = encode_args(&argv, &envp).unwrap();
            prop_assert_eq!(decoded(&b), Some((argv, envp)));
            let i = at % b.len();
            b[i] = byte;
            if let Ok(s) = check_args(&b) {
                let (a, e) = decoded(&b).expect("an accepted block decodes");
                prop_assert_eq!((a.len(), e.len()), (s.argc, s.envc));
            }
        }
    }
}
