//! Host tests of the MADT reader: QEMU's layout, x2APIC entries, and
//! malformed tables that must give a short list or an error, never a panic
//! or an endless walk.

extern crate std;
use super::*;
use crate::read_table;
use proptest::prelude::*;
use std::vec;
use std::vec::Vec;

struct Mem {
    base: u64,
    bytes: Vec<u8>,
}

impl PhysMem for Mem {
    fn read(&mut self, paddr: u64, buf: &mut [u8]) -> Result<(), AcpiError> {
        let off = paddr.checked_sub(self.base).ok_or(AcpiError::Unreadable(paddr))? as usize;
        let src = self.bytes.get(off..off + buf.len()).ok_or(AcpiError::Unreadable(paddr))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

const BASE: u64 = 0x7ffe_0000;

/// An MADT with local APIC address 0xfee00000, flags PCAT_COMPAT and
/// `entries` as given, checksum fixed.
fn madt(entries: &[u8]) -> Vec<u8> {
    let mut t = vec![0u8; 36];
    t[..4].copy_from_slice(b"APIC");
    t[4..8].copy_from_slice(&((44 + entries.len()) as u32).to_le_bytes());
    t[8] = 3;
    t.extend_from_slice(&0xfee0_0000u32.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(entries);
    let s = t.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    t[9] = 0u8.wrapping_sub(s);
    t
}

fn lapic(uid: u8, id: u8, flags: u32) -> Vec<u8> {
    let mut e = vec![0, 8, uid, id];
    e.extend_from_slice(&flags.to_le_bytes());
    e
}

fn x2apic(id: u32, flags: u32, uid: u32) -> Vec<u8> {
    let mut e = vec![9, 16, 0, 0];
    e.extend_from_slice(&id.to_le_bytes());
    e.extend_from_slice(&flags.to_le_bytes());
    e.extend_from_slice(&uid.to_le_bytes());
    e
}

fn read(bytes: Vec<u8>) -> Result<Madt, AcpiError> {
    let mut mem = Mem { base: BASE, bytes };
    let t = read_table(&mut mem, BASE, Some(*b"APIC"))?;
    Madt::read(&mut mem, &t)
}

fn ids(m: &Madt) -> Vec<u32> {
    m.cpus.as_slice().iter().map(|c| c.apic_id).collect()
}

#[test]
fn qemu_smp4_layout_lists_four_cpus() {
    // QEMU `-smp 4`: four type 0 entries, an IOAPIC (type 1, 12 bytes)
    // and interrupt source overrides (type 2, 10 bytes) in between.
    let mut e = Vec::new();
    for i in 0..4u8 {
        e.extend(lapic(i, i, 1));
    }
    e.extend([1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0]);
    e.extend([2, 10, 0, 0, 2, 0, 0, 0, 0, 0]);
    let m = read(madt(&e)).unwrap();
    assert_eq!(ids(&m), [0, 1, 2, 3]);
    assert_eq!(m.lapic_paddr, 0xfee0_0000);
    assert_eq!(m.cpus.as_slice()[2].uid, 2);
}

#[test]
fn disabled_cpus_are_left_out_and_duplicates_listed_once() {
    let mut e = lapic(0, 0, 1);
    e.extend(lapic(1, 1, 0)); // disabled
    e.extend(lapic(2, 2, 2)); // online capable only (hot-plug)
    e.extend(x2apic(0, 1, 0)); // the boot CPU again
    e.extend(x2apic(300, 1, 7)); // beyond 8 bits
    let m = read(madt(&e)).unwrap();
    assert_eq!(ids(&m), [0, 300]);
    assert_eq!(m.cpus.as_slice()[1].uid, 7);
}

#[test]
fn apic_address_override_is_used() {
    let mut e = vec![5, 12, 0, 0];
    e.extend_from_slice(&0x0000_0001_fee0_0000u64.to_le_bytes());
    e.extend(lapic(0, 0, 1));
    assert_eq!(read(madt(&e)).unwrap().lapic_paddr, 0x1_fee0_0000);
}

#[test]
fn malformed_entries_end_the_walk() {
    // A zero-length entry would loop forever; an entry running past the
    // table's end is not read.
    let mut e = lapic(0, 0, 1);
    e.extend([0, 0, 5, 5, 1, 0, 0, 0]);
    e.extend(lapic(1, 1, 1));
    assert_eq!(ids(&read(madt(&e)).unwrap()), [0]);
    let mut e = lapic(0, 0, 1);
    e.extend([0, 40, 1, 1, 1, 0, 0, 0]);
    assert_eq!(ids(&read(madt(&e)).unwrap()), [0]);
    // A type 0 entry too short for its flags is skipped, not misread.
    let mut e = vec![0, 4, 1, 1];
    e.extend(lapic(2, 2, 1));
    assert_eq!(ids(&read(madt(&e)).unwrap()), [2]);
}

#[test]
fn too_short_or_wrong_tables_are_errors() {
    let mut t = madt(&[]);
    t.truncate(40);
    t[4..8].copy_from_slice(&40u32.to_le_bytes());
    t[9] = 0;
    let s = t.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    t[9] = 0u8.wrapping_sub(s);
    assert_eq!(read(t), Err(AcpiError::BadTable(BASE)));
    let mut mem = Mem { base: BASE, bytes: madt(&lapic(0, 0, 1)) };
    let mut t = read_table(&mut mem, BASE, None).unwrap();
    t.signature = *b"FACP";
    assert_eq!(Madt::read(&mut mem, &t), Err(AcpiError::BadTable(BASE)));
}

#[test]
fn more_than_max_cpus_are_counted_not_listed() {
    let mut e = Vec::new();
    for i in 0..(MAX_CPUS as u32 + 5) {
        e.extend(x2apic(i, 1, i));
    }
    let m = read(madt(&e)).unwrap();
    assert_eq!(m.cpus.as_slice().len(), MAX_CPUS);
    assert_eq!(m.cpus.dropped, 5);
}

proptest! {
    /// Any entry bytes: an answer (a list of at most MAX_CPUS distinct IDs)
    /// or an error, never a panic.
    #[test]
    fn garbage_entries_never_panic(entries in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(m) = read(madt(&entries)) {
            let v = ids(&m);
            prop_assert!(v.len() <= MAX_CPUS);
            let mut d = v.clone();
            d.sort_unstable();
            d.dedup();
            prop_assert_eq!(d.len(), v.len());
        }
    }
}
