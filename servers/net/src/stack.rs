//! The TCP/IP stack: a smoltcp interface over a [`NetDevice`], its socket
//! set, and the IPv4 configuration (static, or a DHCP client).
//!
//! Everything protocol-level — Ethernet, ARP, IPv4, ICMP echo replies,
//! TCP, UDP, DHCP — is smoltcp's; this module only wires it up and keeps
//! the interface's address, default route and DNS servers in step with
//! the configuration or the DHCP lease.

use alloc::vec::Vec;
use rampart_net_api::IfInfo;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::{dhcpv4, tcp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address, Ipv4Cidr};

use crate::device::{NetDevice, Phy, PhyStats};

/// A static IPv4 configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticIp {
    /// The interface's address.
    pub addr: [u8; 4],
    /// Prefix length of its network (0..=32).
    pub prefix: u8,
    /// Default gateway.
    pub gateway: Option<[u8; 4]>,
    /// DNS servers, preferred first.
    pub dns: Vec<[u8; 4]>,
}

impl StaticIp {
    /// QEMU user networking: 10.0.2.15/24, gateway 10.0.2.2, DNS 10.0.2.3.
    pub fn qemu_user() -> StaticIp {
        StaticIp { addr: [10, 0, 2, 15], prefix: 24, gateway: Some([10, 0, 2, 2]), dns: alloc::vec![[10, 0, 2, 3]] }
    }
}

/// How the interface gets its IPv4 address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpConfig {
    /// A fixed address.
    Static(StaticIp),
    /// A DHCP client (RFC 2131 through smoltcp); until a lease arrives the
    /// interface has no address and connecting gives `ENETDOWN`.
    Dhcp,
}

/// Why a stack could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackError {
    /// The device's MAC address is not a unicast address.
    BadMac,
    /// The static address or prefix is invalid (prefix > 32, address
    /// unspecified, multicast or broadcast).
    BadAddress,
}

/// The smoltcp interface, its sockets and its device.
pub struct Stack<D: NetDevice> {
    pub(crate) iface: Interface,
    pub(crate) sockets: SocketSet<'static>,
    pub(crate) phy: Phy<D>,
    dhcp: Option<SocketHandle>,
    dns: Vec<[u8; 4]>,
    gateway: Option<[u8; 4]>,
    now: Instant,
}

fn valid_host(a: Ipv4Address) -> bool {
    !(a.is_unspecified() || a.is_multicast() || a.is_broadcast())
}

impl<D: NetDevice> Stack<D> {
    /// A stack on `dev` configured by `ip`. `seed` seeds TCP initial
    /// sequence numbers and ephemeral choices (use a boot-time random
    /// value); `now_ms` is the current time in milliseconds.
    ///
    /// # Errors
    /// [`StackError`].
    pub fn new(dev: D, ip: &IpConfig, seed: u64, now_ms: u64) -> Result<Stack<D>, StackError> {
        let mac = EthernetAddress(dev.mac());
        if !mac.is_unicast() {
            return Err(StackError::BadMac);
        }
        let mut phy = Phy::new(dev);
        let now = Instant::from_millis(now_ms as i64);
        let mut cfg = Config::new(HardwareAddress::Ethernet(mac));
        cfg.random_seed = seed;
        let mut iface = Interface::new(cfg, &mut phy, now);
        let mut sockets = SocketSet::new(Vec::new());
        let (mut dhcp, mut dns, mut gateway) = (None, Vec::new(), None);
        match ip {
            IpConfig::Static(s) => {
                let addr = Ipv4Address::from(s.addr);
                if s.prefix > 32 || !valid_host(addr) {
                    return Err(StackError::BadAddress);
                }
                iface.update_ip_addrs(|a| {
                    let _ = a.push(IpCidr::Ipv4(Ipv4Cidr::new(addr, s.prefix)));
                });
                if let Some(gw) = s.gateway {
                    let _ = iface.routes_mut().add_default_ipv4_route(Ipv4Address::from(gw));
                }
                dns = s.dns.clone();
                gateway = s.gateway;
            }
            IpConfig::Dhcp => dhcp = Some(sockets.add(dhcpv4::Socket::new())),
        }
        let stack = Stack { iface, sockets, phy, dhcp, dns, gateway, now };
        Ok(stack)
    }

    /// Processes every received frame, transmits what the sockets have
    /// queued and runs timers (retransmission, ARP, DHCP). Returns true
    /// if some socket's state may have changed.
    pub fn poll(&mut self, now_ms: u64) -> bool {
        self.poll_between(now_ms, |_| {})
    }

