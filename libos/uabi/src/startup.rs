//! What a task starts with (docs/userland.md §2): its well-known capability
//! slots, its address-space layout, and the startup information page whose
//! address it receives in `rdi`.
//!
//! The startup information is a fixed little-endian [`StartupHeader`]
//! (everything the runtime needs before it has a heap: where the IPC
//! buffer, stack and initial heap are) followed by a postcard-encoded
//! [`StartupBody`] (pid-independent strings and lists: arguments,
//! environment, inherited handles, named capabilities).

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Well-known slots of a task's CNode (capability pointer = slot index).
pub mod slot {
    /// Always empty.
    pub const NULL: u64 = 0;
    /// The task's main TCB.
    pub const TCB: u64 = 1;
    /// The task's CNode.
    pub const CNODE: u64 = 2;
    /// Channel to the connection server (empty until connsrv exists).
    pub const CONNSRV: u64 = 3;
    /// Channel to the resource manager ("proc" service).
    pub const RM: u64 = 4;
    /// A notification bound to the main thread (asynchronous events, e.g.
    /// child exits: badge bit [`super::EVENT_CHILD`]).
    pub const NOTIFICATION: u64 = 5;
    /// The task's reply object (for serving requests).
    pub const REPLY: u64 = 6;
    /// The kernel log (`rampart_abi::log`), badged with the task's pid:
    /// only for tasks whose domain the policy grants `system syslog_write`
    /// (Write right) or `syslog_read` (Read right: the console, `syslogd`,
    /// the administrator's `dmesg`), then listed as the named capability
    /// `log`; empty otherwise.
    pub const LOG: u64 = 7;
    /// First slot of inherited handle tokens and named capabilities.
    pub const INHERIT_FIRST: u64 = 8;
    /// One past the last inherited-token slot.
    pub const INHERIT_END: u64 = 30;
    /// The task's kernel timer, once rm gave it one (`TimerAlloc`; empty
    /// until then).
    pub const TIMER: u64 = 30;
    /// A notification of its own (Read and Write, not bound to a thread)
    /// that the task's timer signals, put there by rm with the timer
    /// (empty until then).
    pub const TIMER_NOTIFICATION: u64 = 31;
    /// First slot the task's runtime may allocate.
    pub const FIRST_FREE: u64 = 32;
}

/// Notification badge bit signalled by rm when a child of the task exits.
pub const EVENT_CHILD: u64 = 1;

/// Default log2 slot count of a task's CNode.
pub const CNODE_RADIX: u32 = 12;
/// Smallest CNode radix rm accepts for a task (the well-known slots need 32).
pub const MIN_CNODE_RADIX: u32 = 6;

/// Address-space layout of a task built by `procbuild` (bytes).
pub mod layout {
    /// Where programs are linked (`libos/rt/user.ld`).
    pub const IMAGE_BASE: u64 = 0x40_0000;
    /// Top of the main stack (exclusive); the stack grows down from here and
    /// the page below the stack is left unmapped as a guard.
    pub const STACK_TOP: u64 = 0x7fff_f000_0000;
    /// The main thread's IPC buffer page, just above the stack.
    pub const IPC_BUFFER: u64 = STACK_TOP;
    /// The startup information (up to [`super::STARTUP_MAX_PAGES`] pages),
    /// above the IPC buffer.
    pub const STARTUP: u64 = STACK_TOP + 0x1000;
    /// Default stack size in pages.
    pub const STACK_PAGES: u64 = 16;
    /// The heap starts this far above the end of the image (a guard gap)
    /// rounded up to 2 MiB, and grows up by requests to rm.
    pub const HEAP_GAP: u64 = 0x20_0000;
    /// Base of the area where rm places memory regions (grows up).
    pub const REGION_BASE: u64 = 0x1000_0000_0000;
    /// End of the region area (exclusive).
    pub const REGION_END: u64 = 0x7000_0000_0000;
    /// The foreign window: addresses a task whose own image is linked above
    /// it (the Linux personality's shim, at [`LINUX_SHIM_BASE`]) may fill
    /// with fixed-address regions (rm's `RegionAllocAt`): where Linux
    /// programs are linked (0x40_0000 and up) and keep their stack and
    /// `brk` (docs/linux-abi.md, "Address space").
    pub const FOREIGN_START: u64 = 0x1_0000;
    /// End of the foreign window (exclusive) = [`LINUX_SHIM_BASE`].
    pub const FOREIGN_END: u64 = LINUX_SHIM_BASE;
    /// Where the Linux personality's shim is linked (1.75 GiB): above the
    /// addresses static Linux executables are linked at (0x40_0000) and
    /// their `brk`, and below 2 GiB because user programs are built with
    /// the small code model (sign-extended 32-bit addresses). Its heap grows
    /// from there towards [`REGION_BASE`].
    pub const LINUX_SHIM_BASE: u64 = 0x7000_0000;
}

