//! The logical descriptor table and redirections.
//!
//! A command sees *logical* descriptors (0, 1, 2, ...). The [`FdTable`]
//! maps each to a raw descriptor of the shell process, or to the capture
//! buffer of a command substitution. Redirections edit a copy of the table
//! left to right, so `>f 2>&1` sends both to `f` while `2>&1 >f` sends
//! standard error to the old standard output: exactly POSIX `dup2` order,
//! without ever calling `dup2`.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec::Vec;

use crate::ast::{RedirKind, Redirect};
use crate::expand;
use crate::os::{Fd, OpenMode, Os, OsError};
use crate::shell::Shell;

/// The largest descriptor number a redirection may name.
pub const MAX_FD: u32 = 255;

/// What a logical descriptor refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A raw descriptor of the shell process.
    Raw(Fd),
    /// The capture buffer of a command substitution (by nesting level).
    Capture(usize),
}

/// Logical descriptor number to target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FdTable {
    map: BTreeMap<u32, Target>,
}

impl FdTable {
    /// 0, 1 and 2 mapped to the shell's own 0, 1 and 2.
    pub fn standard() -> FdTable {
        let mut t = FdTable::default();
        for fd in 0..3 {
            t.map.insert(fd, Target::Raw(fd));
        }
        t
    }

    /// The target of `fd`.
    pub fn get(&self, fd: u32) -> Option<Target> {
        self.map.get(&fd).copied()
    }

    /// Point `fd` at `target`.
    pub fn set(&mut self, fd: u32, target: Target) {
        self.map.insert(fd, target);
    }

    /// Close `fd` (for the command).
    pub fn remove(&mut self, fd: u32) {
        self.map.remove(&fd);
    }

    /// All entries, by descriptor number.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Target)> + '_ {
        self.map.iter().map(|(k, v)| (*k, *v))
    }

    /// Whether any entry refers to raw descriptor `raw`.
    pub fn refers_to(&self, raw: Fd) -> bool {
        self.map.values().any(|t| *t == Target::Raw(raw))
    }
}

/// Redirections applied to the shell's table: what to undo.
#[derive(Debug)]
pub(crate) struct Applied {
    saved: FdTable,
    opened: Vec<Fd>,
}

impl<O: Os> Shell<O> {
    /// Apply `redirects` to the descriptor table, left to right. On an
    /// error the message is printed, everything is undone and the status
    /// (1) returned.
    pub(crate) fn apply_redirects(&mut self, redirects: &[Redirect]) -> Result<Applied, i32> {
        let mut applied = Applied { saved: self.fds.clone(), opened: Vec::new() };
        for r in redirects {
            if let Err(msg) = self.apply_one(r, &mut applied) {
                self.undo_redirects(applied);
                self.error(&msg);
                return Err(1);
            }
        }
        Ok(applied)
    }

    fn apply_one(&mut self, r: &Redirect, applied: &mut Applied) -> Result<(), alloc::string::String> {
        let fd = r.fd();
        if fd > MAX_FD {
            return Err(format!("{fd}: Bad file descriptor"));
        }
        let mode = match r.kind {
            RedirKind::Input => OpenMode::Read,
            RedirKind::Output | RedirKind::OutputBoth => OpenMode::WriteTruncate,
            RedirKind::Append => OpenMode::Append,
            RedirKind::ReadWrite => OpenMode::ReadWrite,
            RedirKind::HereDoc => {
                let body = expand::expand_single(self, &r.target).map_err(|e| e.0)?;
                let (rd, wr) = self.os.pipe().map_err(|e| format!("here-document: {e}"))?;
                applied.opened.push(rd);
                let mut rest = body.as_bytes();
                while !rest.is_empty() {
                    match self.os.write(wr, rest) {
                        Ok(n) if n > 0 => rest = &rest[n.min(rest.len())..],
                        _ => break,
                    }
                }
                let _ = self.os.close(wr);
                self.fds.set(fd, Target::Raw(rd));
                return Ok(());
            }
            RedirKind::DupInput | RedirKind::DupOutput => {
                let target = expand::expand_single(self, &r.target).map_err(|e| e.0)?;
                if target == "-" {
                    self.fds.remove(fd);
                    return Ok(());
                }
                if let Ok(from) = target.parse::<u32>() {
                    return match self.fds.get(from) {
                        Some(t) if from <= MAX_FD => {
                            self.fds.set(fd, t);
                            Ok(())
                        }
                        _ => Err(format!("{from}: Bad file descriptor")),
                    };
                }
                if r.kind == RedirKind::DupOutput && r.fd.is_none() {
                    // `>&file` means `&>file`.
                    let raw = self.open_target(&target, OpenMode::WriteTruncate)?;
                    applied.opened.push(raw);
                    self.fds.set(1, Target::Raw(raw));
                    self.fds.set(2, Target::Raw(raw));
                    return Ok(());
                }
                return Err(format!("{target}: ambiguous redirect"));
            }
        };
        let mut fields = expand::expand_word(self, &r.target).map_err(|e| e.0)?;
        if fields.len() != 1 {
            return Err("ambiguous redirect".into());
        }
        let name = fields.pop().unwrap_or_default();
        let raw = self.open_target(&name, mode)?;
        applied.opened.push(raw);
        self.fds.set(fd, Target::Raw(raw));
        if r.kind == RedirKind::OutputBoth {
            self.fds.set(2, Target::Raw(raw));
        }
        Ok(())
    }

    fn open_target(&mut self, name: &str, mode: OpenMode) -> Result<Fd, alloc::string::String> {
        if name.is_empty() {
            return Err(format!("{}: {}", name, OsError::NotFound));
        }
        let path = self.abs_path(name);
        self.os.open(&path, mode).map_err(|e| format!("{name}: {e}"))
    }

    /// Restore the table as it was and close what the redirections opened.
    pub(crate) fn undo_redirects(&mut self, applied: Applied) {
        self.fds = applied.saved;
        for fd in applied.opened {
            let _ = self.os.close(fd);
        }
    }

    /// Make redirections permanent (`exec >file`): the shell keeps what was
    /// opened, and closes what the table no longer refers to.
    pub(crate) fn keep_redirects(&mut self, applied: Applied) {
        self.exec_owned.extend(applied.opened);
        let (keep, drop): (Vec<Fd>, Vec<Fd>) = self.exec_owned.iter().partition(|fd| self.fds.refers_to(**fd));
        self.exec_owned = keep;
        for fd in drop {
            let _ = self.os.close(fd);
        }
    }
}
