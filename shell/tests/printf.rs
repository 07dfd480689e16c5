//! `printf` against bash: every case's expected output was produced by
//! bash's builtin `printf` on the host.

mod common;
use common::*;

#[test]
fn printf_matches_bash() {
    let table: &[(&str, &str)] = &[
        ("printf '%s=%d|%5s|%-3s|%03d|%x\\n' a 42 r l 7 255", "a=42|    r|l  |007|ff\n"),
        ("printf '%5.2f|%-8.3e|%g|%G\\n' 3.14159 1234.5 0.0001 1e20", " 3.14|1.234e+03|0.0001|1E+20\n"),
        ("printf '%g %g %g %g\\n' 100000 1000000 0.5 123.456", "100000 1e+06 0.5 123.456\n"),
        ("printf '%#o %#x %#X %o\\n' 8 255 255 0", "010 0xff 0XFF 0\n"),
        ("printf '%+d % d %+5d %-5d| %05d %.3d %5.3d\\n' 5 5 5 5 -42 7 7", "+5  5    +5 5    | -0042 007   007\n"),
        ("printf '%u %x\\n' -1 -1", "18446744073709551615 ffffffffffffffff\n"),
        ("printf '%d %d %d %d\\n' 010 0x1f \"'A\" -0x10", "8 31 65 -16\n"),
        ("printf '%c%c%c\\n' abc d ''", "ad\u{0}\n"),
        ("printf '%.2s|%10.3s|\\n' abcdef xyzw", "ab|       xyz|\n"),
        ("printf '%*d|%-*d|%.*f\\n' 5 42 4 7 2 3.14159", "   42|7   |3.14\n"),
        ("printf '[%s]\\n' a b c", "[a]\n[b]\n[c]\n"),
        ("printf '%s %s\\n' a b c", "a b\nc \n"),
        ("printf 'no args\\n' extra", "no args\n"),
        ("printf '%d\\n'", "0\n"),
        ("printf '%b|%b\\n' 'a\\tb' '\\0101\\x41'", "a\tb|AA\n"),
        ("printf 'a\\101\\x42\\u00e9\\n'", "aABé\n"),
        ("printf '%s\\n' \"it's\" ", "it's\n"),
        ("printf '%e %E\\n' 0 -2.5", "0.000000e+00 -2.500000E+00\n"),
        ("printf '%f %.0f %.1f\\n' 2.5 2.5 0.05", "2.500000 2 0.1\n"),
        ("printf '%08.3f|%-8.2f|%+.1e\\n' -3.14159 2.5 12345", "-003.142|2.50    |+1.2e+04\n"),
        ("printf '%x %X %o\\n' 3735928559 3735928559 511", "deadbeef DEADBEEF 777\n"),
        ("printf '%5s|%-5s|%05s\\n' ab ab ab", "   ab|ab   |   ab\n"),
        ("printf '%i\\n' 12", "12\n"),
        ("printf '%.0d|%.0d|\\n' 0 1", "|1|\n"),
        ("printf 'x\\cy\\n'", "x\\cy\n"),
        ("printf '%b\\n' 'stop\\cnot' 'never'", "stop"),
        ("printf '%s\\n' 1 2 3", "1\n2\n3\n"),
        ("printf '%3c|%-3c|\\n' x y", "  x|y  |\n"),
        ("printf '%#.3g %g %g\\n' 1 1e-5 123456789", "1.00 1e-05 1.23457e+08\n"),
        ("printf '%.3g %.10g\\n' 3.14159 3.14159", "3.14 3.14159\n"),
    ];
    for (src, want) in table {
        let (st, out, err) = run(src);
        assert_eq!(out, *want, "{src}");
        assert_eq!((st, err.as_str()), (0, ""), "{src}");
    }
}

#[test]
fn printf_errors_and_options() {
    let (st, out, err) = run("printf '%d|%d\\n' 12abc x; echo $?");
    assert_eq!(out, "12|0\n1\n");
    assert_eq!(err, "sh: printf: 12abc: invalid number\nsh: printf: x: invalid number\n");
    assert_eq!(st, 0);
    let (_, out, err) = run("printf '%z' a; echo $?");
    assert_eq!((out.as_str(), err.as_str()), ("1\n", "sh: printf: %z: invalid directive\n"));
    let (_, out, err) = run("printf; echo $?");
    assert_eq!((out.as_str(), err.as_str()), ("2\n", "sh: printf: usage: printf [-v var] format [arguments]\n"));
    let (_, out, _) = run("printf -v x '%03d' 7; echo \"[$x]\"; printf -- '%s\\n' -v");
    assert_eq!(out, "[007]\n-v\n");
    // Raw bytes reach the output unchanged.
    let mut h = Harness::new();
    h.run("printf '\\377\\0x'");
    assert_eq!(h.world.borrow().stdout, b"\xff\0x");
    h.clear();
    h.run("echo -e '\\xfe\\0101'");
    assert_eq!(h.world.borrow().stdout, b"\xfeA\n");
}
