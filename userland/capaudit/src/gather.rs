//! Gathering the audit's inputs: the kernel's capability-graph dump (into
//! the frame init gave us, mapped with rm's `DeviceMap`) and rm's task list.

use alloc::string::String;
use alloc::vec::Vec;
use rampart_abi::audit::AuditEntry;
use rampart_capaudit::dump::{Dump, parse};
use rampart_rm_api::{Pid, Request, Response, TaskEntry};
use rampart_rt::audit::{ENTRIES_PER_FRAME, read_entry};
use rampart_rt::cap::{Audit, Frame};
use rampart_rt::cpu::rdtsc;
use rampart_rt::dprintln;

/// Most dump calls for one dump (a bound against a cursor that never ends).
const MAX_CALLS: u32 = 100_000;
/// Most dumps taken until two consecutive ones agree.
const MAX_DUMPS: u32 = 8;

/// The capabilities and the mapping of the dump frame.
pub struct Gatherer {
    audit: Audit,
    frame: Frame,
    vaddr: u64,
}

impl Gatherer {
    /// Finds the named capabilities and maps the dump frame.
    ///
    /// # Errors
    /// A missing capability or a refused mapping.
    pub fn new() -> Result<Gatherer, String> {
        let cap = |n: &str| rampart_rt::startup::named_cap(n).ok_or(alloc::format!("no capability named {n}"));
        let (audit, frame) = (Audit(cap("audit")?), Frame(cap("audit-frame")?));
        // rm maps a copy of the frame capability; ours stays for the dumps.
        // init grants us device authority right after spawning us (we run
        // at the lowest priority, so normally before we get here).
        let mut tries = 0;
        let region = loop {
            match rampart_rt::rm::device_map(None, 1, 0, frame.0) {
                Err(rampart_uabi::Errno::EPERM) if tries < 1000 => {
                    tries += 1;
                    rampart_rt::ipc::yield_now();
                }
                r => break r.map_err(|e| alloc::format!("mapping the dump frame: {e}"))?,
            }
        };
        Ok(Gatherer { audit, frame, vaddr: region.vaddr })
    }

    /// Waits (yielding: we run only when everybody else is blocked) until
    /// a task named `name` (or `.../name`) runs, for at most `seconds`.
    ///
    /// # Errors
    /// The timeout, or rm's refusal.
    pub fn wait_for(&mut self, name: &str, seconds: u64) -> Result<(), String> {
        if name.is_empty() {
            return Ok(());
        }
        let hz = rampart_rt::startup::header().map_or(0, |h| h.tsc_hz).max(1_000_000);
        let start = rdtsc();
        dprintln!("capaudit: waiting until {name} runs and the system is idle");
        loop {
            if tasks()?.iter().any(|t| t.name == name || t.name.rsplit('/').next() == Some(name)) {
                return Ok(());
            }
            if rdtsc().wrapping_sub(start) > seconds * hz {
                return Err(alloc::format!("{name} did not start within {seconds} s"));
            }
            rampart_rt::syscall::yield_now();
        }
    }

    /// One complete dump.
    fn dump(&self) -> Result<Vec<AuditEntry>, String> {
        let (mut cursor, mut out) = (0u64, Vec::new());
        for _ in 0..MAX_CALLS {
            let (next, n) = self.audit.dump_cap_graph(self.frame, cursor).map_err(|e| alloc::format!("dump: {e}"))?;
            let n = (n as usize).min(ENTRIES_PER_FRAME);
            out.extend((0..n).map(|i| read_entry(self.vaddr, i)));
            if next == 0 {
                return Ok(out);
            }
            if next <= cursor {
                return Err(alloc::format!("dump cursor went from {cursor} to {next}"));
            }
            cursor = next;
        }
        Err("the dump does not end".into())
    }

    /// Dumps until two consecutive dumps agree (nothing changed between
    /// the kernel calls of one dump), with the task list taken between them.
    /// Returns the parsed dump, the tasks and the number of dumps taken.
    ///
    /// # Errors
    /// A malformed dump, rm's refusal, or no two dumps agreeing.
    pub fn snapshot(&mut self) -> Result<(Dump, Vec<TaskEntry>, u32), String> {
        let mut before = self.dump()?;
        for n in 2..=MAX_DUMPS {
            let list = tasks()?;
            let after = self.dump()?;
            if after == before {
                let d = parse(&after).map_err(|e| alloc::format!("malformed dump: {e:?}"))?;
                return Ok((d, list, n));
            }
            if let Some(i) = (0..before.len().max(after.len())).find(|&i| before.get(i) != after.get(i)) {
                dprintln!("capaudit: the graph changed between two dumps (from record {i}); dumping again");
            }
            before = after;
        }
        Err(alloc::format!("no two of {MAX_DUMPS} consecutive dumps agreed"))
    }
}

/// rm's task list, every page.
///
/// # Errors
/// rm's refusal.
pub fn tasks() -> Result<Vec<TaskEntry>, String> {
    let (mut from, mut out): (Pid, Vec<TaskEntry>) = (0, Vec::new());
    for _ in 0..10_000 {
        match rampart_rt::rm::request(&Request::TaskList { from }) {
            Ok(Response::Tasks { tasks, next }) => {
                out.extend(tasks);
                match next {
                    Some(n) if n > from => from = n,
                    Some(_) => return Err("rm's task list does not advance".into()),
                    None => return Ok(out),
                }
            }
            Ok(Response::Err(e)) | Err(e) => return Err(alloc::format!("task list: {e}")),
            Ok(_) => return Err("task list: unexpected reply".into()),
        }
    }
    Err("rm's task list does not end".into())
}
