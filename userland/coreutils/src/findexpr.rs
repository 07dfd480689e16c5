//! `find` expressions: parsing the primaries and operators after the start
//! paths, and evaluating them on one entry.
//!
//! Supported: `-name PAT`, `-iname PAT`, `-path PAT`, `-type [fdlcbps]`,
//! `-size [+-]N[ckMG]`, `-empty`, `-context PAT` (the security context,
//! a Rampart/SELinux extension), `-print`, `-true`, `-false`, `!`/`-not`,
//! `-a`/`-and`, `-o`/`-or`, parentheses, and the global options
//! `-maxdepth N`, `-mindepth N`.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use shell::glob::{PatChar, matches, pattern};

/// One entry being tested.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// Its path as printed (start path joined with the names below it).
    pub path: String,
    /// Its name (last component; the start path itself for depth 0).
    pub name: String,
    /// `f d l c b p s`.
    pub kind: char,
    /// Size in bytes.
    pub size: u64,
    /// An empty file or directory (only computed when [`Expr::uses_empty`]).
    pub empty: bool,
    /// The security context (only looked up when [`Expr::uses_context`]).
    pub context: Option<String>,
}

/// Comparison of `-size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `+N`.
    More,
    /// `-N`.
    Less,
    /// `N`.
    Exactly,
}

/// A parsed expression.
#[derive(Clone, Debug)]
pub enum Expr {
    /// Always true (`-true`, the empty expression).
    True,
    /// `-false`.
    False,
    /// `-name` / `-iname` (case-insensitive: pattern and name lower-cased).
    Name(Vec<PatChar>, bool),
    /// `-path`.
    Path(Vec<PatChar>),
    /// `-type`.
    Type(char),
    /// `-size`: comparison, count, unit in bytes.
    Size(Cmp, u64, u64),
    /// `-empty`.
    Empty,
    /// `-context`.
    Context(Vec<PatChar>),
    /// `-print`.
    Print,
    /// `!`.
    Not(Box<Expr>),
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
}

/// A whole command line after the start paths.
#[derive(Clone, Debug)]
pub struct Query {
    /// The expression.
    pub expr: Expr,
    /// Whether the expression prints by itself (else `-print` is implied).
    pub prints: bool,
    /// `-maxdepth`.
    pub max_depth: Option<usize>,
    /// `-mindepth`.
    pub min_depth: usize,
}

struct P<'a> {
    toks: &'a [String],
    i: usize,
    max_depth: Option<usize>,
    min_depth: usize,
}