/// Pages reserved for the startup information: room for 256 KiB of
/// arguments and environment (rm-api's `ARG_MAX`) and 32 KiB for the rest
/// (name, context, working directory, handles, capabilities, data). Only
/// the pages the information needs are allocated and mapped.
pub const STARTUP_MAX_PAGES: usize = 72;
/// Largest startup information in bytes (header + body).
pub const STARTUP_MAX_BYTES: usize = STARTUP_MAX_PAGES * 4096;
/// [`StartupHeader::magic`]: ASCII "RPSTART1".
pub const STARTUP_MAGIC: u64 = u64::from_le_bytes(*b"RPSTART1");
/// Size of the encoded header in bytes.
pub const HEADER_SIZE: usize = 96;

/// The fixed part of the startup information.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartupHeader {
    /// Process id.
    pub pid: u32,
    /// Parent's process id (0: none).
    pub parent: u32,
    /// Address of the main thread's IPC buffer.
    pub ipc_buffer: u64,
    /// Top of the main stack (exclusive).
    pub stack_top: u64,
    /// Size of the main stack in bytes.
    pub stack_size: u64,
    /// Start of the initial heap (already mapped).
    pub heap_start: u64,
    /// Size of the initial heap in bytes.
    pub heap_size: u64,
    /// Time-stamp counter frequency in Hz (0 if unknown).
    pub tsc_hz: u64,
    /// Flags ([`flags`]).
    pub flags: u64,
    /// Length of the postcard body following the header, in bytes.
    pub body_len: u32,
}

/// [`StartupHeader::flags`] bits.
pub mod flags {
    /// The heap may be grown by asking rm (`HeapGrow`); clear for rm itself.
    pub const HEAP_GROWS: u64 = 1;
    /// The kernel is a test kernel: the `Debug*` system calls exist (in the
    /// release kernel they are unknown system calls, which fault).
    pub const DEBUG_SYSCALLS: u64 = 2;
}

/// An inherited handle (docs/userland.md §4): the token capability in
/// `slot` is adopted from `service` as file descriptor `fd`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InheritedHandle {
    /// File-descriptor number in the child.
    pub fd: u32,
    /// The service that issued the token.
    pub service: String,
    /// Slot of the token capability.
    pub slot: u64,
}

/// A capability the creator placed in the task's CNode, by name (servers'
/// endpoints before connsrv exists, rm's boot capabilities).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCap {
    /// What the capability is.
    pub name: String,
    /// Its slot.
    pub slot: u64,
}

/// The variable part of the startup information.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartupBody {
    /// The program's name (its image).
    pub name: String,
    /// Security context (`user:role:type[:level]`).
    pub security_context: String,
    /// Arguments (`argv[0]` is the program name).
    pub argv: Vec<String>,
    /// Environment, `KEY=value`.
    pub envp: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// Inherited handles.
    pub handles: Vec<InheritedHandle>,
    /// Named capabilities.
    pub caps: Vec<NamedCap>,
    /// Creator-defined bytes (rm's boot description from init).
    pub data: Vec<u8>,
}

/// Why startup information could not be encoded or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartupError {
    /// Wrong magic.
    BadMagic,
    /// Shorter than the header or than the body length claims.
    Truncated,
    /// The body does not decode.
    Malformed,
    /// Header and body exceed [`STARTUP_MAX_BYTES`].
    TooLarge,
}

