//! The kernel log capability (`rampart_abi::log`): rights, badges stamped
//! by the kernel, bounds, overwriting, notification.

use super::support::{S, spawn};
use crate::object::NtfnRef;
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::log::{LOG_RECORD_BYTES, LOG_SLOTS};
use rampart_abi::{Error, Label, ObjectType, Rights};

/// `text` as LogWrite arguments: byte count, then the bytes in words.
fn write_args(text: &[u8]) -> Vec<u64> {
    let mut v = vec![text.len() as u64];
    for chunk in text.chunks(8) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        v.push(u64::from_le_bytes(b));
    }
    v
}

/// Reads the record numbered `from` or later through the capability at
/// `cap`: (seq, badge, text).
fn read(w: &mut World, cap: u64, from: u64) -> Result<(u64, u64, Vec<u8>), Error> {
    let r = w.invoke(cap, Label::LogRead, &[from], &[])?;
    let len = r[2] as usize;
    let mut text = Vec::new();
    for word in &r[3..] {
        text.extend_from_slice(&word.to_le_bytes());
    }
    text.truncate(len);
    Ok((r[0], r[1], text))
}

#[test]
fn records_carry_the_writers_badge_and_text() {
    let mut w = World::new();
    // A component's write-only capability with its badge.
    w.invoke(ws::CNODE, Label::CNodeMint, &[S, 64, ws::LOG, 64, Rights::WRITE.0, 42], &[ws::CNODE]).unwrap();
    let t = spawn(&mut w, 1, 100, 0);
    let line = b"fs: mounted blk0 (ext4, 512 MiB)\n";
    w.invoke_as(t.tcb, S, Label::LogWrite, &write_args(line), &[]).unwrap();
    let (seq, badge, text) = read(&mut w, ws::LOG, 0).unwrap();
    assert_eq!((seq, badge, text.as_slice()), (0, 42, &line[..]));
    // Nothing newer: the next number and no text.
    assert_eq!(read(&mut w, ws::LOG, 1).unwrap(), (1, 0, Vec::new()));
    // The write-only copy cannot read, and badges cannot be changed.
    assert_eq!(w.invoke_as(t.tcb, S, Label::LogRead, &[0], &[]), Err(Error::InvalidCapability));
    assert!(w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::WRITE.0, 7], &[ws::CNODE]).is_err());
}

#[test]
fn bad_lengths_are_refused_and_short_tails_masked() {
    let mut w = World::new();
    let too_long = vec![b'x'; LOG_RECORD_BYTES + 1];
    assert_eq!(w.invoke(ws::LOG, Label::LogWrite, &write_args(&too_long), &[]), Err(Error::RangeError));
    // A length the message does not carry.
    assert_eq!(w.invoke(ws::LOG, Label::LogWrite, &[20, 0x4141], &[]), Err(Error::RangeError));
    assert_eq!(w.invoke(ws::LOG, Label::LogWrite, &[], &[]), Err(Error::TruncatedMessage));
    // Bytes past the length in the last word are not stored.
    w.invoke(ws::LOG, Label::LogWrite, &[3, u64::from_le_bytes(*b"abcdefgh")], &[]).unwrap();
    let (_, _, text) = read(&mut w, ws::LOG, 0).unwrap();
    assert_eq!(text, b"abc");
    let r = w.invoke(ws::LOG, Label::LogRead, &[0], &[]).unwrap();
    assert_eq!(r[3], u64::from_le_bytes(*b"abc\0\0\0\0\0"));
}

#[test]
fn a_full_ring_drops_the_oldest_and_readers_see_the_gap() {
    let mut w = World::new();
    for i in 0..LOG_SLOTS + 10 {
        let line = format!("line {i}\n");
        w.invoke(ws::LOG, Label::LogWrite, &write_args(line.as_bytes()), &[]).unwrap();
    }
    // Record 0 is gone: asking for it yields the oldest kept, number 10.
    let (seq, _, text) = read(&mut w, ws::LOG, 0).unwrap();
    assert_eq!((seq, text), (10, b"line 10\n".to_vec()));
    let (seq, _, text) = read(&mut w, ws::LOG, LOG_SLOTS as u64 + 9).unwrap();
    assert_eq!((seq, text), (LOG_SLOTS as u64 + 9, format!("line {}\n", LOG_SLOTS + 9).into_bytes()));
}

