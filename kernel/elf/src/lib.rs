//! A minimal, defensive ELF64 executable parser for loading programs.
//!
//! Follows the System V gABI (ELF header §4, program header §5) for
//! `ET_EXEC`, `EM_X86_64`, little-endian images. The input is untrusted:
//! every offset and size is range-checked, loadable segments must lie in the
//! user half, must not overlap each other, and the entry point must be inside
//! an executable segment. Parsing never panics and never allocates.
//!
//! A crate of its own (issue 14) so that user programs that build tasks
//! (`rampart-procbuild`, in init and rm) get the parser without the kernel's
//! core and its typed views of kernel memory; the kernel uses it for the one
//! image it loads itself, init.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

use rampart_abi::{USER_MIN_VADDR, USER_TOP};

mod note;
pub use note::{MAX_NOTES, NT_RAMPART_ABI, OWNER as NOTE_OWNER, is_rampart_native, is_rampart_native_by};

/// Why an image was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Shorter than the ELF header or a program header table.
    Truncated,
    /// Not `\x7fELF`.
    BadMagic,
    /// Not ELFCLASS64 / little-endian / version 1.
    UnsupportedFormat,
    /// Not an x86_64 `ET_EXEC` executable.
    WrongMachineOrType,
    /// Program header size or count is invalid.
    BadProgramHeaders,
    /// A segment's file bytes lie outside the image, or `filesz > memsz`.
    SegmentOutOfFile,
    /// A segment lies outside the user address range or wraps.
    SegmentOutOfRange,
    /// Two loadable segments overlap.
    OverlappingSegments,
    /// The entry point is not inside an executable loadable segment.
    BadEntry,
    /// More loadable segments than [`MAX_SEGMENTS`].
    TooManySegments,
}

/// Maximum number of `PT_LOAD` segments accepted.
pub const MAX_SEGMENTS: usize = 16;

/// Segment permission bits (`p_flags`).
pub mod flags {
    /// Executable.
    pub const X: u32 = 1;
    /// Writable.
    pub const W: u32 = 2;
    /// Readable.
    pub const R: u32 = 4;
}

/// One loadable segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Segment {
    /// Virtual address of the first byte (bytes).
    pub vaddr: u64,
    /// Size in memory (bytes); bytes past `file_size` are zero.
    pub mem_size: u64,
    /// Offset of the file bytes in the image.
    pub file_offset: u64,
    /// Number of bytes taken from the file.
    pub file_size: u64,
    /// `flags::{R, W, X}`.
    pub flags: u32,
}

impl Segment {
    /// One past the last byte in memory.
    pub fn end(&self) -> u64 {
        self.vaddr + self.mem_size
    }
}

/// A validated executable.
#[derive(Clone, Copy, Debug)]
pub struct Elf {
    /// Entry point (virtual address).
    pub entry: u64,
    segments: [Segment; MAX_SEGMENTS],
    count: usize,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(a)
}

const PT_LOAD: u32 = 1;
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;

