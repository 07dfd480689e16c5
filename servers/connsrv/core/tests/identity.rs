//! Client identity (issue 19 item 9): a connection number is never given
//! to a new connection while the service may still hold state for the old
//! one, closures are never dropped, and services key state by the whole
//! badge (`rampart_connsrv_api::clients::Clients`).

mod common;

use common::*;
use rampart_connsrv_api::clients::Clients;
use rampart_connsrv_api::{
    CLOSED_PER_REPLY, ConnBadge, MAX_CONN, MAX_PENDING_CLOSED, Request, Response, TRUSTED_RM, client,
};
use rampart_uabi::Errno;

/// The file server's state for a client, as the guest keeps it: the SID it
/// was made for and the client's open handles.
#[derive(Debug, PartialEq, Eq)]
struct FsClient {
    sid: u32,
    handles: Vec<u32>,
}

fn take_closed(w: &mut World, ch: u64) -> Vec<u32> {
    match w.req(ch, Request::TakeClosed).response {
        Response::Closed(v) => v,
        r => panic!("{r:?}"),
    }
}

/// A client with open handles dies; connection numbers wrap (forced) onto
/// its number. While the file server has not taken the closure, the number
/// is reserved and a new client gets another; once the server has taken it
/// (and forgotten the dead client's state) the number may be reused, and
/// the new client starts with nothing, under its own SID. Before, the new
/// client got the dead client's number at once and the server, which keyed
/// state by that number, gave it the dead client's SID and handles.
#[test]
fn a_new_client_never_inherits_a_dead_clients_state() {
    let sec = secsrv();
    let mut w = World::starting_at(&sec, MAX_CONN - 1);
    let fs = w.task(10, FS);
    w.register(fs, "fs").unwrap();
    let (n, ntfn) = w.notification();
    assert_eq!(w.req_cap(fs, Request::WatchClosed, n).response, Response::Ok);
    let user = w.task(11, USER);
    let (dead, a_badge) = w.connect(user, "fs").unwrap();
    assert_eq!(dead, 1, "the numbers wrapped past MAX_CONN");
    // The file server's table: the user's SID and two open handles.
    let mut table: Clients<FsClient> = Clients::new();
    let a = table.entry(a_badge, |b| FsClient { sid: b.sid, handles: vec![] }).unwrap();
    a.handles.extend([3, 4]);
    let user_sid = a.sid;
    // The user's program dies; the server is told (signal), not yet asked.
    assert_eq!(w.req(TRUSTED_RM, Request::TaskExited { pid: 11 }).response, Response::Ok);
    assert_eq!(w.caps.signals, vec![ntfn]);
    let admin = w.task(12, ADMIN);
    // A new client, with the number space forced back onto the dead one.
    w.reg.set_next_conn(dead);
    let (other, b_badge) = w.connect(admin, "fs").unwrap();
    assert_ne!(other, dead, "reserved until the file server takes the closure");
    assert!(table.get(b_badge).is_none());
    // The server takes the closure and forgets the dead client.
    let closed = take_closed(&mut w, fs);
    assert_eq!(closed, vec![dead]);
    let gone: Vec<FsClient> = closed.iter().flat_map(|c| table.closed(*c)).collect();
    assert_eq!(gone, vec![FsClient { sid: user_sid, handles: vec![3, 4] }]);
    // Now the number may be reused: the new client is a stranger.
    w.reg.set_next_conn(dead);
    let (again, c_badge) = w.connect(admin, "fs").unwrap();
    assert_eq!(again, dead, "free again once taken");
    let c = table.entry(c_badge, |b| FsClient { sid: b.sid, handles: vec![] }).unwrap();
    assert_eq!(c.handles, Vec::<u32>::new(), "no handles of the dead client");
    assert_ne!(c.sid, user_sid, "not the dead client's SID");
    assert_eq!(c.sid, ConnBadge::decode(admin).unwrap().sid);
}