fn put(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn get(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

impl StartupHeader {
    /// The header as bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        put(&mut b, 0, STARTUP_MAGIC);
        put(&mut b, 8, u64::from(self.pid) | u64::from(self.parent) << 32);
        put(&mut b, 16, self.ipc_buffer);
        put(&mut b, 24, self.stack_top);
        put(&mut b, 32, self.stack_size);
        put(&mut b, 40, self.heap_start);
        put(&mut b, 48, self.heap_size);
        put(&mut b, 56, self.tsc_hz);
        put(&mut b, 64, self.flags);
        put(&mut b, 72, u64::from(self.body_len));
        b
    }

    /// Parses a header.
    ///
    /// # Errors
    /// [`StartupError::Truncated`], [`StartupError::BadMagic`].
    pub fn from_bytes(b: &[u8]) -> Result<StartupHeader, StartupError> {
        if b.len() < HEADER_SIZE {
            return Err(StartupError::Truncated);
        }
        if get(b, 0) != STARTUP_MAGIC {
            return Err(StartupError::BadMagic);
        }
        let ids = get(b, 8);
        Ok(StartupHeader {
            pid: ids as u32,
            parent: (ids >> 32) as u32,
            ipc_buffer: get(b, 16),
            stack_top: get(b, 24),
            stack_size: get(b, 32),
            heap_start: get(b, 40),
            heap_size: get(b, 48),
            tsc_hz: get(b, 56),
            flags: get(b, 64),
            body_len: get(b, 72) as u32,
        })
    }
}

/// Encodes header and body into one byte string (the header's `body_len`
/// is filled in).
///
/// # Errors
/// [`StartupError::TooLarge`], [`StartupError::Malformed`].
pub fn encode(header: &StartupHeader, body: &StartupBody) -> Result<Vec<u8>, StartupError> {
    let b = postcard::to_allocvec(body).map_err(|_| StartupError::Malformed)?;
    if HEADER_SIZE + b.len() > STARTUP_MAX_BYTES {
        return Err(StartupError::TooLarge);
    }
    let mut h = *header;
    h.body_len = b.len() as u32;
    let mut out = Vec::with_capacity(HEADER_SIZE + b.len());
    out.extend_from_slice(&h.to_bytes());
    out.extend_from_slice(&b);
    Ok(out)
}

/// As [`encode`], with the body's `argv` and `envp` taken from `args`
/// (when given) instead of from `body`: the postcard encoding of `(argv,
/// envp)`, spliced in unchanged (rm-api's argument block, checked by the
/// caller). The result decodes with [`decode_body`] like any other.
/// Allocation failure is reported, not a panic (rm builds this with a
/// fixed heap).
///
/// # Errors
/// [`StartupError::TooLarge`] (also when memory for it runs out),
/// [`StartupError::Malformed`].
pub fn encode_with_args(
    header: &StartupHeader,
    body: &StartupBody,
    args: Option<&[u8]>,
) -> Result<Vec<u8>, StartupError> {
    let Some(args) = args else {
        return encode(header, body);
    };
    let mut head = Vec::new();
    append(&mut head, &(&body.name, &body.security_context))?;
    let mut tail = Vec::new();
    append(&mut tail, &(&body.cwd, &body.handles, &body.caps, &body.data))?;
    let total = HEADER_SIZE + head.len() + args.len() + tail.len();
    if total > STARTUP_MAX_BYTES {
        return Err(StartupError::TooLarge);
    }
    let mut out = Vec::new();
    out.try_reserve_exact(total).map_err(|_| StartupError::TooLarge)?;
    let mut h = *header;
    h.body_len = (total - HEADER_SIZE) as u32;
    out.extend_from_slice(&h.to_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(args);
    out.extend_from_slice(&tail);
    Ok(out)
}

/// Appends the postcard encoding of `x` to `v`.
fn append<T: Serialize>(v: &mut Vec<u8>, x: &T) -> Result<(), StartupError> {
    let b = postcard::to_allocvec(x).map_err(|_| StartupError::Malformed)?;
    v.extend_from_slice(&b);
    Ok(())
}

/// Decodes the body that follows `header` in `bytes` (the whole startup
/// area, header included).
///
/// # Errors
/// [`StartupError::Truncated`], [`StartupError::Malformed`].
pub fn decode_body(header: &StartupHeader, bytes: &[u8]) -> Result<StartupBody, StartupError> {
    let end = HEADER_SIZE.checked_add(header.body_len as usize).ok_or(StartupError::Truncated)?;
    if end > bytes.len() || end > STARTUP_MAX_BYTES {
        return Err(StartupError::Truncated);
    }
    crate::codec::decode_bytes(&bytes[HEADER_SIZE..end]).map_err(|_| StartupError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn sample() -> (StartupHeader, StartupBody) {
        let h = StartupHeader {
            pid: 7,
            parent: 1,
            ipc_buffer: layout::IPC_BUFFER,
            stack_top: layout::STACK_TOP,
            stack_size: 0x10000,
            heap_start: 0x80_0000,
            heap_size: 0x4000,
            tsc_hz: 1_000_000_000,
            flags: flags::HEAP_GROWS,
            body_len: 0,
        };
        let b = StartupBody {
            name: "sh".into(),
            security_context: "user_u:user_r:user_t".into(),
            argv: vec!["sh".to_string(), "-c".into(), "ls".into()],
            envp: vec!["PATH=/bin".into()],
            cwd: "/".into(),
            handles: vec![InheritedHandle { fd: 1, service: "console".into(), slot: 8 }],
            caps: vec![NamedCap { name: "fs".into(), slot: 9 }],
            data: vec![1, 2, 3],
        };
        (h, b)
    }

    #[test]
    fn round_trip() {
        let (h, b) = sample();
        let bytes = encode(&h, &b).unwrap();
        let h2 = StartupHeader::from_bytes(&bytes).unwrap();
        assert_eq!(h2.pid, 7);
        assert_eq!(h2.body_len as usize, bytes.len() - HEADER_SIZE);
        assert_eq!(decode_body(&h2, &bytes).unwrap(), b);
    }

    #[test]
    fn spliced_arguments_decode_as_the_body_s_own() {
        let (h, b) = sample();
        let args = postcard::to_allocvec(&(&b.argv, &b.envp)).unwrap();
        let without = StartupBody { argv: vec![], envp: vec![], ..b.clone() };
        let spliced = encode_with_args(&h, &without, Some(&args)).unwrap();
        assert_eq!(spliced, encode(&h, &b).unwrap());
        let h2 = StartupHeader::from_bytes(&spliced).unwrap();
        assert_eq!(decode_body(&h2, &spliced).unwrap(), b);
        // Large arguments fit the area (rm-api's ARG_MAX is 256 KiB).
        let big = vec![0u8; 256 * 1024];
        let big_args =
            postcard::to_allocvec(&(vec![String::from("x")], vec![String::from_utf8(big).unwrap()])).unwrap();
        let info = encode_with_args(&h, &without, Some(&big_args)).unwrap();
        let h3 = StartupHeader::from_bytes(&info).unwrap();
        assert_eq!(decode_body(&h3, &info).unwrap().envp[0].len(), 256 * 1024);
        let too_big = vec![0u8; STARTUP_MAX_BYTES];
        assert_eq!(encode_with_args(&h, &without, Some(&too_big)), Err(StartupError::TooLarge));
    }

    #[test]
    fn rejects_bad_input() {
        let (h, b) = sample();
        let bytes = encode(&h, &b).unwrap();
        assert_eq!(StartupHeader::from_bytes(&bytes[..50]), Err(StartupError::Truncated));
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        assert_eq!(StartupHeader::from_bytes(&bad), Err(StartupError::BadMagic));
        let h2 = StartupHeader::from_bytes(&bytes).unwrap();
        assert_eq!(decode_body(&h2, &bytes[..bytes.len() - 1]), Err(StartupError::Truncated));
        let mut long = h2;
        long.body_len = u32::MAX;
        assert_eq!(decode_body(&long, &bytes), Err(StartupError::Truncated));
        let huge = StartupBody { data: vec![0; STARTUP_MAX_BYTES], ..Default::default() };
        assert_eq!(encode(&h, &huge), Err(StartupError::TooLarge));
        let mut junk = bytes.clone();
        for x in junk[HEADER_SIZE..].iter_mut() {
            *x = 0xff;
        }
        assert_eq!(decode_body(&h2, &junk), Err(StartupError::Malformed));
    }
}
