//! The builtins added for everyday use: `command`, `type`, `hash`,
//! `getopts`, `read` options, `trap`, `set -u`/`-f`/`-o`, `PS4`, `local`,
//! and login start files.

mod common;
use common::*;

fn out(src: &str) -> String {
    let (_, out, err) = run(src);
    assert_eq!(err, "", "stderr of {src:?}");
    out
}

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn command_v_and_big_v() {
    assert_eq!(out("f() { :; }; command -v ls cd if f"), "/bin/ls\ncd\nif\nf\n");
    let (st, o, e) = run("command -v nosuch; echo $?");
    assert_eq!((st, o.as_str(), e.as_str()), (0, "1\n", ""));
    assert_eq!(out("command -V ls cd"), "ls is /bin/ls\ncd is a shell builtin\n");
    let (_, o, e) = run("command -V nosuch; echo $?");
    assert_eq!((o.as_str(), e.as_str()), ("1\n", "sh: command: nosuch: not found\n"));
    // -p looks in the default PATH.
    assert_eq!(out("PATH=/nowhere; command -v cat; command -pv cat"), "/bin/cat\n");
}

#[test]
fn command_runs_builtins_and_programs_not_functions() {
    assert_eq!(out("ls() { echo func; }; ls /home; command ls /home"), "func\nuser\n");
    assert_eq!(out("echo() { :; }; command echo hi"), "hi\n");
    assert_eq!(out("command command echo twice"), "twice\n");
    assert_eq!(out("PATH=/nowhere; command -p cat /etc/motd"), "welcome\n");
    assert_eq!(out("command; echo $?"), "0\n");
    let (_, o, e) = run("command nosuch; echo $?");
    assert_eq!((o.as_str(), e.as_str()), ("127\n", "sh: nosuch: command not found\n"));
    let (_, o, e) = run("command -q ls; echo $?");
    assert_eq!(o, "2\n");
    assert!(e.starts_with("sh: command: -q: invalid option\n"), "{e}");
    // Assignments reach the program's environment.
    assert_eq!(out("V=1 command printenv V"), "1\n");
}

#[test]
fn type_options() {
    assert_eq!(out("f() { :; }; type -t f cd if ls"), "function\nbuiltin\nkeyword\nfile\n");
    assert_eq!(out("type -p ls cd"), "/bin/ls\n");
    assert_eq!(out("type -P echo; echo $?"), "1\n");
    let mut h = Harness::new();
    h.add_dir("/opt");
    h.add_file("/opt/ls", "", 0o755);
    h.run("PATH=/opt:/bin; ls() { :; }; type -a ls; type -P ls");
    assert_eq!(h.stdout(), "ls is a function\nls is /opt/ls\nls is /bin/ls\n/opt/ls\n");
    let (_, o, e) = run("type -t nosuch; echo $?");
    assert_eq!((o.as_str(), e.as_str()), ("1\n", ""));
}

#[test]
fn hash_remembers_programs() {
    assert_eq!(out("hash"), "hash: hash table empty\n");
    assert_eq!(out("status; status; cat </dev/null; hash"), "hits\tcommand\n   1\t/bin/cat\n   2\t/bin/status\n");
    assert_eq!(out("status; type status"), "status is hashed (/bin/status)\n");
    assert_eq!(out("status; hash -r; hash"), "hash: hash table empty\n");
    assert_eq!(out("status; PATH=/bin:/tmp; hash"), "hash: hash table empty\n");
    assert_eq!(out("hash cat; hash -t cat; hash"), "/bin/cat\nhits\tcommand\n   0\t/bin/cat\n");
    let (_, o, e) = run("hash nosuch; echo $?; hash -d cat; echo $?");
    assert_eq!(o, "1\n1\n");
    assert_eq!(e, "sh: hash: nosuch: not found\nsh: hash: cat: not found\n");
    // A remembered program that went away is looked up again.
    let mut h = Harness::new();
    h.add_dir("/opt");
    h.add_file("/opt/status", "", 0o755);
    h.run("PATH=/opt:/bin; hash status; hash -t status");
    h.world.borrow_mut().fs.remove("/opt/status");
    h.run("status 3; echo $?; hash -t status");
    assert_eq!(h.stdout(), "/opt/status\n3\n/bin/status\n");
}

