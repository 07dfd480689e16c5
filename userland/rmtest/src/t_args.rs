//! Argument blocks (`Spawn::args`, docs/reliability.md §1) sent straight
//! to rm, as a hostile client would: large valid blocks reach the child
//! intact; malformed, oversized or foreign ones are refused with an error
//! and rm keeps serving.

use crate::{T, child, run};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_rm_api::{ArgBlock, ExitStatus, MAX_BLOCK_BYTES};
use rampart_rt::rm;
use rampart_uabi::Errno;

/// A region holding `bytes`; its id.
fn region_with(bytes: &[u8]) -> Option<rm::Region> {
    let r = rm::region_alloc(bytes.len().max(1) as u64).ok()?;
    // SAFETY: the region stays mapped until freed at the end of the
    // check that made it, after this view is gone.
    let view = unsafe { r.shared() };
    view.write(0, bytes).ok()?;
    Some(r)
}

/// Spawns `rmchild` with the block `bytes` (given `len`, or its own),
/// `argv` in the message too if `inline` is set.
fn spawn_block(bytes: &[u8], len: Option<u64>, inline: bool) -> Result<ExitStatus, Errno> {
    let r = region_with(bytes).ok_or(Errno::ENOMEM)?;
    let mut s = child(&[]);
    if !inline {
        s.argv = Vec::new();
    }
    s.args = Some(ArgBlock { region: r.id, len: len.unwrap_or(bytes.len() as u64) });
    let st = run(s);
    let _ = rm::region_free(r.id);
    st
}

/// The checks.
pub fn blocks(t: &mut T) {
    let big = String::from_utf8(alloc::vec![b'q'; 100 * 1024]).unwrap_or_default();
    let argv: Vec<String> =
        ["rmchild", "argbytes", "102400", "2"].iter().map(|s| String::from(*s)).chain([big]).collect();
    let envp = alloc::vec![String::from("A=1"), String::from("B=2")];
    let good = rampart_rm_api::encode_args(&argv, &envp).unwrap_or_default();
    t.check(
        spawn_block(&good, None, false) == Ok(ExitStatus::Exited(0)),
        "a 100 KiB argument block reaches the child intact",
    );
    t.check(
        spawn_block(&good, None, true) == Err(Errno::EINVAL),
        "an argument block with argv in the message too is EINVAL",
    );
    t.check(spawn_block(&good, Some(0), false) == Err(Errno::EINVAL), "an empty argument block is EINVAL");
    let past_region = good.len().next_multiple_of(4096) as u64 + 1;
    t.check(
        spawn_block(&good, Some(past_region), false) == Err(Errno::EINVAL),
        "a block longer than its region is EINVAL",
    );
    t.check(
        spawn_block(&good, Some(MAX_BLOCK_BYTES as u64 + 1), false) == Err(Errno::E2BIG),
        "a block longer than MAX_BLOCK_BYTES is E2BIG",
    );
    t.check(spawn_block(&good[..good.len() - 1], None, false) == Err(Errno::EINVAL), "a truncated block is EINVAL");
    t.check(spawn_block(&[5, 1, b'a'], None, false) == Err(Errno::EINVAL), "a count past the block's end is EINVAL");
    t.check(
        spawn_block(&[1, 2, 0xc3, 0x28, 0], None, false) == Err(Errno::EINVAL),
        "an argument that is not UTF-8 is EINVAL",
    );
    // 30,000 empty environment strings: 270,000 bytes counted against
    // ARG_MAX (256 KiB).
    let mut empties = alloc::vec![0u8, 0xb0, 0xea, 0x01];
    empties.resize(4 + 30_000, 0);
    t.check(spawn_block(&empties, None, false) == Err(Errno::E2BIG), "ARG_MAX counts empty strings' pointers: E2BIG");
    let mut s = child(&[]);
    s.argv = Vec::new();
    s.args = Some(ArgBlock { region: 0xdead, len: 16 });
    t.check(run(s) == Err(Errno::ENOENT), "a block in a region that is not the caller's is ENOENT");
    t.check(run(child(&["exit", "5"])) == Ok(ExitStatus::Exited(5)), "rm serves on after hostile argument blocks");
}
