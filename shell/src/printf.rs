//! The `printf` builtin and backslash escapes (also used by `echo -e`).
//!
//! `printf [-v NAME] FORMAT [ARG...]` follows POSIX: the format's escapes
//! (`\n \t \\ \a \b \f \r \v \e`, `\NNN` octal, `\xHH`, `\uHHHH`), and
//! the conversions `%d %i %o %u %x %X %c %s %b %e %E %f %F %g %G %%` with
//! the flags `- + space # 0`, a width and a precision (either may be `*`,
//! taken from the arguments). Numeric arguments may be decimal, octal
//! (`010`), hexadecimal (`0x1f`) or `'c` (the character's code); a bad one
//! prints an error, counts as what could be read (0 if nothing), and makes
//! the status 1. The format is reused while arguments remain; missing
//! arguments are empty strings or zero. `%b` takes `echo -e` escapes (octal
//! as `\0NNN`), and `\c` in it ends all output.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::os::Os;
use crate::shell::Shell;

/// How octal escapes are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Octal {
    /// `\NNN` (one to three digits): the format string.
    Plain,
    /// `\0NNN` (zero and up to three digits): `%b` and `echo -e`.
    Zero,
}

/// Interpret backslash escapes the way `echo -e` and `%b` do (`\n`, `\t`,
/// `\\`, `\0NNN`, `\xHH`, ...). Returns the bytes and whether `\c` asked
/// to stop output there.
pub fn unescape_bytes(s: &str) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let stop = escapes(s, Octal::Zero, &mut out);
    (out, stop)
}

/// Decode the escapes of `s` into `out`; true if `\c` stopped it.
fn escapes(s: &str, octal: Octal, out: &mut Vec<u8>) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            push_char(out, c);
            continue;
        }
        let Some(&e) = chars.get(i) else {
            out.push(b'\\');
            break;
        };
        i += 1;
        match e {
            'n' => out.push(b'\n'),
            't' => out.push(b'\t'),
            'r' => out.push(b'\r'),
            'a' => out.push(0x07),
            'b' => out.push(0x08),
            'f' => out.push(0x0c),
            'v' => out.push(0x0b),
            'e' | 'E' => out.push(0x1b),
            '\\' => out.push(b'\\'),
            'c' if octal == Octal::Zero => return true,
            '0'..='7' => {
                let (first, max) = if octal == Octal::Zero && e == '0' { (0, 3) } else { (e as u32 - '0' as u32, 2) };
                let mut v = first;
                let mut n = 0;
                while n < max
                    && let Some(d) = chars.get(i).and_then(|c| c.to_digit(8))
                {
                    v = v * 8 + d;
                    i += 1;
                    n += 1;
                }
                out.push((v & 0xff) as u8);
            }
            'x' | 'u' | 'U' => {
                let max = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v = 0u32;
                let mut n = 0;
                while n < max
                    && let Some(d) = chars.get(i).and_then(|c| c.to_digit(16))
                {
                    v = v.wrapping_mul(16).wrapping_add(d);
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    out.push(b'\\');
                    push_char(out, e);
                } else if e == 'x' {
                    out.push(v as u8);
                } else {
                    push_char(out, char::from_u32(v).unwrap_or('\u{fffd}'));
                }
            }
            '"' | '\'' if octal == Octal::Plain => push_char(out, e),
            o => {
                out.push(b'\\');
                push_char(out, o);
            }
        }
    }
    false
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut tmp = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

/// One conversion's flags, width and precision.
#[derive(Default, Clone, Copy)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

/// The arguments, consumed in order.
struct Args<'a> {
    rest: &'a [String],
    used: bool,
    status: i32,
    errors: Vec<String>,
}

