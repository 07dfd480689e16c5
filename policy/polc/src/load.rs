//! Loading inputs: one binary policy, or sources compiled on the fly.

use std::path::{Path, PathBuf};

use rampart_policy::PolicyDb;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Policy errors (already printed).
    Policy,
    /// Usage or I/O problem (message to print).
    Usage(String),
    /// An analysis refused the policy because its model does not bound
    /// what it grants (message to print; exit 2, never "proved").
    Refused(String),
}

/// What the policy's model may grant beyond the rules, from the built-in
/// models' declarations; `command` names the refusing subcommand.
pub fn model_grants(db: &PolicyDb, command: &str) -> Result<policy_analysis::ModelGrants, Failure> {
    policy_analysis::ModelGrants::builtin(db)
        .map_err(|r| Failure::Refused(format!("{command}: refusing to analyse the policy: {r}")))
}

/// Loads a policy from inputs; prints compiler diagnostics to stderr.
pub fn load(inputs: &[PathBuf]) -> Result<PolicyDb, Failure> {
    if let [one] = inputs
        && one.is_file()
    {
        let bytes = std::fs::read(one).map_err(|e| Failure::Usage(format!("{}: {e}", one.display())))?;
        if rampart_policy::codec::is_binary_policy(&bytes) {
            return rampart_policy::decode(&bytes).map_err(|e| {
                eprintln!("{}: {e}", one.display());
                Failure::Policy
            });
        }
    }
    compile(inputs)
}

/// Compiles sources, printing warnings and errors.
pub fn compile(inputs: &[PathBuf]) -> Result<PolicyDb, Failure> {
    for p in inputs {
        if !p.exists() {
            return Err(Failure::Usage(format!("{}: no such file or directory", p.display())));
        }
    }
    match policy_compiler::compile_files(inputs) {
        Ok(out) => {
            for w in &out.warnings {
                eprintln!("{w}");
            }
            Ok(out.db)
        }
        Err(Ok(diags)) => {
            for d in &diags {
                eprintln!("{d}");
            }
            let n = diags.iter().filter(|d| d.severity == policy_compiler::Severity::Error).count();
            eprintln!("polc: {n} error{}", if n == 1 { "" } else { "s" });
            Err(Failure::Policy)
        }
        Err(Err(e)) => Err(Failure::Usage(e.to_string())),
    }
}

/// Reads a permission-map override file.
pub fn permmap(db: &PolicyDb, path: Option<&Path>) -> Result<Vec<policy_analysis::permmap::Override>, Failure> {
    let Some(p) = path else { return Ok(vec![]) };
    let text = std::fs::read_to_string(p).map_err(|e| Failure::Usage(format!("{}: {e}", p.display())))?;
    policy_analysis::permmap::parse(db, &text).map_err(|e| Failure::Usage(format!("{}: {e}", p.display())))
}
