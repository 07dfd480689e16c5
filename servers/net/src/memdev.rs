//! An in-memory Ethernet link for host tests: [`wire`] connects two
//! [`MemDevice`]s back to back; a test may also hold a [`FrameQueue`]
//! itself to play a peer (a scripted DHCP server), inspect, drop or mutate
//! frames in flight.

use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::device::NetDevice;

/// Frames a queue holds before transmitting fails (the link drops).
pub const QUEUE_FRAMES: usize = 4096;

/// A FIFO of frames shared by a transmitter and a receiver.
#[derive(Clone, Debug, Default)]
pub struct FrameQueue(Rc<RefCell<VecDeque<Vec<u8>>>>);

impl FrameQueue {
    /// An empty queue.
    pub fn new() -> FrameQueue {
        FrameQueue::default()
    }

    /// Appends a frame; false if the queue is full.
    pub fn push(&self, frame: Vec<u8>) -> bool {
        let mut q = self.0.borrow_mut();
        if q.len() >= QUEUE_FRAMES {
            return false;
        }
        q.push_back(frame);
        true
    }

    /// Takes the oldest frame.
    pub fn pop(&self) -> Option<Vec<u8>> {
        self.0.borrow_mut().pop_front()
    }

    /// Frames queued.
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }

    /// True if no frame is queued.
    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }

    /// Takes every queued frame.
    pub fn drain(&self) -> Vec<Vec<u8>> {
        self.0.borrow_mut().drain(..).collect()
    }
}

/// A [`NetDevice`] that receives from one [`FrameQueue`] and transmits
/// into another.
#[derive(Clone, Debug)]
pub struct MemDevice {
    mac: [u8; 6],
    rx: FrameQueue,
    tx: FrameQueue,
}

impl MemDevice {
    /// A device with address `mac` reading `rx` and writing `tx`.
    pub fn new(mac: [u8; 6], rx: FrameQueue, tx: FrameQueue) -> MemDevice {
        MemDevice { mac, rx, tx }
    }

    /// The queue this device receives from (push here to inject frames).
    pub fn rx_queue(&self) -> FrameQueue {
        self.rx.clone()
    }

    /// The queue this device transmits into.
    pub fn tx_queue(&self) -> FrameQueue {
        self.tx.clone()
    }
}

impl NetDevice for MemDevice {
    fn mac(&self) -> [u8; 6] {
        self.mac
    }

    fn receive(&mut self, buf: &mut [u8]) -> Option<usize> {
        let f = self.rx.pop()?;
        if f.len() > buf.len() {
            return Some(0);
        }
        buf[..f.len()].copy_from_slice(&f);
        Some(f.len())
    }

    fn can_transmit(&mut self) -> bool {
        self.tx.len() < QUEUE_FRAMES
    }

    fn transmit(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> bool {
        if !self.can_transmit() {
            return false;
        }
        let mut f = alloc::vec![0; len];
        fill(&mut f);
        self.tx.push(f)
    }
}

/// Two devices connected back to back: what `a` transmits `b` receives
/// and vice versa.
pub fn wire(mac_a: [u8; 6], mac_b: [u8; 6]) -> (MemDevice, MemDevice) {
    let (ab, ba) = (FrameQueue::new(), FrameQueue::new());
    (MemDevice::new(mac_a, ba.clone(), ab.clone()), MemDevice::new(mac_b, ab, ba))
}
