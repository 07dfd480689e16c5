//! The initial stack of a new Linux program (System V AMD64 psABI §3.4.1,
//! "Initial Stack and Register State"; Linux `fs/binfmt_elf.c`
//! `create_elf_tables`).
//!
//! From `rsp` upwards: `argc`, `argv[0..argc]`, NULL, `envp[..]`, NULL,
//! auxiliary vector pairs ending with `AT_NULL`, then the strings and the
//! 16 `AT_RANDOM` bytes. `rsp` is 16-byte aligned at entry.

use crate::auxv::*;
use alloc::vec::Vec;

/// What the loader knows about the program (addresses in its address
/// space).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgramInfo {
    /// Address of the program headers as loaded (`AT_PHDR`).
    pub phdr: u64,
    /// Size of one program header (`AT_PHENT`, 56 for ELF64).
    pub phent: u64,
    /// Number of program headers (`AT_PHNUM`).
    pub phnum: u64,
    /// Entry point (`AT_ENTRY`).
    pub entry: u64,
    /// User and group ids reported (`AT_UID`, `AT_EUID`, `AT_GID`,
    /// `AT_EGID`; docs/linux-abi.md "Credentials").
    pub uid: u32,
    /// Group id (see `uid`).
    pub gid: u32,
    /// `AT_HWCAP` (CPUID.1:EDX).
    pub hwcap: u64,
}

/// A built stack: `bytes` go at `[top - bytes.len(), top)` and the program
/// starts with `rsp` = `rsp`.
#[derive(Debug, PartialEq, Eq)]
pub struct InitialStack {
    /// The stack's contents, lowest address first.
    pub bytes: Vec<u8>,
    /// The initial `rsp` (16-byte aligned, = `top - bytes.len()`).
    pub rsp: u64,
}

/// Why a stack could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackError {
    /// Arguments and environment exceed `limit` bytes (execve(2) `E2BIG`).
    TooBig,
    /// `top` is not 16-byte aligned or too low for the contents.
    BadTop,
}

