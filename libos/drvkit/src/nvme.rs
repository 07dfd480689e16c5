//! NVM Express, the parts a polling block driver needs, as pure functions
//! over register values and queue entries (NVM Express Base Specification
//! 1.4, "NVMe 1.4" below; the layouts are unchanged in 2.0).
//!
//! Everything the device gives (CAP, CSTS, completion entries, Identify
//! data) is untrusted: the parsers return `None` or an error for values
//! out of range and never index outside the bytes they were handed.

/// Controller register offsets (NVMe 1.4 §3.1, Figure 78).
pub mod reg {
    /// Controller Capabilities (64-bit, §3.1.1).
    pub const CAP: u64 = 0x00;
    /// Version (§3.1.2).
    pub const VS: u64 = 0x08;
    /// Interrupt Mask Set (§3.1.3).
    pub const INTMS: u64 = 0x0c;
    /// Controller Configuration (§3.1.5).
    pub const CC: u64 = 0x14;
    /// Controller Status (§3.1.6).
    pub const CSTS: u64 = 0x1c;
    /// Admin Queue Attributes (§3.1.8).
    pub const AQA: u64 = 0x24;
    /// Admin Submission Queue Base Address (64-bit, §3.1.9).
    pub const ASQ: u64 = 0x28;
    /// Admin Completion Queue Base Address (64-bit, §3.1.10).
    pub const ACQ: u64 = 0x30;
    /// First doorbell (§3.1.11, §3.1.12).
    pub const DOORBELLS: u64 = 0x1000;
}

/// `CC.EN` (§3.1.5).
pub const CC_EN: u32 = 1;
/// `CSTS.RDY` (§3.1.6).
pub const CSTS_RDY: u32 = 1;
/// `CSTS.CFS`, controller fatal status (§3.1.6).
pub const CSTS_CFS: u32 = 2;
/// Bytes of a memory page with `CC.MPS` = 0 (the only size this driver uses).
pub const PAGE: u64 = 4096;
/// Bytes of a submission queue entry (§4.2).
pub const SQE_BYTES: u64 = 64;
/// Bytes of a completion queue entry (§4.6).
pub const CQE_BYTES: u64 = 16;

/// Admin command opcodes (§5, Figure 139).
pub mod admin {
    /// Create I/O Submission Queue (§5.4).
    pub const CREATE_SQ: u8 = 0x01;
    /// Create I/O Completion Queue (§5.3).
    pub const CREATE_CQ: u8 = 0x05;
    /// Identify (§5.15).
    pub const IDENTIFY: u8 = 0x06;
}

/// NVM command set opcodes (§6, Figure 346).
pub mod nvm {
    /// Flush (§6.8).
    pub const FLUSH: u8 = 0x00;
    /// Write (§6.15).
    pub const WRITE: u8 = 0x01;
    /// Read (§6.9).
    pub const READ: u8 = 0x02;
}

/// The fields of CAP the driver uses (§3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap {
    /// Maximum queue entries supported (MQES + 1, at least 2).
    pub max_entries: u32,
    /// Worst-case time for CSTS.RDY to change, in 500 ms units (TO).
    pub timeout_500ms: u8,
    /// Doorbell stride: doorbells are `4 << dstrd` bytes apart (DSTRD).
    pub dstrd: u8,
    /// The NVM command set is supported (CSS bit 0).
    pub nvm: bool,
    /// Smallest memory page size, as `12 + mpsmin` bits (MPSMIN).
    pub mpsmin: u8,
}

impl Cap {
    /// Decodes CAP.
    pub fn parse(v: u64) -> Cap {
        Cap {
            max_entries: (v & 0xffff) as u32 + 1,
            timeout_500ms: (v >> 24) as u8,
            dstrd: ((v >> 32) & 0xf) as u8,
            nvm: (v >> 37) & 1 == 1,
            mpsmin: ((v >> 48) & 0xf) as u8,
        }
    }

    /// Byte offset of submission queue `qid`'s tail doorbell (§3.1.11:
    /// `1000h + (2y * (4 << CAP.DSTRD))`).
    pub fn sq_doorbell(&self, qid: u16) -> u64 {
        reg::DOORBELLS + 2 * u64::from(qid) * (4u64 << self.dstrd)
    }

