//! The ring itself: layout, producer and consumer ends.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, Ordering, fence};

/// Bytes of a ring's header (head and tail, one 64-byte line each).
pub const HEADER_BYTES: usize = 128;
const TAIL_OFFSET: usize = 64;
/// Largest capacity (entries).
const MAX_CAPACITY: u32 = 1 << 24;

/// Plain data that may live in shared memory: every bit pattern is a valid
/// value and the type holds no pointers or references.
///
/// # Safety
/// Implement only for primitive integers and `#[repr(C)]` structs of them
/// without padding whose every bit pattern is valid.
pub unsafe trait Plain: Copy {}

// SAFETY: primitive integers accept every bit pattern.
unsafe impl Plain for u8 {}
// SAFETY: as above.
unsafe impl Plain for u16 {}
// SAFETY: as above.
unsafe impl Plain for u32 {}
// SAFETY: as above.
unsafe impl Plain for u64 {}

/// Why a ring cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// The memory is too small or misaligned (64 bytes, and `T`'s
    /// alignment), or the capacity is not a power of two in 1..=2^24.
    BadLayout,
    /// The peer's index puts more than `capacity` entries in the ring: the
    /// shared memory was corrupted (by a faulty or hostile peer).
    Corrupt,
}

/// Bytes a ring of `capacity` entries of `T` needs (header included).
pub const fn ring_bytes<T>(capacity: u32) -> usize {
    HEADER_BYTES + capacity as usize * core::mem::size_of::<T>()
}

/// Zeroes the header of the ring at `mem` (both indices 0: empty). Memory
/// fresh from the resource manager is already zeroed.
///
/// # Safety
/// `mem` must be valid for writes of [`HEADER_BYTES`] bytes, aligned to 64,
/// and neither end of the ring may be in use.
pub unsafe fn init(mem: *mut u8) {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::write_bytes(mem, 0, HEADER_BYTES) };
}

/// Pointers into one ring.
struct Raw<T> {
    head: *const AtomicU32,
    tail: *const AtomicU32,
    slots: *mut T,
    capacity: u32,
    _t: PhantomData<T>,
}

impl<T: Plain> Raw<T> {
    /// # Safety
    /// As [`Producer::new`].
    unsafe fn new(mem: *mut u8, len: usize, capacity: u32) -> Result<Raw<T>, RingError> {
        let addr = mem as usize;
        if capacity == 0
            || !capacity.is_power_of_two()
            || capacity > MAX_CAPACITY
            || !addr.is_multiple_of(64)
            || !addr.is_multiple_of(core::mem::align_of::<T>())
            || len < ring_bytes::<T>(capacity)
        {
            return Err(RingError::BadLayout);
        }
        Ok(Raw {
            head: mem as *const AtomicU32,
            // SAFETY: within the `len` bytes the caller vouched for.
            tail: unsafe { mem.add(TAIL_OFFSET) } as *const AtomicU32,
            // SAFETY: as above; `HEADER_BYTES` keeps the slots aligned for `T`
            // (alignments of plain types are at most 64).
            slots: unsafe { mem.add(HEADER_BYTES) } as *mut T,
            capacity,
            _t: PhantomData,
        })
    }

    fn head(&self) -> &AtomicU32 {
        // SAFETY: `new`'s caller keeps the memory valid and 64-aligned while
        // the ring end exists; atomics are the only access to the index.
        unsafe { &*self.head }
    }

    fn tail(&self) -> &AtomicU32 {
        // SAFETY: as `head`.
        unsafe { &*self.tail }
    }

    fn slot(&self, index: u32) -> *mut T {
        // SAFETY: the masked index is below `capacity`, inside the memory.
        unsafe { self.slots.add((index & (self.capacity - 1)) as usize) }
    }

    /// Entries between `tail` and `head`, checked against the capacity.
    fn used(&self, head: u32, tail: u32) -> Result<u32, RingError> {
        let n = head.wrapping_sub(tail);
        if n > self.capacity { Err(RingError::Corrupt) } else { Ok(n) }
    }
}

/// The producing end of a ring.
pub struct Producer<T> {
    raw: Raw<T>,
    /// Next slot to write (private until published).
    head: u32,
    /// What the consumer has seen.
    published: u32,
    /// Last `tail` read.
    tail: u32,
}

// SAFETY: the end owns its view of the shared memory; moving it to another
// thread moves the only writer of `head`.
unsafe impl<T: Plain + Send> Send for Producer<T> {}

