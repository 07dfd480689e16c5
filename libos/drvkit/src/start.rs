//! A virtio PCI driver's start-up, shared by every such driver: DMA memory,
//! the grants from devmgr, the virtio structures and the PCI transport
//! (virtio 1.2 §4.1), with each failing step named.

use crate::device::{self, Claimed, DevmgrCam};
use crate::hal::{self, RampartHal};
use rampart_uabi::Errno;
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::transport::pci::bus::PciRoot;

/// A start-up failure: the step that failed and its errno (the driver
/// logs both and exits with a failure status).
pub type Failure = (&'static str, Errno);

/// An error a start-up step can give, as an errno.
pub struct ErrnoOf(pub Errno);

impl From<Errno> for ErrnoOf {
    fn from(e: Errno) -> Self {
        ErrnoOf(e)
    }
}

impl From<virtio_drivers::Error> for ErrnoOf {
    fn from(_: virtio_drivers::Error) -> Self {
        ErrnoOf(Errno::EIO)
    }
}

impl From<virtio_drivers::transport::pci::VirtioPciError> for ErrnoOf {
    fn from(_: virtio_drivers::transport::pci::VirtioPciError) -> Self {
        ErrnoOf(Errno::ENODEV)
    }
}

/// Names step `what` in an error: `x.map_err(at("virtio-blk init"))?`.
pub fn at<T: Into<ErrnoOf>>(what: &'static str) -> impl Fn(T) -> Failure {
    move |e| (what, e.into().0)
}

/// Sets up DMA memory, claims the device devmgr assigned to this task,
/// checks its virtio structures and opens its PCI transport.
///
/// # Errors
/// The failing step: `DMA memory`, `collecting the grants`, `virtio
/// structures` or `virtio transport` (`ENODEV` for a function that is not
/// a virtio device), with the errno.
pub fn virtio_pci() -> Result<(Claimed, PciTransport), Failure> {
    hal::init().map_err(at("DMA memory"))?;
    let dev = device::claim().map_err(at("collecting the grants"))?;
    dev.check_structures().map_err(at("virtio structures"))?;
    let mut root = PciRoot::new(DevmgrCam(dev.devmgr));
    let transport = PciTransport::new::<RampartHal, _>(&mut root, dev.function()).map_err(at("virtio transport"))?;
    Ok((dev, transport))
}