impl Args<'_> {
    fn next(&mut self) -> Option<&String> {
        let (first, rest) = self.rest.split_first()?;
        self.rest = rest;
        self.used = true;
        Some(first)
    }

    fn fail(&mut self, msg: String) {
        self.errors.push(msg);
        self.status = 1;
    }

    /// An integer argument (`*` widths and `%d`...).
    fn int(&mut self) -> i128 {
        let Some(a) = self.next().cloned() else { return 0 };
        let (v, ok) = parse_int(&a);
        if !ok {
            self.fail(format!("printf: {a}: invalid number"));
        }
        v
    }

    /// A floating-point argument.
    fn float(&mut self) -> f64 {
        let Some(a) = self.next().cloned() else { return 0.0 };
        let t = a.trim();
        if let Some(c) = t.strip_prefix(['\'', '"']) {
            return c.chars().next().map_or(0.0, |c| c as u32 as f64);
        }
        match t.parse::<f64>() {
            Ok(v) => v,
            Err(_) => {
                let (v, ok) = parse_int(t);
                if !ok {
                    self.fail(format!("printf: {a}: invalid number"));
                }
                v as f64
            }
        }
    }
}

/// An integer as C reads it (sign, `0x`, leading `0` for octal, `'c`):
/// the value of the longest valid prefix and whether all of it was valid.
fn parse_int(s: &str) -> (i128, bool) {
    let t = s.trim_start();
    if let Some(c) = t.strip_prefix(['\'', '"']) {
        return (c.chars().next().map_or(0, |c| c as i128), true);
    }
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        (16, h)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    let mut v: i128 = 0;
    let mut n = 0;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else { break };
        v = (v * radix as i128 + d as i128).min(i128::from(u64::MAX) + 1);
        n += 1;
    }
    let ok = (n > 0 || radix == 8) && n == digits.chars().count() && !t.is_empty();
    let ok = ok && v <= i128::from(u64::MAX);
    (if neg { -v } else { v }, ok)
}

/// `printf` as a builtin: `printf [-v NAME] FORMAT [ARG...]`.
pub(crate) fn run<O: Os>(sh: &mut Shell<O>, args: &[String]) -> i32 {
    let mut args = args;
    let mut var = None;
    if args.first().is_some_and(|a| a == "-v") {
        let Some(name) = args.get(1) else {
            sh.error("printf: -v: option requires an argument");
            return 2;
        };
        if !crate::lexer::is_name(name) {
            sh.error(&format!("printf: '{name}': not a valid identifier"));
            return 2;
        }
        var = Some(name.clone());
        args = &args[2..];
    }
    if args.first().is_some_and(|a| a == "--") {
        args = &args[1..];
    }
    let Some(fmt) = args.first() else {
        sh.error("printf: usage: printf [-v var] format [arguments]");
        return 2;
    };
    let mut a = Args { rest: &args[1..], used: false, status: 0, errors: Vec::new() };
    let mut out = Vec::new();
    let fmt: Vec<char> = fmt.chars().collect();
    let status = loop {
        a.used = false;
        match format_once(&fmt, &mut a, &mut out) {
            Err(msg) => {
                a.fail(msg);
                break 1;
            }
            Ok(true) => break a.status,
            Ok(false) => {}
        }
        if a.rest.is_empty() || !a.used {
            break a.status;
        }
    };
    for e in core::mem::take(&mut a.errors) {
        sh.error(&e);
    }
    match var {
        Some(name) => {
            sh.vars.set(&name, &String::from_utf8_lossy(&out));
            status
        }
        None => match sh.builtin_output("printf", &out) {
            0 => status,
            failed => failed,
        },
    }
}

