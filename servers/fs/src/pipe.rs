//! Anonymous pipes: byte FIFOs that live only in the file server.
//!
//! They are here, not in a separate server, because pipe ends are handles
//! like open files: they travel with the same tokens (docs/userland.md
//! §4), a shell redirects a pipeline into a file and back through one
//! protocol, and the library OS keeps one kind of descriptor. A pipe has a
//! fixed capacity ([`PIPE_CAPACITY`]); the server never blocks: an empty
//! pipe with a writer answers `EAGAIN`, a full one accepts what fits (or
//! `EAGAIN` if nothing does). The guest server turns `EAGAIN` into a
//! deferred reply (it keeps the client's reply capability and answers
//! when the other end acts).

use alloc::collections::{BTreeMap, VecDeque};
use rampart_fs_api::{Errno, errno};

/// Bytes a pipe buffers (as Linux's default 16 pages).
pub const PIPE_CAPACITY: usize = 64 * 1024;

/// One pipe.
#[derive(Debug, Default)]
struct Pipe {
    buf: VecDeque<u8>,
    readers: u32,
    writers: u32,
    /// SID of the creating connection (the pipe's label).
    sid: u32,
}

/// Every pipe of the server, by number.
#[derive(Debug, Default)]
pub struct Pipes {
    pipes: BTreeMap<u32, Pipe>,
    next: u32,
}

impl Pipes {
    /// Creates a pipe labelled `sid`; its ends are counted as handles to
    /// them are created ([`Pipes::add_end`]).
    ///
    /// # Errors
    /// `ENFILE`-like exhaustion of pipe numbers gives `EMFILE`.
    pub fn create(&mut self, sid: u32) -> Result<u32, Errno> {
        let id = self.next;
        self.next = self.next.checked_add(1).ok_or(errno::EMFILE)?;
        self.pipes.insert(id, Pipe { buf: VecDeque::new(), readers: 0, writers: 0, sid });
        Ok(id)
    }

    /// The label of pipe `id`.
    pub fn sid(&self, id: u32) -> Option<u32> {
        self.pipes.get(&id).map(|p| p.sid)
    }

    /// Bytes buffered in pipe `id`.
    pub fn len(&self, id: u32) -> usize {
        self.pipes.get(&id).map_or(0, |p| p.buf.len())
    }

    /// True if there are no pipes.
    pub fn is_empty(&self) -> bool {
        self.pipes.is_empty()
    }

    /// Another handle to an end of pipe `id` exists (adoption of a token).
    pub fn add_end(&mut self, id: u32, write: bool) {
        if let Some(p) = self.pipes.get_mut(&id) {
            if write {
                p.writers += 1;
            } else {
                p.readers += 1;
            }
        }
    }

    /// A handle to an end was closed; the pipe is freed with its last end.
    pub fn close_end(&mut self, id: u32, write: bool) {
        if let Some(p) = self.pipes.get_mut(&id) {
            let n = if write { &mut p.writers } else { &mut p.readers };
            *n = n.saturating_sub(1);
            if p.readers == 0 && p.writers == 0 {
                self.pipes.remove(&id);
            }
        }
    }

    /// Reads up to `dst.len()` bytes: `Ok(0)` is end of file (no writer
    /// left and nothing buffered).
    ///
    /// # Errors
    /// `EAGAIN` if empty while a writer exists; `EBADF` for a freed pipe.
    pub fn read(&mut self, id: u32, dst: &mut [u8]) -> Result<usize, Errno> {
        let p = self.pipes.get_mut(&id).ok_or(Errno::EBADF)?;
        if p.buf.is_empty() {
            return if p.writers == 0 || dst.is_empty() { Ok(0) } else { Err(Errno::EAGAIN) };
        }
        let n = dst.len().min(p.buf.len());
        for (d, s) in dst.iter_mut().zip(p.buf.drain(..n)) {
            *d = s;
        }
        Ok(n)
    }

    /// Appends as much of `src` as fits; returns the count.
    ///
    /// # Errors
    /// `EPIPE` if no reader is left, `EAGAIN` if the pipe is full.
    pub fn write(&mut self, id: u32, src: &[u8]) -> Result<usize, Errno> {
        let p = self.pipes.get_mut(&id).ok_or(Errno::EBADF)?;
        if p.readers == 0 {
            return Err(errno::EPIPE);
        }
        let n = src.len().min(PIPE_CAPACITY - p.buf.len());
        if n == 0 && !src.is_empty() {
            return Err(Errno::EAGAIN);
        }
        p.buf.extend(&src[..n]);
        Ok(n)
    }
}
