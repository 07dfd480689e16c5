//! The generator behind `/dev/random` and `/dev/urandom`: ChaCha20 (the
//! `chacha20` crate's `ChaCha20Rng`, the same construction as Linux's
//! `random.c` since 5.17 and the BSDs' `arc4random`), seeded once by the
//! server and re-keyed after every request.
//!
//! - **Seed**: 32 bytes given by whoever builds the server. The guest
//!   server takes them from `RDSEED`, else `RDRAND`, else the time-stamp
//!   counter (docs/storage.md §11 says what that fallback is worth).
//! - **Fast key erasure**: after every read the generator replaces its
//!   own key with fresh output (XORed with fresh bytes from the
//!   [`EntropySource`] when there is one), so memory captured later does
//!   not reveal what was handed out before.
//! - **Writes** (Linux `random(4)`: "writing to /dev/random or
//!   /dev/urandom will update the entropy pool with the written data, but
//!   this will not result in a higher entropy count") are mixed in, 32
//!   bytes at a time: each chunk is XORed into 32 bytes of output and the
//!   result becomes the new key. A writer who does not know the state
//!   learns nothing and cannot steer the output (the key stays
//!   `unknown ⊕ chosen`); no entropy is credited, and nothing ever blocks.

use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// A source of fresh entropy: fills the buffer and returns `true`, or
/// returns `false` when it has nothing (the buffer is then ignored). The
/// guest server passes one that executes `RDRAND` when the processor has
/// it.
pub type EntropySource = fn(&mut [u8; 32]) -> bool;

/// Bytes of a key (ChaCha20: 256 bits).
pub const KEY_LEN: usize = 32;

/// The cryptographically secure generator of the random devices.
pub struct Csprng {
    rng: ChaCha20Rng,
    source: Option<EntropySource>,
    /// Re-keys with fresh hardware bytes (statistics, tests).
    hw_rekeys: u64,
}

impl core::fmt::Debug for Csprng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print the state.
        f.debug_struct("Csprng").field("hw_rekeys", &self.hw_rekeys).finish_non_exhaustive()
    }
}

impl Csprng {
    /// A generator keyed with `seed`, re-keyed from `source` (if any)
    /// after every read.
    pub fn new(seed: [u8; KEY_LEN], source: Option<EntropySource>) -> Csprng {
        Csprng { rng: ChaCha20Rng::from_seed(seed), source, hw_rekeys: 0 }
    }

    /// Fills `dst` with output, then re-keys (fast key erasure).
    pub fn fill(&mut self, dst: &mut [u8]) {
        self.rng.fill_bytes(dst);
        let mut fresh = [0u8; KEY_LEN];
        let hw = self.source.is_some_and(|f| f(&mut fresh));
        if hw {
            self.hw_rekeys += 1;
        }
        self.rekey(if hw { &fresh } else { &[] });
    }

    /// Mixes `data` in without crediting entropy (a write to the device).
    pub fn mix(&mut self, data: &[u8]) {
        for chunk in data.chunks(KEY_LEN) {
            self.rekey(chunk);
        }
    }

    /// How many re-keys used bytes from the entropy source.
    pub fn hw_rekeys(&self) -> u64 {
        self.hw_rekeys
    }

    /// New key = 32 bytes of output XOR `input` (at most 32 bytes).
    fn rekey(&mut self, input: &[u8]) {
        let mut key = [0u8; KEY_LEN];
        self.rng.fill_bytes(&mut key);
        for (k, b) in key.iter_mut().zip(input) {
            *k ^= b;
        }
        self.rng = ChaCha20Rng::from_seed(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_of_the_first_block() {
        // RFC 8439 §2.3.2 key stream for the all-zero key and nonce,
        // block 0: ChaCha20Rng is plain ChaCha20.
        let mut r = Csprng::new([0; 32], None);
        let mut b = [0u8; 8];
        r.fill(&mut b);
        assert_eq!(b, [0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90]);
        // The key was erased: the next output is not the stream's next.
        let mut next = [0u8; 8];
        r.fill(&mut next);
        let mut plain = ChaCha20Rng::from_seed([0; 32]);
        let mut stream = [0u8; 16];
        plain.fill_bytes(&mut stream);
        assert_ne!(next, stream[8..16]);
    }

    #[test]
    fn writes_and_sources_change_the_stream() {
        let (mut a, mut b) = (Csprng::new([7; 32], None), Csprng::new([7; 32], None));
        b.mix(b"hello");
        let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_ne!(x, y);
        fn ones(b: &mut [u8; 32]) -> bool {
            *b = [1; 32];
            true
        }
        let mut c = Csprng::new([7; 32], Some(ones));
        let mut z = [0u8; 32];
        c.fill(&mut z);
        assert_eq!(z, x, "the source is used for the next key, not this output");
        c.fill(&mut z);
        a.fill(&mut x);
        assert_ne!(z, x);
        assert_eq!(c.hw_rekeys(), 2);
    }
}