#[test]
fn appends_signal_the_readers_notification_until_it_is_deleted() {
    let mut w = World::new();
    w.retype(ObjectType::Notification, 0, S, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::WRITE.0, 0x10], &[ws::CNODE]).unwrap();
    let flags = w.invoke(ws::LOG, Label::LogSetNotification, &[], &[S + 1]).unwrap();
    assert_eq!(flags, vec![0, 4], "host tests build without log-echo; the console level is quiet by default");
    w.k.log.set_console_level(8);
    let flags = w.invoke(ws::LOG, Label::LogSetNotification, &[], &[S + 1]).unwrap();
    assert_eq!(flags, vec![0, 8], "the reader learns the console level (loglevel=8)");
    w.invoke(ws::LOG, Label::LogWrite, &write_args(b"x"), &[]).unwrap();
    let n = NtfnRef(w.root.slot(S).cap().paddr());
    assert_eq!(n.get().word.get(), 0x10);
    // Deleting the notification leaves no pointer to it in the log.
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S + 1, 64], &[]).unwrap();
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S, 64], &[]).unwrap();
    w.invoke(ws::LOG, Label::LogWrite, &write_args(b"y"), &[]).unwrap();
    assert_eq!(w.k.check_invariants(), 0);
    // A send-only holder may not register.
    w.retype(ObjectType::Notification, 0, S + 2, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 3, 64, ws::LOG, 64, Rights::WRITE.0, 5], &[ws::CNODE]).unwrap();
    assert_eq!(w.invoke(S + 3, Label::LogSetNotification, &[], &[S + 2]), Err(Error::InvalidCapability));
}

#[test]
fn every_reader_has_its_own_notification() {
    let mut w = World::new();
    // Two readers (Log capabilities badged 1 and 2), each with a
    // notification; the second registration of reader 1 replaces its first.
    w.retype(ObjectType::Notification, 0, S, 3).unwrap();
    for i in 0..3 {
        // Badged copies (a signal with badge 0 sets no bit).
        w.invoke(ws::CNODE, Label::CNodeMint, &[S + 30 + i, 64, S + i, 64, Rights::WRITE.0, 1], &[ws::CNODE]).unwrap();
    }
    for (reader, badge) in [(S + 10, 1), (S + 11, 2)] {
        w.invoke(ws::CNODE, Label::CNodeMint, &[reader, 64, ws::LOG, 64, Rights::ALL.0, badge], &[ws::CNODE]).unwrap();
    }
    w.invoke(S + 10, Label::LogSetNotification, &[], &[S + 30]).unwrap();
    w.invoke(S + 10, Label::LogSetNotification, &[], &[S + 31]).unwrap();
    w.invoke(S + 11, Label::LogSetNotification, &[], &[S + 32]).unwrap();
    w.invoke(ws::LOG, Label::LogWrite, &write_args(b"x"), &[]).unwrap();
    let word = |w: &World, s: u64| NtfnRef(w.root.slot(s).cap().paddr()).get().word.get();
    assert_eq!(word(&w, S), 0, "replaced registration");
    assert_ne!(word(&w, S + 1), 0, "reader 1 signalled");
    assert_ne!(word(&w, S + 2), 0, "reader 2 signalled");
    // Stopping reader 2 leaves reader 1 registered.
    w.invoke(S + 11, Label::LogSetNotification, &[], &[0]).unwrap();
    NtfnRef(w.root.slot(S + 1).cap().paddr()).get().word.set(0);
    NtfnRef(w.root.slot(S + 2).cap().paddr()).get().word.set(0);
    w.invoke(ws::LOG, Label::LogWrite, &write_args(b"y"), &[]).unwrap();
    assert_ne!(word(&w, S + 1), 0);
    assert_eq!(word(&w, S + 2), 0);
    // At most LOG_READERS registrations.
    w.retype(ObjectType::Notification, 0, S + 3, rampart_abi::log::LOG_READERS as u64).unwrap();
    for i in 0..rampart_abi::log::LOG_READERS as u64 {
        let cap = S + 20 + i;
        w.invoke(ws::CNODE, Label::CNodeMint, &[cap, 64, ws::LOG, 64, Rights::ALL.0, 100 + i], &[ws::CNODE]).unwrap();
        let r = w.invoke(cap, Label::LogSetNotification, &[], &[S + 3 + i]);
        if i + 1 < rampart_abi::log::LOG_READERS as u64 {
            assert!(r.is_ok(), "reader {i}: {r:?}");
        } else {
            assert_eq!(r, Err(Error::NotEnoughMemory), "one reader too many");
        }
    }
    assert_eq!(w.k.check_invariants(), 0);
}
