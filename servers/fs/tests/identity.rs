//! Client identity (issue 19 item 9): the guest server keys each client's
//! state by its whole connection badge (`rampart_connsrv_api::clients`),
//! so a client that reappears under a dead client's connection number
//! reaches none of its handles and is checked with its own SID.

mod common;

use common::*;
use rampart_connsrv_api::ConnBadge;
use rampart_connsrv_api::clients::Clients;
use rampart_fs::{Config, ConnId, MemDisk};
use rampart_fs_api::*;

/// The guest's table in front of the core, as `servers/fs/guest` has it.
struct Guest {
    srv: RwServer,
    table: Clients<ConnId>,
    region: Vec<u8>,
}

impl Guest {
    fn call(&mut self, badge: u64, r: Request) -> Response {
        let srv = &mut self.srv;
        let Some(conn) = self.table.entry(badge, |b| srv.connect(b.sid)).copied() else {
            return Response::Err(Errno::EBADF);
        };
        let req = decode_request(&encode_request(&r).unwrap()).unwrap();
        self.srv.handle(conn, req, &mut self.region, None)
    }

    fn closed(&mut self, conn: u32) {
        for id in self.table.closed(conn) {
            self.srv.disconnect(id);
        }
    }

    fn badge(&mut self, conn: u32, context: &str) -> u64 {
        let sid = self.srv.mac.om.sec.0.context_to_sid(context).unwrap().0;
        ConnBadge { conn, sid }.encode().unwrap()
    }
}

fn open(g: &mut Guest, badge: u64, path: &str) -> Result<Handle, Errno> {
    match g.call(badge, Request::Open { path: path.into(), flags: OpenFlags::RDONLY, mode: 0 }) {
        Response::Handle(h) => Ok(h),
        Response::Err(e) => Err(e),
        r => panic!("{r:?}"),
    }
}

fn read(g: &mut Guest, badge: u64, h: Handle) -> Response {
    g.call(badge, Request::Read { handle: h, offset: Some(0), region_offset: 0, len: 64 })
}

/// A user's program with an open file dies; a web-server client comes
/// under the same connection number (before or after the server took the
/// closure): it cannot read through the dead client's handle (`EBADF`), and
/// opening the file is checked with its own SID (`EACCES`: `httpd_t` reads
/// only web content), not the user's. With the old key (the number alone)
/// it got the user's connection: the handle and the user's SID.
#[test]
fn a_client_under_a_dead_clients_number_gets_nothing_of_it() {
    let disk = MemDisk::new(standard_image());
    let mut g = Guest { srv: rw_server(&disk, Config::default()), table: Clients::new(), region: vec![0; REGION] };
    let user = g.badge(5, USER);
    let h = open(&mut g, user, "/home/alice/notes.txt").unwrap();
    assert_eq!(read(&mut g, user, h), Response::Len(14));
    // Same number, another client, before the closure was taken (connsrv
    // does not allow this; the key makes it harmless anyway).
    let web = g.badge(5, HTTPD);
    assert_eq!(read(&mut g, web, h), Response::Err(Errno::EBADF));
    assert_eq!(open(&mut g, web, "/home/alice/notes.txt"), Err(Errno::EACCES));
    assert_eq!(read(&mut g, user, h), Response::Len(14), "the user's state is untouched");
    // The closure: everything under number 5 goes.
    g.closed(5);
    assert!(g.table.is_empty());
    // The number reused after the closure: a fresh connection.
    assert_eq!(read(&mut g, web, h), Response::Err(Errno::EBADF));
    assert_eq!(open(&mut g, web, "/home/alice/notes.txt"), Err(Errno::EACCES));
    assert!(open(&mut g, web, "/var/www/index.html").is_ok());
    // Not a connection badge at all.
    assert_eq!(g.call(5, Request::Sync), Response::Err(Errno::EBADF));
}
