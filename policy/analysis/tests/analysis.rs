//! check, query, flow and prove on fixtures with known answers.

use std::path::PathBuf;

use policy_analysis::ModelGrants;
use policy_analysis::flow::{FlowGraph, FlowOptions};
use policy_analysis::query::{Query, QueryKind};
use rampart_policy::PolicyDb;

fn fixture(name: &str) -> PolicyDb {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests").join(name);
    policy_compiler::compile_files(&[p]).unwrap_or_else(|e| panic!("{e:?}")).db
}

/// What the policy's (built-in) model grants; every built-in model declares.
fn model(db: &PolicyDb) -> ModelGrants {
    ModelGrants::builtin(db).unwrap()
}

fn shipped(dirs: &[&str]) -> PolicyDb {
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../modules");
    let v: Vec<PathBuf> = dirs.iter().map(|d| m.join(d)).collect();
    policy_compiler::compile_files(&v).unwrap_or_else(|e| panic!("{e:?}")).db
}

#[test]
fn every_neverallow_violation_is_caught_with_positions() {
    let db = fixture("bad-neverallow.pol");
    let v = policy_analysis::check(&db, &model(&db));
    let got: Vec<(String, &str, &str, String)> = v
        .iter()
        .map(|x| {
            let n = &db.neverallows[x.neverallow];
            (db.origin_string(n.origin), x.source.as_str(), x.target.as_str(), x.perms.join(" "))
        })
        .collect();
    let f = db.files[0].clone();
    let at = |l: u32| format!("{f}:{l}:1");
    assert_eq!(
        got,
        [
            (at(16), "a_t", "x_t", "write".to_string()),
            (at(19), "b_t", "y_t", "execute".to_string()),
            (at(19), "c_t", "y_t", "execute".to_string()),
            (at(22), "c_t", "c_t", "signal".to_string()),
            (at(25), "b_t", "c_t", "read".to_string()),
        ]
    );
    // The offending rules are reported with their own positions.
    assert!(v[0].rule.ends_with(&format!("# {}", at(17))), "{}", v[0].rule);
    assert!(v[4].rule.contains("if (flag) [false]"), "{}", v[4].rule);
    assert!(v[4].rule.ends_with(&format!("{f}:29:5")), "{}", v[4].rule);
}

#[test]
fn shipped_policies_pass_check_and_allow_all_fails_it_honestly() {
    for v in ["te", "mls", "biba"] {
        let db = shipped(&["base", "assertions", v]);
        assert!(policy_analysis::check(&db, &model(&db)).is_empty(), "{v}");
        let outcomes = policy_analysis::prove(&db, &model(&db), &[], &FlowOptions::default());
        assert!(outcomes.iter().all(|o| o.proved()), "{v}: {:#?}", outcomes.iter().find(|o| !o.proved()));
        assert_eq!(outcomes.len(), db.neverallows.len() + db.assertions.len());
    }
    // allow-all grants everything, so the goals cannot hold under it.
    // The model's declaration (not its name) says so.
    let mut db = shipped(&["base", "allow-all"]);
    let goals = shipped(&["base", "assertions", "te"]);
    (db.neverallows, db.assertions) = (goals.neverallows, goals.assertions);
    let v = policy_analysis::check(&db, &model(&db));
    assert_eq!(v.len(), db.neverallows.len());
    assert_eq!(v[0].rule, "model allow-all grants every permission");
    let out = policy_analysis::prove(&db, &model(&db), &[], &FlowOptions::default());
    assert_eq!(out.len(), db.neverallows.len() + db.assertions.len());
    assert!(out.iter().all(|o| !o.proved()));
    let cx = out.last().unwrap().counterexample.as_deref().unwrap();
    assert!(cx.ends_with(": model allow-all grants every permission\n"), "{cx}");
    // The flow graph is complete.
    let m = model(&db);
    let n = db.types.iter().filter(|t| !t.attribute).count();
    assert_eq!(FlowGraph::build(&db, &m, &FlowOptions::default()).edge_count(), n * (n - 1));
}

#[test]
fn query_matches_through_attributes_unless_direct() {
    let db = shipped(&["base", "assertions", "te"]);
    let q = Query {
        source: Some("user_t".into()),
        target: Some("connsrv_t".into()),
        class: Some("service".into()),
        perms: vec!["connect".into()],
        ..Query::default()
    };
    let hits = policy_analysis::query(&db, &q).unwrap();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].starts_with("allow domain connsrv_t : service connect;  # "), "{}", hits[0]);
    assert!(policy_analysis::query(&db, &Query { direct: true, ..q.clone() }).unwrap().is_empty());
    let tt = Query { source: Some("sysadm_t".into()), kinds: vec![QueryKind::TypeTransition], ..Query::default() };
    let hits = policy_analysis::query(&db, &tt).unwrap();
    assert!(
        hits.iter().any(|h| h.starts_with("type_transition sysadm_t etc_t : file secret_t \"shadow\";")),
        "{hits:?}"
    );
    let never = Query {
        source: Some("httpd_t".into()),
        kinds: vec![QueryKind::NeverAllow],
        class: Some("tcp_socket".into()),
        ..Query::default()
    };
    assert_eq!(policy_analysis::query(&db, &never).unwrap().len(), 1);
    let bad = Query { source: Some("nosuch_t".into()), ..Query::default() };
    assert!(policy_analysis::query(&db, &bad).is_err());
}

