//! The device manager's protocol (docs/devices.md).
//!
//! devmgr (`devmgr_t`) owns the device untyped memory, IRQControl and
//! IOPortControl. It enumerates PCI, starts one driver task per device it
//! has a driver for, and gives that driver exactly its device's resources
//! as capabilities ([`Grant`]), one per [`Request::GetCap`] (the kernel
//! transfers one capability per message). Configuration space is reached
//! only through [`Request::ConfigRead`]/[`Request::ConfigWrite`], limited
//! to the driver's own function and filtered (PCI Local Bus 3.0 §6.1:
//! BARs are virtualised for sizing, only the command register's decode,
//! bus-master and INTx-disable bits may change, MSI/MSI-X stay devmgr's).
//!
//! Drivers and clients then share memory: the driver allocates the shared
//! region (rings and data, in its DMA memory so the device reads and writes
//! it directly) and a notification capability, and publishes both
//! ([`Request::Publish`]); a client reaching devmgr through the connection
//! server opens the device ([`Request::Open`]: the region token, then the
//! driver's notification) and binds its own notification
//! ([`Request::Bind`]), which the driver collects with
//! [`Request::TakeClient`]. From then on only the rings and notifications
//! are used; no data travels in IPC.
//!
//! Badges on devmgr's endpoint: bit 63 clear, [`DRIVER`] set: a driver
//! (low bits: its index); bit 63 set: a connection minted by connsrv
//! (carrying the client's SID, `rampart_connsrv_api::ConnBadge`).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(feature = "rt")]
pub mod rt;

use alloc::string::String;
use alloc::vec::Vec;
use rampart_uabi::Errno;
use serde::{Deserialize, Serialize};

/// Badge bit of a driver's channel to devmgr (low 16 bits: driver index).
pub const DRIVER: u64 = 1 << 60;
/// Badge bit of connections minted by connsrv.
pub const CONN: u64 = 1 << 63;
/// The service name devmgr is registered under with connsrv.
pub const SERVICE: &str = "devmgr";
/// Name of the capability (in the driver's startup information) holding
/// the driver's channel to devmgr.
pub const DRIVER_CHANNEL: &str = "devmgr";

/// A PCI function address (bus, device 0..32, function 0..8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Bdf {
    /// Bus.
    pub bus: u8,
    /// Device (0..32).
    pub device: u8,
    /// Function (0..8).
    pub function: u8,
}

impl core::fmt::Display for Bdf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

/// Kind of a base address register (PCI Local Bus 3.0 §6.2.5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarKind {
    /// 32-bit memory.
    Mem32,
    /// 64-bit memory (uses the next BAR register too).
    Mem64,
    /// I/O space.
    Io,
}

/// A decoded, sized BAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    /// BAR register index (0..6).
    pub index: u8,
    /// Kind.
    pub kind: BarKind,
    /// Address (physical for memory, port for I/O).
    pub addr: u64,
    /// Size in bytes (a power of two).
    pub size: u64,
    /// Prefetchable memory.
    pub prefetchable: bool,
}

/// How the driver's interrupt arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IrqKind {
    /// MSI-X table entry `entry`, programmed and unmasked by devmgr.
    MsiX {
        /// Table entry (virtio: the queue's vector number).
        entry: u16,
    },
    /// MSI (one vector), programmed by devmgr.
    Msi,
    /// An IOAPIC input (legacy INTx or an ISA line).
    Ioapic {
        /// Global system interrupt.
        gsi: u32,
        /// Level-triggered.
        level: bool,
        /// Active low.
        active_low: bool,
    },
}

/// One capability of a driver's grant, in [`DriverInfo::grants`] order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grant {
    /// A 4 KiB frame of BAR `bar` at physical address `paddr` (uncached).
    Frame {
        /// BAR index.
        bar: u8,
        /// Physical address of the page.
        paddr: u64,
    },
    /// I/O ports `first..=last`.
    IoPort {
        /// First port.
        first: u16,
        /// Last port.
        last: u16,
    },
    /// The interrupt handler (IRQHandler capability) of `kind`.
    Irq(IrqKind),
}

/// What devmgr tells a driver about its assignment ([`Request::Info`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriverInfo {
    /// The device's name for clients (`blk0`, `net0`, `serial0`).
    pub name: String,
    /// PCI address (zero for non-PCI devices).
    pub bdf: Bdf,
    /// Vendor id (0 for non-PCI).
    pub vendor: u16,
    /// Device id.
    pub device: u16,
    /// Class, subclass, programming interface.
    pub class: [u8; 3],
    /// The BARs as the device decodes them.
    pub bars: Vec<Bar>,
    /// The capabilities [`Request::GetCap`] hands out, in order.
    pub grants: Vec<Grant>,
}

/// What a driver publishes for its client, or a client opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shared {
    /// The region token of the shared memory (rings and data).
    Region,
    /// A capability to the driver's notification (signal: "rings have
    /// entries for you").
    Notify,
}

/// A device clients may open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEntry {
    /// Name (`blk0`, ...).
    pub name: String,
    /// Driver program.
    pub driver: String,
    /// PCI address.
    pub bdf: Bdf,
    /// Driver pid (0: not running).
    pub pid: u32,
    /// The driver published its shared objects.
    pub ready: bool,
    /// A client is bound.
    pub bound: bool,
}

rampart_uabi::by_value!(Shared);

