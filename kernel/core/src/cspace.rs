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
pub fn resolve(root: Cap, cptr: u64, depth: u32) -> Result<(SlotRef, u32), LookupFault> {
    if root.cap_type() != CapType::CNode || depth == 0 || depth > 64 {
        return Err(LookupFault::InvalidRoot);
    }
    let mut node = root;
    let mut bits = depth;
    // At most 64 levels: each consumes at least one bit.
    loop {
        let radix = node.size_bits();
        let gsize = node.guard_size();
        let level = radix + gsize;
        if level == 0 || gsize > bits {
            return Err(LookupFault::GuardMismatch { bits_left: bits });
        }
        let guard = if gsize == 0 { 0 } else { (cptr >> (bits - gsize)) & guard_mask(gsize) };
        if guard != node.guard() {
            return Err(LookupFault::GuardMismatch { bits_left: bits });
        }
        if level > bits {
            return Err(LookupFault::DepthMismatch { bits_left: bits });
        }
        let shift = bits - level;
        let index = if radix == 0 { 0 } else { (cptr >> shift) & ((1u64 << radix) - 1) };
        let slot = SlotRef::index(node.paddr(), index);
        bits -= level;
        if bits == 0 {
            return Ok((slot, 0));
        }
        let next = slot.cap();
        if next.cap_type() != CapType::CNode {
            return Ok((slot, bits));
        }
        node = next;
    }
}

fn guard_mask(gsize: u32) -> u64 {
    if gsize >= 64 { u64::MAX } else { (1u64 << gsize) - 1 }
}

/// Looks up the capability named by `cptr` in a thread's CSpace (64-bit
/// depth; the walk may end early at a non-CNode capability, as in seL4).
///
/// # Errors
/// A [`LookupFault`].
pub fn lookup_cap(root: Cap, cptr: u64) -> Result<(SlotRef, Cap), LookupFault> {
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
