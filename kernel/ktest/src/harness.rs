//! The test harness: the environment every test gets, failure reasons,
//! assertion macros, per-test resource reclamation and shared helpers.
//!
//! Every test runs with a fresh untyped of `2^TEST_UT_BITS` bytes carved
//! from the largest boot untyped; its objects come from there and its slots
//! from the root CNode's free region. Afterwards the harness revokes and
//! deletes that untyped (destroying every object and thread the test made),
//! deletes every slot the test used (copies of boot capabilities, e.g. image
//! frames), rewinds the slot allocator and checks the kernel's invariants.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::bootinfo::{BootInfo, slot};
use rampart_abi::fault::FaultLabel;
use rampart_abi::{Error, MessageInfo, ObjectType};
use rampart_rt::alloc::{Allocator, ROOT_DEPTH};
use rampart_rt::cap::{CNode, Endpoint, Reply, Untyped};
use rampart_rt::ipc;
use rampart_rt::spawn::{self, Options, Parent, Thread};

/// Priority of the test task; children run above, at or below it.
pub const ROOT_PRIO: u64 = 100;
/// log2 of the per-test untyped size.
pub const TEST_UT_BITS: u64 = 23;

/// Why a test failed: a short message in a fixed buffer.
pub struct Reason {
    buf: [u8; 240],
    len: usize,
}

impl Reason {
    /// Formats a reason (truncated to the buffer).
    pub fn new(args: fmt::Arguments) -> Reason {
        let mut r = Reason { buf: [0; 240], len: 0 };
        let _ = r.write_fmt(args);
        r
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("(reason not UTF-8)")
    }
}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Write for Reason {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                break;
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

/// Result of a test.
pub type TestResult = Result<(), Reason>;

/// One test: a name and a function.
pub struct Test {
    /// Printed name.
    pub name: &'static str,
    /// The test body.
    pub run: fn(&mut Env) -> TestResult,
}

/// Declares a [`Test`] from a function name.
#[macro_export]
macro_rules! test {
    ($f:ident) => {
        $crate::harness::Test { name: stringify!($f), run: $f }
    };
}

/// Fails the test with a formatted reason.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::harness::Reason::new(format_args!($($arg)*)))
    };
}

/// Fails the test unless `cond` holds.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::fail!($($arg)*);
        }
    };
}

/// Fails the test unless `a == b`.
#[macro_export]
macro_rules! check_eq {
    ($a:expr, $b:expr, $what:expr) => {{
        let (a, b) = ($a, $b);
        if a != b {
            $crate::fail!("{}: got {:?}, expected {:?}", $what, a, b);
        }
    }};
}

/// Unwraps a `Result<T, Error>`, failing the test with the expression and
/// the error.
#[macro_export]
macro_rules! ok {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => $crate::fail!("{} failed: {:?}", stringify!($e), err),
        }
    };
}

/// Fails the test unless the expression returns `Err($err)`.
#[macro_export]
macro_rules! expect_err {
    ($e:expr, $err:expr) => {
        match ($e).map(|_| ()) {
            Err(got) if got == $err => {}
            other => $crate::fail!("{}: expected Err({:?}), got {:?}", stringify!($e), $err, other),
        }
    };
}

/// Everything a test may use.
pub struct Env {
    /// The boot information.
    pub bi: &'static BootInfo,
    /// Slots and objects (from this test's untyped).
    pub a: Allocator,
    /// The root task's capabilities, for spawning.
    pub parent: Parent,
    /// The boot untyped per-test untypeds are carved from.
    pub pool: Untyped,
    /// Physical address of `pool`.
    pub pool_paddr: u64,
    /// log2 size of `pool`.
    pub pool_bits: u64,
    /// Slot of this test's untyped.
    pub test_ut: u64,
    /// Invocations for the random stress test.
    pub stress_n: u64,
    /// Attacker invocations of the fuzzer.
    pub fuzz_n: u64,
    /// Seed of the random stress test and the fuzzer.
    pub seed: u64,
}

/// The root CNode.
pub const ROOT: CNode = CNode(slot::CNODE);

impl Env {
    /// Prepares a fresh untyped for the next test.
    ///
    /// # Errors
    /// If the untyped cannot be created.
    pub fn begin(&mut self) -> Result<u64, Error> {
        let mark = self.a.mark();
        let s = self.a.slot()?;
        let bits = TEST_UT_BITS.min(self.pool_bits);
        if let Err(e) = self.pool.retype(ObjectType::Untyped, bits, ROOT, slot::CNODE, ROOT_DEPTH, s, 1) {
            self.a.reset_to(mark);
            return Err(e);
        }
        self.test_ut = s;
        self.a.set_untyped(Untyped(s));
        Ok(mark)
    }

