//! The polc command line: outputs and exit codes (0 ok, 1 policy
//! problems, 2 usage or a model the analyses refuse).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn polc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polc")).args(args).current_dir(root()).output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("polc-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// How many obligations (neverallows and noflow assertions) `dirs` have.
fn obligations(dirs: &[&str]) -> usize {
    let v: Vec<PathBuf> = dirs.iter().map(|d| root().join(d)).collect();
    let db = policy_compiler::compile_files(&v).unwrap_or_else(|e| panic!("{e:?}")).db;
    db.neverallows.len() + db.assertions.len()
}

#[test]
fn shipped_policies_build_check_and_prove() {
    for (variant, dirs) in [
        ("te", vec!["modules/base", "modules/assertions", "modules/te"]),
        ("mls", vec!["modules/base", "modules/assertions", "modules/mls"]),
        ("biba", vec!["modules/base", "modules/assertions", "modules/biba"]),
        ("allow-all", vec!["modules/base", "modules/allow-all"]),
    ] {
        let out = tmp(&format!("{variant}.bin"));
        let mut args = vec!["build"];
        args.extend(&dirs);
        args.extend(["-o", s(&out)]);
        let o = polc(&args);
        let (so, se) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{variant}: {so}{se}");
        assert!(so.contains(&format!("model {variant}")), "{so}");
        assert!(se.is_empty(), "no warnings: {se}");
        let o = polc(&["check", s(&out)]);
        assert_eq!(o.status.code(), Some(0), "{variant}: {:?}", text(&o));
        let o = polc(&["prove", s(&out)]);
        let (so, _) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{variant}: {so}");
        // Every goal proved (none for allow-all, which ships without them).
        let n = obligations(&dirs);
        assert_eq!(so.lines().last(), Some(format!("{n} proved, 0 failed").as_str()), "{so}");
        assert_eq!(n == 0, variant == "allow-all");
    }
}

