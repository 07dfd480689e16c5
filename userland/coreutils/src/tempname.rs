//! `mktemp`'s names: a template's trailing `X`s replaced by random letters
//! and digits (GNU coreutils' `mktemp`, POSIX `mkstemp`).

use alloc::string::String;

/// The characters a replaced `X` becomes (62 of them, as GNU's).
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The fewest trailing `X`s a template may have (GNU's minimum).
pub const MIN_XS: usize = 3;

/// Why a template cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// Fewer than [`MIN_XS`] `X`s at the end.
    TooFewXs,
    /// A directory separator in a template that must be a plain name
    /// (`-t`, `-p DIR`, `--tmpdir`).
    HasSlash,
}

/// The number of trailing `X`s of `template`.
pub fn trailing_xs(template: &str) -> usize {
    template.bytes().rev().take_while(|&b| b == b'X').count()
}

/// Checks `template`; `plain` if it must not contain `/`.
///
/// # Errors
/// [`TemplateError`].
pub fn check(template: &str, plain: bool) -> Result<(), TemplateError> {
    if plain && template.contains('/') {
        return Err(TemplateError::HasSlash);
    }
    if trailing_xs(template) < MIN_XS {
        return Err(TemplateError::TooFewXs);
    }
    Ok(())
}

/// `template` with its trailing `X`s replaced, one per byte of `random`
/// (reduced modulo 62; `random` must have at least as many bytes as there
/// are `X`s, else the remaining ones stay `X`).
pub fn fill(template: &str, random: &[u8]) -> String {
    let n = trailing_xs(template);
    let keep = template.len() - n;
    let mut out = String::from(&template[..keep]);
    for i in 0..n {
        out.push(random.get(i).map_or('X', |&b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()])));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn trailing_xs_only_are_replaced() {
        assert_eq!(trailing_xs("tmp.XXXXXXXXXX"), 10);
        assert_eq!(trailing_xs("aXbXXX"), 3);
        assert_eq!(fill("aXb.XXXX", &[0, 1, 61, 62]), "aXb.AB9A");
    }

    #[test]
    fn every_character_reachable_and_short_random_leaves_xs() {
        let all: Vec<u8> = (0..=255).collect();
        let s = fill(&"X".repeat(256), &all);
        assert_eq!(s.len(), 256);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        let mut seen: Vec<u8> = s.bytes().collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 62);
        assert_eq!(fill("pXXX", &[1]), "pBXX");
    }

    #[test]
    fn templates_checked_as_gnu_does() {
        assert_eq!(check("tmp.XX", false), Err(TemplateError::TooFewXs));
        assert_eq!(check("d/tmp.XXX", true), Err(TemplateError::HasSlash));
        assert_eq!(check("d/tmp.XXX", false), Ok(()));
        assert_eq!(check("XXX", true), Ok(()));
    }
}
