//! The program's memory: its mappings (the table every user pointer is
//! checked against before the shim touches it, docs/linux-abi.md "Bad
//! pointers"), `brk`, `mmap`, `munmap`, `mprotect`.
//!
//! Every page comes from rm by `RegionAllocAt` in the foreign window:
//! segments, stack, `brk`, `MAP_FIXED` at their addresses, other `mmap`s
//! at a free place from [`MMAP_BASE`] (so a forked child can rebuild the
//! whole address space at the same addresses). The hardware mapping is always read-write (and
//! executable where the program asked for `PROT_EXEC`); the recorded
//! protection decides what the shim will read or write on the program's
//! behalf (a `read` into the program's text is `EFAULT`, as on Linux).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_linux_abi::errno::*;
use rampart_linux_abi::range::{MapTable, PROT_EXEC, PROT_READ, PROT_WRITE, Prot};
use rampart_uabi::startup::layout;
use spin::Mutex;

/// Top of the program's stack (exclusive), just below the shim.
pub const STACK_TOP: u64 = layout::FOREIGN_END - 0x10_0000;
/// Stack size in bytes (mapped at start; Linux grows it on demand).
pub const STACK_BYTES: u64 = 1 << 20;

struct Mem {
    table: MapTable,
    /// rm regions by start address: (region id, bytes).
    regions: BTreeMap<u64, (u32, u64)>,
    brk_start: u64,
    brk_cur: u64,
    brk_mapped: u64,
}

static MEM: Mutex<Mem> =
    Mutex::new(Mem { table: MapTable::new(), regions: BTreeMap::new(), brk_start: 0, brk_cur: 0, brk_mapped: 0 });

fn errno(e: rampart_uabi::Errno) -> i32 {
    rampart_linux_abi::errno::from_rampart(e.0)
}

/// Maps `[addr, addr + len)` at that fixed address in the foreign window.
///
/// # Errors
/// Linux errno (`EINVAL`, `EEXIST`, `ENOMEM`, `EACCES`).
pub fn map_fixed(addr: u64, len: u64, prot: Prot) -> Result<(), i32> {
    let r = rampart_libos::rampart_rt::rm::region_alloc_at(addr, len, prot & PROT_EXEC != 0).map_err(errno)?;
    let mut m = MEM.lock();
    m.regions.insert(r.vaddr, (r.id, r.bytes));
    m.table.insert(r.vaddr, r.bytes, prot)
}

/// Sets the initial program break (end of the highest segment).
pub fn init_brk(end: u64) {
    let mut m = MEM.lock();
    m.brk_start = end;
    m.brk_cur = end;
    m.brk_mapped = end;
}

/// brk(2): the new break, or the old one if it cannot move there.
pub fn brk(want: u64) -> u64 {
    let (start, cur, mapped) = {
        let m = MEM.lock();
        (m.brk_start, m.brk_cur, m.brk_mapped)
    };
    if want < start || want >= STACK_TOP - STACK_BYTES {
        return cur;
    }
    if want > mapped {
        let end = want.next_multiple_of(4096);
        if map_fixed(mapped, end - mapped, PROT_READ | PROT_WRITE).is_err() {
            return cur;
        }
        MEM.lock().brk_mapped = end;
    }
    MEM.lock().brk_cur = want;
    want
}

/// `MAP_*` flags (mmap(2)).
const MAP_SHARED: u64 = 0x01;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;

/// mmap(2): anonymous private mappings, and private file mappings by
/// copying the file's bytes. `MAP_SHARED` file mappings are `ENODEV`
/// (no shared page cache yet).
///
/// # Errors
/// Linux errno.
pub fn mmap(addr: u64, len: u64, prot: u64, flags: u64, fd: u64, off: u64) -> Result<u64, i32> {
    if len == 0 || len > 1 << 40 || !off.is_multiple_of(4096) {
        return Err(EINVAL);
    }
    let len = len.next_multiple_of(4096);
    let prot = (prot & 7) as Prot;
    let anon = flags & MAP_ANONYMOUS != 0;
    if !anon && flags & MAP_SHARED != 0 && prot & PROT_WRITE != 0 {
        return Err(crate::misc::ENODEV);
    }
    let at = if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
        if !addr.is_multiple_of(4096) {
            return Err(EINVAL);
        }
        if flags & MAP_FIXED != 0 {
            unmap_whole(addr, len)?;
        }
        map_fixed(addr, len, prot).map_err(|e| if e == EEXIST && flags & MAP_FIXED != 0 { ENOMEM } else { e })?;
        addr
    } else {
        map_anywhere(len, prot)?
    };
    if !anon {
        // SAFETY: [at, at + len) was just mapped writable for the program;
        // the shim fills it before the program can see it.
        let dst = unsafe { core::slice::from_raw_parts_mut(at as *mut u8, len as usize) };
        crate::files::read_at(fd as u32, off, dst)?;
    }
    Ok(at)
}

