//! From a parsed dump and the task table to the authority between tasks:
//! channels, fault edges and control edges (see the crate documentation).

use crate::Subject;
use crate::dump::{Dump, Held, Where};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use rampart_abi::{CapType, Rights};

/// How one task can reach another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// The holder can send on an endpoint the receiver can receive on.
    Channel,
    /// The endpoint is a fault or timeout endpoint of the holder's thread.
    Fault,
}

/// One edge: `holder` → `receiver` through `endpoint`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Channel or fault edge.
    pub kind: EdgeKind,
    /// The sending side (index into [`Graph::subjects`]).
    pub holder: usize,
    /// The receiving side (index into [`Graph::subjects`]).
    pub receiver: usize,
    /// The endpoint's object id.
    pub endpoint: u64,
    /// Union of the rights of the holder's capabilities to it.
    pub rights: u64,
    /// Their badges (sorted, distinct).
    pub badges: Vec<u64>,
    /// How many capabilities the holder has to it.
    pub caps: u32,
}

/// Authority over another task's objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    /// The holder (index into [`Graph::subjects`]).
    pub holder: usize,
    /// The task controlled (index into [`Graph::subjects`]).
    pub target: usize,
    /// The kinds of the target's objects held: TCB, CNode, VSpace.
    pub objects: Vec<CapType>,
}

/// An endpoint more than one task can receive on: each could take calls
/// meant for the other (no policy rule or trusted entry allows it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shared {
    /// The endpoint's object id.
    pub endpoint: u64,
    /// The tasks holding a Read right on it (indices into
    /// [`Graph::subjects`]), sorted.
    pub receivers: Vec<usize>,
}

/// The authority between tasks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// The tasks: the known ones, then one placeholder (pid `u32::MAX`,
    /// empty context) per thread nobody could name.
    pub subjects: Vec<Subject>,
    /// Channels and fault edges, sorted by kind, holder, receiver, endpoint.
    pub edges: Vec<Edge>,
    /// Control edges, sorted by holder and target.
    pub control: Vec<Control>,
    /// Endpoints with receivers in more than one CSpace, sorted by endpoint.
    pub shared: Vec<Shared>,
    /// Thread ids the task table did not name.
    pub unidentified: Vec<u64>,
    /// Capabilities attributed (a CSpace shared by several tasks counts once
    /// per task).
    pub caps: usize,
    /// Distinct endpoints held.
    pub endpoints: usize,
    /// Endpoints somebody can send on but nobody else can receive on.
    pub without_receiver: usize,
    /// Capabilities to notifications (not checked: signals carry no data).
    pub notifications: usize,
}

