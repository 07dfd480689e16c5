//! The policy store: named binary policies uploaded in chunks (init puts
//! every boot policy here at start; administrators upload new ones). A
//! stored policy is only parsed when it is loaded. The store never holds
//! more than [`STORE_BYTES`]: each policy's announced total is reserved
//! when its first chunk arrives.

use alloc::string::String;
use alloc::vec::Vec;
use rampart_secsrv_api::{CHUNK, POLICY_MAX, STORE_BYTES, STORE_MAX};
use rampart_uabi::Errno;

/// One stored policy.
#[derive(Debug)]
struct Entry {
    name: String,
    total: usize,
    bytes: Vec<u8>,
}

/// The store.
#[derive(Debug, Default)]
pub struct Store {
    entries: Vec<Entry>,
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    /// Writes a chunk. Offset 0 (re)starts policy `name`; later chunks must
    /// continue exactly where the previous one ended, with the same total.
    ///
    /// # Errors
    /// `EINVAL` (empty or long name, chunk out of order, past the total,
    /// longer than `CHUNK`), `E2BIG` (total beyond `POLICY_MAX`), `ENOSPC`
    /// (`STORE_MAX` names, or the totals beyond [`STORE_BYTES`]).
    pub fn put(&mut self, name: &str, offset: u32, total: u32, bytes: &[u8]) -> Result<(), Errno> {
        if name.is_empty() || name.len() > 32 || bytes.len() > CHUNK {
            return Err(Errno::EINVAL);
        }
        if total > POLICY_MAX {
            return Err(Errno::E2BIG);
        }
        let (offset, total) = (offset as usize, total as usize);
        if offset.checked_add(bytes.len()).is_none_or(|end| end > total) {
            return Err(Errno::EINVAL);
        }
        let found = self.entries.iter().position(|e| e.name == name);
        if offset == 0 {
            let others: usize = self.entries.iter().filter(|e| e.name != name).map(|e| e.total).sum();
            if others + total > STORE_BYTES {
                return Err(Errno::ENOSPC);
            }
        }
        let i = match found {
            Some(i) => i,
            None => {
                if offset != 0 {
                    return Err(Errno::EINVAL);
                }
                if self.entries.len() >= STORE_MAX {
                    return Err(Errno::ENOSPC);
                }
                self.entries.push(Entry { name: name.into(), total, bytes: Vec::new() });
                self.entries.len() - 1
            }
        };
        let e = &mut self.entries[i];
        if offset == 0 {
            e.total = total;
            e.bytes = Vec::new();
            e.bytes.reserve_exact(total);
        } else if offset != e.bytes.len() || total != e.total {
            return Err(Errno::EINVAL);
        }
        e.bytes.extend_from_slice(bytes);
        Ok(())
    }

    /// The bytes of complete policy `name`.
    ///
    /// # Errors
    /// `ENOENT` (no such name), `EINVAL` (upload incomplete).
    pub fn get(&self, name: &str) -> Result<&[u8], Errno> {
        let e = self.entries.iter().find(|e| e.name == name).ok_or(Errno::ENOENT)?;
        if e.bytes.len() != e.total {
            return Err(Errno::EINVAL);
        }
        Ok(&e.bytes)
    }

    /// Stored names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }
}
