//! Single-producer/single-consumer rings in memory shared between two tasks
//! (docs/architecture.md, "User-level system", after LionsOS/sDDF): how Rampart's drivers and their
//! clients move data without IPC payloads.
//!
//! A ring is a 128-byte header (the producer's `head` index and the
//! consumer's `tail` index, each in its own 64-byte cache line) followed by
//! `capacity` slots of a plain-data type `T` ([`Plain`]). Indices are
//! free-running `u32` counters; slot `i` lives at `i % capacity` (the
//! capacity is a power of two). Exactly one task writes `head` (the
//! [`Producer`]) and exactly one writes `tail` (the [`Consumer`]).
//!
//! Memory ordering: the producer writes slots, then stores `head` with
//! `Release`; the consumer loads `head` with `Acquire` before reading
//! slots, and stores `tail` with `Release` after it has read them, so the
//! producer (loading `tail` with `Acquire`) never overwrites a slot that is
//! still being read.
//!
//! Notifications (the peer is asleep in `Wait` on a kernel notification)
//! are sent only on transitions:
//! - **empty → non-empty**: after publishing, the producer signals if the
//!   consumer had consumed everything published before ([`Producer::publish`]
//!   returns `true`);
//! - **full → not full**: after releasing slots, the consumer signals if the
//!   ring had been full ([`Consumer::release`] returns `true`), for a
//!   producer that waits for space.
//!
//! Both sides put a sequentially consistent fence between their own store
//! and their load of the other's index (Dekker's pattern), and a side about
//! to sleep re-checks after that fence ([`Consumer::should_sleep`],
//! [`Producer::should_sleep`]). So either the sleeper sees the new entries
//! (or space) or the other side sees the transition and signals: no wake-up
//! is lost. Kernel notifications are sticky, so an extra signal is harmless.
//! `tests/model.rs` explores every interleaving of this protocol for small
//! bounds, and a two-thread test runs it on the real code.
//!
//! The peer is not trusted: an index that would put more than `capacity`
//! entries in the ring is reported as [`RingError::Corrupt`], never
//! followed. What the slots say (descriptors) is validated by the users of
//! this crate.
#![no_std]
#![warn(missing_docs)]

// The ring's slots and indices live in memory the peer writes: raw-pointer
// and atomic accesses only, each block with a `// SAFETY:` comment.
#[allow(unsafe_code)]
mod ring;

pub use ring::{Consumer, HEADER_BYTES, Plain, Producer, RingError, init, ring_bytes};
