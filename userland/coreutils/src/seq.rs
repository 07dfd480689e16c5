//! `seq [-w] [-s SEP] [FIRST [INCR]] LAST`: numbers from FIRST (1) by
//! INCR (1) while not past LAST. Decimal fractions are exact: the output
//! has as many decimals as the operand with the most.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// A decimal number as an integer scaled by `10^decimals`.
fn parse_num(s: &str) -> Option<(i128, u32)> {
    let t = s.strip_prefix('+').unwrap_or(s);
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    if int.len() + frac.len() > 30 {
        return None;
    }
    let digits = format!("{int}{frac}");
    let v: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    Some((if neg { -v } else { v }, frac.len() as u32))
}

/// Whether `s` is a number operand (so `-1` is not an option).
pub fn is_number(s: &str) -> bool {
    parse_num(s).is_some()
}

/// The numbers of a sequence, as text.
#[derive(Clone, Debug)]
pub struct Seq {
    next: i128,
    incr: i128,
    last: i128,
    decimals: u32,
    width: usize,
    done: bool,
}

impl Seq {
    /// The sequence for the operands (one to three); `equal_width` pads
    /// with leading zeros (`-w`).
    ///
    /// # Errors
    /// `seq`'s message.
    pub fn new(operands: &[String], equal_width: bool) -> Result<Seq, String> {
        match operands.len() {
            0 => return Err(String::from("missing operand")),
            1..=3 => {}
            _ => return Err(format!("extra operand '{}'", operands[3])),
        }
        let mut nums = Vec::new();
        for o in operands {
            nums.push(parse_num(o).ok_or_else(|| format!("invalid floating point argument: '{o}'"))?);
        }
        let decimals = nums.iter().map(|(_, d)| *d).max().unwrap_or(0);
        let scale = |(v, d): (i128, u32)| v.saturating_mul(10i128.pow(decimals - d));
        let (first, incr, last) = match nums.as_slice() {
            [l] => (10i128.pow(decimals), 10i128.pow(decimals), scale(*l)),
            [f, l] => (scale(*f), 10i128.pow(decimals), scale(*l)),
            [f, i, l] => (scale(*f), scale(*i), scale(*l)),
            _ => return Err(String::from("missing operand")),
        };
        if incr == 0 {
            return Err(format!("invalid Zero increment value: '{}'", operands[1]));
        }
        let width =
            if equal_width { format_num(first, decimals).len().max(format_num(last, decimals).len()) } else { 0 };
        Ok(Seq { next: first, incr, last, decimals, width, done: false })
    }
}

/// `v / 10^decimals` written out.
fn format_num(v: i128, decimals: u32) -> String {
    if decimals == 0 {
        return v.to_string();
    }
    let p = 10i128.pow(decimals);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:0w$}", a / p as u128, a % p as u128, w = decimals as usize)
}

impl Iterator for Seq {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if self.done || (self.incr > 0 && self.next > self.last) || (self.incr < 0 && self.next < self.last) {
            return None;
        }
        let v = self.next;
        match self.next.checked_add(self.incr) {
            Some(n) => self.next = n,
            None => self.done = true,
        }
        let text = format_num(v, self.decimals);
        if text.len() >= self.width {
            return Some(text);
        }
        let zeros = "0".repeat(self.width - text.len());
        Some(match text.strip_prefix('-') {
            Some(digits) => format!("-{zeros}{digits}"),
            None => format!("{zeros}{text}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn seq(args: &[&str], w: bool) -> Result<Vec<String>, String> {
        let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Ok(Seq::new(&a, w)?.collect())
    }

    #[test]
    fn sequences() {
        assert_eq!(seq(&["3"], false), Ok(vec!["1".into(), "2".into(), "3".into()]));
        assert_eq!(seq(&["2", "4"], false).unwrap(), ["2", "3", "4"]);
        assert_eq!(seq(&["10", "-3", "1"], false).unwrap(), ["10", "7", "4", "1"]);
        assert_eq!(seq(&["0", "0.5", "1.5"], false).unwrap(), ["0.0", "0.5", "1.0", "1.5"]);
        assert_eq!(seq(&["-1", "1"], false).unwrap(), ["-1", "0", "1"]);
        assert_eq!(seq(&["1", "0"], false).unwrap(), Vec::<String>::new());
        assert_eq!(seq(&["8", "10"], true).unwrap(), ["08", "09", "10"]);
        assert_eq!(seq(&["-1", "1"], true).unwrap(), ["-1", "00", "01"]);
        assert_eq!(seq(&["0.1", "0.1", "0.3"], false).unwrap(), ["0.1", "0.2", "0.3"]);
    }

    #[test]
    fn errors() {
        assert_eq!(seq(&[], false), Err("missing operand".into()));
        assert_eq!(seq(&["1", "2", "3", "4"], false), Err("extra operand '4'".into()));
        assert_eq!(seq(&["x"], false), Err("invalid floating point argument: 'x'".into()));
        assert_eq!(seq(&["1", "0", "3"], false), Err("invalid Zero increment value: '0'".into()));
        assert!(is_number("-1.5") && !is_number("-w") && !is_number("-"));
    }
}
