//! The block queues end to end on the host: a simulated driver serving a
//! memory disk through `DriverEnd`, the client reading and writing through
//! `BlkClient`, hostile completions.

// The queue constructors are `unsafe` (raw memory): the tests build them over
// host memory, and write rings raw to play a hostile peer.
#![allow(unsafe_code)]

use rampart_blkdrv_api::client::{BlkClient, DriverEnd, Signal};
use rampart_blkdrv_api::{Layout, Op, SECTOR};
use rampart_uabi::Errno;
use std::cell::RefCell;
use std::rc::Rc;

#[repr(C, align(4096))]
struct Page([u8; 4096]);

fn region(bytes: usize) -> Vec<Page> {
    (0..bytes / 4096).map(|_| Page([0; 4096])).collect()
}

struct Sim {
    drv: DriverEnd,
    disk: Vec<u8>,
    /// Completions to forge instead of serving (hostile driver).
    forge: Option<u32>,
    served: usize,
}

impl Sim {
    fn serve(&mut self) {
        while let Some((id, op)) = self.drv.next_request().unwrap() {
            self.served += 1;
            let status = match op {
                Ok(Op::Read { sector, count, offset }) => {
                    let (a, n) = ((sector * SECTOR) as usize, (u64::from(count) * SECTOR) as usize);
                    // SAFETY: checked requests stay inside the data area.
                    unsafe { std::ptr::copy_nonoverlapping(self.disk[a..a + n].as_ptr(), self.drv.data(offset), n) };
                    0
                }
                Ok(Op::Write { sector, count, offset }) => {
                    let (a, n) = ((sector * SECTOR) as usize, (u64::from(count) * SECTOR) as usize);
                    // SAFETY: as above.
                    unsafe {
                        std::ptr::copy_nonoverlapping(self.drv.data(offset), self.disk[a..a + n].as_mut_ptr(), n)
                    };
                    0
                }
                Ok(Op::Flush) => 0,
                Err(e) => e.0 as u32,
            };
            let id = self.forge.unwrap_or(id);
            assert!(self.drv.complete(id, status).unwrap());
        }
        self.drv.release();
        self.drv.publish();
    }
}

#[derive(Clone)]
struct Wire(Rc<RefCell<Sim>>);

impl Signal for Wire {
    fn notify(&mut self) {}
    fn wait(&mut self) {
        self.0.borrow_mut().serve();
    }
}

fn setup(region_bytes: usize, sectors: u64) -> (Vec<Page>, Wire, BlkClient<Wire>) {
    let mut mem = region(region_bytes);
    let base = mem.as_mut_ptr() as *mut u8;
    let layout = Layout::new(sectors, false, 16, region_bytes as u64).unwrap();
    // SAFETY: `mem` outlives both ends (returned with them) and is not moved
    // (a Vec's buffer stays put).
    let drv = unsafe { DriverEnd::create(base, layout) }.unwrap();
    let disk = (0..sectors * SECTOR).map(|i| (i * 7 % 251) as u8).collect();
    let wire = Wire(Rc::new(RefCell::new(Sim { drv, disk, forge: None, served: 0 })));
    // SAFETY: as above.
    let client = unsafe { BlkClient::new(base, region_bytes, wire.clone()) }.unwrap();
    (mem, wire, client)
}

#[test]
fn reads_writes_and_flushes() {
    let (_mem, wire, mut c) = setup(1 << 20, 8192);
    assert_eq!(c.layout().capacity, 8192);
    // 2 MiB read: more than the data area, so several rounds of slots.
    let mut buf = vec![0u8; 2 << 20];
    c.read(100, &mut buf).unwrap();
    let want: Vec<u8> = (100 * SECTOR..100 * SECTOR + (2 << 20)).map(|i| (i * 7 % 251) as u8).collect();
    assert!(buf == want, "read data differs");
    let data: Vec<u8> = (0..5 * SECTOR as usize).map(|i| (i % 13) as u8).collect();
    c.write(8000, &data).unwrap();
    c.flush().unwrap();
    let mut back = vec![0u8; data.len()];
    c.read(8000, &mut back).unwrap();
    assert_eq!(back, data);
    assert_eq!(&wire.0.borrow().disk[8000 * 512..8005 * 512], &data[..]);
}

#[test]
fn bad_arguments_are_errors() {
    let (_mem, _wire, mut c) = setup(1 << 20, 64);
    let mut b = vec![0u8; 100];
    assert_eq!(c.read(0, &mut b), Err(Errno::EINVAL));
    let mut b = vec![0u8; 1024];
    assert_eq!(c.read(63, &mut b), Err(Errno::EINVAL));
    assert_eq!(c.read(u64::MAX, &mut b), Err(Errno::EINVAL));
    c.read(62, &mut b).unwrap();
}

#[test]
fn hostile_driver_completions_are_errors() {
    let (_mem, wire, mut c) = setup(1 << 20, 64);
    wire.0.borrow_mut().forge = Some(9999);
    let mut b = vec![0u8; 1024];
    assert_eq!(c.read(0, &mut b), Err(Errno::EIO));
}

#[test]
fn hostile_header_is_refused() {
    let mut mem = region(1 << 16);
    let base = mem.as_mut_ptr() as *mut u8;
    // SAFETY: `mem` outlives the attempt.
    assert!(unsafe { BlkClient::new(base, 1 << 16, Wire(Rc::new(RefCell::new(dummy())))) }.is_err());
}

fn dummy() -> Sim {
    let mut mem = Box::leak(Box::new(region(1 << 16)));
    let base = mem.as_mut_ptr() as *mut u8;
    let _ = &mut mem;
    // SAFETY: leaked memory lives forever.
    let drv = unsafe { DriverEnd::create(base, Layout::new(1, false, 1, 1 << 16).unwrap()) }.unwrap();
    Sim { drv, disk: vec![0; 512], forge: None, served: 0 }
}
