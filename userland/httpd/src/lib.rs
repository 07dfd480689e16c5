//! # rampart-httpd — the web server's HTTP logic
//!
//! The part of `httpd` that does not depend on the guest: parsing HTTP/1.x
//! requests from a connection's bytes (with `httparse`), mapping a URL
//! path to a file under the document root without escaping it, and
//! building the response for a static file — status, headers, body —
//! with `GET`/`HEAD`, content types, and HTTP/1.1 keep-alive. The program
//! (to come with libos sockets) loops: read into a buffer, [`parse`],
//! [`respond`] with a [`Site`] backed by the file server, write, and keep
//! the connection if [`Response::keep_alive`].
//!
//! A file the policy forbids (`EACCES` from the file server, with an
//! audit record there) is answered `403 Forbidden`; a missing one `404`.
//! Request input is hostile: parsing never panics (property-tested), and
//! lengths are bounded ([`MAX_HEAD`]).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod path;
mod response;

pub use path::{content_type, resolve};
pub use response::{Body, Response, Site, SiteError, respond};

use alloc::string::String;

/// Largest request head (request line and headers) in bytes; more is
/// `431`.
pub const MAX_HEAD: usize = 8192;
/// Most headers in a request; more is `431`.
pub const MAX_HEADERS: usize = 32;

/// Request methods the server serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: as `GET` without the body.
    Head,
    /// Anything else (answered `405`).
    Other,
}

/// A parsed request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// The request target as sent (`/index.html?x=1`).
    pub target: String,
    /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// The client wants the connection kept (HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`).
    pub keep_alive: bool,
    /// The request has a body (`Content-Length` > 0 or chunked): not
    /// served, answered `400` and the connection closed.
    pub has_body: bool,
}

/// Why a request head is unusable; each maps to a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Malformed (`400`).
    Bad,
    /// Head longer than [`MAX_HEAD`] or more than [`MAX_HEADERS`] headers
    /// (`431`).
    TooLarge,
}

/// Parses the request head at the start of `buf`: `Ok(Some((request,
/// head_len)))` when complete, `Ok(None)` when more bytes are needed.
///
/// # Errors
/// [`ParseError`].
pub fn parse(buf: &[u8]) -> Result<Option<(Request, usize)>, ParseError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let n = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => return Err(ParseError::TooLarge),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(ParseError::TooLarge),
        Err(_) => return Err(ParseError::Bad),
    };
    if n > MAX_HEAD {
        return Err(ParseError::TooLarge);
    }
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return Err(ParseError::Bad);
    };
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        _ => Method::Other,
    };
    let mut keep_alive = minor == 1;
    let mut has_body = false;
    for h in req.headers.iter() {
        let value = core::str::from_utf8(h.value).map_err(|_| ParseError::Bad)?.trim();
        if h.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    keep_alive = true;
                }
            }
        } else if h.name.eq_ignore_ascii_case("content-length") {
            let len: u64 = value.parse().map_err(|_| ParseError::Bad)?;
            has_body |= len > 0;
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            has_body = true;
        }
    }
    Ok(Some((Request { method, target: String::from(target), minor, keep_alive, has_body }, n)))
}
