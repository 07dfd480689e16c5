//! `ExecImage` (docs/resource-manager.md, "Sealed images"): the file
//! server reads a program for the resource manager only after `file
//! execute` on the file's real label with the caller's SID and the
//! execute bits, checked again with the policy in force, and hands the
//! sealer the file's SID and the caller's. Under the shipped TE policy:
//! `bool user_exec_tmp` decides whether `user_t` may run a program in
//! `/tmp`, at run time.

mod common;

use common::Client;
use common::*;
use rampart_fs::{MemDisk, Sealer};
use rampart_fs_api::*;

/// A sealer that keeps what it was given.
#[derive(Default)]
struct Kept {
    buf: Vec<u8>,
    sealed: Option<(Vec<u8>, u32, u32)>,
    discarded: bool,
    refuse: Option<Errno>,
}

impl Sealer for Kept {
    fn buffer(&mut self, len: u64) -> Result<&mut [u8], Errno> {
        self.buf = vec![0xaa; len as usize];
        Ok(&mut self.buf)
    }
    fn seal(&mut self, len: u64, file_sid: u32, subject_sid: u32) -> Result<u64, Errno> {
        if let Some(e) = self.refuse {
            return Err(e);
        }
        self.sealed = Some((self.buf[..len as usize].to_vec(), file_sid, subject_sid));
        Ok(77)
    }
    fn discard(&mut self) {
        self.discarded = true;
    }
}

fn sid(srv: &mut RwServer, context: &str) -> u32 {
    srv.mac.om.sec.0.context_to_sid(context).unwrap().0
}

fn create(user: &mut Client, srv: &mut RwServer, path: &str, mode: u32, data: &[u8]) {
    let flags = OpenFlags::WRONLY | OpenFlags::CREAT | OpenFlags::TRUNC;
    let h = match user.call(srv, Request::Open { path: path.into(), flags, mode }) {
        Response::Handle(h) => h,
        r => panic!("creating {path}: {r:?}"),
    };
    user.region[..data.len()].copy_from_slice(data);
    let w = user.call(srv, Request::Write { handle: h, offset: None, region_offset: 0, len: data.len() as u32 });
    assert_eq!(w, Response::Len(data.len() as u32));
    assert_eq!(user.call(srv, Request::Close { handle: h }), Response::Ok);
}

fn set_bool(srv: &mut RwServer, value: bool) {
    srv.mac.om.sec.0.set_bool("user_exec_tmp", value).unwrap();
    srv.mac.policy_changed().unwrap();
}

const EXEC: OpenFlags = OpenFlags(OpenFlags::RDONLY.0 | OpenFlags::EXEC.0);

