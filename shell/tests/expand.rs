//! Word expansion: parameters, field splitting, quoting, globbing,
//! arithmetic. `args` prints each argument it gets in brackets.

mod common;
use common::*;

use shell::glob::{self, pattern};

fn fields(src: &str) -> String {
    let mut h = Harness::new();
    for f in ["b.txt", "a.txt", "c.rs", ".hidden.txt", "[x].txt"] {
        h.add_file(&format!("/home/user/{f}"), "", 0o644);
    }
    h.add_dir("/home/user/dir1");
    h.add_dir("/home/user/dir2");
    h.add_file("/home/user/dir1/inner.txt", "", 0o644);
    h.add_file("/home/user/dir2/inner.txt", "", 0o644);
    h.add_file("/home/user/dir2/other.rs", "", 0o644);
    let st = h.run(src);
    assert_eq!(h.stderr(), "", "stderr of {src:?}");
    assert_eq!(st, 0, "{src:?}");
    h.assert_no_leaks();
    h.stdout().trim_end_matches('\n').to_string()
}

#[test]
fn quoting_and_field_splitting() {
    let table = [
        ("args a 'b c' \"d e\" f\\ g", "[a][b c][d e][f g]"),
        ("x='1  2'; args $x \"$x\" '$x'", "[1][2][1  2][$x]"),
        ("x='  lead trail  '; args $x", "[lead][trail]"),
        ("x=''; args $x \"$x\" ''", "[][]"),
        ("args $unset \"$unset\"", "[]"),
        ("x='a b'; args pre$x\"post\"", "[prea][bpost]"),
        ("IFS=:; x='a:b::c'; args $x", "[a][b][][c]"),
        ("IFS=': '; x='a : b'; args $x", "[a][b]"),
        ("IFS=; x='a b'; args $x", "[a b]"),
        ("x=$(echo 'a  b'); args $x \"$x\"", "[a][b][a  b]"),
        ("args \"a\"'b'c", "[abc]"),
        ("args \"$(echo '*')\" '*'", "[*][*]"),
        ("args \\$HOME '$HOME' \"\\$HOME\"", "[$HOME][$HOME][$HOME]"),
        ("args ~ ~/x '~' \"~\" a~", "[/home/user][/home/user/x][~][~][a~]"),
        ("x=~/bin; args $x", "[/home/user/bin]"),
        ("args \"a\\\"b\" 'c\"d'", "[a\"b][c\"d]"),
    ];
    for (src, want) in table {
        assert_eq!(fields(src), want, "{src:?}");
    }
}

#[test]
fn positional_parameters() {
    let table = [
        ("set -- a 'b c' d; args $# \"$@\"", "[3][a][b c][d]"),
        ("set -- a 'b c'; args $@", "[a][b][c]"),
        ("set -- a 'b c'; args \"$*\"", "[a b c]"),
        ("set -- a 'b c'; IFS=,; args \"$*\"", "[a,b c]"),
        ("set --; args \"$@\" x", "[x]"),
        ("set -- a b; args \"x$@y\"", "[xa][by]"),
        ("set -- 1 2 3 4 5 6 7 8 9 10; args $1 $10 ${10}", "[1][10][10]"),
        ("set -- a b c; shift; args $@; shift 2; args $#", "[b][c]\n[0]"),
        ("set -- a; args ${#@} ${#}", "[1][1]"),
        ("args $0", "[sh]"),
    ];
    for (src, want) in table {
        assert_eq!(fields(src), want, "{src:?}");
    }
}

#[test]
fn parameter_operators() {
    let table = [
        ("args ${u:-def} ${u-def} \"${u:-a b}\"", "[def][def][a b]"),
        ("e=; args ${e:-def} ${e-def}x", "[def][x]"),
        ("v=val; args ${v:-def} ${v:+alt} ${u:+alt}", "[val][alt]"),
        ("e=; args ${e+set} ${e:+nonempty}", "[set]"),
        ("args ${u:=assigned}; args $u", "[assigned]\n[assigned]"),
        ("v=abc; args ${#v} ${#u}", "[3][0]"),
        ("p=/a/b/c.tar.gz; args ${p#*/} ${p##*/} ${p%.*} ${p%%.*}", "[a/b/c.tar.gz][c.tar.gz][/a/b/c.tar][/a/b/c]"),
        ("p=aXbXc; args ${p#X} ${p#*X} ${p%X*}", "[aXbXc][bXc][aXb]"),
        ("p='a*b'; args \"${p#a\\*}\" \"${p#'a*'}\" \"${p#a*}\" \"${u:-'q'}\"", "[b][b][*b]['q']"),
        ("args ${u:-$HOME}", "[/home/user]"),
        ("x=1; args ${x:-${nested:-deep}} ${u:-${nested:-deep}}", "[1][deep]"),
        ("args ${u:-a b}", "[a][b]"),
        ("args $? $$", "[0][100]"),
    ];
    for (src, want) in table {
        assert_eq!(fields(src), want, "{src:?}");
    }
}

