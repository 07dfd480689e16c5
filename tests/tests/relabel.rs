//! Relabelling in the running system (issue 22): `chcon` and `restorecon`
//! as an ordinary user, through the file server's checks (ownership,
//! `relabelfrom`/`relabelto`, `validatetrans`).

use rampart_tests::{disk, run_batch};

#[test]
fn a_user_relabels_own_files_within_the_policy_and_restorecon_undoes_it() {
    let d = disk("relabel-user");
    let (out, code) = run_batch(
        &d,
        "cd /home/user\n\
         echo draft > draft\n\
         chcon -t tmp_t draft; echo chcon=$?\n\
         ls -Z draft\n\
         chcon -t secret_t draft; echo secret=$?\n\
         chcon root:object_r:tmp_t draft; echo user=$?\n\
         chcon -t tmp_t /etc/motd; echo motd=$?\n\
         restorecon -v draft; echo restore=$?\n\
         ls -Z draft\n\
         cat draft\n",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("chcon=0"), "{out}");
    assert!(out.contains("user_u:object_r:tmp_t"), "{out}");
    assert!(out.contains("secret=1") && out.contains("Permission denied"), "relabelto secret_t refused:\n{out}");
    assert!(out.contains("user=1"), "validatetrans keeps the object's user:\n{out}");
    assert!(out.contains("motd=1") && out.contains("Operation not permitted"), "not the owner:\n{out}");
    assert!(
        out.contains("Relabeled /home/user/draft from user_u:object_r:tmp_t to user_u:object_r:user_home_t"),
        "{out}"
    );
    assert!(out.contains("restore=0") && out.contains("draft\n"), "{out}");
}
