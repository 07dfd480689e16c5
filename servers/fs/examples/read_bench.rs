//! Host benchmark: sequential read of a 64 MiB file through the file
//! server (encoded requests, shared region, MAC checks on every read),
//! with both engines, plus the write path under both commit policies.
//!
//! `cargo run --release -p rampart-fs --example read_bench`
//! (needs e2fsprogs; the real in-guest benchmark comes with virtio-blk).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::Client;
use common::*;
use rampart_fs::{Commit, Config, FileServer, LocalPolicy, MemDisk, Volume};
use rampart_fs_api::*;

const FILE_MIB: usize = 64;

fn read_all<V: Volume>(srv: &mut FileServer<V, LocalPolicy>, chunk: u32) -> (usize, f64) {
    let mut c = Client::new(srv, ROOT);
    let h = c.open(srv, "/data/big", OpenFlags::RDONLY).unwrap();
    let t = Instant::now();
    let mut total = 0usize;
    loop {
        match c.call(srv, Request::Read { handle: h, offset: None, region_offset: 0, len: chunk }) {
            Response::Len(0) => break,
            Response::Len(n) => total += n as usize,
            r => panic!("{r:?}"),
        }
    }
    (total, t.elapsed().as_secs_f64())
}

fn main() {
    let data = pattern(FILE_MIB << 20, 5);
    let t = Instant::now();
    let img = mkimage(&[("data/big", Node::File(&data))], (FILE_MIB + 64) as u32);
    println!("image: {} MiB built in {:.2} s (mke2fs -d)", img.len() >> 20, t.elapsed().as_secs_f64());
    for chunk in [64u32 << 10, 1 << 20] {
        let disk = MemDisk::new(img.clone());
        let mut rw = rw_server(&disk, Config::default());
        let (n, s) = read_all(&mut rw, chunk);
        assert_eq!(n, FILE_MIB << 20);
        println!("read  rsext4     {:>5} KiB requests: {:>7.1} MB/s", chunk >> 10, n as f64 / s / 1e6);
        let mut ro = ro_server(&MemDisk::new(img.clone()).into_read_only());
        let (n, s) = read_all(&mut ro, chunk);
        assert_eq!(n, FILE_MIB << 20);
        println!("read  ext4-view  {:>5} KiB requests: {:>7.1} MB/s", chunk >> 10, n as f64 / s / 1e6);
    }
    for commit in [Commit::EveryRequest, Commit::OnFsync] {
        let disk = MemDisk::new(img.clone());
        let mut srv = rw_server(&disk, Config { commit, ..Config::default() });
        let mut c = Client::new(&mut srv, ROOT);
        let t = Instant::now();
        c.write_file(&mut srv, "/data/copy", &data[..16 << 20]).unwrap();
        let bulk = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for i in 0..200 {
            c.write_file(&mut srv, &format!("/data/small{i}"), &data[..4096]).unwrap();
        }
        c.ok(&mut srv, Request::Sync).unwrap();
        let small = t.elapsed().as_secs_f64();
        println!(
            "write {:?}: 16 MiB in 1 MiB requests {:.1} MB/s; create+write 4 KiB+close {:.0} files/s ({} flushes)",
            commit,
            16.0 * 1.048_576 / bulk,
            200.0 / small,
            disk.flushes()
        );
    }
}
