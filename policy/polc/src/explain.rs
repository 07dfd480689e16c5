//! `polc why` and `polc allow`: denials explained and turned into rules
//! (policy_analysis::explain).

use std::io::Read;
use std::path::Path;

use policy_analysis::explain::{Denial, allow_rules, parse_audit_line, why_text};
use rampart_policy::{ModelRegistry, Policy, PolicyDb};

use crate::load::Failure;

/// The audit lines of `path` (`-`: standard input).
fn audit_lines(path: Option<&Path>) -> Result<Vec<Denial>, Failure> {
    let mut text = String::new();
    match path {
        None => std::io::stdin().read_to_string(&mut text).map(|_| ()),
        Some(p) if p.as_os_str() == "-" => std::io::stdin().read_to_string(&mut text).map(|_| ()),
        Some(p) => std::fs::read_to_string(p).map(|t| text = t),
    }
    .map_err(|e| Failure::Usage(format!("reading audit records: {e}")))?;
    Ok(text.lines().filter_map(parse_audit_line).collect())
}

/// `polc why`. Returns false if any permission in question is allowed
/// (nothing to explain) or could not be explained.
pub fn why(
    db: PolicyDb,
    (scon, tcon, class, perm): (Option<String>, Option<String>, Option<String>, Vec<String>),
    audit: Option<&Path>,
    bools: &[String],
) -> Result<bool, Failure> {
    let mut p = Policy::from_db(db, &ModelRegistry::builtin()).map_err(|e| Failure::Usage(e.to_string()))?;
    for b in bools {
        let (n, v) = b
            .split_once('=')
            .and_then(|(n, v)| Some((n, v.parse::<bool>().ok()?)))
            .ok_or_else(|| Failure::Usage(format!("--bool `{b}`: expected NAME=true|false")))?;
        p.set_bool(n, v).map_err(|e| Failure::Usage(e.to_string()))?;
    }
    let denials = match (scon, tcon, class, audit) {
        (Some(scon), Some(tcon), Some(class), None) if !perm.is_empty() => {
            vec![Denial { scon, tcon, class, perms: perm }]
        }
        (None, None, None, Some(a)) if perm.is_empty() => audit_lines(Some(a))?,
        _ => return Err(Failure::Usage("give --scon, --tcon, --class and --perm, or --audit FILE".into())),
    };
    if denials.is_empty() {
        return Err(Failure::Usage("no `avc: denied` records in the input".into()));
    }
    let mut all_explained = true;
    for d in &denials {
        println!("{} -> {} : {} {{ {} }}", d.scon, d.tcon, d.class, d.perms.join(" "));
        match policy_analysis::explain::why(&p, d) {
            Ok(r) => {
                all_explained &= r.iter().all(|(_, r)| *r != policy_analysis::explain::Reason::Allowed);
                for line in why_text(d, &r) {
                    println!("    {line}");
                }
            }
            Err(e) => {
                println!("    cannot explain: {e}");
                all_explained = false;
            }
        }
    }
    Ok(all_explained)
}

/// `polc allow`. Returns false if a proposed rule violates a neverallow.
pub fn allow(db: &PolicyDb, audit: Option<&Path>) -> Result<bool, Failure> {
    let denials = audit_lines(audit)?;
    if denials.is_empty() {
        return Err(Failure::Usage("no `avc: denied` records in the input".into()));
    }
    let (rules, skipped) = allow_rules(db, &denials);
    for s in &skipped {
        eprintln!("polc: skipped: {s}");
    }
    let mut clean = true;
    let mut domain = "";
    for r in &rules {
        let src = r.rule.split_whitespace().nth(1).unwrap_or("");
        if src != domain {
            println!("\n# {src}");
            domain = src;
        }
        println!("{}", r.rule);
        for v in &r.violates {
            println!("#   !!! violates the neverallow at {v}");
            clean = false;
        }
    }
    Ok(clean)
}
