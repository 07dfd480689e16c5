//! Crash consistency: the disk's write stream is recorded and cut at many
//! points (a power failure keeps a prefix of the writes, in order); every
//! cut must give a file system that e2fsck finds clean after journal
//! replay, and that holds every request the server had replied to.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::Client;
use common::*;
use rampart_fs::{BlockDevice, Config, FileServer, IoError, LocalPolicy, MemDisk, RwVolume, SECTOR_SIZE};
use rampart_fs_api::*;

#[derive(Clone)]
enum Op {
    Write(u64, Vec<u8>),
    Flush,
}

/// A disk that records every write and flush.
#[derive(Clone)]
struct Recorder {
    disk: MemDisk,
    log: Rc<RefCell<Vec<Op>>>,
}

impl BlockDevice for Recorder {
    fn sector_count(&self) -> u64 {
        self.disk.sector_count()
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.disk.read_sectors(lba, buf)
    }
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        self.log.borrow_mut().push(Op::Write(lba, buf.to_vec()));
        self.disk.write_sectors(lba, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        self.log.borrow_mut().push(Op::Flush);
        self.disk.flush()
    }
}

#[test]
fn every_cut_is_consistent_and_keeps_replied_requests() {
    let base = standard_image();
    let rec = Recorder { disk: MemDisk::new(base.clone()), log: Rc::default() };
    let vol = RwVolume::mount(rec.clone(), clock()).unwrap();
    let mut srv = FileServer::new(vol, LocalPolicy(policy()), Config::default()).unwrap();
    let mut c = Client::new(&mut srv, ROOT);
    // (log length when the reply was sent, path, content)
    let mut replied: Vec<(usize, String, Vec<u8>)> = Vec::new();
    for i in 0..24u8 {
        let path = format!("/tmp/f{i}");
        let data = pattern(3000 + 1000 * usize::from(i), i);
        c.write_file(&mut srv, &path, &data).unwrap();
        replied.push((rec.log.borrow().len(), path.clone(), data));
        if i % 5 == 4 {
            let to = format!("/tmp/r{i}");
            c.ok(&mut srv, Request::Rename { from: path.as_str().into(), to: to.as_str().into() }).unwrap();
            let last = replied.pop().unwrap();
            replied.retain(|r| r.1 != path);
            replied.push((rec.log.borrow().len(), to, last.2));
        }
        if i % 7 == 6 {
            let gone = format!("/tmp/f{}", i - 3);
            c.ok(&mut srv, Request::Unlink { path: gone.as_str().into() }).unwrap();
            replied.retain(|r| r.1 != gone);
        }
    }
    drop(srv);
    let log = rec.log.borrow().clone();
    let cuts = 16;
    for k in 0..=cuts {
        let cut = log.len() * k / cuts;
        let mut img = base.clone();
        for op in &log[..cut] {
            if let Op::Write(lba, data) = op {
                let at = *lba as usize * SECTOR_SIZE;
                img[at..at + data.len()].copy_from_slice(data);
            }
        }
        let (code, out) = e2fsck_replayed(&img);
        assert_eq!(code, 0, "cut {cut}/{}:\n{out}", log.len());
        // Every file whose last request was replied to before the cut is
        // there, with its content, after a reboot.
        let mut srv = rw_server(&MemDisk::new(img), Config::default());
        let mut c = Client::new(&mut srv, ROOT);
        for (at, path, data) in replied.iter().filter(|r| r.0 <= cut) {
            let got = c.read_file(&mut srv, path);
            assert_eq!(got.as_ref(), Ok(data), "{path} (replied at write {at}) after a cut at write {cut}");
        }
    }
}
