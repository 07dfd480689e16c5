//! A driver's start-up, shared by every driver: the `main` that reports a
//! failing step, a virtio PCI driver's DMA memory, grants, virtio
//! structures and PCI transport (virtio 1.2 §4.1), publishing the region
//! shared with the client and waiting for that client, with each failing
//! step named.

use crate::device::{self, Claimed, DevmgrCam, EVENT_CLIENT};
use crate::hal::{self, RampartHal};
use rampart_devmgr_api::Shared;
use rampart_rt::cap::Notification;
use rampart_rt::dprintln;
use rampart_rt::rm::Region;
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

/// A driver's `main`: runs `run` with the device name devmgr passed as
/// `argv[1]` (empty if none) and returns the exit status: 0 if `run`
/// returns, 1 after logging `DRIVER: NAME: STEP: ERRNO` if it fails.
pub fn main(driver: &str, run: fn(&str) -> Result<(), Failure>) -> i32 {
    let name = rampart_rt::process::args().get(1).cloned().unwrap_or_default();
    match run(&name) {
        Ok(()) => 0,
        Err((what, e)) => {
            dprintln!("{driver}: {name}: {what}: {e}");
            1
        }
    }
}

/// Shares `region` (writable) with the client through devmgr and publishes
/// the client's notification (badge [`EVENT_CLIENT`] on this driver's event
/// notification, write only); the driver's copies of both capabilities are
/// dropped afterwards, since devmgr holds its own for the client.
///
/// # Errors
/// The failing step: `slots` (`ENOSPC`), `sharing the region` (rm's
/// error), `publishing the region`, `notification` or `publishing the
/// notification` (devmgr's error), with the errno.
pub fn publish(dev: &Claimed, region: &Region) -> Result<(), Failure> {
    let token = device::slot().map_err(at("slots"))?;
    rampart_rt::rm::region_share(region.id, true, token).map_err(at("sharing the region"))?;
    dev.devmgr.publish(Shared::Region, token).map_err(at("publishing the region"))?;
    let ntfn = device::event_cap(EVENT_CLIENT).map_err(at("notification"))?;
    dev.devmgr.publish(Shared::Notify, ntfn.0).map_err(at("publishing the notification"))?;
    device::drop_cap(token);
    device::drop_cap(ntfn.0);
    Ok(())
}

/// Waits (sleeping on the driver's event notification between tries)
/// until devmgr has bound a client; returns the client's notification.
///
/// # Errors
/// `client` with `ENOSPC` (no free slot) or devmgr's error other than
/// `EAGAIN` (no client yet).
pub fn wait_client(dev: &Claimed) -> Result<Notification, Failure> {
    let s = device::slot().map_err(at("client"))?;
    loop {
        match dev.devmgr.take_client(s) {
            Ok(()) => return Ok(Notification(s)),
            Err(Errno::EAGAIN) => {
                device::events().wait();
            }
            Err(e) => return Err(("client", e)),
        }
    }
}
