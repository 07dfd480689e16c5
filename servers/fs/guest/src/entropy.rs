//! Entropy for `/dev/random` and `/dev/urandom` (docs/storage.md §11).
//!
//! The file server runs in ring 3, where `CPUID`, `RDSEED`, `RDRAND` and
//! `RDTSC` are all allowed. The seed comes from the best source the
//! processor has:
//!
//! 1. `RDSEED` (CPUID.(EAX=7,ECX=0):EBX bit 18): output of the hardware
//!    entropy source itself (NIST SP 800-90B/C conditioned).
//! 2. `RDRAND` (CPUID.01H:ECX bit 30): a hardware DRBG reseeded from that
//!    source (SP 800-90A).
//! 3. Otherwise the time-stamp counter: 64 reads taken around a little
//!    work, folded together. Under a hypervisor or on a machine that boots
//!    the same way every time this is guessable: an attacker who can
//!    enumerate plausible boot timings can reproduce the stream. It is the
//!    weakest case and is announced on the console.
//!
//! After every read the generator re-keys with 32 fresh `RDRAND` bytes when
//! the processor has the instruction ([`fresh`]).

use core::sync::atomic::{AtomicU8, Ordering};
use rampart_rt::cpu::rdtsc;

/// Where the seed came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `RDSEED`.
    Rdseed,
    /// `RDRAND`.
    Rdrand,
    /// The time-stamp counter only.
    Tsc,
}

impl Source {
    /// A name for the console.
    pub fn name(self) -> &'static str {
        match self {
            Source::Rdseed => "RDSEED",
            Source::Rdrand => "RDRAND",
            Source::Tsc => "TSC only (weak: no RDSEED/RDRAND)",
        }
    }
}

/// Bit 0: probed; bit 1: RDRAND; bit 2: RDSEED.
static FEATURES: AtomicU8 = AtomicU8::new(0);

fn features() -> u8 {
    let f = FEATURES.load(Ordering::Relaxed);
    if f & 1 != 0 {
        return f;
    }
    let leaf1 = core::arch::x86_64::__cpuid(1);
    let max = core::arch::x86_64::__cpuid(0).eax;
    let leaf7 = if max >= 7 { core::arch::x86_64::__cpuid_count(7, 0).ebx } else { 0 };
    let f = 1 | (u8::from(leaf1.ecx & (1 << 30) != 0) << 1) | (u8::from(leaf7 & (1 << 18) != 0) << 2);
    FEATURES.store(f, Ordering::Relaxed);
    f
}

#[target_feature(enable = "rdrand")]
fn rdrand64() -> Option<u64> {
    // Intel SDM: retry a few times; failure means the DRBG is exhausted.
    for _ in 0..10 {
        let mut v = 0u64;
        // Safe inside a function compiled for RDRAND; the callers checked
        // CPUID before calling it.
        if core::arch::x86_64::_rdrand64_step(&mut v) == 1 {
            return Some(v);
        }
    }
    None
}

#[target_feature(enable = "rdseed")]
fn rdseed64() -> Option<u64> {
    // RDSEED may be exhausted more often than RDRAND: retry longer.
    for _ in 0..100 {
        let mut v = 0u64;
        // Safe inside a function compiled for RDSEED (see `rdrand64`).
        if core::arch::x86_64::_rdseed64_step(&mut v) == 1 {
            return Some(v);
        }
        core::hint::spin_loop();
    }
    None
}

/// Fills `out` with 32 bytes from `get`, or returns `false`.
fn fill(out: &mut [u8; 32], mut get: impl FnMut() -> Option<u64>) -> bool {
    for c in out.chunks_exact_mut(8) {
        match get() {
            Some(v) => c.copy_from_slice(&v.to_le_bytes()),
            None => return false,
        }
    }
    true
}

/// The TSC fallback: 64 readings around a little data-dependent work,
/// mixed with a 64-bit multiply-xorshift (SplitMix64's finaliser).
fn tsc_seed(out: &mut [u8; 32]) {
    let mut acc = [0u64; 4];
    let mut x = rdtsc();
    for i in 0..64 {
        let t = rdtsc();
        for _ in 0..(t & 0xff) {
            x = x.rotate_left(7) ^ t;
        }
        let mut z = t ^ x ^ acc[i % 4];
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        acc[i % 4] = z ^ (z >> 31);
    }
    for (c, v) in out.chunks_exact_mut(8).zip(acc) {
        c.copy_from_slice(&v.to_le_bytes());
    }
}

/// The 32-byte seed and where it came from.
pub fn seed() -> ([u8; 32], Source) {
    let f = features();
    let mut s = [0u8; 32];
    // SAFETY: CPUID reported RDSEED.
    if f & 4 != 0 && fill(&mut s, || unsafe { rdseed64() }) {
        return (s, Source::Rdseed);
    }
    // SAFETY: CPUID reported RDRAND.
    if f & 2 != 0 && fill(&mut s, || unsafe { rdrand64() }) {
        return (s, Source::Rdrand);
    }
    tsc_seed(&mut s);
    (s, Source::Tsc)
}

/// Fresh bytes for a re-key (`rampart_fs::EntropySource`): `RDRAND` if the
/// processor has it, else nothing.
pub fn fresh(out: &mut [u8; 32]) -> bool {
    // SAFETY: CPUID reported RDRAND.
    features() & 2 != 0 && fill(out, || unsafe { rdrand64() })
}
