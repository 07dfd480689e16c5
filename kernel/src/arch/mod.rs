//! Architecture support. Only x86_64 exists; everything hardware-specific
//! (and nearly all of the kernel's `unsafe`) lives under `arch/x86_64`.

pub mod x86_64;
pub use x86_64::*;
