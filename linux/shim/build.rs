//! Links the shim at `layout::LINUX_SHIM_BASE` (1.75 GiB) instead of the
//! native 4 MiB, leaving the addresses static Linux programs are linked at
//! free (docs/linux-abi.md, "Address space"). Only the binary gets the
//! flag; `libos/rt/user.ld` honours `__rampart_image_base`.
fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--defsym=__rampart_image_base=0x70000000");
    println!("cargo:rerun-if-changed=build.rs");
}
