//! `xargs`: splitting standard input into arguments and grouping them
//! into command lines.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// How the input is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Blanks and newlines separate; `'...'`, `"..."` and `\` quote (the default).
    Blank,
    /// Each item ends at this byte, taken literally (`-0`: NUL, `-d`).
    Delim(u8),
    /// One item per line, leading blanks dropped, taken literally (`-I`).
    Lines,
}

/// The items of `input`.
///
/// # Errors
/// `xargs`'s message for an unmatched quote.
pub fn split(input: &[u8], how: Split) -> Result<Vec<String>, String> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match how {
        Split::Delim(d) => {
            let mut items: Vec<String> = input.split(|b| *b == d).map(text).collect();
            if input.last() == Some(&d) || input.is_empty() {
                items.pop();
            }
            Ok(items)
        }
        Split::Lines => Ok(input
            .split(|b| *b == b'\n')
            .map(|l| text(l).trim_start_matches([' ', '\t']).into())
            .filter(|l: &String| !l.is_empty())
            .collect()),
        Split::Blank => blank_split(input),
    }
}

fn blank_split(input: &[u8]) -> Result<Vec<String>, String> {
    let mut items = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut in_item = false;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        match b {
            b' ' | b'\t' | b'\n' => {
                if in_item {
                    items.push(String::from_utf8_lossy(&cur).into_owned());
                    cur.clear();
                    in_item = false;
                }
            }
            b'\'' | b'"' => {
                in_item = true;
                let end = input[i + 1..].iter().position(|c| *c == b || *c == b'\n');
                match end {
                    Some(e) if input[i + 1 + e] == b => {
                        cur.extend_from_slice(&input[i + 1..i + 1 + e]);
                        i += e + 1;
                    }
                    _ => {
                        let q = if b == b'\'' { "single" } else { "double" };
                        return Err(format!(
                            "unmatched {q} quote; by default quotes are special to xargs unless you use the -0 option"
                        ));
                    }
                }
            }
            b'\\' if i + 1 < input.len() => {
                in_item = true;
                cur.push(input[i + 1]);
                i += 1;
            }
            b => {
                in_item = true;
                cur.push(b);
            }
        }
        i += 1;
    }
    if in_item {
        items.push(String::from_utf8_lossy(&cur).into_owned());
    }
    Ok(items)
}

/// Group `items` into command lines after `command`: at most `max_args`
/// items each (`-n`), and at most `max_chars` bytes in all (each argument
/// counts its length plus one). An item too long for any line gets a
/// line of its own.
pub fn group(command: &[String], items: Vec<String>, max_args: Option<usize>, max_chars: usize) -> Vec<Vec<String>> {
    let base: usize = command.iter().map(|a| a.len() + 1).sum();
    let mut lines = Vec::new();
    let mut cur: Vec<String> = command.to_vec();
    let mut size = base;
    let mut n = 0;
    for item in items {
        let full = max_args.is_some_and(|m| n >= m) || (n > 0 && size + item.len() + 1 > max_chars);
        if full {
            lines.push(core::mem::replace(&mut cur, command.to_vec()));
            size = base;
            n = 0;
        }
        size += item.len() + 1;
        n += 1;
        cur.push(item);
    }
    if n > 0 {
        lines.push(cur);
    }
    lines
}

/// `-I REPL`: the command with every occurrence of `repl` in its words
/// replaced by `item`.
pub fn replace(command: &[String], repl: &str, item: &str) -> Vec<String> {
    command.iter().map(|w| if repl.is_empty() { w.clone() } else { w.replace(repl, item) }).collect()
}

/// `xargs`'s status from the commands' statuses: 0, 123 if any exited
/// with 1-125, 124 if one exited with 255 (xargs stops), 125 if one was
/// killed; 126/127 (could not run / not found) stop xargs too.
pub fn status(codes: &[i32]) -> i32 {
    let mut st = 0;
    for &c in codes {
        match c {
            0 => {}
            1..=125 => st = 123,
            126 | 127 => return c,
            255 => return 124,
            _ => return 125,
        }
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn splitting() {
        assert_eq!(split(b"a b\n c\t\td\n", Split::Blank).unwrap(), v(&["a", "b", "c", "d"]));
        assert_eq!(split(b"'a b' \"c d\" e\\ f ''", Split::Blank).unwrap(), v(&["a b", "c d", "e f", ""]));
        assert!(split(b"'open", Split::Blank).unwrap_err().starts_with("unmatched single quote"));
        assert!(split(b"\"a\nb\"", Split::Blank).unwrap_err().starts_with("unmatched double quote"));
        assert_eq!(split(b"a b\0c\0", Split::Delim(0)).unwrap(), v(&["a b", "c"]));
        assert_eq!(split(b"a,,b", Split::Delim(b',')).unwrap(), v(&["a", "", "b"]));
        assert_eq!(split(b"  one 'x'\n\ntwo\n", Split::Lines).unwrap(), v(&["one 'x'", "two"]));
        assert_eq!(split(b"", Split::Blank).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn grouping() {
        let cmd = v(&["echo"]);
        assert_eq!(
            group(&cmd, v(&["1", "2", "3"]), Some(1), 4096),
            vec![v(&["echo", "1"]), v(&["echo", "2"]), v(&["echo", "3"])]
        );
        assert_eq!(group(&cmd, v(&["1", "2", "3"]), Some(2), 4096), vec![v(&["echo", "1", "2"]), v(&["echo", "3"])]);
        assert_eq!(group(&cmd, v(&["1", "2", "3"]), None, 4096), vec![v(&["echo", "1", "2", "3"])]);
        assert_eq!(
            group(&cmd, v(&["aaaa", "bbbb", "c"]), None, 12),
            vec![v(&["echo", "aaaa"]), v(&["echo", "bbbb", "c"])]
        );
        assert_eq!(group(&cmd, vec![], None, 4096), Vec::<Vec<String>>::new());
        assert_eq!(replace(&v(&["mv", "{}", "{}.bak"]), "{}", "f"), v(&["mv", "f", "f.bak"]));
    }

    #[test]
    fn statuses() {
        assert_eq!(status(&[0, 0]), 0);
        assert_eq!(status(&[0, 1, 0]), 123);
        assert_eq!(status(&[255, 0]), 124);
        assert_eq!(status(&[137]), 125);
        assert_eq!(status(&[127]), 127);
    }
}
