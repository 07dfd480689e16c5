//! The operations a thread can perform and the transition function.
//!
//! An [`Op`] is a system call as the model sees it: capability pointers are
//! indices into the acting thread's root CNode, CNode slot arguments are
//! indices into the CNode a capability names. [`step`] applies one
//! operation and returns what threads saw (their result registers), or
//! `None` if the operation is not applicable: the actor is not running, or
//! an invocation names a capability the model does not invoke (an object
//! invocation on an IPC capability would be a message send; the operation
//! generators never produce those).

use crate::Events;
use crate::cnode::node_slot;
use crate::state::{Addr, Cap, CapKind, Fault, MACHINE, Msg, NewObj, Outcome, SlotId, State, ThreadState, tcb_slot};
use rampart_abi::{Error, Rights};

/// A CNode-relative slot: index `index` of the CNode named by the
/// capability at `node` in the actor's root CNode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    /// Capability pointer of the CNode capability.
    pub node: u32,
    /// Slot index in that CNode.
    pub index: u32,
}

/// One operation (system call) of a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Untyped Retype: `count` objects of `ty` from the untyped at `ut` into
    /// slots `offset..` of the CNode `node` (None: the CNode `root` names
    /// itself, else the CNode capability at index `node` of it).
    Retype {
        /// Untyped capability pointer.
        ut: u32,
        /// Object type and size argument.
        ty: NewObj,
        /// Capability pointer of the destination root CNode capability.
        root: u32,
        /// Destination CNode relative to `root`.
        node: Option<u32>,
        /// First destination slot.
        offset: u32,
        /// Number of objects.
        count: u32,
    },
    /// CNode Copy (`data` None) or Mint from `src` (relative to the CNode
    /// capability at `src_root`) to `dest`, rights masked by `rights`.
    Copy {
        /// Destination.
        dest: Loc,
        /// Source.
        src: Loc,
        /// Rights mask.
        rights: Rights,
        /// Mint data (badge, or CNode guard size `<< 58`).
        data: Option<u64>,
    },
    /// CNode Move (`data` None) or Mutate.
    Move {
        /// Destination.
        dest: Loc,
        /// Source.
        src: Loc,
        /// Mutate data.
        data: Option<u64>,
    },
    /// CNode Delete.
    Delete(Loc),
    /// CNode Revoke.
    Revoke(Loc),
    /// CNode CancelBadgedSends.
    CancelBadgedSends(Loc),
    /// Send (`blocking`) or NBSend on an endpoint; signal a notification;
    /// reply through a reply object.
    Send {
        /// Capability pointer.
        cap: u32,
        /// The message.
        msg: Msg,
        /// Send (true) or NBSend.
        blocking: bool,
    },
    /// Call an endpoint (or signal a notification).
    Call {
        /// Capability pointer.
        cap: u32,
        /// The message.
        msg: Msg,
        /// Where a capability in the reply goes.
        recv_slot: Option<u32>,
    },
    /// Recv (`reply` Some, `blocking`), NBRecv (`reply` Some, not
    /// blocking) or Wait (`reply` None, blocking) on an endpoint or
    /// notification.
    Recv {
        /// Capability pointer of the endpoint or notification.
        cap: u32,
        /// Capability pointer of the reply object.
        reply: Option<u32>,
        /// Where a received capability goes.
        recv_slot: Option<u32>,
        /// Blocking.
        blocking: bool,
    },
    /// An invocation of a TCB, scheduling context, interrupt or I/O port
    /// capability (or of another capability with such a label: an error).
    Invoke {
        /// Capability pointer.
        cap: u32,
        /// The operation and its arguments.
        inv: crate::inv::Inv,
    },
    /// The thread faults: an unknown system call or a CPU exception; the
    /// fault goes to its fault endpoint as a call.
    Fault(Fault),
    /// An interrupt arrives on a line (no thread acts; `step`'s thread is
    /// ignored).
    Interrupt(u64),
    /// ReplyRecv: reply through `reply`, then Recv on `cap` with it.
    ReplyRecv {
        /// Capability pointer of the reply object.
        reply: u32,
        /// Capability pointer of the endpoint.
        cap: u32,
        /// The reply message.
        msg: Msg,
        /// Where a received capability goes.
        recv_slot: Option<u32>,
    },
}

