//! Running commands over the mock OS: statuses, pipelines, redirections,
//! errors, builtins, control flow, scripts.

mod common;
use common::*;

fn out(src: &str) -> String {
    let (_, out, err) = run(src);
    assert_eq!(err, "", "stderr of {src:?}");
    out
}

#[test]
fn status_through_and_or() {
    let table = [
        ("true && echo yes", "yes\n"),
        ("false && echo yes; echo $?", "1\n"),
        ("false || echo no", "no\n"),
        ("true || echo no; echo $?", "0\n"),
        ("status 3 || status 4; echo $?", "4\n"),
        ("status 3 && echo x || echo y $?", "y 3\n"),
        ("true && false || echo recovered", "recovered\n"),
        ("! true; echo $?", "1\n"),
        ("! status 5; echo $?", "0\n"),
        ("! true | false; echo $?", "0\n"),
        ("status 7; echo $?; echo $?", "7\n0\n"),
        ("false; true; echo $?", "0\n"),
        ("status 300; echo $?", "44\n"),
    ];
    for (src, want) in table {
        assert_eq!(out(src), want, "{src:?}");
    }
}

#[test]
fn run_source_returns_last_status() {
    for (src, st) in [("true", 0), ("false", 1), ("status 9", 9), ("false; true", 0), ("exit 4; echo no", 4)] {
        assert_eq!(run(src).0, st, "{src:?}");
    }
}

#[test]
fn pipelines_wire_descriptors() {
    let mut h = Harness::new();
    assert_eq!(h.run("cat /etc/motd | grep wel | wc"), 0);
    assert_eq!(h.stdout(), "1\n");
    let spawns = h.spawns();
    let fds: Vec<Vec<(u32, String)>> = spawns.iter().map(|s| s.fds.clone().into_iter().collect()).collect();
    let s = |v: &[(u32, &str)]| v.iter().map(|(k, d)| (*k, d.to_string())).collect::<Vec<_>>();
    assert_eq!(fds[0], s(&[(0, "tty:in"), (1, "pipe0:w"), (2, "tty:err")]));
    assert_eq!(fds[1], s(&[(0, "pipe0:r"), (1, "pipe1:w"), (2, "tty:err")]));
    assert_eq!(fds[2], s(&[(0, "pipe1:r"), (1, "tty:out"), (2, "tty:err")]));
    assert_eq!(spawns.iter().map(|s| s.path.as_str()).collect::<Vec<_>>(), ["/bin/cat", "/bin/grep", "/bin/wc"]);
    h.assert_no_leaks();
}

#[test]
fn pipeline_status_is_the_last_stage() {
    assert_eq!(out("status 3 | true; echo $?"), "0\n");
    assert_eq!(out("true | status 3; echo $?"), "3\n");
    assert_eq!(out("echo x | grep y; echo $?"), "1\n");
}

#[test]
fn builtins_and_compound_commands_in_pipelines() {
    assert_eq!(out("echo hello | cat"), "hello\n");
    assert_eq!(out("for i in c a b; do echo $i; done | sort"), "a\nb\nc\n");
    assert_eq!(out("{ echo one; echo two; } | grep t"), "two\n");
    assert_eq!(out("echo a | { read x; echo got $x; }"), "got a\n");
    assert_eq!(out("cat /etc/motd | while read l; do echo [$l]; done"), "[welcome]\n");
    assert_eq!(out("echo x | echo y"), "y\n");
    assert_eq!(out("f() { echo $V; }; V=temp f | cat; echo ${V-unset}"), "temp\nunset\n");
    // Stages run in subshells: no effect on the shell.
    assert_eq!(out("cd /tmp | true; x=1 | true; pwd; echo ${x-unset}"), "/home/user\nunset\n");
    assert_eq!(out("exit 3 | true; echo still here"), "still here\n");
}

#[test]
fn redirection_order() {
    let mut h = Harness::new();
    h.run("errmsg hi >/tmp/both 2>&1");
    assert_eq!(h.file("/tmp/both").unwrap(), "out:hi\nerr:hi\n");
    assert_eq!(h.stdout(), "");
    assert_eq!(h.spawns()[0].fds[&2], "file:/tmp/both:w");
    h.clear();
    h.run("errmsg hi 2>&1 >/tmp/only");
    assert_eq!(h.file("/tmp/only").unwrap(), "out:hi\n");
    assert_eq!(h.stdout(), "err:hi\n");
    assert_eq!(h.spawns()[0].fds[&2], "tty:out");
    h.assert_no_leaks();
}

