//! Programs that read text: `cat`, `head`, `tail`, `wc`, `grep`, `sort`,
//! `uniq`, `hexdump`, `tee`.

use super::{Out, err, err_on, inputs, parse, read_input};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use coreutils::args::{Spec, parse_size};
use coreutils::hexdump::{Dumper, Style};
use coreutils::text::{self as t, Counts, SortOptions, UniqOptions};
use rampart_libos::io::{self, Read, Write};
use rampart_libos::{Error, fs};

/// A file or standard input, read in chunks.
enum Input {
    Stdin,
    File(fs::File),
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> rampart_libos::Result<usize> {
        match self {
            Input::Stdin => io::stdin().read(buf),
            Input::File(f) => f.read(buf),
        }
    }
}

fn open(path: &str) -> Result<Input, Error> {
    if path == "-" { Ok(Input::Stdin) } else { fs::File::open(path).map(Input::File) }
}

/// Calls `f` with every chunk of `path`.
pub(super) fn chunks(path: &str, mut f: impl FnMut(&[u8]) -> bool) -> Result<(), Error> {
    let mut input = open(path)?;
    let mut buf = alloc::vec![0u8; 32 * 1024];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 || !f(&buf[..n]) {
            return Ok(());
        }
    }
}

/// `cat [-n] [-b] [-s] [-E] [FILE...]`
pub fn cat(args: &[String]) -> i32 {
    let spec = Spec {
        short: "nbsEAu",
        long: &[("number", 'n'), ("number-nonblank", 'b'), ("squeeze-blank", 's'), ("show-ends", 'E')],
        stop_at_operand: false,
    };
    let a = match parse("cat", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let (number, nonblank, squeeze, ends) = (a.has('n'), a.has('b'), a.has('s'), a.has('E') || a.has('A'));
    let plain = !(number || nonblank || squeeze || ends);
    let mut out = Out::new();
    let mut status = 0;
    let (mut line_no, mut at_start, mut blanks) = (0u64, true, 0u32);
    for f in inputs(&a) {
        let r = chunks(&f, |c| {
            if plain {
                out.bytes(c);
                return !out.failed;
            }
            for &b in c {
                if at_start {
                    if b == b'\n' {
                        blanks += 1;
                        if squeeze && blanks > 1 {
                            continue;
                        }
                    } else {
                        blanks = 0;
                    }
                    if nonblank && b != b'\n' || number && !nonblank {
                        line_no += 1;
                        out.str(&format!("{line_no:6}\t"));
                    }
                }
                if b == b'\n' && ends {
                    out.bytes(b"$");
                }
                out.bytes(&[b]);
                at_start = b == b'\n';
            }
            !out.failed
        });
        if let Err(e) = r {
            err_on("cat", &f, &e);
            status = 1;
        }
    }
    out.flush();
    if out.failed { 1 } else { status }
}

/// Prints the first `n` bytes (`bytes`) or lines of `path`, reading no
/// more than a chunk past them.
fn head_stream(path: &str, n: u64, bytes: bool, out: &mut Out) -> Result<(), Error> {
    let mut input = open(path)?;
    let mut buf = alloc::vec![0u8; 32 * 1024];
    let mut left = n;
    while left > 0 && !out.failed {
        let want = if bytes { buf.len().min(usize::try_from(left).unwrap_or(usize::MAX)) } else { buf.len() };
        let got = input.read(&mut buf[..want])?;
        if got == 0 {
            break;
        }
        let take = t::head_take(&buf[..got], &mut left, bytes);
        out.bytes(&buf[..take]);
    }
    Ok(())
}

fn count_arg(prog: &str, v: &str) -> Option<(u64, bool)> {
    let (plus, minus, digits) = (v.starts_with('+'), v.starts_with('-'), v.trim_start_matches(['+', '-']));
    let n = parse_size(digits);
    if n.is_none() {
        err(prog, &format!("invalid number of lines: '{v}'"));
    }
    // head: `-n -N` is "all but the last N"; tail: `-n +N` is "from line N".
    n.map(|n| (n, if prog == "head" { minus } else { plus }))
}

/// `head [-n N|-N] [-c N] [-q|-v] [FILE...]`
pub fn head(args: &[String]) -> i32 {
    head_tail("head", args)
}

/// `tail [-n N|+N] [-c N] [-q|-v] [FILE...]`
pub fn tail(args: &[String]) -> i32 {
    head_tail("tail", args)
}

fn head_tail(prog: &str, args: &[String]) -> i32 {
    // `head -5` is `head -n 5`.
    let args: Vec<String> = args
        .iter()
        .map(|x| {
            if x.len() > 1 && x.starts_with('-') && x[1..].bytes().all(|b| b.is_ascii_digit()) {
                format!("-n{}", &x[1..])
            } else {
                x.clone()
            }
        })
        .collect();
    let spec = Spec {
        short: "n:c:qv",
        long: &[("lines=", 'n'), ("bytes=", 'c'), ("quiet", 'q'), ("verbose", 'v')],
        stop_at_operand: false,
    };
    let a = match parse(prog, &spec, &args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let bytes_mode = a.last_of("nc") == Some('c');
    let (n, flag) = match a.value(if bytes_mode { 'c' } else { 'n' }) {
        Some(v) => match count_arg(prog, v) {
            Some(x) => x,
            None => return 1,
        },
        None => (10, false),
    };
    let files = inputs(&a);
    let headers = a.has('v') || files.len() > 1 && !a.has('q');
    let mut out = Out::new();
    let mut status = 0;
    for (i, f) in files.iter().enumerate() {
        if headers {
            out.str(&format!(
                "{}==> {} <==\n",
                if i > 0 { "\n" } else { "" },
                if f == "-" { "standard input" } else { f }
            ));
        }
        // `head` of the first N bytes or lines streams: it stops reading
        // once it has them (`head -c 16 /dev/urandom`).
        if prog == "head" && !flag {
            if let Err(e) = head_stream(f, n, bytes_mode, &mut out) {
                err_on(prog, f, &e);
                status = 1;
            }
            continue;
        }
        let data = match read_input(f) {
            Ok(d) => d,
            Err(e) => {
                err_on(prog, f, &e);
                status = 1;
                continue;
            }
        };
        let len = data.len() as u64;
        let part: &[u8] = match (prog, bytes_mode) {
            ("head", true) => &data[..(if flag { len.saturating_sub(n) } else { n.min(len) }) as usize],
            ("head", false) => t::head_lines(&data, n, flag),
            (_, true) if flag => &data[(n.saturating_sub(1).min(len)) as usize..],
            (_, true) => &data[(len - n.min(len)) as usize..],
            _ => t::tail_lines(&data, n, flag),
        };
        out.bytes(part);
    }
    status
}

/// `wc [-l] [-w] [-c] [-m] [-L] [FILE...]`
pub fn wc(args: &[String]) -> i32 {
    let spec = Spec {
        short: "lwcmL",
        long: &[("lines", 'l'), ("words", 'w'), ("bytes", 'c'), ("chars", 'm'), ("max-line-length", 'L')],
        stop_at_operand: false,
    };
    let a = match parse("wc", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let any = "lwcmL".chars().any(|c| a.has(c));
    let show = |c: char| if any { a.has(c) } else { matches!(c, 'l' | 'w' | 'c') };
    let mut rows: Vec<(Counts, Option<String>)> = Vec::new();
    let mut status = 0;
    for f in &inputs(&a) {
        let mut c = Counts::default();
        let (mut w, mut l) = (false, 0);
        if let Err(e) = chunks(f, |d| {
            c.add(d, &mut w, &mut l);
            true
        }) {
            err_on("wc", f, &e);
            status = 1;
            continue;
        }
        rows.push((c, (f != "-" || !a.operands.is_empty()).then(|| f.clone())));
    }
    if rows.len() > 1 {
        let mut total = Counts::default();
        for (c, _) in &rows {
            total.lines += c.lines;
            total.words += c.words;
            total.bytes += c.bytes;
            total.chars += c.chars;
            total.max_line = total.max_line.max(c.max_line);
        }
        rows.push((total, Some("total".into())));
    }
    // One column alone is not padded; several share a width (GNU: at
    // least that of the largest number).
    let cols: Vec<char> = ['l', 'w', 'm', 'c', 'L'].into_iter().filter(|&c| show(c)).collect();
    let width = if cols.len() == 1 && rows.len() == 1 {
        0
    } else {
        // Like GNU: at least 7 when a pipe or terminal is counted (its size
        // is unknown in advance).
        let digits = rows.iter().map(|(c, _)| c.bytes.max(c.lines).to_string().len()).max().unwrap_or(1);
        if inputs(&a).iter().any(|f| f == "-") { digits.max(7) } else { digits }
    };
    let mut out = Out::new();
    for (c, name) in rows {
        let mut parts: Vec<String> = cols
            .iter()
            .map(|&k| {
                let v = match k {
                    'l' => c.lines,
                    'w' => c.words,
                    'm' => c.chars,
                    'c' => c.bytes,
                    _ => c.max_line,
                };
                format!("{v:>width$}")
            })
            .collect();
        if let Some(n) = name {
            parts.push(n);
        }
        out.line(&parts.join(" "));
    }
    status
}

/// `sort [-rnhfbu] [-t SEP] [-k N[,M]] [-o FILE] [FILE...]`
pub fn sort(args: &[String]) -> i32 {
    let spec = Spec {
        short: "rnhfbuct:k:o:",
        long: &[
            ("reverse", 'r'),
            ("numeric-sort", 'n'),
            ("human-numeric-sort", 'h'),
            ("ignore-case", 'f'),
            ("ignore-leading-blanks", 'b'),
            ("unique", 'u'),
            ("check", 'c'),
            ("field-separator=", 't'),
            ("key=", 'k'),
            ("output=", 'o'),
        ],
        stop_at_operand: false,
    };
    let a = match parse("sort", &spec, args, 2) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let sep = match a.value('t') {
        Some(s) if s.len() == 1 => Some(s.as_bytes()[0]),
        Some(_) => {
            err("sort", "the field separator must be one character");
            return 2;
        }
        None => None,
    };
    let key = match a.value('k') {
        Some(k) => match t::parse_key(k) {
            Some(k) => Some(k),
            None => {
                err("sort", &format!("invalid key '{k}' (fields only: N or N,M)"));
                return 2;
            }
        },
        None => None,
    };
    let o = SortOptions {
        reverse: a.has('r'),
        numeric: a.has('n'),
        human: a.has('h'),
        fold: a.has('f'),
        blanks: a.has('b'),
        unique: a.has('u'),
        separator: sep,
        key,
    };
    let mut data = Vec::new();
    for f in inputs(&a) {
        match read_input(&f) {
            Ok(d) => {
                data.extend_from_slice(&d);
                if !data.is_empty() && data.last() != Some(&b'\n') {
                    data.push(b'\n');
                }
            }
            Err(e) => {
                err_on("sort", &f, &e);
                return 2;
            }
        }
    }
    let mut lines = t::lines(&data);
    if a.has('c') {
        for (i, w) in lines.windows(2).enumerate() {
            let c = t::compare(w[0], w[1], &o);
            let c = if o.reverse { c.reverse() } else { c };
            if c.is_gt() || (o.unique && c.is_eq()) {
                err("sort", &format!("-:{}: disorder: {}", i + 2, String::from_utf8_lossy(w[1])));
                return 1;
            }
        }
        return 0;
    }
    t::sort_lines(&mut lines, &o);
    let mut text = Vec::with_capacity(data.len());
    for l in lines {
        text.extend_from_slice(l);
        text.push(b'\n');
    }
    match a.value('o') {
        Some(path) => match fs::write(path, &text) {
            Ok(()) => 0,
            Err(e) => {
                err_on("sort", path, &e);
                2
            }
        },
        None => {
            let mut out = Out::new();
            out.bytes(&text);
            0
        }
    }
}

/// `uniq [-cdui] [INPUT [OUTPUT]]`
pub fn uniq(args: &[String]) -> i32 {
    let spec = Spec {
        short: "cdui",
        long: &[("count", 'c'), ("repeated", 'd'), ("unique", 'u'), ("ignore-case", 'i')],
        stop_at_operand: false,
    };
    let a = match parse("uniq", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.operands.len() > 2 {
        err("uniq", &format!("extra operand '{}'", a.operands[2]));
        return 1;
    }
    let input = a.operands.first().map_or("-", String::as_str);
    let data = match read_input(input) {
        Ok(d) => d,
        Err(e) => {
            err_on("uniq", input, &e);
            return 1;
        }
    };
    let o = UniqOptions { count: a.has('c'), repeated: a.has('d'), unique: a.has('u'), ignore_case: a.has('i') };
    let mut text = Vec::new();
    for l in t::uniq(&t::lines(&data), &o) {
        text.extend_from_slice(&l);
        text.push(b'\n');
    }
    match a.operands.get(1) {
        Some(path) => fs::write(path, &text).map_or_else(
            |e| {
                err_on("uniq", path, &e);
                1
            },
            |()| 0,
        ),
        None => {
            Out::new().bytes(&text);
            0
        }
    }
}

/// `hexdump [-C] [-v] [-n LENGTH] [-s OFFSET] [FILE...]`
pub fn hexdump(args: &[String]) -> i32 {
    let a = match parse("hexdump", &Spec::short("Cvn:s:"), args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let num = |c: char| -> Result<Option<u64>, ()> {
        match a.value(c) {
            None => Ok(None),
            Some(v) => {
                let p = v.strip_prefix("0x").map_or_else(|| parse_size(v), |h| u64::from_str_radix(h, 16).ok());
                p.map(Some).ok_or_else(|| err("hexdump", &format!("bad number '{v}'")))
            }
        }
    };
    let (Ok(limit), Ok(skip)) = (num('n'), num('s')) else { return 1 };
    let style = if a.has('C') { Style::Canonical } else { Style::Words };
    let skip = skip.unwrap_or(0);
    let mut d = Dumper::new(style, skip, a.has('v'));
    let mut out = Out::new();
    let mut pending: Vec<u8> = Vec::new();
    let (mut skipped, mut taken, mut status) = (0u64, 0u64, 0);
    for f in inputs(&a) {
        let r = chunks(&f, |c| {
            let mut c = c;
            if skipped < skip {
                let k = (skip - skipped).min(c.len() as u64) as usize;
                skipped += k as u64;
                c = &c[k..];
            }
            if let Some(l) = limit {
                c = &c[..(l - taken).min(c.len() as u64) as usize];
            }
            taken += c.len() as u64;
            pending.extend_from_slice(c);
            let full = pending.len() / 16 * 16;
            for line in pending[..full].chunks(16) {
                out.str(&d.line(line));
            }
            pending.drain(..full);
            limit.is_none_or(|l| taken < l)
        });
        if let Err(e) = r {
            err_on("hexdump", &f, &e);
            status = 1;
        }
    }
    if !pending.is_empty() {
        out.str(&d.line(&pending));
    }
    if d.offset > skip || status == 0 {
        out.str(&d.end());
    }
    status
}

/// `tee [-a] [FILE...]`: standard input to standard output and the files.
pub fn tee(args: &[String]) -> i32 {
    let a = match parse("tee", &Spec { short: "a", long: &[("append", 'a')], stop_at_operand: false }, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let mut status = 0;
    let mut files: Vec<(String, fs::File)> = Vec::new();
    for f in &a.operands {
        let mut o = fs::OpenOptions::new();
        o.write(true).create(true);
        if a.has('a') {
            o.append(true);
        } else {
            o.truncate(true);
        }
        match o.open(f) {
            Ok(h) => files.push((f.clone(), h)),
            Err(e) => {
                err_on("tee", f, &e);
                status = 1;
            }
        }
    }
    let r = chunks("-", |c| {
        let _ = io::stdout().write_all(c);
        files.retain_mut(|(name, h)| match h.write_all(c) {
            Ok(()) => true,
            Err(e) => {
                err_on("tee", name, &e);
                status = 1;
                false
            }
        });
        true
    });
    if let Err(e) = r {
        err_on("tee", "standard input", &e);
        return 1;
    }
    status
}
