//! Diagnostics: exact positions, several errors per run, no panics on
//! arbitrary input.

mod common;

use common::errors;
use proptest::prelude::*;

const HEAD: &str = "model te;\nclass file { read write }\ntype a_t;\n";

#[test]
fn syntax_errors_have_exact_positions_and_recover() {
    let e = errors(&format!("{HEAD}allow a_t a_t file read;\nallow a_t a_t : file read\ntype b_t;\n"));
    assert_eq!(e, ["t.pol:4:15: error: expected `:`, found `file`", "t.pol:6:1: error: expected `;`, found `type`",]);
}

#[test]
fn unknown_names_suggest_fixes() {
    let e = errors(&format!("{HEAD}allow a_tt a_t : file {{ read wrte }};\nalow a_t a_t : file read;\n"));
    assert_eq!(
        e,
        [
            "t.pol:5:1: error: unknown statement `alow` (did you mean `allow`?)",
            "t.pol:4:7: error: unknown type or attribute `a_tt` (did you mean `a_t`?)",
            "t.pol:4:30: error: unknown permission of class `file` `wrte` (did you mean `write`?)",
        ]
    );
}

#[test]
fn semantic_errors() {
    let src = format!(
        "{HEAD}type a_t;\nattribute at;\ntype b_t, at;\n\
         type_transition a_t b_t : file a_t;\ntype_transition a_t at : file b_t;\n\
         filecon \"/x(\" u:r:a_t;\nportcon tcp 70000 u:r:a_t;\nbool f maybe;\n\
         if (g) {{ allow a_t b_t : file read; }}\nrole r types a_t;\nuser u roles r;\n\
         sid k u:r:b_t;\nneverallow a_t self : file read;\nif (f2) {{ type c_t; }}\n"
    );
    let e = errors(&src);
    let want = [
        "t.pol:11:8: error: expected `true` or `false`, found `maybe`",
        "t.pol:4:6: error: duplicate type or attribute `a_t` (first declared at line 3:6)",
        "t.pol:8:1: error: conflicting type_transition for a_t b_t : file: `b_t` here, `a_t` at line 7",
        "t.pol:9:9: error: bad path pattern: file-context pattern `/x(`:",
        "t.pol:10:1: error: bad port range 70000-70000 (ports are 0-65535, low <= high)",
        "t.pol:12:5: error: unknown boolean `g`",
        "t.pol:17:5: error: unknown boolean `f2`",
        "t.pol:17:11: error: only allow, auditallow and dontaudit rules may appear inside `if`",
    ];
    assert_eq!(e.len(), want.len(), "{e:#?}");
    for (got, want) in e.iter().zip(want) {
        assert!(got.starts_with(want), "got {got}\nwant {want}");
    }
}

#[test]
fn invalid_contexts_are_reported_where_written() {
    let e = errors(&format!(
        "{HEAD}type b_t;\nrole r types a_t;\nuser u roles r;\nsid k u:r:b_t;\nfilecon \"/x\" u:r:a_t;\n"
    ));
    assert_eq!(e, ["t.pol:7:7: error: invalid security context: role r is not authorised for type b_t"]);
}

#[test]
fn bad_service_names() {
    let e = errors(&format!(
        "{HEAD}role r types a_t;\nuser u roles r;\nservicecon \"a*b\" u:r:a_t;\nservicecon \"\" u:r:a_t;\n\
         servicecon \"ok\" u:r:b_t;\nservicecon fs u:r:a_t;\nservicecon \"x y\" u:r:a_t;\n"
    ));
    let want = [
        "t.pol:9:12: error: expected a quoted service name, found `fs`",
        "t.pol:6:12: error: bad service name `a*b`",
        "t.pol:7:12: error: bad service name ``",
        "t.pol:8:21: error: unknown type or attribute `b_t`",
        "t.pol:10:12: error: bad service name `x y`",
    ];
    assert_eq!(e.len(), want.len(), "{e:#?}");
    for (got, want) in e.iter().zip(want) {
        assert!(got.starts_with(want), "got {got}\nwant {want}");
    }
}

