//! POSIX discretionary access control, enforced by the file server in
//! addition to the mandatory policy (docs/storage.md §6, "Discretionary
//! access control").
//!
//! Every rule here is a pure function of the caller's [`Cred`] and the
//! owner, group and mode of the objects involved ([`Owned`]), following
//! Linux (`fs/namei.c`, `fs/attr.c`):
//!
//! - [`permission`]: owner, group or other bits, the first class that
//!   matches the caller decides (`EACCES`); uid 0 overrides read and write
//!   always, and execute when the object is a directory or has an execute
//!   bit (`CAP_DAC_OVERRIDE`).
//! - [`may_create`] / [`may_delete`]: write and search on the directory;
//!   in a sticky directory (`S_ISVTX`, `/tmp` is `1777`) only the entry's
//!   owner, the directory's owner or uid 0 may remove or rename an entry
//!   (`EPERM`).
//! - [`may_follow`]: protected symlinks (Linux `fs.protected_symlinks =
//!   1`): a symlink in a sticky, world-writable directory is followed only
//!   by its owner or when the directory's owner owns it (`EACCES`, uid 0
//!   included: that is whom the rule protects).
//! - [`chmod`], [`chown`], [`may_set_times`]: the owner or uid 0 (`EPERM`);
//!   changing the owner needs uid 0, the group the owner's membership of
//!   the new group.

use rampart_fs_api::{Errno, FileType};

/// Read permission (`r`), as in an `access` mask.
pub const MAY_READ: u32 = 4;
/// Write permission (`w`).
pub const MAY_WRITE: u32 = 2;
/// Execute permission (`x`; search for a directory).
pub const MAY_EXEC: u32 = 1;

/// Set-user-id bit.
pub const S_ISUID: u32 = 0o4000;
/// Set-group-id bit (on a directory: new entries take its group).
pub const S_ISGID: u32 = 0o2000;
/// Sticky bit (on a directory: restricted deletion).
pub const S_ISVTX: u32 = 0o1000;

/// The uid that overrides discretionary checks (the administrator's).
pub const ROOT_UID: u32 = 0;
/// uid and gid of an identity missing from the table (`nobody`).
pub const NOBODY: u32 = 65534;
/// Most supplementary groups of one identity.
pub const MAX_GROUPS: usize = 16;

/// A client's POSIX identity: user id, primary group id and supplementary
/// group ids. Derived by the file server from the security context of the
/// connection (see `Identities`), never sent by the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cred {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    groups: [u32; MAX_GROUPS],
    ngroups: u8,
}

impl Cred {
    /// An identity with no supplementary groups.
    pub const fn new(uid: u32, gid: u32) -> Cred {
        Cred { uid, gid, groups: [0; MAX_GROUPS], ngroups: 0 }
    }

    /// The identity of a context the table does not name: `nobody`.
    pub const fn nobody() -> Cred {
        Cred::new(NOBODY, NOBODY)
    }

    /// Adds supplementary group `g`.
    ///
    /// # Errors
    /// `EINVAL` beyond [`MAX_GROUPS`] groups.
    pub fn add_group(&mut self, g: u32) -> Result<(), Errno> {
        if self.groups().contains(&g) {
            return Ok(());
        }
        let n = usize::from(self.ngroups);
        if n >= MAX_GROUPS {
            return Err(Errno::EINVAL);
        }
        self.groups[n] = g;
        self.ngroups += 1;
        Ok(())
    }

    /// The supplementary group ids.
    pub fn groups(&self) -> &[u32] {
        &self.groups[..usize::from(self.ngroups)]
    }

    /// True for uid 0, which overrides discretionary checks.
    pub const fn is_root(&self) -> bool {
        self.uid == ROOT_UID
    }

    /// True if `gid` is the primary group or a supplementary one.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups().contains(&gid)
    }
}

/// What discretionary checks look at on an object: its full mode (type
/// bits included), owner and group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owned {
    /// Full mode (`0o100644`).
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
}

impl Owned {
    fn is_dir(&self) -> bool {
        FileType::from_mode(self.mode) == Some(FileType::Dir)
    }

    fn owned_by(&self, c: &Cred) -> bool {
        c.uid == self.uid
    }
}

/// Checks that `c` holds every right in `want` (a mask of [`MAY_READ`],
/// [`MAY_WRITE`], [`MAY_EXEC`]) on `o`.
///
/// # Errors
/// `EACCES` when a right is missing.
pub fn permission(c: &Cred, o: &Owned, want: u32) -> Result<(), Errno> {
    if c.is_root() {
        if want & MAY_EXEC == 0 || o.is_dir() || o.mode & 0o111 != 0 {
            return Ok(());
        }
        return Err(Errno::EACCES);
    }
    let bits = if o.owned_by(c) {
        o.mode >> 6
    } else if c.in_group(o.gid) {
        o.mode >> 3
    } else {
        o.mode
    } & 7;
    if bits & want == want { Ok(()) } else { Err(Errno::EACCES) }
}

/// May `c` add an entry to directory `dir`?
///
/// # Errors
/// `EACCES` without write and search permission on `dir`.
pub fn may_create(c: &Cred, dir: &Owned) -> Result<(), Errno> {
    permission(c, dir, MAY_WRITE | MAY_EXEC)
}