/// Even a badge with a reused number and the same SID layout reaches no
/// state made for another SID: the key is the whole badge.
#[test]
fn state_is_keyed_by_the_whole_badge() {
    let mut table: Clients<u32> = Clients::new();
    let old = ConnBadge { conn: 7, sid: 5 }.encode().unwrap();
    *table.entry(old, |b| b.sid).unwrap() = 99;
    let new = ConnBadge { conn: 7, sid: 6 }.encode().unwrap();
    assert_eq!(table.entry(new, |b| b.sid).copied(), Some(6));
    assert_eq!(table.closed(7), vec![99, 6]);
}

/// Closures are never dropped: a client with more live connections to the
/// server than the old 4,096-entry limit dies and every closure arrives, in
/// order, over as many `TakeClosed` replies as needed; while
/// `MAX_PENDING_CLOSED` are pending, new connections get `EAGAIN`
/// (backpressure) until the server takes them. Their numbers stay
/// reserved meanwhile. (Before, closures beyond 4,096 were silently lost
/// and the server kept those clients' state for good.)
#[test]
fn closures_are_never_dropped_and_apply_backpressure() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let fs = w.task(10, FS);
    w.register(fs, "fs").unwrap();
    let user = w.task(11, USER);
    let total = MAX_PENDING_CLOSED + 100;
    let mut conns = Vec::with_capacity(total);
    for _ in 0..total {
        conns.push(w.connect(user, "fs").unwrap().0);
    }
    w.req(TRUSTED_RM, Request::TaskExited { pid: 11 });
    let stats = |w: &mut World| match w.req(fs, Request::Stats).response {
        Response::Stats(s) => s,
        r => panic!("{r:?}"),
    };
    assert_eq!(stats(&mut w).pending_closed as usize, total);
    let other = w.task(12, USER);
    assert_eq!(w.connect(other, "fs"), Err(Errno::EAGAIN), "backpressure, not loss");
    // Through the client helper, as the servers drain.
    struct T<'a, 'b>(&'a mut World<'b>, u64);
    impl client::Transport for T<'_, '_> {
        fn call(&mut self, req: &Request) -> Result<Response, Errno> {
            Ok(self.0.req(self.1, req.clone()).response)
        }
    }
    let mut got = Vec::new();
    let n = client::drain_closed(&mut T(&mut w, fs), |c| got.push(c)).unwrap();
    assert_eq!(n, total);
    conns.sort_unstable();
    assert_eq!(got, conns, "every closure, oldest first");
    assert_eq!(stats(&mut w).pending_closed, 0);
    assert!(w.connect(other, "fs").is_ok());
    assert!(take_closed(&mut w, fs).is_empty());
    const { assert!(CLOSED_PER_REPLY < MAX_PENDING_CLOSED) };
}

/// A server that exits drops its pending closures (its state is gone) and
/// frees their numbers; closures of core services (which keep no
/// per-connection state and cannot take them) are not queued.
#[test]
fn pending_closures_go_with_their_server() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let fs = w.task(10, FS);
    w.register(fs, "fs").unwrap();
    let admin = w.task(11, ADMIN);
    let (c, _) = w.connect(admin, "fs").unwrap();
    assert_eq!(w.req(admin, Request::Disconnect { conn: c }).response, Response::Ok);
    assert_eq!(w.reg.stats().pending_closed, 1);
    // Unregistering keeps them for the owner (it may still hold state).
    assert_eq!(w.req(fs, Request::Unregister { name: "fs".into() }).response, Response::Ok);
    assert_eq!(w.reg.stats().pending_closed, 1);
    w.req(TRUSTED_RM, Request::TaskExited { pid: 10 });
    assert_eq!(w.reg.stats().pending_closed, 0);
    w.reg.set_next_conn(c);
    let s = w.caps.object();
    let r = w.req_cap(
        rampart_connsrv_api::TRUSTED_INIT,
        Request::RegisterCore { name: "security".into(), context: SECSRV.into() },
        s,
    );
    assert_eq!(r.response, Response::Ok);
    let (again, _) = w.connect(admin, "security").unwrap();
    assert_eq!(again, c, "free once its server is gone");
    assert_eq!(w.req(admin, Request::Disconnect { conn: again }).response, Response::Ok);
    assert_eq!(w.reg.stats().pending_closed, 0, "core services get no closures");
}
