//! Kernel size and `unsafe` inventory (for docs/assurance.md).
//!
//! Counts, per Rust file of the kernel (`kernel/src`, `kernel/core/src`
//! without its host-only test modules, `kernel/elf/src`, `kernel/builtins/src`), the lines of
//! code (non-blank lines that are not comments) and the `unsafe` blocks,
//! functions and impls. Host-only test code is left out: `tests/`
//! directories, `testing.rs`, and inline `#[cfg(test)] mod NAME { ... }`
//! modules (found by counting braces outside comments, which is exact for
//! the kernel's sources: no unbalanced brace in a string or char literal).

use anyhow::Result;
use std::path::{Path, PathBuf};

/// Statistics of one source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStats {
    /// Path relative to the workspace root.
    pub path: String,
    /// Lines of code.
    pub code_lines: usize,
    /// `unsafe { ... }` blocks.
    pub unsafe_blocks: usize,
    /// `unsafe fn`, `unsafe impl`, `unsafe trait` and `unsafe extern` items.
    pub unsafe_items: usize,
}

/// Counts lines of code and `unsafe` uses in Rust source `text`.
pub fn count(text: &str) -> (usize, usize, usize) {
    let (mut code, mut blocks, mut items) = (0, 0, 0);
    let mut in_block_comment = false;
    // `#[cfg(test)]` seen on the previous code line; brace depth inside an
    // inline test module being skipped.
    let (mut cfg_test, mut skip_depth) = (false, 0i64);
    for line in text.lines() {
        let t = line.trim();
        if in_block_comment {
            if t.contains("*/") {
                in_block_comment = false;
            }
            continue;
        }
        if t.starts_with("/*") && !t.contains("*/") {
            in_block_comment = true;
            continue;
        }
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        let code_part = t.split("//").next().unwrap_or("");
        let braces = |s: &str| s.matches('{').count() as i64 - s.matches('}').count() as i64;
        if skip_depth > 0 {
            skip_depth += braces(code_part);
            continue;
        }
        if cfg_test && (t.starts_with("mod ") || t.starts_with("pub mod ")) && t.ends_with('{') {
            // The attribute line was counted; the module is not.
            code -= 1;
            skip_depth = braces(code_part);
            cfg_test = false;
            continue;
        }
        cfg_test = t == "#[cfg(test)]";
        code += 1;
        let mut rest = code_part;
        while let Some(i) = rest.find("unsafe") {
            let after = rest[i + 6..].trim_start();
            if after.starts_with('{') {
                blocks += 1;
            } else if ["fn", "impl", "trait", "extern"].iter().any(|k| after.starts_with(k)) {
                items += 1;
            }
            rest = &rest[i + 6..];
        }
    }
    (code, blocks, items)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "tests") {
                continue; // host-only test modules
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") && !p.ends_with("testing.rs") {
            out.push(p);
        }
    }
}

/// Statistics for every kernel source file.
///
/// # Errors
/// If a file cannot be read.
pub fn kernel_stats() -> Result<Vec<FileStats>> {
    let root = crate::workspace_root();
    let mut files = Vec::new();
    for d in ["kernel/src", "kernel/core/src", "kernel/elf/src", "kernel/builtins/src"] {
        rust_files(&root.join(d), &mut files);
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        let (code_lines, unsafe_blocks, unsafe_items) = count(&text);
        let path = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        out.push(FileStats { path, code_lines, unsafe_blocks, unsafe_items });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_code_and_unsafe() {
        let src = "// comment\n\nfn a() {\n    // SAFETY: x\n    unsafe { b() }\n}\n/* block\n unsafe { no }\n*/\nunsafe fn c() {}\nunsafe impl Sync for X {}\nlet s = \"unsafe\"; // unsafe { in comment }\n";
        let (code, blocks, items) = count(src);
        assert_eq!(code, 6);
        assert_eq!(blocks, 1);
        assert_eq!(items, 2);
    }

    #[test]
    fn inline_test_modules_are_not_kernel_code() {
        let src = "fn a() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        unsafe { x() }\n        let _ = format!(\"{}\", 1);\n    }\n}\nfn b() { unsafe { y() } }\n#[cfg(test)]\nmod tests2;\n";
        let (code, blocks, items) = count(src);
        // a, b, and the out-of-line module declaration with its attribute.
        assert_eq!((code, blocks, items), (4, 1, 0));
    }
}
