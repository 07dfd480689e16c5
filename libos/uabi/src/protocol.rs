//! Protocols declared once (docs/architecture.md, "Protocols and servers").
//!
//! [`protocol!`](crate::protocol!) turns one line per operation into
//! everything both ends of a server protocol need:
//!
//! - the request enum (one variant per operation) and the response enum
//!   (written out in the declaration), postcard on the wire through
//!   [`crate::codec`] and [`crate::small`];
//! - `Transport`, the one thing a client supplies: carry a request, return
//!   the response (IPC in programs, a direct call into the server's logic
//!   in host tests), optionally with a capability;
//! - `Client<T: Transport>`, one method per operation whose result type is
//!   known statically. A reply of the wrong variant becomes `EPROTO` in one
//!   place (`Client::expect_reply`), the server's `Err(errno)` becomes `Err`;
//! - `Handler<C>`, one method per operation for the server, and
//!   `dispatch`, which decodes nothing and matches nothing by hand: it
//!   calls the handler's method and wraps its result in the operation's
//!   response variant (or the `Err` variant).
//!
//! The register-only short-message path ([`crate::small`]) needs nothing
//! in the declaration: the runtime's transport and server skeleton
//! (`rampart_rt::ipc::proto`, `rampart_rt::server`) send every request and
//! response whose encoding fits in the four register words (32 bytes)
//! without touching the IPC buffer, for every protocol.
//!
//! # Declaring a protocol
//!
//! ```
//! use rampart_uabi::Errno;
//! use serde::{Deserialize, Serialize};
//!
//! rampart_uabi::protocol! {
//!     /// Requests.
//!     #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
//!     pub enum Request;
//!     /// Responses.
//!     #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
//!     pub enum Response {
//!         /// Done.
//!         Ok,
//!         /// A number.
//!         Num(u32),
//!         /// A pair.
//!         Pair { a: u32, b: u32 },
//!         /// Failure.
//!         Err(Errno),
//!     }
//!     /// Adds. Reply `Num`.
//!     Add { x: u32, y: u32 } -> Num(u32) => add;
//!     /// Resets (a unit variant on the wire).
//!     Reset -> Ok => reset;
//!     /// Looks a name up: `Num`, or `Ok` when there is none.
//!     Find { name: String } -> Num(u32) | Ok => find;
//!     /// Splits.
//!     Split { v: u32 } -> Pair { a: u32, b: u32 } => split;
//! }
//!
//! struct Calc;
//! impl Handler<()> for Calc {
//!     fn add(&mut self, _: &mut (), x: u32, y: u32) -> Result<u32, Errno> {
//!         x.checked_add(y).ok_or(Errno::EOVERFLOW)
//!     }
//!     fn reset(&mut self, _: &mut ()) -> Result<(), Errno> { Ok(()) }
//!     fn find(&mut self, _: &mut (), name: String) -> Result<Option<u32>, Errno> {
//!         Ok((name == "one").then_some(1))
//!     }
//!     fn split(&mut self, _: &mut (), v: u32) -> Result<(u32, u32), Errno> { Ok((v / 2, v - v / 2)) }
//! }
//! // A transport straight into the handler, as host tests use.
//! struct Direct(Calc);
//! impl Transport for Direct {
//!     fn call(&mut self, req: &Request) -> Result<Response, Errno> {
//!         Ok(dispatch(&mut self.0, &mut (), req.clone()))
//!     }
//! }
//! let mut c = Client(Direct(Calc));
//! assert_eq!(c.add(2, 3), Ok(5));
//! assert_eq!(c.add(u32::MAX, 1), Err(Errno::EOVERFLOW));
//! assert_eq!(c.find("one"), Ok(Some(1)));
//! assert_eq!(c.find("two"), Ok(None));
//! assert_eq!(c.split(5), Ok((2, 3)));
//! ```
//!
//! Each operation line is `Variant { field: Type, ... } -> Reply => method;`
//! (or `Variant -> Reply => method;` for a unit variant, or
//! `Variant(name: Type) -> ...` for a newtype variant whose value the
//! methods call `name`), where `Reply` is
//! a response variant: `Name` (unit: the method returns `()`),
//! `Name(Type)` (returns `Type`), `Name { a: A, b: B }` (returns
//! `(A, B)`), or `Name(Type) | Other` (returns `Option<Type>`, `None` for
//! the unit variant `Other`). The response enum must have an
//! `Err(Errno)` variant. A trailing `(name: give)` after the method name
//! makes the client method take an argument `name: u64`, a capability
//! slot sent with the request; `(name: receive)` makes it take the free
//! slot where the capability the reply carries lands, and a reply without
//! one is `EPROTO`. Client arguments are borrowed forms of the fields
//! ([`Param`]: `&str` for `String`, `&[u8]` for `Vec<u8>`, ...).
//!
//! The enums' encodings are exactly those of hand-written enums with the
//! same variants in the same order (a unit variant and a struct variant
//! with no fields, and a newtype variant and a one-field struct variant,
//! encode to the same bytes under postcard).

