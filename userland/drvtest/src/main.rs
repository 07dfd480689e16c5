//! drvtest: the drivers from a client's side (tests/tests/drivers.rs).
//!
//! Run as the first program (`init.test=drv`) in the file server's domain
//! (`init.context=system_u:system_r:fs_t`), it connects to devmgr through
//! connsrv, attaches to `blk0` (the ext4 root image) and `blk1` (a scratch
//! disk) through the block queues and checks what it reads and writes;
//! `drvtest:measure` adds a sequential-read measurement. Ends with
//! `drvtest: N passed, M failed`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use rampart_blkdrv_api::client::BlkClient;
use rampart_blkdrv_api::rt::{NtfnSignal, open};
use rampart_connsrv_api::rt::Channel;
use rampart_devmgr_api::rt::Devmgr;
use rampart_rt::cpu::rdtsc;
use rampart_rt::dprintln;
use rampart_uabi::Errno;

rampart_rt::program!(main);

struct T {
    passed: u32,
    failed: u32,
}

impl T {
    fn check(&mut self, ok: bool, what: &str) {
        if ok {
            self.passed += 1;
            dprintln!("drvtest: ok   {what}");
        } else {
            self.failed += 1;
            dprintln!("drvtest: FAIL {what}");
        }
    }
}

fn tsc_hz() -> u64 {
    rampart_rt::startup::header().map_or(1_000_000_000, |h| h.tsc_hz.max(1))
}

/// Slots for attachments: 3 per device.
const SLOT_DEVMGR: u64 = 40;
const SLOT_BLK0: u64 = 41;
const SLOT_BLK1: u64 = 44;
/// Badge bits of the drivers' signals on our notification.
const EVENT_BLK0: u64 = 1 << 16;
const EVENT_BLK1: u64 = 1 << 17;

fn main() -> i32 {
    let mut t = T { passed: 0, failed: 0 };
    let measure = rampart_rt::process::args().iter().any(|a| a == "measure");
    let serial = rampart_rt::process::args().iter().any(|a| a == "serial");
    match Channel::own().connect("devmgr", SLOT_DEVMGR) {
        Ok(c) if serial => echo(&mut t, Devmgr(c.ep)),
        Ok(c) => run(&mut t, Devmgr(c.ep), measure),
        Err(e) => t.check(false, &alloc::format!("connect devmgr: {e}")),
    }
    dprintln!("drvtest: {} passed, {} failed", t.passed, t.failed);
    i32::from(t.failed != 0)
}

/// Waits (bounded: 30 s of TSC) until devmgr lists `name` as ready.
fn wait_ready(d: &Devmgr, name: &str) -> bool {
    let end = rdtsc() + 30 * tsc_hz();
    while rdtsc() < end {
        if d.list().is_ok_and(|l| l.iter().any(|e| e.name == name && e.ready)) {
            return true;
        }
        rampart_rt::syscall::yield_now();
    }
    false
}

fn attach(t: &mut T, d: &Devmgr, name: &str, s: u64, badge: u64) -> Option<BlkClient<NtfnSignal>> {
    if !wait_ready(d, name) {
        t.check(false, &alloc::format!("{name} ready"));
        return None;
    }
    match open(d, name, [s, s + 1, s + 2], badge) {
        Ok(c) => {
            t.check(true, &alloc::format!("attached to {name} ({} sectors)", c.layout().capacity));
            Some(c)
        }
        Err(e) => {
            t.check(false, &alloc::format!("attach {name}: {e}"));
            None
        }
    }
}

