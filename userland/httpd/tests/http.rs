//! Request parsing, path resolution, responses, keep-alive, and hostile
//! input.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rampart_httpd::*;

/// Files by path; some forbidden (as the policy would), some directories.
#[derive(Default)]
struct MapSite {
    files: BTreeMap<String, u64>,
    forbidden: BTreeSet<String>,
    dirs: BTreeSet<String>,
}

impl Site for MapSite {
    fn stat(&mut self, path: &str) -> Result<u64, SiteError> {
        if self.forbidden.contains(path) {
            return Err(SiteError::Forbidden);
        }
        if self.dirs.contains(path) {
            return Err(SiteError::IsDir);
        }
        self.files.get(path).copied().ok_or(SiteError::NotFound)
    }
}

fn site() -> MapSite {
    let mut s = MapSite::default();
    s.files.insert("/var/www/index.html".into(), 120);
    s.files.insert("/var/www/style.css".into(), 30);
    s.files.insert("/var/www/docs/a b.txt".into(), 5);
    s.forbidden.insert("/var/www/private.html".into());
    s.dirs.insert("/var/www/docs".into());
    s
}

fn serve(raw: &str) -> Response {
    let parsed = parse(raw.as_bytes());
    let req = match &parsed {
        Ok(Some((r, _))) => Ok(r),
        Ok(None) => panic!("incomplete"),
        Err(e) => Err(*e),
    };
    respond(req, &mut site(), "/var/www")
}

fn head_text(r: &Response) -> String {
    String::from_utf8(r.head.clone()).unwrap()
}

#[test]
fn get_and_head_of_a_file() {
    let r = serve("GET / HTTP/1.1\r\nHost: rampart\r\n\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, Body::File { path: "/var/www/index.html".into(), len: 120 });
    let h = head_text(&r);
    assert!(h.starts_with("HTTP/1.1 200 OK\r\n"), "{h}");
    assert!(h.contains("Content-Type: text/html; charset=utf-8\r\n"));
    assert!(h.contains("Content-Length: 120\r\n"));
    assert!(h.contains("Connection: keep-alive\r\n") && h.ends_with("\r\n\r\n"));
    let r = serve("HEAD /style.css HTTP/1.1\r\n\r\n");
    assert_eq!((r.status, &r.body), (200, &Body::None));
    assert!(head_text(&r).contains("Content-Type: text/css; charset=utf-8\r\nContent-Length: 30\r\n"));
    // Percent-encoding and queries.
    let r = serve("GET /docs/a%20b.txt?x=1 HTTP/1.1\r\n\r\n");
    assert_eq!(r.body, Body::File { path: "/var/www/docs/a b.txt".into(), len: 5 });
}

#[test]
fn errors_map_to_statuses() {
    assert_eq!(serve("GET /missing.html HTTP/1.1\r\n\r\n").status, 404);
    let r = serve("GET /private.html HTTP/1.1\r\n\r\n");
    assert_eq!(r.status, 403);
    assert_eq!(r.body, Body::Bytes(b"403 Forbidden\n".to_vec()));
    assert!(r.keep_alive);
    let r = serve("GET /docs HTTP/1.1\r\n\r\n");
    assert_eq!(r.status, 301);
    assert!(head_text(&r).contains("Location: /docs/\r\n"));
    let r = serve("DELETE / HTTP/1.1\r\n\r\n");
    assert_eq!(r.status, 405);
    assert!(head_text(&r).contains("Allow: GET, HEAD\r\n"));
    let r = serve("HEAD /nothing HTTP/1.1\r\n\r\n");
    assert_eq!((r.status, &r.body), (404, &Body::None));
    assert!(head_text(&r).contains("Content-Length: 14\r\n"), "HEAD reports the page's length");
    assert_eq!(serve("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello").status, 400);
    let r = serve("garbage\r\n\r\n");
    assert_eq!((r.status, r.keep_alive), (400, false));
}

#[test]
fn paths_never_leave_the_document_root() {
    for t in ["/../etc/shadow", "/a/../../etc", "/%2e%2e/etc/passwd", "/docs/..", "etc/passwd", "/%00", "/%zz", "/%c3"]
    {
        assert_eq!(resolve(t, "/var/www"), Err(400), "{t}");
    }
    assert_eq!(resolve("/./a//b/", "/var/www/"), Ok("/var/www/a/b/index.html".into()));
    assert_eq!(resolve(&format!("/{}", "a".repeat(3000)), "/var/www"), Err(414));
    assert_eq!(content_type("/x/photo.JPG"), "image/jpeg");
    assert_eq!(content_type("/x/README"), "application/octet-stream");
    assert_eq!(content_type("/x.y/noext"), "application/octet-stream");
}

#[test]
fn keep_alive_rules() {
    let ka = |raw: &str| serve(raw).keep_alive;
    assert!(ka("GET / HTTP/1.1\r\n\r\n"));
    assert!(!ka("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
    assert!(!ka("GET / HTTP/1.0\r\n\r\n"));
    assert!(ka("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    assert!(head_text(&serve("GET / HTTP/1.0\r\n\r\n")).contains("Connection: close\r\n"));
}

#[test]
fn incremental_and_pipelined_parsing() {
    let two = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\n\r\n";
    for cut in 0..27 {
        assert_eq!(parse(&two[..cut]), Ok(None), "cut {cut}");
    }
    let (r1, n1) = parse(two).unwrap().unwrap();
    assert_eq!((r1.method, r1.target.as_str(), n1), (Method::Get, "/a", 28));
    let (r2, n2) = parse(&two[n1..]).unwrap().unwrap();
    assert_eq!((r2.method, r2.target.as_str(), n1 + n2), (Method::Head, "/b", two.len()));
}

#[test]
fn oversized_heads_are_refused() {
    let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
    big.resize(MAX_HEAD + 10, b'a');
    assert_eq!(parse(&big), Err(ParseError::TooLarge));
    let many: String = (0..MAX_HEADERS + 1).map(|i| format!("H{i}: v\r\n")).collect();
    assert_eq!(parse(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()), Err(ParseError::TooLarge));
    assert_eq!(serve(&format!("GET / HTTP/1.1\r\n{many}\r\n")).status, 431);
}

proptest! {
    #[test]
    fn hostile_requests_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(Some((r, n))) = parse(&bytes) {
            prop_assert!(n <= bytes.len());
            let resp = respond(Ok(&r), &mut site(), "/var/www");
            if let Body::File { path, .. } = &resp.body {
                prop_assert!(path.starts_with("/var/www/") && !path.contains("/../"));
            }
        }
    }

    #[test]
    fn random_targets_stay_in_the_root(t in "/[a-z./%0-9]{0,40}") {
        if let Ok(p) = resolve(&t, "/var/www") {
            prop_assert!(p.starts_with("/var/www/"));
            prop_assert!(!p.split('/').any(|s| s == ".."));
        }
    }
}
