//! Programs that transform or produce text: `tr`, `cut`, `seq`, `yes`,
//! and `xargs`, which turns text into command lines.

use super::{Out, err, err_on, inputs, parse, read_input};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use coreutils::args::Spec;
use coreutils::cut::{Cut, Mode, Ranges};
use coreutils::tr::{Tr, TrOptions};
use coreutils::xargs::{self as x, Split};
use rampart_libos::io::{self, Read, Write};
use rampart_libos::process::{self, Command, Stdio};

/// Prints a library message: the first line after `prog: `, the rest as is.
fn err_lines(prog: &str, msg: &str) {
    let mut lines = msg.lines();
    if let Some(first) = lines.next() {
        err(prog, first);
    }
    for l in lines {
        let _ = io::stderr().write_all(format!("{l}\n").as_bytes());
    }
}

/// `tr [-cCdst] SET1 [SET2]`: standard input to standard output.
pub fn tr(args: &[String]) -> i32 {
    let spec = Spec {
        short: "cCdst",
        long: &[("complement", 'c'), ("delete", 'd'), ("squeeze-repeats", 's'), ("truncate-set1", 't')],
        stop_at_operand: false,
    };
    let a = match parse("tr", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let opts = TrOptions {
        complement: a.has('c') || a.has('C'),
        delete: a.has('d'),
        squeeze: a.has('s'),
        truncate: a.has('t'),
    };
    let mut t = match Tr::new(opts, &a.operands) {
        Ok(t) => t,
        Err(e) => {
            err_lines("tr", &e);
            return 1;
        }
    };
    let mut out = Out::new();
    let mut buf = alloc::vec![0u8; 32 * 1024];
    let mut chunk = Vec::new();
    loop {
        match io::stdin().read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                chunk.clear();
                t.run(&buf[..n], &mut chunk);
                out.bytes(&chunk);
                if out.failed {
                    return 1;
                }
            }
            Err(e) => {
                err_on("tr", "read error", &e);
                return 1;
            }
        }
    }
    out.flush();
    i32::from(out.failed)
}

/// `cut -b LIST | -c LIST | -f LIST [-d DELIM] [-s] [--complement]
/// [--output-delimiter=STRING] [FILE...]`
pub fn cut(args: &[String]) -> i32 {
    let spec = Spec {
        short: "b:c:f:d:sn",
        long: &[
            ("bytes=", 'b'),
            ("characters=", 'c'),
            ("fields=", 'f'),
            ("delimiter=", 'd'),
            ("only-delimited", 's'),
            ("complement", 'C'),
            ("output-delimiter=", 'o'),
        ],
        stop_at_operand: false,
    };
    let a = match parse("cut", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let kinds: Vec<char> = ['b', 'c', 'f'].into_iter().filter(|c| a.has(*c)).collect();
    let usage = |msg: &str| {
        err("cut", msg);
        1
    };
    let kind = match kinds.as_slice() {
        [] => return usage("you must specify a list of bytes, characters, or fields"),
        [k] => *k,
        _ => return usage("only one type of list may be specified"),
    };
    let delim = match a.value('d') {
        Some(_) if kind != 'f' => return usage("an input delimiter may be specified only when operating on fields"),
        Some(d) if d.len() > 1 => return usage("the delimiter must be a single character"),
        Some(d) => d.bytes().next().unwrap_or(b'\t'),
        None => b'\t',
    };
    if a.has('s') && kind != 'f' {
        return usage("suppressing non-delimited lines makes sense\n\tonly when operating on fields");
    }
    let ranges = match Ranges::parse(a.value(kind).unwrap_or_default()) {
        Ok(r) => r,
        Err(e) => return usage(&e),
    };
    let mode = match kind {
        'b' => Mode::Bytes,
        'c' => Mode::Chars,
        _ => Mode::Fields { delim, only_delimited: a.has('s') },
    };
    let c = Cut { mode, ranges, complement: a.has('C'), out_delim: a.value('o').map(|s| s.as_bytes().to_vec()) };
    let mut out = Out::new();
    let mut status = 0;
    let mut line = Vec::new();
    for f in inputs(&a) {
        let data = match read_input(&f) {
            Ok(d) => d,
            Err(e) => {
                err_on("cut", &f, &e);
                status = 1;
                continue;
            }
        };
        for l in coreutils::text::lines(&data) {
            line.clear();
            if c.line(l, &mut line) {
                line.push(b'\n');
                out.bytes(&line);
            }
        }
    }
    out.flush();
    status.max(i32::from(out.failed))
}

/// `seq [-w] [-s SEP] [FIRST [INCR]] LAST` (negative numbers are operands).
pub fn seq(args: &[String]) -> i32 {
    let mut sep = String::from("\n");
    let mut width = false;
    let mut operands = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        if !operands.is_empty() || coreutils::seq::is_number(a) || !a.starts_with('-') || a == "-" {
            operands.push(a.clone());
            continue;
        }
        match a.as_str() {
            "--" => {
                operands.extend(args[i..].iter().cloned());
                break;
            }
            "-w" | "--equal-width" => width = true,
            "-s" | "--separator" => match args.get(i) {
                Some(s) => {
                    sep = s.clone();
                    i += 1;
                }
                None => {
                    err("seq", "option requires an argument -- 's'");
                    return 1;
                }
            },
            s if s.starts_with("--separator=") => sep = String::from(&s["--separator=".len()..]),
            s if s.starts_with("-s") => sep = String::from(&s[2..]),
            s if s.starts_with("-w") && s.len() > 2 => {
                width = true;
                if let Some(rest) = s[2..].strip_prefix('s') {
                    sep = String::from(rest);
                }
            }
            s => {
                err("seq", &format!("invalid option -- '{}'", s.trim_start_matches('-').chars().next().unwrap_or('-')));
                return 1;
            }
        }
    }
    let numbers = match coreutils::seq::Seq::new(&operands, width) {
        Ok(s) => s,
        Err(e) => {
            err("seq", &e);
            return 1;
        }
    };
    let mut out = Out::new();
    let mut first = true;
    for n in numbers {
        if !first {
            out.str(&sep);
        }
        first = false;
        out.str(&n);
        if out.failed {
            return 1;
        }
    }
    if !first {
        out.str("\n");
    }
    out.flush();
    i32::from(out.failed)
}