/// Applies `op` by thread `t`. Returns the threads' outcomes (threads that
/// no longer exist are left out), or `None` if `op` is not applicable.
pub fn step(s: &mut State, t: Addr, op: &Op) -> Option<Events> {
    let mut ev = Events::new();
    if let Op::Interrupt(irq) = *op {
        s.interrupt(irq, &mut ev);
        ev.retain(|(x, _)| s.tcb(*x).is_some());
        return Some(ev);
    }
    if !s.schedulable(t) {
        return None;
    }
    let buffer = s.ipc_buffer(t).is_some();
    if let Some(c) = op.first_extra(s, t) {
        s.set_buf_words(t, |w| w.cap0 = u64::from(c));
    }
    s.tcb_mut(t).regs.syscall = !matches!(op, Op::Fault(Fault::UserException(_) | Fault::VmFault(_)));
    if let Some(c) = op.invoked_cptr()
        && matches!(
            s.lookup(t, c).and_then(|x| s.cap(x)).map(|c| c.kind),
            Some(CapKind::Endpoint(_) | CapKind::Notification(_) | CapKind::Reply(_))
        )
    {
        return None;
    }
    let result = match *op {
        Op::Retype { ut, ty, root, node, offset, count } => {
            let slot = s.lookup(t, ut);
            match slot.and_then(|x| s.cap(x)).map(|c| c.kind) {
                Some(CapKind::Untyped { .. }) if !buffer => Err(Error::TruncatedMessage),
                Some(CapKind::Untyped { .. }) => {
                    let slot = slot.expect("looked up");
                    let dest_root = s.lookup(t, root).and_then(|r| s.cap(r));
                    s.retype(slot, ty, dest_root, node, offset, count)
                }
                Some(_) => Err(Error::IllegalOperation),
                None => Err(Error::InvalidCapability),
            }
        }
        Op::Copy { dest, src, rights, data } => {
            cnode_op(s, t, dest, Some(src), |s, d, src| s.copy(d, src.expect("source"), rights, data).map(|_| ()))
        }
        Op::Move { dest, src, data } => {
            cnode_op(s, t, dest, Some(src), |s, d, src| s.move_cap(d, src.expect("source"), data).map(|_| ()))
        }
        Op::Delete(l) => cnode_op(s, t, l, None, |s, d, _| {
            s.delete(d, &mut ev);
            Ok(())
        }),
        Op::Revoke(l) => cnode_op(s, t, l, None, |s, d, _| {
            s.revoke(d, &mut ev);
            Ok(())
        }),
        Op::CancelBadgedSends(l) => cnode_op(s, t, l, None, |s, d, _| match s.cap(d) {
            // Cancelling others' sends needs every right on the endpoint
            // (seL4 `hasCancelSendRights`).
            Some(Cap { kind: CapKind::Endpoint(_), rights, .. }) if rights != Rights::ALL => {
                Err(Error::IllegalOperation)
            }
            Some(Cap { kind: CapKind::Endpoint(e), badge, .. }) => {
                if badge != 0 {
                    s.cancel_badged_sends(e, badge, &mut ev);
                }
                Ok(())
            }
            _ => Err(Error::IllegalOperation),
        }),
        Op::Send { cap, msg, blocking } => sys_send(s, t, cap, msg, blocking, false, &mut ev)?,
        Op::Call { cap, msg, recv_slot } => {
            s.set_recv_index(t, recv_slot);
            sys_send(s, t, cap, msg, true, true, &mut ev)?
        }
        Op::Recv { cap, reply, recv_slot, blocking } => {
            if reply.is_none() && !blocking {
                return None;
            }
            s.set_recv_index(t, recv_slot);
            sys_recv(s, t, cap, reply, blocking, &mut ev)
        }
        Op::ReplyRecv { reply, cap, msg, recv_slot } => {
            s.set_recv_index(t, recv_slot);
            match s.lookup(t, reply).and_then(|r| s.cap(r)) {
                Some(Cap { kind: CapKind::Reply(r), rights, .. }) => {
                    s.do_reply(t, r, rights.contains(Rights::GRANT), msg, &mut ev);
                    sys_recv(s, t, cap, Some(reply), true, &mut ev)
                }
                _ => Err(Error::InvalidCapability),
            }
        }
        Op::Invoke { cap, ref inv } => match s.invoke(t, cap, inv, &mut ev)? {
            Ok(o) => {
                ev.push((t, o));
                Ok(())
            }
            Err(e) => Err(e),
        },
        Op::Fault(f) => {
            fault(s, t, f, &mut ev);
            Ok(())
        }
        Op::Interrupt(_) => Ok(()),
    };
    if let Err(e) = result {
        ev.push((t, Outcome::Err(e)));
    } else if matches!(op, Op::Retype { .. } | Op::Copy { .. } | Op::Move { .. })
        || matches!(op, Op::Delete(_) | Op::Revoke(_) | Op::CancelBadgedSends(_))
    {
        ev.push((t, Outcome::Ok));
    }
    ev.retain(|(x, _)| *x == MACHINE || s.tcb(*x).is_some());
    Some(ev)
}

/// Thread `t` faults: the fault goes to its fault endpoint as a call (the
/// reply may grant if the endpoint capability has GrantReply); without a
/// fault endpoint it may send on, the thread stops.
fn fault(s: &mut State, t: Addr, f: Fault, ev: &mut Events) {
    s.tcb_mut(t).fault = Some(f);
    match s.tcb(t).and_then(|x| x.slots[tcb_slot::FAULT_EP as usize - 1]) {
        Some(Cap { kind: CapKind::Endpoint(e), rights, badge }) if rights.contains(Rights::WRITE) => {
            s.send_ipc(t, e, badge, rights.and(Rights::GRANT_REPLY), true, true, Msg::default(), ev);
        }
        _ => {
            let x = s.tcb_mut(t);
            x.fault = None;
            x.state = ThreadState::Inactive;
        }
    }
}

