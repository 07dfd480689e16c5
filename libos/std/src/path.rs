//! Paths: the file server takes absolute paths only, so the library joins
//! relative ones with the current directory and removes `.` and `..`
//! lexically (as the shell's `cd` does: `..` of `/` is `/`).

use alloc::string::String;
use alloc::vec::Vec;

/// `path` made absolute against `cwd` and normalised.
pub fn absolute(cwd: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let joined = if path.starts_with('/') { [path, ""] } else { [cwd, path] };
    for p in joined.iter().flat_map(|s| s.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = String::from("/");
    out.push_str(&parts.join("/"));
    out
}

/// The parent directory of an absolute normalised path (`/` for `/`).
pub fn parent(path: &str) -> &str {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of a path (empty for `/`).
pub fn file_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute("/home/user", "a/b"), "/home/user/a/b");
        assert_eq!(absolute("/home/user", "../x/./y/"), "/home/x/y");
        assert_eq!(absolute("/", "../../.."), "/");
        assert_eq!(absolute("/tmp", "/etc//motd"), "/etc/motd");
        assert_eq!(absolute("/tmp", ""), "/tmp");
    }

    #[test]
    fn parents_and_names() {
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
        assert_eq!(parent("/"), "/");
        assert_eq!(file_name("/a/b"), "b");
        assert_eq!(file_name("/"), "");
    }
}