/// `yes [STRING...]`: the line forever, until the reader goes away.
pub fn yes(args: &[String]) -> i32 {
    let line = if args.is_empty() { String::from("y\n") } else { format!("{}\n", args.join(" ")) };
    let mut chunk = String::new();
    while chunk.len() < 8192 {
        chunk.push_str(&line);
    }
    let mut out = Out::new();
    while !out.failed {
        out.str(&chunk);
    }
    1
}

/// `xargs [-0] [-d DELIM] [-I REPL] [-n MAX] [-r] [-t] [-s SIZE]
/// [COMMAND [ARG...]]`: runs COMMAND (default `echo`) with the items read
/// from standard input as more arguments; the children get no standard input.
pub fn xargs(args: &[String]) -> i32 {
    let spec = Spec {
        short: "0d:I:n:rts:",
        long: &[
            ("null", '0'),
            ("delimiter=", 'd'),
            ("replace=", 'I'),
            ("max-args=", 'n'),
            ("no-run-if-empty", 'r'),
            ("verbose", 't'),
            ("max-chars=", 's'),
        ],
        stop_at_operand: true,
    };
    let a = match parse("xargs", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let number = |c: char, what: &str| -> Result<Option<usize>, i32> {
        match a.value(c) {
            None => Ok(None),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => {
                    err("xargs", &format!("invalid number \"{v}\" for -{c} option ({what})"));
                    Err(1)
                }
            },
        }
    };
    let (max_args, max_chars) = match (number('n', "max-args"), number('s', "max-chars")) {
        (Ok(n), Ok(s)) => (n, s.unwrap_or(4096)),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let how = if let Some(r) = a.value('I') {
        let _ = r;
        Split::Lines
    } else if a.has('0') {
        Split::Delim(0)
    } else if let Some(d) = a.value('d') {
        let (b, _) = coreutils::text::unescape(d);
        Split::Delim(b.bytes().next().unwrap_or(b'\n'))
    } else {
        Split::Blank
    };
    let input = match read_input("-") {
        Ok(d) => d,
        Err(e) => {
            err_on("xargs", "standard input", &e);
            return 1;
        }
    };
    let items = match x::split(&input, how) {
        Ok(i) => i,
        Err(e) => {
            err("xargs", &e);
            return 1;
        }
    };
    let command = if a.operands.is_empty() { alloc::vec![String::from("echo")] } else { a.operands.clone() };
    let lines: Vec<Vec<String>> = match a.value('I') {
        Some(r) => items.iter().map(|it| x::replace(&command, r, it)).collect(),
        None if items.is_empty() && !a.has('r') => alloc::vec![command.clone()],
        None => x::group(&command, items, max_args, max_chars),
    };
    let mut codes = Vec::new();
    for line in lines {
        let code = run_line(&line, a.has('t'));
        codes.push(code);
        if matches!(code, 126 | 127 | 255) || code > 128 {
            break;
        }
    }
    let st = x::status(&codes);
    if st == 124 {
        err("xargs", &format!("{}: exited with status 255; aborting", command[0]));
    }
    st
}

/// Runs one command line; its status (126/127 when it could not run).
fn run_line(line: &[String], trace: bool) -> i32 {
    if trace {
        let _ = io::stderr().write_all(format!("{}\n", line.join(" ")).as_bytes());
    }
    let Some(path) = process::find_program(&line[0]) else {
        err("xargs", &format!("{}: {}", line[0], rampart_uabi::Errno::ENOENT.message()));
        return 127;
    };
    let mut c = Command::new(&path);
    c.args(line[1..].iter().map(String::as_str)).stdin(Stdio::Null);
    let _ = io::stdout().flush();
    match c.spawn() {
        Ok(mut child) => match child.wait() {
            Ok(s) => s.shell_code(),
            Err(e) => {
                err_on("xargs", "wait", &e);
                125
            }
        },
        Err(e) => {
            err_on("xargs", &line[0], &e);
            if e.errno() == rampart_uabi::Errno::ENOENT { 127 } else { 126 }
        }
    }
}
