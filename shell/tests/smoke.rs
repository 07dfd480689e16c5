mod common;
use common::*;

#[test]
fn smoke() {
    let (st, out, err) = run("echo hello world; cat /etc/motd | grep wel; echo $?");
    assert_eq!(err, "");
    assert_eq!(out, "hello world\nwelcome\n0\n");
    assert_eq!(st, 0);
}