fn run(t: &mut T, d: Devmgr, measure: bool) {
    if let Some(mut root) = attach(t, &d, "blk0", SLOT_BLK0, EVENT_BLK0) {
        let mut s0 = vec![0u8; 512];
        t.check(root.read(0, &mut s0).is_ok(), "blk0: read sector 0");
        let mut sb = vec![0u8; 1024];
        let r = root.read(2, &mut sb);
        let magic = u16::from_le_bytes([sb[56], sb[57]]);
        dprintln!("drvtest: blk0 superblock magic {magic:#06x} (byte 1080)");
        t.check(r.is_ok() && magic == 0xef53, "blk0: ext4 superblock magic 0xEF53 at byte 1080");
        let cap = root.layout().capacity;
        let mut b = vec![0u8; 1024];
        t.check(root.read(cap - 1, &mut b) == Err(Errno::EINVAL), "blk0: a read past the end is EINVAL");
        t.check(root.read(0, &mut b[..100]) == Err(Errno::EINVAL), "blk0: a partial sector is EINVAL");
        if measure {
            sequential_read(t, &mut root);
        }
    }
    if let Some(mut scratch) = attach(t, &d, "blk1", SLOT_BLK1, EVENT_BLK1) {
        let data: alloc::vec::Vec<u8> =
            (0..192 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        t.check(scratch.write(1000, &data).is_ok(), "blk1: write 192 KiB at sector 1000");
        t.check(scratch.flush().is_ok(), "blk1: flush");
        let mut back = vec![0u8; data.len()];
        t.check(scratch.read(1000, &mut back).is_ok() && back == data, "blk1: read back the same bytes");
        let one = [0x5au8; 512];
        let mut got = [0u8; 512];
        let ok = scratch.write(0, &one).is_ok() && scratch.read(0, &mut got).is_ok() && got == one;
        t.check(ok, "blk1: write and read back sector 0");
    }
    // Attaching twice from another connection is refused while bound.
    if let Ok(c2) = Channel::own().connect("devmgr", 50) {
        let r = Devmgr(c2.ep).open("blk0", rampart_devmgr_api::Shared::Region, 51);
        t.check(r == Err(Errno::EBUSY), "blk0: a second client is refused (EBUSY)");
    }
}

/// Reads 32 MiB (or the disk, if smaller) sequentially in 1 MiB requests.
fn sequential_read(t: &mut T, c: &mut BlkClient<NtfnSignal>) {
    const CHUNK: usize = 1 << 20;
    let total = (c.layout().capacity * 512).min(32 << 20) as usize / CHUNK * CHUNK;
    let mut buf = vec![0u8; CHUNK];
    let t0 = rdtsc();
    let mut ok = true;
    for i in 0..total / CHUNK {
        ok &= c.read((i * CHUNK / 512) as u64, &mut buf).is_ok();
    }
    let cycles = rdtsc() - t0;
    let kib = (total / 1024) as u64;
    dprintln!(
        "drvtest: measure: blk sequential read {} KiB in {} tsc ({} per KiB), tsc_hz {}, {} KiB/s",
        kib,
        cycles,
        cycles / kib.max(1),
        tsc_hz(),
        (kib as u128 * u128::from(tsc_hz()) / u128::from(cycles.max(1))) as u64
    );
    t.check(ok && total > 0, "blk0: sequential read");
}

/// `drvtest serial` (as the console, `console_t`): attaches to `serial0`
/// and echoes every received byte through the driver until a line `q`.
fn echo(t: &mut T, d: Devmgr) {
    if !wait_ready(&d, "serial0") {
        t.check(false, "serial0 ready");
        return;
    }
    let mut s = match rampart_serialdrv_api::rt::open(&d, "serial0", [60, 61, 62], 1 << 18) {
        Ok(s) => s,
        Err(e) => return t.check(false, &alloc::format!("attach serial0: {e}")),
    };
    t.check(s.write_all(b"drvtest: serial echo ready\r\n").is_ok(), "serial0: write through the driver");
    let mut line = alloc::vec::Vec::new();
    let mut buf = [0u8; 64];
    let mut echoed = 0usize;
    loop {
        let Ok(n) = s.read(&mut buf) else {
            return t.check(false, "serial0: read");
        };
        let _ = s.write_all(&buf[..n]);
        echoed += n;
        for &b in &buf[..n] {
            if b == b'\n' || b == b'\r' {
                if line == b"q" {
                    t.check(echoed > 2, "serial0: echoed typed input");
                    return;
                }
                line.clear();
            } else {
                line.push(b);
            }
        }
    }
}
