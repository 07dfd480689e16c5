//! `fstest sidflood N [FIRST]`: the SID-table flood of review issue 19
//! item 5, as an ordinary user would run it (`runcon CONTEXT wget` in a
//! loop), but issuing the spawn requests to rm directly so that thousands
//! fit in a test's time budget under TCG.
//!
//! Attempt `i` asks rm to start the boot module `rmchild` in the object
//! context `user_u:object_r:TYPE:LEVEL` (type, sensitivity and category set
//! derived from `i`, so every attempt names a context no other attempt
//! named and the MLS policy accepts as valid), claiming the executable is
//! labelled `bin_t`. A user may enter none of them (`process transition`
//! is not granted), so every attempt must fail with `EACCES` and must not
//! leave anything behind in the security server (docs/security-architecture.md
//! §1, "SID lifetime").
//!
//! Prints a progress line every 1,000 attempts and one summary line:
//! `fstest: sidflood N attempts: G granted, D denied (EACCES), Q quota
//! (EDQUOT), O other; T ms`. Exits 0 when no attempt was granted.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use rampart_libos::println;
use rampart_libos::time::Instant;
use rampart_rm_api::{Image, Spawn};
use rampart_uabi::Errno;

/// The types the contexts cycle through (all defined by the base policy).
const TYPES: &[&str] = &["tmp_t", "etc_t", "bin_t", "lib_t", "var_t", "home_t", "user_home_t", "device_t"];
/// The executable's context the requests claim.
const EXEC: &str = "system_u:object_r:bin_t";

/// The context of attempt `i`: sensitivity `s0..s3`, category set from the
/// low 16 bits, type from the bits above.
pub fn context(i: u32) -> String {
    let mask = i & 0xffff;
    let sens = (i >> 16) & 3;
    let ty = TYPES[(i >> 18) as usize % TYPES.len()];
    let mut cats = String::new();
    for c in 0..16 {
        if mask & (1 << c) != 0 {
            cats.push(if cats.is_empty() { ':' } else { ',' });
            cats.push_str(&format!("c{c}"));
        }
    }
    format!("user_u:object_r:{ty}:s{sens}{cats}")
}

/// Runs `n` attempts starting at attempt number `first`.
pub fn sidflood(n: u32, first: u32) -> i32 {
    let t0 = Instant::now();
    let (mut granted, mut errs) = (0u32, BTreeMap::<i32, u32>::new());
    for (k, i) in (first..first.saturating_add(n)).enumerate() {
        let req = Spawn {
            image: Some(Image::Bootfs("rmchild".into())),
            argv: alloc::vec!["rmchild".into()],
            context: Some(context(i)),
            exec_context: Some(EXEC.into()),
            ..Default::default()
        };
        match rampart_rt::rm::spawn(req) {
            Ok(pid) => {
                granted += 1;
                let _ = rampart_rt::rm::kill(pid);
                let _ = rampart_rt::rm::wait(Some(pid), true);
            }
            Err(e) => *errs.entry(e.0).or_default() += 1,
        }
        if (k + 1) % 1000 == 0 {
            println!("fstest: sidflood {} attempts", k + 1);
        }
    }
    let count = |e: Errno| errs.get(&e.0).copied().unwrap_or(0);
    let (denied, quota) = (count(Errno::EACCES), count(Errno::EDQUOT));
    let other = errs.values().sum::<u32>() - denied - quota;
    let ms = t0.elapsed().as_millis();
    println!(
        "fstest: sidflood {n} attempts: {granted} granted, {denied} denied (EACCES), {quota} quota (EDQUOT), {other} other; {ms} ms"
    );
    for (e, c) in errs.iter().filter(|(e, _)| **e != Errno::EACCES.0 && **e != Errno::EDQUOT.0) {
        println!("fstest: sidflood errno {e}: {c}");
    }
    i32::from(granted > 0)
}
