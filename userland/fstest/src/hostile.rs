//! `fstest hostile-exec PROGRAM`: what a hostile ordinary process tries
//! against mediated execution (issue 19 item 3; docs/resource-manager.md,
//! "Sealed images"). It reads the program's bytes itself (it may read
//! `/bin`), puts them in a region of its own and asks rm to run them,
//! claiming the program's label `bin_t` or none, then tries to seal the
//! region itself as if it were the file server. Every attempt must be
//! refused with `EACCES`: rm runs only images the file server sealed for
//! the caller. Exit status 0 if all were refused, 1 otherwise.

use alloc::format;
use rampart_libos::println;
use rampart_rm_api::{Image, Spawn};
use rampart_rt::rm;
use rampart_uabi::Errno;

/// Runs the attempts on `path`.
pub fn run(path: &str) -> i32 {
    let bytes = match rampart_libos::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            println!("fstest: hostile: cannot read {path}: {e}");
            return 1;
        }
    };
    let region = match rm::region_alloc(bytes.len() as u64) {
        Ok(r) => r,
        Err(e) => {
            println!("fstest: hostile: no region: {e}");
            return 1;
        }
    };
    // SAFETY: this process's own region, freed below after the last use.
    let mem = unsafe { region.shared() };
    if mem.write(0, &bytes).is_err() {
        return 1;
    }
    let len = bytes.len() as u64;
    let spawn = |exec: Option<&str>| {
        rm::spawn(Spawn {
            image: Some(Image::Region { region: region.id, len }),
            argv: alloc::vec!["echo".into(), "hostile-ran".into()],
            exec_context: exec.map(Into::into),
            ..Default::default()
        })
    };
    let mut ok = true;
    let mut report = |what: &str, r: Result<u32, Errno>| {
        let refused = r == Err(Errno::EACCES);
        if let Ok(pid) = r {
            let _ = rm::wait(Some(pid), true);
        }
        println!(
            "fstest: hostile: {what}: {}",
            if refused { alloc::string::String::from("refused") } else { format!("{r:?}") }
        );
        ok &= refused;
    };
    report("own region claiming bin_t", spawn(Some("system_u:object_r:bin_t")));
    report("own region without a label", spawn(None));
    report("sealing it myself", rm::seal_image(region.id, len, 1, 1).map(|t| t as u32));
    let _ = rm::region_free(region.id);
    i32::from(!ok)
}
