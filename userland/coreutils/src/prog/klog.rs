//! `dmesg`: the kernel log (`rampart_abi::log`), the system messages of the
//! kernel, servers and drivers since boot (the last 128 records).
//!
//! Reading it takes a kernel-log capability with the Read right, which rm
//! gives a program only where the policy grants its domain `system
//! syslog_read` (the shipped policies: the console and the administrator,
//! `sysadm_t`); everyone else gets util-linux's `read kernel buffer failed:
//! Operation not permitted` (Linux with `kernel.dmesg_restrict = 1`).

use super::{Out, err, parse};
use alloc::format;
use alloc::string::String;
use coreutils::args::Spec;
use coreutils::klog::{DmesgStyle, Levels, dmesg_line};
use rampart_abi::Label;
use rampart_abi::log::LOG_RECORD_BYTES;
use rampart_libos::rampart_rt::{buffer, invoke::call_raw, startup::named_cap};

/// `dmesg [-r|--raw] [-x|--decode] [-l|--level LIST] [-t]`: every record
/// still in the kernel log, oldest first, without its level prefix (`-r`
/// keeps it: `<6>secsrv: ready`; `-x` names it: `kern  :info  : ...`);
/// `-l err,warn` shows only those levels. `-t` is accepted (records carry
/// no times). Status 1 without the right to read the log.
pub fn dmesg(args: &[String]) -> i32 {
    let spec = Spec {
        short: "rxl:t",
        long: &[("raw", 'r'), ("decode", 'x'), ("level=", 'l'), ("notime", 't')],
        stop_at_operand: false,
    };
    let a = match parse("dmesg", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if let Some(x) = a.operands.first() {
        err("dmesg", &format!("bad usage: unexpected argument '{x}'"));
        return 1;
    }
    let levels = match a.value('l').map(Levels::parse) {
        None => Levels::default(),
        Some(Some(l)) => l,
        Some(None) => {
            err("dmesg", &format!("unknown level '{}'", a.value('l').unwrap_or("")));
            return 1;
        }
    };
    let style = DmesgStyle { raw: a.has('r'), decode: a.has('x') };
    let denied = || {
        err("dmesg", "read kernel buffer failed: Operation not permitted");
        1
    };
    let Some(cap) = named_cap("log") else { return denied() };
    let mut out = Out::new();
    let mut next = 0u64;
    loop {
        let r = call_raw(cap, Label::LogRead as u64, &[next], &[]);
        if r.info.label() != 0 {
            // The capability lacks the Read right (a writer's).
            return if next == 0 { denied() } else { 0 };
        }
        let words = r.info.length();
        let (seq, len) = (r.mrs[0], r.mrs[2] as usize);
        if len == 0 || words < 3 {
            return 0;
        }
        let mut text = [0u8; LOG_RECORD_BYTES];
        let b = buffer::expect_current();
        for i in 3..words.min(3 + LOG_RECORD_BYTES / 8) {
            let w = if i < 4 { r.mrs[i] } else { b.mr(i) };
            text[(i - 3) * 8..(i - 2) * 8].copy_from_slice(&w.to_le_bytes());
        }
        if let Some(line) = dmesg_line(&text[..len.min(LOG_RECORD_BYTES)], levels, style) {
            out.line(&line);
        }
        next = seq + 1;
    }
}