impl<T: Plain> Producer<T> {
    /// The producing end of the ring of `capacity` entries at `mem`
    /// (`len` bytes; at least [`ring_bytes`]), continuing from the indices
    /// found there.
    ///
    /// # Errors
    /// [`RingError::BadLayout`]; [`RingError::Corrupt`] if the indices
    /// found are inconsistent.
    ///
    /// # Safety
    /// `mem` must stay valid for reads and writes of `len` bytes while the
    /// producer exists, and no other producer of this ring may exist.
    pub unsafe fn new(mem: *mut u8, len: usize, capacity: u32) -> Result<Producer<T>, RingError> {
        // SAFETY: the caller's contract.
        let raw = unsafe { Raw::new(mem, len, capacity)? };
        let head = raw.head().load(Ordering::Relaxed);
        let tail = raw.tail().load(Ordering::Acquire);
        raw.used(head, tail)?;
        Ok(Producer { raw, head, published: head, tail })
    }

    /// Capacity in entries.
    pub fn capacity(&self) -> u32 {
        self.raw.capacity
    }

    /// Slots free for [`Producer::push`] now (reads the consumer's index).
    ///
    /// # Errors
    /// [`RingError::Corrupt`].
    pub fn free(&mut self) -> Result<u32, RingError> {
        self.tail = self.raw.tail().load(Ordering::Acquire);
        Ok(self.raw.capacity - self.raw.used(self.head, self.tail)?)
    }

    /// Writes `item` into the next slot; it becomes visible at the next
    /// [`Producer::publish`]. Returns `Ok(false)` if the ring is full.
    ///
    /// # Errors
    /// [`RingError::Corrupt`].
    pub fn push(&mut self, item: T) -> Result<bool, RingError> {
        if self.raw.used(self.head, self.tail)? == self.raw.capacity && self.free()? == 0 {
            return Ok(false);
        }
        // SAFETY: the slot is inside the ring and the consumer has released
        // it (`tail` was read with Acquire); volatile because the peer maps
        // the same memory.
        unsafe { core::ptr::write_volatile(self.raw.slot(self.head), item) };
        self.head = self.head.wrapping_add(1);
        Ok(true)
    }

    /// Pushes as many items of `items` as fit; returns how many.
    ///
    /// # Errors
    /// [`RingError::Corrupt`].
    pub fn push_slice(&mut self, items: &[T]) -> Result<usize, RingError> {
        let mut n = 0;
        for &x in items {
            if !self.push(x)? {
                break;
            }
            n += 1;
        }
        Ok(n)
    }

    /// Makes the pushed entries visible to the consumer. Returns `true` if
    /// the consumer must be notified: it had consumed everything published
    /// before (the ring went from empty to non-empty), so it may be asleep.
    pub fn publish(&mut self) -> bool {
        let old = self.published;
        if self.head == old {
            return false;
        }
        self.raw.head().store(self.head, Ordering::Release);
        self.published = self.head;
        fence(Ordering::SeqCst);
        self.tail = self.raw.tail().load(Ordering::Acquire);
        self.tail == old
    }

    /// For a producer about to wait for space: `true` if the ring is still
    /// full after a fence (sleep; the consumer will signal when it frees a
    /// slot), `false` if space appeared.
    ///
    /// # Errors
    /// [`RingError::Corrupt`].
    pub fn should_sleep(&mut self) -> Result<bool, RingError> {
        fence(Ordering::SeqCst);
        Ok(self.free()? == 0)
    }
}

/// The consuming end of a ring.
pub struct Consumer<T> {
    raw: Raw<T>,
    /// Next slot to read.
    tail: u32,
    /// What the producer has been told.
    released: u32,
    /// Last `head` read.
    head: u32,
}

// SAFETY: as for `Producer`.
unsafe impl<T: Plain + Send> Send for Consumer<T> {}

impl<T: Plain> Consumer<T> {
    /// The consuming end of the ring of `capacity` entries at `mem`.
    ///
    /// # Errors
    /// As [`Producer::new`].
    ///
    /// # Safety
    /// As [`Producer::new`], for consumers.
    pub unsafe fn new(mem: *mut u8, len: usize, capacity: u32) -> Result<Consumer<T>, RingError> {
        // SAFETY: the caller's contract.
        let raw = unsafe { Raw::new(mem, len, capacity)? };
        let tail = raw.tail().load(Ordering::Relaxed);
        let head = raw.head().load(Ordering::Acquire);
        raw.used(head, tail)?;
        Ok(Consumer { raw, tail, released: tail, head })
    }

    /// Capacity in entries.
    pub fn capacity(&self) -> u32 {
        self.raw.capacity
    }

    /// Entries waiting (reads the producer's index).
    ///
    /// # Errors
    /// [`RingError::Corrupt`].
    pub fn available(&mut self) -> Result<u32, RingError> {
        self.head = self.raw.head().load(Ordering::Acquire);
        self.raw.used(self.head, self.tail)
    }