#[test]
fn redirections_of_every_kind() {
    let mut h = Harness::new();
    h.run("echo one >/tmp/f; echo two >>/tmp/f; cat </tmp/f");
    assert_eq!(h.stdout(), "one\ntwo\n");
    h.clear();
    h.run("errmsg e 2>/tmp/err");
    assert_eq!((h.stdout(), h.file("/tmp/err").unwrap()), ("out:e\n".into(), "err:e\n".into()));
    h.clear();
    // Swap stdout and stderr through fd 3.
    h.run("errmsg s 3>&1 1>&2 2>&3 3>&-");
    assert_eq!((h.stdout(), h.stderr()), ("err:s\n".into(), "out:s\n".into()));
    assert!(!h.spawns()[0].fds.contains_key(&3));
    h.clear();
    h.run("errmsg both &>/tmp/all");
    assert_eq!(h.file("/tmp/all").unwrap(), "out:both\nerr:both\n");
    h.clear();
    // As bash: a builtin writing to a closed descriptor fails.
    h.run("echo closed >&-; echo $?");
    assert_eq!(h.stdout(), "1\n");
    assert_eq!(h.stderr(), "sh: echo: write error: Bad file descriptor\n");
    h.clear();
    h.run("fds 5</etc/motd 2>&-");
    assert_eq!(h.stdout(), "0=tty:in 1=tty:out 5=file:/etc/motd:r\n");
    h.clear();
    h.run("cd /tmp; echo rel >out.txt; cat out.txt");
    assert_eq!(h.stdout(), "rel\n");
    assert_eq!(h.file("/tmp/out.txt").unwrap(), "rel\n");
    h.clear();
    h.run("x=/tmp/var; echo v > $x; cat \"$x\"");
    assert_eq!(h.stdout(), "v\n");
    h.clear();
    h.run("{ echo a; echo b >&2; } >/tmp/g 2>/tmp/h; cat /tmp/g /tmp/h");
    assert_eq!(h.stdout(), "a\nb\n");
    h.assert_no_leaks();
}

#[test]
fn builtin_output_and_errors_follow_redirections() {
    let mut h = Harness::new();
    h.run("cd /nope 2>/tmp/e; echo $?; type nothing 2>>/tmp/e >/tmp/o; pwd >/tmp/o");
    assert_eq!(h.stdout(), "1\n");
    assert_eq!(h.stderr(), "");
    assert_eq!(h.file("/tmp/e").unwrap(), "sh: cd: /nope: No such file or directory\nsh: type: nothing: not found\n");
    assert_eq!(h.file("/tmp/o").unwrap(), "/home/user\n");
    h.clear();
    h.run("nosuch 2>/dev/null; echo $?; ./nosuch 2>&1 | grep -c such");
    assert_eq!(h.stdout(), "127\n1\n");
    assert_eq!(h.stderr(), "");
    h.assert_no_leaks();
}

#[test]
fn redirection_errors() {
    let (st, o, e) = run("cat </nonexistent; echo $?");
    assert_eq!((st, o.as_str(), e.as_str()), (0, "1\n", "sh: /nonexistent: No such file or directory\n"));
    let (_, o, e) = run("cat </etc/secret; echo $?");
    assert_eq!((o.as_str(), e.as_str()), ("1\n", "sh: /etc/secret: Permission denied\n"));
    let (_, o, e) = run("echo x >/nodir/f; echo $?");
    assert_eq!((o.as_str(), e.as_str()), ("1\n", "sh: /nodir/f: No such file or directory\n"));
    let (_, o, e) = run("echo x >&7; echo $?");
    assert_eq!((o.as_str(), e.as_str()), ("1\n", "sh: 7: Bad file descriptor\n"));
    let (_, o, e) = run("echo x > *.nomatch-a *.nomatch-b; echo $?");
    assert_eq!((o.as_str(), e.as_str()), ("0\n", ""));
    let (_, _, e) = run("x='a b'; echo x > $x");
    assert_eq!(e, "sh: ambiguous redirect\n");
}

