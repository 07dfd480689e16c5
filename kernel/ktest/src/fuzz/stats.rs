//! The fuzzer's counters and its report.
//!
//! Every thread of the fuzzer runs the same program image, whose `.data`
//! and `.bss` are shared between address spaces (docs/kernel-tests.md,
//! "Spawning threads"), so the counters are plain atomic statics: the
//! attackers, their children and the victim add to them, ktest reads them.
//! Each counter has one kind of writer; none is ever written with data an
//! attacker chose except the traces, which are only printed.

use crate::harness::note;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A zeroed counter array.
const fn zeros<const N: usize>() -> [AtomicU64; N] {
    [const { AtomicU64::new(0) }; N]
}

/// Operations the attackers performed (each enters the kernel at least once).
pub static OPS: AtomicU64 = AtomicU64::new(0);
/// System calls the attacker threads made (what the quota counts).
pub static INVOCATIONS: AtomicU64 = AtomicU64::new(0);
/// System calls the attackers' children made.
pub static CHILD_CALLS: AtomicU64 = AtomicU64::new(0);
/// Object invocations by label (index = label, 127 = anything above).
pub static BY_LABEL: [AtomicU64; 128] = zeros();
/// Kernel replies by label: 0 success, 1..=10 error codes, 11 IPC aborted,
/// 12 anything else.
pub static OUTCOME: [AtomicU64; 13] = zeros();
/// IPC system calls by number (index = `Syscall` number, 0..=9).
pub static BY_SYSCALL: [AtomicU64; 10] = zeros();
/// Calls to the victim that meet the fast path's message preconditions
/// (at most four words, no capabilities).
pub static FAST_ELIGIBLE: AtomicU64 = AtomicU64::new(0);
/// Calls to the victim by the attackers and their children.
pub static VICTIM_CALLS: AtomicU64 = AtomicU64::new(0);
/// Replies from the victim that checked out, calls aborted by the kernel
/// (`LABEL_IPC_ABORTED`), and replies with wrong contents.
pub static REPLIES_OK: AtomicU64 = AtomicU64::new(0);
/// See [`REPLIES_OK`].
pub static REPLIES_ABORTED: AtomicU64 = AtomicU64::new(0);
/// Requests the victim answered.
pub static ANSWERS: AtomicU64 = AtomicU64::new(0);
/// Requests on which the victim found non-null selectors (its caller's,
/// handed over by the IPC fast path; not a disturbance).
pub static SELECTORS_CARRIED: AtomicU64 = AtomicU64::new(0);
/// Faults of attacker threads delivered to ktest: by vector 0..=31, 32 page
/// faults, 33 anything else.
pub static FAULTS: [AtomicU64; 34] = zeros();
/// Segment-register, TLS and instruction games played, by game.
pub static GAMES: [AtomicU64; 16] = zeros();
/// Child threads the spawner started.
pub static CHILDREN: AtomicU64 = AtomicU64::new(0);
/// Invariant checks made and failed; the first failure's code.
pub static INV_CHECKS: AtomicU64 = AtomicU64::new(0);
/// See [`INV_CHECKS`].
pub static INV_FAILS: AtomicU64 = AtomicU64::new(0);
/// See [`INV_CHECKS`].
pub static INV_FIRST: AtomicU64 = AtomicU64::new(0);
/// Rounds run, rounds ended because every fuzzing thread was stuck, times
/// a stuck victim was given a scheduling context, victim restarts.
pub static ROUNDS: AtomicU64 = AtomicU64::new(0);
/// See [`ROUNDS`].
pub static STALLS: AtomicU64 = AtomicU64::new(0);
/// See [`ROUNDS`].
pub static RESCUES: AtomicU64 = AtomicU64::new(0);
/// See [`ROUNDS`].
pub static VICTIM_RESTARTS: AtomicU64 = AtomicU64::new(0);
/// Times ktest reset the attackers because nothing moved.
pub static RESETS: AtomicU64 = AtomicU64::new(0);

/// Kinds of victim disturbance (names in [`DISTURBANCE_NAMES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Disturbance {
    /// `fs:[0]` is not the victim's thread block (wrong FS base).
    FsBase = 0,
    /// FS was not null after a switch by the scheduler.
    FsSelector = 1,
    /// GS was not null after a switch by the scheduler.
    GsSelector = 2,
    /// DS was not null after a switch by the scheduler.
    DsSelector = 3,
    /// ES was not null after a switch by the scheduler.
    EsSelector = 4,
    /// A callee-saved register or xmm15 changed across a system call.
    Registers = 5,
    /// MXCSR or the x87 control word changed.
    FpuControl = 6,
    /// RFLAGS came back with DF, AC or TF set.
    Flags = 7,
    /// The victim's stack canary changed.
    Stack = 8,
    /// The victim's data page (an attacker holds a read-only capability to
    /// it) changed.
    DataPage = 9,
    /// The victim's thread block changed.
    ThreadBlock = 10,
    /// A request arrived with a badge the victim never handed out, or
    /// carried capabilities although no capability had the Grant right.
    Message = 11,
    /// The victim took a fault (reported to ktest).
    Fault = 12,
    /// A caller got a reply with wrong contents.
    Reply = 13,
}