/// May `c` remove (or rename away, or replace) entry `victim` of `dir`?
///
/// # Errors
/// `EACCES` without write and search permission on `dir`; `EPERM` when
/// `dir` is sticky and `c` owns neither `victim` nor `dir` (and is not
/// uid 0).
pub fn may_delete(c: &Cred, dir: &Owned, victim: &Owned) -> Result<(), Errno> {
    permission(c, dir, MAY_WRITE | MAY_EXEC)?;
    if dir.mode & S_ISVTX != 0 && !c.is_root() && !victim.owned_by(c) && !dir.owned_by(c) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// May `c` make a new name (hard link) for `o`? Linux with
/// `fs.protected_hardlinks` = 1 (`may_linkat`, fs/namei.c): the caller
/// owns `o`, or `o` is a regular file (`regular`) that is neither
/// set-user-ID nor set-group-ID and executable by its group, and the
/// caller may read and write it; uid 0 (`CAP_FOWNER`) always may. So a
/// user cannot pin a file it could not write (`/etc/shadow`) under a
/// name of its own.
///
/// # Errors
/// `EPERM` otherwise.
pub fn may_link(c: &Cred, o: &Owned, regular: bool) -> Result<(), Errno> {
    if c.is_root() || o.owned_by(c) {
        return Ok(());
    }
    let setid = o.mode & S_ISUID != 0 || o.mode & (S_ISGID | 0o010) == (S_ISGID | 0o010);
    if regular && !setid && permission(c, o, MAY_READ | MAY_WRITE).is_ok() {
        return Ok(());
    }
    Err(Errno::EPERM)
}

/// May `c` follow symbolic link `link` found in directory `dir`
/// (protected symlinks)?
///
/// # Errors
/// `EACCES` when `dir` is sticky and world-writable and `link` is owned
/// neither by `c` nor by `dir`'s owner. uid 0 is not exempt.
pub fn may_follow(c: &Cred, dir: &Owned, link: &Owned) -> Result<(), Errno> {
    let open_sticky = dir.mode & (S_ISVTX | 0o002) == (S_ISVTX | 0o002);
    if open_sticky && !link.owned_by(c) && dir.uid != link.uid {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// The permission bits `chmod(mode)` by `c` stores on `o` (`0o7777` mask):
/// `S_ISGID` is dropped when a caller other than uid 0 is not in the
/// object's group (Linux).
///
/// # Errors
/// `EPERM` unless `c` owns `o` or is uid 0.
pub fn chmod(c: &Cred, o: &Owned, mode: u32) -> Result<u32, Errno> {
    if !o.owned_by(c) && !c.is_root() {
        return Err(Errno::EPERM);
    }
    let mut m = mode & 0o7777;
    if !c.is_root() && !c.in_group(o.gid) {
        m &= !S_ISGID;
    }
    Ok(m)
}

/// Checks a relabel (`setxattr` of `security.selinux`) by `c` on `o`:
/// the owner or uid 0, as Linux's `inode_owner_or_capable`.
///
/// # Errors
/// `EPERM` otherwise.
pub fn relabel(c: &Cred, o: &Owned) -> Result<(), Errno> {
    if o.owned_by(c) || c.is_root() { Ok(()) } else { Err(Errno::EPERM) }
}

/// Checks `chown(uid, gid)` by `c` on `o` (`None`: unchanged). (The
/// engine clears `S_ISUID` and `S_ISGID` on every ownership change, as
/// Linux does for regular files.)
///
/// # Errors
/// `EPERM`: a new owner needs uid 0; a new group needs uid 0, or the owner
/// as caller and a member of the new group; even an unchanged value needs
/// the owner or uid 0.
pub fn chown(c: &Cred, o: &Owned, uid: Option<u32>, gid: Option<u32>) -> Result<(), Errno> {
    if c.is_root() {
        return Ok(());
    }
    if uid.is_some_and(|u| u != o.uid || !o.owned_by(c)) {
        return Err(Errno::EPERM);
    }
    if gid.is_some_and(|g| !o.owned_by(c) || (g != o.gid && !c.in_group(g))) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// May `c` set `o`'s access and modification times to given values?
///
/// # Errors
/// `EPERM` unless `c` owns `o` or is uid 0.
pub fn may_set_times(c: &Cred, o: &Owned) -> Result<(), Errno> {
    if o.owned_by(c) || c.is_root() { Ok(()) } else { Err(Errno::EPERM) }
}

/// Owner, group and permission bits of a new object of kind `kind` that
/// `c` creates in `dir` with requested bits `perm`: the creator's uid; the
/// directory's group if it is set-group-id (a new directory inherits the
/// bit), else the creator's primary group; `S_ISGID` on a new file is
/// dropped when the creator is not in its group (and not uid 0).
pub fn new_object(c: &Cred, dir: &Owned, kind: FileType, perm: u32) -> (u32, u32, u32) {
    let mut perm = perm & 0o7777;
    let gid = if dir.mode & S_ISGID != 0 {
        if kind == FileType::Dir {
            perm |= S_ISGID;
        }
        dir.gid
    } else {
        c.gid
    };
    if kind != FileType::Dir && perm & S_ISGID != 0 && !c.in_group(gid) && !c.is_root() {
        perm &= !S_ISGID;
    }
    (c.uid, gid, perm)
}