#[test]
fn getopts_parses_options() {
    let script = "set -- -ab val -c -- rest
        while getopts ab:c o; do echo \"$o ${OPTARG-none}\"; done
        echo $o $OPTIND; shift $((OPTIND-1)); echo \"$@\"";
    assert_eq!(out(script), "a none\nb val\nc none\n? 5\nrest\n");
    assert_eq!(out("getopts o: opt -ofile; echo $opt $OPTARG $OPTIND"), "o file 2\n");
    assert_eq!(out("set -- x; getopts ab o; echo $? $o $OPTIND"), "1 ? 1\n");
    // Silent mode: `?` with OPTARG for unknown, `:` for a missing argument.
    assert_eq!(out("set -- -x -b; while getopts :ab: o; do echo \"$o $OPTARG\"; done"), "? x\n: b\n");
    // Messages name $0.
    let (_, o, e) = run("getopts ab o -x; echo $o; OPTIND=1; getopts b: o -b; echo $o ${OPTARG-unset}");
    assert_eq!(o, "?\n? unset\n");
    assert_eq!(e, "sh: illegal option -- x\nsh: option requires an argument -- b\n");
    // OPTIND=1 starts again; operands end the options.
    assert_eq!(out("set -- -a; getopts a o; OPTIND=1; getopts a o; echo $o $OPTIND"), "a 2\n");
    assert_eq!(out("set -- file -a; getopts a o; echo $? $OPTIND"), "1 1\n");
    let (st, _, e) = run("getopts");
    assert_eq!((st, e.as_str()), (2, "sh: getopts: usage: getopts optstring name [arg ...]\n"));
    assert_eq!(run("getopts a 1x").0, 2);
}

#[test]
fn getopts_in_a_function() {
    let script = "f() { local OPTIND=1 o; while getopts n: o; do echo \"n=$OPTARG\"; done; shift $((OPTIND-1)); \
                  echo \"rest=$*\"; }; f -n 5 a b; f -n7";
    assert_eq!(out(script), "n=5\nrest=a b\nn=7\nrest=\n");
}

#[test]
fn read_options() {
    assert_eq!(out("printf 'a b  c \\n' | { read x y; echo \"[$x][$y]\"; }"), "[a][b  c]\n");
    assert_eq!(out("echo 'a\\b c' | { read -r x; echo \"$x\"; }"), "a\\b c\n");
    assert_eq!(out("echo 'a\\ b c' | { read x y; echo \"[$x][$y]\"; }"), "[a b][c]\n");
    assert_eq!(out("echo 'a:b:c' | { IFS=: read x y; echo $x $y; }"), "a b:c\n");
    assert_eq!(out("echo 'a::b' | { IFS=: read x y z; echo \"[$x][$y][$z]\"; }"), "[a][][b]\n");
    assert_eq!(out("echo abcdef | { read -n 3 x; echo $? $x; }"), "0 abc\n");
    assert_eq!(out("printf 'a:b' | { read -d : x; echo $? $x; read y; echo $? $y; }"), "0 a\n1 b\n");
    assert_eq!(out("printf tail | { read x; echo $? $x; }"), "1 tail\n");
    assert_eq!(out("echo '  hi  ' | { read; echo \"[$REPLY]\"; }"), "[  hi  ]\n");
    // -p prompts only on a terminal.
    assert_eq!(out("echo v | { read -p 'name? ' x; echo $x; }"), "v\n");
    let mut h = Harness::new();
    h.world.borrow_mut().tty = true;
    h.world.borrow_mut().stdin.extend(b"typed\n");
    h.run("read -p 'name? ' x; echo $x");
    assert_eq!((h.stdout(), h.stderr()), ("typed\n".into(), "name? ".into()));
    let (_, o, e) = run("read -z x; echo $?");
    assert_eq!(o, "2\n");
    assert!(e.starts_with("sh: read: -z: invalid option\n"), "{e}");
}

