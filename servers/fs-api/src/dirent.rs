//! The layout of directory entries written into the shared region by
//! [`crate::Request::ReadDir`].
//!
//! A batch is a sequence of records, each 8-byte aligned:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | inode number, u64 little-endian |
//! | 8 | 2 | record length in bytes (header + name + padding), u16 LE, a multiple of 8 |
//! | 10 | 1 | `d_type` ([`crate::FileType::dtype`], 0 = unknown) |
//! | 11 | 1 | name length `n` (1..=255) |
//! | 12 | n | name bytes (no NUL) |
//! | 12+n | .. | zero padding to the record length |
//!
//! The reply says how many bytes were written; [`Dirents`] walks them and
//! stops (returning `None`) at the first malformed record, so a client never
//! trusts the server's layout blindly either.

use crate::FileType;

/// Size of a record header in bytes.
pub const HEADER: usize = 12;

/// Length of the record for a name of `name_len` bytes.
pub const fn record_len(name_len: usize) -> usize {
    (HEADER + name_len).div_ceil(8) * 8
}

/// Writes one record at the start of `out`; returns its length, or `None`
/// if it does not fit or the name is empty or longer than 255 bytes.
pub fn write_record(out: &mut [u8], ino: u64, kind: Option<FileType>, name: &[u8]) -> Option<usize> {
    let n = u8::try_from(name.len()).ok().filter(|&n| n > 0)?;
    let len = record_len(name.len());
    let rec = out.get_mut(..len)?;
    rec.fill(0);
    rec[0..8].copy_from_slice(&ino.to_le_bytes());
    rec[8..10].copy_from_slice(&u16::try_from(len).ok()?.to_le_bytes());
    rec[10] = kind.map_or(0, FileType::dtype);
    rec[11] = n;
    rec[HEADER..HEADER + name.len()].copy_from_slice(name);
    Some(len)
}

/// One decoded entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirent<'a> {
    /// Inode number.
    pub ino: u64,
    /// Type, if known.
    pub kind: Option<FileType>,
    /// Name bytes.
    pub name: &'a [u8],
}

/// Iterator over the records of a batch.
#[derive(Clone, Debug)]
pub struct Dirents<'a> {
    buf: &'a [u8],
}

impl<'a> Dirents<'a> {
    /// Walks the first `len` bytes the server reported (`buf` = the batch).
    pub fn new(buf: &'a [u8]) -> Dirents<'a> {
        Dirents { buf }
    }
}

impl<'a> Iterator for Dirents<'a> {
    type Item = Dirent<'a>;

    fn next(&mut self) -> Option<Dirent<'a>> {
        let head = self.buf.get(..HEADER)?;
        let ino = u64::from_le_bytes(head[0..8].try_into().ok()?);
        let len = usize::from(u16::from_le_bytes([head[8], head[9]]));
        let n = usize::from(head[11]);
        if n == 0 || len != record_len(n) || len > self.buf.len() {
            self.buf = &[];
            return None;
        }
        let name = &self.buf[HEADER..HEADER + n];
        let kind = FileType::from_dtype(head[10]);
        self.buf = &self.buf[len..];
        Some(Dirent { ino, kind, name })
    }
}
