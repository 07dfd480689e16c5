//! The `printf` builtin and backslash escapes (also used by `echo -e`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::os::Os;
use crate::shell::Shell;

/// Interpret backslash escapes (`\n`, `\t`, `\\`, `\0NNN`, `\xHH`, ...).
/// Returns the text and whether `\c` asked to stop output there.
pub fn unescape(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('e') => out.push('\x1b'),
            Some('\\') => out.push('\\'),
            Some('c') => return (out, true),
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).unwrap_or(0);
                for _ in 0..3 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(n) if v * 8 + n < 256 => {
                            v = v * 8 + n;
                            chars.next();
                        }
                        _ => break,
                    }
                }
                out.push(char::from(v as u8));
            }
            Some('x') => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 {
                    match chars.peek().and_then(|c| c.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            chars.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    out.push_str("\\x");
                } else {
                    out.push(char::from(v as u8));
                }
            }
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

/// Pad `s` to `width` (left-aligned with `-`, zero-padded with `0` for numbers).
fn pad(s: String, width: usize, left: bool, zero: bool) -> String {
    let len = s.chars().count();
    if len >= width {
        return s;
    }
    let fill = width - len;
    if left {
        return format!("{s}{}", " ".repeat(fill));
    }
    if zero {
        let (sign, digits) = if let Some(d) = s.strip_prefix('-') { ("-", d) } else { ("", s.as_str()) };
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    format!("{}{s}", " ".repeat(fill))
}

/// `printf FORMAT [ARG...]`: `%s %b %c %d %i %u %x %X %o %%` with flags
/// `-` and `0`, a width and a precision; the format is reused while
/// arguments remain.
pub(crate) fn run<O: Os>(sh: &mut Shell<O>, args: &[alloc::string::String]) -> i32 {
    let Some(fmt) = args.first() else {
        sh.error("printf: usage: printf format [arguments]");
        return 2;
    };
    let mut rest: &[String] = &args[1..];
    let mut out = String::new();
    let mut status = 0;
    let fmt: Vec<char> = fmt.chars().collect();
    loop {
        let consumed_before = rest.len();
        let mut i = 0;
        while i < fmt.len() {
            let c = fmt[i];
            if c == '\\' {
                let mut j = i + 1;
                while j < fmt.len() && j < i + 4 && fmt[j].is_ascii_digit() {
                    j += 1;
                }
                let end = if j > i + 1 { j } else { (i + 2).min(fmt.len()) };
                let (t, stop) = unescape(&fmt[i..end].iter().collect::<String>());
                out.push_str(&t);
                if stop {
                    sh.out(&out);
                    return status;
                }
                i = end;
                continue;
            }
            if c != '%' {
                out.push(c);
                i += 1;
                continue;
            }
            i += 1;
            let (mut left, mut zero) = (false, false);
            while i < fmt.len() && matches!(fmt[i], '-' | '0' | '+' | ' ' | '#') {
                left |= fmt[i] == '-';
                zero |= fmt[i] == '0';
                i += 1;
            }
            let mut width = 0usize;
            while i < fmt.len() && fmt[i].is_ascii_digit() {
                width = (width * 10 + fmt[i] as usize - '0' as usize).min(4096);
                i += 1;
            }
            let mut precision = None;
            if i < fmt.len() && fmt[i] == '.' {
                i += 1;
                let mut p = 0usize;
                while i < fmt.len() && fmt[i].is_ascii_digit() {
                    p = (p * 10 + fmt[i] as usize - '0' as usize).min(4096);
                    i += 1;
                }
                precision = Some(p);
            }
            let Some(&conv) = fmt.get(i) else {
                out.push('%');
                break;
            };
            i += 1;
            if conv == '%' {
                out.push('%');
                continue;
            }
            let arg = rest.first().cloned().unwrap_or_default();
            rest = rest.get(1..).unwrap_or_default();
            let text = match conv {
                's' => match precision {
                    Some(p) => arg.chars().take(p).collect(),
                    None => arg,
                },
                'b' => unescape(&arg).0,
                'c' => arg.chars().next().map(String::from).unwrap_or_default(),
                'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                    let t = arg.trim();
                    let n = if t.is_empty() {
                        Some(0)
                    } else if let Some(ch) = t.strip_prefix('\'').or_else(|| t.strip_prefix('"')) {
                        ch.chars().next().map(|c| c as i64)
                    } else {
                        t.parse::<i64>().ok()
                    };
                    let n = n.unwrap_or_else(|| {
                        sh.error(&format!("printf: {arg}: invalid number"));
                        status = 1;
                        0
                    });
                    match conv {
                        'x' => format!("{n:x}"),
                        'X' => format!("{n:X}"),
                        'o' => format!("{n:o}"),
                        _ => format!("{n}"),
                    }
                }
                other => {
                    sh.error(&format!("printf: %{other}: invalid directive"));
                    return 1;
                }
            };
            out.push_str(&pad(text, width, left, zero && !matches!(conv, 's' | 'b' | 'c')));
        }
        if rest.is_empty() || rest.len() == consumed_before {
            break;
        }
    }
    sh.out(&out);
    status
}