/// Number of [`Disturbance`] kinds.
pub const N_DISTURBANCES: usize = 14;
/// Names of the [`Disturbance`] kinds in reports.
pub const DISTURBANCE_NAMES: [&str; N_DISTURBANCES] = [
    "fs-base",
    "fs-selector",
    "gs-selector",
    "ds-selector",
    "es-selector",
    "registers",
    "fpu-control",
    "rflags",
    "stack",
    "data-page",
    "thread-block",
    "message",
    "victim-fault",
    "reply",
];

/// Disturbances by kind.
pub static DISTURB: [AtomicU64; N_DISTURBANCES] = zeros();
/// Kind + 1 of the first disturbance of the run (0: none yet).
pub static FIRST_KIND: AtomicU64 = AtomicU64::new(0);
/// The first disturbance of each kind: three detail words, the victim's
/// answer count and the round.
pub static FIRST: [[AtomicU64; 5]; N_DISTURBANCES] = [const { zeros() }; N_DISTURBANCES];
/// The TLS base each attacker thread last gave itself.
pub static LAST_TLS: [AtomicU64; 2] = zeros();

/// Kernel checks an attacker saw bypassed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Anomaly {
    /// An I/O port access outside the capability's range succeeded.
    IoPortRange = 0,
    /// A privileged instruction or `int n` ran without a fault.
    NoFault = 1,
    /// A write through a read-only mapping did not fault.
    ReadOnlyWrite = 2,
}

/// Number of [`Anomaly`] kinds.
pub const N_ANOMALIES: usize = 3;
const ANOMALY_NAMES: [&str; N_ANOMALIES] = ["ioport-range", "no-fault", "read-only-write"];
/// Anomalies by kind.
pub static ANOMALIES: [AtomicU64; N_ANOMALIES] = zeros();
/// The first anomaly: kind + 1, three detail words.
pub static ANOMALY_FIRST: [AtomicU64; 4] = zeros();

/// Length of each attacker thread's trace of recent operations.
pub const TRACE_LEN: usize = 12;
/// Words per trace entry: operation, cptr/target, two arguments, result.
pub const TRACE_WORDS: usize = 5;
/// Recent operations of attacker threads 0 and 1 (ring buffers).
pub static TRACE: [[[AtomicU64; TRACE_WORDS]; TRACE_LEN]; 2] =
    [const { [const { [const { AtomicU64::new(0) }; TRACE_WORDS] }; TRACE_LEN] }; 2];
/// Next trace entry per thread.
pub static TRACE_POS: [AtomicU64; 2] = zeros();
/// A copy of both traces, oldest first, and both threads' TLS bases.
pub struct Snapshot {
    trace: [[[AtomicU64; TRACE_WORDS]; TRACE_LEN]; 2],
    tls: [AtomicU64; 2],
}

/// Snapshots taken at the first disturbance of each kind.
pub static SNAPSHOT: [Snapshot; N_DISTURBANCES] =
    [const { Snapshot { trace: [const { [const { zeros() }; TRACE_LEN] }; 2], tls: zeros() } }; N_DISTURBANCES];

/// Adds one to `c`.
pub fn bump(c: &AtomicU64) {
    c.fetch_add(1, Relaxed);
}

/// Records operation `op` of attacker thread `id` in its trace.
pub fn trace(id: usize, op: u64, target: u64, a: u64, b: u64) {
    let id = id & 1;
    let pos = TRACE_POS[id].fetch_add(1, Relaxed) as usize % TRACE_LEN;
    for (w, v) in TRACE[id][pos].iter().zip([op, target, a, b, u64::MAX]) {
        w.store(v, Relaxed);
    }
}

/// Stores the result of thread `id`'s latest traced operation.
pub fn trace_result(id: usize, r: u64) {
    let id = id & 1;
    let pos = (TRACE_POS[id].load(Relaxed) as usize + TRACE_LEN - 1) % TRACE_LEN;
    TRACE[id][pos][4].store(r, Relaxed);
}