impl Elf {
    /// Parses and validates `image`.
    ///
    /// # Errors
    /// An [`ElfError`] naming the first problem found.
    pub fn parse(image: &[u8]) -> Result<Elf, ElfError> {
        if image.len() < EHDR_SIZE {
            return Err(ElfError::Truncated);
        }
        if image[..4] != *b"\x7fELF" {
            return Err(ElfError::BadMagic);
        }
        if image[4] != 2 || image[5] != 1 || image[6] != 1 {
            return Err(ElfError::UnsupportedFormat);
        }
        if u16_at(image, 16) != 2 || u16_at(image, 18) != 62 {
            return Err(ElfError::WrongMachineOrType);
        }
        let entry = u64_at(image, 24);
        let phoff = u64_at(image, 32);
        let phentsize = usize::from(u16_at(image, 54));
        let phnum = usize::from(u16_at(image, 56));
        if phentsize != PHDR_SIZE || phnum == 0 {
            return Err(ElfError::BadProgramHeaders);
        }
        let table_end = (phnum * PHDR_SIZE).checked_add(phoff as usize).ok_or(ElfError::Truncated)?;
        if phoff > image.len() as u64 || table_end > image.len() {
            return Err(ElfError::Truncated);
        }
        let mut elf = Elf { entry, segments: [Segment::default(); MAX_SEGMENTS], count: 0 };
        for i in 0..phnum {
            let p = phoff as usize + i * PHDR_SIZE;
            if u32_at(image, p) != PT_LOAD {
                continue;
            }
            let seg = Segment {
                flags: u32_at(image, p + 4),
                file_offset: u64_at(image, p + 8),
                vaddr: u64_at(image, p + 16),
                file_size: u64_at(image, p + 32),
                mem_size: u64_at(image, p + 40),
            };
            if seg.mem_size == 0 {
                continue;
            }
            let file_end = seg.file_offset.checked_add(seg.file_size).ok_or(ElfError::SegmentOutOfFile)?;
            if seg.file_size > seg.mem_size || file_end > image.len() as u64 {
                return Err(ElfError::SegmentOutOfFile);
            }
            let end = seg.vaddr.checked_add(seg.mem_size).ok_or(ElfError::SegmentOutOfRange)?;
            if seg.vaddr < USER_MIN_VADDR || end > USER_TOP {
                return Err(ElfError::SegmentOutOfRange);
            }
            if elf.segments().iter().any(|s| seg.vaddr < s.end() && s.vaddr < end) {
                return Err(ElfError::OverlappingSegments);
            }
            if elf.count == MAX_SEGMENTS {
                return Err(ElfError::TooManySegments);
            }
            elf.segments[elf.count] = seg;
            elf.count += 1;
        }
        let entry_ok = elf.segments().iter().any(|s| s.flags & flags::X != 0 && entry >= s.vaddr && entry < s.end());
        if !entry_ok {
            return Err(ElfError::BadEntry);
        }
        Ok(elf)
    }

    /// The loadable segments, in program-header order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.count]
    }
}