fn ids(db: &PolicyDb, names: &[&str]) -> Vec<u32> {
    names.iter().map(|n| db.type_id(n).unwrap()).collect()
}

#[test]
fn flow_paths_have_known_answers() {
    let db = fixture("flow.pol");
    let m = model(&db);
    let t = |n: &str| db.type_id(n).unwrap();
    let g = FlowGraph::build(&db, &m, &FlowOptions::default());
    assert_eq!(g.edge_count(), 6);
    assert_eq!(g.shortest_path(&[t("a_t")], &[t("c_t")], &[]), Some(ids(&db, &["a_t", "c_t"])));
    assert_eq!(g.shortest_path(&[t("c_t")], &[t("a_t")], &[]), None, "flows are directed");
    assert_eq!(g.shortest_path(&[t("a_t")], &[t("d_t")], &[]), None);
    let all = g.all_paths(t("a_t"), t("c_t"), 10, 10, &[]);
    assert_eq!(all, [ids(&db, &["a_t", "c_t"]), ids(&db, &["a_t", "f_t", "b_t", "g_t", "c_t"])]);
    assert_eq!(g.all_paths(t("a_t"), t("c_t"), 3, 10, &[]).len(), 1, "length bound");
    assert_eq!(g.all_paths(t("a_t"), t("c_t"), 10, 10, &[t("b_t")]).len(), 1, "exclusion");
    // Heavier threshold drops the signal (weight 3).
    let heavy = FlowGraph::build(&db, &m, &FlowOptions { min_weight: 5, ..FlowOptions::default() });
    assert_eq!(
        heavy.shortest_path(&[t("a_t")], &[t("c_t")], &[]),
        Some(ids(&db, &["a_t", "f_t", "b_t", "g_t", "c_t"]))
    );
    // A permission-map override removes the flow of `write`.
    let o =
        policy_analysis::permmap::parse(&db, "# no data through files\nfile write none\nprocess * none 1\n").unwrap();
    let g2 = FlowGraph::build(&db, &m, &FlowOptions { min_weight: 1, overrides: o });
    assert_eq!(g2.shortest_path(&[t("a_t")], &[t("c_t")], &[]), None);
    assert!(policy_analysis::permmap::parse(&db, "file frobnicate read").is_err());
    assert!(policy_analysis::permmap::parse(&db, "file read read 11").is_err());
    let text = g.explain_path(&ids(&db, &["a_t", "f_t"]));
    assert!(text.contains("a_t writes f_t via file write"), "{text}");
}

#[test]
fn prove_finds_counterexamples_and_proves_the_rest() {
    let db = fixture("flow.pol");
    let extra = [
        policy_analysis::prove::noflow(&db, "c_t", "a_t", &[]).unwrap(),
        policy_analysis::prove::noflow(&db, "a_t", "c_t", &["f_t".into()]).unwrap(),
    ];
    let out = policy_analysis::prove(&db, &model(&db), &extra, &FlowOptions::default());
    let verdicts: Vec<(&str, bool)> = out.iter().map(|o| (o.claim.as_str(), o.proved())).collect();
    assert_eq!(
        verdicts,
        [
            ("noflow a_t -> d_t", true),
            ("noflow a_t -> c_t", false),
            ("noflow s_t -> d_t except d_t", false),
            ("noflow c_t -> a_t", true),
            ("noflow a_t -> c_t except f_t", false),
        ]
    );
    let cx = out[1].counterexample.as_deref().unwrap();
    assert!(cx.starts_with("a_t -> c_t\n"), "shortest counterexample: {cx}");
    assert!(cx.contains("a_t writes c_t via process signal"), "{cx}");
    // Endpoints are never excluded: s_t -> d_t is a direct read by d_t.
    assert!(out[2].counterexample.as_deref().unwrap().starts_with("s_t -> d_t"));
    // With the heavy map the signal no longer counts and f_t is excluded: proved.
    let heavy = FlowOptions { min_weight: 5, ..FlowOptions::default() };
    let out = policy_analysis::prove(&db, &model(&db), &extra[1..], &heavy);
    assert!(out.last().unwrap().proved());
    assert!(policy_analysis::prove::noflow(&db, "nosuch", "a_t", &[]).is_err());
}