/// Builds the initial stack for a program whose stack ends at `top`, with
/// `argv`, `envp` (each string without its NUL; a NUL inside a string ends
/// it, as C would see it), `execfn` (`AT_EXECFN`), 16 random bytes, and at
/// most `limit` bytes in all.
///
/// # Errors
/// [`StackError::TooBig`], [`StackError::BadTop`].
pub fn build(
    top: u64,
    argv: &[&[u8]],
    envp: &[&[u8]],
    execfn: &[u8],
    random: [u8; 16],
    info: &ProgramInfo,
    limit: usize,
) -> Result<InitialStack, StackError> {
    if !top.is_multiple_of(16) {
        return Err(StackError::BadTop);
    }
    let cstr = |s: &[u8]| -> usize { s.iter().position(|&b| b == 0).unwrap_or(s.len()) };
    // Strings area (placed right below `top`): platform, random, execfn,
    // argv strings, envp strings.
    let mut strings: Vec<u8> = Vec::new();
    let push = |strings: &mut Vec<u8>, s: &[u8]| -> usize {
        let off = strings.len();
        strings.extend_from_slice(&s[..cstr(s)]);
        strings.push(0);
        off
    };
    let platform = push(&mut strings, b"x86_64");
    let random_off = strings.len();
    strings.extend_from_slice(&random);
    let execfn_off = push(&mut strings, execfn);
    let mut argv_offs = Vec::with_capacity(argv.len());
    for a in argv {
        argv_offs.push(push(&mut strings, a));
    }
    let mut envp_offs = Vec::with_capacity(envp.len());
    for e in envp {
        envp_offs.push(push(&mut strings, e));
    }
    let auxv: [(u64, u64); 17] = [
        (AT_PHDR, info.phdr),
        (AT_PHENT, info.phent),
        (AT_PHNUM, info.phnum),
        (AT_PAGESZ, 4096),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, info.entry),
        (AT_UID, u64::from(info.uid)),
        (AT_EUID, u64::from(info.uid)),
        (AT_GID, u64::from(info.gid)),
        (AT_EGID, u64::from(info.gid)),
        (AT_HWCAP, info.hwcap),
        (AT_CLKTCK, 100),
        (AT_SECURE, 0),
        (AT_RANDOM, 0),   // patched below
        (AT_EXECFN, 0),   // patched below
        (AT_PLATFORM, 0), // patched below
    ];
    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * (auxv.len() + 1);
    let strings_len = strings.len().next_multiple_of(16);
    let mut total = strings_len + words * 8;
    total = total.next_multiple_of(16);
    if total > limit {
        return Err(StackError::TooBig);
    }
    if (total as u64) > top {
        return Err(StackError::BadTop);
    }
    let rsp = top - total as u64;
    let strings_at = top - strings_len as u64;
    let mut bytes = Vec::with_capacity(total);
    let mut word = |v: u64| bytes.extend_from_slice(&v.to_le_bytes());
    word(argv.len() as u64);
    for &o in &argv_offs {
        word(strings_at + o as u64);
    }
    word(0);
    for &o in &envp_offs {
        word(strings_at + o as u64);
    }
    word(0);
    for (k, v) in auxv {
        let v = match k {
            AT_RANDOM => strings_at + random_off as u64,
            AT_EXECFN => strings_at + execfn_off as u64,
            AT_PLATFORM => strings_at + platform as u64,
            _ => v,
        };
        word(k);
        word(v);
    }
    word(AT_NULL);
    word(0);
    bytes.resize(total - strings_len, 0);
    bytes.extend_from_slice(&strings);
    bytes.resize(total, 0);
    Ok(InitialStack { bytes, rsp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const TOP: u64 = 0x7fff_0000;

    fn at(st: &InitialStack, addr: u64) -> u64 {
        let o = (addr - st.rsp) as usize;
        u64::from_le_bytes(st.bytes[o..o + 8].try_into().unwrap())
    }

    fn string(st: &InitialStack, addr: u64) -> Vec<u8> {
        let o = (addr - st.rsp) as usize;
        st.bytes[o..].iter().take_while(|&&b| b != 0).copied().collect()
    }

    fn info() -> ProgramInfo {
        ProgramInfo { phdr: 0x40_0040, phent: 56, phnum: 9, entry: 0x40_1000, uid: 1000, gid: 1000, hwcap: 0x178b_fbff }
    }

    type Parsed = (Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<(u64, u64)>);

    /// Walks the stack as a C runtime does (`__libc_start_main`).
    fn parse(st: &InitialStack) -> Parsed {
        let argc = at(st, st.rsp);
        let mut p = st.rsp + 8;
        let argv = (0..argc).map(|i| string(st, at(st, p + 8 * i))).collect();
        p += 8 * (argc + 1);
        assert_eq!(at(st, p - 8), 0, "argv ends with NULL");
        let mut envp = vec![];
        while at(st, p) != 0 {
            envp.push(string(st, at(st, p)));
            p += 8;
        }
        p += 8;
        let mut aux = vec![];
        loop {
            let (k, v) = (at(st, p), at(st, p + 8));
            p += 16;
            if k == AT_NULL {
                break;
            }
            aux.push((k, v));
        }
        (argv, envp, aux)
    }

    #[test]
    fn a_c_runtime_finds_argv_envp_and_auxv() {
        let st = build(
            TOP,
            &[b"sed", b"s/a/b/"],
            &[b"PATH=/bin", b"HOME=/home/user"],
            b"/bin/sed",
            [7; 16],
            &info(),
            1 << 20,
        )
        .unwrap();
        assert_eq!(st.rsp % 16, 0, "psABI: rsp 16-byte aligned at entry");
        assert_eq!(st.rsp + st.bytes.len() as u64, TOP);
        let (argv, envp, aux) = parse(&st);
        assert_eq!(argv, vec![b"sed".to_vec(), b"s/a/b/".to_vec()]);
        assert_eq!(envp, vec![b"PATH=/bin".to_vec(), b"HOME=/home/user".to_vec()]);
        let get = |k| aux.iter().find(|(x, _)| *x == k).map(|&(_, v)| v).unwrap();
        assert_eq!((get(AT_PHDR), get(AT_PHENT), get(AT_PHNUM)), (0x40_0040, 56, 9));
        assert_eq!((get(AT_ENTRY), get(AT_PAGESZ), get(AT_SECURE)), (0x40_1000, 4096, 0));
        assert_eq!((get(AT_UID), get(AT_EGID)), (1000, 1000));
        assert_eq!(string(&st, get(AT_EXECFN)), b"/bin/sed");
        assert_eq!(string(&st, get(AT_PLATFORM)), b"x86_64");
        let r = (get(AT_RANDOM) - st.rsp) as usize;
        assert_eq!(&st.bytes[r..r + 16], &[7; 16]);
        // Every pointer stays inside the stack.
        for (k, v) in aux {
            if matches!(k, AT_RANDOM | AT_EXECFN | AT_PLATFORM) {
                assert!(v >= st.rsp && v < TOP);
            }
        }
    }

    #[test]
    fn empty_argv_and_embedded_nul() {
        let st = build(TOP, &[], &[b"A=1\0B=2"], b"", [0; 16], &info(), 4096).unwrap();
        let (argv, envp, _) = parse(&st);
        assert!(argv.is_empty());
        assert_eq!(envp, vec![b"A=1".to_vec()], "a string ends at its first NUL");
    }

    #[test]
    fn limits_are_errors_not_panics() {
        let big = vec![b'x'; 5000];
        assert_eq!(build(TOP, &[&big], &[], b"", [0; 16], &info(), 4096), Err(StackError::TooBig));
        assert_eq!(build(TOP + 8, &[], &[], b"", [0; 16], &info(), 4096), Err(StackError::BadTop));
        assert_eq!(build(64, &[b"a"], &[], b"", [0; 16], &info(), 4096), Err(StackError::BadTop));
    }
}
