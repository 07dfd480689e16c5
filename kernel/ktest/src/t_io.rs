//! I/O ports and interrupts: issuing port capabilities, port access inside
//! and outside the range, overlapping ranges; IRQ handlers for IOAPIC inputs
//! and MSIs with their invocations (no interrupt is actually raised).

use crate::harness::{Env, ROOT, Test, TestResult};
use crate::{check, check_eq, expect_err, ok, test};
use rampart_abi::bootinfo::slot;
use rampart_abi::{CapType, Error};
use rampart_rt::alloc::ROOT_DEPTH;
use rampart_rt::cap::{IoPort, IoPortControl, IrqControl, IrqHandler, Notification};
use rampart_rt::ipc::identify;

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(ioport_cmos_round_trip),
    test!(ioport_post_port_0x80),
    test!(ioport_outside_range_rejected),
    test!(ioport_overlapping_issue_refused),
    test!(ioport_invalid_range_refused),
    test!(irq_ioapic_handler_invocations),
    test!(irq_ioapic_twice_refused_until_deleted),
    test!(irq_ioapic_invalid_gsi),
    test!(irq_msi_handler),
];

const PORTS: IoPortControl = IoPortControl(slot::IO_PORT_CONTROL);
const IRQS: IrqControl = IrqControl(slot::IRQ_CONTROL);
/// An IOAPIC input no device uses on the test machines.
const FREE_GSI: u64 = 11;

fn issue(env: &mut Env, first: u16, last: u16) -> Result<IoPort, crate::harness::Reason> {
    let s = ok!(env.a.slot());
    ok!(PORTS.issue(first, last, ROOT, s, ROOT_DEPTH));
    Ok(IoPort(s))
}

fn ioport_cmos_round_trip(env: &mut Env) -> TestResult {
    let p = issue(env, 0x70, 0x71)?;
    check_eq!(identify(p.0), Some(CapType::IoPort), "issued capability");
    // CMOS NVRAM byte 0x3a (unused by firmware on QEMU), NMI stays enabled.
    ok!(p.out8(0x70, 0x3a));
    let old = ok!(p.in8(0x71));
    for v in [0xa5u8, 0x5a] {
        ok!(p.out8(0x70, 0x3a));
        ok!(p.out8(0x71, v));
        ok!(p.out8(0x70, 0x3a));
        check_eq!(ok!(p.in8(0x71)), v, "CMOS byte read back");
    }
    ok!(p.out8(0x70, 0x3a));
    ok!(p.out8(0x71, old));
    Ok(())
}

fn ioport_post_port_0x80(env: &mut Env) -> TestResult {
    let p = issue(env, 0x80, 0x80)?;
    ok!(p.out8(0x80, 0x42));
    ok!(p.in8(0x80));
    Ok(())
}

fn ioport_outside_range_rejected(env: &mut Env) -> TestResult {
    let p = issue(env, 0x70, 0x71)?;
    expect_err!(p.in8(0x72), Error::RangeError);
    expect_err!(p.in8(0x6f), Error::RangeError);
    expect_err!(p.out8(0xf4, 1), Error::RangeError);
    // A 16-bit access at the last port reaches past the range.
    expect_err!(p.in16(0x71), Error::RangeError);
    expect_err!(p.out32(0x70, 0), Error::RangeError);
    ok!(p.in16(0x70));
    Ok(())
}

fn ioport_overlapping_issue_refused(env: &mut Env) -> TestResult {
    let p = issue(env, 0x70, 0x71)?;
    let s = ok!(env.a.slot());
    expect_err!(PORTS.issue(0x71, 0x72, ROOT, s, ROOT_DEPTH), Error::RevokeFirst);
    expect_err!(PORTS.issue(0x60, 0x70, ROOT, s, ROOT_DEPTH), Error::RevokeFirst);
    check_eq!(identify(s), Some(CapType::Null), "slot after a refused issue");
    // Once the capability is gone the range can be issued again.
    ok!(ROOT.delete(p.0, ROOT_DEPTH));
    ok!(PORTS.issue(0x70, 0x71, ROOT, s, ROOT_DEPTH));
    Ok(())
}

fn ioport_invalid_range_refused(env: &mut Env) -> TestResult {
    let s = ok!(env.a.slot());
    expect_err!(PORTS.issue(0x71, 0x70, ROOT, s, ROOT_DEPTH), Error::RangeError);
    check_eq!(identify(s), Some(CapType::Null), "slot after a refused issue");
    let used = ok!(env.a.endpoint());
    expect_err!(PORTS.issue(0x70, 0x71, ROOT, used.0, ROOT_DEPTH), Error::DeleteFirst);
    Ok(())
}

fn ioapic_handler(env: &mut Env, gsi: u64) -> Result<IrqHandler, crate::harness::Reason> {
    let s = ok!(env.a.slot());
    ok!(IRQS.get_ioapic(ROOT, s, ROOT_DEPTH, gsi, false, false));
    Ok(IrqHandler(s))
}

fn irq_ioapic_handler_invocations(env: &mut Env) -> TestResult {
    let h = ioapic_handler(env, FREE_GSI)?;
    check_eq!(identify(h.0), Some(CapType::IrqHandler), "handler capability");
    let n: Notification = ok!(env.a.notification());
    ok!(h.set_notification(n));
    ok!(h.ack());
    ok!(h.clear());
    ok!(h.set_notification(n));
    let ep = ok!(env.a.endpoint());
    expect_err!(h.set_notification(Notification(ep.0)), Error::InvalidCapability);
    check_eq!(n.poll(), 0, "signals without an interrupt");
    Ok(())
}

fn irq_ioapic_twice_refused_until_deleted(env: &mut Env) -> TestResult {
    let h = ioapic_handler(env, FREE_GSI)?;
    let s = ok!(env.a.slot());
    expect_err!(IRQS.get_ioapic(ROOT, s, ROOT_DEPTH, FREE_GSI, false, false), Error::RevokeFirst);
    ok!(ROOT.delete(h.0, ROOT_DEPTH));
    ok!(IRQS.get_ioapic(ROOT, s, ROOT_DEPTH, FREE_GSI, true, true));
    Ok(())
}

fn irq_ioapic_invalid_gsi(env: &mut Env) -> TestResult {
    let s = ok!(env.a.slot());
    expect_err!(IRQS.get_ioapic(ROOT, s, ROOT_DEPTH, 100_000, false, false), Error::RangeError);
    let used = ok!(env.a.endpoint());
    expect_err!(IRQS.get_ioapic(ROOT, used.0, ROOT_DEPTH, FREE_GSI, false, false), Error::DeleteFirst);
    Ok(())
}

fn irq_msi_handler(env: &mut Env) -> TestResult {
    let s = ok!(env.a.slot());
    let (addr, data) = ok!(IRQS.get_msi(ROOT, s, ROOT_DEPTH));
    check!(addr & 0xfff0_0000 == 0xfee0_0000, "MSI address {:#x} not in the local APIC window", addr);
    check!((32..=255).contains(&(data & 0xff)), "MSI vector {} not a device vector", data & 0xff);
    let h = IrqHandler(s);
    ok!(h.set_notification(ok!(env.a.notification())));
    ok!(h.ack());
    let s2 = ok!(env.a.slot());
    let (_, data2) = ok!(IRQS.get_msi(ROOT, s2, ROOT_DEPTH));
    check!(data2 & 0xff != data & 0xff, "two MSIs got the same vector {}", data & 0xff);
    Ok(())
}
