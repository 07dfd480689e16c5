//! ELF validation and the page-by-page description of a task's image.
//!
//! The ELF header and program headers are checked by `rampart_elf`
//! (truncation, bad magic/class/machine/type, segments outside the file or
//! the user range, overlapping segments, an entry point outside every
//! executable segment). On top of that a task image must stay below the
//! region area ([`layout::REGION_BASE`]), so it can never collide with the
//! stack, IPC buffer, startup pages or regions, and must not exceed
//! [`Limits::max_image_bytes`] of memory (huge `p_memsz` values are refused
//! before any memory is allocated).

use alloc::vec::Vec;
use rampart_elf::{Elf, ElfError, flags};
use rampart_uabi::startup::layout;

const PAGE: u64 = 4096;

/// Why an image was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// The ELF parser's verdict.
    Elf(ElfError),
    /// A segment reaches into the reserved part of the address space (at or
    /// above [`layout::REGION_BASE`]).
    ReservedRange,
    /// The image needs more memory than [`Limits::max_image_bytes`].
    TooLarge,
}

/// Limits applied to an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of memory (whole pages) the image's segments may span.
    pub max_image_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_image_bytes: 256 << 20 }
    }
}

/// One page of the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagePlan {
    /// Virtual address of the page.
    pub vaddr: u64,
    /// Union of the `flags::{R, W, X}` of the segments touching the page.
    pub flags: u32,
    /// If the page can be mapped straight from the image's backing frames
    /// (read-only, one segment, file-backed to its end with no zero fill):
    /// the index of the image page (offset / 4096) holding its bytes.
    pub shared_page: Option<u64>,
}

impl PagePlan {
    /// True if the page is writable.
    pub fn writable(&self) -> bool {
        self.flags & flags::W != 0
    }
    /// True if the page is executable.
    pub fn executable(&self) -> bool {
        self.flags & flags::X != 0
    }
}

/// A validated image, page by page.
#[derive(Clone, Debug)]
pub struct ImagePlan {
    elf: Elf,
    /// The pages every segment touches, in address order.
    pub pages: Vec<PagePlan>,
    /// Entry point.
    pub entry: u64,
    /// One past the highest byte of the image (page aligned).
    pub end: u64,
}

impl ImagePlan {
    /// Validates `image` and describes its pages.
    ///
    /// # Errors
    /// An [`ImageError`]; never panics, whatever the bytes.
    pub fn new(image: &[u8], limits: &Limits) -> Result<ImagePlan, ImageError> {
        let elf = Elf::parse(image).map_err(ImageError::Elf)?;
        let mut total = 0u64;
        for s in elf.segments() {
            // rampart_elf guarantees vaddr + mem_size <= USER_TOP (no overflow).
            if s.end() > layout::REGION_BASE {
                return Err(ImageError::ReservedRange);
            }
            let first = s.vaddr & !(PAGE - 1);
            total = total.saturating_add(s.end().next_multiple_of(PAGE) - first);
        }
        if total > limits.max_image_bytes {
            return Err(ImageError::TooLarge);
        }
        let mut segs: Vec<_> = elf.segments().to_vec();
        segs.sort_by_key(|s| s.vaddr);
        let mut pages: Vec<PagePlan> = Vec::new();
        let file_pages = (image.len() as u64).div_ceil(PAGE);
        for s in &segs {
            let mut va = s.vaddr & !(PAGE - 1);
            while va < s.end() {
                let share =
                    s.flags & flags::W == 0 && s.file_size == s.mem_size && s.file_offset % PAGE == s.vaddr % PAGE;
                let file_page = (s.file_offset + (va.max(s.vaddr) - s.vaddr)) / PAGE;
                let shared = (share && file_page < file_pages).then_some(file_page);
                match pages.last_mut() {
                    Some(p) if p.vaddr == va => {
                        // A page shared by two segments: copied, never shared.
                        p.flags |= s.flags;
                        p.shared_page = None;
                    }
                    _ => pages.push(PagePlan { vaddr: va, flags: s.flags, shared_page: shared }),
                }
                va += PAGE;
            }
        }
        let end = segs.iter().map(|s| s.end().next_multiple_of(PAGE)).max().unwrap_or(0);
        Ok(ImagePlan { entry: elf.entry, pages, end, elf })
    }

    /// Writes the bytes of the image page at `vaddr` into `out` (a zeroed
    /// page): the file bytes of every segment touching it; the rest stays
    /// zero. `image` must be the bytes the plan was made from.
    pub fn fill_page(&self, image: &[u8], vaddr: u64, out: &mut [u8]) {
        let end = vaddr + out.len() as u64;
        for s in self.elf.segments() {
            let (a, b) = (vaddr.max(s.vaddr), end.min(s.vaddr + s.file_size));
            if a < b {
                let off = (s.file_offset + (a - s.vaddr)) as usize;
                let n = (b - a) as usize;
                let dst = (a - vaddr) as usize;
                if let (Some(src), Some(d)) = (image.get(off..off + n), out.get_mut(dst..dst + n)) {
                    d.copy_from_slice(src);
                }
            }
        }
    }

    /// Pages that must be copied (not shared), given whether sharing is
    /// possible at all.
    pub fn copied_pages(&self, sharing: bool) -> usize {
        self.pages.iter().filter(|p| !sharing || p.shared_page.is_none()).count()
    }

    /// Start of the heap for this image: [`layout::HEAP_GAP`] above the
    /// image's end, rounded up to 2 MiB.
    pub fn heap_start(&self) -> u64 {
        (self.end + layout::HEAP_GAP).next_multiple_of(2 << 20)
    }
}