/// Where mappings without an address start: far above any `brk`, below
/// the stack. Every mapping of the program is in the foreign window at an
/// address the shim chose, so a forked child can rebuild it at the same
/// address (`crate::fork`).
const MMAP_BASE: u64 = 0x4000_0000;

/// Maps `len` bytes (page multiple) at the first free place from
/// [`MMAP_BASE`] (mmap(2) without `MAP_FIXED`).
///
/// # Errors
/// `ENOMEM` (no room), rm's errors.
fn map_anywhere(len: u64, prot: Prot) -> Result<u64, i32> {
    let limit = STACK_TOP - STACK_BYTES;
    let mut hint = MMAP_BASE;
    // A range only forgotten by a partial munmap is still mapped (EEXIST):
    // look further.
    for _ in 0..64 {
        let at = MEM.lock().table.find_free(hint, limit, len).ok_or(ENOMEM)?;
        match map_fixed(at, len, prot) {
            Ok(()) => return Ok(at),
            Err(EEXIST) => {
                let next = MEM.lock().regions.range(..at + len).next_back().map_or(at + len, |(s, (_, b))| s + b);
                hint = next.max(at + 4096);
            }
            Err(e) => return Err(e),
        }
    }
    Err(ENOMEM)
}

/// Frees the rm regions lying wholly inside `[addr, addr + len)`; a region
/// only partly inside makes a `MAP_FIXED` replacement impossible (`ENOMEM`).
fn unmap_whole(addr: u64, len: u64) -> Result<(), i32> {
    let end = addr.checked_add(len).ok_or(EINVAL)?;
    let hits: Vec<(u64, (u32, u64))> =
        MEM.lock().regions.range(..end).filter(|(s, (_, b))| **s + *b > addr).map(|(s, r)| (*s, *r)).collect();
    for (s, (id, b)) in hits {
        if s < addr || s + b > end {
            return Err(ENOMEM);
        }
        let _ = rampart_libos::rampart_rt::rm::region_free(id);
        let mut m = MEM.lock();
        m.regions.remove(&s);
        let _ = m.table.remove(s, b);
    }
    Ok(())
}

/// munmap(2): whole regions are given back to rm; the rest of the range
/// is only forgotten (the program can no longer pass it to the shim).
///
/// # Errors
/// `EINVAL` (unaligned or outside user space).
pub fn munmap(addr: u64, len: u64) -> Result<u64, i32> {
    if !addr.is_multiple_of(4096) || len == 0 {
        return Err(EINVAL);
    }
    let len = len.next_multiple_of(4096);
    let end = addr.checked_add(len).ok_or(EINVAL)?;
    let whole: Vec<(u64, u32, u64)> = MEM
        .lock()
        .regions
        .range(addr..end)
        .filter(|(s, (_, b))| **s + *b <= end)
        .map(|(s, (id, b))| (*s, *id, *b))
        .collect();
    for (s, id, _) in whole {
        let _ = rampart_libos::rampart_rt::rm::region_free(id);
        MEM.lock().regions.remove(&s);
    }
    MEM.lock().table.remove(addr, len)?;
    Ok(0)
}

/// mprotect(2): records the protection the shim enforces on pointers
/// (the hardware mapping stays as made).
///
/// # Errors
/// `EINVAL`, `ENOMEM` (part of the range is not mapped).
pub fn mprotect(addr: u64, len: u64, prot: u64) -> Result<u64, i32> {
    if !addr.is_multiple_of(4096) {
        return Err(EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let len = len.next_multiple_of(4096);
    let mut m = MEM.lock();
    m.table.check(addr, len, 0).map_err(|_| ENOMEM)?;
    m.table.insert(addr, len, (prot & 7) as Prot)?;
    Ok(0)
}

/// The program's bytes at `[addr, addr + len)`, if it may read them.
///
/// # Errors
/// `EFAULT`.
pub fn user(addr: u64, len: usize) -> Result<&'static [u8], i32> {
    MEM.lock().table.check(addr, len as u64, PROT_READ)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: the range lies in mappings the shim made for the program and
    // records as readable; they stay mapped while the program runs (only
    // the program's own munmap/brk, which it cannot issue during this
    // call, removes them).
    Ok(unsafe { core::slice::from_raw_parts(addr as *const u8, len) })
}

/// The program's bytes at `[addr, addr + len)`, if it may write them.
///
/// # Errors
/// `EFAULT`.
pub fn user_mut(addr: u64, len: usize) -> Result<&'static mut [u8], i32> {
    MEM.lock().table.check(addr, len as u64, PROT_WRITE)?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: as for `user`; the program is stopped in its `syscall`, so
    // nothing else accesses the buffer during the call.
    Ok(unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, len) })
}

