//! Packing the boot-module archive (format: `rampart_abi::bootfs`).

use anyhow::{Result, bail};
use rampart_abi::bootfs::{ENTRY_SIZE, HEADER_SIZE, MAGIC, NAME_MAX, VERSION};

/// Packs `(name, bytes)` files into a bootfs archive; each file's data starts
/// on a 4 KiB boundary.
///
/// # Errors
/// If a name is empty, too long, or contains NUL.
pub fn pack(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&u32::try_from(files.len())?.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // total size, patched below
    let mut offset = (HEADER_SIZE + files.len() * ENTRY_SIZE).next_multiple_of(4096);
    let mut placed = Vec::new();
    for (name, data) in files {
        if name.is_empty() || name.len() > NAME_MAX || name.contains('\0') {
            bail!("bad boot module name {name:?}");
        }
        let mut n = [0u8; NAME_MAX];
        n[..name.len()].copy_from_slice(name.as_bytes());
        out.extend_from_slice(&n);
        out.extend_from_slice(&(offset as u64).to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        placed.push(offset);
        offset = (offset + data.len()).next_multiple_of(4096);
    }
    for ((_, data), off) in files.iter().zip(placed) {
        out.resize(off, 0);
        out.extend_from_slice(data);
    }
    out.resize(out.len().next_multiple_of(4096), 0);
    let total = out.len() as u64;
    out[16..24].copy_from_slice(&total.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_abi::bootfs::Bootfs;

    #[test]
    fn packed_archive_parses() {
        let files = vec![("init".to_string(), vec![1u8; 5000]), ("fs".to_string(), b"abc".to_vec())];
        let a = pack(&files).unwrap();
        let fs = Bootfs::parse(&a).unwrap();
        assert_eq!(fs.find("init").unwrap().data, &[1u8; 5000][..]);
        assert_eq!(fs.find("fs").unwrap().data, b"abc");
        assert!(fs.iter().all(|e| e.offset % 4096 == 0));
        assert!(pack(&[("".into(), vec![])]).is_err());
        assert!(pack(&[("x".repeat(49), vec![])]).is_err());
    }
}
