//! A test-only walker over the kernel's object graph: which objects are
//! live (named by a capability reachable from given roots), and whether
//! every kernel-internal pointer held by a live object names a live object
//! of the right type, with the back pointers agreeing.
//!
//! Checked ([`check_references`]): a thread's blocking object, reply
//! object, scheduling context, bound notification and queue neighbours; a
//! reply object's caller, receiver, the context it tops and its call-stack
//! neighbours; a scheduling context's thread and top reply object; a
//! notification's bound thread and waiters; an endpoint's queue; the
//! current thread and the interrupt table's notifications. Also: a
//! scheduling context is bound to at most one thread and `tcb.sc` and
//! `sc.tcb` agree; every thread's IPC buffer frame is writable.
//!
//! Enabled for the crate's tests and with feature `testing` (the model's
//! refinement tests run it after every step).

extern crate std;

use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::{EpRef, EpState, NtfnRef, NtfnState, ReplyRef, ScRef, TcbRef, ThreadState, tcb_slot};
use crate::slot::SlotRef;
use rampart_abi::{CapType, Rights};
use std::collections::BTreeMap;
use std::format;
use std::string::String;
use std::vec::Vec;

/// Live objects by physical address, with their type.
pub type Live = BTreeMap<u64, CapType>;

/// Every object named by a capability reachable from `roots` (slots) and
/// `tcbs` (threads known to exist without a capability, such as boot
/// threads): through CNode capabilities and TCB slots, transitively.
pub fn live_objects(roots: &[SlotRef], tcbs: &[TcbRef]) -> Live {
    let mut live = Live::new();
    let mut todo: Vec<SlotRef> = roots.to_vec();
    for &t in tcbs {
        live.insert(t.0, CapType::Tcb);
        todo.extend((0..tcb_slot::COUNT).map(|i| t.slot(i)));
    }
    while let Some(s) = todo.pop() {
        let c = s.cap();
        let p = c.paddr();
        let ty = c.cap_type();
        if p == 0 || matches!(ty, CapType::Null | CapType::Zombie | CapType::Untyped) {
            continue;
        }
        if live.insert(p, ty).is_some() {
            continue;
        }
        match ty {
            CapType::CNode => todo.extend((0..1u64 << c.size_bits()).map(|i| SlotRef::index(p, i))),
            CapType::Tcb => todo.extend((0..tcb_slot::COUNT).map(|i| TcbRef(p).slot(i))),
            _ => {}
        }
    }
    live
}

fn want(live: &Live, what: &str, p: u64, ty: CapType) -> Result<(), String> {
    match live.get(&p) {
        Some(&t) if t == ty => Ok(()),
        Some(&t) => Err(format!("{what} points to {p:#x}, a live {t:?}, not a {ty:?}")),
        None => Err(format!("{what} points to {p:#x}, which is no live object (use after free)")),
    }
}

fn opt(live: &Live, what: &str, p: u64, ty: CapType) -> Result<(), String> {
    if p == 0 { Ok(()) } else { want(live, what, p, ty) }
}

fn queue(live: &Live, what: &str, head: TcbRef) -> Result<(), String> {
    let mut t = head;
    let mut n = 0;
    while !t.is_none() {
        want(live, what, t.0, CapType::Tcb)?;
        t = TcbRef(t.get().ep_next.get());
        n += 1;
        if n > 1 << 16 {
            return Err(format!("{what}: queue does not end"));
        }
    }
    Ok(())
}

