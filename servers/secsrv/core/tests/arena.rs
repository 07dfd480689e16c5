//! The security server's memory at the limits of its bounded tables
//! (docs/security-architecture.md §3, "Memory"): secsrv runs on a fixed
//! heap that never grows (growing would mean calling rm, which calls
//! secsrv), so everything it keeps must fit in [`HEAP_BYTES`]. This test
//! measures, with a counting allocator, the heap in use after booting with
//! every shipped policy stored, through a reload of each, with the SID
//! table, the holds and the audit ring at their limits, and checks the
//! peak against the arena with the longest contexts the protocol accepts
//! accounted for.

// A counting global allocator (`GlobalAlloc` is an `unsafe` trait).
#![allow(unsafe_code)]

use rampart_secsrv_api::client::{Client, Transport};
use rampart_secsrv_api::{
    AuditSubmit, CONTEXT_MAX, HEAP_BYTES, MANAGER_SIDS, OWNER_SIDS, Request, Response, SID_CAPACITY, STORE_BYTES,
};
use rampart_secsrv_core::audit::RING_SIZE;
use rampart_secsrv_core::{Caller, SecServer};
use rampart_uabi::Errno;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let n = NOW.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(n, Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        NOW.fetch_sub(l.size(), Relaxed);
        // SAFETY: `p` came from `alloc` with this layout.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn policy(variant: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../policy/modules");
    let mut dirs = vec![root.join("base")];
    if variant != "allow-all" {
        dirs.push(root.join("assertions"));
    }
    dirs.push(root.join(variant));
    let out = policy_compiler::compile_files(&dirs).unwrap_or_else(|_| panic!("compiling {variant}"));
    rampart_policy::encode(&out.db).unwrap()
}

struct Direct<'a>(&'a mut SecServer, Caller);

impl Transport for Direct<'_> {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        Ok(self.0.handle(self.1, req.clone()).response)
    }
}

fn sid(s: &mut SecServer, caller: Caller, ctx: &str) -> Result<u32, Errno> {
    Client(Direct(s, caller)).context_to_sid(ctx)
}

/// `c0,c2,...` for the bits of `mask` (16 categories).
fn cats(mask: u32) -> String {
    (0..16).filter(|c| (mask >> c) & 1 == 1).map(|c| format!("c{c}")).collect::<Vec<_>>().join(",")
}

/// Object context number `i` (< 2^16): the categories of the low level
/// from the bits of `i` (the texts' length is accounted for separately).
fn long_context(i: u32) -> String {
    format!("user_u:object_r:user_home_t:s1:{}-s3:c0.c15", cats(i ^ 0x5555))
}

/// A distinct administrator context (an ordinary owner: `sysadm_t` may
/// translate contexts but is not an object manager).
fn admin_context(k: u32) -> String {
    format!("root:sysadm_r:sysadm_t:s0-s3:{}", cats(k % 0xffff + 1))
}

#[test]
fn the_tables_at_their_limits_fit_the_fixed_heap() {
    let bytes: Vec<(&str, Vec<u8>)> = ["te", "mls", "biba", "allow-all"].iter().map(|v| (*v, policy(v))).collect();
    let stored: usize = bytes.iter().map(|(_, b)| b.len()).sum();
    assert!(stored <= STORE_BYTES, "the boot policies ({stored} bytes) exceed the store");
    // Each policy loaded first (by init) in a fresh server: the heap the
    // load needs beyond the store, against the budget secsrv checks before
    // loading (`SecServer::load_budget`).
    for (v, b) in &bytes {
        let mut s = SecServer::new("system_u:system_r:secsrv_t", false);
        for (name, b) in &bytes {
            Client(Direct(&mut s, Caller::Init)).put_policy(name, b).unwrap();
        }
        let base = NOW.load(Relaxed);
        PEAK.store(base, Relaxed);
        let budget = s.load_budget(v).unwrap();
        Client(Direct(&mut s, Caller::Init)).load_policy(v).unwrap();
        let (kept, peak) = (NOW.load(Relaxed) - base, PEAK.load(Relaxed) - base);
        println!(
            "{v}: {} B binary, load peak {peak} B ({:.1} per byte), kept {kept} B; budget {budget} B",
            b.len(),
            peak as f64 / b.len() as f64
        );
        assert!(peak <= budget, "{v}: the load needed {peak} B, more than its budget {budget} B");
    }
    let base = NOW.load(Relaxed);
    PEAK.store(base, Relaxed);
    let mut s = SecServer::new("system_u:system_r:secsrv_t", false);
    for (name, b) in &bytes {
        Client(Direct(&mut s, Caller::Init)).put_policy(name, b).unwrap();
    }
    Client(Direct(&mut s, Caller::Init)).load_policy("mls").unwrap();
    let booted = NOW.load(Relaxed) - base;
    // Reloads (old and new policy both in memory while the new one loads).
    let admin = Caller::Sid(sid(&mut s, Caller::Init, "root:sysadm_r:sysadm_t").unwrap());
    for name in ["allow-all", "mls", "mls"] {
        Client(Direct(&mut s, admin)).load_policy(name).unwrap();
    }
    let reload_peak = PEAK.load(Relaxed) - base;

    // The SID table to capacity: owners of both kinds at their limits.
    let before = NOW.load(Relaxed);
    let fs = Caller::Sid(sid(&mut s, Caller::Init, "system_u:system_r:fs_t").unwrap());
    let (mut i, mut text) = (0u32, 0usize);
    let mut owners = 0u32;
    'fill: loop {
        let owner = Caller::Sid(sid(&mut s, Caller::Init, &admin_context(owners)).unwrap());
        owners += 1;
        for caller in [owner, fs] {
            loop {
                let c = long_context(i);
                match s.handle(caller, Request::ContextToSid { context: c.clone() }).response {
                    Response::Sid(_) => {
                        i += 1;
                        text += c.len();
                    }
                    Response::Err(Errno::ENOSPC) => break,
                    r => panic!("{r:?}"),
                }
                if s.sid_stats().live >= SID_CAPACITY {
                    break 'fill;
                }
            }
        }
    }
    assert_eq!(s.sid_stats().live, SID_CAPACITY);
    let per_sid = (NOW.load(Relaxed) - before) / i as usize;
    let avg_text = text / i as usize;
    // The audit ring full of the longest objects, naming held SIDs.
    for k in 0..RING_SIZE as u32 {
        let sub = AuditSubmit { ssid: 200 + k, tsid: 300 + k, class: 1, object: "o".repeat(200), ..Default::default() };
        s.handle(fs, Request::Audit(sub));
    }
    let full = NOW.load(Relaxed) - base;
    let peak = PEAK.load(Relaxed) - base;
    // Texts are kept twice (entry and index): the longest accepted ones
    // would add this much over the measured ones.
    let worst = peak + SID_CAPACITY as usize * 2 * (CONTEXT_MAX - avg_text);
    println!(
        "booted {booted} B (stored policies {stored} B); reload peak {reload_peak} B; {i} SIDs interned by {owners} \
         owners (limits {OWNER_SIDS}/{MANAGER_SIDS}), {per_sid} B per SID (texts {avg_text} B); full tables {full} B; \
         peak {peak} B; with {CONTEXT_MAX}-byte texts {worst} B; arena {HEAP_BYTES} B"
    );
    assert!(worst + worst / 4 <= HEAP_BYTES, "the arena leaves less than 25% headroom");
}
