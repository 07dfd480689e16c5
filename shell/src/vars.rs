//! Shell variables and the environment passed to programs.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    /// Its value.
    pub value: String,
    /// Whether it is passed to programs (`export`).
    pub exported: bool,
}

/// The shell's variables, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    map: BTreeMap<String, Var>,
    /// Names exported while unset: exported when first assigned.
    export_pending: BTreeSet<String>,
}

impl Vars {
    /// Variables from an environment (`NAME=value` strings), all exported.
    /// Strings without `=` or with an invalid name are ignored.
    pub fn from_env(env: &[String]) -> Vars {
        let mut vars = Vars::default();
        for entry in env {
            if let Some((name, value)) = entry.split_once('=')
                && crate::lexer::is_name(name)
            {
                vars.map.insert(name.into(), Var { value: value.into(), exported: true });
            }
        }
        vars
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(|v| v.value.as_str())
    }

    /// The variable `name` with its flags.
    pub fn var(&self, name: &str) -> Option<&Var> {
        self.map.get(name)
    }

    /// Set `name` (keeping its export flag, not exported if new).
    pub fn set(&mut self, name: &str, value: &str) {
        match self.map.get_mut(name) {
            Some(v) => v.value = value.into(),
            None => {
                let exported = self.export_pending.remove(name);
                self.map.insert(name.into(), Var { value: value.into(), exported });
            }
        }
    }

    /// Mark `name` exported, setting it to `value` if given (an unset
    /// name without a value stays unset and is exported once assigned).
    pub fn export(&mut self, name: &str, value: Option<&str>) {
        match (self.map.get_mut(name), value) {
            (Some(v), Some(value)) => {
                v.value = value.into();
                v.exported = true;
            }
            (Some(v), None) => v.exported = true,
            (None, Some(value)) => {
                self.map.insert(name.into(), Var { value: value.into(), exported: true });
            }
            (None, None) => {
                self.export_pending.insert(name.into());
            }
        }
    }

    /// Put `name` back as it was (`old` from [`Vars::var`]): with its
    /// value and export flag, or unset.
    pub fn restore(&mut self, name: &str, old: Option<Var>) {
        self.export_pending.remove(name);
        match old {
            Some(v) => {
                self.map.insert(name.into(), v);
            }
            None => {
                self.map.remove(name);
            }
        }
    }

    /// Remove `name`.
    pub fn unset(&mut self, name: &str) {
        self.map.remove(name);
        self.export_pending.remove(name);
    }

    /// All variables, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Var)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The environment for a program: exported variables as `NAME=value`,
    /// with `extra` assignments (a command's `NAME=value` prefixes) added
    /// or overriding.
    pub fn environment(&self, extra: &[(String, String)]) -> Vec<String> {
        let mut env: BTreeMap<&str, &str> =
            self.map.iter().filter(|(_, v)| v.exported).map(|(k, v)| (k.as_str(), v.value.as_str())).collect();
        for (k, v) in extra {
            env.insert(k, v);
        }
        env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
    }
}
