//! `polc why` (audit2why) and `polc allow` (audit2allow) over the shipped
//! policies: each kind of reason, audit records in, rules out, and every
//! proposed rule that a shipped neverallow forbids flagged.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const TE: [&str; 3] = ["modules/base", "modules/assertions", "modules/te"];
const MLS: [&str; 3] = ["modules/base", "modules/assertions", "modules/mls"];

fn polc(args: &[&str], stdin: &str) -> (String, Option<i32>) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let o: Output = c.wait_with_output().unwrap();
    (String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr), o.status.code())
}

fn why(policy: [&str; 3], scon: &str, tcon: &str, class: &str, perm: &str) -> (String, Option<i32>) {
    let mut a = vec!["why"];
    a.extend(policy);
    a.extend(["--scon", scon, "--tcon", tcon, "--class", class, "--perm", perm]);
    polc(&a, "")
}

#[test]
fn why_names_the_missing_rule_the_boolean_the_constraint_and_the_lattice() {
    let (o, st) = why(TE, "user_u:user_r:user_t", "system_u:object_r:secret_t", "file", "read");
    assert!(o.contains("read: no allow rule grants it; missing: allow user_t secret_t : file read;"), "{o}");
    assert_eq!(st, Some(0));
    // The boolean: with it off, user_t's connect to the network server.
    let (o, _) = polc(
        &[
            "why",
            TE[0],
            TE[1],
            TE[2],
            "--scon",
            "user_u:user_r:user_t",
            "--tcon",
            "system_u:system_r:net_t",
            "--class",
            "service",
            "--perm",
            "connect",
            "--bool",
            "allow_user_network=false",
        ],
        "",
    );
    assert!(
        o.contains("connect: allowed when `allow_user_network` is true (the conditional at modules/base/users.pol:"),
        "{o}"
    );
    // The user-identity constraint: root's file in /tmp.
    let (o, _) = why(TE, "user_u:user_r:user_t", "root:object_r:tmp_t", "file", "write");
    assert!(o.contains("write: a rule grants it, but the constrain at modules/base/ubac.pol:"), "{o}");
    // The MLS lattice, both directions.
    let (o, _) = why(MLS, "user_u:user_r:user_t:s0", "user_u:object_r:user_home_t:s2", "file", "read");
    assert!(
        o.contains(
            "the `mls` model refuses it: source s0, target s2, a read flow (reading needs the source to dominate"
        ),
        "{o}"
    );
    let (o, _) = why(MLS, "user_u:user_r:user_t:s2", "user_u:object_r:user_home_t:s0", "file", "write");
    assert!(o.contains("source s2, target s0, a write flow (writing needs the target to dominate"), "{o}");
    // Something allowed is not a denial: exit 1.
    let (o, st) = why(TE, "user_u:user_r:user_t", "system_u:object_r:etc_t", "file", "read");
    assert!(o.contains("read: allowed by the loaded policy"), "{o}");
    assert_eq!(st, Some(1));
    // Bad input: an error, exit 2.
    let (o, st) = why(TE, "user_u:user_r:nosuch_t", "system_u:object_r:etc_t", "file", "read");
    assert!(o.contains("cannot explain: scontext user_u:user_r:nosuch_t"), "{o}");
    assert_eq!(st, Some(1));
    let (_, st) = polc(&["why", TE[0], TE[1], TE[2], "--scon", "a"], "");
    assert_eq!(st, Some(2));
}

const AUDIT: &str = "\
sectest: audit: avc: denied { connect } for scontext=root:sysadm_r:sysadm_t tcontext=system_u:system_r:httpd_t tclass=service object=\"sectest.echo\" by=system_u:system_r:connsrv_t seqno=1
fs: avc: denied { read } for scontext=user_u:user_r:user_t tcontext=system_u:object_r:secret_t tclass=file
type=AVC msg=audit(12.5:7): avc:  denied  { getattr open } for pid=9 scontext=user_u:user_r:user_t tcontext=system_u:object_r:secret_t tclass=file
avc: granted { read } for scontext=user_u:user_r:user_t tcontext=system_u:object_r:etc_t tclass=file
a line that is not a record
";

#[test]
fn allow_merges_records_into_rules_and_flags_neverallows() {
    let (o, st) = polc(&["allow", TE[0], TE[1], TE[2]], AUDIT);
    assert!(o.contains("# sysadm_t\nallow sysadm_t httpd_t : service connect;\n"), "{o}");
    assert!(o.contains("# user_t\nallow user_t secret_t : file { getattr open read };\n#   !!! violates the neverallow at modules/assertions/goals.pol:"), "{o}");
    assert!(!o.contains("etc_t"), "granted records propose nothing: {o}");
    assert_eq!(st, Some(1), "a proposed rule violates a neverallow");
    // The same records through `why`, read from standard input.
    let (o, _) = polc(&["why", TE[0], TE[1], TE[2], "--audit", "-"], AUDIT);
    assert_eq!(o.matches("no allow rule grants it").count(), 4, "{o}");
    // No records: a usage error.
    let (_, st) = polc(&["allow", TE[0], TE[1], TE[2]], "nothing here\n");
    assert_eq!(st, Some(2));
}
