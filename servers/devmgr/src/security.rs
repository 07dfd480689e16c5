//! devmgr's policy checks through an AVC (docs/devices.md §5,
//! docs/security-architecture.md §2).
//!
//! A client may attach to a device (`Open`, `Bind`) only if the policy
//! allows `service connect` from the client's context (the SID in its
//! connection badge) to the driver's domain (`blkdrv_t`, `netdrv_t`,
//! `serial_t`): exactly the channel rules of `policy/modules`, whose
//! goals say that only `fs_t` reaches `blkdrv_t` and only `net_t`
//! reaches `netdrv_t`. devmgr refreshes the AVC before each check (opens
//! are rare), so a policy reload takes effect at the next open. Without a
//! security server every attachment is refused (fail closed).

use rampart_connsrv_api::rt::Channel;
use rampart_rt::cap::CPtr;
use rampart_secsrv_api::client::SecAvc;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::Errno;

/// The AVC and the vocabulary devmgr checks with.
pub struct Security {
    avc: SecAvc<Ipc, 16, 2>,
    seqno: u32,
    class: u16,
    connect: u32,
}

impl Security {
    /// Connects to the security server (service `security`) through the
    /// task's connsrv channel, the endpoint landing in `slot`.
    ///
    /// # Errors
    /// connsrv's and secsrv's errors.
    pub fn connect(slot: CPtr) -> Result<Security, Errno> {
        let conn = Channel::own().connect("security", slot)?;
        let mut s = Security { avc: SecAvc::new(Ipc(conn.ep)), seqno: u32::MAX, class: 0, connect: 0 };
        s.refresh()?;
        Ok(s)
    }

    fn refresh(&mut self) -> Result<(), Errno> {
        let st = self.avc.refresh()?;
        if st.seqno != self.seqno {
            // Class and permission numbers belong to the loaded policy.
            let mut c = self.avc.client();
            self.class = c.class_id("service")?;
            self.connect = c.perms(self.class, &["connect"])?;
            self.seqno = st.seqno;
        }
        Ok(())
    }

    /// The SID of `context`.
    ///
    /// # Errors
    /// secsrv's (`EINVAL` for a context the policy does not know).
    pub fn sid(&mut self, context: &str) -> Result<u32, Errno> {
        self.avc.client().context_to_sid(context)
    }

    /// Whether `client` may attach to the driver in domain `driver`
    /// (device `name`, for the audit record).
    ///
    /// # Errors
    /// `EACCES` (denied, audited by the AVC), secsrv's errors.
    pub fn may_attach(&mut self, client: u32, driver: u32, name: &str) -> Result<(), Errno> {
        self.refresh()?;
        self.avc.check(client, driver, self.class, self.connect, name)
    }
}
