//! `polc prove` and the engine re-checked against the running system
//! (issue 19, "done when"): for a shipped policy, every (subject, object,
//! operation) of a sample of subject domains × every file type × the
//! probe's seven file operations is decided by the policy engine on the
//! host and attempted in the guest by `probe`, started by init in the
//! subject's context (`init.secure=@probe.plan`) on objects labelled with
//! the object's context. Every decision the engine denies must fail with
//! `EACCES` in the guest and leave the file server's audit record naming
//! the subject, object and class (unless the policy says `dontaudit`);
//! every decision it grants must succeed (so a probe that fails for
//! another reason cannot pass the test). At least 1,000 denials are
//! checked.

use images::custom::{bootfs_plus, disk_with};
use images::rootfs::RootfsOptions;
use rampart_policy::{ClassId, FileKind, Policy};
use rampart_tests::{artifacts, boot_art, session_config};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// A check the file server makes: (class, permissions).
type Check = (&'static str, &'static [&'static str]);

/// The probe's operations (userland/probe): name, object kind, and the
/// checks the file server makes, in order (`search` checks `file getattr`
/// on the file `x` inside the directory after `dir search`).
const OPS: &[(&str, char, &[Check])] = &[
    ("read", 'f', &[("file", &["open", "read"])]),
    ("write", 'f', &[("file", &["open", "write"])]),
    ("append", 'f', &[("file", &["open", "append"])]),
    ("getattr", 'f', &[("file", &["getattr"])]),
    ("search", 'd', &[("dir", &["search"]), ("file", &["getattr"])]),
    ("list", 'd', &[("dir", &["open", "read"]), ("dir", &["read"])]),
    ("dgetattr", 'd', &[("dir", &["getattr"])]),
];

/// Subject domains probed (each one QEMU-side program).
const MAX_SUBJECTS: usize = 14;

fn load(variant: &str) -> Policy {
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policy/modules");
    let dirs = [m.join("base"), m.join("assertions"), m.join(variant)];
    let out = policy_compiler::compile_files(&dirs).unwrap_or_else(|e| panic!("{e:?}"));
    Policy::from_db(out.db, &rampart_policy::ModelRegistry::builtin()).unwrap()
}

/// The permissions of `perms` the engine denies `s` on `t`, and those of
/// them it audits.
fn denied(p: &mut Policy, s: &str, t: &str, class: &str, perms: &[&str]) -> (Vec<String>, Vec<String>) {
    let c: ClassId = p.class_id(class).unwrap();
    let (ss, ts) = (p.context_to_sid(s).unwrap(), p.context_to_sid(t).unwrap());
    let d = p.compute_av(ss, ts, c).unwrap();
    let mut den = Vec::new();
    let mut aud = Vec::new();
    for perm in perms {
        let bit = p.perms(c, &[perm]).unwrap();
        if d.allowed & bit == 0 {
            den.push(perm.to_string());
            if d.auditdeny & bit != 0 {
                aud.push(perm.to_string());
            }
        }
    }
    (den, aud)
}

fn allowed(p: &mut Policy, s: &str, t: &str, class: &str, perm: &str) -> bool {
    denied(p, s, t, class, &[perm]).0.is_empty()
}

/// Contexts a process can have that init may start and that can reach
/// the objects: the file server's service, and `dir search` on `/probe`.
fn subjects(p: &mut Policy, root: &str, levels: &[&str]) -> Vec<String> {
    let db = p.db().clone();
    // `service connect` is decided against the serving task's context.
    let fs_service = "system_u:system_r:fs_t";
    let init = "system_u:system_r:init_t";
    let mut out = Vec::new();
    for u in &db.users {
        for &r in &u.roles {
            let role = &db.roles[r as usize];
            if role.name == "object_r" {
                continue;
            }
            for &t in &role.types {
                let base = format!("{}:{}:{}", u.name, role.name, db.type_name(t));
                let ctxs: Vec<String> =
                    if levels.is_empty() { vec![base] } else { levels.iter().map(|l| format!("{base}:{l}")).collect() };
                for ctx in ctxs {
                    if out.contains(&ctx) || p.context_to_sid(&ctx).is_err() {
                        continue;
                    }
                    if allowed(p, init, &ctx, "process", "spawn")
                        && allowed(p, &ctx, fs_service, "service", "connect")
                        && allowed(p, &ctx, root, "dir", "search")
                    {
                        out.push(ctx);
                    }
                }
            }
        }
    }
    // An even spread over the list, deterministic.
    if out.len() > MAX_SUBJECTS {
        let n = out.len();
        out = (0..MAX_SUBJECTS).map(|i| out[i * n / MAX_SUBJECTS].clone()).collect();
    }
    out
}

/// Every concrete file type owned by every user (the user matters to
/// the policy's user-identity constraints), as object contexts.
fn objects(p: &Policy, levels: &[&str]) -> Vec<String> {
    let db = p.db();
    let Some(ft) = db.type_id("file_type") else { return Vec::new() };
    let mut out = Vec::new();
    for u in &db.users {
        for t in db.expand_type(ft) {
            let mut c = format!("{}:object_r:{}", u.name, db.type_name(t));
            if !levels.is_empty() {
                c = format!("{c}:{}", levels[out.len() % levels.len()]);
            }
            out.push(c);
        }
    }
    out
}

struct Expect {
    subject: usize,
    object: String,
    op: &'static str,
    /// `None`: granted; `Some((class, target, audited perms))`: denied.
    denial: Option<(String, String, Vec<String>)>,
}

#[test]
fn the_running_system_denies_and_audits_what_the_te_engine_denies() {
    compare("te", &[], &[]);
}

/// Bell-LaPadula: subjects at three levels, objects spread over five.
#[test]
fn the_running_system_denies_and_audits_what_the_mls_engine_denies() {
    compare("mls", &["s0", "s1:c0", "s2:c0.c7"], &["s0", "s1", "s1:c0", "s2:c0.c7", "s3:c0.c15"]);
}

/// Biba strict integrity: subjects at three integrity levels, objects
/// over four.
#[test]
fn the_running_system_denies_and_audits_what_the_biba_engine_denies() {
    compare("biba", &["i0", "i1", "i2"], &["i0", "i1", "i2", "i3"]);
}

/// Boots `variant` and compares the guest with the engine over subjects
/// at `sub_levels` and objects spread over `obj_levels` (none: TE).
fn compare(variant: &str, sub_levels: &[&str], obj_levels: &[&str]) {
    let mut p = load(variant);
    let root_sid = p.file_context("/", FileKind::Dir).unwrap().unwrap();
    let root = p.sid_to_context(root_sid).unwrap().to_string();
    let subs = subjects(&mut p, &root, sub_levels);
    let objs = objects(&p, obj_levels);
    assert!(subs.len() >= 4 && objs.len() >= 10, "subjects {subs:?}, objects {objs:?}");
    // The host's expectations.
    let mut expect = Vec::new();
    for (si, s) in subs.iter().enumerate() {
        for (oi, o) in objs.iter().enumerate() {
            for (op, kind, checks) in OPS {
                let mut denial = None;
                for (class, perms) in checks.iter() {
                    let (den, aud) = denied(&mut p, s, o, class, perms);
                    if !den.is_empty() {
                        denial = Some((class.to_string(), o.clone(), aud));
                        break;
                    }
                }
                expect.push(Expect { subject: si, object: format!("{kind}{oi}"), op, denial });
            }
        }
    }
    let n_denied = expect.iter().filter(|e| e.denial.is_some()).count();
    let n_granted = expect.len() - n_denied;
    eprintln!(
        "decisions ({variant}): {} subjects x {} objects x {} ops = {} ({} denied, {} granted)",
        subs.len(),
        objs.len(),
        OPS.len(),
        expect.len(),
        n_denied,
        n_granted
    );
    assert!(n_denied >= 1000, "only {n_denied} denials in the sample");
    assert!(n_granted >= 20, "too few granted decisions to show the probe works: {n_granted}");

    // The objects: /probe/fN and /probe/dN (holding x), labelled with
    // object N's context, open to everyone under DAC (mode 0666/0777), so
    // only the policy decides.
    let host = std::env::temp_dir().join(format!("rampart-decisions-{variant}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&host);
    let probe = host.join("probe");
    std::fs::create_dir_all(&probe).unwrap();
    for i in 0..objs.len() {
        std::fs::write(probe.join(format!("f{i}")), b"probe\n").unwrap();
        std::fs::create_dir_all(probe.join(format!("d{i}"))).unwrap();
        std::fs::write(probe.join(format!("d{i}/x")), b"x\n").unwrap();
    }
    let add = images::custom::parse_add(&format!("{}:/probe", probe.display())).unwrap();
    let art = artifacts();
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policy/modules");
    let opts = RootfsOptions {
        policy_dirs: vec![m.join("base"), m.join("assertions"), m.join(variant)],
        ..Default::default()
    };
    let disk = disk_with(art, opts, &[add], &format!("decisions-{variant}")).unwrap();
    let mut script = format!("ea_set /probe security.selinux \"{root}\"\nsif /probe mode 040777\n");
    for (i, o) in objs.iter().enumerate() {
        for (path, mode) in [
            (format!("/probe/f{i}"), "0100666"),
            (format!("/probe/d{i}"), "040777"),
            (format!("/probe/d{i}/x"), "0100666"),
        ] {
            script.push_str(&format!("ea_set {path} security.selinux \"{o}\"\nsif {path} mode {mode}\n"));
        }
    }
    let script_path = host.join("labels.debugfs");
    std::fs::write(&script_path, script).unwrap();
    let st = std::process::Command::new("debugfs").arg("-w").arg("-f").arg(&script_path).arg(&disk).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let fsck = std::process::Command::new("e2fsck").arg("-fn").arg(&disk).output().unwrap();
    assert!(fsck.status.success(), "{}", String::from_utf8_lossy(&fsck.stdout));

    // The probes: one per subject, started by init in its context.
    let plan: String = subs.iter().enumerate().map(|(i, s)| format!("probe:{i}.{}@{s}\n", objs.len())).collect();
    let mut art2 = art.clone();
    art2.bootfs =
        bootfs_plus(art, &[("probe.plan".into(), plan.into_bytes())], &format!("decisions-{variant}")).unwrap();
    let mut cfg = session_config(&disk, true);
    cfg.cmdline.push_str(&format!(" init.secure=@probe.plan policy={variant}"));
    // The test kernel lets every task write the kernel log (echoed to the
    // console): the probes report through it whatever their domain.
    cfg.test_kernel = true;
    let mut s = boot_art(&art2, &cfg);
    let t0 = std::time::Instant::now();
    for _ in 0..subs.len() {
        s.expect("probe-done ", Duration::from_secs(300)).unwrap_or_else(|e| panic!("{e:#}"));
    }
    let out = s.output();
    drop(s);
    eprintln!("decisions ({variant}): the probes took {:.1} s", t0.elapsed().as_secs_f64());

    // The guest's answers.
    let mut got: BTreeMap<(usize, String, String), String> = BTreeMap::new();
    for line in out.lines() {
        let Some(rest) = line.split("probe ").nth(1) else { continue };
        let w: Vec<&str> = rest.split_whitespace().collect();
        if let [tag, obj, op, res] = w.as_slice()
            && let Ok(tag) = tag.parse::<usize>()
        {
            got.insert((tag, obj.to_string(), op.to_string()), res.to_string());
        }
    }
    let audit: Vec<&str> = out.lines().filter(|l| l.contains("avc: denied")).collect();
    let mut failures = Vec::new();
    let mut checked_denials = 0;
    let mut checked_audits = 0;
    for e in &expect {
        let key = (e.subject, e.object.clone(), e.op.to_string());
        let Some(res) = got.get(&key) else {
            failures.push(format!("no answer for {} {} {}", subs[e.subject], e.object, e.op));
            continue;
        };
        match &e.denial {
            None if res != "ok" => failures.push(format!(
                "{} {} ({}) {}: granted by the engine, failed with errno {res} in the guest",
                subs[e.subject],
                e.object,
                objs[e.object[1..].parse::<usize>().unwrap()],
                e.op
            )),
            None => {}
            Some(_) if res != "13" => failures.push(format!(
                "{} {} ({}) {}: denied by the engine, got {res} in the guest",
                subs[e.subject],
                e.object,
                objs[e.object[1..].parse::<usize>().unwrap()],
                e.op
            )),
            Some((class, target, aud)) => {
                checked_denials += 1;
                if aud.is_empty() {
                    continue;
                }
                let (sc, tc, cl) =
                    (format!("scontext={}", subs[e.subject]), format!("tcontext={target}"), format!("tclass={class}"));
                let found = audit.iter().any(|l| {
                    l.contains(&sc)
                        && l.contains(&tc)
                        && l.contains(&cl)
                        && aud.iter().all(|p| l.contains(&format!(" {p} ")))
                });
                if found {
                    checked_audits += 1;
                } else {
                    failures.push(format!("{sc} {tc} {cl} {{ {} }}: denied but not audited", aud.join(" ")));
                }
            }
        }
    }
    eprintln!(
        "decisions ({variant}): {checked_denials} denials seen as EACCES, {checked_audits} with their audit record, {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches, first 30:\n{}",
        failures.len(),
        failures.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(checked_denials >= 1000);
    let _ = std::fs::remove_dir_all(&host);
}
