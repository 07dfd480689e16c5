//! Capability addressing: resolving a capability pointer through a tree of
//! guarded CNodes (seL4 Reference Manual §3.3, `resolveAddressBits`).

use crate::cap::Cap;
use crate::slot::SlotRef;
use rampart_abi::CapType;

/// Why a lookup failed (seL4 `lookup_fault`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupFault {
    /// The root is not a CNode capability.
    InvalidRoot,
    /// A level's guard did not match (`bits_left` before the level).
    GuardMismatch {
        /// Bits of the address not yet resolved.
        bits_left: u32,
    },
    /// The depth ran out in the middle of a level, or was not used up.
    DepthMismatch {
        /// Bits not yet resolved.
        bits_left: u32,
    },
    /// A level resolved to something that is not a CNode before the depth
    /// was used up.
    MissingCapability {
        /// Bits not yet resolved.
        bits_left: u32,
    },
}

/// Resolves `depth` bits of `cptr` (from the top) starting at CNode cap
/// `root`. Returns the slot reached and the bits left unresolved (non-zero
/// only when a non-CNode capability ended the walk early).
///
/// # Errors
/// A [`LookupFault`].
#[inline]
pub fn resolve(root: Cap, cptr: u64, depth: u32) -> Result<(SlotRef, u32), LookupFault> {
    if !root.is(CapType::CNode) || depth == 0 || depth > 64 {
        return Err(LookupFault::InvalidRoot);
    }
    let mut node = root;
    let mut bits = depth;
    // Each level consumes at least one bit, so at most 64 iterations.
    loop {
        let (slots, radix, gsize, guard) = node.cnode_fields();
        let level = radix + gsize;
        if level == 0 || gsize > bits {
            return Err(LookupFault::GuardMismatch { bits_left: bits });
        }
        if gsize != 0 && (cptr >> (bits - gsize)) & (u64::MAX >> (64 - gsize)) != guard {
            return Err(LookupFault::GuardMismatch { bits_left: bits });
        }
        if level > bits {
            return Err(LookupFault::DepthMismatch { bits_left: bits });
        }
        bits -= level;
        let index = if radix == 0 { 0 } else { (cptr >> bits) & ((1u64 << radix) - 1) };
        let slot = SlotRef::index(slots, index);
        if bits == 0 {
            return Ok((slot, 0));
        }
        let next = slot.cap();
        if !next.is(CapType::CNode) {
            return Ok((slot, bits));
        }
        node = next;
    }
}

/// Looks up the capability named by `cptr` in a thread's CSpace (64-bit
/// depth; the walk may end early at a non-CNode capability, as in seL4).
///
/// # Errors
/// A [`LookupFault`].
#[inline(always)]
pub fn lookup_cap(root: Cap, cptr: u64) -> Result<(SlotRef, Cap), LookupFault> {
    // The common case, one step: a single-level CSpace whose guard and radix
    // together take all 64 bits (every task Rampart builds has one). The
    // guard is stored masked, so it compares directly with the top bits.
    if root.is(CapType::CNode) {
        let radix = ((root.w0 >> 5) & 0x3f) as u32;
        let gsize = ((root.w0 >> 11) & 0x7f) as u32;
        if radix != 0 && radix + gsize == 64 && cptr >> radix == root.w1 {
            // The guard matched, so the index is what remains of `cptr`.
            let slot = SlotRef::index((root.w0 >> 18) << 5, cptr ^ (root.w1 << radix));
            return Ok((slot, slot.cap()));
        }
    }
    let (slot, _) = resolve(root, cptr, 64)?;
    Ok((slot, slot.cap()))
}

/// Looks up a slot for a CNode operation: `depth` bits must be used up
/// exactly (seL4 `lookupSlotForCNodeOp`).
///
/// # Errors
/// A [`LookupFault`]; `DepthMismatch` if bits remain.
pub fn lookup_slot_exact(root: Cap, index: u64, depth: u64) -> Result<SlotRef, LookupFault> {
    if depth == 0 || depth > 64 {
        return Err(LookupFault::DepthMismatch { bits_left: depth.min(64) as u32 });
    }
    let (slot, left) = resolve(root, index, depth as u32)?;
    if left != 0 {
        return Err(LookupFault::DepthMismatch { bits_left: left });
    }
    Ok(slot)
}
