//! Deciding every edge: the policy's `service connect` rule first, then the
//! explicit list of trusted components, else a violation.

use crate::graph::{EdgeKind, Graph};
use crate::{Subject, domain_of};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_abi::{CapType, Rights};

/// What a trusted component may hold beyond what the policy grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustRule {
    /// Send rights on endpoints other tasks receive on (a custodian that
    /// keeps endpoints for others and never sends on them).
    Custodian,
    /// Receiving the faults of other tasks' threads (their fault handler).
    FaultHandler,
    /// The TCBs, CSpaces and VSpaces of other tasks (their builder); only of
    /// tasks in this domain if given.
    Builder(Option<&'static str>),
}

/// An entry of the trusted list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trust {
    /// What it may hold.
    pub rule: TrustRule,
    /// The trusted domain (type).
    pub domain: &'static str,
    /// Why (printed with every edge it justifies).
    pub reason: &'static str,
}

/// The trusted components: authority the running system needs that no
/// `service connect` rule can express. Everything else must be granted by
/// the loaded policy. Keep it short; docs/assurance.md §8 explains each.
pub const TRUSTED: &[Trust] = &[
    Trust {
        rule: TrustRule::Custodian,
        domain: "connsrv_t",
        reason: "the connection server keeps a send-only copy of every service endpoint to mint connections after the connect check",
    },
    Trust {
        rule: TrustRule::FaultHandler,
        domain: "init_t",
        reason: "init is the fault handler of rm and of the servers it supervises",
    },
    Trust { rule: TrustRule::Builder(None), domain: "rm_t", reason: "rm builds and destroys every task" },
    Trust { rule: TrustRule::Builder(Some("rm_t")), domain: "init_t", reason: "init built rm" },
];

/// The decision on one edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The policy grants `service connect`.
    Allowed,
    /// Not granted, but justified by this entry of the trusted list.
    Trusted(Trust),
    /// Neither granted nor justified.
    Violation,
    /// The policy could not be asked (the reason).
    Undecided(String),
}

/// Decisions on every edge of a graph.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// One verdict per [`Graph::edges`] entry, in order.
    pub edges: Vec<Verdict>,
    /// One verdict per [`Graph::control`] entry, in order.
    pub control: Vec<Verdict>,
    /// Decisions asked of the policy (distinct context pairs).
    pub queries: usize,
}

/// Counts of a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Channel edges.
    pub channels: usize,
    /// Fault edges.
    pub faults: usize,
    /// Channel and fault edges the policy allows.
    pub allowed: usize,
    /// Channel and fault edges justified by the trusted list.
    pub trusted: usize,
    /// Channel and fault edges that are violations.
    pub violations: usize,
    /// Edges the policy could not be asked about.
    pub undecided: usize,
    /// Control edges.
    pub control: usize,
    /// Control edges justified by the trusted list.
    pub control_trusted: usize,
    /// Control edges that are violations.
    pub control_violations: usize,
    /// Endpoints more than one task can receive on (each a violation,
    /// also counted in `violations`).
    pub shared_receive: usize,
}

impl Report {
    /// The counts.
    pub fn counts(&self, g: &Graph) -> Counts {
        let mut c = Counts::default();
        for (e, v) in g.edges.iter().zip(&self.edges) {
            match e.kind {
                EdgeKind::Channel => c.channels += 1,
                EdgeKind::Fault => c.faults += 1,
            }
            match v {
                Verdict::Allowed => c.allowed += 1,
                Verdict::Trusted(_) => c.trusted += 1,
                Verdict::Violation => c.violations += 1,
                Verdict::Undecided(_) => c.undecided += 1,
            }
        }
        c.shared_receive = g.shared.len();
        c.violations += c.shared_receive;
        c.control = g.control.len();
        for v in &self.control {
            match v {
                Verdict::Trusted(_) => c.control_trusted += 1,
                _ => c.control_violations += 1,
            }
        }
        c
    }

    /// Whether the system's authority is within the policy: no violation,
    /// nothing undecided, every thread attributed to a task.
    pub fn passed(&self, g: &Graph) -> bool {
        let c = self.counts(g);
        c.violations == 0 && c.undecided == 0 && c.control_violations == 0 && g.unidentified.is_empty()
    }