rampart_uabi::protocol! {
    /// Requests to devmgr.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Request;
    /// Responses from devmgr.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Response {
        /// Done (a capability may travel with it).
        Ok,
        /// A driver's assignment.
        Info(DriverInfo),
        /// A configuration-space value.
        Config(u32),
        /// The devices.
        Devices(Vec<DeviceEntry>),
        /// The request failed.
        Err(Errno),
    }

    /// Driver: its assignment. Reply [`Response::Info`].
    Info -> Info(DriverInfo) => info;
    /// Driver: capability `index` of its grant travels with the reply
    /// [`Response::Ok`]. `EINVAL` (index out of range), `EBUSY` (already
    /// taken: each capability is handed out once).
    GetCap {
        /// Index into [`DriverInfo::grants`].
        index: u32,
    } -> Ok => get_cap(slot: receive);
    /// Driver: 32 bits of its own function's configuration space at
    /// `offset` (4-aligned, below 256). Reply [`Response::Config`].
    /// `EINVAL`.
    ConfigRead {
        /// Register offset in bytes.
        offset: u16,
    } -> Config(u32) => config_read;
    /// Driver: writes 32 bits (filtered, see the crate documentation).
    /// Reply `Ok`; `EINVAL`, `EPERM` (a register the driver may not
    /// change).
    ConfigWrite {
        /// Register offset in bytes.
        offset: u16,
        /// Value.
        value: u32,
    } -> Ok => config_write;
    /// Driver: the message carries the capability `what` for its client.
    /// `EINVAL` (no capability).
    Publish {
        /// Which one.
        what: Shared,
    } -> Ok => publish(cap: give);
    /// Driver: the bound client's notification travels with the reply
    /// `Ok`; `EAGAIN` if no client is bound yet.
    TakeClient -> Ok => take_client(slot: receive);
    /// Anyone connected: the devices. Reply [`Response::Devices`].
    List -> Devices(Vec<DeviceEntry>) => list;
    /// Client: the driver's published capability `what` for device `name`
    /// travels with the reply `Ok`. `ENOENT`, `EAGAIN` (driver not ready),
    /// `EACCES` (the policy denies `service connect` from the client to the
    /// driver), `EBUSY` (another client is bound).
    Open {
        /// Device name.
        name: String,
        /// Which capability.
        what: Shared,
    } -> Ok => open(slot: receive);
    /// Client: the message carries the client's notification for device
    /// `name`'s driver (signalled when completions or received data are
    /// waiting). Errors as [`Request::Open`], `EINVAL` (no capability).
    Bind {
        /// Device name.
        name: String,
    } -> Ok => bind(ntfn: give);
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;
    use rampart_uabi::codec::{MAX_WORDS, PROTOCOL_POSTCARD, decode, encode};

    fn rt<T: Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug>(v: T) {
        let mut w = [0u64; MAX_WORDS];
        let (l, n) = encode(&v, &mut w).unwrap();
        assert_eq!(decode::<T>(l, &w[..n]).unwrap(), v);
    }

    #[test]
    fn round_trips() {
        rt(Request::ConfigWrite { offset: 4, value: 0x0406 });
        rt(Request::Open { name: "blk0".into(), what: Shared::Notify });
        let info = DriverInfo {
            name: "blk0".into(),
            bdf: Bdf { bus: 0, device: 3, function: 0 },
            vendor: 0x1af4,
            device: 0x1042,
            class: [1, 0, 0],
            bars: vec![Bar { index: 4, kind: BarKind::Mem64, addr: 0xfe00_0000, size: 0x4000, prefetchable: true }],
            grants: (0..4)
                .map(|i| Grant::Frame { bar: 4, paddr: 0xfe00_0000 + i * 4096 })
                .chain([Grant::Irq(IrqKind::MsiX { entry: 0 }), Grant::IoPort { first: 0xc000, last: 0xc03f }])
                .collect(),
        };
        rt(Response::Info(info));
        rt(Response::Err(Errno::EACCES));
    }

    /// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
    /// (docs/assurance.md §10).
    fn cases(ci: u32) -> u32 {
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(3000)))]
        #[test]
        fn hostile_requests_never_panic(words in proptest::collection::vec(any::<u64>(), 0..16), len in 0u64..200) {
            let _ = decode::<Request>(PROTOCOL_POSTCARD | len, &words);
            let _ = decode::<Response>(PROTOCOL_POSTCARD | len, &words);
        }
    }
}

/// What init hands devmgr (docs/userland.md §1 step 4): one CNode
/// (the named capability [`boot::CAPS`], `2^`[`boot::RADIX`] slots, no
/// guard) holding the control capabilities, devmgr's endpoint, a read-only
/// copy of the boot-information frame (which describes the untyped
/// memory), and every device untyped at [`boot::UNTYPED_FIRST`] plus its
/// index in `BootInfo::untyped_list`.
pub mod boot {
    /// Name of the CNode capability in devmgr's startup information.
    pub const CAPS: &str = "devcaps";
    /// log2 slots of that CNode.
    pub const RADIX: u8 = 8;
    /// IRQControl.
    pub const IRQ_CONTROL: u64 = 0;
    /// IOPortControl.
    pub const IO_PORT_CONTROL: u64 = 1;
    /// devmgr's endpoint (unbadged; connsrv hands clients badged copies).
    pub const ENDPOINT: u64 = 2;
    /// The boot-information frame (read-only).
    pub const BOOTINFO: u64 = 3;
    /// I/O ports 0xcf8-0xcff (PCI configuration mechanism #1), issued by
    /// init, which gives rm a copy for the reset control register 0xcf9
    /// (docs/resource-manager.md, "Power"). Empty: devmgr issues them.
    pub const PCI_CONFIG: u64 = 4;
    /// First device untyped: slot `UNTYPED_FIRST + i` holds untyped `i` of
    /// the boot information (only those with `is_device`).
    pub const UNTYPED_FIRST: u64 = 16;
}