/// ELF images for tests (the parser's own, `procbuild`'s fuzz tests and
/// rm's in-guest tests): one builder instead of a copy in each.
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    extern crate alloc;
    use super::{PHDR_SIZE, PT_LOAD};
    use alloc::vec::Vec;

    /// Where segment data goes in the file.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Layout {
        /// Right after the program headers, one segment after another.
        Packed,
        /// From offset 4096, each segment at its address modulo the page
        /// size and starting a new page, like the real link script.
        PageAligned,
    }

    /// An ELF64 x86-64 `ET_EXEC` image with `(vaddr, memsz, filesz, flags)`
    /// segments and entry `entry`; byte `i` of each segment's file data is
    /// `fill(i)`.
    pub fn image(entry: u64, segs: &[(u64, u64, u64, u32)], layout: Layout, fill: impl Fn(u64) -> u8) -> Vec<u8> {
        let mut img = alloc::vec![0u8; 64];
        img[..4].copy_from_slice(b"\x7fELF");
        img[4] = 2;
        img[5] = 1;
        img[6] = 1;
        img[16..18].copy_from_slice(&2u16.to_le_bytes());
        img[18..20].copy_from_slice(&62u16.to_le_bytes());
        img[24..32].copy_from_slice(&entry.to_le_bytes());
        img[32..40].copy_from_slice(&64u64.to_le_bytes());
        img[54..56].copy_from_slice(&(PHDR_SIZE as u16).to_le_bytes());
        img[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        let mut off = match layout {
            Layout::Packed => 64 + (segs.len() * PHDR_SIZE) as u64,
            Layout::PageAligned => 4096,
        };
        let mut data = Vec::new();
        for &(vaddr, memsz, filesz, fl) in segs {
            let foff = match layout {
                Layout::Packed => off,
                Layout::PageAligned => off + vaddr % 4096,
            };
            let mut ph = [0u8; PHDR_SIZE];
            ph[..4].copy_from_slice(&PT_LOAD.to_le_bytes());
            ph[4..8].copy_from_slice(&fl.to_le_bytes());
            ph[8..16].copy_from_slice(&foff.to_le_bytes());
            ph[16..24].copy_from_slice(&vaddr.to_le_bytes());
            ph[32..40].copy_from_slice(&filesz.to_le_bytes());
            ph[40..48].copy_from_slice(&memsz.to_le_bytes());
            img.extend_from_slice(&ph);
            data.push((foff, filesz));
            off = match layout {
                Layout::Packed => foff + filesz,
                Layout::PageAligned => (foff + filesz).next_multiple_of(4096),
            };
        }
        for (foff, filesz) in data {
            img.resize(foff as usize, 0);
            img.extend((0..filesz).map(&fill));
        }
        img
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An image with the given (vaddr, memsz, filesz, flags) segments, data
    /// packed after the program headers.
    fn build(entry: u64, segs: &[(u64, u64, u64, u32)]) -> Vec<u8> {
        testing::image(entry, segs, testing::Layout::Packed, |_| 0xab)
    }

    #[test]
    fn parses_valid_executable() {
        let img = build(0x40_1000, &[(0x40_0000, 0x2000, 0x1800, flags::R | flags::X), (0x60_0000, 0x3000, 0x10, 6)]);
        let e = Elf::parse(&img).unwrap();
        assert_eq!(e.entry, 0x40_1000);
        assert_eq!(e.segments().len(), 2);
        assert_eq!(e.segments()[1].mem_size, 0x3000);
    }

    #[test]
    fn rejects_malformed_images() {
        let rx = flags::R | flags::X;
        let good = build(0x40_0000, &[(0x40_0000, 0x1000, 0x10, rx)]);
        assert_eq!(Elf::parse(&good[..40]).unwrap_err(), ElfError::Truncated);
        assert_eq!(Elf::parse(&good[..100]).unwrap_err(), ElfError::Truncated);
        let mut bad = good.clone();
        bad[0] = 0;
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::BadMagic);
        let mut bad = good.clone();
        bad[4] = 1;
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::UnsupportedFormat);
        let mut bad = good.clone();
        bad[18] = 3;
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::WrongMachineOrType);
        // filesz > memsz
        let bad = build(0x40_0000, &[(0x40_0000, 0x10, 0x20, rx)]);
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::SegmentOutOfFile);
        // huge sizes wrap
        let bad = build(0x40_0000, &[(0x40_0000, u64::MAX, 0, rx)]);
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::SegmentOutOfRange);
        // kernel address
        let bad = build(0xffff_8000_0000_0000, &[(0xffff_8000_0000_0000, 0x1000, 0, rx)]);
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::SegmentOutOfRange);
        // null page
        let bad = build(0x0, &[(0x0, 0x1000, 0, rx)]);
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::SegmentOutOfRange);
        // overlapping segments
        let bad = build(0x40_0000, &[(0x40_0000, 0x2000, 0, rx), (0x40_1000, 0x1000, 0, 6)]);
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::OverlappingSegments);
        // entry outside segments / in a non-executable segment
        let bad = build(0x50_0000, &[(0x40_0000, 0x1000, 0, rx)]);
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::BadEntry);
        let bad = build(0x40_0000, &[(0x40_0000, 0x1000, 0, flags::R)]);
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::BadEntry);
        // file bytes beyond the image
        let mut bad = good.clone();
        bad.truncate(bad.len() - 1);
        assert_eq!(Elf::parse(&bad).unwrap_err(), ElfError::SegmentOutOfFile);
    }

    /// Cases: `ci`, or `PROPTEST_CASES` for a longer run (docs/assurance.md §10).
    fn cases(ci: u32) -> u32 {
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
    }

    #[test]
    fn random_mutations_never_panic() {
        let base = build(0x40_1000, &[(0x40_0000, 0x2000, 0x100, 5), (0x60_0000, 0x3000, 0x10, 6)]);
        let mut s = 0x2545f4914f6cdd1du64;
        for _ in 0..cases(50_000) {
            let mut img = base.clone();
            for _ in 0..3 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let i = (s as usize) % img.len();
                img[i] = (s >> 40) as u8;
            }
            if let Ok(e) = Elf::parse(&img) {
                for seg in e.segments() {
                    assert!(seg.file_offset + seg.file_size <= img.len() as u64);
                    assert!(seg.vaddr >= USER_MIN_VADDR && seg.end() <= USER_TOP);
                }
            }
        }
    }
}
