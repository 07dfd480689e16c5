//! The boot-module archive ("bootfs").
//!
//! QEMU's PVH loader passes a single initrd, so the image builder packs every
//! boot module (init, the servers, first programs) into one archive that is
//! passed as the initrd (PVH) or the first module (multiboot2). The same
//! archive is mapped read-only into init.
//!
//! Layout (all integers little-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `b"RPBOOTFS"` |
//! | 8 | 4 | format version, [`VERSION`] |
//! | 12 | 4 | entry count `n` |
//! | 16 | 8 | total archive size in bytes |
//! | 24 | 64·n | entries: name (48 bytes, NUL-padded UTF-8), offset (8), size (8) |
//!
//! File data starts at page-aligned offsets after the entry table. The parser
//! treats the archive as untrusted: every offset and size is bounds-checked.

/// Archive magic.
pub const MAGIC: [u8; 8] = *b"RPBOOTFS";
/// Format version.
pub const VERSION: u32 = 1;
/// Size of the fixed header in bytes.
pub const HEADER_SIZE: usize = 24;
/// Size of one entry in bytes.
pub const ENTRY_SIZE: usize = 64;
/// Maximum length of an entry name in bytes.
pub const NAME_MAX: usize = 48;

/// Why an archive was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootfsError {
    /// Shorter than its header or entry table.
    Truncated,
    /// Wrong magic bytes.
    BadMagic,
    /// Unknown format version.
    BadVersion,
    /// An entry's data lies outside the archive.
    EntryOutOfBounds,
    /// An entry's name is not NUL-padded UTF-8.
    BadName,
}

/// A parsed, bounds-checked view of an archive.
#[derive(Clone, Copy, Debug)]
pub struct Bootfs<'a> {
    bytes: &'a [u8],
    count: usize,
}

/// One file in the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootfsEntry<'a> {
    /// The file name.
    pub name: &'a str,
    /// Offset of the data from the start of the archive, in bytes.
    pub offset: usize,
    /// The file's bytes.
    pub data: &'a [u8],
}

fn le_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

impl<'a> Bootfs<'a> {
    /// Validates the header and every entry of `bytes`.
    ///
    /// # Errors
    /// Any [`BootfsError`] if the archive is malformed.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, BootfsError> {
        if bytes.len() < HEADER_SIZE {
            return Err(BootfsError::Truncated);
        }
        if bytes[..8] != MAGIC {
            return Err(BootfsError::BadMagic);
        }
        if le_u32(&bytes[8..]) != VERSION {
            return Err(BootfsError::BadVersion);
        }
        let count = le_u32(&bytes[12..]) as usize;
        let table_end =
            count.checked_mul(ENTRY_SIZE).and_then(|t| t.checked_add(HEADER_SIZE)).ok_or(BootfsError::Truncated)?;
        if table_end > bytes.len() {
            return Err(BootfsError::Truncated);
        }
        let fs = Bootfs { bytes, count };
        for i in 0..count {
            fs.entry_checked(i)?;
        }
        Ok(fs)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True if the archive holds no files.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn entry_checked(&self, i: usize) -> Result<BootfsEntry<'a>, BootfsError> {
        let e = &self.bytes[HEADER_SIZE + i * ENTRY_SIZE..HEADER_SIZE + (i + 1) * ENTRY_SIZE];
        let name_raw = &e[..NAME_MAX];
        let nul = name_raw.iter().position(|&c| c == 0).unwrap_or(NAME_MAX);
        if name_raw[nul..].iter().any(|&c| c != 0) {
            return Err(BootfsError::BadName);
        }
        let name = core::str::from_utf8(&name_raw[..nul]).map_err(|_| BootfsError::BadName)?;
        let offset = le_u64(&e[48..]);
        let size = le_u64(&e[56..]);
        let end = offset.checked_add(size).ok_or(BootfsError::EntryOutOfBounds)?;
        if end > self.bytes.len() as u64 {
            return Err(BootfsError::EntryOutOfBounds);
        }
        Ok(BootfsEntry { name, offset: offset as usize, data: &self.bytes[offset as usize..end as usize] })
    }

    /// The `i`-th entry, or `None` past the end.
    pub fn entry(&self, i: usize) -> Option<BootfsEntry<'a>> {
        if i < self.count { self.entry_checked(i).ok() } else { None }
    }

    /// Iterates over all entries in archive order.
    pub fn iter(&self) -> impl Iterator<Item = BootfsEntry<'a>> + '_ {
        (0..self.count).filter_map(|i| self.entry(i))
    }

    /// Finds a file by name.
    pub fn find(&self, name: &str) -> Option<BootfsEntry<'a>> {
        self.iter().find(|e| e.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn build(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(files.len() as u32).to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        let mut off = (HEADER_SIZE + files.len() * ENTRY_SIZE).next_multiple_of(4096);
        let mut data = Vec::new();
        for (name, bytes) in files {
            let mut n = [0u8; NAME_MAX];
            n[..name.len()].copy_from_slice(name.as_bytes());
            out.extend_from_slice(&n);
            out.extend_from_slice(&(off as u64).to_le_bytes());
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            data.push((off, *bytes));
            off = (off + bytes.len()).next_multiple_of(4096);
        }
        for (o, b) in data {
            out.resize(o, 0);
            out.extend_from_slice(b);
        }
        out
    }

    #[test]
    fn parses_and_finds() {
        let a = build(&[("init", b"ELF..."), ("fs", b"xyz")]);
        let fs = Bootfs::parse(&a).unwrap();
        assert_eq!(fs.len(), 2);
        assert_eq!(fs.find("fs").unwrap().data, b"xyz");
        assert_eq!(fs.find("init").unwrap().offset % 4096, 0);
        assert!(fs.find("nope").is_none());
    }

    #[test]
    fn rejects_malformed() {
        let a = build(&[("init", b"abc")]);
        assert_eq!(Bootfs::parse(&a[..10]).unwrap_err(), BootfsError::Truncated);
        let mut bad = a.clone();
        bad[0] = b'X';
        assert_eq!(Bootfs::parse(&bad).unwrap_err(), BootfsError::BadMagic);
        let mut bad = a.clone();
        bad[12] = 200; // count beyond the table
        assert_eq!(Bootfs::parse(&bad).unwrap_err(), BootfsError::Truncated);
        let mut bad = a.clone();
        bad[HEADER_SIZE + 56..HEADER_SIZE + 64].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(Bootfs::parse(&bad).unwrap_err(), BootfsError::EntryOutOfBounds);
        let mut bad = a.clone();
        bad[HEADER_SIZE + 10] = b'x'; // junk after the NUL
        assert_eq!(Bootfs::parse(&bad).unwrap_err(), BootfsError::BadName);
    }

    #[test]
    fn random_bytes_never_panic() {
        // A small deterministic xorshift fuzz over mutated archives.
        let base = build(&[("init", b"hello"), ("x", b"")]);
        let mut s = 0x9e3779b97f4a7c15u64;
        for _ in 0..20_000 {
            let mut a = base.clone();
            for _ in 0..4 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let i = (s as usize) % a.len();
                a[i] = (s >> 32) as u8;
            }
            let cut = (s as usize >> 8) % (a.len() + 1);
            if let Ok(fs) = Bootfs::parse(&a[..cut]) {
                for e in fs.iter() {
                    assert!(e.offset + e.data.len() <= cut);
                }
            }
        }
    }
}