#[test]
fn command_errors() {
    let (_, o, e) = run("nosuchcmd arg; echo $?");
    assert_eq!((o.as_str(), e.as_str()), ("127\n", "sh: nosuchcmd: command not found\n"));
    let (_, o, e) = run("./nothere; echo $?");
    assert_eq!((o.as_str(), e.as_str()), ("127\n", "sh: ./nothere: No such file or directory\n"));
    let mut h = Harness::new();
    h.add_file("/tmp/data.txt", "not a program\n", 0o644);
    h.run("/tmp/data.txt; echo $?");
    assert_eq!((h.stdout(), h.stderr()), ("126\n".into(), "sh: /tmp/data.txt: Permission denied\n".into()));
    h.clear();
    h.run("/tmp; echo $?");
    assert_eq!((h.stdout(), h.stderr()), ("126\n".into(), "sh: /tmp: Permission denied\n".into()));
    h.clear();
    // The policy refuses to execute a program.
    h.world.borrow_mut().denied.insert("/bin/cat".into());
    h.run("cat /etc/motd; echo $?");
    assert_eq!((h.stdout(), h.stderr()), ("126\n".into(), "sh: /bin/cat: Permission denied\n".into()));
    h.clear();
    h.run("crash; echo $?");
    assert_eq!((h.stdout(), h.stderr()), ("139\n".into(), "Segmentation fault\n".into()));
    h.assert_no_leaks();
}

#[test]
fn scripts_without_an_image_run_in_a_shell() {
    let mut h = Harness::new();
    h.add_file("/tmp/s.sh", "echo script $# $1\nexit 6\n", 0o755);
    h.run("/tmp/s.sh arg; echo $?");
    assert_eq!(h.stdout(), "script 1 arg\n6\n");
    let spawns = h.spawns();
    assert_eq!(spawns[0].argv, ["/bin/sh", "/tmp/s.sh", "arg"]);
}

#[test]
fn path_search() {
    let mut h = Harness::new();
    h.add_dir("/opt");
    h.add_file("/opt/tool", "", 0o644);
    h.add_file("/tmp/tool", "", 0o755);
    h.world.borrow_mut().programs.insert(
        "/tmp/tool".into(),
        std::rc::Rc::new(|c: &mut Ctx| {
            c.out("tmp tool\n");
            0
        }),
    );
    h.run("PATH=/opt:/tmp; tool");
    assert_eq!(h.stdout(), "tmp tool\n");
    h.clear();
    h.run("PATH=/opt; tool; echo $?");
    assert_eq!((h.stdout(), h.stderr()), ("126\n".into(), "sh: /opt/tool: Permission denied\n".into()));
    h.clear();
    h.run("PATH=/bin; type cd if tool cat; echo $?");
    assert_eq!(h.stdout(), "cd is a shell builtin\nif is a shell keyword\ncat is /bin/cat\n1\n");
    assert_eq!(h.stderr(), "sh: type: tool: not found\n");
}

#[test]
fn environment_and_variables() {
    let mut h = Harness::new();
    h.run("FOO=1 printenv FOO; printenv FOO; echo ${FOO-unset}");
    assert_eq!(h.stdout(), "1\nunset\n");
    h.clear();
    h.run(
        "BAR=2; printenv BAR; export BAR; printenv BAR; export BAZ=3 Q; printenv BAZ; unset BAR; printenv BAR; echo $?",
    );
    assert_eq!(h.stdout(), "2\n3\n1\n");
    h.clear();
    h.run("x=1; x=2 true; echo $x; x=3 echo $x");
    assert_eq!(h.stdout(), "1\n1\n");
    h.clear();
    h.run("export 1bad; echo $?");
    assert_eq!(h.stderr(), "sh: export: '1bad': not a valid identifier\n");
    h.clear();
    h.run("export -p | grep HOME");
    assert_eq!(h.stdout(), "export HOME=/home/user\n");
    h.clear();
    h.run("echo $$ ${#HOME}; printenv PWD");
    assert_eq!(h.stdout(), "100 10\n/home/user\n");
    let env = &h.spawns()[0].env;
    assert_eq!(env, &["BAZ=3", "HOME=/home/user", "PATH=/bin", "PWD=/home/user", "USER=root"]);
    h.clear();
    h.run("Q=now; printenv Q");
    assert_eq!(h.stdout(), "now\n");
}