#[test]
fn model_errors() {
    assert_eq!(
        errors("class file { read }"),
        ["t.pol:1:1: error: no `model` statement in t.pol (add e.g. `model te;`)"]
    );
    assert_eq!(
        errors("model tee;"),
        ["t.pol:1:7: error: unknown model `tee` (did you mean `te`?); known models: allow-all, te, mls, biba"]
    );
    assert_eq!(
        errors("model mls;"),
        ["t.pol:1:7: error: model `mls` needs sensitivities (declare `sensitivity` and `dominance`)"]
    );
}

#[test]
fn mls_errors() {
    let e = errors(
        "model mls;\nsensitivity s0;\nsensitivity s1;\ndominance { s0 }\ncategory c0;\n\
         class file { read }\ntype a_t;\nrole r types a_t;\nuser u roles r level s0:c1;\n\
         constrain file read (l1 dom l2);\nmlsconstrain file read (t1 dom t2);\n",
    );
    assert_eq!(
        e,
        [
            "t.pol:3:13: error: sensitivity `s1` is missing from `dominance`",
            "t.pol:9:25: error: unknown category `c1` (did you mean `c0`?)",
            "t.pol:10:22: error: level comparisons are only allowed in `mlsconstrain`",
            "t.pol:11:28: error: `dom` compares levels; use `==` or `!=` for t1",
        ]
    );
}

#[test]
fn lexer_errors_are_positioned() {
    let e = errors(&format!("{HEAD}allow a_t a_t : file read; $\nfilecon \"/x u:r:a_t;\n"));
    assert_eq!(e[0], "t.pol:4:28: error: unexpected character `$`");
    assert_eq!(e[1], "t.pol:5:9: error: unterminated string");
}

#[test]
fn errors_carry_the_right_file_in_multi_file_policies() {
    let a = policy_compiler::Source::new("a.pol", "model te;\nclass file { read }\ntype a_t;\n");
    let b = policy_compiler::Source::new("b.pol", "\n  allow a_t b_t : file read;\n");
    let e: Vec<String> = policy_compiler::compile(&[a, b]).unwrap_err().iter().map(|d| d.to_string()).collect();
    assert_eq!(e, ["b.pol:2:13: error: unknown type or attribute `b_t` (did you mean `a_t`?)"]);
}

const WORDS: &[&str] = &[
    "model",
    "te",
    "mls",
    "class",
    "common",
    "file",
    "{",
    "}",
    "(",
    ")",
    ";",
    ":",
    ",",
    "~",
    "*",
    "-",
    ".",
    "->",
    "allow",
    "neverallow",
    "type",
    "attribute",
    "a_t",
    "self",
    "read",
    "if",
    "else",
    "bool",
    "true",
    "role",
    "user",
    "r",
    "u",
    "sensitivity",
    "s0",
    "category",
    "c0",
    "dominance",
    "mlsconstrain",
    "l1",
    "dom",
    "h2",
    "t1",
    "==",
    "and",
    "not",
    "filecon",
    "\"/x(/.*)?\"",
    "portcon",
    "servicecon",
    "\"svc.*\"",
    "tcp",
    "80",
    "sid",
    "assert",
    "noflow",
    "except",
    "type_transition",
    "permflow",
    "write",
    "10",
    "<<none>>",
    "\"",
];

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(300)))]

    /// Token soup never panics the compiler, and every diagnostic has a
    /// real position.
    #[test]
    fn arbitrary_token_soup_never_panics(idx in proptest::collection::vec(0..WORDS.len(), 0..80)) {
        let src: Vec<&str> = idx.iter().map(|i| WORDS[*i]).collect();
        let text = src.join(" ");
        if let Err(diags) = policy_compiler::compile(&[policy_compiler::Source::new("p.pol", text)]) {
            for d in diags {
                prop_assert!(d.span.line >= 1 && d.span.col >= 1);
            }
        }
    }

    /// Arbitrary text (including non-ASCII) never panics the compiler.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = policy_compiler::compile(&[policy_compiler::Source::new("p.pol", text)]);
    }
}
