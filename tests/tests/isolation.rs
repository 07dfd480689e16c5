//! Isolation between users (issue 19, item 2), in the guest: the file
//! server's discretionary checks (owners, modes, sticky `/tmp`, protected
//! symlinks) and the policy's user-identity constraints, end to end.
//!
//! 1. `users_keep_out_of_each_others_files`: three batch sessions on one
//!    disk. The administrator leaves a note in `/root`, a world-writable
//!    file and a link owned by another uid in `/tmp`; the user (uid 1000)
//!    then cannot read or write `/root`, replace, remove, rewrite or chmod
//!    the administrator's file, follow the other uid's link, or chown, but
//!    works in `/tmp` and in its home, and plants a link for the
//!    administrator; the administrator, last, is refused that link
//!    (protected symlinks hold for uid 0 too) and keeps every other power.
//! 2. `users_cannot_kill_other_users_processes`: a program runs as
//!    `root:user_r:user_t` (same type as the user's shell, another SELinux
//!    user); the user's `kill` is refused by rm's `process signal` check
//!    (the policy's constraint) and the program lives on, while the user's
//!    own jobs can still be killed.

use rampart_tests::harness::in_order;
use rampart_tests::{disk, run_batch, run_batch_with, session_config};

const ADMIN: &str = " init.context=root:sysadm_r:sysadm_t";

#[test]
fn users_keep_out_of_each_others_files() {
    let d = disk("isolation-files");
    let mut admin = session_config(&d, true);
    admin.cmdline.push_str(ADMIN);
    let (out, code) = run_batch_with(
        &admin,
        "echo admin-notes > /root/notes\n\
         echo shared > /tmp/admin.txt; chmod 666 /tmp/admin.txt\n\
         ln -s /etc/motd /tmp/other.link; chown -h 1001:1001 /tmp/other.link\n\
         mkdir /tmp/admindir\n\
         ls -ln /tmp\n",
    );
    assert_eq!(code, 0, "{out}");
    in_order(&out, &["-rw-rw-rw- 1 0    0 ", "admin.txt", "lrwxrwxrwx 1 1001 1001 ", "other.link -> /etc/motd"]);

    let (out, code) = run_batch(
        &d,
        "id\n\
         cat /root/notes; echo st=$?\n\
         ls /root; echo st=$?\n\
         echo planted > /root/planted; echo st=$?\n\
         echo mine > /tmp/mine.txt; ls -ln /tmp/mine.txt\n\
         mv /tmp/mine.txt /tmp/admin.txt; echo st=$?\n\
         rm /tmp/admin.txt; echo st=$?\n\
         echo rewritten > /tmp/admin.txt; echo st=$?\n\
         cat /tmp/admin.txt\n\
         cat /tmp/other.link; echo st=$?\n\
         chmod 777 /tmp/admin.txt; echo st=$?\n\
         chmod 777 /etc/motd; echo st=$?\n\
         chown user /tmp/admin.txt; echo st=$?\n\
         chown root /tmp/mine.txt; echo st=$?\n\
         ln -s /root/notes /tmp/trap\n\
         ln -s /home/user/hello.txt /tmp/mine.link; cat /tmp/mine.link\n\
         chmod 600 /tmp/mine.txt && chgrp user /tmp/mine.txt && echo own-ok\n",
    );
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            "uid=1000(user) gid=1000(user) groups=1000(user) context=user_u:user_r:user_t",
            "cat: /root/notes: Permission denied",
            "st=1",
            "ls: cannot access '/root': Permission denied",
            "st=2",
            "/root/planted: Permission denied",
            "st=1",
            "-rw-r--r-- 1 1000 1000 ",
            "mv: cannot move '/tmp/mine.txt' to '/tmp/admin.txt': Operation not permitted",
            "st=1",
            "rm: cannot remove '/tmp/admin.txt': Operation not permitted",
            "st=1",
            // Owners and modes allow this write (0666); the policy's
            // constraint does not (root's object).
            "/tmp/admin.txt: Permission denied",
            "st=1",
            "shared",
            "cat: /tmp/other.link: Permission denied",
            "st=1",
            "chmod: changing permissions of '/tmp/admin.txt': Operation not permitted",
            "st=1",
            "chmod: changing permissions of '/etc/motd': Operation not permitted",
            "st=1",
            "chown: changing ownership of '/tmp/admin.txt': Operation not permitted",
            "st=1",
            "chown: changing ownership of '/tmp/mine.txt': Operation not permitted",
            "st=1",
            "Hello from the ext4 root file system.",
            "own-ok",
        ],
    );

    // Users make directories and temporary files in /tmp, and cannot
    // remove or fill another user's.
    let (out, code) = run_batch(
        &d,
        "mkdir /tmp/t && echo in > /tmp/t/f && cat /tmp/t/f && rm -r /tmp/t && echo tdir-ok\n\
         f=$(mktemp) && ls -ln $f\n\
         d=$(mktemp -d) && ls -lnd $d && touch $d/x && rm -r $d && echo mktemp-ok\n\
         rmdir /tmp/admindir; echo st=$?\n\
         touch /tmp/admindir/x; echo st=$?\n",
    );
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            // Users make directories and temporary files in /tmp ...
            "in",
            "tdir-ok",
            "-rw------- 1 1000 1000 0 ",
            "/tmp/tmp.",
            "drwx------ 2 1000 1000 ",
            "/tmp/tmp.",
            "mktemp-ok",
            // ... and cannot remove or fill another user's.
            "rmdir: failed to remove '/tmp/admindir': Operation not permitted",
            "st=1",
            "touch: cannot touch '/tmp/admindir/x': Permission denied",
            "st=1",
        ],
    );

    let (out, code) = run_batch_with(
        &admin,
        "cat /tmp/trap; echo st=$?\n\
         echo pwned > /tmp/trap; echo st=$?\n\
         cat /root/notes\n\
         cat /home/user/hello.txt\n\
         rm /tmp/mine.txt && echo removed\n\
         chown root /home/user/hello.txt && ls -l /home/user/hello.txt\n",
    );
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            "cat: /tmp/trap: Permission denied",
            "st=1",
            "/tmp/trap: Permission denied",
            "st=1",
            "admin-notes",
            "Hello from the ext4 root file system.",
            "removed",
            "-rw-r--r-- 1 root user ",
        ],
    );
}

#[test]
fn users_cannot_kill_other_users_processes() {
    let d = disk("isolation-kill");
    let mut cfg = session_config(&d, true);
    cfg.cmdline.push_str(" init.secure=rmchild:spin@root:user_r:user_t");
    let (out, code) = run_batch_with(
        &cfg,
        "ps -eZ | grep rmchild\n\
         set -- $(ps -e | grep rmchild)\n\
         kill $1; echo st=$?\n\
         ps -e | grep -c rmchild\n\
         sleep 100 & kill $!; wait $!; echo own=$?\n",
    );
    assert_eq!(code, 0, "{out}");
    in_order(&out, &["root:user_r:user_t", "rmchild", "Operation not permitted", "st=1", "1", "own=143"]);
    assert!(
        out.contains("avc: denied { signal } for scontext=user_u:user_r:user_t tcontext=root:user_r:user_t"),
        "rm's denial names the policy's decision:\n{out}"
    );
}
