//! `tt`: a tiny multi-call program for the end-to-end tests of the shell
//! and the library OS (tests/tests/shell.rs), until the coreutils exist.
//!
//! ```text
//! tt cat [FILE...]   copy files (or standard input) to standard output
//! tt grep PATTERN    lines of standard input containing PATTERN
//! tt sort            lines of standard input, sorted
//! tt wc              lines, words and bytes of standard input
//! tt spin            run until killed (Ctrl-C)
//! tt exit N          exit with status N
//! tt id              print this process's security context
//! ```
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use rampart_libos::io::{self, BufReader, Read, Write};
use rampart_libos::{eprintln, fs, print, println};

rampart_libos::main!(main);

fn input() -> Result<Vec<String>, rampart_libos::Error> {
    BufReader::new(io::stdin()).lines().collect()
}

fn cat(files: &[String]) -> i32 {
    let mut status = 0;
    let mut out = io::stdout();
    if files.is_empty() {
        let mut buf = Vec::new();
        if let Err(e) = io::stdin().read_to_end(&mut buf).and_then(|_| out.write_all(&buf)) {
            eprintln!("tt: {e}");
            return 1;
        }
    }
    for f in files {
        match fs::read(f) {
            Ok(data) => {
                if out.write_all(&data).is_err() {
                    return 1;
                }
            }
            Err(e) => {
                eprintln!("tt: {f}: {}", e.message());
                status = 1;
            }
        }
    }
    status
}

fn main() -> i32 {
    let args = rampart_libos::env::args();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    match arg(1) {
        "cat" => cat(&args[2..]),
        "grep" => match input() {
            Ok(lines) => {
                let hits: Vec<&String> = lines.iter().filter(|l| l.contains(arg(2))).collect();
                for l in &hits {
                    println!("{l}");
                }
                i32::from(hits.is_empty())
            }
            Err(_) => 2,
        },
        "sort" => match input() {
            Ok(mut lines) => {
                lines.sort();
                for l in lines {
                    println!("{l}");
                }
                0
            }
            Err(_) => 2,
        },
        "wc" => match input() {
            Ok(lines) => {
                let words: usize = lines.iter().map(|l| l.split_whitespace().count()).sum();
                let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
                println!("{} {} {}", lines.len(), words, bytes);
                0
            }
            Err(_) => 2,
        },
        "spin" => loop {
            rampart_libos::rampart_rt::syscall::yield_now();
        },
        "exit" => arg(2).parse().unwrap_or(2),
        "id" => {
            println!("{}", rampart_libos::env::security_context());
            0
        }
        _ => {
            print!("usage: tt cat|grep|sort|wc|spin|exit|id ...\n");
            2
        }
    }
}
