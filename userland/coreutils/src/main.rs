//! `/bin/coreutils`: every everyday program and policy tool in one binary,
//! dispatched on the name it was started under (`/bin/ls` is a symbolic
//! link to it) or, for `coreutils NAME ARGS...`, on its first argument.
//! The logic lives in the host-tested library (`coreutils::*`); the
//! modules here only talk to the system through `rampart-libos`.
#![no_std]
#![no_main]

extern crate alloc;

mod prog;

use alloc::string::String;
use alloc::vec::Vec;

rampart_libos::main!(main);

fn main() -> i32 {
    let argv = rampart_libos::env::args();
    let Some((name, skip)) = coreutils::program_name(&argv) else {
        rampart_libos::eprintln!("coreutils: usage: coreutils PROGRAM [ARG...], one of:");
        rampart_libos::eprintln!("{}", coreutils::PROGRAMS.join(" "));
        return 127;
    };
    let name = String::from(name);
    let args: Vec<String> = argv[1 + skip..].to_vec();
    prog::run(&name, &args)
}