impl P<'_> {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.i).map(String::as_str)
    }

    fn next(&mut self) -> Option<&str> {
        let t = self.toks.get(self.i).map(String::as_str);
        self.i += 1;
        t
    }

    fn arg(&mut self, what: &str) -> Result<String, String> {
        self.next().map(str::to_string).ok_or_else(|| format!("missing argument to `{what}'"))
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut l = self.and()?;
        while matches!(self.peek(), Some("-o" | "-or")) {
            self.i += 1;
            let r = self.and()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.unary()?;
        loop {
            match self.peek() {
                Some("-a" | "-and") => self.i += 1,
                Some("-o" | "-or" | ")") | None => return Ok(l),
                _ => {}
            }
            let r = self.unary()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some("!" | "-not") => {
                self.i += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some("(") => {
                self.i += 1;
                let e = self.or()?;
                if self.next() != Some(")") {
                    return Err("missing `)'".into());
                }
                Ok(e)
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let t = self.next().ok_or("expected an expression")?.to_string();
        Ok(match t.as_str() {
            "-name" => Expr::Name(pattern(&self.arg(&t)?), false),
            "-iname" => Expr::Name(pattern(&self.arg(&t)?.to_ascii_lowercase()), true),
            "-path" | "-wholename" => Expr::Path(pattern(&self.arg(&t)?)),
            "-context" => Expr::Context(pattern(&self.arg(&t)?)),
            "-type" => {
                let a = self.arg(&t)?;
                match a.as_str() {
                    "f" | "d" | "l" | "c" | "b" | "p" | "s" => Expr::Type(a.chars().next().unwrap_or('f')),
                    _ => return Err(format!("unknown argument to -type: {a}")),
                }
            }
            "-size" => {
                let a = self.arg(&t)?;
                parse_size(&a).ok_or_else(|| format!("invalid argument `{a}' to `-size'"))?
            }
            "-empty" => Expr::Empty,
            "-print" => Expr::Print,
            "-true" => Expr::True,
            "-false" => Expr::False,
            "-maxdepth" | "-mindepth" => {
                let a = self.arg(&t)?;
                let n: usize = a.parse().map_err(|_| format!("invalid argument `{a}' to `{t}'"))?;
                if t == "-maxdepth" {
                    self.max_depth = Some(n);
                } else {
                    self.min_depth = n;
                }
                Expr::True
            }
            other => return Err(format!("unknown predicate `{other}'")),
        })
    }
}

fn parse_size(a: &str) -> Option<Expr> {
    let (cmp, rest) = match a.as_bytes().first() {
        Some(b'+') => (Cmp::More, &a[1..]),
        Some(b'-') => (Cmp::Less, &a[1..]),
        _ => (Cmp::Exactly, a),
    };
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let n: u64 = rest[..digits].parse().ok()?;
    let unit = match &rest[digits..] {
        "" | "b" => 512,
        "c" => 1,
        "w" => 2,
        "k" => 1024,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    Some(Expr::Size(cmp, n, unit))
}

/// Parses the expression tokens.
///
/// # Errors
/// A message for `find: ...`.
pub fn parse(toks: &[String]) -> Result<Query, String> {
    let mut p = P { toks, i: 0, max_depth: None, min_depth: 0 };
    let expr = if toks.is_empty() { Expr::True } else { p.or()? };
    if let Some(t) = p.peek() {
        return Err(format!("unexpected `{t}'"));
    }
    let prints = expr.prints();
    Ok(Query { expr, prints, max_depth: p.max_depth, min_depth: p.min_depth })
}

impl Expr {
    fn prints(&self) -> bool {
        match self {
            Expr::Print => true,
            Expr::Not(e) => e.prints(),
            Expr::And(a, b) | Expr::Or(a, b) => a.prints() || b.prints(),
            _ => false,
        }
    }

    /// Whether evaluation needs [`Entry::context`].
    pub fn uses_context(&self) -> bool {
        match self {
            Expr::Context(_) => true,
            Expr::Not(e) => e.uses_context(),
            Expr::And(a, b) | Expr::Or(a, b) => a.uses_context() || b.uses_context(),
            _ => false,
        }
    }

    /// Whether evaluation needs [`Entry::empty`].
    pub fn uses_empty(&self) -> bool {
        match self {
            Expr::Empty => true,
            Expr::Not(e) => e.uses_empty(),
            Expr::And(a, b) | Expr::Or(a, b) => a.uses_empty() || b.uses_empty(),
            _ => false,
        }
    }

    /// Evaluates on `e`; `print` is called for every `-print` reached.
    pub fn eval(&self, e: &Entry, print: &mut dyn FnMut(&Entry)) -> bool {
        match self {
            Expr::True => true,
            Expr::False => false,
            Expr::Name(p, ci) => {
                if *ci {
                    matches(p, &e.name.to_ascii_lowercase())
                } else {
                    matches(p, &e.name)
                }
            }
            Expr::Path(p) => matches(p, &e.path),
            Expr::Type(t) => e.kind == *t,
            Expr::Size(c, n, unit) => {
                let units = e.size.div_ceil(*unit);
                match c {
                    Cmp::More => units > *n,
                    Cmp::Less => units < *n,
                    Cmp::Exactly => units == *n,
                }
            }
            Expr::Empty => e.empty,
            Expr::Context(p) => e.context.as_deref().is_some_and(|c| matches(p, c)),
            Expr::Print => {
                print(e);
                true
            }
            Expr::Not(x) => !x.eval(e, print),
            Expr::And(a, b) => a.eval(e, print) && b.eval(e, print),
            Expr::Or(a, b) => a.eval(e, print) || b.eval(e, print),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Query {
        let toks: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse(&toks).unwrap()
    }

    fn entry(path: &str, kind: char, size: u64) -> Entry {
        Entry { path: path.into(), name: path.rsplit('/').next().unwrap().into(), kind, size, ..Default::default() }
    }

    fn hits(query: &Query, e: &Entry) -> bool {
        let mut printed = false;
        let r = query.expr.eval(e, &mut |_| printed = true);
        if query.prints { printed } else { r }
    }

    #[test]
    fn names_types_and_operators() {
        let f = entry("./a/notes.txt", 'f', 10);
        let d = entry("./a", 'd', 4096);
        assert!(hits(&q("-name *.txt"), &f) && !hits(&q("-name *.txt"), &d));
        assert!(hits(&q("-iname NOTES*"), &f));
        assert!(hits(&q("-type d -o -name *.txt"), &d));
        assert!(hits(&q("! -type d"), &f) && !hits(&q("-not -type f"), &f));
        assert!(hits(&q("( -type d -o -type f ) -a -path ./a*"), &f));
        assert!(hits(&q("-type d -print -o -print"), &f));
        assert!(!hits(&q("-false -o -type d -print"), &f));
    }

    #[test]
    fn sizes_depths_contexts() {
        let f = entry("x", 'f', 1500);
        assert!(hits(&q("-size +2"), &f) && hits(&q("-size -4"), &f) && hits(&q("-size 3"), &f));
        assert!(
            hits(&q("-size 1500c"), &f) && hits(&q("-size 2k"), &f) && !hits(&q("-size +1k"), &entry("y", 'f', 1024))
        );
        let query = q("-maxdepth 2 -mindepth 1 -type f");
        assert_eq!((query.max_depth, query.min_depth), (Some(2), 1));
        let mut c = entry("s", 'f', 0);
        let cq = q("-context *:secret_t*");
        assert!(cq.expr.uses_context() && !hits(&cq, &c));
        c.context = Some("system_u:object_r:secret_t".into());
        assert!(hits(&cq, &c));
        assert!(q("-empty").expr.uses_empty());
    }

    #[test]
    fn errors() {
        let bad = |s: &str| parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>()).unwrap_err();
        assert_eq!(bad("-bogus"), "unknown predicate `-bogus'");
        assert_eq!(bad("-name"), "missing argument to `-name'");
        assert_eq!(bad("-type q"), "unknown argument to -type: q");
        assert_eq!(bad("( -type f"), "missing `)'");
        assert_eq!(bad("-size x"), "invalid argument `x' to `-size'");
        assert!(parse(&[]).is_ok());
    }
}