/// Run `sh -c SCRIPT` as a program (so the EXIT trap runs at its end).
fn sh_c(script: &str) -> (i32, String, String) {
    let mut h = Harness::new();
    let st = h.sh.main(&args(&["sh", "-c", script]));
    (st, h.stdout(), h.stderr())
}

#[test]
fn exit_trap() {
    assert_eq!(sh_c("trap 'echo bye' EXIT; echo hi"), (0, "hi\nbye\n".into(), "".into()));
    assert_eq!(sh_c("trap 'echo bye $?' 0; exit 3"), (3, "bye 3\n".into(), "".into()));
    assert_eq!(sh_c("trap 'exit 7' EXIT; true").0, 7);
    assert_eq!(sh_c("set -e; trap 'echo status $?' EXIT; false; echo no"), (1, "status 1\n".into(), "".into()));
    assert_eq!(sh_c("f() { trap 'echo in trap' EXIT; exit 4; }; f").1, "in trap\n");
    assert_eq!(sh_c("trap 'echo once' EXIT; trap - EXIT; echo x").1, "x\n");
    assert_eq!(sh_c("trap 'echo once' EXIT; trap 0; echo x").1, "x\n");
    assert_eq!(sh_c("trap 'echo x' EXIT; set -u; echo $nope").1, "x\n");
    // Subshells run their own EXIT trap; the parent's is not inherited.
    assert_eq!(sh_c("trap 'echo outer' EXIT; (trap 'echo sub' EXIT; echo in); echo out").1, "in\nsub\nout\nouter\n");
    assert_eq!(sh_c("x=$(trap 'echo captured' EXIT; echo v); echo \"$x\"").1, "v\ncaptured\n");
    assert_eq!(sh_c("trap 'echo outer' EXIT; (echo in)").1, "in\nouter\n");
}

#[test]
fn trap_listing_and_errors() {
    let src = "trap 'echo x' EXIT INT; trap '' TERM; trap \"it's\" HUP; trap";
    assert_eq!(out(src), "trap -- 'echo x' EXIT\ntrap -- 'it'\\''s' HUP\ntrap -- 'echo x' INT\ntrap -- '' TERM\n");
    assert_eq!(out("trap 'echo x' SIGINT; trap -p int; trap - 2; trap -p INT"), "trap -- 'echo x' INT\n");
    // A subshell lists the parent's traps until it changes one.
    assert_eq!(
        out("trap 'echo x' USR1; echo \"$(trap)\"; (trap '' HUP; trap)"),
        "trap -- 'echo x' USR1\ntrap -- '' HUP\n"
    );
    let (_, o, e) = run("trap 'echo' FOO INT; echo $?; trap -p INT");
    assert_eq!(o, "1\ntrap -- 'echo' INT\n");
    assert_eq!(e, "sh: trap: FOO: invalid signal specification\n");
    assert!(out("trap -l").starts_with(" 1) SIGHUP\t 2) SIGINT\t"));
    assert_eq!(run("trap -x").0, 2);
}

