//! `/bin/semodule`: lists, installs and removes policy modules of the
//! running system (the library's crate docs give the design).
//!
//! ```text
//! semodule -l                 list installed modules
//! semodule [-n] -i FILE.pol…  install (or replace) modules, rebuild, load
//! semodule [-n] -r NAME…      remove modules, rebuild, load
//! semodule [-n] -B            rebuild from the store and load
//! ```
//!
//! `-n` (`--noreload`) writes `/etc/policy/policy.bin` without loading it
//! (`load_policy` loads it later). Exit status 0 on success, 1 when the
//! policy is refused (nothing changed), 2 on usage or I/O errors.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use policy_compiler::Source;
use rampart_libos::{Error, ErrorKind, eprintln, fs, println};
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;
use semodule::{MODULE_DIR, POLICY_FILE, Refusal, SRC_DIR, STORE_NAME};

rampart_libos::main!(main);

const USAGE: &str = "usage: semodule -l | [-n] -i FILE.pol... | [-n] -r NAME... | [-n] -B";

enum Op {
    List,
    Install(Vec<String>),
    Remove(Vec<String>),
    Build,
}

fn main() -> i32 {
    let argv = rampart_libos::env::args();
    let mut noreload = false;
    let mut op: Option<Op> = None;
    let mut operands: Vec<String> = Vec::new();
    for a in argv.iter().skip(1) {
        match a.as_str() {
            "-n" | "--noreload" => noreload = true,
            "-l" | "--list-modules" => op = Some(Op::List),
            "-i" | "--install" => op = Some(Op::Install(Vec::new())),
            "-r" | "--remove" => op = Some(Op::Remove(Vec::new())),
            "-B" | "--build" => op = Some(Op::Build),
            "-h" | "--help" => {
                println!("{USAGE}");
                return 0;
            }
            s if s.starts_with('-') && s.len() > 1 => {
                eprintln!("semodule: unknown option '{s}'\n{USAGE}");
                return 2;
            }
            s => operands.push(s.to_string()),
        }
    }
    let op = match op {
        Some(Op::Install(_)) if !operands.is_empty() => Op::Install(operands),
        Some(Op::Remove(_)) if !operands.is_empty() => Op::Remove(operands),
        Some(o @ (Op::List | Op::Build)) if operands.is_empty() => o,
        _ => {
            eprintln!("semodule: {USAGE}");
            return 2;
        }
    };
    match run(op, noreload) {
        Ok(()) => 0,
        Err(Fail::Refused(r)) => {
            eprintln!("semodule: {r}");
            eprintln!("semodule: nothing changed");
            1
        }
        Err(Fail::Io(what, e)) => {
            eprintln!("semodule: {what}: {}", e.message());
            2
        }
        Err(Fail::Usage(m)) => {
            eprintln!("semodule: {m}");
            2
        }
    }
}

enum Fail {
    Refused(Refusal),
    Io(String, Error),
    Usage(String),
}

impl From<Refusal> for Fail {
    fn from(r: Refusal) -> Fail {
        Fail::Refused(r)
    }
}

fn io<T>(what: &str, r: Result<T, Error>) -> Result<T, Fail> {
    r.map_err(|e| Fail::Io(what.to_string(), e))
}

/// `*.pol` file names in `dir`, sorted; an absent directory is empty.
fn pol_files(dir: &str) -> Result<Vec<String>, Fail> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Fail::Io(dir.to_string(), e)),
    };
    let mut v: Vec<String> = entries
        .iter()
        .filter(|e| e.file_name().ends_with(".pol") && e.file_type() != Some(fs::FileType::Dir))
        .map(|e| e.file_name().to_string())
        .collect();
    v.sort();
    Ok(v)
}

