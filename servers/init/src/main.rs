//! init, the root task.
//!
//! The kernel starts init with the boot information page address in `rdi`.
//! At this stage init checks the boot information, greets from ring 3, lists
//! the boot modules and powers the machine off with a status.
#![no_std]
#![no_main]

use rampart_abi::bootfs::Bootfs;
use rampart_abi::bootinfo::{BOOTINFO_MAGIC, BootInfo};
use rampart_rt::dprintln;

rampart_rt::entry!(main);

fn main(bootinfo: u64) -> i32 {
    // SAFETY: the kernel maps one page holding a `BootInfo` at this address
    // (rampart_abi::bootinfo) before starting init.
    let bi: &BootInfo = unsafe { &*(bootinfo as *const BootInfo) };
    if bi.magic != BOOTINFO_MAGIC {
        dprintln!("init: bad boot information magic {:#x}", bi.magic);
        return 1;
    }
    dprintln!("init: hello from ring 3");
    // SAFETY: the kernel maps the boot-module archive read-only at
    // `bootfs_vaddr` for `bootfs_size` bytes.
    let archive = unsafe { core::slice::from_raw_parts(bi.bootfs_vaddr as *const u8, bi.bootfs_size as usize) };
    match Bootfs::parse(archive) {
        Ok(fs) => {
            for e in fs.iter() {
                dprintln!("init: boot module {} ({} bytes)", e.name, e.data.len());
            }
        }
        Err(e) => {
            dprintln!("init: bad boot-module archive: {:?}", e);
            return 1;
        }
    }
    // A deterministic measurement: under `-icount shift=0` the TSC counts
    // retired instructions, so this number repeats exactly across boots.
    let t0 = rdtsc();
    for _ in 0..1000 {
        rampart_rt::syscall::yield_now();
    }
    let t1 = rdtsc();
    dprintln!("init: measure: 1000 yield syscalls took {} cycles", t1 - t0);
    0
}

fn rdtsc() -> u64 {
    // SAFETY: rdtsc is allowed in ring 3 (CR4.TSD is clear) and has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}