#[test]
fn allow_all_grants_everything_in_prove_flow_and_query() {
    // The goals cannot hold under a model that grants every permission:
    // each one is refuted, by the model.
    let dirs = ["modules/base", "modules/assertions", "modules/allow-all"];
    let o = polc(&["prove", dirs[0], dirs[1], dirs[2]]);
    let (so, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(so.lines().last(), Some(format!("0 proved, {} failed", obligations(&dirs)).as_str()), "{so}");
    assert!(so.contains("        by: model allow-all grants every permission\n"), "{so}");
    let o = polc(&["flow", dirs[0], dirs[2], "user_t", "secret_t"]);
    assert_eq!(
        text(&o).0,
        "shortest flow (1 step):\nuser_t -> secret_t\n    user_t -> secret_t: model allow-all grants every permission\n"
    );
    let o = polc(&["query", dirs[0], dirs[2], "-s", "user_t", "-c", "file"]);
    let (_, se) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(se.contains("note: model allow-all grants every permission whatever the rules say\n"), "{se}");
    // A model that follows its rules adds no note.
    let o = polc(&["query", dirs[0], "modules/te", "-s", "user_t", "-c", "file"]);
    assert!(!text(&o).1.contains("note:"), "{:?}", text(&o));
}

#[test]
fn analyses_refuse_a_model_they_cannot_bound() {
    // A binary policy naming a model this polc does not have (built by a
    // newer toolchain, say). Its rules alone satisfy `noflow c_t -> a_t`,
    // but what the model grants is unknown, so nothing may be proved.
    let mut db = policy_compiler::compile_files(&[root().join("tests/flow.pol")]).unwrap().db;
    db.model = "chinese-wall".into();
    let bin = tmp("chinese-wall.bin");
    std::fs::write(&bin, rampart_policy::encode(&db).unwrap()).unwrap();
    for args in [
        vec!["prove", s(&bin)],
        vec!["prove", s(&bin), "--only-cli", "--noflow", "c_t:a_t"],
        vec!["check", s(&bin)],
        vec!["flow", s(&bin), "c_t", "a_t"],
    ] {
        let o = polc(&args);
        let (so, se) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {so}{se}");
        assert!(so.is_empty(), "{args:?}: nothing proved or printed: {so}");
        assert!(
            se.starts_with(&format!(
                "polc: {}: refusing to analyse the policy: model `chinese-wall` is not one this analyser knows",
                args[0]
            )),
            "{se}"
        );
    }
    // A rule search still works, and says the rules may not be the whole story.
    let o = polc(&["query", s(&bin), "-s", "b_t"]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(so.lines().count(), 2, "{so}");
    assert!(se.contains("note: these are the rules only, and model `chinese-wall` is not one"), "{se}");
}

#[test]
fn neverallow_violations_exit_1() {
    let o = polc(&["check", "tests/bad-neverallow.pol"]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(so.contains("5 neverallow rules checked, 5 violations"), "{so}");
    assert!(
        se.contains("tests/bad-neverallow.pol:16:1: neverallow violated: neverallow a_t x_t : file write;"),
        "{se}"
    );
    // build refuses to write a policy that violates its neverallows
    let out = tmp("bad.bin");
    let o = polc(&["build", "tests/bad-neverallow.pol", "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    let o = polc(&["build", "--no-check", "tests/bad-neverallow.pol", "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn compile_errors_exit_1_with_positions() {
    let o = polc(&["build", "tests/bad-syntax.pol", "-o", s(&tmp("x.bin"))]);
    let (_, se) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<&str> = se.lines().collect();
    assert_eq!(
        lines,
        [
            "tests/bad-syntax.pol:4:1: error: expected `;`, found `type`",
            "tests/bad-syntax.pol:5:28: error: expected permission, found `,` (separate set items with spaces)",
            "tests/bad-syntax.pol:6:11: error: unknown type or attribute `c_t` (did you mean `a_t`?)",
            "tests/bad-syntax.pol:7:22: error: unknown class `fiel` (did you mean `file`?)",
            "polc: 4 errors",
        ]
    );
    let o = polc(&["check", "tests/bad-mls.pol"]);
    let (_, se) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(se.contains("bad-mls.pol:8:22: error: range high level does not dominate its low level"), "{se}");
    assert!(se.contains("bad-mls.pol:9:22: error: level comparisons are only allowed in `mlsconstrain`"), "{se}");
    assert!(se.contains("bad-mls.pol:10:20: error: unknown sensitivity `s2` (did you mean `s0`?)"), "{se}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(polc(&[]).status.code(), Some(2));
    assert_eq!(polc(&["build", "modules/te"]).status.code(), Some(2), "missing -o");
    assert_eq!(polc(&["check", "no/such/file.pol"]).status.code(), Some(2));
    assert_eq!(polc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(polc(&["prove", "tests/flow.pol", "--noflow", "a_t"]).status.code(), Some(2));
}

#[test]
fn query_flow_info_and_decide() {
    let o = polc(&["query", "tests/flow.pol", "-s", "b_t", "-c", "file"]);
    let (so, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(so.lines().count(), 2, "{so}");
    assert!(so.starts_with("allow b_t f_t : file read;  # tests/flow.pol:13:1"), "{so}");

    let o = polc(&["flow", "tests/flow.pol", "a_t", "c_t", "--min-weight", "5"]);
    let (so, _) = text(&o);
    assert!(so.starts_with("shortest flow (4 steps):\na_t -> f_t -> b_t -> g_t -> c_t\n"), "{so}");
    let o = polc(&["flow", "tests/flow.pol", "a_t", "c_t", "--all"]);
    assert!(text(&o).0.contains("path 2 (4 steps):"));

    let o = polc(&["prove", "tests/flow.pol", "--only-cli", "--noflow", "c_t:a_t", "--noflow", "a_t:g_t"]);
    let (so, _) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(so.contains("proved   noflow c_t -> a_t  (command line)"), "{so}");
    assert!(so.contains("FAILED   noflow a_t -> g_t  (command line)"), "{so}");
    assert!(so.trim_end().ends_with("1 proved, 1 failed"), "{so}");

    let o = polc(&["info", "modules/base", "modules/assertions", "modules/te"]);
    let (so, _) = text(&o);
    assert!(so.contains("model              te"), "{so}");
    assert!(so.contains("classes            19"), "{so}"); // 16 + shm, window, window_colour (modules/base/gui.pol)

    let o = polc(&[
        "decide",
        "modules/base",
        "modules/assertions",
        "modules/te",
        "--scon",
        "user_u:user_r:user_t",
        "--tcon",
        "system_u:object_r:secret_t",
        "--class",
        "file",
    ]);
    let (so, _) = text(&o);
    assert!(so.starts_with("allowed:    {  }\n"), "{so}");
    let o = polc(&[
        "decide",
        "modules/base",
        "modules/te",
        "modules/assertions",
        "--path",
        "/etc/shadow",
        "--port",
        "tcp/80",
    ]);
    assert_eq!(text(&o).0, "/etc/shadow: system_u:object_r:secret_t\ntcp/80: system_u:object_r:http_port_t\n");
}

/// The permissions `polc decide` prints as allowed for `scon` on `tcon`.
fn allowed(model: &str, scon: &str, tcon: &str, class: &str) -> Vec<String> {
    let dir = format!("modules/{model}");
    let args = ["decide", "modules/base", "modules/assertions", &dir, "--scon", scon, "--tcon", tcon, "--class", class];
    let (so, se) = text(&polc(&args));
    let line = so.lines().find_map(|l| l.strip_prefix("allowed:")).unwrap_or_else(|| panic!("{so}{se}"));
    line.trim().trim_start_matches('{').trim_end_matches('}').split_whitespace().map(String::from).collect()
}

/// User-based access control (`modules/base/ubac.pol`): in every shipped
/// model, a `user_t` process may not use another person's home at all, nor
/// modify or remove another user's files where the types would allow it
/// (`/tmp`), nor signal another user's processes; the system's shared
/// objects, its own objects, and trusted domains are unaffected.
#[test]
fn user_identity_constraints() {
    const USER: &str = "user_u:user_r:user_t";
    const ROOT_AS_USER: &str = "root:user_r:user_t";
    let has = |v: &[String], p: &str| v.iter().any(|x| x == p);
    for model in ["te", "mls", "biba"] {
        // Homes: the user's own, not root's; root in user_t not the user's.
        assert!(has(&allowed(model, USER, "user_u:object_r:user_home_t", "file"), "read"), "{model}");
        assert_eq!(allowed(model, USER, "root:object_r:user_home_t", "dir"), Vec::<String>::new(), "{model}");
        assert_eq!(allowed(model, ROOT_AS_USER, "user_u:object_r:user_home_t", "file"), Vec::<String>::new());
        // /tmp: root's file may be read, not changed or removed; the shared
        // directory itself is open; the administrator is trusted.
        let tmp = allowed(model, USER, "root:object_r:tmp_t", "file");
        assert!(has(&tmp, "read") && !has(&tmp, "write") && !has(&tmp, "unlink") && !has(&tmp, "rename"), "{tmp:?}");
        let own = allowed(model, USER, "user_u:object_r:tmp_t", "file");
        assert!(has(&own, "write") && has(&own, "unlink"), "{own:?}");
        // (Biba's integrity rule, not these constraints, keeps users from
        // writing system objects.)
        let dir = allowed(model, USER, "system_u:object_r:tmp_t", "dir");
        assert!(model == "biba" || has(&dir, "add_name") && has(&dir, "remove_name"), "{model}: {dir:?}");
        assert!(has(&allowed(model, "root:sysadm_r:sysadm_t", "user_u:object_r:user_home_t", "file"), "write"));
        // Signals: only one's own user's processes.
        assert!(has(&allowed(model, USER, USER, "process"), "signal"), "{model}");
        for other in [ROOT_AS_USER, "system_u:system_r:httpd_t"] {
            assert!(!has(&allowed(model, USER, other, "process"), "signal"), "{model}: {other}");
        }
        assert!(!has(&allowed(model, ROOT_AS_USER, USER, "process"), "signal"), "{model}");
        // The console holds no authority over processes: rm signals a
        // terminal's foreground group on its behalf (docs/signals.md).
        assert!(!has(&allowed(model, "system_u:system_r:console_t", USER, "process"), "signal"), "{model}");
        assert!(has(&allowed(model, "root:sysadm_r:sysadm_t", USER, "process"), "sigkill"), "{model}");
    }
}
