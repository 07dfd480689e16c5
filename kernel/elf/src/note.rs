//! The native-image mark: how Rampart tells its own programs from Linux
//! ones (docs/linux-abi.md, "Which ABI a program speaks").
//!
//! Every native program carries an ELF note (gABI "Note Section") with
//! owner `"Rampart"`, type [`NT_RAMPART_ABI`] and a 4-byte descriptor
//! holding the ABI version, emitted by `rampart-rt` and kept by
//! `libos/rt/user.ld` in its own `PT_NOTE` segment. Any other valid static
//! x86_64 executable is a Linux program and is run through the Linux
//! personality. A positive mark (rather than, say, `EI_OSABI`, which musl
//! and many linkers leave at 0 = System V) cannot be produced by accident
//! by a Linux toolchain.

use super::{PHDR_SIZE, u16_at, u32_at, u64_at};

/// Note type of the mark.
pub const NT_RAMPART_ABI: u32 = 1;
/// Owner name of the mark (with its NUL).
pub const OWNER: &[u8] = b"Rampart\0";
const PT_NOTE: u32 = 4;

/// True if `image` is an ELF file with a `PT_NOTE` segment holding the
/// Rampart mark. Never panics: offsets and sizes are checked.
pub fn is_rampart_native(image: &[u8]) -> bool {
    is_rampart_native_by(&mut |off, buf| match off.checked_add(buf.len()).and_then(|end| image.get(off..end)) {
        Some(s) => {
            buf.copy_from_slice(s);
            true
        }
        None => false,
    })
}

/// Largest note segment examined (bytes); the mark's own segment is 24.
pub const MAX_NOTES: usize = 512;

/// [`is_rampart_native`] for an image read piecewise: `read(offset, buf)`
/// fills `buf` from the image at `offset` or returns false (out of the
/// file). Reads the header, the program headers and note segments of at
/// most [`MAX_NOTES`] bytes only (so a loader need not copy the image).
pub fn is_rampart_native_by(read: &mut dyn FnMut(usize, &mut [u8]) -> bool) -> bool {
    let mut h = [0u8; 64];
    if !read(0, &mut h) || h[..4] != *b"\x7fELF" {
        return false;
    }
    let phoff = u64_at(&h, 32);
    let phnum = usize::from(u16_at(&h, 56));
    if usize::from(u16_at(&h, 54)) != PHDR_SIZE || phoff > usize::MAX as u64 / 2 {
        return false;
    }
    let mut ph = [0u8; PHDR_SIZE];
    let mut notes = [0u8; MAX_NOTES];
    for i in 0..phnum.min(64) {
        if !read(phoff as usize + i * PHDR_SIZE, &mut ph) {
            return false;
        }
        if u32_at(&ph, 0) != PT_NOTE {
            continue;
        }
        let (off, size) = (u64_at(&ph, 8), u64_at(&ph, 32));
        if size > MAX_NOTES as u64 || off > usize::MAX as u64 / 2 {
            continue;
        }
        let buf = &mut notes[..size as usize];
        if read(off as usize, buf) && notes_have_mark(buf) {
            return true;
        }
    }
    false
}

fn notes_have_mark(mut n: &[u8]) -> bool {
    while n.len() >= 12 {
        let namesz = u32_at(n, 0) as usize;
        let descsz = u32_at(n, 4) as usize;
        let ty = u32_at(n, 8);
        let name_end = 12 + namesz.next_multiple_of(4);
        let Some(end) = descsz.checked_next_multiple_of(4).and_then(|d| name_end.checked_add(d)) else { return false };
        if end > n.len() {
            return false;
        }
        if ty == NT_RAMPART_ABI && &n[12..12 + namesz] == OWNER {
            return true;
        }
        n = &n[end..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags;
    use crate::testing::{Layout, image};

    /// A valid executable whose second segment is turned into a PT_NOTE
    /// holding `notes`.
    fn with_note(notes: &[u8]) -> Vec<u8> {
        let mut img = image(
            0x40_1000,
            &[(0x40_0000, 0x2000, 0x100, flags::R | flags::X), (0x50_0000, 64, 64, 4)],
            Layout::Packed,
            |_| 0,
        );
        let p = 64 + PHDR_SIZE;
        img[p..p + 4].copy_from_slice(&PT_NOTE.to_le_bytes());
        let off = u64_at(&img, p + 8) as usize;
        img[off..off + notes.len()].copy_from_slice(notes);
        img[p + 32..p + 40].copy_from_slice(&(notes.len() as u64).to_le_bytes());
        img
    }

    fn note(name: &[u8], ty: u32, desc: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(name.len() as u32).to_le_bytes());
        v.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        v.extend_from_slice(&ty.to_le_bytes());
        v.extend_from_slice(name);
        v.resize(v.len().next_multiple_of(4), 0);
        v.extend_from_slice(desc);
        v.resize(v.len().next_multiple_of(4), 0);
        v
    }

    #[test]
    fn the_mark_is_found_after_other_notes() {
        let mut n = note(b"GNU\0", 3, &[1; 20]); // a build-id first
        n.extend(note(OWNER, NT_RAMPART_ABI, &1u32.to_le_bytes()));
        assert!(is_rampart_native(&with_note(&n)));
    }

    #[test]
    fn linux_programs_and_lookalikes_are_not_native() {
        let plain = image(0x40_1000, &[(0x40_0000, 0x2000, 0x100, flags::R | flags::X)], Layout::Packed, |_| 0);
        assert!(!is_rampart_native(&plain), "no note at all (busybox-static, musl)");
        assert!(!is_rampart_native(&with_note(&note(b"GNU\0", 1, &[0; 16]))), "ABI-tag note of another owner");
        assert!(!is_rampart_native(&with_note(&note(b"Rampart\0", 2, &[0; 4]))), "other type");
        assert!(!is_rampart_native(&with_note(&note(b"Rampar\0", 1, &[0; 4]))), "other owner");
    }

    #[test]
    fn malformed_notes_never_panic() {
        // Sizes that run past the segment or overflow.
        let mut bad = note(OWNER, NT_RAMPART_ABI, &[0; 4]);
        bad[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!is_rampart_native(&with_note(&bad)));
        let mut bad = note(OWNER, NT_RAMPART_ABI, &[0; 4]);
        bad[0..4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        assert!(!is_rampart_native(&with_note(&bad)));
        for cut in [0, 10, 40, 63, 64, 100] {
            let img = with_note(&note(OWNER, NT_RAMPART_ABI, &[0; 4]));
            assert!(!is_rampart_native(&img[..cut.min(img.len())]) || cut >= img.len());
        }
        // A program header table pointing past the end.
        let mut img = with_note(&note(OWNER, NT_RAMPART_ABI, &[0; 4]));
        img[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(!is_rampart_native(&img));
    }
}