    /// Byte offset of completion queue `qid`'s head doorbell (§3.1.12:
    /// `1000h + ((2y + 1) * (4 << CAP.DSTRD))`).
    pub fn cq_doorbell(&self, qid: u16) -> u64 {
        reg::DOORBELLS + (2 * u64::from(qid) + 1) * (4u64 << self.dstrd)
    }
}

/// CC for enabling: NVM command set, 4 KiB pages, round robin, 64-byte
/// submission and 16-byte completion entries (§3.1.5: IOSQES = 6,
/// IOCQES = 4).
pub const CC_ENABLE: u32 = CC_EN | (6 << 16) | (4 << 20);

/// AQA for admin queues of `entries` entries each (§3.1.8, 0's based).
pub fn aqa(entries: u32) -> u32 {
    let n = entries.clamp(2, 4096) - 1;
    n | (n << 16)
}

/// A submission queue entry, as 16 little-endian dwords (§4.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sqe(pub [u32; 16]);

impl Sqe {
    /// A command `opcode` with identifier `cid` on namespace `nsid`, data
    /// at `prp1`/`prp2` (PRP transfer, PSDT = 0).
    pub fn new(opcode: u8, cid: u16, nsid: u32, prp1: u64, prp2: u64) -> Sqe {
        let mut d = [0u32; 16];
        d[0] = u32::from(opcode) | (u32::from(cid) << 16);
        d[1] = nsid;
        d[6] = prp1 as u32;
        d[7] = (prp1 >> 32) as u32;
        d[8] = prp2 as u32;
        d[9] = (prp2 >> 32) as u32;
        Sqe(d)
    }

    /// Identify with CNS `cns` (§5.15: CDW10 bits 7:0) into the page at `prp1`.
    pub fn identify(cid: u16, nsid: u32, cns: u8, prp1: u64) -> Sqe {
        let mut s = Sqe::new(admin::IDENTIFY, cid, nsid, prp1, 0);
        s.0[10] = u32::from(cns);
        s
    }

    /// Create I/O Completion Queue `qid` of `entries` entries at `base`
    /// (physically contiguous, §5.3), raising interrupt vector `iv` (the
    /// MSI-X table entry) when given, else with interrupts disabled.
    pub fn create_cq(cid: u16, qid: u16, entries: u16, base: u64, iv: Option<u16>) -> Sqe {
        let mut s = Sqe::new(admin::CREATE_CQ, cid, 0, base, 0);
        s.0[10] = u32::from(qid) | (u32::from(entries - 1) << 16);
        // PC, and IEN with IV.
        s.0[11] = 1 | iv.map_or(0, |v| 2 | (u32::from(v) << 16));
        s
    }

    /// Create I/O Submission Queue `qid` of `entries` entries at `base`,
    /// completing on queue `cqid` (§5.4).
    pub fn create_sq(cid: u16, qid: u16, entries: u16, base: u64, cqid: u16) -> Sqe {
        let mut s = Sqe::new(admin::CREATE_SQ, cid, 0, base, 0);
        s.0[10] = u32::from(qid) | (u32::from(entries - 1) << 16);
        s.0[11] = 1 | (u32::from(cqid) << 16); // PC, CQID
        s
    }

    /// Read or Write (§6.9, §6.15) of `blocks` logical blocks (1..=65536)
    /// from `slba`.
    pub fn rw(opcode: u8, cid: u16, nsid: u32, slba: u64, blocks: u32, prp: (u64, u64)) -> Sqe {
        let mut s = Sqe::new(opcode, cid, nsid, prp.0, prp.1);
        s.0[10] = slba as u32;
        s.0[11] = (slba >> 32) as u32;
        s.0[12] = blocks.saturating_sub(1) & 0xffff;
        s
    }
}

/// A completion queue entry (§4.6, Figure 124).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cqe {
    /// Command specific (DW0).
    pub result: u32,
    /// Submission queue head pointer (SQHD).
    pub sq_head: u16,
    /// Command identifier.
    pub cid: u16,
    /// Phase tag.
    pub phase: bool,
    /// Status field (SCT and SC, bits 31:17 of DW3 shifted down); 0 is success.
    pub status: u16,
}

