//! Client identity (issue 19 item 9): the guest server keys each client's
//! state by its whole connection badge (`rampart_connsrv_api::clients`),
//! so a client that reappears under a dead client's connection number
//! reaches none of its sockets and is checked with its own SID.

mod common;

use common::Client;
use common::*;
use rampart_connsrv_api::ConnBadge;
use rampart_connsrv_api::clients::Clients;
use rampart_net::ConnId;
use rampart_net_api::*;

/// The guest's table in front of node A's core, as `servers/net/guest`
/// has it.
struct Guest {
    w: World,
    table: Clients<ConnId>,
}

impl Guest {
    fn client(&mut self, badge: u64) -> Client {
        let n = &mut self.w.a;
        let conn = *self.table.entry(badge, |b| n.srv.connect(b.sid)).unwrap();
        n.regions.0.entry(conn).or_insert_with(|| vec![0; REGION]);
        Client { side: Side::A, conn }
    }

    fn badge(&mut self, conn: u32, context: &str) -> u64 {
        ConnBadge { conn, sid: self.w.sid(Side::A, context) }.encode().unwrap()
    }

    fn closed(&mut self, conn: u32) {
        for id in self.table.closed(conn) {
            self.w.a.srv.disconnect(id);
            self.w.a.regions.0.remove(&id);
        }
    }
}

/// The web server listens on port 80 and dies; a user's program comes
/// under the same connection number (before or after the closure was
/// taken): it cannot touch the listening socket (`EBADF`), and binding port
/// 80 is checked with its own SID (`EACCES`), not the web server's. Once
/// the closure is taken the socket is closed and the port free again. With
/// the old key (the number alone) the user got the web server's sockets
/// and its right to bind port 80.
#[test]
fn a_client_under_a_dead_clients_number_gets_none_of_its_sockets() {
    let mut g = Guest { w: World::new(), table: Clients::new() };
    let web = g.badge(9, HTTPD);
    let c = g.client(web);
    let l = g.w.listener(c, 80);
    let user = g.badge(9, USER);
    let u = g.client(user);
    assert_ne!(u.conn, c.conn);
    assert_eq!(g.w.ok(u, Request::Listen { handle: l, backlog: 1 }), Err(Errno::EBADF));
    assert_eq!(g.w.call(u, Request::Close { handle: l }), Response::Err(Errno::EBADF));
    let s = g.w.socket(u, SockType::Stream, false).unwrap();
    assert_eq!(g.w.bind(u, s, 80), Err(Errno::EACCES), "checked as user_t");
    // The closure takes both clients seen under number 9.
    g.closed(9);
    assert!(g.table.is_empty());
    let u = g.client(user);
    assert_eq!(g.w.ok(u, Request::Listen { handle: l, backlog: 1 }), Err(Errno::EBADF));
    let web2 = g.badge(9, HTTPD);
    let c2 = g.client(web2);
    g.w.listener(c2, 80);
}