/// Records a disturbance of kind `k` with details; the first one of each
/// kind also snapshots the attackers' traces.
pub fn disturbed(k: Disturbance, d0: u64, d1: u64, d2: u64) {
    let k = k as usize;
    if DISTURB[k].fetch_add(1, Relaxed) != 0 {
        return;
    }
    if FIRST_KIND.load(Relaxed) == 0 {
        FIRST_KIND.store(k as u64 + 1, Relaxed);
    }
    for (w, v) in FIRST[k].iter().zip([d0, d1, d2, ANSWERS.load(Relaxed), ROUNDS.load(Relaxed)]) {
        w.store(v, Relaxed);
    }
    let snap = &SNAPSHOT[k];
    for id in 0..2 {
        let pos = TRACE_POS[id].load(Relaxed) as usize;
        for (i, entry) in snap.trace[id].iter().enumerate() {
            for (to, from) in entry.iter().zip(&TRACE[id][(pos + i) % TRACE_LEN]) {
                to.store(from.load(Relaxed), Relaxed);
            }
        }
        snap.tls[id].store(LAST_TLS[id].load(Relaxed), Relaxed);
    }
}

/// Records an anomaly of kind `k`.
pub fn anomaly(k: Anomaly, d0: u64, d1: u64, d2: u64) {
    if ANOMALIES[k as usize].fetch_add(1, Relaxed) == 0 && ANOMALY_FIRST[0].load(Relaxed) == 0 {
        for (w, v) in ANOMALY_FIRST.iter().zip([k as u64 + 1, d0, d1, d2]) {
            w.store(v, Relaxed);
        }
    }
}

/// Total disturbances.
pub fn disturbances() -> u64 {
    DISTURB.iter().map(|c| c.load(Relaxed)).sum()
}

/// Total anomalies.
pub fn anomalies() -> u64 {
    ANOMALIES.iter().map(|c| c.load(Relaxed)).sum()
}

/// Resets every counter (before a run).
pub fn reset() {
    let singles = [
        &OPS,
        &INVOCATIONS,
        &CHILD_CALLS,
        &FAST_ELIGIBLE,
        &VICTIM_CALLS,
        &REPLIES_OK,
        &REPLIES_ABORTED,
        &ANSWERS,
        &SELECTORS_CARRIED,
        &CHILDREN,
        &INV_CHECKS,
        &INV_FAILS,
        &INV_FIRST,
        &ROUNDS,
        &STALLS,
        &RESCUES,
        &VICTIM_RESTARTS,
        &RESETS,
        &FIRST_KIND,
    ];
    let arrays: [&[AtomicU64]; 9] =
        [&BY_LABEL, &OUTCOME, &BY_SYSCALL, &FAULTS, &GAMES, &DISTURB, &ANOMALIES, &ANOMALY_FIRST, &TRACE_POS];
    for c in singles.into_iter().chain(arrays.into_iter().flatten()).chain(FIRST.iter().flatten()) {
        c.store(0, Relaxed);
    }
}

/// Counts a kernel reply label in [`OUTCOME`].
pub fn outcome(label: u64) {
    let i = match label {
        0..=10 => label as usize,
        rampart_abi::msg::LABEL_IPC_ABORTED => 11,
        _ => 12,
    };
    bump(&OUTCOME[i]);
}

fn get(c: &AtomicU64) -> u64 {
    c.load(Relaxed)
}

/// Names of the operations recorded in traces (index = operation code).
pub const OP_NAMES: [&str; 16] = [
    "invoke",
    "call-victim",
    "ipc",
    "set-tls-base",
    "segment-game",
    "instruction-game",
    "sc",
    "cnode",
    "retype",
    "ipc-buffer",
    "ioport",
    "child",
    "fpu-game",
    "self",
    "restart",
    "finish",
];

