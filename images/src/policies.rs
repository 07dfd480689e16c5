//! The binary policies packed into the boot-module archive.
//!
//! Every variant of `policy/modules` is compiled with the policy-compiler
//! library at build time and packed as boot module `policy.NAME`. init
//! uploads them all to the security server and loads the one the kernel
//! command line names (`policy=NAME`, default [`DEFAULT`]), so choosing a
//! policy is a runner option (`images run --policy mls`), not a rebuild.

use anyhow::{Result, bail};

use crate::workspace_root;

/// The policy loaded when the command line names none.
pub const DEFAULT: &str = "te";

/// Variants: (name, module directories under `policy/modules`).
pub const VARIANTS: &[(&str, &[&str])] = &[
    ("te", &["base", "assertions", "te"]),
    ("mls", &["base", "assertions", "mls"]),
    ("biba", &["base", "assertions", "biba"]),
    ("allow-all", &["base", "allow-all"]),
];

/// Boot module name of variant `name`.
pub fn module_name(name: &str) -> String {
    format!("policy.{name}")
}

/// Compiles variant `dirs` to a binary policy.
///
/// # Errors
/// Compile errors (as `file:line:col: message` lines) or I/O errors.
pub fn compile(name: &str, dirs: &[&str]) -> Result<Vec<u8>> {
    let root = workspace_root().join("policy/modules");
    let paths: Vec<_> = dirs.iter().map(|d| root.join(d)).collect();
    match policy_compiler::compile_files(&paths) {
        Ok(out) => Ok(rampart_policy::encode(&out.db).map_err(|e| anyhow::anyhow!("encoding {name}: {e}"))?),
        Err(Ok(diags)) => {
            let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
            bail!("policy {name} does not compile:\n{}", text.join("\n"))
        }
        Err(Err(e)) => bail!("reading policy {name}: {e}"),
    }
}

/// Every variant as `(boot module name, bytes)`.
///
/// # Errors
/// As [`compile`].
pub fn compile_all() -> Result<Vec<(String, Vec<u8>)>> {
    VARIANTS.iter().map(|(n, dirs)| Ok((module_name(n), compile(n, dirs)?))).collect()
}

/// Checks that `name` is a shipped variant.
///
/// # Errors
/// If it is not (the message lists the variants).
pub fn check_name(name: &str) -> Result<()> {
    if VARIANTS.iter().any(|(n, _)| *n == name) {
        return Ok(());
    }
    let names: Vec<&str> = VARIANTS.iter().map(|(n, _)| *n).collect();
    bail!("unknown policy `{name}` (shipped: {})", names.join(", "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_variant_compiles_and_loads() {
        for (name, bytes) in super::compile_all().unwrap() {
            let p = rampart_policy::Policy::load(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(name.ends_with(p.model_name()), "{name} is model {}", p.model_name());
        }
        assert!(super::check_name("mls").is_ok());
        assert!(super::check_name("nope").is_err());
    }
}
