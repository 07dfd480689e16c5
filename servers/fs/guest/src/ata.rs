//! The root disk on the primary ATA channel, in PIO mode through an I/O
//! port capability (0x1f0-0x1f7). A stopgap until the virtio-blk driver of
//! the device manager serves block devices (docs/storage.md): simple,
//! polled, one sector per command.

use rampart_fs::{BlockDevice, IoError, SECTOR_SIZE};
use rampart_rt::cap::IoPort;

const BASE: u16 = 0x1f0;
const DATA: u16 = BASE;
const COUNT: u16 = BASE + 2;
const LBA0: u16 = BASE + 3;
const LBA1: u16 = BASE + 4;
const LBA2: u16 = BASE + 5;
const DRIVE: u16 = BASE + 6;
const CMD: u16 = BASE + 7;
const BSY: u8 = 0x80;
const DRQ: u8 = 0x08;
const ERR: u8 = 0x01;
const DF: u8 = 0x20;

/// The master drive of the primary channel.
#[derive(Clone, Copy, Debug)]
pub struct Ata {
    port: IoPort,
    sectors: u64,
}

impl Ata {
    /// Identifies the drive; `None` if there is none.
    pub fn probe(cap: u64) -> Option<Ata> {
        let mut a = Ata { port: IoPort(cap), sectors: 0 };
        a.out(DRIVE, 0xa0);
        a.out(COUNT, 0);
        a.out(LBA0, 0);
        a.out(LBA1, 0);
        a.out(LBA2, 0);
        a.out(CMD, 0xec);
        if a.inp(CMD) == 0 || a.inp(CMD) == 0xff {
            return None;
        }
        a.wait_drq().ok()?;
        let mut id = [0u16; 256];
        for w in id.iter_mut() {
            *w = a.port.in16(DATA).ok()?;
        }
        let lba48 = u64::from(id[100]) | u64::from(id[101]) << 16 | u64::from(id[102]) << 32;
        let lba28 = u64::from(id[60]) | u64::from(id[61]) << 16;
        a.sectors = if id[83] & (1 << 10) != 0 && lba48 != 0 { lba48 } else { lba28 };
        (a.sectors > 0).then_some(a)
    }

    fn out(&self, p: u16, v: u8) {
        let _ = self.port.out8(p, v);
    }

    fn inp(&self, p: u16) -> u8 {
        self.port.in8(p).unwrap_or(0xff)
    }

    fn wait_ready(&self) -> Result<u8, IoError> {
        for _ in 0..1_000_000 {
            let s = self.inp(CMD);
            if s & BSY == 0 {
                return if s & (ERR | DF) != 0 { Err(IoError) } else { Ok(s) };
            }
        }
        Err(IoError)
    }

    fn wait_drq(&self) -> Result<(), IoError> {
        for _ in 0..1_000_000 {
            let s = self.wait_ready()?;
            if s & DRQ != 0 {
                return Ok(());
            }
        }
        Err(IoError)
    }

    /// Issues an LBA48 command for `count` sectors at `lba`.
    fn command(&self, lba: u64, count: u16, cmd: u8) -> Result<(), IoError> {
        self.wait_ready()?;
        self.out(DRIVE, 0x40);
        self.out(COUNT, (count >> 8) as u8);
        self.out(LBA0, (lba >> 24) as u8);
        self.out(LBA1, (lba >> 32) as u8);
        self.out(LBA2, (lba >> 40) as u8);
        self.out(COUNT, count as u8);
        self.out(LBA0, lba as u8);
        self.out(LBA1, (lba >> 8) as u8);
        self.out(LBA2, (lba >> 16) as u8);
        self.out(CMD, cmd);
        Ok(())
    }
}

/// Sectors per command.
const BATCH: usize = 128;

impl BlockDevice for Ata {
    fn sector_count(&self) -> u64 {
        self.sectors
    }

    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        for (i, chunk) in buf.chunks_mut(SECTOR_SIZE * BATCH).enumerate() {
            let n = chunk.len() / SECTOR_SIZE;
            self.command(lba + (i * BATCH) as u64, n as u16, 0x24)?;
            for sector in chunk.chunks_mut(SECTOR_SIZE) {
                self.wait_drq()?;
                // 32-bit transfers: half the port invocations of 16-bit ones.
                for w in sector.chunks_mut(4) {
                    let v = self.port.in32(DATA).map_err(|_| IoError)?;
                    w.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
        Ok(())
    }

    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        for (i, chunk) in buf.chunks(SECTOR_SIZE * BATCH).enumerate() {
            let n = chunk.len() / SECTOR_SIZE;
            self.command(lba + (i * BATCH) as u64, n as u16, 0x34)?;
            for sector in chunk.chunks(SECTOR_SIZE) {
                self.wait_drq()?;
                for w in sector.chunks(4) {
                    self.port.out32(DATA, u32::from_le_bytes([w[0], w[1], w[2], w[3]])).map_err(|_| IoError)?;
                }
            }
            self.wait_ready()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.wait_ready()?;
        self.out(DRIVE, 0x40);
        self.out(CMD, 0xea);
        self.wait_ready().map(|_| ())
    }
}
