#![no_std]
#![no_main]

rampart_rt::entry!(main);

fn main(_bootinfo: u64) -> i32 {
    rampart_rt::dprintln!("not written yet");
    1
}
