//! Property and fuzz tests of image validation over malformed ELF files:
//! truncated, overlapping segments, entry outside segments, huge sizes,
//! reserved ranges, and random mutations of a valid image. The parser must
//! return an error (never panic) and everything it accepts must be safe to
//! build: pages inside the user range below the region area, within the
//! size limit, and file bytes inside the image.

use rampart_elf::{ElfError, flags, testing};
use rampart_procbuild::image::{ImageError, ImagePlan, Limits};
use rampart_uabi::startup::layout;

const RX: u32 = flags::R | flags::X;
const RW: u32 = flags::R | flags::W;

/// An ELF64 x86_64 ET_EXEC image with `(vaddr, memsz, filesz, flags)`
/// segments; segment file data is page-aligned like the real link script.
fn build(entry: u64, segs: &[(u64, u64, u64, u32)]) -> Vec<u8> {
    testing::image(entry, segs, testing::Layout::PageAligned, |i| (i % 251) as u8)
}

fn good() -> Vec<u8> {
    build(0x40_1000, &[(0x40_0000, 0x3000, 0x3000, RX), (0x40_3000, 0x5000, 0x1234, RW)])
}

fn plan(img: &[u8]) -> Result<ImagePlan, ImageError> {
    ImagePlan::new(img, &Limits::default())
}

/// What every accepted image must satisfy.
fn check_accepted(img: &[u8], p: &ImagePlan) {
    assert!(!p.pages.is_empty());
    assert!(p.pages.windows(2).all(|w| w[0].vaddr < w[1].vaddr), "pages sorted and distinct");
    assert!(p.pages.len() as u64 * 4096 <= Limits::default().max_image_bytes);
    for pg in &p.pages {
        assert!(pg.vaddr >= 0x1000 && pg.vaddr + 4096 <= layout::REGION_BASE);
        if let Some(fp) = pg.shared_page {
            assert!(fp * 4096 < img.len() as u64 + 4096);
            assert!(!pg.writable());
        }
        let mut page = [0u8; 4096];
        p.fill_page(img, pg.vaddr, &mut page);
    }
    assert!(p.heap_start() >= p.end);
}

#[test]
fn valid_image_is_described_page_by_page() {
    let img = good();
    let p = plan(&img).unwrap();
    assert_eq!(p.entry, 0x40_1000);
    assert_eq!(p.pages.len(), 8);
    assert!(p.pages[..3].iter().all(|pg| pg.shared_page.is_some() && pg.executable()));
    assert!(p.pages[3..].iter().all(|pg| pg.shared_page.is_none() && pg.writable()));
    let mut page = [0u8; 4096];
    p.fill_page(&img, 0x40_4000, &mut page);
    assert_eq!(page[0x234], 0); // past filesz 0x1234: zero fill
    assert_eq!(page[0x233], (0x1233 % 251) as u8);
    check_accepted(&img, &p);
}

#[test]
fn truncated_images_are_rejected_at_every_length() {
    let img = good();
    for len in 0..img.len() {
        match plan(&img[..len]) {
            Err(_) => {}
            Ok(p) => panic!("accepted a {len}-byte prefix: {p:?}"),
        }
    }
    assert_eq!(plan(&img[..10]).unwrap_err(), ImageError::Elf(ElfError::Truncated));
    assert_eq!(plan(&img[..img.len() - 1]).unwrap_err(), ImageError::Elf(ElfError::SegmentOutOfFile));
}

#[test]
fn overlapping_segments_are_rejected() {
    let img = build(0x40_1000, &[(0x40_0000, 0x3000, 0x100, RX), (0x40_2000, 0x1000, 0x10, RW)]);
    assert_eq!(plan(&img).unwrap_err(), ImageError::Elf(ElfError::OverlappingSegments));
    let img = build(0x40_1000, &[(0x40_0000, 0x3000, 0x100, RX), (0x3f_f000, 0x2000, 0x10, RW)]);
    assert_eq!(plan(&img).unwrap_err(), ImageError::Elf(ElfError::OverlappingSegments));
}

