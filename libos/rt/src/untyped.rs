//! Untyped memory: the only way kernel objects come into existence
//! (`Label::UntypedRetype`).

use crate::cap::{CNode, Cap, Untyped};
use crate::invoke::invoke0;
use rampart_abi::{Error, Label, ObjectType};

impl Untyped {
    /// Creates `count` objects of type `ty` in consecutive empty slots
    /// `offset..offset+count` of the CNode found at (`node_index`,
    /// `node_depth`) relative to `root`.
    ///
    /// `size_bits` is the object size for [`ObjectType::Untyped`] (log2
    /// bytes, 4..=47) and the radix for [`ObjectType::CNode`] (1..=24);
    /// other types ignore it. Objects are carved at the untyped's watermark,
    /// aligned to their size; an untyped without children starts again at 0
    /// (its memory is reusable after `CNode::revoke`).
    ///
    /// # Errors
    /// `InvalidArgument` (type or size), `RangeError` (count not in
    /// 1..=256, slots outside the CNode), `DeleteFirst` (a slot is in use),
    /// `NotEnoughMemory` (detail MR0: bytes left), `FailedLookup` (the
    /// destination CNode), `InvalidCapability` (`root` is not a CNode).
    #[allow(clippy::too_many_arguments)]
    pub fn retype(
        self,
        ty: ObjectType,
        size_bits: u64,
        root: CNode,
        node_index: u64,
        node_depth: u64,
        offset: u64,
        count: u64,
    ) -> Result<(), Error> {
        invoke0(
            self,
            Label::UntypedRetype,
            &[ty as u64, size_bits, node_index, node_depth, offset, count],
            &[root.cptr()],
        )
    }
}
