//! # semodule — policy modules of the running system
//!
//! SELinux's `semodule` installs a policy module into the running policy:
//! the module store keeps the base policy and every installed module, a
//! rebuild links them into one binary policy, and the result is loaded.
//! Rampart's guest `semodule` does the same with the policy *sources*:
//!
//! - the base policy is the source the root disk was built from, installed
//!   by the image builder under [`SRC_DIR`] (`/etc/policy/src/DIR/*.pol`,
//!   one directory per source directory: `base`, `assertions`, `te`...);
//! - installed modules are single source files in [`MODULE_DIR`]
//!   (`/etc/policy/modules/NAME.pol`);
//! - a rebuild ([`build`]) compiles base plus modules with the same
//!   compiler `polc` uses on the host (`policy-compiler`, `no_std`), runs
//!   the same `neverallow` check (`policy_analysis::check`), and encodes the
//!   binary policy; the program then writes it to `/etc/policy/policy.bin`
//!   and loads it with the security server's `PolicyPut`/`PolicyLoad`
//!   (`security load_policy`), as `load_policy` does.
//!
//! **Design principle: whole-policy checks, never a partial link.** A
//! module is not merged into the binary of the running policy: the
//! compiler's checks (declarations, `typebounds`, contexts, the model's
//! validation) and every `neverallow` hold for the policy as a whole, so
//! the whole policy is rebuilt from source each time. A module that fails
//! to compile or breaks a `neverallow` changes nothing: not the module
//! store, not `/etc/policy/policy.bin`, not the loaded policy.
//!
//! **Trust:** the program holds no authority of its own. Reading the
//! sources, writing the store and loading the result are decided by the
//! loaded policy on the caller's context (the shipped policies give them
//! to `sysadm_t` only); the security server validates whatever binary it
//! is handed, so a forged binary gains nothing a `load_policy` of it would
//! not.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use policy_compiler::Source;

/// Where the image builder installs the base policy's sources, one
/// subdirectory per source directory.
pub const SRC_DIR: &str = "/etc/policy/src";
/// The module store: one `NAME.pol` per installed module.
pub const MODULE_DIR: &str = "/etc/policy/modules";
/// The compiled policy a rebuild writes (what `load_policy` loads by
/// default).
pub const POLICY_FILE: &str = "/etc/policy/policy.bin";
/// The name the rebuilt policy gets in the security server's store.
pub const STORE_NAME: &str = "local";
/// Longest module name, in bytes.
pub const MAX_NAME: usize = 64;
/// Largest module source accepted, in bytes (the whole shipped policy is
/// about 40 KiB of source).
pub const MAX_MODULE_BYTES: usize = 256 * 1024;

/// Why a module was refused or a rebuild failed. Nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The module's name (its file name without `.pol`) is empty, longer
    /// than [`MAX_NAME`], or has characters other than ASCII letters,
    /// digits, `_` and `-`.
    BadName(String),
    /// The module is larger than [`MAX_MODULE_BYTES`] or not UTF-8.
    BadSource(String),
    /// The policy does not compile: the compiler's diagnostics
    /// (`file:line:col: error: message`).
    Compile(Vec<String>),
    /// The policy breaks `neverallow` rules: one report per violation.
    NeverAllow(Vec<String>),
    /// The policy's model declares no bound on what it grants, so its
    /// `neverallow`s cannot be checked; such a policy is not built.
    Unchecked(String),
    /// Encoding the binary policy failed (a limit of the format).
    Encode(String),
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Refusal::BadName(n) => {
                write!(f, "invalid module name `{n}` (1-{MAX_NAME} of A-Z a-z 0-9 _ -, from FILE.pol)")
            }
            Refusal::BadSource(m) => f.write_str(m),
            Refusal::Compile(d) => {
                write!(f, "the policy does not compile ({} problem(s)):", d.len())?;
                d.iter().try_for_each(|l| write!(f, "\n{l}"))
            }
            Refusal::NeverAllow(v) => {
                write!(f, "the policy breaks {} neverallow rule(s):", v.len())?;
                v.iter().try_for_each(|l| write!(f, "\n{l}"))
            }
            Refusal::Unchecked(m) => write!(f, "refusing the policy: its model cannot be checked: {m}"),
            Refusal::Encode(m) => write!(f, "cannot encode the policy: {m}"),
        }
    }
}

/// The module name of a source file path: its last component without the
/// `.pol` suffix (`/tmp/notes_fix.pol` → `notes_fix`).
///
/// # Errors
/// [`Refusal::BadName`] unless the name is 1 to [`MAX_NAME`] ASCII
/// letters, digits, `_` or `-` and the file ends in `.pol`.
pub fn module_name(path: &str) -> Result<String, Refusal> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let Some(stem) = file.strip_suffix(".pol") else {
        return Err(Refusal::BadName(file.to_string()));
    };
    valid_name(stem)?;
    Ok(stem.to_string())
}

/// Checks a module name given on its own (`semodule -r NAME`).
///
/// # Errors
/// [`Refusal::BadName`] as for [`module_name`].
pub fn valid_name(name: &str) -> Result<(), Refusal> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok { Ok(()) } else { Err(Refusal::BadName(name.to_string())) }
}

/// A module's source from its bytes, named `modules/NAME.pol` in
/// diagnostics.
///
/// # Errors
/// [`Refusal::BadSource`] if it is larger than [`MAX_MODULE_BYTES`] or not
/// UTF-8.
pub fn module_source(name: &str, bytes: &[u8]) -> Result<Source, Refusal> {
    if bytes.len() > MAX_MODULE_BYTES {
        return Err(Refusal::BadSource(format!("module {name}: {} bytes, more than {MAX_MODULE_BYTES}", bytes.len())));
    }
    let text =
        core::str::from_utf8(bytes).map_err(|e| Refusal::BadSource(format!("module {name}: not UTF-8 text ({e})")))?;
    Ok(Source::new(format!("modules/{name}.pol"), text))
}

/// What a successful rebuild produced.
#[derive(Clone, Debug)]
pub struct Built {
    /// The binary policy (`rampart_policy::encode`), bytes.
    pub binary: Vec<u8>,
    /// The compiler's warnings, as text.
    pub warnings: Vec<String>,
    /// How many `neverallow` rules were checked.
    pub neverallows: usize,
    /// The policy's model name (`te`, `mls`, ...).
    pub model: String,
}

/// Compiles `sources` (base and modules together), checks every
/// `neverallow` under every boolean setting and the model's declared
/// grants, and encodes the binary policy.
///
/// # Errors
/// [`Refusal::Compile`], [`Refusal::Unchecked`], [`Refusal::NeverAllow`] or
/// [`Refusal::Encode`]; the caller then changes nothing.
pub fn build(sources: &[Source]) -> Result<Built, Refusal> {
    let out =
        policy_compiler::compile(sources).map_err(|d| Refusal::Compile(d.iter().map(ToString::to_string).collect()))?;
    let db = out.db;
    let model = policy_analysis::ModelGrants::builtin(&db).map_err(|r| Refusal::Unchecked(r.to_string()))?;
    let v = policy_analysis::check(&db, &model);
    if !v.is_empty() {
        return Err(Refusal::NeverAllow(v.iter().map(|x| policy_analysis::check::report(&db, x)).collect()));
    }
    let binary = rampart_policy::encode(&db).map_err(|e| Refusal::Encode(e.to_string()))?;
    Ok(Built {
        binary,
        warnings: out.warnings.iter().map(ToString::to_string).collect(),
        neverallows: db.neverallows.len(),
        model: db.model.clone(),
    })
}
