//! PCI enumeration, BAR sizing, capability parsing, assignment and the
//! drivers' filtered view, on configuration-space images shaped like
//! QEMU's (`pc` and `q35` with virtio-blk-pci and virtio-net-pci), and on
//! random garbage.

use proptest::prelude::*;
use rampart_devmgr_api::{BarKind, Bdf, Grant, IrqKind};
use rampart_devmgr_core::assign::{NVME, VIRTIO_BLK, VIRTIO_NET, driver_for, plan};
use rampart_devmgr_core::filter::{DriverView, FilterError};
use rampart_devmgr_core::pci::{ConfigSpace, enumerate, reg};
use rampart_devmgr_core::testing::{FakeConfig, FakeFunction, virtio_function};

const BLK: Bdf = Bdf { bus: 0, device: 3, function: 0 };
const NET: Bdf = Bdf { bus: 0, device: 4, function: 0 };

fn machine() -> FakeConfig {
    let mut c = FakeConfig::default();
    c.funcs.insert(Bdf::default(), FakeFunction::new(0x8086, 0x29c0, [6, 0, 0], 0, 0));
    // A multi-function ISA bridge with a second function.
    c.funcs.insert(Bdf { bus: 0, device: 0x1f, function: 0 }, FakeFunction::new(0x8086, 0x2918, [6, 1, 0], 0x80, 0));
    c.funcs.insert(Bdf { bus: 0, device: 0x1f, function: 3 }, FakeFunction::new(0x8086, 0x2930, [0xc, 5, 0], 0, 0));
    c.funcs.insert(BLK, virtio_function(0x1042, 0xc000, 0xfebd_1000, 0xfe00_0000));
    c.funcs.insert(NET, virtio_function(0x1041, 0xc080, 0xfebd_2000, 0xfe00_4000));
    c
}

#[test]
fn enumerates_and_sizes() {
    let mut c = machine();
    let fs = enumerate(&mut c, 0);
    let bdfs: Vec<Bdf> = fs.iter().map(|f| f.bdf).collect();
    assert_eq!(bdfs.len(), 5, "{bdfs:?}");
    let blk = fs.iter().find(|f| f.bdf == BLK).unwrap();
    assert_eq!((blk.vendor, blk.device, blk.class), (0x1af4, 0x1042, [1, 0, 0]));
    assert_eq!((blk.irq_line, blk.irq_pin), (11, 1));
    assert_eq!(blk.bars.len(), 3);
    let b4 = blk.bars.iter().find(|b| b.index == 4).unwrap();
    assert_eq!((b4.kind, b4.addr, b4.size, b4.prefetchable), (BarKind::Mem64, 0xfe00_0000, 0x4000, true));
    let b0 = blk.bars.iter().find(|b| b.index == 0).unwrap();
    assert_eq!((b0.kind, b0.addr, b0.size), (BarKind::Io, 0xc000, 0x80));
    let m = blk.caps.msix.unwrap();
    assert_eq!((m.table_size, m.table_bar, m.table_offset, m.pba_bar, m.pba_offset), (2, 1, 0, 1, 0x800));
    let types: Vec<u8> = blk.caps.virtio.iter().map(|v| v.cfg_type).collect();
    assert_eq!(types, vec![5, 2, 4, 3, 1]);
    assert!(!blk.caps.malformed);
    // Probing restored every BAR and the command register.
    assert_eq!(c.read(BLK, reg::BAR0 + 16), 0xfe00_000c);
    assert_eq!(c.read(BLK, reg::COMMAND) & 3, 3);
    assert_eq!(driver_for(blk), Some(VIRTIO_BLK));
    assert_eq!(driver_for(fs.iter().find(|f| f.bdf == NET).unwrap()), Some(VIRTIO_NET));
}

#[test]
fn nvme_is_chosen_by_class_with_the_block_drivers_grants() {
    let mut c = machine();
    let nvme = Bdf { bus: 0, device: 5, function: 0 };
    // QEMU's `nvme` device: Red Hat 1b36:0010, class 01/08/02.
    c.funcs.insert(nvme, FakeFunction::new(0x1b36, 0x0010, [1, 8, 2], 0, 0));
    // A SATA controller (01/06/01) and another vendor's NVMe-subclass
    // device with a different programming interface get no driver.
    c.funcs.insert(Bdf { bus: 0, device: 6, function: 0 }, FakeFunction::new(0x8086, 0x2922, [1, 6, 1], 0, 0));
    c.funcs.insert(Bdf { bus: 0, device: 7, function: 0 }, FakeFunction::new(0x144d, 0xa808, [1, 8, 3], 0, 0));
    let fs = enumerate(&mut c, 0);
    let f = |b: Bdf| fs.iter().find(|f| f.bdf == b).unwrap();
    assert_eq!(driver_for(f(nvme)), Some(NVME));
    assert_eq!(driver_for(f(Bdf { bus: 0, device: 6, function: 0 })), None);
    assert_eq!(driver_for(f(Bdf { bus: 0, device: 7, function: 0 })), None);
    assert_eq!(
        (NVME.prefix, NVME.context, NVME.device_context),
        (VIRTIO_BLK.prefix, VIRTIO_BLK.context, VIRTIO_BLK.device_context)
    );
}

