//! Vocabularies: a server's permission names, declared once, and the
//! numbers the loaded policy gives them.

use crate::manager::SecurityServer;
use core::marker::PhantomData;

/// A permission enum made by [`permissions!`]: each variant knows its name
/// in the policy language.
pub trait Permission: Copy {
    /// The policy names, in variant order.
    const NAMES: &'static [&'static str];
    /// The variant's index into [`Permission::NAMES`].
    fn index(self) -> usize;
    /// The variant's policy name.
    fn name(self) -> &'static str {
        Self::NAMES[self.index()]
    }
}

/// Declares a permission enum and its policy names in one place (no array
/// to keep in step with the enum by hand).
///
/// ```
/// rampart_objmgr::permissions! {
///     /// File permissions.
///     pub enum Perm { Read = "read", Write = "write" }
/// }
/// use rampart_objmgr::Permission;
/// assert_eq!(Perm::Write.name(), "write");
/// ```
#[macro_export]
macro_rules! permissions {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $variant:ident = $perm:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        $vis enum $name { $($(#[$vm])* $variant),+ }
        impl $crate::Permission for $name {
            const NAMES: &'static [&'static str] = &[$($perm),+];
            fn index(self) -> usize {
                self as usize
            }
        }
    };
}

/// Most permissions of one class (an access vector is 32 bits).
pub const MAX_PERMS: usize = 32;

/// One object class of the loaded policy: its number and the bit of each
/// permission of `P` (0: the policy does not define it).
#[derive(Clone, Copy, Debug)]
pub struct Class<P: Permission> {
    id: u16,
    bits: [u32; MAX_PERMS],
    _p: PhantomData<P>,
}

impl<P: Permission> Class<P> {
    /// Looks up class `name` and every permission of `P` in the policy
    /// `sec` serves; `None` if the policy has no such class.
    pub fn resolve<S: SecurityServer + ?Sized>(sec: &mut S, name: &str) -> Option<Class<P>> {
        let id = sec.class_id(name)?;
        let mut bits = [0u32; MAX_PERMS];
        for (b, p) in bits.iter_mut().zip(P::NAMES) {
            *b = sec.perm_bit(id, p).unwrap_or(0);
        }
        Some(Class { id, bits, _p: PhantomData })
    }

    /// The class number.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The access vector of `perms`; `None` if the policy lacks one of
    /// them (the request must then be denied).
    pub fn vector(&self, perms: &[P]) -> Option<u32> {
        let mut v = 0;
        for p in perms {
            let b = *self.bits.get(p.index())?;
            if b == 0 {
                return None;
            }
            v |= b;
        }
        Some(v)
    }

    /// `(class, vector)` for [`crate::ObjectManager::check`].
    pub fn want(&self, perms: &[P]) -> Option<(u16, u32)> {
        Some((self.id, self.vector(perms)?))
    }

    /// The names of the permissions in `vector` (for audit lines).
    pub fn names(&self, vector: u32) -> impl Iterator<Item = &'static str> + '_ {
        P::NAMES.iter().zip(self.bits).filter(move |(_, b)| *b != 0 && vector & b != 0).map(|(n, _)| *n)
    }
}

/// Everything a server asks about, resolved from the loaded policy by
/// name. Resolved when the manager starts and again after every policy
/// change.
pub trait Vocabulary: Sized {
    /// Looks every class and permission up in the policy `sec` serves.
    fn resolve<S: SecurityServer + ?Sized>(sec: &mut S) -> Self;
}

impl Vocabulary for () {
    fn resolve<S: SecurityServer + ?Sized>(_: &mut S) -> Self {}
}