/// The base policy: `SRC_DIR/*/ *.pol`, named `DIR/FILE.pol`.
fn base_sources() -> Result<Vec<Source>, Fail> {
    let mut dirs: Vec<String> = match fs::read_dir(SRC_DIR) {
        Ok(e) => {
            e.iter().filter(|e| e.file_type() == Some(fs::FileType::Dir)).map(|e| e.file_name().to_string()).collect()
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Fail::Io(SRC_DIR.to_string(), e)),
    };
    dirs.sort();
    let mut out = Vec::new();
    for d in &dirs {
        let dir = format!("{SRC_DIR}/{d}");
        for f in pol_files(&dir)? {
            let path = format!("{dir}/{f}");
            let text = io(&path, fs::read_to_string(&path))?;
            out.push(Source::new(format!("{d}/{f}"), text));
        }
    }
    if out.is_empty() {
        return Err(Fail::Usage(format!(
            "no policy sources under {SRC_DIR}: this system was built from a compiled policy, \
             so there is nothing to link modules with (rebuild on the host with `polc build`)"
        )));
    }
    Ok(out)
}

/// Installed modules: (name, bytes).
fn store() -> Result<Vec<(String, Vec<u8>)>, Fail> {
    let mut out = Vec::new();
    for f in pol_files(MODULE_DIR)? {
        let path = format!("{MODULE_DIR}/{f}");
        let name = semodule::module_name(&f)?;
        out.push((name, io(&path, fs::read(&path))?));
    }
    Ok(out)
}

fn run(op: Op, noreload: bool) -> Result<(), Fail> {
    let mut modules = store()?;
    let mut removed: Vec<String> = Vec::new();
    let mut added: Vec<String> = Vec::new();
    match op {
        Op::List => {
            for (name, _) in &modules {
                println!("{name}");
            }
            return Ok(());
        }
        Op::Install(files) => {
            for f in &files {
                let name = semodule::module_name(f)?;
                let bytes = io(f, fs::read(f))?;
                semodule::module_source(&name, &bytes)?;
                modules.retain(|(n, _)| *n != name);
                modules.push((name.clone(), bytes));
                added.push(name);
            }
        }
        Op::Remove(names) => {
            for n in &names {
                semodule::valid_name(n)?;
                if !modules.iter().any(|(m, _)| m == n) {
                    return Err(Fail::Usage(format!("no module named {n} is installed")));
                }
                modules.retain(|(m, _)| m != n);
                removed.push(n.clone());
            }
        }
        Op::Build => {}
    }
    let mut sources = base_sources()?;
    for (name, bytes) in &modules {
        sources.push(semodule::module_source(name, bytes)?);
    }
    let built = semodule::build(&sources)?;
    for w in &built.warnings {
        eprintln!("{w}");
    }
    // The store first, then the binary, then the load: a failure stops
    // before the running policy changes.
    if !added.is_empty() {
        match fs::create_dir(MODULE_DIR) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Fail::Io(MODULE_DIR.to_string(), e)),
        }
    }
    for name in &added {
        let bytes = &modules.iter().find(|(n, _)| n == name).expect("added modules are in the store").1;
        let path = format!("{MODULE_DIR}/{name}.pol");
        io(&path, fs::write(&path, bytes))?;
    }
    for name in &removed {
        let path = format!("{MODULE_DIR}/{name}.pol");
        io(&path, fs::remove_file(&path))?;
    }
    let tmp = format!("{POLICY_FILE}.new");
    io(&tmp, fs::write(&tmp, &built.binary))?;
    io(POLICY_FILE, fs::rename(&tmp, POLICY_FILE))?;
    println!(
        "semodule: built {POLICY_FILE}: {} bytes, model {}, {} module(s), {} neverallow rule(s) checked",
        built.binary.len(),
        built.model,
        modules.len(),
        built.neverallows
    );
    if noreload {
        return Ok(());
    }
    let ep =
        io("cannot reach the security server", rampart_libos::sys::connect_service("security").map_err(Error::from))?;
    let mut c = Client(Ipc(ep));
    let s = c
        .put_policy(STORE_NAME, &built.binary)
        .and_then(|()| c.load_policy(STORE_NAME))
        .map_err(|e| Fail::Io("can't load policy".to_string(), Error::from(e)))?;
    println!(
        "semodule: loaded policy {} (model {}, seqno {}, {})",
        s.policy,
        s.model,
        s.seqno,
        if s.enforcing { "Enforcing" } else { "Permissive" }
    );
    Ok(())
}