impl Cqe {
    /// Decodes the four dwords of an entry.
    pub fn parse(d: [u32; 4]) -> Cqe {
        Cqe {
            result: d[0],
            sq_head: d[2] as u16,
            cid: d[3] as u16,
            phase: (d[3] >> 16) & 1 == 1,
            status: (d[3] >> 17) as u16,
        }
    }
}

/// What Identify Controller tells the driver (§5.15.2.1, Figure 247).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Controller {
    /// Maximum data transfer size in bytes (MDTS, byte 77: `2^MDTS`
    /// minimum pages; 0 = no limit, reported as `u64::MAX`).
    pub max_transfer: u64,
    /// Number of namespaces (NN, bytes 519:516).
    pub namespaces: u32,
    /// A volatile write cache is present (VWC bit 0, byte 525).
    pub volatile_cache: bool,
}

impl Controller {
    /// Decodes the 4096-byte Identify Controller data with minimum page
    /// size `2^(12 + mpsmin)`. `None` if `d` is short.
    pub fn parse(d: &[u8], mpsmin: u8) -> Option<Controller> {
        let mdts = *d.get(77)?;
        let nn = u32::from_le_bytes(d.get(516..520)?.try_into().ok()?);
        let max_transfer = if mdts == 0 {
            u64::MAX
        } else {
            1u64.checked_shl(u32::from(mdts) + 12 + u32::from(mpsmin)).unwrap_or(u64::MAX)
        };
        Some(Controller { max_transfer, namespaces: nn, volatile_cache: d.get(525)? & 1 == 1 })
    }
}

/// What Identify Namespace tells the driver (§5.15.2.3, Figure 249, and
/// the NVM command set's LBA formats, Figure 250).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// Size in logical blocks (NSZE).
    pub blocks: u64,
    /// log2 of the logical block size in bytes (LBADS of the format in use).
    pub lba_shift: u8,
}

/// Why a namespace cannot be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceError {
    /// The data is short or the namespace is empty.
    Invalid,
    /// FLBAS names a format beyond NLBAF.
    BadFormat,
    /// The format carries metadata or its block size is not 512..=4096
    /// bytes (this driver serves plain 512-byte-sector clients).
    Unsupported,
}

impl Namespace {
    /// Decodes 4096 bytes of Identify Namespace data.
    ///
    /// # Errors
    /// [`NamespaceError`].
    pub fn parse(d: &[u8]) -> Result<Namespace, NamespaceError> {
        let blocks = u64::from_le_bytes(d.get(0..8).ok_or(NamespaceError::Invalid)?.try_into().unwrap_or([0; 8]));
        let nlbaf = *d.get(25).ok_or(NamespaceError::Invalid)?;
        let flbas = *d.get(26).ok_or(NamespaceError::Invalid)?;
        // FLBAS bits 3:0, and bits 6:5 as the upper bits (NVMe 2.0 §4.1.5.1).
        let index = usize::from(flbas & 0xf) | (usize::from((flbas >> 5) & 3) << 4);
        if blocks == 0 {
            return Err(NamespaceError::Invalid);
        }
        if index > usize::from(nlbaf) || index >= 64 {
            return Err(NamespaceError::BadFormat);
        }
        let at = 128 + 4 * index;
        let f = u32::from_le_bytes(d.get(at..at + 4).ok_or(NamespaceError::Invalid)?.try_into().unwrap_or([0; 4]));
        let ms = f & 0xffff;
        let lba_shift = (f >> 16) as u8;
        if ms != 0 || !(9..=12).contains(&lba_shift) {
            return Err(NamespaceError::Unsupported);
        }
        Ok(Namespace { blocks, lba_shift })
    }

    /// The namespace's size in 512-byte sectors (saturating).
    pub fn sectors(&self) -> u64 {
        self.blocks
            .checked_shl(u32::from(self.lba_shift - 9))
            .filter(|s| s >> (self.lba_shift - 9) == self.blocks)
            .unwrap_or(u64::MAX)
    }