#[test]
fn err_and_int_traps() {
    assert_eq!(
        out("trap 'echo err $?' ERR; false; true; if false; then :; fi; false || true; echo done"),
        "err 1\ndone\n"
    );
    assert_eq!(out("trap 'echo err' ERR; ! true; status 3 | true; echo $?"), "0\n");
    assert_eq!(out("trap 'echo err $?' ERR; f() { false; echo in f; false; }; f; echo $?"), "in f\nerr 1\n1\n");
    let mut h = Harness::new();
    h.add_file("/bin/intr", "", 0o755);
    h.world.borrow_mut().programs.insert("/bin/intr".into(), std::rc::Rc::new(|_: &mut Ctx| -2));
    h.run("trap 'echo caught $?' INT; intr; echo after $?");
    assert_eq!(h.stdout(), "caught 130\nafter 130\n");
    // Ignored: no action runs.
    h.run("trap '' INT; intr; echo $?");
    assert!(h.stdout().ends_with("after 130\n130\n"), "{}", h.stdout());
}

#[test]
fn nounset_noglob_and_options() {
    let (st, o, e) = run("set -u; echo ${x-ok} ${x:+alt}; echo $x; echo after");
    assert_eq!((st, o.as_str(), e.as_str()), (1, "ok\n", "sh: x: parameter not set\n"));
    let (st, _, e) = run("set -u; echo $((y + 1))");
    assert_eq!((st, e.as_str()), (1, "sh: y: parameter not set\n"));
    let (st, _, e) = run("set -u; echo $1");
    assert_eq!((st, e.as_str()), (1, "sh: 1: parameter not set\n"));
    assert_eq!(out("set -u; set --; echo \"$@\" $# ${x-0}; x=1; echo $x"), "0 0\n1\n");
    let (_, o, e) = run("set -o nounset; (echo $x); echo $?; set +u; echo \"[$x]\"");
    assert_eq!((o.as_str(), e.as_str()), ("1\n[]\n", "sh: x: parameter not set\n"));
    assert_eq!(out("set -f; echo /*; set +f; echo /e*"), "/*\n/etc\n");
    assert_eq!(out("set -eu; echo $-; set +e -o xtrace +x; echo $-"), "eu\nu\n");
    assert_eq!(
        out("false | true; echo $?; set -o pipefail; false | true; echo $?; status 3 | status 4 | true; echo $?"),
        "0\n1\n4\n"
    );
    assert_eq!(out("set -o pipefail; echo x | grep -c x; echo $?"), "1\n0\n");
    assert_eq!(
        out("set -o pipefail -u; set -o"),
        "errexit        \toff\nmonitor        \toff\nnoglob         \toff\nnounset        \ton\npipefail       \ton\n\
         xtrace         \toff\n"
    );
    assert_eq!(
        out("set -e; set +o"),
        "set -o errexit\nset +o monitor\nset +o noglob\nset +o nounset\nset +o pipefail\nset +o xtrace\n"
    );
    let (st, _, e) = run("set -o bogus");
    assert_eq!((st, e.as_str()), (2, "sh: set: bogus: invalid option name\n"));
    assert_eq!(out("set - a b; echo $#"), "2\n");
    // On the command line too.
    let mut h = Harness::new();
    assert_eq!(h.sh.main(&args(&["sh", "-o", "pipefail", "-u", "-c", "echo $-; false | true"])), 1);
    assert_eq!(h.stdout(), "u\n");
}

#[test]
fn xtrace_uses_ps4() {
    let (_, o, e) = run("PS4='> '; set -x; echo a; set +x");
    assert_eq!((o.as_str(), e.as_str()), ("a\n", "> echo a\n> set +x\n"));
    let (_, _, e) = run("n=1; PS4='[$n] '; set -x; n=2; echo b");
    assert_eq!(e, "[1] n=2\n[2] echo b\n");
}

#[test]
fn local_variables() {
    let src =
        "x=g; f() { local x=l y; echo $x ${y-unset}; x=changed; g; }; g() { echo g sees $x; }; f; echo $x ${y-unset}";
    assert_eq!(out(src), "l unset\ng sees changed\ng unset\n");
    assert_eq!(out("f() { local a=1; g; echo $a; }; g() { local a=2; }; f; echo ${a-unset}"), "1\nunset\n");
    assert_eq!(out("f() { local n=$1; [ $n -gt 0 ] && f $((n-1)); echo $n; }; f 2"), "0\n1\n2\n");
    let (st, o, e) = run("local x=1; echo $? ${x-unset}");
    assert_eq!((st, o.as_str(), e.as_str()), (0, "1 unset\n", "sh: local: can only be used in a function\n"));
    let (_, _, e) = run("f() { local 1a; }; f");
    assert_eq!(e, "sh: local: '1a': not a valid identifier\n");
}