/// `len` bytes that start as an ELF file with Rampart's native mark (a
/// `PT_NOTE` with owner `Rampart`, type 1; `rampart_elf::note`).
fn native(len: usize, seed: u8) -> Vec<u8> {
    let mut v = pattern(len, seed);
    v[..64].fill(0);
    v[..4].copy_from_slice(b"\x7fELF");
    v[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    v[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    v[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
    let mut note = Vec::new();
    for w in [8u32, 4, 1] {
        note.extend_from_slice(&w.to_le_bytes());
    }
    note.extend_from_slice(b"Rampart\0");
    note.extend_from_slice(&1u32.to_le_bytes());
    v[64..120].fill(0);
    v[64..68].copy_from_slice(&4u32.to_le_bytes()); // PT_NOTE
    v[72..80].copy_from_slice(&120u64.to_le_bytes()); // p_offset
    v[96..104].copy_from_slice(&(note.len() as u64).to_le_bytes()); // p_filesz
    v[120..120 + note.len()].copy_from_slice(&note);
    v
}

#[test]
fn user_exec_tmp_decides_at_run_time_and_the_sealer_gets_the_real_labels() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, mac_only());
    let mut user = Client::new(&mut srv, USER);
    let prog = native(200_000, 3);
    create(&mut user, &mut srv, "/tmp/prog", 0o755, &prog);
    srv.mac.take_audit();

    // false (shipped): the open for execution is refused and audited.
    assert_eq!(user.open(&mut srv, "/tmp/prog", EXEC), Err(Errno::EACCES));
    let recs = srv.mac.take_audit();
    assert!(recs.iter().any(|r| r.record.denied && r.record.enforced), "no audit record: {recs:?}");

    // true: the open and the seal go through; the sealer gets the file's
    // bytes, the file's SID and the caller's.
    set_bool(&mut srv, true);
    let h = user.open(&mut srv, "/tmp/prog", EXEC).unwrap();
    let mut k = Kept::default();
    assert_eq!(srv.exec_image(user.conn, h, &mut k), Ok((77, prog.len() as u64, false)));
    let (bytes, file_sid, subject_sid) = k.sealed.clone().unwrap();
    assert!(bytes == prog, "the sealed bytes differ from the file");
    assert_eq!(file_sid, sid(&mut srv, "user_u:object_r:tmp_t"));
    assert_eq!(subject_sid, sid(&mut srv, USER));

    // Back to false: the handle opened under true is checked again.
    set_bool(&mut srv, false);
    let mut k = Kept::default();
    assert_eq!(srv.exec_image(user.conn, h, &mut k), Err(Errno::EACCES));
    assert!(k.sealed.is_none());
    assert!(srv.mac.take_audit().iter().any(|r| r.record.denied), "the refused seal is audited");
}

#[test]
fn only_executable_handles_of_executable_files_are_sealed() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, mac_only());
    let mut user = Client::new(&mut srv, USER);
    set_bool(&mut srv, true);
    create(&mut user, &mut srv, "/tmp/data", 0o644, b"\x7fELF not executable");
    create(&mut user, &mut srv, "/tmp/empty", 0o755, b"");
    create(&mut user, &mut srv, "/tmp/ok", 0o755, &native(4096, 1));
    let mut k = Kept::default();
    // No execute bit: refused at the open (uid 0 too: no x bit at all).
    assert_eq!(user.open(&mut srv, "/tmp/data", EXEC), Err(Errno::EACCES));
    // A handle opened only for reading is not an executable handle.
    let r = user.open(&mut srv, "/tmp/ok", OpenFlags::RDONLY).unwrap();
    assert_eq!(srv.exec_image(user.conn, r, &mut k), Err(Errno::EBADF));
    // Nor is a handle of another connection, or no handle at all.
    let x = user.open(&mut srv, "/tmp/ok", EXEC).unwrap();
    let other = Client::new(&mut srv, USER);
    assert_eq!(srv.exec_image(other.conn, x, &mut k), Err(Errno::EBADF));
    assert_eq!(srv.exec_image(user.conn, Handle(9999), &mut k), Err(Errno::EBADF));
    // A directory cannot be opened for execution.
    assert_eq!(user.open(&mut srv, "/tmp", EXEC), Err(Errno::EACCES));
    // An empty file is not a program.
    let e = user.open(&mut srv, "/tmp/empty", EXEC).unwrap();
    assert_eq!(srv.exec_image(user.conn, e, &mut k), Err(Errno::ENOEXEC));
    assert!(k.sealed.is_none());
    // The resource manager's refusal comes back as it is.
    let mut refusing = Kept { refuse: Some(Errno::ENOSPC), ..Kept::default() };
    assert_eq!(srv.exec_image(user.conn, x, &mut refusing), Err(Errno::ENOSPC));
}

/// A program without the native mark is a Linux program: the image sealed
/// is the personality's shim (`/bin/linux`), labelled as the program,
/// and the caller is told so; without a shim on the root it cannot run.
#[test]
fn a_linux_program_seals_the_shim_with_the_programs_label() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, mac_only());
    let mut user = Client::new(&mut srv, USER);
    let mut root = Client::new(&mut srv, ROOT);
    let linux_prog = pattern(50_000, 9); // not native
    create(&mut user, &mut srv, "/home/alice/tool", 0o755, &linux_prog);
    let h = user.open(&mut srv, "/home/alice/tool", EXEC).unwrap();
    let mut k = Kept::default();
    assert_eq!(srv.exec_image(user.conn, h, &mut k), Err(Errno::ENOEXEC), "no shim on this root");
    assert!(k.sealed.is_none());
    let shim = native(30_000, 5);
    create(&mut root, &mut srv, "/bin/linux", 0o755, &shim);
    let mut k = Kept::default();
    assert_eq!(srv.exec_image(user.conn, h, &mut k), Ok((77, shim.len() as u64, true)));
    let (bytes, file_sid, subject_sid) = k.sealed.clone().unwrap();
    assert!(bytes == shim, "the shim's bytes are sealed");
    assert_eq!(file_sid, sid(&mut srv, "user_u:object_r:user_home_t"), "with the Linux program's label");
    assert_eq!(subject_sid, sid(&mut srv, USER));
}
