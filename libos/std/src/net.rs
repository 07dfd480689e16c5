//! Sockets. The protocol is `rampart-net-api`; the network server does not
//! run on the target yet (it needs the virtio-net driver), so every call
//! fails with `Unsupported` until it does (docs/compatibility.md).

use crate::error::{Error, ErrorKind, Result};

fn unsupported<T>() -> Result<T> {
    Err(Error::from(ErrorKind::Unsupported))
}

/// A listening TCP socket.
#[derive(Debug)]
pub struct TcpListener(());
/// A TCP connection.
#[derive(Debug)]
pub struct TcpStream(());
/// A UDP socket.
#[derive(Debug)]
pub struct UdpSocket(());

impl TcpListener {
    /// Binds `addr` (`"0.0.0.0:80"`).
    ///
    /// # Errors
    /// `Unsupported` (no network server yet).
    pub fn bind(_addr: &str) -> Result<TcpListener> {
        unsupported()
    }
    /// Accepts a connection.
    ///
    /// # Errors
    /// `Unsupported`.
    pub fn accept(&self) -> Result<TcpStream> {
        unsupported()
    }
}

impl TcpStream {
    /// Connects to `addr`.
    ///
    /// # Errors
    /// `Unsupported`.
    pub fn connect(_addr: &str) -> Result<TcpStream> {
        unsupported()
    }
}

impl UdpSocket {
    /// Binds `addr`.
    ///
    /// # Errors
    /// `Unsupported`.
    pub fn bind(_addr: &str) -> Result<UdpSocket> {
        unsupported()
    }
}
