//! Arguments, environment and working directory.

use crate::error::{Error, Result};
use crate::sys::with;
use alloc::string::String;
use alloc::vec::Vec;

/// The program's arguments (`argv[0]` first).
pub fn args() -> Vec<String> {
    rampart_rt::process::args().to_vec()
}

/// The environment as (name, value) pairs.
pub fn vars() -> Vec<(String, String)> {
    with(|st| st.env.clone())
}

/// The value of `key`.
pub fn var(key: &str) -> Option<String> {
    with(|st| st.var(key).map(String::from))
}

/// Sets `key` for this process and the children it starts.
pub fn set_var(key: &str, value: &str) {
    with(|st| {
        st.env.retain(|(k, _)| k != key);
        st.env.push((key.into(), value.into()));
    });
}

/// Removes `key`.
pub fn remove_var(key: &str) {
    with(|st| st.env.retain(|(k, _)| k != key));
}

/// The working directory (absolute).
pub fn current_dir() -> String {
    with(|st| st.cwd.clone())
}

/// Changes the working directory (it must be a directory we may search).
///
/// # Errors
/// `NotFound`, `NotADirectory`, `PermissionDenied`.
pub fn set_current_dir(path: &str) -> Result<()> {
    let p = with(|st| crate::path::absolute(&st.cwd, path));
    let m = crate::fs::metadata(&p)?;
    if !m.is_dir() {
        return Err(Error::from_errno(rampart_uabi::Errno::ENOTDIR));
    }
    with(|st| st.cwd = p);
    Ok(())
}

/// This process's security context (`user:role:type[:level]`).
pub fn security_context() -> String {
    rampart_rt::startup::body().map(|b| b.security_context.clone()).unwrap_or_default()
}
