//! rm's policy vocabulary (issue 19 item 1): the class numbers and
//! permission bits of the policy in force, looked up by name and looked up
//! again whenever the policy changes.
//!
//! Class and permission numbers belong to one compiled policy: another
//! policy may order its classes or permissions differently. Numbers read
//! once at start and used under a reloaded policy name another class, so
//! a decision about `process getattr` could come back as one about `file
//! read`. Every decision rm asks for carries the sequence number of the
//! policy that made it; [`Vocab::allowed`] accepts a decision only if it
//! was made under the policy the numbers were read from, and otherwise
//! reads the numbers again and asks again. Requests that return no
//! sequence number (the type transition) are preceded by
//! [`Vocab::refresh`] and followed by a decision, whose sequence number
//! then confirms that the whole answer came from one policy
//! ([`Vocab::seqno`] unchanged).

use rampart_uabi::Errno;

/// What rm asks the security server about its vocabulary and decisions
/// (over IPC in rm, a fake on the host).
pub trait PolicyQuery {
    /// The number of class `name`.
    ///
    /// # Errors
    /// `ENOENT` (no such class), transport errors.
    fn class_id(&mut self, name: &str) -> Result<u16, Errno>;
    /// The bit of permission `perm` of `class`.
    ///
    /// # Errors
    /// `ENOENT` (no such permission), transport errors.
    fn perm_bit(&mut self, class: u16, perm: &str) -> Result<u32, Errno>;
    /// The sequence number of the policy in force.
    ///
    /// # Errors
    /// Transport errors.
    fn seqno(&mut self) -> Result<u32, Errno>;
    /// The allowed vector for `class` from context `s` to context `t`, and
    /// the sequence number of the policy that decided it.
    ///
    /// # Errors
    /// `EINVAL` (a context or class the policy rejects), transport errors.
    fn decide(&mut self, s: &str, t: &str, class: u16) -> Result<(u32, u32), Errno>;
}

/// A permission rm checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Perm {
    /// `process transition` (spawn into another domain).
    Transition,
    /// `process getattr` (listing tasks).
    Getattr,
    /// `file entrypoint` (the executable of a new domain).
    Entrypoint,
    /// `system halt`.
    Halt,
    /// `system reboot`.
    Reboot,
    /// `system syslog_write` (a kernel-log capability with Write).
    SyslogWrite,
    /// `system syslog_read` (with Read too).
    SyslogRead,
}

/// Every permission, in [`Perm`] order: (class, permission) names.
const NAMES: [(&str, &str); 7] = [
    ("process", "transition"),
    ("process", "getattr"),
    ("file", "entrypoint"),
    ("system", "halt"),
    ("system", "reboot"),
    ("system", "syslog_write"),
    ("system", "syslog_read"),
];

/// How many times a decision is asked again when the policy changed under
/// it (each change re-reads the numbers first).
const ATTEMPTS: usize = 4;

/// The numbers of the policy with sequence number [`Vocab::seqno`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Vocab {
    seqno: u32,
    /// (class, bit) per [`Perm`]; class 0 or bit 0: not in the policy.
    nums: [(u16, u32); NAMES.len()],
}

impl Vocab {
    /// Reads every number from the policy in force. The sequence number is
    /// read first: if the policy changes while the numbers are read, the
    /// next decision carries a newer number and they are read again.
    ///
    /// # Errors
    /// Transport errors (a class or permission the policy lacks is simply
    /// absent: [`Vocab::get`] is `None` and the check is refused).
    pub fn resolve(q: &mut dyn PolicyQuery) -> Result<Vocab, Errno> {
        let mut v = Vocab { seqno: q.seqno()?, nums: [(0, 0); NAMES.len()] };
        for (n, (class, perm)) in v.nums.iter_mut().zip(NAMES) {
            let Ok(c) = q.class_id(class) else { continue };
            if let Ok(b) = q.perm_bit(c, perm) {
                *n = (c, b);
            }
        }
        Ok(v)
    }

    /// The sequence number the numbers were read under.
    pub fn seqno(&self) -> u32 {
        self.seqno
    }

    /// `(class, bit)` of `p`; `None` if the policy does not define it.
    pub fn get(&self, p: Perm) -> Option<(u16, u32)> {
        Some(self.nums[p as usize]).filter(|&(c, b)| c != 0 && b != 0)
    }

    /// Reads the numbers again if the policy changed since they were read.
    ///
    /// # Errors
    /// Transport errors.
    pub fn refresh(&mut self, q: &mut dyn PolicyQuery) -> Result<(), Errno> {
        if q.seqno()? != self.seqno {
            *self = Vocab::resolve(q)?;
        }
        Ok(())
    }

    /// Is `p` granted from context `s` to context `t` by the policy in
    /// force? Decided with this policy's numbers: a decision made under
    /// another policy than the numbers' is discarded, the numbers are read
    /// again and the question asked again.
    ///
    /// # Errors
    /// `ENOENT` (the policy does not define `p`: refuse), `EAGAIN` (the
    /// policy kept changing), `EINVAL`, transport errors.
    pub fn allowed(&mut self, q: &mut dyn PolicyQuery, s: &str, t: &str, p: Perm) -> Result<bool, Errno> {
        for _ in 0..ATTEMPTS {
            let Some((class, bit)) = self.get(p) else {
                // Perhaps a newer policy defines it.
                let before = self.seqno;
                self.refresh(q)?;
                if self.seqno == before {
                    return Err(Errno::ENOENT);
                }
                continue;
            };
            match q.decide(s, t, class) {
                Ok((allowed, seqno)) if seqno == self.seqno => return Ok(allowed & bit == bit),
                Ok(_) => *self = Vocab::resolve(q)?,
                Err(e) => {
                    // A class number the new policy does not have.
                    let before = self.seqno;
                    self.refresh(q)?;
                    if self.seqno == before {
                        return Err(e);
                    }
                }
            }
        }
        Err(Errno::EAGAIN)
    }
}