use alloc::string::String;
use alloc::vec::Vec;

/// How a client method takes an argument of a field's type: borrowed
/// forms for owned containers (so callers pass `&str`, not `String`), the
/// value itself for plain data.
pub trait Param {
    /// The argument type.
    type Arg<'a>;
    /// The field's value from the argument.
    fn own(a: Self::Arg<'_>) -> Self;
}

/// Implements [`Param`] by value (the argument is the field) for plain
/// data types: `rampart_uabi::by_value!(Mode, Shared);`.
#[macro_export]
macro_rules! by_value {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::protocol::Param for $t {
            type Arg<'a> = $t;
            #[inline(always)]
            fn own(a: $t) -> $t {
                a
            }
        })*
    };
}

by_value!(bool, u8, u16, u32, u64, i32, i64, crate::Errno);

/// Plain data a client passes by value inside an `Option` (the argument
/// is the `Option` itself) or a `Vec` (the argument is a slice of it):
/// `rampart_uabi::plain!(SockAddr, PollItem);` (bytes and strings have
/// their own forms, [`Param`] for `Vec<u8>` and `Option<String>`).
pub trait Plain: Clone + 'static {}

/// Implements [`Plain`]: `rampart_uabi::plain!(SockAddr, PollItem);`.
#[macro_export]
macro_rules! plain {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::protocol::Plain for $t {})*
    };
}

plain!(bool, u16, u32, u64, i32, i64, crate::Errno);

impl<T: Plain> Param for Option<T> {
    type Arg<'a> = Option<T>;
    fn own(a: Option<T>) -> Option<T> {
        a
    }
}

impl<T: Plain> Param for Vec<T> {
    type Arg<'a> = &'a [T];
    fn own(a: &[T]) -> Vec<T> {
        a.to_vec()
    }
}

impl Param for String {
    type Arg<'a> = &'a str;
    fn own(a: &str) -> String {
        a.into()
    }
}

impl Param for Vec<u8> {
    type Arg<'a> = &'a [u8];
    fn own(a: &[u8]) -> Vec<u8> {
        a.to_vec()
    }
}

impl Param for Vec<String> {
    type Arg<'a> = &'a [&'a str];
    fn own(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| String::from(*s)).collect()
    }
}

impl Param for Option<String> {
    type Arg<'a> = Option<&'a str>;
    fn own(a: Option<&str>) -> Option<String> {
        a.map(String::from)
    }
}