#[test]
fn login_shell_reads_profiles() {
    let mut h = Harness::new();
    h.add_file("/etc/profile", "P=etc; Q=etc\n", 0o644);
    h.add_file("/home/user/.profile", "Q=home\n", 0o644);
    assert_eq!(h.sh.main(&args(&["sh", "-l", "-c", "echo $P $Q"])), 0);
    assert_eq!(h.stdout(), "etc home\n");
    // argv[0] starting with `-` is a login shell too; missing files are fine.
    let mut h = Harness::new();
    h.add_file("/etc/profile", "echo from profile\n", 0o644);
    h.sh.main(&args(&["-sh", "-c", "echo cmd"]));
    assert_eq!((h.stdout(), h.stderr()), ("from profile\ncmd\n".into(), "".into()));
    // Not a login shell: nothing is read.
    let mut h = Harness::new();
    h.add_file("/etc/profile", "echo from profile\n", 0o644);
    h.sh.main(&args(&["sh", "-c", "echo cmd"]));
    assert_eq!(h.stdout(), "cmd\n");
    // An exit in a profile ends the shell (after the EXIT trap).
    let mut h = Harness::new();
    h.add_file("/etc/profile", "trap 'echo bye' EXIT; exit 4\n", 0o644);
    assert_eq!(h.sh.main(&args(&["sh", "-l", "-c", "echo never"])), 4);
    assert_eq!(h.stdout(), "bye\n");
}

#[test]
fn interactive_shell_reads_env() {
    let mut h = Harness::new();
    h.add_file("/home/user/.shrc", "greet() { echo hello $1; }\n", 0o644);
    h.run("ENV='$HOME/.shrc'");
    h.world.borrow_mut().tty = true;
    h.world.borrow_mut().stdin.extend(b"greet you\r\x04");
    h.sh.main(&args(&["sh"]));
    assert_eq!(h.stdout(), "hello you\n");
}

/// Issue 21: on a full disk `echo a > f` printed nothing, returned 0 and
/// left `f` empty. A refused write is now the builtin's failure, with the
/// message, and the file holds exactly what was acknowledged.
#[test]
fn builtins_report_a_full_disk() {
    let mut h = Harness::new();
    h.world.borrow_mut().disk_free = Some(10);
    assert_eq!(h.run("echo 12345678 > /tmp/f; echo st=$?"), 0);
    assert_eq!((h.stdout().as_str(), h.stderr().as_str()), ("st=0\n", ""));
    h.clear();
    // One byte left: a short write, then ENOSPC.
    h.run("echo abc >> /tmp/f; echo st=$?");
    assert_eq!(h.stdout(), "st=1\n");
    assert_eq!(h.stderr(), "sh: echo: write error: No space left on device\n");
    assert_eq!(h.file("/tmp/f").as_deref(), Some("12345678\na"));
    h.clear();
    h.run("echo x > /tmp/g; echo st=$?; printf '%s\\n' y >> /tmp/f; echo st=$?");
    assert_eq!(h.stdout(), "st=1\nst=1\n");
    assert_eq!(
        h.stderr(),
        "sh: echo: write error: No space left on device\nsh: printf: write error: No space left on device\n"
    );
    assert_eq!(h.file("/tmp/g").as_deref(), Some(""));
    // A failing builtin in an `&&` list stops it, as a failed command does.
    h.clear();
    h.run("echo z > /tmp/h && echo written");
    assert_eq!(h.stdout(), "");
}