#[test]
fn expansion_errors_stop_the_command() {
    let mut h = Harness::new();
    // POSIX: the error ends a non-interactive shell (status 1) ...
    assert_eq!(h.run("args ${u:?is required}; echo $?"), 1);
    assert_eq!(h.stdout(), "");
    assert_eq!(h.stderr(), "sh: u: is required\n");
    h.clear();
    // ... but only a subshell when it happens in one.
    h.run("(args ${u:?is required}); echo $?");
    assert_eq!(h.stdout(), "1\n");
    h.clear();
    // An interactive shell goes on with the next command.
    h.sh.set_options(shell::Options { interactive: true, ..Default::default() });
    h.run("args ${u:?is required}; echo $?");
    assert_eq!(h.stdout(), "1\n");
    h.sh.set_options(shell::Options::default());
    h.clear();
    h.run("args ${u?}");
    assert_eq!(h.stderr(), "sh: u: parameter null or not set\n");
    h.clear();
    h.run("echo $((1/0)); echo $?");
    assert_eq!(h.stdout(), "1\n");
    assert_eq!(h.stderr(), "sh: 1/0: division by zero\n");
    assert!(h.spawns().is_empty());
}

#[test]
fn arithmetic() {
    let table = [
        ("args $((1 + 2 * 3)) $(( (1+2)*3 )) $((7/2)) $((7%3)) $((-3+1))", "[7][9][3][1][-2]"),
        ("x=5; args $((x * 2)) $(($x + 1)) $((y + 1))", "[10][6][1]"),
        (
            "args $((1 < 2)) $((2 <= 1)) $((3 == 3)) $((3 != 3)) $((1 && 0)) $((0 || 2)) $((!0))",
            "[1][0][1][0][0][1][1]",
        ),
        ("args $((0x10 + 010))", "[24]"),
        ("i=0; i=$((i+1)); i=$((i+1)); args $i", "[2]"),
        ("args \"$((2*3))\"", "[6]"),
    ];
    for (src, want) in table {
        assert_eq!(fields(src), want, "{src:?}");
    }
    let mut h = Harness::new();
    h.run("echo $((1 +)); echo $((2 3))");
    assert_eq!(
        h.stderr(),
        "sh: 1 +: arithmetic syntax error: operand expected\nsh: 2 3: arithmetic syntax error: '3'\n"
    );
}

#[test]
fn globbing_against_the_file_system() {
    let table = [
        ("args *.txt", "[[x].txt][a.txt][b.txt]"),
        ("args *", "[[x].txt][a.txt][b.txt][c.rs][dir1][dir2]"),
        ("args .*", "[.hidden.txt]"),
        ("args ?.rs", "[c.rs]"),
        ("args [ab].txt", "[a.txt][b.txt]"),
        ("args [!a].txt", "[b.txt]"),
        ("args [a-b]*", "[a.txt][b.txt]"),
        ("args \\[x\\].txt", "[[x].txt]"),
        ("args */", "[dir1/][dir2/]"),
        ("args */inner.txt", "[dir1/inner.txt][dir2/inner.txt]"),
        ("args dir*/*.rs", "[dir2/other.rs]"),
        ("args /home/user/dir?", "[/home/user/dir1][/home/user/dir2]"),
        ("args /etc/m*", "[/etc/motd]"),
        ("cd dir2; args * ../c.*", "[inner.txt][other.rs][../c.rs]"),
        ("args ./a*", "[./a.txt]"),
        // Unmatched patterns stay as written (quotes removed).
        ("args *.none 'q'*.none nodir/*", "[*.none][q*.none][nodir/*]"),
        ("args [z-y]", "[[z-y]]"),
        // Quoted glob characters are literal.
        ("args '*.txt' \"*\" \\*", "[*.txt][*][*]"),
        ("args a'*'", "[a*]"),
        // Globs in variables are expanded unless quoted.
        ("p='*.rs'; args $p \"$p\"", "[c.rs][*.rs]"),
        ("set -- *.rs; args $#", "[1]"),
        ("for f in *.txt; do args $f; done", "[[x].txt]\n[a.txt]\n[b.txt]"),
        ("args x=*.rs", "[x=*.rs]"),
    ];
    for (src, want) in table {
        assert_eq!(fields(src), want, "{src:?}");
    }
}

#[test]
fn pattern_matching() {
    let m = |p: &str, s: &str| glob::matches(&pattern(p), s);
    assert!(m("*", ""));
    assert!(m("*", "anything"));
    assert!(m("a*b*c", "aXXbYYc"));
    assert!(!m("a*b*c", "aXXbYY"));
    assert!(m("*.rs", "main.rs"));
    assert!(!m("*.rs", "main.rsx"));
    assert!(m("?", "é"));
    assert!(!m("?", ""));
    assert!(m("[]]", "]"));
    assert!(m("[!]]", "a"));
    assert!(m("[a-]", "-"));
    assert!(m("[[:digit:]]x", "7x"));
    assert!(m("[[:alpha:][:digit:]]", "q"));
    assert!(!m("[[:upper:]]", "q"));
    assert!(m("[", "["));
    assert!(m("a[", "a["));
    assert!(m("**a", "bba"));
    assert!(m("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaab"));
    assert!(!m("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaa"));
    let lit = [('*', true)];
    assert!(glob::matches(&lit, "*"));
    assert!(!glob::matches(&lit, "x"));
}
