//! Responses: status line, headers and body for a static file or an
//! error.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::path::{content_type, resolve};
use crate::{Method, ParseError, Request};

/// Why the site cannot serve a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteError {
    /// No such file (`404`).
    NotFound,
    /// The policy or the permissions forbid it (`EACCES`; `403`).
    Forbidden,
    /// It is a directory (`301` to the path with a trailing `/`).
    IsDir,
    /// Anything else (`500`).
    Io,
}

/// The files being served (the file server in the guest).
pub trait Site {
    /// The size in bytes of the regular file at `path`, if it may be read.
    ///
    /// # Errors
    /// [`SiteError`].
    fn stat(&mut self, path: &str) -> Result<u64, SiteError>;
}

/// What follows the head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// Nothing (`HEAD`, or no body).
    None,
    /// These bytes (error pages).
    Bytes(Vec<u8>),
    /// The file at `path`, `len` bytes (the program copies it from the
    /// file server to the socket).
    File {
        /// File path.
        path: String,
        /// Bytes.
        len: u64,
    },
}

/// A response ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Status line and headers, ending with the empty line.
    pub head: Vec<u8>,
    /// Body.
    pub body: Body,
    /// Keep the connection for the next request.
    pub keep_alive: bool,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

fn head(status: u16, ctype: &str, len: u64, keep_alive: bool, extra: &str) -> Vec<u8> {
    let conn = if keep_alive { "keep-alive" } else { "close" };
    format!(
        "HTTP/1.1 {status} {}\r\nServer: rampart-httpd\r\nContent-Type: {ctype}\r\nContent-Length: {len}\r\nConnection: {conn}\r\n{extra}\r\n",
        reason(status)
    )
    .into_bytes()
}

fn error(status: u16, method: Method, keep_alive: bool, extra: &str) -> Response {
    let page = format!("{status} {}\n", reason(status)).into_bytes();
    let head = head(status, "text/plain; charset=utf-8", page.len() as u64, keep_alive, extra);
    let body = if method == Method::Head { Body::None } else { Body::Bytes(page) };
    Response { status, head, body, keep_alive }
}

/// The response to a parsed request (or to a parse error) for files under
/// `docroot` of `site`.
pub fn respond<S: Site>(req: Result<&Request, ParseError>, site: &mut S, docroot: &str) -> Response {
    let req = match req {
        Ok(r) => r,
        Err(ParseError::Bad) => return error(400, Method::Get, false, ""),
        Err(ParseError::TooLarge) => return error(431, Method::Get, false, ""),
    };
    if req.has_body {
        return error(400, req.method, false, "");
    }
    let keep = req.keep_alive;
    if req.method == Method::Other {
        return error(405, Method::Get, keep, "Allow: GET, HEAD\r\n");
    }
    let path = match resolve(&req.target, docroot) {
        Ok(p) => p,
        Err(status) => return error(status, req.method, status != 400 && keep, ""),
    };
    match site.stat(&path) {
        Ok(len) => {
            let head = head(200, content_type(&path), len, keep, "");
            let body = if req.method == Method::Head { Body::None } else { Body::File { path, len } };
            Response { status: 200, head, body, keep_alive: keep }
        }
        Err(SiteError::NotFound) => error(404, req.method, keep, ""),
        Err(SiteError::Forbidden) => error(403, req.method, keep, ""),
        Err(SiteError::IsDir) => {
            let base = req.target.split(['?', '#']).next().unwrap_or("/");
            // httparse admits no control bytes in a target; stay safe anyway.
            if base.bytes().any(|b| b < 0x20 || b == 0x7f) {
                return error(400, req.method, false, "");
            }
            error(301, req.method, keep, &format!("Location: {base}/\r\n"))
        }
        Err(SiteError::Io) => error(500, req.method, false, ""),
    }
}
