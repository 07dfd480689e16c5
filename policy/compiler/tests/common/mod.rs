//! Helpers shared by the compiler's integration tests.
#![allow(dead_code)]

use rampart_policy::{Policy, encode};

/// Compiles inline sources (panicking with the diagnostics on error),
/// encodes, and loads the binary into the engine.
pub fn load(src: &str) -> Policy {
    let out = match policy_compiler::compile(&[policy_compiler::Source::new("t.pol", src)]) {
        Ok(o) => o,
        Err(d) => panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")),
    };
    let bytes = encode(&out.db).unwrap();
    Policy::load(&bytes).unwrap()
}

/// Compiles inline sources and returns the diagnostics as strings.
pub fn errors(src: &str) -> Vec<String> {
    match policy_compiler::compile(&[policy_compiler::Source::new("t.pol", src)]) {
        Ok(o) => panic!("expected errors, compiled with warnings {:?}", o.warnings),
        Err(d) => d.iter().map(|d| d.to_string()).collect(),
    }
}