    /// Takes the next entry, or `None` if the ring is empty. The slot is
    /// returned to the producer at the next [`Consumer::release`].
    ///
    /// # Errors
    /// [`RingError::Corrupt`].
    pub fn pop(&mut self) -> Result<Option<T>, RingError> {
        if self.head == self.tail && self.available()? == 0 {
            return Ok(None);
        }
        // SAFETY: the slot is inside the ring and was published (`head` was
        // read with Acquire); volatile because the peer maps the memory.
        let v = unsafe { core::ptr::read_volatile(self.raw.slot(self.tail)) };
        self.tail = self.tail.wrapping_add(1);
        Ok(Some(v))
    }

    /// Pops up to `out.len()` entries into `out`; returns how many.
    ///
    /// # Errors
    /// [`RingError::Corrupt`].
    pub fn pop_slice(&mut self, out: &mut [T]) -> Result<usize, RingError> {
        let mut n = 0;
        while n < out.len() {
            match self.pop()? {
                Some(v) => out[n] = v,
                None => break,
            }
            n += 1;
        }
        Ok(n)
    }

    /// Returns the popped slots to the producer. Returns `true` if the
    /// producer must be notified: the ring had been full, so it may be
    /// waiting for space.
    pub fn release(&mut self) -> bool {
        let old = self.released;
        if self.tail == old {
            return false;
        }
        self.raw.tail().store(self.tail, Ordering::Release);
        self.released = self.tail;
        fence(Ordering::SeqCst);
        let head = self.raw.head().load(Ordering::Acquire);
        head.wrapping_sub(old) >= self.raw.capacity
    }

    /// For a consumer about to wait: `true` if the ring is still empty after
    /// a fence (sleep; the producer will signal), `false` if entries
    /// appeared. Call after [`Consumer::release`].
    ///
    /// # Errors
    /// [`RingError::Corrupt`].
    pub fn should_sleep(&mut self) -> Result<bool, RingError> {
        fence(Ordering::SeqCst);
        Ok(self.available()? == 0)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    #[repr(C, align(64))]
    struct Mem([u8; 1024]);

    #[test]
    fn layout_is_checked() {
        let mut m = Mem([0; 1024]);
        let p = m.0.as_mut_ptr();
        // SAFETY: the memory outlives every ring end made here.
        unsafe {
            assert!(Producer::<u64>::new(p, 1024, 3).is_err());
            assert!(Producer::<u64>::new(p, 1024, 0).is_err());
            assert!(Producer::<u64>::new(p, 1024, 128).is_err());
            assert!(Producer::<u64>::new(p.add(8), 1000, 8).is_err());
            assert!(Producer::<u64>::new(p, 1024, 64).is_ok());
        }
    }

    #[test]
    fn fifo_and_transitions() {
        let mut m = Mem([0; 1024]);
        let p = m.0.as_mut_ptr();
        // SAFETY: as above.
        let (mut tx, mut rx) =
            unsafe { (Producer::<u32>::new(p, 1024, 4).unwrap(), Consumer::<u32>::new(p, 1024, 4).unwrap()) };
        assert!(tx.push(1).unwrap());
        assert!(tx.publish(), "empty to non-empty signals");
        assert!(tx.push(2).unwrap());
        assert!(!tx.publish(), "non-empty stays quiet");
        assert!(tx.push(3).unwrap() && tx.push(4).unwrap());
        assert!(!tx.push(5).unwrap(), "full");
        assert!(!tx.publish());
        let mut out = vec![0; 8];
        assert_eq!(rx.pop_slice(&mut out).unwrap(), 4);
        assert_eq!(&out[..4], &[1, 2, 3, 4]);
        assert!(rx.release(), "full to not full signals");
        assert!(rx.should_sleep().unwrap());
        assert!(tx.push(5).unwrap());
        assert!(tx.publish(), "consumer drained everything");
    }

    #[test]
    fn corrupt_indices_are_errors() {
        let mut m = Mem([0; 1024]);
        let p = m.0.as_mut_ptr();
        // SAFETY: as above.
        let mut rx = unsafe { Consumer::<u32>::new(p, 1024, 4).unwrap() };
        // A hostile producer claims 1000 entries.
        // SAFETY: the header is inside `m`; nothing else accesses it now.
        unsafe { (*(p as *const AtomicU32)).store(1000, Ordering::Relaxed) };
        assert_eq!(rx.pop(), Err(RingError::Corrupt));
        // SAFETY: as above.
        assert!(unsafe { Producer::<u32>::new(p, 1024, 4) }.is_err());
    }
}
