//! The subcommands. Each returns `Ok(true)` on success, `Ok(false)` when
//! the policy fails a check or proof (exit 1). `check`, `flow` and `prove`
//! (and `build`'s check) first resolve what the policy's model may grant
//! beyond the rules ([`model_grants`]) and fail with
//! [`Failure::Refused`] for a model that does not say.

use std::path::PathBuf;

use policy_analysis::ModelGrants;
use policy_analysis::flow::{FlowGraph, FlowOptions};
use policy_analysis::query::{Query, QueryKind};
use rampart_policy::db::RuleKind;
use rampart_policy::{FileKind, Policy, PolicyDb, Protocol};

use crate::cli::{Cli, Cmd};
use crate::load::{Failure, compile, load, model_grants, permmap};

fn usage<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Usage(msg.into()))
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<bool, Failure> {
    match cli.cmd {
        Cmd::Build { inputs, output, no_check } => build(&inputs, &output, no_check),
        Cmd::Check { inputs } => check(&load(&inputs)?),
        Cmd::Query { inputs, source, target, class, perm, kind, direct } => {
            let db = load(&inputs)?;
            let kinds = kind
                .iter()
                .map(|k| match k.as_str() {
                    "allow" => Ok(QueryKind::Av(RuleKind::Allow)),
                    "auditallow" => Ok(QueryKind::Av(RuleKind::AuditAllow)),
                    "dontaudit" => Ok(QueryKind::Av(RuleKind::DontAudit)),
                    "neverallow" => Ok(QueryKind::NeverAllow),
                    "type_transition" => Ok(QueryKind::TypeTransition),
                    other => usage(format!("unknown rule kind `{other}`")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let q = Query { source, target, class, perms: perm, kinds, direct };
            let found = policy_analysis::query(&db, &q).map_err(|e| Failure::Usage(e.to_string()))?;
            for line in &found {
                println!("{line}");
            }
            // The rules are not the whole story when the model grants beyond them.
            match ModelGrants::builtin(&db) {
                Ok(m) => {
                    let notes = policy_analysis::query::model_notes(&db, &m, &q);
                    for n in notes.map_err(|e| Failure::Usage(e.to_string()))? {
                        eprintln!("note: {n}");
                    }
                }
                Err(r) => eprintln!("note: these are the rules only, and {r}"),
            }
            eprintln!("{} rule{}", found.len(), if found.len() == 1 { "" } else { "s" });
            Ok(true)
        }
        Cmd::Flow { mut args, all, max_len, limit, min_weight, exclude, permmap: pm } => {
            let dst = args.pop().unwrap_or_default();
            let src = args.pop().unwrap_or_default();
            let inputs: Vec<PathBuf> = args.into_iter().map(PathBuf::from).collect();
            let db = load(&inputs)?;
            let model = model_grants(&db, "flow")?;
            let opts = FlowOptions { min_weight, overrides: permmap(&db, pm.as_deref())? };
            flow(&db, &model, &src, &dst, &exclude, &opts, all.then_some((max_len, limit)))
        }
        Cmd::Prove { inputs, noflow, except, min_weight, permmap: pm, only_cli } => {
            let mut db = load(&inputs)?;
            let model = model_grants(&db, "prove")?;
            let opts = FlowOptions { min_weight, overrides: permmap(&db, pm.as_deref())? };
            let mut extra = Vec::new();
            for spec in &noflow {
                let Some((a, b)) = spec.split_once(':') else {
                    return usage(format!("--noflow `{spec}`: expected A:B"));
                };
                let f = policy_analysis::prove::noflow(&db, a, b, &except)
                    .map_err(|n| Failure::Usage(format!("--noflow: unknown type or attribute `{n}`")))?;
                extra.push(f);
            }
            if only_cli {
                db.neverallows.clear();
                db.assertions.clear();
            }
            prove(&db, &model, &extra, &opts)
        }
        Cmd::Info { inputs } => {
            info(&load(&inputs)?);
            Ok(true)
        }
        Cmd::Decide { inputs, path, file_kind, port, service, scon, tcon, class, create, name, bools } => {
            let db = load(&inputs)?;
            let req = DecideReq { path, file_kind, port, service, scon, tcon, class, create, name, bools };
            decide(db, &req)
        }
        Cmd::Why { inputs, scon, tcon, class, perm, audit, bools } => {
            let db = load(&inputs)?;
            crate::explain::why(db, (scon, tcon, class, perm), audit.as_deref(), &bools)
        }
        Cmd::Diff { old, new, limit } => crate::diff::run(&old, &new, limit),
        Cmd::Allow { inputs, audit } => crate::explain::allow(&load(&inputs)?, audit.as_deref()),
        Cmd::Permmap { inputs, permmap: pm } => {
            let db = load(&inputs)?;
            let o = permmap(&db, pm.as_deref())?;
            print!("{}", policy_analysis::permmap::dump(&db, &o));
            Ok(true)
        }
    }
}

fn build(inputs: &[PathBuf], output: &PathBuf, no_check: bool) -> Result<bool, Failure> {
    let db = compile(inputs)?;
    if !no_check && !check_quiet(&db, &model_grants(&db, "build")?) {
        eprintln!("polc: not writing {} (use --no-check to override)", output.display());
        return Ok(false);
    }
    let bytes = rampart_policy::encode(&db).map_err(|e| Failure::Usage(e.to_string()))?;
    std::fs::write(output, &bytes).map_err(|e| Failure::Usage(format!("{}: {e}", output.display())))?;
    println!(
        "{}: {} bytes, model {}, {} types, {} rules, {} neverallows checked",
        output.display(),
        bytes.len(),
        db.model,
        db.types.iter().filter(|t| !t.attribute).count(),
        db.rules.len() + db.conds.iter().map(|c| c.if_true.len() + c.if_false.len()).sum::<usize>(),
        db.neverallows.len()
    );
    Ok(true)
}

fn check_quiet(db: &PolicyDb, model: &ModelGrants) -> bool {
    let v = policy_analysis::check(db, model);
    for x in &v {
        eprintln!("{}", policy_analysis::check::report(db, x));
    }
    v.is_empty()
}

fn check(db: &PolicyDb) -> Result<bool, Failure> {
    let model = model_grants(db, "check")?;
    let ok = check_quiet(db, &model);
    let v = policy_analysis::check(db, &model).len();
    println!(
        "{} neverallow rule{} checked, {} violation{}",
        db.neverallows.len(),
        if db.neverallows.len() == 1 { "" } else { "s" },
        v,
        if v == 1 { "" } else { "s" }
    );
    Ok(ok)
}

fn resolve(db: &PolicyDb, names: &[String]) -> Result<Vec<u32>, Failure> {
    let mut v = Vec::new();
    for n in names {
        let t = db.type_id(n).ok_or_else(|| Failure::Usage(format!("unknown type or attribute `{n}`")))?;
        v.extend(db.expand_type(t));
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

fn flow(
    db: &PolicyDb,
    model: &ModelGrants,
    src: &str,
    dst: &str,
    exclude: &[String],
    opts: &FlowOptions,
    all: Option<(usize, usize)>,
) -> Result<bool, Failure> {
    let from = resolve(db, &[src.to_string()])?;
    let to = resolve(db, &[dst.to_string()])?;
    let ex = resolve(db, exclude)?;
    let g = FlowGraph::build(db, model, opts);
    match all {
        None => match g.shortest_path(&from, &to, &ex) {
            Some(p) => {
                println!("shortest flow ({} step{}):", p.len() - 1, if p.len() == 2 { "" } else { "s" });
                print!("{}", g.explain_path(&p));
            }
            None => println!("no information flow from {src} to {dst}"),
        },
        Some((max_len, limit)) => {
            let mut n = 0;
            for &a in &from {
                for &b in &to {
                    for p in g.all_paths(a, b, max_len, limit.saturating_sub(n), &ex) {
                        n += 1;
                        println!("path {n} ({} steps):", p.len() - 1);
                        print!("{}", g.explain_path(&p));
                    }
                }
            }
            if n == 0 {
                println!("no information flow from {src} to {dst} within {max_len} steps");
            }
        }
    }
    Ok(true)
}

fn prove(
    db: &PolicyDb,
    model: &ModelGrants,
    extra: &[rampart_policy::db::FlowAssertion],
    opts: &FlowOptions,
) -> Result<bool, Failure> {
    let outcomes = policy_analysis::prove(db, model, extra, opts);
    let mut failed = 0;
    for o in &outcomes {
        match &o.counterexample {
            None => println!("proved   {}  ({})", o.claim, o.origin),
            Some(cx) => {
                failed += 1;
                println!("FAILED   {}  ({})", o.claim, o.origin);
                for line in cx.lines() {
                    println!("    {line}");
                }
            }
        }
    }
    println!("{} proved, {} failed", outcomes.len() - failed, failed);
    Ok(failed == 0)
}

fn info(db: &PolicyDb) {
    let count = |k: RuleKind| {
        db.rules
            .iter()
            .chain(db.conds.iter().flat_map(|c| c.if_true.iter().chain(&c.if_false)))
            .filter(|r| r.kind == k)
            .count()
    };
    let attrs = db.types.iter().filter(|t| t.attribute).count();
    let rows: Vec<(&str, String)> = vec![
        ("model", db.model.clone()),
        ("source files", db.files.len().to_string()),
        ("classes", db.classes.len().to_string()),
        ("permissions", db.classes.iter().map(|c| c.perms.len()).sum::<usize>().to_string()),
        ("types", (db.types.len() - attrs).to_string()),
        ("attributes", attrs.to_string()),
        ("aliases", db.types.iter().map(|t| t.aliases.len()).sum::<usize>().to_string()),
        ("roles", db.roles.len().to_string()),
        ("users", db.users.len().to_string()),
        ("booleans", db.bools.len().to_string()),
        ("sensitivities", db.mls.as_ref().map_or(0, |m| m.sensitivities.len()).to_string()),
        ("categories", db.mls.as_ref().map_or(0, |m| m.categories.len()).to_string()),
        ("allow rules", count(RuleKind::Allow).to_string()),
        ("auditallow rules", count(RuleKind::AuditAllow).to_string()),
        ("dontaudit rules", count(RuleKind::DontAudit).to_string()),
        ("conditionals", db.conds.len().to_string()),
        ("type transitions", db.transitions.len().to_string()),
        ("constraints", db.constraints.iter().filter(|c| !c.mls).count().to_string()),
        ("mlsconstraints", db.constraints.iter().filter(|c| c.mls).count().to_string()),
        ("neverallows", db.neverallows.len().to_string()),
        ("noflow assertions", db.assertions.len().to_string()),
        ("file contexts", db.filecons.len().to_string()),
        ("port contexts", db.portcons.len().to_string()),
        ("service contexts", db.servicecons.len().to_string()),
        ("initial SIDs", db.initial_sids.len().to_string()),
    ];
    for (k, v) in rows {
        println!("{k:<18} {v}");
    }
}

struct DecideReq {
    path: Option<String>,
    file_kind: String,
    port: Option<String>,
    service: Option<String>,
    scon: Option<String>,
    tcon: Option<String>,
    class: Option<String>,
    create: bool,
    name: Option<String>,
    bools: Vec<String>,
}

fn engine<T>(r: Result<T, rampart_policy::PolicyError>) -> Result<T, Failure> {
    r.map_err(|e| {
        eprintln!("polc: {e}");
        Failure::Policy
    })
}

fn decide(db: PolicyDb, r: &DecideReq) -> Result<bool, Failure> {
    let mut p = engine(Policy::from_db(db, &rampart_policy::ModelRegistry::builtin()))?;
    for b in &r.bools {
        let Some((n, v)) = b.split_once('=') else {
            return usage(format!("--bool `{b}`: expected NAME=true|false"));
        };
        let v = v.parse::<bool>().map_err(|_| Failure::Usage(format!("--bool `{b}`: value must be true or false")))?;
        engine(p.set_bool(n, v))?;
    }
    let mut did = false;
    if let Some(path) = &r.path {
        let kind = FileKind::from_keyword(&r.file_kind)
            .ok_or_else(|| Failure::Usage(format!("unknown file kind `{}`", r.file_kind)))?;
        match engine(p.file_context(path, kind))? {
            Some(sid) => println!("{path}: {}", engine(p.sid_to_context(sid))?),
            None => println!("{path}: <<none>>"),
        }
        did = true;
    }
    if let Some(port) = &r.port {
        let (proto, num) = port
            .split_once('/')
            .and_then(|(a, b)| Some((Protocol::from_keyword(a)?, b.parse::<u16>().ok()?)))
            .ok_or_else(|| Failure::Usage(format!("--port `{port}`: expected tcp/N or udp/N")))?;
        let sid = engine(p.port_context(proto, num))?;
        println!("{port}: {}", engine(p.sid_to_context(sid))?);
        did = true;
    }
    if let Some(name) = &r.service {
        let sid = engine(p.service_context(name))?;
        println!("service {name}: {}", engine(p.sid_to_context(sid))?);
        did = true;
    }
    if let (Some(s), Some(t), Some(c)) = (&r.scon, &r.tcon, &r.class) {
        let ssid = engine(p.context_to_sid(s))?;
        let tsid = engine(p.context_to_sid(t))?;
        let class = p.class_id(c).ok_or_else(|| Failure::Usage(format!("unknown class `{c}`")))?;
        if r.create {
            let n = engine(p.compute_create(ssid, tsid, class, r.name.as_deref()))?;
            println!("new {c}: {}", engine(p.sid_to_context(n))?);
        } else {
            let d = engine(p.compute_av(ssid, tsid, class))?;
            let names = |v: u32| p.db().perm_names(class.0, v).join(" ");
            println!("allowed:    {{ {} }}", names(d.allowed));
            println!("auditallow: {{ {} }}", names(d.auditallow));
            println!("auditdeny:  {{ {} }}", names(d.auditdeny & !d.allowed));
        }
        did = true;
    }
    if !did {
        return usage("decide: give --path, --port, --service, or --scon/--tcon/--class");
    }
    Ok(true)
}