    /// The report as lines: one per edge (violations marked `VIOLATION`),
    /// then the summary line (`summary: ...`).
    pub fn lines(&self, g: &Graph) -> Vec<String> {
        let mut out = Vec::new();
        for (e, v) in g.edges.iter().zip(&self.edges) {
            let kind = match e.kind {
                EdgeKind::Channel => "channel",
                EdgeKind::Fault => "fault",
            };
            let badges: Vec<String> = e.badges.iter().map(|b| format!("{b:#x}")).collect();
            let what = format!(
                "{kind} {} -> {} endpoint {:#x} rights {} badges [{}] caps {}",
                who(&g.subjects[e.holder]),
                who(&g.subjects[e.receiver]),
                e.endpoint,
                rights(e.rights),
                badges.join(" "),
                e.caps
            );
            out.push(verdict_line(&what, v, "service connect"));
        }
        for (c, v) in g.control.iter().zip(&self.control) {
            let kinds: Vec<&str> = c.objects.iter().map(|t| object_name(*t)).collect();
            let what = format!(
                "control {} -> {} holds {}",
                who(&g.subjects[c.holder]),
                who(&g.subjects[c.target]),
                kinds.join(" ")
            );
            out.push(verdict_line(&what, v, "no policy rule"));
        }
        for sh in &g.shared {
            let who: Vec<String> = sh.receivers.iter().map(|&r| who(&g.subjects[r])).collect();
            out.push(format!(
                "VIOLATION receive endpoint {:#x}: {} can all receive on it (each could take calls meant for another)",
                sh.endpoint,
                who.join(", ")
            ));
        }
        for t in &g.unidentified {
            out.push(format!("VIOLATION thread {t} belongs to no known task"));
        }
        let c = self.counts(g);
        out.push(format!(
            "summary: {} edges checked ({} channels, {} fault): {} allowed by policy, {} trusted, {} violations, {} undecided; \
             {} control edges: {} trusted, {} violations; {} tasks, {} unidentified threads, {} capabilities, {} endpoints \
             ({} without a receiver), {} notification capabilities (not checked), {} policy queries",
            c.channels + c.faults,
            c.channels,
            c.faults,
            c.allowed,
            c.trusted,
            c.violations,
            c.undecided,
            c.control,
            c.control_trusted,
            c.control_violations,
            g.subjects.len() - g.unidentified.len(),
            g.unidentified.len(),
            g.caps,
            g.endpoints,
            g.without_receiver,
            g.notifications,
            self.queries
        ));
        out
    }
}

fn verdict_line(what: &str, v: &Verdict, rule: &str) -> String {
    match v {
        Verdict::Allowed => format!("ok   {what}: allowed by the policy"),
        Verdict::Trusted(t) => format!("ok   {what}: trusted ({}: {})", t.domain, t.reason),
        Verdict::Violation => format!("VIOLATION {what}: {rule} not granted and no trusted component"),
        Verdict::Undecided(r) => format!("VIOLATION {what}: undecided ({r})"),
    }
}

fn who(s: &Subject) -> String {
    if s.pid == u32::MAX {
        return s.name.clone();
    }
    format!("{}[{}]({})", s.name, s.pid, s.context)
}

fn object_name(t: CapType) -> &'static str {
    match t {
        CapType::Tcb => "TCB",
        CapType::CNode => "CNode",
        CapType::VSpace => "VSpace",
        _ => "object",
    }
}

/// Rights as `W|R|G|GR`.
pub fn rights(r: u64) -> String {
    let names = [(Rights::WRITE.0, "W"), (Rights::READ.0, "R"), (Rights::GRANT.0, "G"), (Rights::GRANT_REPLY.0, "GR")];
    let v: Vec<&str> = names.iter().filter(|(b, _)| r & b != 0).map(|(_, n)| *n).collect();
    if v.is_empty() { "-".into() } else { v.join("|") }
}

fn trusted_edge(trusted: &[Trust], kind: EdgeKind, holder: &str, receiver: &str) -> Option<Trust> {
    let _ = receiver;
    trusted.iter().copied().find(|t| match (t.rule, kind) {
        (TrustRule::Custodian, EdgeKind::Channel) => t.domain == holder,
        (TrustRule::FaultHandler, EdgeKind::Fault) => t.domain == receiver,
        _ => false,
    })
}

fn trusted_control(trusted: &[Trust], holder: &str, target: &str) -> Option<Trust> {
    trusted.iter().copied().find(|t| match t.rule {
        TrustRule::Builder(of) => t.domain == holder && of.is_none_or(|d| d == target),
        _ => false,
    })
}

/// Decides every edge of `g`: `decide(holder context, receiver context)`
/// answers whether the policy grants `service connect` (asked once per
/// distinct pair; `Err` with a reason if it cannot answer); what it does
/// not grant is checked against `trusted`.
pub fn check(g: &Graph, trusted: &[Trust], decide: &mut dyn FnMut(&str, &str) -> Result<bool, String>) -> Report {
    let mut cache: BTreeMap<(String, String), Result<bool, String>> = BTreeMap::new();
    let mut r = Report::default();
    for e in &g.edges {
        let (h, v) = (&g.subjects[e.holder], &g.subjects[e.receiver]);
        if h.context.is_empty() || v.context.is_empty() {
            r.edges.push(Verdict::Undecided("a thread of no known task".into()));
            continue;
        }
        let key = (h.context.clone(), v.context.clone());
        let d = cache.entry(key).or_insert_with(|| decide(&h.context, &v.context)).clone();
        let verdict = match d {
            Ok(true) => Verdict::Allowed,
            Ok(false) => match trusted_edge(trusted, e.kind, domain_of(&h.context), domain_of(&v.context)) {
                Some(t) => Verdict::Trusted(t),
                None => Verdict::Violation,
            },
            Err(why) => Verdict::Undecided(why),
        };
        r.edges.push(verdict);
    }
    r.queries = cache.len();
    for c in &g.control {
        let (h, t) = (&g.subjects[c.holder], &g.subjects[c.target]);
        r.control.push(match trusted_control(trusted, h.domain(), t.domain()) {
            Some(t) => Verdict::Trusted(t),
            None => Verdict::Violation,
        });
    }
    r
}