/// Copies `bytes` to the program at `addr`.
///
/// # Errors
/// `EFAULT`.
pub fn put(addr: u64, bytes: &[u8]) -> Result<(), i32> {
    user_mut(addr, bytes.len())?.copy_from_slice(bytes);
    Ok(())
}

/// Reads a `u64` of the program.
///
/// # Errors
/// `EFAULT`.
pub fn get_u64(addr: u64) -> Result<u64, i32> {
    Ok(u64::from_le_bytes(user(addr, 8)?.try_into().map_err(|_| EFAULT)?))
}

/// A NUL-terminated string of the program (at most `PATH_MAX` = 4096
/// bytes, else `ENAMETOOLONG`), checked page by page.
///
/// # Errors
/// `EFAULT`, `ENAMETOOLONG`, `EINVAL` (not UTF-8, which Rampart's servers
/// require of names).
pub fn cstr(addr: u64) -> Result<String, i32> {
    cstr_within(addr, 4096, ENAMETOOLONG)
}

/// The NUL-terminated UTF-8 string at `addr` of fewer than `max` bytes
/// (its NUL included); `too_long` past that.
///
/// # Errors
/// `EFAULT`, `EINVAL` (not UTF-8), `too_long`.
pub fn cstr_within(addr: u64, max: usize, too_long: i32) -> Result<String, i32> {
    let mut out = Vec::new();
    let mut at = addr;
    while out.len() < max {
        let chunk = (4096 - (at % 4096)) as usize;
        let bytes = user(at, chunk)?;
        if let Some(n) = bytes.iter().position(|&b| b == 0) {
            if out.len() + n >= max {
                return Err(too_long);
            }
            out.extend_from_slice(&bytes[..n]);
            return String::from_utf8(out).map_err(|_| EINVAL);
        }
        out.extend_from_slice(bytes);
        at += chunk as u64;
    }
    Err(too_long)
}

/// The program's memory as a forked child must rebuild it
/// (`crate::fork`): every rm region (start, bytes, executable), the
/// recorded mappings (start, end, protection) and the break.
pub struct Snapshot {
    /// (start, bytes, executable) of every region, ascending.
    pub regions: Vec<(u64, u64, bool)>,
    /// (start, end, protection) of every recorded mapping.
    pub maps: Vec<(u64, u64, Prot)>,
    /// `brk` start, current break, end of what is mapped for it.
    pub brk: (u64, u64, u64),
}

/// The program's memory layout now.
pub fn snapshot() -> Snapshot {
    let m = MEM.lock();
    let exec =
        |s: u64, b: u64| m.table.mappings().iter().any(|x| x.start < s + b && x.end > s && x.prot & PROT_EXEC != 0);
    Snapshot {
        regions: m.regions.iter().map(|(s, (_, b))| (*s, *b, exec(*s, *b))).collect(),
        maps: m.table.mappings().iter().map(|x| (x.start, x.end, x.prot)).collect(),
        brk: (m.brk_start, m.brk_cur, m.brk_mapped),
    }
}

/// Rebuilds `s` in this (fresh) process: each region mapped at its
/// address and filled by `fill(start, destination)`; the mapping table
/// and the break as recorded.
///
/// # Errors
/// Linux errno of the first region that cannot be mapped.
pub fn restore(s: &Snapshot, mut fill: impl FnMut(u64, &mut [u8])) -> Result<(), i32> {
    for &(start, bytes, exec) in &s.regions {
        let r = rampart_libos::rampart_rt::rm::region_alloc_at(start, bytes, exec).map_err(errno)?;
        MEM.lock().regions.insert(r.vaddr, (r.id, r.bytes));
        // SAFETY: the region was just mapped read-write at `start` for the
        // program; nothing else refers to it yet.
        let dst = unsafe { core::slice::from_raw_parts_mut(start as *mut u8, bytes as usize) };
        fill(start, dst);
    }
    let mut m = MEM.lock();
    for &(start, end, prot) in &s.maps {
        m.table.insert(start, end - start, prot)?;
    }
    (m.brk_start, m.brk_cur, m.brk_mapped) = s.brk;
    Ok(())
}