#[test]
fn plan_gives_exactly_the_device_pages_and_keeps_msix() {
    let mut c = machine();
    let fs = enumerate(&mut c, 0);
    let blk = fs.iter().find(|f| f.bdf == BLK).unwrap();
    let p = plan(blk, &VIRTIO_BLK, &fs);
    let frames: Vec<u64> =
        p.grants.iter().filter_map(|g| if let Grant::Frame { paddr, .. } = g { Some(*paddr) } else { None }).collect();
    assert_eq!(frames, vec![0xfe00_0000, 0xfe00_1000, 0xfe00_2000, 0xfe00_3000]);
    assert_eq!(p.kept, vec![0xfebd_1000], "table and PBA pages stay with devmgr");
    assert!(!p.grants.iter().any(|g| matches!(g, Grant::IoPort { .. })), "virtio modern needs no ports");
    assert_eq!(p.grants.last(), Some(&Grant::Irq(IrqKind::MsiX { entry: 0 })));
}

#[test]
fn shared_pages_are_withheld() {
    let mut c = machine();
    // A device whose 256-byte BAR sits in the net device's BAR 4 page.
    c.funcs.insert(
        Bdf { bus: 0, device: 5, function: 0 },
        FakeFunction::new(0x1234, 1, [0xff, 0, 0], 0, 0).bar(0, 0xfe00_4100, 0x100, None),
    );
    let fs = enumerate(&mut c, 0);
    let net = fs.iter().find(|f| f.bdf == NET).unwrap();
    let p = plan(net, &VIRTIO_NET, &fs);
    assert_eq!(p.shared, vec![0xfe00_4000]);
    assert!(!p.grants.contains(&Grant::Frame { bar: 4, paddr: 0xfe00_4000 }));
}

#[test]
fn filtered_view_allows_probing_not_moving() {
    let mut c = machine();
    let fs = enumerate(&mut c, 0);
    let blk = fs.iter().find(|f| f.bdf == BLK).unwrap();
    let mut v = DriverView::new(BLK, &blk.bars);
    c.writes.clear();
    // The sequence virtio-drivers' `bar_info` performs on BAR 4.
    let cmd = v.read(&mut c, reg::COMMAND).unwrap();
    v.write(&mut c, reg::COMMAND, cmd & !3).unwrap();
    let lo = v.read(&mut c, 0x20).unwrap();
    v.write(&mut c, 0x20, 0xffff_ffff).unwrap();
    let mask = v.read(&mut c, 0x20).unwrap();
    let hi = v.read(&mut c, 0x24).unwrap();
    v.write(&mut c, 0x24, 0xffff_ffff).unwrap();
    let mask_hi = v.read(&mut c, 0x24).unwrap();
    v.write(&mut c, 0x24, hi).unwrap();
    v.write(&mut c, 0x20, lo).unwrap();
    v.write(&mut c, reg::COMMAND, cmd).unwrap();
    let size = !((u64::from(mask_hi) << 32) | u64::from(mask & !0xf)) + 1;
    assert_eq!(size, 0x4000);
    assert_eq!(v.read(&mut c, 0x20).unwrap(), 0xfe00_000c);
    assert!(c.writes.is_empty(), "nothing reached the device: {:?}", c.writes);
    // Moving a BAR, touching MSI-X or the interrupt line is refused.
    assert_eq!(v.write(&mut c, 0x20, 0x1000_000c), Err(FilterError::Denied));
    assert_eq!(v.write(&mut c, 0x98, 0xc001_8411), Err(FilterError::Denied));
    assert_eq!(v.write(&mut c, 0x3c, 5), Err(FilterError::Denied));
    assert_eq!(v.read(&mut c, 0x102), Err(FilterError::BadOffset));
    // Bus mastering may change; decoding may not.
    v.write(&mut c, reg::COMMAND, 0x4).unwrap();
    assert_eq!(c.read(BLK, reg::COMMAND) & 7, 7);
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(500)))]
    /// Garbage functions never make enumeration panic, and never send
    /// capability walks around in circles.
    #[test]
    fn garbage_config_never_panics(regs in proptest::collection::vec(any::<u32>(), 64), wr in proptest::collection::vec(any::<u32>(), 64)) {
        let mut c = FakeConfig::default();
        let mut f = FakeFunction::new(0x1af4, 0x1042, [1, 0, 0], 0, 0);
        f.regs.copy_from_slice(&regs);
        f.regs[0] = (f.regs[0] & 0xffff_0000) | 0x1af4;
        f.writable.copy_from_slice(&wr);
        c.funcs.insert(BLK, f);
        let fs = enumerate(&mut c, 0);
        for f in &fs {
            prop_assert!(f.caps.entries.len() <= 48);
            for b in &f.bars {
                prop_assert!(b.size.is_power_of_two() && b.addr % b.size == 0);
            }
            let _ = plan(f, &VIRTIO_BLK, &fs);
            let mut v = DriverView::new(f.bdf, &f.bars);
            for off in (0..256).step_by(4) {
                let _ = v.read(&mut c, off);
            }
        }
    }
}