#[test]
fn cd_and_pwd() {
    let mut h = Harness::new();
    h.run("pwd; cd /tmp; pwd; cd ..; pwd; cd; pwd; cd -; cd /etc/../tmp/.; pwd-ext; echo $PWD $OLDPWD");
    assert_eq!(h.stdout(), "/home/user\n/tmp\n/\n/home/user\n/\n/tmp\n/tmp /\n");
    assert_eq!(h.stderr(), "");
    h.clear();
    h.run("cd /nope; echo $?; cd /etc/motd; cd a b");
    assert_eq!(h.stdout(), "1\n");
    assert_eq!(
        h.stderr(),
        "sh: cd: /nope: No such file or directory\nsh: cd: /etc/motd: Not a directory\nsh: cd: too many arguments\n"
    );
    h.clear();
    h.run("cd /tmp; ls-missing; cat motd-nope; echo x > f; cat /tmp/f");
    assert!(h.stdout().ends_with("x\n"));
    assert_eq!(h.spawns().last().unwrap().cwd, "/tmp");
}

#[test]
fn echo_forms() {
    assert_eq!(out("echo -n a b; echo"), "a b\n");
    assert_eq!(out("echo -e 'a\\tb\\n'"), "a\tb\n\n");
    assert_eq!(out("echo -ne 'x\\c'more; echo"), "x\n");
    assert_eq!(out("echo -x -n"), "-x -n\n");
    assert_eq!(out("echo"), "\n");
    assert_eq!(out("printf '%s=%d|%5s|%-3s|%03d|%x\\n' a 42 r l 7 255"), "a=42|    r|l  |007|ff\n");
    assert_eq!(out("printf '%s\\n' a b c"), "a\nb\nc\n");
}

#[test]
fn command_substitution() {
    assert_eq!(out("x=$(echo hi); echo [$x]"), "[hi]\n");
    assert_eq!(out("echo $(cat /etc/motd) `echo back`"), "welcome back\n");
    assert_eq!(out("echo \"$(printf 'a\\n\\nb\\n\\n')\""), "a\n\nb\n");
    assert_eq!(out("echo $(echo $(echo deep))"), "deep\n");
    assert_eq!(out("x=$(false); echo $?; x=$(status 4); echo $?"), "1\n4\n");
    assert_eq!(out("echo $(echo a; ls /etc; echo b)"), "a motd secret b\n");
    assert_eq!(out("echo $(cat /etc/motd | grep w)"), "welcome\n");
    assert_eq!(out("echo $(x=inner; echo $x) ${x-outer-unset}"), "inner outer-unset\n");
    assert_eq!(out("echo $(exit 3) $?"), "3\n");
    let (_, o, e) = run("x=$(echo out; echo err >&2); echo [$x]");
    assert_eq!((o.as_str(), e.as_str()), ("[out]\n", "err\n"));
}

#[test]
fn subshells_and_groups() {
    assert_eq!(out("(cd /tmp; x=1; pwd); pwd; echo ${x-unset}"), "/tmp\n/home/user\nunset\n");
    assert_eq!(out("{ cd /tmp; x=1; }; pwd; echo $x"), "/tmp\n1\n");
    assert_eq!(out("(exit 4); echo $?"), "4\n");
    assert_eq!(out("(echo a; exit 2; echo b) || echo failed"), "a\nfailed\n");
}