impl Op {
    /// The first extra capability pointer the thread writes into its IPC
    /// buffer for this operation, if any.
    pub fn first_extra(&self, s: &State, t: Addr) -> Option<u32> {
        match *self {
            Op::Retype { root, .. } => Some(root),
            Op::Copy { src, .. } | Op::Move { src, .. } => Some(src.node),
            Op::Send { msg, .. } | Op::Call { msg, .. } | Op::ReplyRecv { msg, .. } => msg.cap,
            Op::Invoke { ref inv, .. } => {
                let depth = |_| 64;
                let _ = (s, t);
                inv.encode(&depth).2.first().copied()
            }
            _ => None,
        }
    }

    /// The capability pointer an object invocation is made on (None for
    /// IPC operations).
    pub fn invoked_cptr(&self) -> Option<u32> {
        match *self {
            Op::Retype { ut, .. } => Some(ut),
            Op::Copy { dest, .. } | Op::Move { dest, .. } => Some(dest.node),
            Op::Delete(l) | Op::Revoke(l) | Op::CancelBadgedSends(l) => Some(l.node),
            Op::Invoke { cap, .. } => Some(cap),
            _ => None,
        }
    }
}

/// A CNode invocation on the CNode capability at `dest.node`: resolves the
/// destination (and the source relative to the CNode capability at
/// `src.node`), in the kernel's order of checks, and runs `f`.
fn cnode_op(
    s: &mut State,
    t: Addr,
    dest: Loc,
    src: Option<Loc>,
    f: impl FnOnce(&mut State, SlotId, Option<SlotId>) -> Result<(), Error>,
) -> Result<(), Error> {
    let node = s.lookup(t, dest.node).and_then(|x| s.cap(x));
    match node.map(|c| c.kind) {
        Some(CapKind::CNode { .. }) => {}
        Some(_) => return Err(Error::IllegalOperation),
        None => return Err(Error::InvalidCapability),
    }
    let Some(src) = src else {
        let d = node_slot(node, dest.index)?;
        return f(s, d, None);
    };
    if s.ipc_buffer(t).is_none() {
        return Err(Error::TruncatedMessage);
    }
    let src_root = s.lookup(t, src.node).and_then(|r| s.cap(r));
    if !matches!(src_root.map(|c| c.kind), Some(CapKind::CNode { .. })) {
        return Err(Error::FailedLookup);
    }
    let d = node_slot(node, dest.index)?;
    if s.cap(d).is_some() {
        return Err(Error::DeleteFirst);
    }
    let sl = node_slot(src_root, src.index)?;
    f(s, d, Some(sl))
}

/// Send, NBSend and Call. `None`: the capability is an object capability
/// (this would be an invocation).
fn sys_send(
    s: &mut State,
    t: Addr,
    cptr: u32,
    msg: Msg,
    blocking: bool,
    call: bool,
    ev: &mut Events,
) -> Option<Result<(), Error>> {
    let cap = s.lookup(t, cptr).and_then(|x| s.cap(x));
    Some(match cap {
        None => Err(Error::InvalidCapability),
        Some(c) => match c.kind {
            CapKind::Endpoint(_) | CapKind::Notification(_) if !c.rights.contains(Rights::WRITE) => {
                Err(Error::InvalidCapability)
            }
            CapKind::Endpoint(e) => {
                s.send_ipc(t, e, c.badge, c.rights, blocking, call, msg, ev);
                Ok(())
            }
            CapKind::Notification(n) => {
                s.signal(n, c.badge, ev);
                ev.push((t, Outcome::Ok));
                Ok(())
            }
            CapKind::Reply(_) if call => Err(Error::InvalidCapability),
            CapKind::Reply(r) => {
                if !s.do_reply(t, r, c.rights.contains(Rights::GRANT), msg, ev) {
                    return Some(Err(Error::IllegalOperation));
                }
                ev.push((t, Outcome::Ok));
                Ok(())
            }
            _ => return None,
        },
    })
}

/// Recv, NBRecv and Wait (`reply` None).
fn sys_recv(
    s: &mut State,
    t: Addr,
    cptr: u32,
    reply: Option<u32>,
    blocking: bool,
    ev: &mut Events,
) -> Result<(), Error> {
    let cap = s.lookup(t, cptr).and_then(|x| s.cap(x)).ok_or(Error::InvalidCapability)?;
    if !cap.rights.contains(Rights::READ) {
        return Err(Error::InvalidCapability);
    }
    match cap.kind {
        CapKind::Endpoint(e) => {
            let r = match reply {
                None => None,
                Some(rc) => match s.lookup(t, rc).and_then(|x| s.cap(x)) {
                    Some(Cap { kind: CapKind::Reply(r), .. }) => Some(r),
                    _ => return Err(Error::InvalidCapability),
                },
            };
            s.recv_ipc(t, e, r, blocking, ev);
            Ok(())
        }
        CapKind::Notification(n) => {
            s.wait_signal(t, n, blocking, ev);
            Ok(())
        }
        _ => Err(Error::InvalidCapability),
    }
}
