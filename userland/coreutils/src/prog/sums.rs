//! `md5sum`, `sha224sum`, `sha256sum`, `sha384sum`, `sha512sum`:
//! printing checksums, and checking them (`-c`).

use super::text::chunks;
use super::{Out, err, err_on, inputs, parse, read_input};
use alloc::format;
use alloc::string::String;
use coreutils::args::Spec;
use coreutils::digest::{Algo, Hasher, check_summary, parse_check_line};
use rampart_libos::Error;

/// The digest of file `path` (`-` for standard input).
fn digest(algo: Algo, path: &str) -> Result<String, Error> {
    let mut h = Hasher::new(algo);
    chunks(path, |c| {
        h.update(c);
        true
    })?;
    Ok(h.hex())
}

/// `NAMEsum [-c] [-b|-t] [--tag] [--quiet] [--status] [-w] [FILE...]`
pub fn sum(name: &str, args: &[String]) -> i32 {
    let Some(algo) = Algo::for_program(name) else { return 127 };
    let spec = Spec {
        short: "cbtwz",
        long: &[
            ("check", 'c'),
            ("binary", 'b'),
            ("text", 't'),
            ("tag", 'T'),
            ("quiet", 'q'),
            ("status", 's'),
            ("warn", 'w'),
            ("strict", 'S'),
        ],
        stop_at_operand: false,
    };
    let a = match parse(name, &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.has('c') {
        return check(name, algo, &a);
    }
    let mut out = Out::new();
    let mut status = 0;
    for f in inputs(&a) {
        match digest(algo, &f) {
            Ok(hex) if a.has('T') => out.line(&format!("{} ({f}) = {hex}", algo.tag())),
            Ok(hex) => out.line(&format!("{hex} {}{f}", if a.has('b') { '*' } else { ' ' })),
            Err(e) => {
                err_on(name, &f, &e);
                status = 1;
            }
        }
    }
    status
}

/// `-c`: every line of the checksum files names a file and its digest.
fn check(name: &str, algo: Algo, a: &coreutils::args::Args) -> i32 {
    let (quiet, silent, warn, strict) = (a.has('q'), a.has('s'), a.has('w'), a.has('S'));
    let mut out = Out::new();
    let mut status = 0;
    for list in inputs(a) {
        let data = match read_input(&list) {
            Ok(d) => d,
            Err(e) => {
                err_on(name, &list, &e);
                status = 1;
                continue;
            }
        };
        let text = String::from_utf8_lossy(&data);
        let (mut bad, mut unreadable, mut mismatched, mut good) = (0, 0, 0, 0);
        for (i, line) in text.lines().enumerate() {
            let Some(l) = parse_check_line(line, algo) else {
                if !line.trim().is_empty() && !line.starts_with('#') {
                    bad += 1;
                    if warn {
                        err(name, &format!("{list}: {}: improperly formatted {} checksum line", i + 1, algo.tag()));
                    }
                }
                continue;
            };
            good += 1;
            let verdict = match digest(algo, &l.name) {
                Ok(hex) if hex == l.hex => "OK",
                Ok(_) => {
                    mismatched += 1;
                    "FAILED"
                }
                Err(e) => {
                    if !silent {
                        out.flush();
                        err_on(name, &l.name, &e);
                    }
                    unreadable += 1;
                    "FAILED open or read"
                }
            };
            if !silent && !(quiet && verdict == "OK") {
                out.line(&format!("{}: {verdict}", l.name));
            }
        }
        out.flush();
        if good == 0 {
            if !silent {
                err(name, &format!("{list}: no properly formatted {} checksum lines found", algo.tag()));
            }
            status = 1;
            continue;
        }
        if !silent {
            for w in check_summary(bad, unreadable, mismatched) {
                err(name, &w);
            }
        }
        if unreadable > 0 || mismatched > 0 || (strict && bad > 0) {
            status = 1;
        }
    }
    status
}
