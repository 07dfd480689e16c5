//! Malformed ELF images handed to rm through a region (as the file system
//! will): truncated, overlapping segments, entry outside segments, huge
//! sizes, and random mutations. rm must refuse them with ENOEXEC, never
//! crash, and leak nothing; a well-formed synthetic image must run.

use crate::T;
use alloc::vec::Vec;
use rampart_elf::testing;
use rampart_rm_api::{ExitStatus, FaultKind, Image, Spawn};
use rampart_rt::{dprintln, rm};
use rampart_uabi::Errno;

const RX: u32 = 5;
const RW: u32 = 6;

/// An x86_64 ET_EXEC image: segments `(vaddr, memsz, filesz, flags)`, file
/// data page-aligned and filled with `ud2` (0f 0b).
fn build(entry: u64, segs: &[(u64, u64, u64, u32)]) -> Vec<u8> {
    testing::image(entry, segs, testing::Layout::PageAligned, |i| if i % 2 == 0 { 0x0f } else { 0x0b })
}

fn spawn_from(region: &rm::Region, img: &[u8]) -> Result<rampart_rm_api::Pid, Errno> {
    // SAFETY: the region is this task's and stays mapped while the view is
    // used (freed by the caller afterwards).
    let mem = unsafe { region.shared() };
    let n = img.len().min(mem.len());
    mem.write(0, &img[..n])?;
    let s = Spawn {
        image: Some(Image::Region { region: region.id, len: n as u64 }),
        argv: alloc::vec!["synthetic".into()],
        ..Default::default()
    };
    rm::spawn(s)
}

fn rejected(region: &rm::Region, img: &[u8]) -> bool {
    spawn_from(region, img) == Err(Errno::ENOEXEC)
}

/// The checks.
pub fn malformed_images(t: &mut T) {
    let Ok(region) = rm::region_alloc(64 * 1024) else {
        t.check(false, "a region for images");
        return;
    };
    let before = rm::stats().ok();
    let good = build(0x40_1000, &[(0x40_0000, 0x2000, 0x2000, RX), (0x40_2000, 0x3000, 0x100, RW)]);
    match spawn_from(&region, &good) {
        Ok(pid) => {
            let r = rm::wait(Some(pid), true);
            let ok = matches!(r, Ok(Some((_, ExitStatus::Faulted(f)))) if f.kind == FaultKind::Exception { vector: 6 } && f.ip == 0x40_1000);
            t.check(ok, "a well-formed image from a region runs (its ud2 is reported)");
        }
        Err(e) => t.check(false, alloc::format!("a well-formed image from a region runs ({e})").as_str()),
    }
    let mut all = true;
    for len in [0, 10, 63, 64, 100, 64 + 56, 4096, good.len() - 1] {
        all &= spawn_from(&region, &good[..len]).is_err();
    }
    t.check(all, "truncated images are rejected");
    t.check(rejected(&region, &good[..good.len() - 1]), "an image one byte short is ENOEXEC");
    let overlap = build(0x40_1000, &[(0x40_0000, 0x3000, 0x100, RX), (0x40_2000, 0x1000, 0x10, RW)]);
    t.check(rejected(&region, &overlap), "overlapping segments are ENOEXEC");
    let outside = build(0x50_0000, &[(0x40_0000, 0x2000, 0x100, RX)]);
    t.check(rejected(&region, &outside), "an entry outside the segments is ENOEXEC");
    let in_data = build(0x40_2000, &[(0x40_0000, 0x2000, 0x100, RX), (0x40_2000, 0x1000, 0x10, RW)]);
    t.check(rejected(&region, &in_data), "an entry in a non-executable segment is ENOEXEC");
    let huge = build(0x40_0000, &[(0x40_0000, 0x1000, 0x10, RX), (0x100_0000, 1 << 40, 0, RW)]);
    t.check(rejected(&region, &huge), "a 1 TiB segment is ENOEXEC");
    let wrap = build(0x40_0000, &[(0x40_0000, u64::MAX - 0x1000, 0x10, RX)]);
    t.check(rejected(&region, &wrap), "a wrapping segment is ENOEXEC");
    let mut big_file = good.clone();
    big_file[64 + 32..64 + 40].copy_from_slice(&u64::MAX.to_le_bytes());
    t.check(rejected(&region, &big_file), "a file size beyond the file is ENOEXEC");
    let kernel = build(0xffff_8000_0000_0000, &[(0xffff_8000_0000_0000, 0x1000, 0x10, RX)]);
    t.check(rejected(&region, &kernel), "a kernel-half segment is ENOEXEC");
    let stack = build(0x7fff_efff_0000, &[(0x7fff_efff_0000, 0x2000, 0x10, RX)]);
    t.check(rejected(&region, &stack), "a segment in the reserved stack area is ENOEXEC");

    // Random mutations of the headers: rm survives each; a task that was
    // created anyway is killed and collected.
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let (mut refused, mut ran) = (0, 0);
    for _ in 0..200 {
        let mut img = good.clone();
        for _ in 0..3 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let at = (s >> 8) as usize % 176;
            img[at] = (s >> 40) as u8;
        }
        match spawn_from(&region, &img) {
            Ok(pid) => {
                ran += 1;
                let _ = rm::kill(pid);
                let _ = rm::wait(Some(pid), true);
            }
            Err(_) => refused += 1,
        }
    }
    dprintln!("rmtest: 200 mutated images: {refused} refused, {ran} ran");
    t.check(rm::stats().is_ok(), "rm survives 200 mutated images");
    let after = rm::stats().ok();
    let same =
        matches!((before, after), (Some(a), Some(b)) if a.free_bytes == b.free_bytes && a.free_slots == b.free_slots);
    t.check(same, "rejected and mutated images leak nothing");
    t.check(rm::region_free(region.id).is_ok(), "free the image region");
}