/// Declares a protocol: see the [module documentation](crate::protocol).
#[macro_export]
macro_rules! protocol {
    (
        $(#[$rqa:meta])*
        $rqv:vis enum $Req:ident;
        $(#[$rsa:meta])*
        $rsv:vis enum $Resp:ident { $($resp:tt)* }
        $(
            $(#[doc = $doc:expr])*
            $Op:ident $({ $($(#[doc = $fdoc:expr])* $f:ident : $ft:ty),* $(,)? })? $(($an:ident : $at:ty))?
                -> $R:ident $(($RT:ty))? $({ $($rf:ident : $rft:ty),* $(,)? })? $(| $RN:ident)?
                => $method:ident $(($cap:ident : $capkind:ident))?;
        )*
    ) => {
        $(#[$rqa])*
        $rqv enum $Req {
            $(
                $(#[doc = $doc])*
                $Op $({ $($(#[doc = $fdoc])* $f: $ft),* })? $(($at))?,
            )*
        }

        $(#[$rsa])*
        $rsv enum $Resp { $($resp)* }

        /// Carries one request and returns its response (generated by
        /// `rampart_uabi::protocol!`).
        pub trait Transport {
            /// Sends `req` and returns the response.
            ///
            /// # Errors
            /// Transport failures as an errno (`EIO`: the server went away,
            /// `EBADF`: no channel, `EBADMSG`: undecodable reply).
            fn call(&mut self, req: &$Req) -> ::core::result::Result<$Resp, $crate::Errno>;

            /// Sends `req` with capability `give` (a slot of the caller's
            /// CNode) if any, and lets a capability in the reply land in
            /// the free slot `receive` if any; returns the response and
            /// whether a capability arrived. Transports without
            /// capabilities (host tests) keep this default.
            ///
            /// # Errors
            /// `EOPNOTSUPP` by default; as [`Transport::call`].
            fn call_caps(
                &mut self,
                req: &$Req,
                give: ::core::option::Option<u64>,
                receive: ::core::option::Option<u64>,
            ) -> ::core::result::Result<($Resp, bool), $crate::Errno> {
                let _ = (req, give, receive);
                ::core::result::Result::Err($crate::Errno::EOPNOTSUPP)
            }
        }

        impl<T: Transport + ?Sized> Transport for &mut T {
            #[inline(always)]
            fn call(&mut self, req: &$Req) -> ::core::result::Result<$Resp, $crate::Errno> {
                (**self).call(req)
            }
            #[inline(always)]
            fn call_caps(
                &mut self,
                req: &$Req,
                give: ::core::option::Option<u64>,
                receive: ::core::option::Option<u64>,
            ) -> ::core::result::Result<($Resp, bool), $crate::Errno> {
                (**self).call_caps(req, give, receive)
            }
        }

        /// Typed calls, one per operation (generated by
        /// `rampart_uabi::protocol!`): each returns the server's errno on
        /// failure and `EPROTO` for a response of the wrong kind.
        pub struct Client<T>(pub T);

        impl<T: Transport> Client<T> {
            /// The one place a reply is checked: the server's `Err(errno)`
            /// is `Err(errno)`, a variant `pick` does not accept is
            /// `EPROTO`, and so is a missing capability when one was due
            /// (`cap_arrived` false).
            #[inline(always)]
            fn expect_reply<U>(
                r: ::core::result::Result<$Resp, $crate::Errno>,
                cap_arrived: bool,
                pick: impl FnOnce($Resp) -> ::core::option::Option<U>,
            ) -> ::core::result::Result<U, $crate::Errno> {
                match r? {
                    $Resp::Err(e) => ::core::result::Result::Err(e),
                    _ if !cap_arrived => ::core::result::Result::Err($crate::Errno::EPROTO),
                    other => pick(other).ok_or($crate::Errno::EPROTO),
                }
            }

            $(
                $(#[doc = $doc])*
                #[inline]
                pub fn $method(
                    &mut self
                    $($(, $f: <$ft as $crate::protocol::Param>::Arg<'_>)*)?
                    $(, $an: <$at as $crate::protocol::Param>::Arg<'_>)?
                    $(, $cap: u64)?
                ) -> ::core::result::Result<
                    $crate::__protocol_reply!(ty; $R $(($RT))? $({ $($rf: $rft),* })? $(| $RN)?),
                    $crate::Errno,
                > {
                    let req = $Req::$Op $({ $($f: <$ft as $crate::protocol::Param>::own($f)),* })?
                        $((<$at as $crate::protocol::Param>::own($an)))?;
                    $crate::__protocol_cap!(call Self, self.0, req, |r| {
                        $crate::__protocol_reply!(take $Resp, r; $R $(($RT))? $({ $($rf: $rft),* })? $(| $RN)?)
                    } $(, $cap, $capkind)?)
                }
            )*
        }

        /// The server's side (generated by `rampart_uabi::protocol!`): one
        /// method per operation, given the server's per-request context
        /// `C` (the caller's identity, a received capability, ...).
        pub trait Handler<C: ?Sized> {
            $(
                $(#[doc = $doc])*
                fn $method(
                    &mut self,
                    cx: &mut C
                    $($(, $f: $ft)*)?
                    $(, $an: $at)?
                ) -> ::core::result::Result<
                    $crate::__protocol_reply!(ty; $R $(($RT))? $({ $($rf: $rft),* })? $(| $RN)?),
                    $crate::Errno,
                >;
            )*
        }

        /// Calls `h`'s method for `req` and wraps its result in the
        /// operation's response variant, or `Err(errno)` (generated by
        /// `rampart_uabi::protocol!`).
        pub fn dispatch<C: ?Sized, H: Handler<C> + ?Sized>(h: &mut H, cx: &mut C, req: $Req) -> $Resp {
            match req {
                $(
                    $Req::$Op $({ $($f),* })? $(($an))? => match h.$method(cx $($(, $f)*)? $(, $an)?) {
                        ::core::result::Result::Ok(v) => {
                            $crate::__protocol_reply!(make $Resp, v; $R $(($RT))? $({ $($rf: $rft),* })? $(| $RN)?)
                        }
                        ::core::result::Result::Err(e) => $Resp::Err(e),
                    },
                )*
            }
        }

        impl $Req {
            /// The operation's name, as declared (for logs and audit).
            pub fn op_name(&self) -> &'static str {
                match self {
                    $($Req::$Op { .. } => stringify!($Op),)*
                }
            }
        }
    };
}

/// The shapes of a reply (an implementation detail of `protocol!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __protocol_reply {
    (ty; $R:ident) => { () };
    (ty; $R:ident ($T:ty)) => { $T };
    (ty; $R:ident ($T:ty) | $N:ident) => { ::core::option::Option<$T> };
    (ty; $R:ident { $($f:ident : $t:ty),* }) => { ($($t,)*) };
    (take $Resp:ident, $r:ident; $R:ident) => {
        match $r { $Resp::$R => ::core::option::Option::Some(()), _ => ::core::option::Option::None }
    };
    (take $Resp:ident, $r:ident; $R:ident ($T:ty)) => {
        match $r { $Resp::$R(v) => ::core::option::Option::Some(v), _ => ::core::option::Option::None }
    };
    (take $Resp:ident, $r:ident; $R:ident ($T:ty) | $N:ident) => {
        match $r {
            $Resp::$R(v) => ::core::option::Option::Some(::core::option::Option::Some(v)),
            $Resp::$N => ::core::option::Option::Some(::core::option::Option::None),
            _ => ::core::option::Option::None,
        }
    };
    (take $Resp:ident, $r:ident; $R:ident { $($f:ident : $t:ty),* }) => {
        match $r { $Resp::$R { $($f),* } => ::core::option::Option::Some(($($f,)*)), _ => ::core::option::Option::None }
    };
    (make $Resp:ident, $v:ident; $R:ident) => { { let () = $v; $Resp::$R } };
    (make $Resp:ident, $v:ident; $R:ident ($T:ty)) => { $Resp::$R($v) };
    (make $Resp:ident, $v:ident; $R:ident ($T:ty) | $N:ident) => {
        match $v { ::core::option::Option::Some(v) => $Resp::$R(v), ::core::option::Option::None => $Resp::$N }
    };
    (make $Resp:ident, $v:ident; $R:ident { $($f:ident : $t:ty),* }) => {
        { let ($($f,)*) = $v; $Resp::$R { $($f),* } }
    };
}

/// Capabilities travelling with a call (an implementation detail of
/// `protocol!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __protocol_cap {
    // The call and its reply checked by `Client::expect_reply` (with
    // whether the capability due with it arrived).
    (call $S:ty, $t:expr, $req:ident, $pick:expr) => {
        <$S>::expect_reply($t.call(&$req), true, $pick)
    };
    (call $S:ty, $t:expr, $req:ident, $pick:expr, $cap:ident, give) => {
        match $t.call_caps(&$req, ::core::option::Option::Some($cap), ::core::option::Option::None) {
            ::core::result::Result::Ok((r, _)) => <$S>::expect_reply(::core::result::Result::Ok(r), true, $pick),
            ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
        }
    };
    (call $S:ty, $t:expr, $req:ident, $pick:expr, $cap:ident, receive) => {
        match $t.call_caps(&$req, ::core::option::Option::None, ::core::option::Option::Some($cap)) {
            ::core::result::Result::Ok((r, got)) => <$S>::expect_reply(::core::result::Result::Ok(r), got, $pick),
            ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
        }
    };
}

#[cfg(test)]
mod tests;
