//! Listen backlogs: the pool of smoltcp sockets behind each listening
//! socket.
//!
//! smoltcp binds one connection to one socket, and answers a SYN that
//! finds no socket listening on its port with a reset. Linux instead
//! queues connections in the listener's backlog (`listen(2)`), up to
//! `backlog` of them, clamped to `net.core.somaxconn`. Rampart keeps, per
//! listener, a pool of up to `backlog` smoltcp sockets (clamped to
//! [`Config::max_backlog`](crate::Config::max_backlog)): every pending
//! connection (handshake in progress, or established and not yet
//! accepted) holds one, plus [`LISTEN_READY`] sockets waiting in
//! `LISTEN`. The pool grows lazily — after every received frame the
//! server tops the waiting sockets up again — so a burst of SYNs in one
//! batch of frames finds a socket for each, while an idle listener costs
//! only its waiting sockets' buffers, not `backlog` of them. `accept`
//! takes an established socket out of the pool.
//!
//! Bounds: a pool never exceeds its backlog; pool sockets count in the
//! server's [`Config::max_sockets`](crate::Config::max_sockets); when a
//! pool is full a SYN gets a reset (Linux drops it, and the client
//! retransmits), and a pool full of half-open handshakes drops its oldest
//! (see `update_sockets`).

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;
use smoltcp::time::Duration;

use crate::device::NetDevice;
use crate::security::SecurityServer;
use crate::server::{Config, NetServer};
use crate::sock::{Opts, Sock, SockId, St, listen_ep};
use crate::stack::Stack;

/// Sockets each listener keeps waiting in `LISTEN` (a SYN takes one; the
/// pool is topped up after every frame).
pub const LISTEN_READY: usize = 2;

/// A new smoltcp TCP socket with the configured buffers and timeout and
/// the socket's options.
pub(crate) fn tcp_socket<D: NetDevice>(stack: &mut Stack<D>, cfg: &Config, opts: Opts) -> SocketHandle {
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; cfg.tcp_rx_buf]),
        tcp::SocketBuffer::new(vec![0; cfg.tcp_tx_buf]),
    );
    s.set_timeout(Some(Duration::from_millis(cfg.tcp_timeout_ms)));
    s.set_nagle_enabled(!opts.nodelay);
    s.set_keep_alive(opts.keepalive_ms.map(|ms| Duration::from_millis(u64::from(ms))));
    stack.sockets.add(s)
}

/// Sockets in use: the server's sockets, lingering closes and every
/// pool's sockets (what [`Config::max_sockets`] bounds).
pub(crate) fn in_use(socks: &BTreeMap<SockId, Sock>, lingering: usize, listeners: &[SockId]) -> usize {
    let pooled: usize = listeners
        .iter()
        .filter_map(|id| match socks.get(id).map(|s| &s.st) {
            Some(St::Listening { pool, .. }) => Some(pool.len()),
            _ => None,
        })
        .sum();
    socks.len() + lingering + pooled
}

/// Tops up every listener's waiting sockets to [`LISTEN_READY`], within
/// its backlog and the server's socket limit; forgets listeners that are
/// gone.
pub(crate) fn refill<D: NetDevice>(
    stack: &mut Stack<D>,
    cfg: &Config,
    socks: &mut BTreeMap<SockId, Sock>,
    lingering: usize,
    listeners: &mut Vec<SockId>,
) {
    listeners.retain(|id| socks.get(id).is_some_and(|s| matches!(s.st, St::Listening { .. })));
    let mut used = in_use(socks, lingering, listeners);
    for id in listeners.iter() {
        let Some(s) = socks.get_mut(id) else { continue };
        let (ep, opts) = (listen_ep(s.local.unwrap_or_default()), s.opts);
        let St::Listening { pool, backlog } = &mut s.st else { continue };
        let mut ready = 0;
        for &h in pool.iter() {
            let t = stack.sockets.get_mut::<tcp::Socket>(h);
            if t.state() == tcp::State::Closed {
                // A failed handshake: listen again.
                let _ = t.listen(ep);
            }
            ready += usize::from(t.state() == tcp::State::Listen);
        }
        while ready < LISTEN_READY && pool.len() < *backlog && used < cfg.max_sockets {
            let h = tcp_socket(stack, cfg, opts);
            // Cannot fail: the socket is closed and the port non-zero.
            let _ = stack.sockets.get_mut::<tcp::Socket>(h).listen(ep);
            pool.push(h);
            ready += 1;
            used += 1;
        }
    }
}

impl<D: NetDevice, S: SecurityServer> NetServer<D, S> {
    /// Runs the stack, refilling the listen pools after every frame.
    pub(crate) fn run_stack(&mut self, now_ms: u64) {
        let (cfg, socks, listeners, lingering) =
            (&self.cfg, &mut self.socks, &mut self.listeners, self.lingering.len());
        self.stack.poll_between(now_ms, |st| refill(st, cfg, socks, lingering, listeners));
    }

    /// [`refill`] now (after `listen` and `accept`).
    pub(crate) fn refill_pools(&mut self) {
        refill(&mut self.stack, &self.cfg, &mut self.socks, self.lingering.len(), &mut self.listeners);
    }
}
