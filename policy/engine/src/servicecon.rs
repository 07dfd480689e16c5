//! Service-name contexts: connection-server service name -> context.
//!
//! A `servicecon` pattern is a name, or a prefix followed by `*` (`*` alone
//! matches every name). An exact name wins over every prefix; among
//! prefixes the longest wins. The context found is the target of the
//! `service register` check, so the policy says which domains may register
//! which names (and no server can squat another's).

use crate::db::{Context, ServiceCon};

/// Longest accepted service-name pattern, in bytes.
pub const MAX_SERVICE_PATTERN: usize = 255;

/// Whether `pattern` is well formed: 1 to [`MAX_SERVICE_PATTERN`] bytes of
/// printable ASCII without spaces, with `*` only as its last byte.
pub fn valid_pattern(pattern: &str) -> bool {
    let body = pattern.strip_suffix('*').unwrap_or(pattern);
    !pattern.is_empty()
        && pattern.len() <= MAX_SERVICE_PATTERN
        && pattern.bytes().all(|b| b.is_ascii_graphic())
        && !body.contains('*')
}

/// How well `pattern` matches `name`: `None` if it does not, else a rank
/// (higher is more specific).
fn rank(pattern: &str, name: &str) -> Option<usize> {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix).then_some(prefix.len()),
        None => (pattern == name).then_some(usize::MAX),
    }
}

/// Finds the context of service name `name`, if any rule covers it (the
/// most specific; among equals, the first declared).
pub fn lookup<'a>(rules: &'a [ServiceCon], name: &str) -> Option<&'a Context> {
    let mut best: Option<(usize, &Context)> = None;
    for r in rules {
        if let Some(k) = rank(&r.pattern, name)
            && best.is_none_or(|(b, _)| k > b)
        {
            best = Some((k, &r.context));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: &str, ty: u32) -> ServiceCon {
        ServiceCon { pattern: pattern.into(), context: Context { user: 0, role: 0, ty, range: None }, origin: None }
    }

    #[test]
    fn exact_beats_longest_prefix_beats_default() {
        let rules = [rule("*", 1), rule("fs", 2), rule("sectest.*", 3), rule("sec*", 4), rule("fs", 5)];
        let ty = |n: &str| lookup(&rules, n).map(|c| c.ty);
        assert_eq!(ty("fs"), Some(2), "exact, first declared");
        assert_eq!(ty("fs2"), Some(1));
        assert_eq!(ty("sectest.echo"), Some(3));
        assert_eq!(ty("security"), Some(4));
        assert_eq!(ty(""), Some(1));
        assert_eq!(lookup(&rules[1..2], "net"), None);
    }

    #[test]
    fn patterns() {
        for ok in ["*", "fs", "sectest.*", "a.b-c_d"] {
            assert!(valid_pattern(ok), "{ok}");
        }
        for bad in ["", "a*b", "**", "a b", "\u{e9}", &"x".repeat(256)] {
            assert!(!valid_pattern(bad), "{bad}");
        }
    }
}