    /// The logical blocks of `count` 512-byte sectors at `sector`:
    /// (first block, blocks).
    ///
    /// # Errors
    /// `None` if the range is not aligned to logical blocks, is empty or
    /// ends past the namespace.
    pub fn blocks_of(&self, sector: u64, count: u32) -> Option<(u64, u32)> {
        let per = 1u64 << (self.lba_shift - 9);
        let end = sector.checked_add(u64::from(count))?;
        if count == 0 || !sector.is_multiple_of(per) || !u64::from(count).is_multiple_of(per) {
            return None;
        }
        if end / per > self.blocks {
            return None;
        }
        Some((sector / per, (u64::from(count) / per) as u32))
    }
}

/// PRP entries for a transfer of `len` bytes at physical `addr` in
/// physically contiguous memory (§4.3): PRP1 is `addr` (any dword-aligned
/// offset); PRP2 is absent for one page, the second page for two, else a
/// PRP list whose entries (every following page) are written into `list`
/// (one page of entries) and whose physical address is `list_phys`.
/// Returns (PRP1, PRP2), or `None` for a misaligned address, an empty
/// transfer or one needing more entries than `list` holds.
pub fn prps(addr: u64, len: u64, list: &mut [u64], list_phys: u64) -> Option<(u64, u64)> {
    if len == 0 || !addr.is_multiple_of(4) {
        return None;
    }
    let first = addr & !(PAGE - 1);
    let end = addr.checked_add(len)?;
    let pages = (end - first).div_ceil(PAGE);
    match pages {
        1 => Some((addr, 0)),
        2 => Some((addr, first + PAGE)),
        n => {
            let rest = (n - 1) as usize;
            if rest > list.len() || !list_phys.is_multiple_of(8) {
                return None;
            }
            for (i, e) in list.iter_mut().take(rest).enumerate() {
                *e = first + (i as u64 + 1) * PAGE;
            }
            Some((addr, list_phys))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn cap_and_doorbells() {
        // QEMU's CAP: MQES 2047, CQR, TO 15, DSTRD 0, CSS NVM, MPSMAX 4.
        let c = Cap::parse(0x0040_0020_0f01_07ff);
        assert_eq!(c.max_entries, 2048);
        assert_eq!(c.timeout_500ms, 0x0f);
        assert!(c.nvm);
        assert_eq!(c.mpsmin, 0);
        assert_eq!(
            (c.sq_doorbell(0), c.cq_doorbell(0), c.sq_doorbell(1), c.cq_doorbell(1)),
            (0x1000, 0x1004, 0x1008, 0x100c)
        );
        let c = Cap::parse(2 << 32);
        assert_eq!((c.sq_doorbell(1), c.cq_doorbell(1)), (0x1000 + 32, 0x1000 + 48));
        // The largest stride stays in u64 arithmetic.
        assert_eq!(Cap::parse(0xf << 32).cq_doorbell(u16::MAX), 0x1000 + (2 * 65535 + 1) * (4 << 15));
        assert_eq!(aqa(32), 31 | (31 << 16));
        assert_eq!(aqa(0), 1 | (1 << 16));
    }

    #[test]
    fn entries() {
        let s = Sqe::rw(nvm::READ, 7, 1, 0x1_0000_0002, 8, (0x1234_5000, 0x6000));
        assert_eq!(s.0[0], 0x0007_0002);
        assert_eq!((s.0[1], s.0[6], s.0[8], s.0[10], s.0[11], s.0[12]), (1, 0x1234_5000, 0x6000, 2, 1, 7));
        let q = Sqe::create_cq(1, 1, 64, 0x8000, None);
        assert_eq!((q.0[10], q.0[11]), (1 | (63 << 16), 1));
        let q = Sqe::create_cq(1, 1, 64, 0x8000, Some(3));
        assert_eq!(q.0[11], 1 | 2 | (3 << 16));
        let q = Sqe::create_sq(2, 1, 64, 0x9000, 1);
        assert_eq!((q.0[10], q.0[11]), (1 | (63 << 16), 1 | (1 << 16)));
        let e = Cqe::parse([5, 0, 0x0001_0003, (0x2 << 17) | (1 << 16) | 9]);
        assert_eq!(e, Cqe { result: 5, sq_head: 3, cid: 9, phase: true, status: 2 });
    }

    #[test]
    fn identify_parsing() {
        let mut d = vec![0u8; 4096];
        d[77] = 5;
        d[516] = 1;
        d[525] = 1;
        assert_eq!(
            Controller::parse(&d, 0),
            Some(Controller { max_transfer: 128 << 10, namespaces: 1, volatile_cache: true })
        );
        d[77] = 0xff;
        assert_eq!(Controller::parse(&d, 0xf).unwrap().max_transfer, u64::MAX);
        assert_eq!(Controller::parse(&d[..100], 0), None);

        let mut n = vec![0u8; 4096];
        assert_eq!(Namespace::parse(&n), Err(NamespaceError::Invalid));
        n[0..8].copy_from_slice(&1000u64.to_le_bytes());
        n[128 + 2] = 9;
        assert_eq!(Namespace::parse(&n), Ok(Namespace { blocks: 1000, lba_shift: 9 }));
        n[26] = 1; // format 1, but NLBAF says only format 0 exists
        assert_eq!(Namespace::parse(&n), Err(NamespaceError::BadFormat));
        n[25] = 1;
        assert_eq!(Namespace::parse(&n), Err(NamespaceError::Unsupported), "format 1 is all zeros (LBADS 0)");
        n[132 + 2] = 12;
        let ns = Namespace::parse(&n).unwrap();
        assert_eq!((ns.lba_shift, ns.sectors()), (12, 8000));
        n[132] = 8; // 8 bytes of metadata
        assert_eq!(Namespace::parse(&n), Err(NamespaceError::Unsupported));
        n[26] = 0xff; // index 63 > NLBAF
        assert_eq!(Namespace::parse(&n), Err(NamespaceError::BadFormat));
        assert_eq!(Namespace::parse(&n[..20]), Err(NamespaceError::Invalid));
        assert_eq!(Namespace { blocks: u64::MAX, lba_shift: 12 }.sectors(), u64::MAX);
    }

    #[test]
    fn block_ranges_stay_inside_the_namespace() {
        let ns = Namespace { blocks: 100, lba_shift: 9 };
        assert_eq!(ns.blocks_of(0, 8), Some((0, 8)));
        assert_eq!(ns.blocks_of(92, 8), Some((92, 8)));
        assert_eq!(ns.blocks_of(93, 8), None, "past the end");
        assert_eq!(ns.blocks_of(u64::MAX, 2), None);
        assert_eq!(ns.blocks_of(0, 0), None);
        let ns = Namespace { blocks: 10, lba_shift: 12 };
        assert_eq!(ns.blocks_of(8, 16), Some((1, 2)));
        assert_eq!(ns.blocks_of(4, 8), None, "not block aligned");
        assert_eq!(ns.blocks_of(72, 8), Some((9, 1)));
        assert_eq!(ns.blocks_of(80, 8), None);
    }

    #[test]
    fn prp_entries() {
        let mut list = [0u64; 512];
        assert_eq!(prps(0x10_0200, 512, &mut list, 0x9000), Some((0x10_0200, 0)));
        assert_eq!(prps(0x10_0e00, 1024, &mut list, 0x9000), Some((0x10_0e00, 0x10_1000)));
        assert_eq!(prps(0x10_0000, 8192, &mut list, 0x9000), Some((0x10_0000, 0x10_1000)));
        assert_eq!(prps(0x10_0200, 8192, &mut list, 0x9000), Some((0x10_0200, 0x9000)));
        assert_eq!(&list[..2], &[0x10_1000, 0x10_2000]);
        assert_eq!(prps(0x10_0000, 128 << 10, &mut list, 0x9000), Some((0x10_0000, 0x9000)));
        assert_eq!(list[30], 0x10_0000 + 31 * 4096);
        assert_eq!(prps(0x10_0000, 0, &mut list, 0x9000), None);
        assert_eq!(prps(0x10_0001, 4, &mut list, 0x9000), None);
        assert_eq!(prps(0, 4 << 20, &mut list[..4], 0x9000), None, "list too short");
        assert_eq!(prps(u64::MAX - 4, 8, &mut list, 0x9000), None);
    }
}