#[test]
fn control_flow() {
    assert_eq!(out("if true; then echo a; else echo b; fi"), "a\n");
    assert_eq!(out("if false; then echo a; elif true; then echo c; else echo b; fi"), "c\n");
    assert_eq!(out("if false; then echo a; fi; echo $?"), "0\n");
    assert_eq!(out("for i in 1 2 3; do echo $i; done"), "1\n2\n3\n");
    assert_eq!(out("set -- x y; for a; do echo $a; done"), "x\ny\n");
    assert_eq!(out("i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done"), "0\n1\n2\n");
    assert_eq!(out("i=0; until [ $i = 2 ]; do i=$((i+1)); done; echo $i"), "2\n");
    assert_eq!(out("for i in 1 2 3 4; do if [ $i = 3 ]; then break; fi; echo $i; done"), "1\n2\n");
    assert_eq!(out("for i in 1 2 3; do [ $i = 2 ] && continue; echo $i; done"), "1\n3\n");
    assert_eq!(out("for i in a b; do for j in 1 2; do [ $j = 2 ] && continue 2; echo $i$j; done; done"), "a1\nb1\n");
    assert_eq!(out("for i in a b; do while true; do break 2; done; echo no; done; echo out"), "out\n");
    assert_eq!(out("case foo.rs in *.txt) echo t;; *.rs|*.c) echo src;; *) echo other;; esac"), "src\n");
    assert_eq!(out("x=b; case $x in a) echo A;; [b-c]) echo BC;; esac"), "BC\n");
    assert_eq!(out("case '*' in \\*) echo star;; esac"), "star\n");
    assert_eq!(out("p='*'; case abc in $p) echo glob;; esac; case abc in \"$p\") echo lit;; esac"), "glob\n");
    assert_eq!(out("f() { echo f $1 $#; return 3; echo no; }; f a b; echo $?"), "f a 2\n3\n");
    assert_eq!(out("f() { echo $1; }; set -- outer; f inner; echo $1"), "inner\nouter\n");
    assert_eq!(out("count() { if [ $1 -gt 0 ]; then echo $1; count $(($1-1)); fi; }; count 3"), "3\n2\n1\n");
    assert_eq!(
        out("f() { echo in-f; }; type f; unset -f f; type f 2>/dev/null || echo gone"),
        "f is a function\ngone\n"
    );
    let (_, o, e) = run("f() { f; }; f; echo $?");
    assert_eq!(o, "1\n");
    assert!(e.contains("maximum nesting level exceeded"), "{e}");
    let (_, _, e) = run("break; return");
    assert_eq!(
        e,
        "sh: break: only meaningful in a loop\nsh: return: can only return from a function or sourced script\n"
    );
}

#[test]
fn test_builtin() {
    let table = [
        ("[ -f /etc/motd ]", 0),
        ("[ -d /etc/motd ]", 1),
        ("[ -d /etc ]", 0),
        ("[ -e /nope ]", 1),
        ("[ -x /bin/cat ]", 0),
        ("[ -s /etc/motd ]", 0),
        ("test -n abc", 0),
        ("test -z abc", 1),
        ("[ abc = abc ]", 0),
        ("[ abc != abc ]", 1),
        ("[ 10 -gt 9 ]", 0),
        ("[ 10 -le 9 ]", 1),
        ("[ 2 -ge 2 -a 1 -eq 1 ]", 0),
        ("[ 1 -eq 2 -o 1 -eq 1 ]", 0),
        ("[ ! -e /nope ]", 0),
        ("[ \\( 1 = 1 \\) ]", 0),
        ("[ ]", 1),
        ("[ x ]", 0),
        ("[ '' ]", 1),
        ("[ -n ]", 0),
        ("[ a \\< b ]", 0),
        ("[ a -gt 1 ]", 2),
        ("[ 1 = 1", 2),
    ];
    for (src, st) in table {
        assert_eq!(run(src).0, st, "{src:?}");
    }
}

#[test]
fn read_builtin() {
    let mut h = Harness::new();
    h.add_file("/tmp/in", "a b c\nsecond line\nback\\slash\n", 0o644);
    h.run("{ read x y; read z; read -r w; read last; echo $?; } </tmp/in; echo \"[$x][$y][$z][$w][$last]\"");
    assert_eq!(h.stdout(), "1\n[a][b c][second line][back\\slash][]\n");
}

#[test]
fn here_documents() {
    assert_eq!(out("cat <<EOF\nhi $USER\n$(echo sub)\nEOF"), "hi root\nsub\n");
    assert_eq!(out("cat <<'EOF'\nhi $USER\nEOF"), "hi $USER\n");
    assert_eq!(out("cat <<EOF | grep b\na\nb\nEOF\necho after"), "b\nafter\n");
    assert_eq!(out("while read l; do echo [$l]; done <<X\n1\n2\nX"), "[1]\n[2]\n");
}

#[test]
fn errexit_and_xtrace() {
    let (st, o, _) = run("set -e; echo a; false; echo b");
    assert_eq!((st, o.as_str()), (1, "a\n"));
    assert_eq!(out("set -e; false || true; if false; then :; fi; ! true; false && true; echo survived"), "survived\n");
    let (st, o, _) = run("set -e; (false); echo no");
    assert_eq!((st, o.as_str()), (1, ""));
    let (_, o, e) = run("set -x; x=1 echo a 'b c'; set +x; echo quiet");
    assert_eq!(o, "a b c\nquiet\n");
    assert_eq!(e, "+ x=1 echo a 'b c'\n+ set +x\n");
}

