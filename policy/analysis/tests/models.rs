//! The analyses go through the model's declaration (`PolicyModel::grants`):
//! a plugged-in model that grants more than the rules gets its extra
//! grants checked, a model that declares nothing is refused, and every
//! declaration (built-in and plugged-in) bounds what the model's
//! `compute_av` really grants.

use std::path::PathBuf;

use policy_analysis::flow::FlowOptions;
use policy_analysis::model::Scope;
use policy_analysis::query::Query;
use policy_analysis::{ModelGrants, Refusal};
use rampart_policy::model::te::te_av;
use rampart_policy::{
    AccessDecision, CatSet, Context, ExtraGrant, Grants, Level, MlsRange, ModelRegistry, Policy, PolicyDb, PolicyIndex,
    PolicyModel,
};

fn shipped(dirs: &[&str]) -> PolicyDb {
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../modules");
    let v: Vec<PathBuf> = dirs.iter().map(|d| m.join(d)).collect();
    policy_compiler::compile_files(&v).unwrap_or_else(|e| panic!("{e:?}")).db
}

/// A "remote support" back door: type enforcement, except that the web
/// server's domain may also read every file, whatever the rules say.
struct RemoteOverride;

const WHY: &str = "remote support reads any file as httpd_t";

fn override_target(db: &PolicyDb) -> Option<(u32, u16, u32)> {
    let file = db.class_id("file")?;
    Some((db.type_id("httpd_t")?, file, db.perm_bit(file, "read")?))
}

impl PolicyModel for RemoteOverride {
    fn name(&self) -> &str {
        "remote-override"
    }

    fn grants(&self, db: &PolicyDb) -> Grants {
        let Some((httpd, file, read)) = override_target(db) else { return Grants::SubsetOfRules };
        let every: Vec<u32> = (0..db.types.len() as u32).filter(|t| !db.types[*t as usize].attribute).collect();
        Grants::Extra(vec![ExtraGrant { src: vec![httpd], tgt: every, class: file, perms: read, reason: WHY.into() }])
    }

    fn compute_av(&self, p: &PolicyIndex, s: &Context, t: &Context, class: u16) -> AccessDecision {
        let mut d = te_av(p, s, t, class);
        if let Some((httpd, file, read)) = override_target(&p.db)
            && s.ty == httpd
            && class == file
        {
            d.allowed |= read;
        }
        d
    }
}

/// A model that never says what it grants (the trait's default).
struct Opaque;

impl PolicyModel for Opaque {
    fn name(&self) -> &str {
        "opaque"
    }

    fn compute_av(&self, p: &PolicyIndex, s: &Context, t: &Context, class: u16) -> AccessDecision {
        te_av(p, s, t, class)
    }
}

fn registry() -> ModelRegistry {
    let mut r = ModelRegistry::builtin();
    r.register("remote-override", || Box::new(RemoteOverride));
    r.register("opaque", || Box::new(Opaque));
    r
}

/// The shipped TE policy and goals, run under `model`.
fn under(model: &str) -> PolicyDb {
    let mut db = shipped(&["base", "assertions", "te"]);
    db.model = model.into();
    db
}

#[test]
fn a_plugged_in_model_that_grants_more_is_refuted_with_a_counterexample() {
    // The rules alone satisfy every goal.
    let te = under("te");
    let g = ModelGrants::resolve(&te, &registry()).unwrap();
    assert!(policy_analysis::prove(&te, &g, &[], &FlowOptions::default()).iter().all(|o| o.proved()));

    // The same rules under the back-door model: the goals about secrets and
    // the web server are refuted, with the model's grant as the reason.
    let db = under("remote-override");
    let g = ModelGrants::resolve(&db, &registry()).unwrap();
    assert!(matches!(g.scope(), Scope::Extra(v) if v.len() == 1));
    let out = policy_analysis::prove(&db, &g, &[], &FlowOptions::default());
    let failed: Vec<&str> = out.iter().filter(|o| !o.proved()).map(|o| o.claim.as_str()).collect();
    assert_eq!(
        failed,
        [
            "neverallow domain secret_t : file { read getattr execute };",
            "neverallow httpd_t ~httpd_content_t : file read;",
            "noflow secret_t -> httpd_t except object_manager",
            "noflow secret_t -> user_t except object_manager",
        ]
    );
    let cx = |claim: &str| out.iter().find(|o| o.claim.starts_with(claim)).unwrap().counterexample.clone().unwrap();
    let never = cx("neverallow domain secret_t");
    assert!(never.contains("    httpd_t -> secret_t : file { read }\n"), "{never}");
    assert!(never.ends_with(&format!("by: model remote-override grants read beyond the rules: {WHY}")), "{never}");
    let flow = cx("noflow secret_t -> httpd_t");
    assert_eq!(
        flow,
        format!(
            "secret_t -> httpd_t\n    secret_t -> httpd_t: httpd_t reads secret_t via file read\n        \
             model remote-override grants read beyond the rules: {WHY}\n"
        )
    );

    // The counterexample is real: the engine, running the model, grants it.
    let p = Policy::from_db(db.clone(), &registry()).unwrap();
    let (mut p, file) = (p, rampart_policy::ClassId(db.class_id("file").unwrap()));
    let httpd = p.context_to_sid("system_u:system_r:httpd_t").unwrap();
    let secret = p.context_to_sid("system_u:object_r:secret_t").unwrap();
    let read = p.perms(file, &["read"]).unwrap();
    assert_eq!(p.compute_av(httpd, secret, file).unwrap().allowed & read, read);

    // `check` alone and the query notes see the same grant.
    let v = policy_analysis::check(&db, &g);
    assert_eq!(v.len(), 2, "{v:#?}");
    let q = Query { source: Some("httpd_t".into()), target: Some("secret_t".into()), ..Query::default() };
    assert!(policy_analysis::query(&db, &q).unwrap().is_empty(), "no rule grants it");
    let notes = policy_analysis::query::model_notes(&db, &g, &q).unwrap();
    assert_eq!(notes, [format!("model remote-override grants httpd_t * : file read beyond the rules: {WHY}")]);
}