    /// [`Stack::poll`], calling `between` after each received frame (the
    /// server refills its listen pools there, so that a burst of SYNs in
    /// one batch of frames finds a listening socket for each; smoltcp
    /// answers a SYN that finds none with a reset).
    pub fn poll_between(&mut self, now_ms: u64, mut between: impl FnMut(&mut Self)) -> bool {
        use smoltcp::iface::{PollIngressSingleResult, PollResult};
        self.now = Instant::from_millis(now_ms as i64);
        self.iface.poll_maintenance(self.now);
        let mut changed = false;
        self.note_connections();
        loop {
            match self.iface.poll_ingress_single(self.now, &mut self.phy, &mut self.sockets) {
                PollIngressSingleResult::None => break,
                PollIngressSingleResult::PacketProcessed => {}
                PollIngressSingleResult::SocketStateChanged => {
                    changed = true;
                    between(self);
                    self.note_connections();
                }
            }
        }
        while self.iface.poll_egress(self.now, &mut self.phy, &mut self.sockets) == PollResult::SocketStateChanged {
            changed = true;
        }
        self.dhcp_events();
        changed
    }

    /// Tells the adapter which four-tuples have a TCP connection (from
    /// `SYN-RECEIVED` to `LAST-ACK`; `TIME-WAIT` may take a new SYN), so it
    /// drops retransmitted SYNs for them (`crate::device`, "duplicate
    /// SYN"). O(sockets), after every frame that changed a socket's state.
    fn note_connections(&mut self) {
        let tuples = self
            .sockets
            .iter()
            .filter_map(|(_, s)| match s {
                smoltcp::socket::Socket::Tcp(t) => Some(t),
                _ => None,
            })
            .filter(|t| !matches!(t.state(), tcp::State::Closed | tcp::State::Listen | tcp::State::TimeWait))
            .filter_map(|t| {
                let (r, l) = (t.remote_endpoint()?, t.local_endpoint()?);
                match r.addr {
                    smoltcp::wire::IpAddress::Ipv4(a) => Some((a.octets(), r.port, l.port)),
                }
            })
            .collect();
        self.phy.set_connected(tuples);
    }

    fn dhcp_events(&mut self) {
        let Some(h) = self.dhcp else { return };
        match self.sockets.get_mut::<dhcpv4::Socket>(h).poll() {
            None => {}
            Some(dhcpv4::Event::Configured(c)) => {
                let addr = c.address;
                let router = c.router;
                self.dns = c.dns_servers.iter().map(|d| d.octets()).collect();
                self.iface.update_ip_addrs(|a| {
                    a.clear();
                    let _ = a.push(IpCidr::Ipv4(addr));
                });
                match router {
                    Some(r) => {
                        let _ = self.iface.routes_mut().add_default_ipv4_route(r);
                    }
                    None => {
                        self.iface.routes_mut().remove_default_ipv4_route();
                    }
                }
                self.gateway = router.map(|r| r.octets());
            }
            Some(dhcpv4::Event::Deconfigured) => {
                self.iface.update_ip_addrs(|a| a.clear());
                self.iface.routes_mut().remove_default_ipv4_route();
                self.dns.clear();
                self.gateway = None;
            }
        }
    }

    /// When [`Stack::poll`] should run next, in milliseconds (`None`: only
    /// when a frame arrives or a socket is used).
    pub fn poll_at(&mut self) -> Option<u64> {
        self.iface.poll_at(self.now, &self.sockets).map(|t| t.total_millis().max(0) as u64)
    }

    /// The time of the last poll.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The interface's IPv4 address, if it has one.
    pub fn ipv4(&self) -> Option<Ipv4Address> {
        self.iface.ipv4_addr()
    }

    /// The interface's configuration.
    pub fn info(&self) -> IfInfo {
        let mut cidrs = self.iface.ip_addrs().iter().map(|c| match c {
            IpCidr::Ipv4(c) => (c.address().octets(), c.prefix_len()),
        });
        let addr = cidrs.next();
        IfInfo {
            mac: self.phy_mac(),
            addr,
            gateway: self.gateway,
            dns: self.dns.clone(),
            mtu: (crate::device::MAX_FRAME - 14) as u16,
            dhcp: self.dhcp.is_some(),
        }
    }

    fn phy_mac(&self) -> [u8; 6] {
        match self.iface.hardware_addr() {
            HardwareAddress::Ethernet(e) => e.0,
        }
    }

    /// Frame counters of the device adapter.
    pub fn phy_stats(&self) -> PhyStats {
        self.phy.stats()
    }

    /// The device.
    pub fn device(&mut self) -> &mut D {
        self.phy.device()
    }

    /// smoltcp's socket set, for tools and tests that add sockets of their
    /// own (an ICMP pinger); the server ignores sockets it did not create.
    pub fn sockets_mut(&mut self) -> &mut SocketSet<'static> {
        &mut self.sockets
    }

    /// Sockets in smoltcp's set (client sockets, listen pools, lingering
    /// closes and the DHCP client).
    pub fn socket_count(&self) -> usize {
        self.sockets.iter().count()
    }
}
