//! `mktemp`: a new file or directory with a unique name (GNU coreutils'
//! `mktemp`; the name from `/dev/urandom`, created exclusively).
use super::{Out, err, err_on, parse};
use alloc::format;
use alloc::string::String;
use coreutils::args::Spec;
use coreutils::tempname::{self, TemplateError};
use rampart_libos::fs::{self, OpenOptions};
use rampart_libos::io::Read;
use rampart_libos::{Error, ErrorKind};

/// Names tried before giving up (GNU tries `62^3` for 3 `X`s; a collision
/// needs another process racing for the same names).
const ATTEMPTS: u32 = 100;

/// `mktemp [-d] [-q] [-u] [-t] [-p DIR|--tmpdir=DIR] [TEMPLATE]`
pub fn mktemp(args: &[String]) -> i32 {
    let spec = Spec {
        short: "dqutp:",
        long: &[("directory", 'd'), ("quiet", 'q'), ("dry-run", 'u'), ("tmpdir=", 'p')],
        stop_at_operand: false,
    };
    let a = match parse("mktemp", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.operands.len() > 1 {
        err("mktemp", &format!("too many templates ('{}')", a.operands[1]));
        return 1;
    }
    let quiet = a.has('q');
    let fail = |msg: &str| {
        if !quiet {
            err("mktemp", msg);
        }
        1
    };
    let given = a.operands.first().map(String::as_str);
    // A directory is put in front when -p/-t is given or no template is.
    let dir = match a.value('p') {
        Some(d) if !d.is_empty() => Some(String::from(d)),
        _ if a.has('p') || a.has('t') || given.is_none() => {
            Some(rampart_libos::env::var("TMPDIR").filter(|d| !d.is_empty()).unwrap_or_else(|| "/tmp".into()))
        }
        _ => None,
    };
    let template = given.unwrap_or("tmp.XXXXXXXXXX");
    match tempname::check(template, dir.is_some() && given.is_some()) {
        Ok(()) => {}
        Err(TemplateError::TooFewXs) => return fail(&format!("too few X's in template '{template}'")),
        Err(TemplateError::HasSlash) => {
            return fail(&format!("invalid template, '{template}'; with --tmpdir, it may not contain a slash"));
        }
    }
    let base = match &dir {
        Some(d) => format!("{}/{template}", d.trim_end_matches('/')),
        None => template.into(),
    };
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let name = match random(tempname::trailing_xs(&base)) {
            Ok(r) => tempname::fill(&base, &r),
            Err(e) => {
                if !quiet {
                    err_on("mktemp", "/dev/urandom", &e);
                }
                return 1;
            }
        };
        let made = if a.has('u') {
            match fs::symlink_metadata(&name) {
                Ok(_) => Err(Error::from(ErrorKind::AlreadyExists)),
                Err(_) => Ok(()),
            }
        } else if a.has('d') {
            fs::create_dir(&name).and_then(|()| fs::set_permissions(&name, 0o700))
        } else {
            OpenOptions::new().write(true).create_new(true).open(&name).and_then(|_| fs::set_permissions(&name, 0o600))
        };
        match made {
            Ok(()) => {
                Out::new().line(&name);
                return 0;
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => {
                let what = if a.has('d') { "directory" } else { "file" };
                if !quiet {
                    err_on("mktemp", &format!("failed to create {what} via template '{base}'"), &e);
                }
                return 1;
            }
        }
    }
    let e = last.unwrap_or_else(|| Error::from(ErrorKind::AlreadyExists));
    if !quiet {
        err_on("mktemp", &format!("failed to create a name via template '{base}'"), &e);
    }
    1
}

/// `n` random bytes from `/dev/urandom`.
fn random(n: usize) -> Result<alloc::vec::Vec<u8>, Error> {
    let mut buf = alloc::vec![0u8; n];
    let mut f = fs::File::open("/dev/urandom")?;
    let mut got = 0;
    while got < n {
        match f.read(&mut buf[got..])? {
            0 => return Err(Error::from(ErrorKind::UnexpectedEof)),
            k => got += k,
        }
    }
    Ok(buf)
}
