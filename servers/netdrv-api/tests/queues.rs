//! The frame queues end to end on the host: a simulated driver that loops
//! transmitted frames back into rx buffers, hostile descriptors from
//! either side.

// The queue constructors are `unsafe` (raw memory): the tests build them over
// host memory, and write rings raw to play a hostile peer.
#![allow(unsafe_code)]

use rampart_netdrv_api::{
    DATA_OFFSET, Desc, DriverEnd, Layout, NetClient, RX_FREE_OFFSET, RX_USED_OFFSET, Refused, Signal, TX_DONE_OFFSET,
    TX_SEND_OFFSET,
};
use rampart_spsc::{Consumer, Producer};
use std::cell::Cell;
use std::rc::Rc;

#[repr(C, align(4096))]
struct Page([u8; 4096]);

const REGION: usize = 1 << 20;

fn region() -> Vec<Page> {
    (0..REGION / 4096).map(|_| Page([0; 4096])).collect()
}

fn layout(depth: u32, bufs: u32) -> Layout {
    Layout {
        mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56],
        depth,
        headroom: 12,
        rx_bufs: bufs,
        tx_bufs: bufs,
        region_len: REGION as u64,
    }
}

#[derive(Clone, Default)]
struct Count(Rc<Cell<u32>>);

impl Signal for Count {
    fn notify(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// The driver's side of a loopback: rx buffers it holds, frames sent.
struct Loop {
    drv: DriverEnd,
    rx: Vec<u32>,
}

impl Loop {
    fn new(base: *mut u8, l: Layout) -> Loop {
        // SAFETY: the test's region outlives the loop; the client is made after.
        let drv = unsafe { DriverEnd::create(base, l) }.unwrap();
        let rx = drv.initial_rx().collect();
        Loop { drv, rx }
    }

    /// Moves every queued tx frame into a held rx buffer (as the device
    /// would, header included), returns the tx buffers and publishes.
    fn run(&mut self) -> usize {
        let mut moved = 0;
        while let Some(r) = self.drv.next_rx_free().unwrap() {
            if let Ok(b) = r {
                self.rx.push(b);
            }
        }
        while let Some(r) = self.drv.next_tx().unwrap() {
            let Ok((tb, len)) = r else { continue };
            if let Some(rb) = self.rx.pop() {
                // SAFETY: both buffers are held by the driver and 2 KiB long.
                unsafe { std::ptr::copy_nonoverlapping(self.drv.buffer(tb), self.drv.buffer(rb), 2048) };
                assert!(self.drv.rx_done(rb, len).unwrap());
                moved += 1;
            }
            assert!(self.drv.tx_done(tb).unwrap());
        }
        self.drv.publish();
        moved
    }
}

fn driver(base: *mut u8) -> DriverEnd {
    // SAFETY: the test's 1 MiB region outlives the end.
    unsafe { DriverEnd::create(base, layout(128, 128)) }.unwrap()
}

fn frame(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|k| (i * 7 + k) as u8).collect()
}

#[test]
fn frames_loop_back_through_the_rings() {
    let mut mem = region();
    let base = mem.as_mut_ptr() as *mut u8;
    let l = layout(128, 128);
    let mut drv = Loop::new(base, l);
    let sig = Count::default();
    // SAFETY: as above.
    let mut c = unsafe { NetClient::new(base, REGION, sig.clone()) }.unwrap();
    assert_eq!(c.mac(), l.mac);
    let mut out = vec![0u8; 1514];
    for round in 0..20 {
        let mut sent = Vec::new();
        for i in 0..100 {
            let f = frame(round * 100 + i, 14 + (round * 100 + i) % 1500);
            assert!(c.transmit(f.len(), &mut |b| b.copy_from_slice(&f)));
            sent.push(f);
        }
        assert_eq!(drv.run(), 100);
        for f in &sent {
            let n = c.receive(&mut out).expect("a frame");
            assert_eq!(&out[..n], &f[..]);
        }
        assert_eq!(c.receive(&mut out), None);
    }
    assert!(sig.0.get() > 0, "the driver was signalled");
    assert_eq!(c.ignored, 0);
    assert_eq!(drv.drv.refused, 0);
}

#[test]
fn transmit_stops_when_buffers_run_out_and_resumes() {
    let mut mem = region();
    let base = mem.as_mut_ptr() as *mut u8;
    let mut drv = Loop::new(base, layout(16, 8));
    // SAFETY: as above.
    let mut c = unsafe { NetClient::new(base, REGION, Count::default()) }.unwrap();
    for _ in 0..8 {
        assert!(c.transmit(60, &mut |b| b.fill(1)));
    }
    assert!(!c.can_transmit());
    assert!(!c.transmit(60, &mut |_| panic!("no buffer to fill")));
    assert!(!c.transmit(4000, &mut |_| panic!("too long")));
    drv.run();
    assert!(c.can_transmit());
}

/// The client's rings, written raw (a hostile client).
fn raw_client(base: *mut u8) -> (Producer<Desc>, Producer<Desc>, Consumer<Desc>) {
    // SAFETY: every offset passed is inside the test region.
    let at = |o: u64| unsafe { base.add(o as usize) };
    // SAFETY: offsets inside the test region.
    unsafe {
        (
            Producer::new(at(RX_FREE_OFFSET), 4096, 128).unwrap(),
            Producer::new(at(TX_SEND_OFFSET), 4096, 128).unwrap(),
            Consumer::new(at(RX_USED_OFFSET), 4096, 128).unwrap(),
        )
    }
}

#[test]
fn the_driver_refuses_hostile_descriptors() {
    let mut mem = region();
    let base = mem.as_mut_ptr() as *mut u8;
    let mut drv = driver(base);
    let (mut rx_free, mut tx_send, _) = raw_client(base);
    // rx buffers are the driver's at start: returning one is refused.
    rx_free.push(Desc { buf: 0, len: 0 }).unwrap();
    rx_free.push(Desc { buf: 128, len: 0 }).unwrap(); // a tx index
    rx_free.push(Desc { buf: u32::MAX, len: 0 }).unwrap();
    rx_free.publish();
    assert_eq!(drv.next_rx_free().unwrap(), Some(Err(Refused::Owned)));
    assert_eq!(drv.next_rx_free().unwrap(), Some(Err(Refused::Index)));
    assert_eq!(drv.next_rx_free().unwrap(), Some(Err(Refused::Index)));
    for d in [
        Desc { buf: 128, len: 13 },
        Desc { buf: 128, len: 1515 },
        Desc { buf: 5, len: 60 },
        Desc { buf: 256, len: 60 },
        Desc { buf: 200, len: 60 },
        Desc { buf: 200, len: 60 },
    ] {
        tx_send.push(d).unwrap();
    }
    tx_send.publish();
    assert_eq!(drv.next_tx().unwrap(), Some(Err(Refused::Length)));
    assert_eq!(drv.next_tx().unwrap(), Some(Err(Refused::Length)));
    assert_eq!(drv.next_tx().unwrap(), Some(Err(Refused::Index)));
    assert_eq!(drv.next_tx().unwrap(), Some(Err(Refused::Index)));
    assert_eq!(drv.next_tx().unwrap(), Some(Ok((200, 60))));
    assert_eq!(drv.next_tx().unwrap(), Some(Err(Refused::Owned)), "one buffer twice");
    assert_eq!(drv.next_tx().unwrap(), None);
    assert_eq!(drv.refused, 8);
    // The driver cannot hand back what it does not hold.
    assert!(!drv.tx_done(201).unwrap());
    assert!(drv.tx_done(200).unwrap());
    assert!(!drv.tx_done(200).unwrap());
    // Corrupt indices are an error, not a crash.
    // SAFETY: the ring header is at the ring's offset; head is its first word.
    unsafe { (base.add(TX_SEND_OFFSET as usize) as *mut u32).write_volatile(1_000_000) };
    assert!(drv.next_tx().is_err());
}

#[test]
fn the_client_ignores_a_hostile_driver() {
    let mut mem = region();
    let base = mem.as_mut_ptr() as *mut u8;
    let _drv = driver(base);
    // SAFETY: as above.
    let mut c = unsafe { NetClient::new(base, REGION, Count::default()) }.unwrap();
    // SAFETY: every offset passed is inside the test region.
    let at = |o: u64| unsafe { base.add(o as usize) };
    // SAFETY: the driver's producer rings, written raw.
    let (mut rx_used, mut tx_done) = unsafe {
        (
            Producer::<Desc>::new(at(RX_USED_OFFSET), 4096, 128).unwrap(),
            Producer::<Desc>::new(at(TX_DONE_OFFSET), 4096, 128).unwrap(),
        )
    };
    for d in
        [Desc { buf: 300, len: 60 }, Desc { buf: 130, len: 60 }, Desc { buf: 3, len: 2000 }, Desc { buf: 4, len: 60 }]
    {
        rx_used.push(d).unwrap();
    }
    rx_used.publish();
    let mut out = [0u8; 1514];
    assert_eq!(c.receive(&mut out), Some(0), "index out of range");
    assert_eq!(c.receive(&mut out), Some(0), "a tx index");
    assert_eq!(c.receive(&mut out), Some(0), "too long");
    assert_eq!(c.receive(&mut out), Some(60));
    // A tx buffer the client still holds, "returned" by the driver.
    tx_done.push(Desc { buf: 140, len: 0 }).unwrap();
    tx_done.publish();
    assert!(c.can_transmit());
    assert_eq!(c.ignored, 3);
    let _ = DATA_OFFSET;
}

proptest::proptest! {
    #[test]
    fn random_client_descriptors_never_break_the_driver(descs: Vec<(bool, u32, u32)>) {
        let mut mem = region();
        let base = mem.as_mut_ptr() as *mut u8;
        let mut drv = driver(base);
        let (mut rx_free, mut tx_send, _) = raw_client(base);
        let mut held_tx = std::collections::HashSet::new();
        for chunk in descs.chunks(64) {
            for &(rx, buf, len) in chunk {
                let d = Desc { buf: buf % 300, len: len % 1600 };
                if rx { rx_free.push(d).unwrap(); } else { tx_send.push(d).unwrap(); }
            }
            rx_free.publish();
            tx_send.publish();
            while let Some(r) = drv.next_rx_free().unwrap() {
                if let Ok(b) = r { proptest::prop_assert!(b < 128); }
            }
            while let Some(r) = drv.next_tx().unwrap() {
                if let Ok((b, len)) = r {
                    proptest::prop_assert!((128..256).contains(&b) && (14..=1514).contains(&len));
                    proptest::prop_assert!(held_tx.insert(b), "a buffer held twice");
                }
            }
            drv.publish();
        }
    }
}
