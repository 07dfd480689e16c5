//! The MLS journey (issue 19, item 7): `policy=mls` on the root disk the
//! image builder labelled for it (`/secret` is `s3:c0.c15`, `/etc/shadow`
//! `s2`, the rest system-low), the administrator (trusted, `sysadm_t`)
//! leaving an unclassified file, then an ordinary user's session at
//! *secret* (`s2`): it reads down, writes nothing below its level (files,
//! new files in system-low directories) and reads nothing above it, while
//! pipes and signals inside the session work. Pipes across levels are the
//! file server's host test `mls_pipes_follow_the_lattice`
//! (servers/fs/tests/mac.rs).

use rampart_tests::{disk_for, run_batch_with, session_config};

/// The `security.selinux` attribute of `path` on disk image `disk`.
fn host_label(disk: &std::path::Path, path: &str) -> String {
    let o = std::process::Command::new("debugfs")
        .args(["-R", &format!("ea_get {path} security.selinux")])
        .arg(disk)
        .output()
        .expect("debugfs");
    let out = String::from_utf8_lossy(&o.stdout);
    let v = out.split_once(" = \"").and_then(|(_, r)| r.split('"').next()).unwrap_or_default();
    v.trim_end_matches('\0').to_string()
}

/// Asserts every line of `want` appears in `out`, in order.
fn in_order(out: &str, want: &[&str]) {
    let mut rest = out;
    for w in want {
        let i = rest.find(w).unwrap_or_else(|| panic!("{w:?} missing (in order) from:\n{out}"));
        rest = &rest[i + w.len()..];
    }
}

#[test]
fn a_secret_session_reads_down_and_never_writes_down_or_reads_up() {
    let d = disk_for("mls-journey", "mls");
    // The image builder labelled this disk with the MLS policy's file
    // contexts (read on the host: `debugfs`).
    for (path, label) in [
        ("/secret", "system_u:object_r:secret_t:s3:c0.c15"),
        ("/secret/plans", "system_u:object_r:secret_t:s3:c0.c15"),
        ("/etc/shadow", "system_u:object_r:secret_t:s2"),
        ("/etc/motd", "system_u:object_r:etc_t:s0"),
        ("/tmp", "system_u:object_r:tmp_t:s0"),
    ] {
        assert_eq!(host_label(&d, path), label, "{path}");
    }
    let mut admin = session_config(&d, true);
    admin.cmdline.push_str(" policy=mls init.context=root:sysadm_r:sysadm_t");
    let (out, code) =
        run_batch_with(&admin, "echo unclassified > /tmp/u.txt; chmod 666 /tmp/u.txt; ls -Z /tmp/u.txt /etc/motd\n");
    assert_eq!(code, 0, "{out}");
    in_order(&out, &["system_u:object_r:etc_t:s0 /etc/motd", "root:object_r:tmp_t:s0 /tmp/u.txt"]);

    let mut user = session_config(&d, true);
    user.cmdline.push_str(" policy=mls init.context=user_u:user_r:user_t:s2");
    let (out, code) = run_batch_with(
        &user,
        "id -Z\n\
         cat /tmp/u.txt; echo read-down=$?\n\
         echo leak >> /tmp/u.txt; echo write-down=$?\n\
         echo leak > /tmp/new.txt; echo create-down=$?\n\
         cat /secret/plans; echo read-up=$?\n\
         echo piped | cat; echo pipe=$?\n\
         sleep 100 & kill $!; wait $!; echo signal=$?\n",
    );
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            "user_u:user_r:user_t:s2",
            "unclassified",
            "read-down=0",
            "/tmp/u.txt: Permission denied",
            "write-down=1",
            "/tmp/new.txt: Permission denied",
            "create-down=1",
            "cat: /secret/plans: Permission denied",
            "read-up=1",
            "piped",
            "pipe=0",
            "signal=143",
        ],
    );
}