#[test]
fn a_model_that_does_not_declare_is_refused() {
    let r = ModelGrants::resolve(&under("opaque"), &registry()).unwrap_err();
    assert_eq!(r, Refusal::Undeclared { model: "opaque".into() });
    assert!(r.to_string().starts_with("model `opaque` does not declare what it may grant"), "{r}");
    // A model the analyser cannot even instantiate (a binary policy from a
    // newer loader, say) is refused too, naming it.
    let r = ModelGrants::builtin(&under("chinese-wall")).unwrap_err();
    assert!(matches!(&r, Refusal::UnknownModel { model, known } if model == "chinese-wall" && known.len() == 4));
    assert!(r.to_string().contains("model `chinese-wall` is not one this analyser knows"), "{r}");
    // So is a declaration naming types the policy lacks (ignoring it would
    // drop grants).
    struct Sloppy;
    impl PolicyModel for Sloppy {
        fn name(&self) -> &str {
            "sloppy"
        }
        fn grants(&self, _db: &PolicyDb) -> Grants {
            Grants::Extra(vec![ExtraGrant { src: vec![9999], tgt: vec![0], class: 1, perms: 1, reason: "x".into() }])
        }
        fn compute_av(&self, p: &PolicyIndex, s: &Context, t: &Context, class: u16) -> AccessDecision {
            te_av(p, s, t, class)
        }
    }
    let r = ModelGrants::of(&under("sloppy"), &Sloppy).unwrap_err();
    assert!(matches!(r, Refusal::BadDeclaration { .. }), "{r}");
    // The built-in models all declare.
    for (m, scope) in
        [("te", Scope::Rules), ("mls", Scope::Rules), ("biba", Scope::Rules), ("allow-all", Scope::Everything)]
    {
        assert_eq!(*ModelGrants::builtin(&under(m)).unwrap().scope(), scope, "{m}");
    }
}

/// Level pairs to try, from the lowest and the highest level of the lattice.
fn ranges(db: &PolicyDb) -> Vec<(Option<MlsRange>, Option<MlsRange>)> {
    let Some(m) = &db.mls else { return vec![(None, None)] };
    let low = Level { sens: 0, cats: CatSet::new() };
    // Equal levels (the lattice rules allow both ways), then each direction.
    let mut cats = CatSet::new();
    (0..m.categories.len() as u16).for_each(|c| cats.insert(c));
    let high = Level { sens: m.sensitivities.len() as u16 - 1, cats };
    let (l, h) = (MlsRange::single(low.clone()), MlsRange::single(high.clone()));
    vec![(Some(l.clone()), Some(l.clone())), (Some(l.clone()), Some(h.clone())), (Some(h), Some(l))]
}

#[test]
fn every_declaration_bounds_what_the_model_grants() {
    let variants = [
        ("te", shipped(&["base", "assertions", "te"])),
        ("mls", shipped(&["base", "assertions", "mls"])),
        ("biba", shipped(&["base", "assertions", "biba"])),
        ("allow-all", shipped(&["base", "allow-all"])),
        ("remote-override", under("remote-override")),
    ];
    let reg = registry();
    for (name, db) in variants {
        let g = ModelGrants::resolve(&db, &reg).unwrap();
        let model = reg.create(name).unwrap();
        let types: Vec<u32> = (0..db.types.len() as u32).filter(|t| !db.types[*t as usize].attribute).collect();
        let classes = 1..=db.classes.len() as u16;
        let mut bound = std::collections::HashMap::new();
        for &s in &types {
            for &t in &types {
                for c in classes.clone() {
                    bound.insert((s, t, c), g.may_grant(&db, s, t, c));
                }
            }
        }
        let mut idx = PolicyIndex::new(db.clone());
        let (roles, ranges) = (db.roles.len() as u32, ranges(&db));
        let mut granted = 0u64;
        for setting in 0..1u32 << db.bools.len() {
            for (i, b) in db.bools.iter().enumerate() {
                idx.set_bool(&b.name, setting & (1 << i) != 0).unwrap();
            }
            for &s in &types {
                for &t in &types {
                    for (k, (sr, tr)) in ranges.iter().enumerate() {
                        let (sc, tc) = (
                            Context { user: 0, role: k as u32 % roles, ty: s, range: sr.clone() },
                            Context { user: 0, role: 0, ty: t, range: tr.clone() },
                        );
                        for c in classes.clone() {
                            let a = model.compute_av(&idx, &sc, &tc, c).allowed;
                            let extra = a & !bound[&(s, t, c)];
                            assert_eq!(
                                extra,
                                0,
                                "{name}: {} -> {} : {} {:?} granted beyond the declaration",
                                db.type_name(s),
                                db.type_name(t),
                                db.class(c).unwrap().name,
                                db.perm_names(c, extra)
                            );
                            granted += u64::from(a.count_ones());
                        }
                    }
                }
            }
        }
        assert!(granted > 0, "{name}: the check is not vacuous");
    }
}
