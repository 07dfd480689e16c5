//! Arithmetic expansion `$((...))`: signed 64-bit integers with C
//! precedence (`* / %`, `+ -`, comparisons, `== !=`, `&&`, `||`), unary
//! `- + !`, parentheses and variable names (unset or empty is 0).
//! Overflow wraps; division by zero is an error.

use alloc::format;
use alloc::string::String;

/// Evaluate `expr`, looking variables up with `var`.
pub fn eval(expr: &str, var: &mut dyn FnMut(&str) -> Option<String>) -> Result<i64, String> {
    let mut p = Arith { s: expr.as_bytes(), pos: 0, var, depth: 0 };
    let v = p.binary(0)?;
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err(format!("arithmetic syntax error: '{}'", &expr[p.pos..]));
    }
    Ok(v)
}

struct Arith<'a, 'v> {
    s: &'a [u8],
    pos: usize,
    var: &'v mut dyn FnMut(&str) -> Option<String>,
    depth: usize,
}

/// Binary operators by precedence level, lowest first.
const LEVELS: [&[&str]; 6] = [&["||"], &["&&"], &["==", "!="], &["<=", ">=", "<", ">"], &["+", "-"], &["*", "/", "%"]];

impl Arith<'_, '_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn op_at(&mut self, level: usize) -> Option<&'static str> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let op = LEVELS[level].iter().find(|op| rest.starts_with(op.as_bytes()))?;
        // `<` must not be the start of `<=` at a lower level, `&&` not `&`.
        Some(op)
    }

    fn binary(&mut self, level: usize) -> Result<i64, String> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        while let Some(op) = self.op_at(level) {
            self.pos += op.len();
            let rhs = self.binary(level + 1)?;
            lhs = match op {
                "||" => i64::from(lhs != 0 || rhs != 0),
                "&&" => i64::from(lhs != 0 && rhs != 0),
                "==" => i64::from(lhs == rhs),
                "!=" => i64::from(lhs != rhs),
                "<=" => i64::from(lhs <= rhs),
                ">=" => i64::from(lhs >= rhs),
                "<" => i64::from(lhs < rhs),
                ">" => i64::from(lhs > rhs),
                "+" => lhs.wrapping_add(rhs),
                "-" => lhs.wrapping_sub(rhs),
                "*" => lhs.wrapping_mul(rhs),
                "/" | "%" if rhs == 0 => return Err("division by zero".into()),
                "/" => lhs.wrapping_div(rhs),
                _ => lhs.wrapping_rem(rhs),
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i64, String> {
        self.skip_ws();
        self.depth += 1;
        if self.depth > 64 {
            return Err("arithmetic expression too deep".into());
        }
        let r = match self.s.get(self.pos) {
            Some(b'-') => {
                self.pos += 1;
                self.unary().map(i64::wrapping_neg)
            }
            Some(b'+') => {
                self.pos += 1;
                self.unary()
            }
            Some(b'!') => {
                self.pos += 1;
                self.unary().map(|v| i64::from(v == 0))
            }
            Some(b'(') => {
                self.pos += 1;
                let v = self.binary(0)?;
                self.skip_ws();
                if self.s.get(self.pos) != Some(&b')') {
                    return Err("arithmetic syntax error: missing ')'".into());
                }
                self.pos += 1;
                Ok(v)
            }
            _ => self.atom(),
        };
        self.depth -= 1;
        r
    }

    fn atom(&mut self) -> Result<i64, String> {
        let start = self.pos;
        while self.pos < self.s.len() && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_') {
            self.pos += 1;
        }
        let tok = core::str::from_utf8(&self.s[start..self.pos]).unwrap_or_default();
        if tok.is_empty() {
            return Err(match self.s.get(self.pos) {
                None => "arithmetic syntax error: operand expected".into(),
                Some(&c) => format!("arithmetic syntax error: unexpected '{}'", c as char),
            });
        }
        if tok.as_bytes()[0].is_ascii_digit() {
            return number(tok);
        }
        match (self.var)(tok) {
            None => Ok(0),
            Some(v) if v.trim().is_empty() => Ok(0),
            Some(v) => number(v.trim()),
        }
    }
}

fn number(tok: &str) -> Result<i64, String> {
    let (digits, radix) = if let Some(hex) = tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")) {
        (hex, 16)
    } else if tok.len() > 1 && tok.starts_with('0') {
        (&tok[1..], 8)
    } else {
        (tok, 10)
    };
    let (neg, digits) = match digits.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, digits),
    };
    u64::from_str_radix(digits, radix)
        .map(|v| if neg { (v as i64).wrapping_neg() } else { v as i64 })
        .map_err(|_| format!("invalid number '{tok}'"))
}
