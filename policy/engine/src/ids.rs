//! Small identifier and vocabulary types shared by the whole engine.

use serde::{Deserialize, Serialize};

/// A security identifier: the compact run-time handle of a security context.
///
/// SIDs are issued by a [`crate::SidTable`]; `0` is never issued and is
/// rejected everywhere as "no SID". Values are stable across policy reloads
/// (the table re-resolves each SID's context string against the new policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Sid(pub u32);

/// An object class number as carried in IPC and AVC keys.
///
/// Class numbers start at `1` in declaration order (`0` is invalid), as in
/// SELinux, so a zeroed message can never name a real class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClassId(pub u16);

/// An access vector: bit `i` is the class's `i`-th permission (common
/// permissions first, then the class's own, in declaration order).
pub type AccessVector = u32;

/// The most permissions a class may have (the width of [`AccessVector`]).
pub const MAX_PERMS: usize = 32;

/// The kind of a file-system object, used by file-context rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FileKind {
    /// Regular file (`file`).
    File,
    /// Directory (`dir`).
    Dir,
    /// Symbolic link (`lnk_file`).
    Symlink,
    /// Character device (`chr_file`).
    CharDev,
    /// Block device (`blk_file`).
    BlockDev,
    /// Named pipe (`fifo_file`).
    Fifo,
    /// Unix-domain socket (`sock_file`).
    Socket,
}

impl FileKind {
    /// All kinds, in a fixed order.
    pub const ALL: [FileKind; 7] = [
        FileKind::File,
        FileKind::Dir,
        FileKind::Symlink,
        FileKind::CharDev,
        FileKind::BlockDev,
        FileKind::Fifo,
        FileKind::Socket,
    ];

    /// The policy-language keyword for this kind (`file`, `dir`, ...).
    pub fn keyword(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Dir => "dir",
            FileKind::Symlink => "lnk_file",
            FileKind::CharDev => "chr_file",
            FileKind::BlockDev => "blk_file",
            FileKind::Fifo => "fifo_file",
            FileKind::Socket => "sock_file",
        }
    }

    /// Parses a policy-language keyword; `None` if it names no kind.
    pub fn from_keyword(s: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.keyword() == s)
    }
}

/// A transport protocol for port-context rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// The policy-language keyword (`tcp` or `udp`).
    pub fn keyword(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }

    /// Parses `tcp` or `udp`.
    pub fn from_keyword(s: &str) -> Option<Protocol> {
        match s {
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            _ => None,
        }
    }
}

/// The information-flow direction of one permission, as seen from the
/// subject (source) holding it on an object (target).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FlowDir {
    /// Information flows from the target to the source (e.g. `read`).
    Read,
    /// Information flows from the source to the target (e.g. `write`).
    Write,
    /// Both directions (e.g. a `connect` that opens a two-way channel).
    Both,
    /// No information flow (e.g. `getattr` on some classes is still `Read`;
    /// `None` is for pure control such as `setenforce`'s target-less effect).
    None,
}

impl FlowDir {
    /// True if information can flow from target to source.
    pub fn reads(self) -> bool {
        matches!(self, FlowDir::Read | FlowDir::Both)
    }

    /// True if information can flow from source to target.
    pub fn writes(self) -> bool {
        matches!(self, FlowDir::Write | FlowDir::Both)
    }

    /// The policy-language keyword (`read`, `write`, `both`, `none`).
    pub fn keyword(self) -> &'static str {
        match self {
            FlowDir::Read => "read",
            FlowDir::Write => "write",
            FlowDir::Both => "both",
            FlowDir::None => "none",
        }
    }

    /// Parses a keyword as produced by [`FlowDir::keyword`].
    pub fn from_keyword(s: &str) -> Option<FlowDir> {
        match s {
            "read" => Some(FlowDir::Read),
            "write" => Some(FlowDir::Write),
            "both" => Some(FlowDir::Both),
            "none" => Some(FlowDir::None),
            _ => None,
        }
    }
}
