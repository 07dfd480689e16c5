//! `polc diff OLD NEW` (like `sediff`): sections that changed between two
//! policies, then the direct information flows that appear or disappear
//! (policy_analysis::diff).

use std::path::PathBuf;

use policy_analysis::diff::{SectionDiff, diff};

use crate::load::{Failure, load};

/// One side: comma-separated inputs (sources, directories, or one
/// binary policy).
fn side(spec: &str) -> Vec<PathBuf> {
    spec.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect()
}

fn print_section(d: &SectionDiff, limit: usize) {
    println!("{} ({} added, {} removed, {} changed)", d.title, d.added.len(), d.removed.len(), d.changed.len());
    let mut lines: Vec<String> = Vec::new();
    let vals = |v: &[String]| if v.is_empty() { String::new() } else { format!(": {}", v.join(" ")) };
    lines.extend(d.added.iter().map(|(k, v)| format!("  + {k}{}", vals(v))));
    lines.extend(d.removed.iter().map(|(k, v)| format!("  - {k}{}", vals(v))));
    for (k, add, rem) in &d.changed {
        let mut parts = Vec::new();
        if !add.is_empty() {
            parts.push(format!("+{{ {} }}", add.join(" ")));
        }
        if !rem.is_empty() {
            parts.push(format!("-{{ {} }}", rem.join(" ")));
        }
        lines.push(format!("  * {k}: {}", parts.join(" ")));
    }
    let n = lines.len();
    for l in lines.into_iter().take(limit) {
        println!("{l}");
    }
    if n > limit {
        println!("  ... {} more (--limit)", n - limit);
    }
}

/// Prints the differences; true if the policies are the same.
pub fn run(old: &str, new: &str, limit: usize) -> Result<bool, Failure> {
    let (a, b) = (load(&side(old))?, load(&side(new))?);
    let (sections, flows) = diff(&a, &b);
    let mut same = true;
    for s in sections.iter().filter(|s| !s.is_empty()) {
        same = false;
        print_section(s, limit);
    }
    match flows {
        Ok(f) if f.is_empty() => {}
        Ok(f) => {
            same = false;
            print_section(&f, limit);
        }
        Err(note) => println!("information flows: {note}"),
    }
    if same {
        println!("the policies are the same");
    }
    Ok(same)
}
