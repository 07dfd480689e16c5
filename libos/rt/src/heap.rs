//! The program heap: a `linked_list_allocator` heap that grows by asking rm
//! (`HeapGrow`), which maps pages right after the heap's end.
//!
//! Programs started by rm get their initial heap from the startup
//! information ([`crate::process`] sets it up); root tasks call [`init`]
//! with memory of their own. Allocation failure when the heap cannot grow
//! (quota exhausted) returns null, which ends in the panic handler for
//! infallible collections; fallible APIs (`try_reserve`) see the error.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use linked_list_allocator::Heap;
use spin::Mutex;

/// Smallest growth step in bytes.
pub const GROW_MIN: usize = 64 * 1024;

static HEAP: Mutex<Heap> = Mutex::new(Heap::empty());
static GROWS: AtomicBool = AtomicBool::new(false);
/// Where an initially empty heap starts (its first growth is mapped there).
static START: AtomicU64 = AtomicU64::new(0);

/// Gives the heap `[start, start + size)`; with `grows`, it asks rm for more
/// when full.
///
/// # Safety
/// The range must be mapped, writable, used by nothing else for the rest
/// of the program, and this must be called at most once.
pub unsafe fn init(start: u64, size: u64, grows: bool) {
    START.store(start, Relaxed);
    GROWS.store(grows, Relaxed);
    // A heap smaller than one hole stays empty until it grows.
    if size >= MIN_SIZE as u64 {
        // SAFETY: the caller's contract.
        unsafe { HEAP.lock().init(start as *mut u8, size as usize) };
    }
}

/// Smallest heap `linked_list_allocator` accepts (one hole), bytes.
const MIN_SIZE: usize = 2 * core::mem::size_of::<usize>();

/// Bytes in use and bytes managed.
pub fn usage() -> (usize, usize) {
    let h = HEAP.lock();
    (h.used(), h.size())
}

#[cfg_attr(not(panic = "abort"), allow(dead_code))]
struct RtAlloc;

// SAFETY: `alloc` returns null or a block of `HEAP` fitting `layout`, which
// the locked `linked_list_allocator` hands out at most once until `dealloc`.
unsafe impl GlobalAlloc for RtAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut h = HEAP.lock();
        if let Ok(p) = h.allocate_first_fit(layout) {
            return p.as_ptr();
        }
        if !GROWS.load(Relaxed) {
            return core::ptr::null_mut();
        }
        let want = (layout.size() + layout.align()).max(GROW_MIN).next_multiple_of(rampart_abi::PAGE_SIZE);
        let empty = h.size() == 0;
        let top = if empty { START.load(Relaxed) } else { h.top() as u64 };
        match crate::rm::heap_grow(want as u64) {
            Ok((_, end)) if end >= top + want as u64 => {
                // SAFETY: rm mapped `[top, end)` read-write right after the
                // heap (or at its start, for an empty heap); nothing else
                // uses it.
                unsafe {
                    if empty {
                        h.init(top as *mut u8, (end - top) as usize);
                    } else {
                        h.extend((end - top) as usize);
                    }
                }
                h.allocate_first_fit(layout).map_or(core::ptr::null_mut(), |p| p.as_ptr())
            }
            _ => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            // SAFETY: `ptr` came from `alloc` with this layout (GlobalAlloc contract).
            unsafe { HEAP.lock().deallocate(p, layout) };
        }
    }
}

/// The program's allocator. Like the panic handler, only in `panic = "abort"`
/// builds (every freestanding build): a host build (`cargo clippy --workspace
/// --all-targets`, where feature unification can link this crate into a host
/// test) keeps `std`'s allocator.
#[cfg(panic = "abort")]
#[global_allocator]
static ALLOCATOR: RtAlloc = RtAlloc;
