//! Exhaustive exploration of the kernel model from the command line.
//!
//! `cargo run -p rampart-model --release --example explore -- --threads 2 --slots 3 --untyped 2 --depth 6`
//!
//! Options: `--threads N` boot threads, `--radix R` (2^R root slots, slot 0
//! is the CNode's own capability) or `--slots N` (N free slots: the
//! smallest power of two above N), `--untyped U` (2^U object units),
//! `--depth D`, `--types ep,reply,cnode,ntfn,tcb,untyped` (retype types),
//! `--errors` (also try operations that must fail), `--full` (Mutate,
//! CancelBadgedSends, ReplyRecv, more rights and badges).

use rampart_abi::Rights;
use rampart_model::boot::Config;
use rampart_model::explore::explore;
use rampart_model::ops_gen::Domain;
use rampart_model::state::{NewObj, Sizes};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let val = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let threads = val("--threads", 2) as usize;
    // `--slots N`: N free slots besides the CNode's own capability.
    let radix = match args.iter().position(|a| a == "--slots") {
        Some(_) => (val("--slots", 3) + 1).next_power_of_two().trailing_zeros(),
        None => val("--radix", 2) as u32,
    };
    let untyped = val("--untyped", 2) as u32;
    let depth = val("--depth", 6) as usize;
    let cfg = Config::standard(threads, radix, untyped, Sizes::Units);
    let mut dom = Domain::small();
    if let Some(i) = args.iter().position(|a| a == "--types") {
        dom.types = args[i + 1]
            .split(',')
            .map(|t| match t {
                "ep" => NewObj::Endpoint,
                "reply" => NewObj::Reply,
                "cnode" => NewObj::CNode(1),
                "ntfn" => NewObj::Notification,
                "tcb" => NewObj::Tcb,
                "untyped" => NewObj::Untyped(1),
                other => panic!("unknown type {other}"),
            })
            .collect();
    }
    dom.errors = args.iter().any(|a| a == "--errors");
    if args.iter().any(|a| a == "--full") {
        dom.mutate = true;
        dom.cancel_badged = true;
        dom.reply_recv = true;
        dom.rights = vec![Rights::ALL, Rights::WRITE, Rights::READ, Rights(Rights::WRITE.0 | Rights::GRANT.0)];
        dom.badges = vec![1, 2];
    }
    println!("config: {threads} threads, {} slots each, untyped of {} units, depth {depth}", 1 << radix, 1 << untyped);
    println!("domain: {dom:?}");
    match explore(&cfg, &dom, depth) {
        Ok(r) => {
            println!("states explored: {}", r.states);
            println!("transitions: {}", r.transitions);
            println!("new states per depth: {:?}", r.per_depth);
            println!("saturated: {}", r.saturated);
            println!("time: {:.2?}", r.elapsed);
        }
        Err(c) => {
            println!("VIOLATION of {}: {}", c.violation.invariant, c.violation.detail);
            for (t, op) in &c.trace {
                println!("  thread {t:#x}: {op:?}");
            }
            std::process::exit(1);
        }
    }
}
