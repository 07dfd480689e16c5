//! URL paths to file paths, and content types.

use alloc::string::String;
use alloc::vec::Vec;

/// Longest request target in bytes (`414` beyond).
pub const MAX_TARGET: usize = 2048;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The file path under `docroot` for request target `target`, or the
/// status to answer: `400` (not an absolute path, bad percent-encoding,
/// NUL, not UTF-8, or a `..` segment — the path can never leave the
/// document root), `414` (too long). The query and fragment are ignored;
/// a path ending in `/` names its `index.html`.
///
/// # Errors
/// The status code.
pub fn resolve(target: &str, docroot: &str) -> Result<String, u16> {
    if target.len() > MAX_TARGET {
        return Err(414);
    }
    let raw = target.split(['?', '#']).next().unwrap_or("");
    if !raw.starts_with('/') {
        return Err(400);
    }
    let mut bytes = Vec::with_capacity(raw.len());
    let mut it = raw.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let (Some(h), Some(l)) = (it.next().and_then(hex), it.next().and_then(hex)) else { return Err(400) };
            bytes.push(h << 4 | l);
        } else {
            bytes.push(b);
        }
    }
    if bytes.contains(&0) {
        return Err(400);
    }
    let decoded = String::from_utf8(bytes).map_err(|_| 400u16)?;
    let mut out = String::from(docroot.trim_end_matches('/'));
    let mut last_is_dir = true;
    for seg in decoded.split('/') {
        last_is_dir = seg.is_empty() || seg == ".";
        match seg {
            "" | "." => {}
            ".." => return Err(400),
            s => {
                out.push('/');
                out.push_str(s);
            }
        }
    }
    if last_is_dir {
        out.push_str("/index.html");
    }
    Ok(out)
}

/// The `Content-Type` for a file name, by extension.
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = match name.rsplit_once('.') {
        Some((_, e)) => e,
        None => return "application/octet-stream",
    };
    const TYPES: [(&str, &str); 16] = [
        ("html", "text/html; charset=utf-8"),
        ("htm", "text/html; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"),
        ("css", "text/css; charset=utf-8"),
        ("js", "text/javascript; charset=utf-8"),
        ("json", "application/json"),
        ("xml", "application/xml"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("svg", "image/svg+xml"),
        ("ico", "image/x-icon"),
        ("pdf", "application/pdf"),
        ("wasm", "application/wasm"),
        ("gz", "application/gzip"),
    ];
    TYPES.iter().find(|(e, _)| e.eq_ignore_ascii_case(ext)).map_or("application/octet-stream", |(_, t)| t)
}