#[test]
fn entry_outside_executable_segments_is_rejected() {
    for entry in [0, 0x3f_ffff, 0x40_3000, 0x40_4000, u64::MAX] {
        let img = build(entry, &[(0x40_0000, 0x3000, 0x100, RX), (0x40_3000, 0x2000, 0x10, RW)]);
        assert_eq!(plan(&img).unwrap_err(), ImageError::Elf(ElfError::BadEntry), "entry {entry:#x}");
    }
}

#[test]
fn huge_sizes_are_rejected_before_allocation() {
    // Within the user range but far beyond the limit.
    let img = build(0x40_0000, &[(0x40_0000, 0x1000, 0x10, RX), (0x100_0000, 1 << 40, 0, RW)]);
    assert_eq!(plan(&img).unwrap_err(), ImageError::TooLarge);
    // Wrapping and beyond user space.
    let img = build(0x40_0000, &[(0x40_0000, u64::MAX - 0x10_0000, 0, RX)]);
    assert_eq!(plan(&img).unwrap_err(), ImageError::Elf(ElfError::SegmentOutOfRange));
    // File size beyond the file.
    let img = build(0x40_0000, &[(0x40_0000, 0x1000, 0x10, RX)]);
    let mut bad = img.clone();
    bad[64 + 32..64 + 40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(plan(&bad).unwrap_err(), ImageError::Elf(ElfError::SegmentOutOfFile));
    // Program header count beyond the file.
    let mut bad = img.clone();
    bad[56..58].copy_from_slice(&u16::MAX.to_le_bytes());
    assert_eq!(plan(&bad).unwrap_err(), ImageError::Elf(ElfError::Truncated));
    // A tiny limit.
    let p = ImagePlan::new(&good(), &Limits { max_image_bytes: 4 * 4096 });
    assert_eq!(p.unwrap_err(), ImageError::TooLarge);
}

#[test]
fn reserved_ranges_are_rejected() {
    let top = layout::REGION_BASE;
    let img = build(0x40_0000, &[(0x40_0000, 0x1000, 0x10, RX), (top - 0x1000, 0x2000, 0, RW)]);
    assert_eq!(plan(&img).unwrap_err(), ImageError::ReservedRange);
    let img = build(layout::STACK_TOP, &[(layout::STACK_TOP, 0x1000, 0x10, RX)]);
    assert_eq!(plan(&img).unwrap_err(), ImageError::ReservedRange);
}

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// Cases: `ci`, or `PROPTEST_CASES` for a longer run (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

#[test]
fn random_mutations_never_panic_and_accepted_images_are_safe() {
    let base = good();
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut accepted = 0;
    for i in 0..cases(30_000) {
        let mut img = base.clone();
        // Mutate mostly the headers, where the interesting fields are.
        for _ in 0..(1 + i % 4) {
            let r = xorshift(&mut s);
            let at = if r & 1 == 0 { (r >> 8) as usize % 176 } else { (r >> 8) as usize % img.len() };
            img[at] = (r >> 40) as u8;
        }
        if i % 7 == 0 {
            let cut = xorshift(&mut s) as usize % (img.len() + 1);
            img.truncate(cut);
        }
        if let Ok(p) = plan(&img) {
            accepted += 1;
            check_accepted(&img, &p);
        }
    }
    assert!(accepted > 100, "the mutator should leave some images valid ({accepted})");
}

#[test]
fn random_headers_never_panic() {
    let mut s = 0x1234_5678_9abc_def1u64;
    for _ in 0..cases(10_000) {
        let mut img = good();
        for b in img.iter_mut().take(64 + 2 * 56).skip(16) {
            *b = xorshift(&mut s) as u8;
        }
        if let Ok(p) = plan(&img) {
            check_accepted(&img, &p);
        }
    }
}
