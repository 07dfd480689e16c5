//! `/dev` in the guest (issue 20, docs/storage.md §11): the file server's
//! device nodes used through the shell and coreutils by the ordinary user
//! (`user_t`) and the administrator (`sysadm_t`), and `/dev/null` at a
//! level other than system-low under the `mls` policy.

use rampart_tests::harness::in_order;
use rampart_tests::{disk, run_batch_with, session_config};

/// The commands every session runs; each prints a marker the test finds.
const SCRIPT: &str = "echo hi > /dev/null; echo st=$?\n\
    echo hi >> /dev/null; echo append-st=$?\n\
    cat /dev/null; echo cat-st=$?\n\
    ls -l /dev\n\
    ls -Z /dev/null /dev/urandom\n\
    stat -c '%n %F %t,%T %a' /dev/zero\n\
    head -c 8 /dev/zero | hexdump -C\n\
    head -c 16 /dev/urandom | wc -c\n\
    a=$(head -c 16 /dev/urandom | hexdump -C); b=$(head -c 16 /dev/urandom | hexdump -C)\n\
    test \"$a\" != \"$b\" && echo reads-differ\n\
    head -c 5 < /dev/zero | wc -c\n\
    /bin/echo x > /dev/full; echo full-st=$?\n\
    cat /etc/hostname > /dev/full; echo cat-full-st=$?\n\
    echo on-the-terminal > /dev/tty; echo tty-st=$?\n";

/// What both sessions print for [`SCRIPT`].
const COMMON: &[&str] = &[
    "st=0",
    "append-st=0",
    "cat-st=0",
    "crw------- 1 root root 5, 1 ",
    "console",
    "crw-rw-rw- 1 root root 1, 7 ",
    "full",
    "crw-rw-rw- 1 root root 1, 3 ",
    "null",
    "crw-rw-rw- 1 root root 1, 8 ",
    "random",
    "crw-rw-rw- 1 root root 5, 0 ",
    "tty",
    "crw-rw-rw- 1 root root 1, 9 ",
    "urandom",
    "crw-rw-rw- 1 root root 1, 5 ",
    "zero",
    "system_u:object_r:null_device_t /dev/null",
    "system_u:object_r:random_device_t /dev/urandom",
    "/dev/zero character special file 1,5 666",
    "00000000  00 00 00 00 00 00 00 00",
    "|........|",
    "00000008",
    "16",
    "reads-differ",
    "5",
    "echo: write error: No space left on device",
    "full-st=1",
    "cat: write error: No space left on device",
    "cat-full-st=1",
    "on-the-terminal",
    "tty-st=0",
];

#[test]
fn device_nodes_for_the_user_and_the_administrator() {
    let d = disk("devnodes");
    let (out, code) = run_batch_with(&session_config(&d, true), SCRIPT);
    assert_eq!(code, 0, "{out}");
    in_order(&out, COMMON);
    // The console is root's (0600): the user is refused by the mode bits.
    let (out, code) = run_batch_with(&session_config(&d, true), "cat /dev/console; echo st=$?\nid -Z\n");
    assert_eq!(code, 0, "{out}");
    in_order(&out, &["cat: /dev/console: Permission denied", "st=1", "user_u:user_r:user_t"]);

    let mut admin = session_config(&d, true);
    admin.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    let script = format!("{SCRIPT}echo to-console > /dev/console; echo console-st=$?\nid -Z\n");
    let (out, code) = run_batch_with(&admin, &script);
    assert_eq!(code, 0, "{out}");
    in_order(&out, COMMON);
    in_order(&out, &["to-console", "console-st=0", "root:sysadm_r:sysadm_t"]);
}

#[test]
fn null_at_a_higher_level_under_mls() {
    let d = rampart_tests::disk_for("devnodes-mls", "mls");
    let mut cfg = session_config(&d, true);
    cfg.cmdline.push_str(" policy=mls init.context=user_u:user_r:user_t:s1");
    let (out, code) = run_batch_with(
        &cfg,
        "id -Z\n\
         echo hi > /dev/null; echo st=$?\n\
         cat /dev/null; echo cat-st=$?\n\
         head -c 3 /dev/urandom | wc -c\n\
         echo down > /tmp/s1-file; echo tmp-st=$?\n",
    );
    assert_eq!(code, 0, "{out}");
    // /tmp is system-low: writing down is refused, /dev/null is not.
    in_order(&out, &["user_u:user_r:user_t:s1", "st=0", "cat-st=0", "3", "Permission denied", "tmp-st=1"]);
}
