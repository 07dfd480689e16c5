//! The shim's command line and `#!` lines (linux/abi/src/exec.rs): what
//! the library OS's spawn passes for a Linux program is what the shim
//! reads back, so the shim loads the descriptor the file server checked
//! (`-F`), never the path.

use rampart_linux_abi::exec::{ShimArgs, parse_shim_args, shebang, shim_argv};

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| String::from(*x)).collect()
}

/// libos's `spawn_open` builds `linux -0 ARGV0 -F FD PATH ARG...` (after
/// the shim's own name): the shim gets the descriptor and the path only as
/// the program's name.
#[test]
fn the_spawned_shim_is_told_the_descriptor_checked() {
    let a = s(&["-0", "sh", "-F", "3", "/tmp/prog", "-c", "echo"]);
    let p = parse_shim_args(&a).unwrap();
    assert_eq!(p, ShimArgs { argv0: Some("sh"), fd: Some(3), rest: &a[4..] });
    assert_eq!(p.rest[0], "/tmp/prog");
    // What spawn builds is what the shim reads, whatever the program's
    // own arguments look like (one that is `-F` included).
    let built = shim_argv("/tmp/prog", 5, &s(&["prog", "-F", "9", "x"]));
    assert_eq!(built[0], "linux");
    let p = parse_shim_args(&built[1..]).unwrap();
    assert_eq!((p.argv0, p.fd), (Some("prog"), Some(5)));
    assert_eq!(p.rest, &s(&["/tmp/prog", "-F", "9", "x"])[..]);
    assert_eq!(parse_shim_args(&shim_argv("/p", 3, &[])[1..]).unwrap().argv0, Some("/p"));
    // By hand: no descriptor, the path is opened in the caller's domain.
    let a = s(&["/bin/busybox", "ls"]);
    assert_eq!(parse_shim_args(&a).unwrap().fd, None);
    // Bad descriptors and missing programs are refused, not guessed.
    assert_eq!(parse_shim_args(&s(&["-F", "x", "/p"])), None);
    assert_eq!(parse_shim_args(&s(&["-F", "-1", "/p"])), None);
    assert_eq!(parse_shim_args(&s(&["-F"])), None);
    assert_eq!(parse_shim_args(&s(&["-0", "a", "-F", "3"])), None);
    assert_eq!(parse_shim_args(&s(&[])), None);
    // A program named "-F" after the options is the program.
    let a = s(&["-F", "4", "-F"]);
    assert_eq!(parse_shim_args(&a).unwrap().rest, &a[2..]);
}

#[test]
fn shebang_lines_split_as_linux_does() {
    assert_eq!(shebang(b"#!/bin/sh\necho"), Some(("/bin/sh", None)));
    assert_eq!(shebang(b"#! /bin/sh  -e -x \n"), Some(("/bin/sh", Some("-e -x"))));
    assert_eq!(shebang(b"#!/bin/sh\t-e\n"), Some(("/bin/sh", Some("-e"))));
    assert_eq!(shebang(b"#!/bin/sh"), None, "no end of line within the buffer");
    assert_eq!(shebang(b"#!\n"), None);
    assert_eq!(shebang(b"\x7fELF"), None);
    assert_eq!(shebang(b"#!\xff\xfe\n"), None);
    let mut long = b"#!/bin/".to_vec();
    long.extend(std::iter::repeat_n(b'a', 300));
    long.push(b'\n');
    assert_eq!(shebang(&long), None, "a line past 256 bytes is not read");
}
