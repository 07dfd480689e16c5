//! Auxiliary vector entry types (`include/uapi/linux/auxvec.h`,
//! `arch/x86/include/uapi/asm/auxvec.h`; getauxval(3)).

/// End of the vector.
pub const AT_NULL: u64 = 0;
/// Program headers of the program (address).
pub const AT_PHDR: u64 = 3;
/// Size of one program header entry (bytes).
pub const AT_PHENT: u64 = 4;
/// Number of program headers.
pub const AT_PHNUM: u64 = 5;
/// Page size (bytes).
pub const AT_PAGESZ: u64 = 6;
/// Base address of the interpreter (0: none, static program).
pub const AT_BASE: u64 = 7;
/// Flags (0).
pub const AT_FLAGS: u64 = 8;
/// Entry point of the program.
pub const AT_ENTRY: u64 = 9;
/// Real user id.
pub const AT_UID: u64 = 11;
/// Effective user id.
pub const AT_EUID: u64 = 12;
/// Real group id.
pub const AT_GID: u64 = 13;
/// Effective group id.
pub const AT_EGID: u64 = 14;
/// Platform string (address of "x86_64").
pub const AT_PLATFORM: u64 = 15;
/// CPUID leaf 1 EDX bits.
pub const AT_HWCAP: u64 = 16;
/// Clock ticks per second (`times(2)` units).
pub const AT_CLKTCK: u64 = 17;
/// Non-zero if the program runs with changed credentials.
pub const AT_SECURE: u64 = 23;
/// Address of 16 random bytes.
pub const AT_RANDOM: u64 = 25;
/// Address of the file name the program was executed as.
pub const AT_EXECFN: u64 = 31;
