//! Requests that deal in contexts and SIDs:
//! - translations and labelling that hand out SIDs, each held by its
//!   owner ([`crate::sids`]): `ContextToSid`, `HoldContext`,
//!   `ComputeCreate`, `FileContext`, `PortContext`, and `ReleaseSid`;
//! - decisions on contexts given as text, which add nothing to the SID
//!   table (decide first, intern only what is granted and used):
//!   `CheckContext`, `ComputeAvContexts`, `ComputeCreateContexts`.
//!
//! Permissions: `check_context` for translations, holds and releases
//! (init's boot channel is exempt, as for every translation); `compute_av`
//! for labelling; both for the decisions on text.

use crate::server::{Caller, SecServer, VocabView, errno};
use crate::sids::{self, Owner};
use alloc::string::String;
use rampart_policy::{ClassId, Context, FileKind, Policy, PolicyError, Protocol, Sid};
use rampart_secsrv_api::{CONTEXT_MAX, Decision, Request, Response};
use rampart_uabi::Errno;

fn valid(p: &Policy, text: &str) -> Result<Context, Errno> {
    if text.len() > CONTEXT_MAX {
        return Err(Errno::EINVAL);
    }
    p.valid_context(text).map_err(|e| errno(&e))
}

/// The context `text` names for a decision: parsed and validated, or, for
/// the text of a live SID interned under an earlier policy, that SID's
/// context as the reload converted it (a process keeps deciding as its
/// type after a reload drops its MLS range; docs/security-architecture.md
/// §1).
fn decidable(p: &Policy, text: &str) -> Result<Context, Errno> {
    match valid(p, text) {
        Ok(c) => Ok(c),
        Err(e) => match p.sids().find(text).map(|s| p.sids().context(s)) {
            Some(Ok(Some(c))) => Ok(c.clone()),
            _ => Err(e),
        },
    }
}

fn canonical(p: &Policy, c: &Context) -> Result<String, Errno> {
    let t = p.context_text(c);
    if t.len() > CONTEXT_MAX { Err(Errno::EINVAL) } else { Ok(t) }
}

impl SecServer {
    /// The owner a request from `caller` naming `subject` (0: none) is
    /// charged to.
    ///
    /// # Errors
    /// `EPERM`: a subject named by a caller that is not trusted
    /// ([`sids::trusted`]).
    fn owner(&self, caller: Caller, subject: u32) -> Result<Owner, Errno> {
        let own = match caller {
            Caller::Init => Owner::Boot,
            Caller::Sid(s) => Owner::Sid(s),
        };
        if subject == 0 {
            return Ok(own);
        }
        let trusted = match (caller, self.policy.as_ref()) {
            (Caller::Init, _) => true,
            (Caller::Sid(s), Some(p)) => sids::trusted(p, s),
            (Caller::Sid(_), None) => false,
        };
        if trusted { Ok(Owner::Sid(subject)) } else { Err(Errno::EPERM) }
    }

    fn permit(&mut self, caller: Caller, req: &Request) -> Result<(), Errno> {
        let init = caller == Caller::Init;
        match req {
            Request::ComputeCreate { .. }
            | Request::FileContext { .. }
            | Request::PortContext { .. }
            | Request::ServiceContext { .. } => self.check(caller, VocabView::compute_av, ""),
            _ if init => Ok(()),
            Request::ComputeAvContexts { .. } | Request::ComputeCreateContexts { .. } => {
                self.check(caller, VocabView::compute_av, "")?;
                self.check(caller, VocabView::check_context, "")
            }
            _ => self.check(caller, VocabView::check_context, ""),
        }
    }

    /// Handles the requests of this module.
    pub(crate) fn contexts(&mut self, caller: Caller, req: Request) -> Result<Response, Errno> {
        self.permit(caller, &req)?;
        let owner = match &req {
            Request::HoldContext { subject, .. } | Request::ReleaseSid { subject, .. } => {
                self.owner(caller, *subject)?
            }
            _ => self.owner(caller, 0)?,
        };
        let p = self.policy.as_mut().ok_or(Errno::EAGAIN)?;
        let e = |e: PolicyError| errno(&e);
        // The context a SID-issuing request resolved to (held below).
        let new = match req {
            Request::ContextToSid { context } | Request::HoldContext { context, .. } => match valid(p, &context) {
                Ok(c) => c,
                // Interned under an earlier policy and still held: another
                // hold on the same SID (it resolves to `unlabeled`).
                Err(err) => match p.sids().find(&context) {
                    Some(sid) => return sids::hold_live(p, &mut self.holds, owner, sid).map(Response::Sid),
                    None => return Err(err),
                },
            },
            Request::ComputeCreate { ssid, tsid, class, name } => {
                p.create_context(Sid(ssid), Sid(tsid), ClassId(class), name.as_deref()).map_err(e)?
            }
            Request::FileContext { path, kind } => {
                let k = FileKind::from_keyword(&kind).ok_or(Errno::EINVAL)?;
                match p.file_context_of(&path, k).map_err(e)? {
                    Some(c) => c,
                    None => return Ok(Response::Ok),
                }
            }
            Request::PortContext { tcp, port } => {
                let proto = if tcp { Protocol::Tcp } else { Protocol::Udp };
                p.port_context_of(proto, port).map_err(e)?
            }
            Request::ServiceContext { name } => p.service_context_of(&name).map_err(e)?,
            Request::ReleaseSid { sid, .. } => {
                sids::release(p, &mut self.holds, owner, sid)?;
                return Ok(Response::Ok);
            }
            Request::CheckContext { context } => return Ok(Response::Context(canonical(p, &valid(p, &context)?)?)),
            Request::ComputeAvContexts { scon, tcon, class } => {
                let (s, t) = (decidable(p, &scon)?, decidable(p, &tcon)?);
                let d = p.compute_av_contexts(&s, &t, ClassId(class)).map_err(e)?;
                return Ok(Response::Decision(Decision {
                    allowed: d.allowed,
                    auditallow: d.auditallow,
                    auditdeny: d.auditdeny,
                    seqno: d.seqno,
                }));
            }
            Request::ComputeCreateContexts { scon, tcon, class } => {
                let (s, t) = (decidable(p, &scon)?, decidable(p, &tcon)?);
                let c = p.create_from_contexts(&s, &t, ClassId(class), None).map_err(e)?;
                return Ok(Response::Context(canonical(p, &c)?));
            }
            _ => return Err(Errno::ENOSYS),
        };
        let sid = sids::hold(p, &mut self.holds, owner, new)?;
        self.note_peak();
        Ok(Response::Sid(sid))
    }
}