#[test]
fn source_and_eval() {
    let mut h = Harness::new();
    h.add_file(
        "/tmp/lib.sh",
        "greet() { echo hello $1; }\nLIBVAR=set\necho sourced $# $1\nreturn 5\necho not reached\n",
        0o644,
    );
    h.run("source /tmp/lib.sh one; echo $?; greet world; echo $LIBVAR; . /tmp/lib.sh; echo $#");
    assert_eq!(h.stdout(), "sourced 1 one\n5\nhello world\nset\nsourced 0\n0\n");
    h.clear();
    h.run("cd /tmp; . ./lib.sh >/dev/null; . missing.sh; echo $?");
    assert_eq!(h.stderr(), "sh: .: missing.sh: No such file or directory\n");
    h.clear();
    h.add_file("/tmp/bad.sh", "echo before\nif then\necho after\n", 0o644);
    h.run("source /tmp/bad.sh; echo status $?");
    assert_eq!(h.stdout(), "before\nstatus 2\n");
    assert_eq!(h.stderr(), "sh: /tmp/bad.sh: syntax error: unexpected 'then' (line 2, column 4)\n");
    h.clear();
    h.run("cmd='echo evaluated; x=9'; eval $cmd; echo $x; eval 'if'; echo $?");
    assert_eq!(h.stdout(), "evaluated\n9\n2\n");
}

#[test]
fn exec_redirections_are_permanent() {
    let mut h = Harness::new();
    h.run("exec 3>/tmp/log; echo one >&3; echo two >&3; exec 3>&-");
    assert_eq!(h.file("/tmp/log").unwrap(), "one\ntwo\n");
    h.assert_no_leaks();
    h.run("(exec >/tmp/sub; echo inside); echo outside");
    assert_eq!(h.file("/tmp/sub").unwrap(), "inside\n");
    assert_eq!(h.stdout(), "outside\n");
    h.assert_no_leaks();
    let st = h.run("exec status 7; echo not reached");
    assert_eq!(st, 7);
}

#[test]
fn shell_main_entry_points() {
    let mut h = Harness::new();
    let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(h.sh.main(&argv(&["sh", "-c", "echo $0 $1 $#; exit 3", "name", "arg"])), 3);
    assert_eq!(h.stdout(), "name arg 1\n");
    h.clear();
    h.add_file("/tmp/script", "echo args: \"$@\"\necho $0\n", 0o644);
    assert_eq!(h.sh.main(&argv(&["sh", "/tmp/script", "a b", "c"])), 0);
    assert_eq!(h.stdout(), "args: a b c\n/tmp/script\n");
    h.clear();
    assert_eq!(h.sh.main(&argv(&["sh", "/tmp/missing"])), 127);
    assert_eq!(h.stderr(), "sh: /tmp/missing: No such file or directory\n");
    h.clear();
    // The whole line is parsed before it runs, as in other shells.
    assert_eq!(h.sh.main(&argv(&["sh", "-c", "echo ok; fi; echo never"])), 2);
    assert_eq!((h.stdout(), h.stderr()), ("".into(), "sh: syntax error: unexpected 'fi' (line 1, column 10)\n".into()));
    h.clear();
    assert_eq!(h.sh.main(&argv(&["sh", "-c", "echo ok\nfi\necho never"])), 2);
    assert_eq!(
        (h.stdout(), h.stderr()),
        ("ok\n".into(), "sh: syntax error: unexpected 'fi' (line 2, column 1)\n".into())
    );
    h.clear();
    assert_eq!(h.sh.main(&argv(&["sh", "-c"])), 2);
    assert_eq!(h.sh.main(&argv(&["sh", "-q"])), 2);
    h.clear();
    // Commands from a non-terminal standard input.
    h.world.borrow_mut().stdin.extend(b"echo from stdin\nif true\nthen echo multi\nfi\nexit 4\necho no\n");
    assert_eq!(h.sh.main(&argv(&["sh"])), 4);
    assert_eq!(h.stdout(), "from stdin\nmulti\n");
}
