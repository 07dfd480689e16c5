//! A bounded audit trail every object server keeps between forwarding
//! batches to the security server's audit log.

use crate::{AuditRecord, AuditSink};
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Records kept before the oldest are dropped.
pub const AUDIT_CAPACITY: usize = 1024;

/// Bounded audit trail: at most [`AUDIT_CAPACITY`] records; when full the
/// oldest is dropped and counted. The server drains it and forwards the
/// records to the security server's audit log.
#[derive(Debug, Default)]
pub struct AuditLog {
    records: VecDeque<AuditRecord>,
    dropped: u64,
}

impl AuditSink for AuditLog {
    fn audit(&mut self, rec: &AuditRecord) {
        if self.records.len() == AUDIT_CAPACITY {
            self.records.pop_front();
            self.dropped += 1;
        }
        self.records.push_back(*rec);
    }
}

impl AuditLog {
    /// Takes every pending record, oldest first.
    pub fn drain(&mut self) -> Vec<AuditRecord> {
        self.records.drain(..).collect()
    }

    /// Records dropped because the log was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ssid: u32) -> AuditRecord {
        AuditRecord { ssid, tsid: 1, class: 1, perms: 1, denied: true, enforced: true, seqno: 1 }
    }

    #[test]
    fn full_log_drops_the_oldest_and_counts() {
        let mut log = AuditLog::default();
        for i in 0..AUDIT_CAPACITY as u32 + 3 {
            log.audit(&rec(i));
        }
        assert_eq!(log.dropped(), 3);
        let all = log.drain();
        assert_eq!(all.len(), AUDIT_CAPACITY);
        assert_eq!(all[0].ssid, 3);
        assert!(log.drain().is_empty());
    }
}