    /// Destroys everything the test made and rewinds the slot allocator to
    /// `mark`. Returns a description of the first cleanup problem.
    pub fn end(&mut self, mark: u64) -> Result<(), Reason> {
        let mut first: Option<Reason> = None;
        if let Err(e) = ROOT.revoke(self.test_ut, ROOT_DEPTH) {
            first.get_or_insert(Reason::new(format_args!("cleanup: revoking the test untyped: {e:?}")));
        }
        for s in (mark..self.a.mark()).rev() {
            if let Err(e) = ROOT.delete(s, ROOT_DEPTH) {
                first.get_or_insert(Reason::new(format_args!("cleanup: deleting slot {s}: {e:?}")));
            }
        }
        self.a.reset_to(mark);
        let inv = ipc::check_invariants();
        if inv != 0 {
            first.get_or_insert(Reason::new(format_args!("kernel invariant violated after the test: code {inv}")));
        }
        match first {
            Some(r) => Err(r),
            None => Ok(()),
        }
    }

    /// Spawns `f(arg)` with `opts` from this test's untyped.
    ///
    /// # Errors
    /// The failing invocation, as a reason.
    pub fn spawn(&mut self, f: fn(u64) -> u64, arg: u64, opts: &Options) -> Result<Thread, Reason> {
        spawn::spawn(&mut self.a, &self.parent, f, arg, opts)
            .map_err(|e| Reason::new(format_args!("spawning a thread: {e:?}")))
    }
}

/// Yields until `cond` holds, at most `max` times; true if it held. Only
/// threads at the test task's priority run while it yields.
pub fn wait_until(max: u32, mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..max {
        if cond() {
            return true;
        }
        ipc::yield_now();
    }
    cond()
}

/// Yields until thread `t` has finished (bounded); true if it did.
pub fn wait_done(t: &Thread) -> bool {
    wait_until(10_000, || t.done())
}

/// Reads a word at `addr`.
pub fn peek(addr: u64) -> u64 {
    // SAFETY: tests only peek at pages they mapped readable in this
    // address space (or, in a child thread, at addresses whose fault the
    // test handles); the value is plain data.
    unsafe { (addr as *const u64).read_volatile() }
}

/// Writes a word at `addr`.
pub fn poke(addr: u64, v: u64) {
    // SAFETY: as `peek`; tests only write to pages they mapped writable for
    // this purpose (or deliberately fault in a child thread).
    unsafe { (addr as *mut u64).write_volatile(v) }
}

/// Outcome of touching an address from a separate thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The access worked (the value read, or 0 for a write).
    Value(u64),
    /// It faulted: the faulting address and x86 page-fault error code.
    Fault {
        /// Faulting address (VmFault MR1).
        addr: u64,
        /// Page-fault error code (VmFault MR3).
        code: u64,
    },
}

static PROBE_ADDR: AtomicU64 = AtomicU64::new(0);
static PROBE_WRITE: AtomicU64 = AtomicU64::new(0);
static PROBE_VALUE: AtomicU64 = AtomicU64::new(0);

fn probe_entry(_: u64) -> u64 {
    let addr = PROBE_ADDR.load(SeqCst);
    if PROBE_WRITE.load(SeqCst) != 0 {
        poke(addr, PROBE_VALUE.load(SeqCst));
        0
    } else {
        peek(addr)
    }
}

/// Reads (`write` = None) or writes `addr` from a thread in the test
/// task's address space whose faults come to the test: returns what
/// happened. A faulting probe thread is left stopped.
///
/// # Errors
/// If the probe thread cannot be created or neither finishes nor faults.
pub fn probe(env: &mut Env, addr: u64, write: Option<u64>) -> Result<Probe, Reason> {
    let ep: Endpoint = ok!(env.a.endpoint());
    let reply: Reply = ok!(env.a.reply());
    PROBE_ADDR.store(addr, SeqCst);
    PROBE_WRITE.store(write.is_some() as u64, SeqCst);
    PROBE_VALUE.store(write.unwrap_or(0), SeqCst);
    let mut o = Options::new(ROOT_PRIO + 1);
    o.fault_ep = ep;
    let t = env.spawn(probe_entry, 0, &o)?;
    for _ in 0..1000 {
        if t.done() {
            return Ok(Probe::Value(t.result()));
        }
        let r = ipc::nb_recv(ep, reply.0);
        if r.info.label() == FaultLabel::VmFault as u64 {
            // A non-zero reply label leaves the thread stopped.
            ipc::reply(reply, MessageInfo::new(1, 0, 0, 0), [0; 4]);
            return Ok(Probe::Fault { addr: r.mrs[1], code: r.mrs[3] });
        }
        if r.info.label() != 0 {
            fail!("probe thread sent unexpected fault label {}", r.info.label());
        }
        ipc::yield_now();
    }
    fail!("probe thread neither finished nor faulted")
}

/// A fresh endpoint and reply object for receiving faults or calls.
///
/// # Errors
/// If they cannot be created.
pub fn ep_and_reply(env: &mut Env) -> Result<(Endpoint, Reply), Reason> {
    Ok((ok!(env.a.endpoint()), ok!(env.a.reply())))
}

/// Prints an informational line between test results.
pub fn note(args: fmt::Arguments) {
    rampart_rt::dprintln!("ktest:   {}", args);
}
