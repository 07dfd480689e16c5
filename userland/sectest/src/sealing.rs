//! Execution is mediated (issue 19 item 3; docs/resource-manager.md,
//! "Sealed images"): the checks an attacker would try against rm's image
//! sources, as `sysadm_t` (which may run any program file of the system).
//!
//! - A region the process wrote itself is never run under a label it
//!   claims (`EINVAL`); without one it runs only with `resource
//!   execute_anon`, which `te` grants the administrator alone (an
//!   ordinary user's attempt: `fstest hostile-exec`, tests/tests/exec.rs).
//! - Only a task the policy grants `resource seal_image` (the file server)
//!   seals images: `te` refuses this process.
//! - Under `allow-all` (which grants this process `seal_image`, so it can
//!   play the file server): after a seal the region is no longer the
//!   sealer's (no token, no free, a token made before the seal maps
//!   nothing), the child runs the sealed bytes, a seal is used once, and a
//!   seal made for another subject is refused to this one.

use crate::T;
use crate::checks::Ctx;
use rampart_elf::testing;
use rampart_rm_api::{ExitStatus, FaultKind, Image, Spawn};
use rampart_rt::{dprintln, rm};
use rampart_uabi::Errno;

/// Where the synthetic image's entry point is.
const ENTRY: u64 = 0x40_1000;
/// A free slot for a region token.
const TOKEN_SLOT: u64 = 46;

/// An x86_64 image whose code is `ud2` (0f 0b) everywhere: the child
/// faults at its entry with vector 6, which shows which bytes ran.
fn image() -> alloc::vec::Vec<u8> {
    testing::image(ENTRY, &[(0x40_0000, 0x2000, 0x2000, 5)], testing::Layout::PageAligned, |i| {
        if i % 2 == 0 { 0x0f } else { 0x0b }
    })
}

/// A region of this process holding [`image`].
fn filled() -> Result<(rm::Region, u64), Errno> {
    let img = image();
    let r = rm::region_alloc(img.len() as u64)?;
    // SAFETY: a region of this process, mapped until freed or sealed; the
    // view is dropped before either.
    let mem = unsafe { r.shared() };
    mem.write(0, &img)?;
    Ok((r, img.len() as u64))
}

fn spawn(image: Image, exec_context: Option<&str>) -> Result<u32, Errno> {
    rm::spawn(Spawn {
        image: Some(image),
        argv: alloc::vec!["sealed".into()],
        exec_context: exec_context.map(Into::into),
        ..Default::default()
    })
}

/// Did child `pid` fault with `ud2` at [`ENTRY`] (it ran the image)?
fn ran_image(pid: u32) -> bool {
    let r = rm::wait(Some(pid), true);
    matches!(r, Ok(Some((_, ExitStatus::Faulted(f)))) if f.kind == FaultKind::Exception { vector: 6 } && f.ip == ENTRY)
}

/// The checks.
pub fn run(t: &mut T, cx: &mut Ctx, allow_all: bool) {
    let (region, len) = match filled() {
        Ok(r) => r,
        Err(e) => return t.check(false, &alloc::format!("a region for images ({e})")),
    };
    let id = region.id;
    // (a) Bytes this process wrote, with a label it claims.
    let claimed = spawn(Image::Region { region: id, len }, Some("system_u:object_r:bin_t"));
    t.check(claimed == Err(Errno::EINVAL), &alloc::format!("a region claiming bin_t is not run ({claimed:?})"));
    let plain = spawn(Image::Region { region: id, len }, None);
    dprintln!("sectest: spawn from an own region: {plain:?}");
    match plain {
        Ok(pid) => t.check(ran_image(pid), "the administrator runs an image it built (execute_anon)"),
        Err(e) => t.check(false, &alloc::format!("the administrator runs an image it built ({e})")),
    }
    // A label nobody vouched for, with no image.
    let none = rm::spawn(Spawn { argv: alloc::vec!["x".into()], ..Default::default() });
    t.check(none == Err(Errno::EINVAL), &alloc::format!("a spawn without an image is refused ({none:?})"));
    // (c) Sealing as a process that is not the file server.
    let mut c = cx.avc.client();
    let bin = c.context_to_sid("system_u:object_r:bin_t").unwrap_or(0);
    let before = rm::region_share(id, true, TOKEN_SLOT);
    let sealed = rm::seal_image(id, len, bin, cx.me);
    dprintln!("sectest: SealImage by sysadm_t: {sealed:?}");
    if !allow_all {
        t.check(
            sealed == Err(Errno::EACCES),
            &alloc::format!("SealImage by a non-file-server is refused ({sealed:?})"),
        );
        let still = rm::region_free(id);
        t.check(still.is_ok(), &alloc::format!("a refused seal takes nothing away ({still:?})"));
        return;
    }
    let Ok(token) = sealed else {
        return t.check(false, &alloc::format!("allow-all lets this process seal ({sealed:?})"));
    };
    // (b) The region is no longer the sealer's.
    t.check(before.is_ok(), "a token for the region before the seal");
    let share = rm::region_share(id, true, TOKEN_SLOT + 1);
    t.check(share == Err(Errno::ENOENT), &alloc::format!("no new token after the seal ({share:?})"));
    let old = rm::region_map(TOKEN_SLOT);
    t.check(old.is_err(), &alloc::format!("the token made before the seal maps nothing ({old:?})"));
    let free = rm::region_free(id);
    t.check(free == Err(Errno::ENOENT), &alloc::format!("the sealer cannot free it ({free:?})"));
    // (f) Another subject's seal, then this one's: once.
    let user = c.context_to_sid("user_u:user_r:user_t").unwrap_or(0);
    let other = filled().and_then(|(r, n)| rm::seal_image(r.id, n, bin, user));
    if let Ok(o) = other {
        let r = spawn(Image::Sealed { token: o }, None);
        t.check(r == Err(Errno::EACCES), &alloc::format!("a seal made for user_t is refused to sysadm_t ({r:?})"));
    } else {
        t.check(false, &alloc::format!("a seal for another subject ({other:?})"));
    }
    let claim = spawn(Image::Sealed { token }, Some("system_u:object_r:shell_exec_t"));
    t.check(claim == Err(Errno::EINVAL), &alloc::format!("a sealed image with a claimed label is refused ({claim:?})"));
    // The refusal above used the seal up (one attempt per seal).
    let (region2, len2) = match filled() {
        Ok(r) => r,
        Err(e) => return t.check(false, &alloc::format!("a second region ({e})")),
    };
    let token = match rm::seal_image(region2.id, len2, bin, cx.me) {
        Ok(tok) => tok,
        Err(e) => return t.check(false, &alloc::format!("a second seal ({e})")),
    };
    match spawn(Image::Sealed { token }, None) {
        Ok(pid) => t.check(ran_image(pid), "the child runs the sealed bytes"),
        Err(e) => t.check(false, &alloc::format!("spawn from a sealed image ({e})")),
    }
    let again = spawn(Image::Sealed { token }, None);
    t.check(again == Err(Errno::ENOENT), &alloc::format!("a seal is used once ({again:?})"));
    let forged = spawn(Image::Sealed { token: token + 1000 }, None);
    t.check(forged == Err(Errno::ENOENT), &alloc::format!("an unknown seal is refused ({forged:?})"));
}
