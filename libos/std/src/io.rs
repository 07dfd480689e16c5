//! Input and output: the `Read`/`Write` traits, buffered readers and
//! writers, and (with `rt`) the standard streams and pipes.

use crate::error::{Error, ErrorKind, Result};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use crate::error::{Error as IoError, ErrorKind as IoErrorKind};

/// A byte source.
pub trait Read {
    /// Reads up to `buf.len()` bytes; `Ok(0)` at end of input.
    ///
    /// # Errors
    /// The source's error.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize>;

    /// Reads until end of input, appending to `out`; returns the bytes read.
    ///
    /// # Errors
    /// The source's error.
    fn read_to_end(&mut self, out: &mut Vec<u8>) -> Result<usize> {
        let mut buf = [0u8; 4096];
        let start = out.len();
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(out.len() - start),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads until end of input as UTF-8.
    ///
    /// # Errors
    /// The source's error; `InvalidInput` for bytes that are not UTF-8.
    fn read_to_string(&mut self, out: &mut String) -> Result<usize> {
        let mut v = Vec::new();
        let n = self.read_to_end(&mut v)?;
        out.push_str(core::str::from_utf8(&v).map_err(|_| Error::from(ErrorKind::InvalidInput))?);
        Ok(n)
    }

    /// Fills `buf` exactly.
    ///
    /// # Errors
    /// `UnexpectedEof` if the input ends first.
    fn read_exact(&mut self, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            match self.read(buf)? {
                0 => return Err(ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }
}

/// A byte sink.
pub trait Write {
    /// Writes some of `buf`; returns how much.
    ///
    /// # Errors
    /// The sink's error.
    fn write(&mut self, buf: &[u8]) -> Result<usize>;

    /// Sends buffered bytes on.
    ///
    /// # Errors
    /// The sink's error.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    /// The sink's error; `Other` if it accepts nothing.
    fn write_all(&mut self, mut buf: &[u8]) -> Result<()> {
        while !buf.is_empty() {
            match self.write(buf) {
                Ok(0) => return Err(ErrorKind::Other.into()),
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes formatted text.
    ///
    /// # Errors
    /// The sink's error.
    fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> Result<()> {
        struct Adapter<'a, W: ?Sized> {
            w: &'a mut W,
            err: Option<Error>,
        }
        impl<W: Write + ?Sized> fmt::Write for Adapter<'_, W> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.w.write_all(s.as_bytes()).map_err(|e| {
                    self.err = Some(e);
                    fmt::Error
                })
            }
        }
        let mut a = Adapter { w: self, err: None };
        match fmt::write(&mut a, args) {
            Ok(()) => Ok(()),
            Err(_) => Err(a.err.unwrap_or_else(|| ErrorKind::Other.into())),
        }
    }
}

impl Read for &[u8] {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = buf.len().min(self.len());
        buf[..n].copy_from_slice(&self[..n]);
        *self = &self[n..];
        Ok(n)
    }
}

impl Write for Vec<u8> {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }
}

impl<R: Read + ?Sized> Read for &mut R {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        (**self).read(buf)
    }
}

impl<W: Write + ?Sized> Write for &mut W {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        (**self).write(buf)
    }
    fn flush(&mut self) -> Result<()> {
        (**self).flush()
    }
}

/// Buffers reads from `R`; reads lines.
pub struct BufReader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
}

impl<R: Read> BufReader<R> {
    /// A reader with an 8 KiB buffer.
    pub fn new(inner: R) -> BufReader<R> {
        BufReader { inner, buf: Vec::new(), pos: 0 }
    }

    fn fill(&mut self) -> Result<&[u8]> {
        if self.pos >= self.buf.len() {
            self.buf.resize(8192, 0);
            let n = self.inner.read(&mut self.buf)?;
            self.buf.truncate(n);
            self.pos = 0;
        }
        Ok(&self.buf[self.pos..])
    }

    /// Reads up to and including `\n` into `line`; returns bytes read (0 at
    /// end of input).
    ///
    /// # Errors
    /// The source's error; `InvalidInput` for a line that is not UTF-8.
    pub fn read_line(&mut self, line: &mut String) -> Result<usize> {
        let mut bytes = Vec::new();
        loop {
            let avail = self.fill()?;
            if avail.is_empty() {
                break;
            }
            match avail.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    bytes.extend_from_slice(&avail[..=i]);
                    self.pos += i + 1;
                    break;
                }
                None => {
                    let n = avail.len();
                    bytes.extend_from_slice(avail);
                    self.pos += n;
                }
            }
        }
        line.push_str(core::str::from_utf8(&bytes).map_err(|_| Error::from(ErrorKind::InvalidInput))?);
        Ok(bytes.len())
    }

    /// The lines (without their `\n`).
    pub fn lines(self) -> Lines<R> {
        Lines { r: self }
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for BufReader<R> {
    fn read(&mut self, out: &mut [u8]) -> Result<usize> {
        let avail = self.fill()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// Iterator over lines ([`BufReader::lines`]).
pub struct Lines<R> {
    r: BufReader<R>,
}

impl<R: Read> Iterator for Lines<R> {
    type Item = Result<String>;
    fn next(&mut self) -> Option<Result<String>> {
        let mut s = String::new();
        match self.r.read_line(&mut s) {
            Ok(0) => None,
            Ok(_) => {
                if s.ends_with('\n') {
                    s.pop();
                }
                Some(Ok(s))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// Buffers writes to `W` (flushed when full, on `flush` and on drop).
pub struct BufWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> BufWriter<W> {
    /// A writer with an 8 KiB buffer.
    pub fn new(inner: W) -> BufWriter<W> {
        BufWriter { inner, buf: Vec::with_capacity(8192) }
    }
}

impl<W: Write> Write for BufWriter<W> {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        if self.buf.len() + buf.len() > 8192 {
            self.flush()?;
        }
        if buf.len() >= 8192 {
            return self.inner.write(buf);
        }
        self.buf.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<()> {
        let b = core::mem::take(&mut self.buf);
        self.inner.write_all(&b)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for BufWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(feature = "rt")]
pub use crate::sys::stdio::{
    PipeReader, PipeWriter, Stderr, Stdin, Stdout, close, dup2, fd_read, fd_write, flush_all, is_terminal,
    open_terminal, pipe, set_echo, set_foreground, set_raw_mode, set_terminal_mode, stderr, stdin, stdout, terminal_id,
    terminal_mode, terminal_size,
};

/// A terminal's line-discipline settings: raw or cooked, echo or not,
/// signal keys or not (docs/console.md); what [`terminal_mode`] and [`set_terminal_mode`]
/// (with `rt`) get and set.
pub use rampart_console_api::Mode as TerminalMode;

/// A terminal's size in character cells, as `TIOCGWINSZ` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TerminalSize {
    /// Rows (lines).
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec;

    #[test]
    fn buffered_lines_and_writes() {
        let data = b"one\ntwo\n\nlast";
        let lines: Vec<String> = BufReader::new(&data[..]).lines().map(|l| l.unwrap()).collect();
        assert_eq!(lines, vec!["one", "two", "", "last"]);
        let mut out = Vec::new();
        {
            let mut w = BufWriter::new(&mut out);
            write!(w, "{}-x", 1).unwrap();
            w.write_all(&[b'!'; 10000]).unwrap();
        }
        assert_eq!(out.len(), 3 + 10000);
        let mut s = String::new();
        (&b"hello"[..]).read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello");
        let mut short = [0u8; 10];
        assert_eq!((&b"abc"[..]).read_exact(&mut short).unwrap_err().kind(), ErrorKind::UnexpectedEof);
    }
}