/// Prints the `ktest:   fuzz: ...` report lines.
pub fn report(seed: u64) {
    note(format_args!(
        "fuzz: {} attacker invocations ({} operations) + {} child system calls (seed {:#x}) in {} rounds ({} ended stuck)",
        get(&INVOCATIONS),
        get(&OPS),
        get(&CHILD_CALLS),
        seed,
        get(&ROUNDS),
        get(&STALLS)
    ));
    let outc: [u64; 13] = core::array::from_fn(|i| get(&OUTCOME[i]));
    note(format_args!(
        "fuzz: outcomes: ok {}, errors by code 1..10 {:?}, ipc-aborted {}, other {}",
        outc[0],
        &outc[1..11],
        outc[11],
        outc[12]
    ));
    let mut line = Line::new();
    for (l, c) in BY_LABEL.iter().enumerate() {
        let n = get(c);
        if n != 0 {
            line.push(format_args!(" {l}:{n}"));
        }
    }
    note(format_args!("fuzz: invocations by label:{}", line.as_str()));
    let sys: [u64; 10] = core::array::from_fn(|i| get(&BY_SYSCALL[i]));
    note(format_args!("fuzz: ipc system calls by number 1..9: {:?}", &sys[1..]));
    note(format_args!(
        "fuzz: victim calls {} (fast-path eligible {}), replies ok {}, aborted {}; victim answers {} \
         ({} with a caller's selectors)",
        get(&VICTIM_CALLS),
        get(&FAST_ELIGIBLE),
        get(&REPLIES_OK),
        get(&REPLIES_ABORTED),
        get(&ANSWERS),
        get(&SELECTORS_CARRIED)
    ));
    let mut line = Line::new();
    for (v, c) in FAULTS.iter().enumerate() {
        let n = get(c);
        if n != 0 {
            match v {
                32 => line.push(format_args!(" page:{n}")),
                33 => line.push(format_args!(" other:{n}")),
                _ => line.push(format_args!(" v{v}:{n}")),
            }
        }
    }
    let faults: u64 = FAULTS.iter().map(get).sum();
    note(format_args!("fuzz: faults taken {} by kind:{}", faults, line.as_str()));
    let games: [u64; 16] = core::array::from_fn(|i| get(&GAMES[i]));
    note(format_args!(
        "fuzz: games {:?}, children started {}, victim restarts {}, victim rescues {}, attacker resets {}",
        games,
        get(&CHILDREN),
        get(&VICTIM_RESTARTS),
        get(&RESCUES),
        get(&RESETS)
    ));
    note(format_args!(
        "fuzz: invariant checks {}, failed {} (first code {})",
        get(&INV_CHECKS),
        get(&INV_FAILS),
        get(&INV_FIRST)
    ));
    let mut line = Line::new();
    for (k, c) in DISTURB.iter().enumerate() {
        let n = get(c);
        if n != 0 {
            line.push(format_args!(" {}:{n}", DISTURBANCE_NAMES[k]));
        }
    }
    note(format_args!("fuzz: victim disturbances {}{}", disturbances(), line.as_str()));
    for k in (0..N_DISTURBANCES).filter(|&k| get(&DISTURB[k]) != 0) {
        report_first(k);
    }
    let mut line = Line::new();
    for (k, c) in ANOMALIES.iter().enumerate() {
        let n = get(c);
        if n != 0 {
            line.push(format_args!(" {}:{n}", ANOMALY_NAMES[k]));
        }
    }
    note(format_args!("fuzz: kernel checks bypassed {}{}", anomalies(), line.as_str()));
    let a = get(&ANOMALY_FIRST[0]);
    if a != 0 {
        note(format_args!(
            "fuzz: first bypass: {} ({:#x}, {:#x}, {:#x})",
            ANOMALY_NAMES[(a - 1) as usize % N_ANOMALIES],
            get(&ANOMALY_FIRST[1]),
            get(&ANOMALY_FIRST[2]),
            get(&ANOMALY_FIRST[3])
        ));
    }
}

/// Prints the first disturbance of kind `k` and what the attackers did
/// just before.
fn report_first(k: usize) {
    let f: [u64; 5] = core::array::from_fn(|i| get(&FIRST[k][i]));
    let snap = &SNAPSHOT[k];
    note(format_args!(
        "fuzz: first {}: ({:#x}, {:#x}, {:#x}) in round {} at victim answer {}; TLS bases {:#x} {:#x}; then:",
        DISTURBANCE_NAMES[k],
        f[0],
        f[1],
        f[2],
        f[4],
        f[3],
        get(&snap.tls[0]),
        get(&snap.tls[1])
    ));
    for (id, t) in snap.trace.iter().enumerate() {
        for e in t.iter() {
            let w: [u64; TRACE_WORDS] = core::array::from_fn(|i| get(&e[i]));
            if w == [0; TRACE_WORDS] {
                continue;
            }
            note(format_args!(
                "fuzz:   thread {} {} {:#x} {:#x} {:#x} -> {:#x}",
                id,
                OP_NAMES[w[0] as usize % OP_NAMES.len()],
                w[1],
                w[2],
                w[3],
                w[4]
            ));
        }
    }
}

/// A report line being built (fixed buffer; longer text is cut).
struct Line {
    buf: [u8; 640],
    len: usize,
}

impl Line {
    const fn new() -> Line {
        Line { buf: [0; 640], len: 0 }
    }

    fn push(&mut self, args: core::fmt::Arguments) {
        let _ = core::fmt::Write::write_fmt(self, args);
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl core::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
