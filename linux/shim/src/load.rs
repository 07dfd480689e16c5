//! Loading a static Linux ELF: segments at their addresses in the foreign
//! window, the `brk` start after them, and the Linux initial stack
//! (System V AMD64 psABI §3.4; Linux `fs/binfmt_elf.c`).

use crate::mem::{self, STACK_BYTES, STACK_TOP};

/// Most bytes of the initial stack (strings, pointers, auxiliary vector):
/// rm-api's `ARG_MAX` plus 32 KiB, well within [`STACK_BYTES`] (Linux
/// allows a quarter of the stack limit).
const STACK_LIMIT: usize = rampart_rm_api::ARG_MAX + 32 * 1024;
const _: () = assert!(STACK_LIMIT <= STACK_BYTES as usize / 2);
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_elf::{Elf, flags};
use rampart_linux_abi::range::{PROT_EXEC, PROT_READ, PROT_WRITE};
use rampart_linux_abi::stack::{self, ProgramInfo};

/// Where the program starts.
#[derive(Clone, Copy, Debug)]
pub struct Start {
    /// Entry point.
    pub entry: u64,
    /// Initial stack pointer.
    pub rsp: u64,
}

const PAGE: u64 = 4096;

fn u16_at(b: &[u8], o: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[o], b[o + 1]]))
}

/// Loads `image` (already validated as an ELF64 x86_64 executable by
/// `rampart_elf`: every segment inside the file and the user range, no
/// overlap, entry in an executable segment) and builds its stack.
///
/// # Errors
/// A message: not an executable, a segment outside the foreign window, or
/// rm's refusal of the memory.
pub fn load(image: &[u8], path: &str, argv: &[String], envp: &[String]) -> Result<Start, String> {
    let elf = Elf::parse(image).map_err(|e| format!("cannot execute binary file ({e:?})"))?;
    // Page runs to allocate: segments may share a page (busybox's data
    // starts in the page its text ends in).
    let mut runs: Vec<(u64, u64, u32)> = Vec::new();
    let mut segs: Vec<_> = elf.segments().to_vec();
    segs.sort_by_key(|s| s.vaddr);
    for s in &segs {
        let (a, b) = (s.vaddr & !(PAGE - 1), s.end().next_multiple_of(PAGE));
        match runs.last_mut() {
            Some(r) if a <= r.1 => {
                r.1 = r.1.max(b);
                r.2 |= s.flags;
            }
            _ => runs.push((a, b, s.flags)),
        }
    }
    for &(a, b, f) in &runs {
        mem::map_fixed(a, b - a, prot_of(f)).map_err(|e| format!("cannot map {a:#x}..{b:#x}: errno {e}"))?;
    }
    for s in &segs {
        let src = &image[s.file_offset as usize..(s.file_offset + s.file_size) as usize];
        // SAFETY: `map_fixed` just mapped [vaddr, end) writable in this
        // address space (fresh zeroed frames, so the bss is zero), and the
        // ELF parser guarantees file_size <= mem_size.
        unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), s.vaddr as *mut u8, src.len()) };
    }
    let brk = runs.iter().map(|r| r.1).max().unwrap_or(0);
    mem::init_brk(brk);
    // AT_PHDR: the program headers as loaded (in the segment that holds
    // them; glibc finds PT_TLS through it).
    let phoff = u64::from_le_bytes(image[32..40].try_into().map_err(|_| String::from("truncated"))?);
    let (phent, phnum) = (u16_at(image, 54), u16_at(image, 56));
    let phdr = segs
        .iter()
        .find(|s| s.file_offset <= phoff && phoff + phent * phnum <= s.file_offset + s.file_size)
        .map_or(0, |s| s.vaddr + (phoff - s.file_offset));
    mem::map_fixed(STACK_TOP - STACK_BYTES, STACK_BYTES, PROT_READ | PROT_WRITE)
        .map_err(|e| format!("cannot map the stack: errno {e}"))?;
    let (uid, gid) = crate::misc::ids();
    let info = ProgramInfo { phdr, phent, phnum, entry: elf.entry, uid, gid, hwcap: crate::misc::hwcap() };
    let a: Vec<&[u8]> = argv.iter().map(|s| s.as_bytes()).collect();
    let e: Vec<&[u8]> = envp.iter().map(|s| s.as_bytes()).collect();
    let mut random = [0u8; 16];
    crate::misc::random_bytes(&mut random);
    // Arguments within rm's `ARG_MAX` (what a spawn accepts) always fit:
    // the limit leaves 32 KiB for the auxiliary vector, `AT_EXECFN`
    // (a path) and alignment.
    let st = stack::build(STACK_TOP, &a, &e, path.as_bytes(), random, &info, STACK_LIMIT)
        .map_err(|e| format!("argument list too long ({e:?})"))?;
    // SAFETY: [rsp, STACK_TOP) lies in the stack mapping made above
    // (the builder keeps it within STACK_LIMIT < STACK_BYTES).
    unsafe { core::ptr::copy_nonoverlapping(st.bytes.as_ptr(), st.rsp as *mut u8, st.bytes.len()) };
    Ok(Start { entry: elf.entry, rsp: st.rsp })
}

fn prot_of(f: u32) -> u32 {
    let mut p = 0;
    if f & flags::R != 0 {
        p |= PROT_READ;
    }
    if f & flags::W != 0 {
        p |= PROT_WRITE;
    }
    if f & flags::X != 0 {
        p |= PROT_EXEC;
    }
    p
}