/// Builds the graph of `dump` with `tasks` mapping thread ids to tasks.
pub fn build(dump: &Dump, tasks: &BTreeMap<u64, Subject>) -> Graph {
    let mut g = Graph::default();
    // Subjects: one per distinct (pid, context) named by `tasks`, then one
    // per unknown thread.
    let mut index: BTreeMap<u64, usize> = BTreeMap::new(); // thread id -> subject
    for t in &dump.threads {
        let i = match tasks.get(&t.id) {
            Some(s) => match g.subjects.iter().position(|x| x == s) {
                Some(i) => i,
                None => {
                    g.subjects.push(s.clone());
                    g.subjects.len() - 1
                }
            },
            None => {
                g.unidentified.push(t.id);
                g.subjects.push(Subject {
                    pid: u32::MAX,
                    name: alloc::format!("thread {}", t.id),
                    context: alloc::string::String::new(),
                });
                g.subjects.len() - 1
            }
        };
        index.insert(t.id, i);
    }
    let subject_of = |thread: usize| index[&dump.threads[thread].id];
    // Who holds each CSpace (several tasks if they share it).
    let mut cspace_holders: BTreeMap<u64, BTreeSet<usize>> = BTreeMap::new();
    for t in &dump.threads {
        if t.cspace != 0 {
            cspace_holders.entry(t.cspace).or_default().insert(index[&t.id]);
        }
    }
    // The owner of each TCB, CSpace root and VSpace.
    let mut owner: BTreeMap<(u64, u64), usize> = BTreeMap::new(); // (type, object)
    for t in &dump.threads {
        let s = index[&t.id];
        owner.insert((CapType::Tcb as u64, t.tcb), s);
        if t.cspace != 0 {
            owner.insert((CapType::CNode as u64, t.cspace), s);
        }
        if t.vspace != 0 {
            owner.insert((CapType::VSpace as u64, t.vspace), s);
        }
    }
    let roots: BTreeSet<u64> = cspace_holders.keys().copied().collect();

    // (subject, capability) pairs: capabilities in a CSpace belong to every
    // task using it; a nested CNode that is some task's CSpace root is that
    // task's (listed under it), so its slots are skipped here.
    let mut held: Vec<(usize, &Held)> = Vec::new();
    for c in &dump.caps {
        match c.at {
            Where::Fault | Where::Timeout => held.push((subject_of(c.thread), c)),
            Where::Nested(cn) if roots.contains(&cn) => {}
            Where::CSpace | Where::Nested(_) => {
                let cs = dump.threads[c.thread].cspace;
                match cspace_holders.get(&cs) {
                    Some(hs) => held.extend(hs.iter().map(|&h| (h, c))),
                    None => held.push((subject_of(c.thread), c)),
                }
            }
        }
    }
    g.caps = held.len();
    g.notifications = held.iter().filter(|(_, c)| c.cap_type == CapType::Notification).count();

    // Endpoints: who can receive, who can send, who has it as a fault endpoint.
    let mut receivers: BTreeMap<u64, BTreeSet<usize>> = BTreeMap::new();
    // The CSpaces a Read right to each endpoint is held in (tasks sharing
    // one CSpace are one principal).
    let mut receiving_cspaces: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    // (kind, holder, endpoint) -> (rights, badges, capabilities)
    type Senders = BTreeMap<(EdgeKind, usize, u64), (u64, BTreeSet<u64>, u32)>;
    let mut senders: Senders = BTreeMap::new();
    for &(s, c) in &held {
        if c.cap_type != CapType::Endpoint {
            continue;
        }
        let tcb_slot = matches!(c.at, Where::Fault | Where::Timeout);
        if !tcb_slot && c.rights & Rights::READ.0 != 0 {
            receivers.entry(c.object).or_default().insert(s);
            let cs = match c.at {
                Where::Nested(cn) => cn,
                _ => dump.threads[c.thread].cspace,
            };
            receiving_cspaces.entry(c.object).or_default().insert(cs);
        }
        let kind = if tcb_slot { EdgeKind::Fault } else { EdgeKind::Channel };
        if tcb_slot || c.rights & Rights::WRITE.0 != 0 {
            let e = senders.entry((kind, s, c.object)).or_insert((0, BTreeSet::new(), 0));
            e.0 |= c.rights;
            e.1.insert(c.badge);
            e.2 += 1;
        }
    }
    let endpoints: BTreeSet<u64> =
        held.iter().filter(|(_, c)| c.cap_type == CapType::Endpoint).map(|(_, c)| c.object).collect();
    g.endpoints = endpoints.len();
    let mut lonely = BTreeSet::new();
    for (&(kind, holder, ep), (rights, badges, caps)) in &senders {
        let rs: Vec<usize> =
            receivers.get(&ep).map_or(Vec::new(), |r| r.iter().copied().filter(|&r| r != holder).collect());
        if rs.is_empty() {
            lonely.insert(ep);
        }
        for receiver in rs {
            g.edges.push(Edge {
                kind,
                holder,
                receiver,
                endpoint: ep,
                rights: *rights,
                badges: badges.iter().copied().collect(),
                caps: *caps,
            });
        }
    }
    g.without_receiver = lonely.len();
    for (ep, spaces) in &receiving_cspaces {
        if spaces.len() > 1 {
            let receivers = receivers.get(ep).map_or(Vec::new(), |r| r.iter().copied().collect());
            g.shared.push(Shared { endpoint: *ep, receivers });
        }
    }
    g.edges.sort_by_key(|e| (e.kind, e.holder, e.receiver, e.endpoint));

    // Control edges.
    let mut control: BTreeMap<(usize, usize), Vec<CapType>> = BTreeMap::new();
    for &(s, c) in &held {
        if matches!(c.at, Where::Fault | Where::Timeout) {
            continue;
        }
        if let Some(&t) = owner.get(&(c.cap_type as u64, c.object))
            && t != s
        {
            let kinds = control.entry((s, t)).or_default();
            if !kinds.contains(&c.cap_type) {
                kinds.push(c.cap_type);
            }
        }
    }
    g.control = control.into_iter().map(|((holder, target), objects)| Control { holder, target, objects }).collect();
    g
}