/// Checks every kernel-internal pointer of the live objects `live` (see
/// the module documentation).
///
/// # Errors
/// A description of the first violation.
pub fn check_references<M: Machine>(k: &Kernel<M>, live: &Live) -> Result<(), String> {
    let mut sc_holders: BTreeMap<u64, u64> = BTreeMap::new();
    for (&p, &ty) in live {
        match ty {
            CapType::Tcb => check_tcb(live, TcbRef(p), &mut sc_holders)?,
            CapType::Reply => {
                let g = ReplyRef(p).get();
                let what = |f: &str| format!("reply {p:#x} {f}");
                opt(live, &what("caller"), g.caller.get(), CapType::Tcb)?;
                opt(live, &what("receiver"), g.receiver.get(), CapType::Tcb)?;
                opt(live, &what("context it tops"), g.sc.get(), CapType::SchedContext)?;
                opt(live, &what("reply above"), g.above.get(), CapType::Reply)?;
                opt(live, &what("reply below"), g.below.get(), CapType::Reply)?;
                let c = TcbRef(g.caller.get());
                if !c.is_none() && (c.state() != ThreadState::BlockedOnReply || c.get().reply.get() != p) {
                    return Err(format!("reply {p:#x} names caller {:#x}, which does not wait on it", c.0));
                }
            }
            CapType::SchedContext => {
                let g = ScRef(p).get();
                let what = |f: &str| format!("scheduling context {p:#x} {f}");
                opt(live, &what("thread"), g.tcb.get(), CapType::Tcb)?;
                opt(live, &what("top reply"), g.reply.get(), CapType::Reply)?;
                let t = TcbRef(g.tcb.get());
                if !t.is_none() && t.sc() != ScRef(p) {
                    return Err(format!("scheduling context {p:#x} names thread {:#x}, bound to {:#x}", t.0, t.sc().0));
                }
            }
            CapType::Notification => {
                let n = NtfnRef(p);
                let b = TcbRef(n.get().bound_tcb.get());
                opt(live, &format!("notification {p:#x} bound thread"), b.0, CapType::Tcb)?;
                if !b.is_none() && b.get().bound_ntfn.get() != p {
                    return Err(format!("notification {p:#x} bound to {:#x}, which is not bound to it", b.0));
                }
                if n.state() == NtfnState::Waiting {
                    queue(live, &format!("notification {p:#x} waiter"), n.head())?;
                }
            }
            CapType::Endpoint => {
                let e = EpRef(p);
                if e.state() != EpState::Idle {
                    queue(live, &format!("endpoint {p:#x} queue"), e.head())?;
                }
            }
            _ => {}
        }
    }
    for (sc, t) in &sc_holders {
        if ScRef(*sc).get().tcb.get() != *t {
            return Err(format!(
                "thread {t:#x} holds scheduling context {sc:#x}, which names {:#x}",
                ScRef(*sc).get().tcb.get()
            ));
        }
    }
    opt(live, "the current thread", k.cur.0, CapType::Tcb)?;
    for (i, e) in k.irqs.iter().enumerate() {
        opt(live, &format!("interrupt {i} notification"), e.ntfn, CapType::Notification)?;
    }
    Ok(())
}

fn check_tcb(live: &Live, t: TcbRef, sc_holders: &mut BTreeMap<u64, u64>) -> Result<(), String> {
    let g = t.get();
    let p = t.0;
    let what = |f: &str| format!("thread {p:#x} {f}");
    match t.state() {
        ThreadState::BlockedOnSend | ThreadState::BlockedOnReceive => {
            want(live, &what("blocked on"), g.blocked_on.get(), CapType::Endpoint)?;
        }
        ThreadState::BlockedOnNotification => {
            want(live, &what("blocked on"), g.blocked_on.get(), CapType::Notification)?;
        }
        ThreadState::BlockedOnReply => want(live, &what("waits on reply"), g.reply.get(), CapType::Reply)?,
        ThreadState::Running | ThreadState::Inactive => {}
    }
    if t.state() == ThreadState::BlockedOnReceive {
        opt(live, &what("receives with reply"), g.reply.get(), CapType::Reply)?;
    }
    let sc = g.sc.get();
    opt(live, &what("scheduling context"), sc, CapType::SchedContext)?;
    if sc != 0
        && let Some(other) = sc_holders.insert(sc, p)
    {
        return Err(format!("scheduling context {sc:#x} bound to two threads: {other:#x} and {p:#x}"));
    }
    let n = g.bound_ntfn.get();
    opt(live, &what("bound notification"), n, CapType::Notification)?;
    if n != 0 && NtfnRef(n).get().bound_tcb.get() != p {
        return Err(format!("thread {p:#x} bound to notification {n:#x}, which names another"));
    }
    let frame = t.slot(tcb_slot::IPC_BUFFER).cap();
    if g.ipc_buffer.get() != 0 && frame.cap_type() == CapType::Frame && !frame.rights().contains(Rights::WRITE) {
        return Err(format!("thread {p:#x} has a read-only IPC buffer frame {:#x}", frame.paddr()));
    }
    Ok(())
}