/// One pass over the format. `Ok(true)` if `\c` ended the output.
fn format_once(fmt: &[char], a: &mut Args<'_>, out: &mut Vec<u8>) -> Result<bool, String> {
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c == '\\' {
            // One escape: the backslash, its letter and any digits it takes.
            let mut j = (i + 2).min(fmt.len());
            let more = match fmt.get(i + 1) {
                Some('0'..='7') => 2,
                Some('x') => 2,
                Some('u') => 4,
                Some('U') => 8,
                _ => 0,
            };
            while j < fmt.len() && j < i + 2 + more && fmt[j].is_ascii_hexdigit() {
                if matches!(fmt.get(i + 1), Some('0'..='7')) && !fmt[j].is_digit(8) {
                    break;
                }
                j += 1;
            }
            let text: String = fmt[i..j].iter().collect();
            if escapes(&text, Octal::Plain, out) {
                return Ok(true);
            }
            i = j;
            continue;
        }
        if c != '%' {
            push_char(out, c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        let mut spec = Spec::default();
        while let Some(&f) = fmt.get(i) {
            match f {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                '0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        if fmt.get(i) == Some(&'*') {
            i += 1;
            let w = a.int();
            spec.left |= w < 0;
            spec.width = w.unsigned_abs().min(4096) as usize;
        } else {
            spec.width = number(fmt, &mut i);
        }
        if fmt.get(i) == Some(&'.') {
            i += 1;
            spec.precision = Some(if fmt.get(i) == Some(&'*') {
                i += 1;
                a.int().clamp(0, 4096) as usize
            } else {
                number(fmt, &mut i)
            });
        }
        let Some(&conv) = fmt.get(i) else {
            let text: String = fmt[start..].iter().collect();
            return Err(format!("printf: {text}: invalid directive"));
        };
        i += 1;
        let text = match conv {
            '%' => String::from("%"),
            's' => {
                let s = a.next().cloned().unwrap_or_default();
                match spec.precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'b' => {
                let s = a.next().cloned().unwrap_or_default();
                let mut bytes = Vec::new();
                let stop = escapes(&s, Octal::Zero, &mut bytes);
                if let Some(p) = spec.precision {
                    bytes.truncate(p);
                }
                let len = String::from_utf8_lossy(&bytes).chars().count();
                pad_bytes(out, &bytes, len, spec);
                if stop {
                    return Ok(true);
                }
                continue;
            }
            // The first character; an empty argument's is the NUL byte, as in C.
            'c' => a.next().and_then(|s| s.chars().next()).map_or_else(|| String::from("\0"), String::from),
            'd' | 'i' => signed(a.int(), spec),
            'o' | 'u' | 'x' | 'X' => unsigned(a.int(), conv, spec),
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => float(a.float(), conv, spec),
            other => return Err(format!("printf: %{other}: invalid directive")),
        };
        let zero = match conv {
            'd' | 'i' | 'o' | 'u' | 'x' | 'X' => spec.precision.is_none(),
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => !text.contains(['n', 'N']),
            _ => false,
        };
        pad(out, &text, spec, zero);
    }
    Ok(false)
}

fn number(fmt: &[char], i: &mut usize) -> usize {
    let mut n = 0usize;
    while let Some(d) = fmt.get(*i).and_then(|c| c.to_digit(10)) {
        n = (n * 10 + d as usize).min(4096);
        *i += 1;
    }
    n
}

/// `%d`: sign, digits (at least `precision` of them).
fn signed(v: i128, spec: Spec) -> String {
    let v = v.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    let digits = min_digits(v.unsigned_abs().to_string(), spec.precision);
    let sign = if v < 0 {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    format!("{sign}{digits}")
}

/// `%o %u %x %X`: the value as a 64-bit unsigned number (negative values
/// wrap, as in C).
fn unsigned(v: i128, conv: char, spec: Spec) -> String {
    let u = if v < 0 { (v.max(i128::from(i64::MIN)) as i64) as u64 } else { v.min(i128::from(u64::MAX)) as u64 };
    let digits = match conv {
        'o' => format!("{u:o}"),
        'x' => format!("{u:x}"),
        'X' => format!("{u:X}"),
        _ => format!("{u}"),
    };
    let mut digits = min_digits(digits, spec.precision);
    if spec.alt {
        match conv {
            'o' if !digits.starts_with('0') => digits.insert(0, '0'),
            'x' if u != 0 => digits.insert_str(0, "0x"),
            'X' if u != 0 => digits.insert_str(0, "0X"),
            _ => {}
        }
    }
    digits
}

fn min_digits(digits: String, precision: Option<usize>) -> String {
    match precision {
        Some(0) if digits == "0" => String::new(),
        Some(p) if digits.len() < p => format!("{}{digits}", "0".repeat(p - digits.len())),
        _ => digits,
    }
}

/// `%e %f %g` (and upper case) as C prints them.
fn float(v: f64, conv: char, spec: Spec) -> String {
    let upper = conv.is_ascii_uppercase();
    let sign = if v.is_sign_negative() && !v.is_nan() {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let a = v.abs();
    let body = if a.is_infinite() {
        String::from("inf")
    } else if a.is_nan() {
        String::from("nan")
    } else {
        let p = spec.precision.unwrap_or(6).min(1000);
        match conv.to_ascii_lowercase() {
            'f' => {
                let s = format!("{a:.p$}");
                if spec.alt && p == 0 { s + "." } else { s }
            }
            'e' => exp_form(a, p, spec.alt),
            _ => {
                let p = p.max(1);
                let x = exponent(a, p - 1);
                let s = if x < -4 || x >= p as i32 {
                    exp_form(a, p - 1, spec.alt)
                } else {
                    let decimals = (p as i32 - 1 - x).max(0) as usize;
                    format!("{a:.decimals$}")
                };
                if spec.alt { s } else { strip_zeros(&s) }
            }
        }
    };
    let body = if upper { body.to_ascii_uppercase() } else { body };
    format!("{sign}{body}")
}

/// The decimal exponent of `a` written with `p` decimals in `%e` form.
fn exponent(a: f64, p: usize) -> i32 {
    let s = format!("{a:.p$e}");
    s.rsplit('e').next().and_then(|e| e.parse().ok()).unwrap_or(0)
}

/// `d.ddde+XX`.
fn exp_form(a: f64, p: usize, alt: bool) -> String {
    let s = format!("{a:.p$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let dot = if alt && p == 0 { "." } else { "" };
    format!("{mant}{dot}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
}

/// `%g` without `#`: no trailing zeros after the point (nor the point).
fn strip_zeros(s: &str) -> String {
    let (mant, exp) = match s.find('e') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let mant = if mant.contains('.') { mant.trim_end_matches('0').trim_end_matches('.') } else { mant };
    format!("{mant}{exp}")
}

/// Pad `text` to the width: spaces on the left (or right with `-`), or,
/// with `zero`, zeros after the sign and `0x`.
fn pad(out: &mut Vec<u8>, text: &str, spec: Spec, zero: bool) {
    let len = text.chars().count();
    let fill = spec.width.saturating_sub(len);
    if spec.left {
        out.extend_from_slice(text.as_bytes());
        out.extend(core::iter::repeat_n(b' ', fill));
    } else if zero && spec.zero {
        let sign = usize::from(text.starts_with(['-', '+', ' ']));
        let hex = if text[sign..].starts_with("0x") || text[sign..].starts_with("0X") { 2 } else { 0 };
        out.extend_from_slice(&text.as_bytes()[..sign + hex]);
        out.extend(core::iter::repeat_n(b'0', fill));
        out.extend_from_slice(&text.as_bytes()[sign + hex..]);
    } else {
        out.extend(core::iter::repeat_n(b' ', fill));
        out.extend_from_slice(text.as_bytes());
    }
}

fn pad_bytes(out: &mut Vec<u8>, bytes: &[u8], len: usize, spec: Spec) {
    let fill = spec.width.saturating_sub(len);
    if !spec.left {
        out.extend(core::iter::repeat_n(b' ', fill));
    }
    out.extend_from_slice(bytes);
    if spec.left {
        out.extend(core::iter::repeat_n(b' ', fill));
    }
}
