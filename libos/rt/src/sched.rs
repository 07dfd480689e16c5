//! Scheduling contexts (MCS): CPU budgets, and the authority to configure
//! them (`Label::SchedControl*`, `Label::SchedContext*`).

use crate::cap::{CPtr, Cap, SchedContext, SchedControl};
use crate::invoke::{invoke, invoke0};
use rampart_abi::{Error, Label};

impl SchedControl {
    /// Gives `sc` a budget of `budget_us` every `period_us` microseconds
    /// (budget ≤ period; budget = period makes a round-robin context). The
    /// kernel enforces budgets at its tick (1 ms). `badge` is reported in
    /// the context's timeout faults.
    ///
    /// # Errors
    /// `RangeError` (budget or period), `InvalidCapability` (`sc`).
    pub fn configure(self, sc: SchedContext, budget_us: u64, period_us: u64, badge: u64) -> Result<(), Error> {
        invoke0(self, Label::SchedControlConfigure, &[budget_us, period_us, 0, badge], &[sc.cptr()])
    }
}

impl SchedContext {
    /// Binds this context to a TCB or notification capability `obj`.
    ///
    /// # Errors
    /// `IllegalOperation` (either side already bound), `InvalidCapability`.
    pub fn bind(self, obj: impl Cap) -> Result<(), Error> {
        invoke0(self, Label::SchedContextBind, &[], &[obj.cptr()])
    }

    /// Unbinds this context from everything.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn unbind(self) -> Result<(), Error> {
        invoke0(self, Label::SchedContextUnbind, &[], &[])
    }

    /// Unbinds this context from TCB or notification `obj`.
    ///
    /// # Errors
    /// `IllegalOperation` (not bound to `obj`), `InvalidCapability`.
    pub fn unbind_object(self, obj: CPtr) -> Result<(), Error> {
        invoke0(self, Label::SchedContextUnbindObject, &[], &[obj])
    }

    /// Microseconds consumed since the last call.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn consumed(self) -> Result<u64, Error> {
        invoke(self, Label::SchedContextConsumed, &[], &[]).map(|r| r.mrs[0])
    }

    /// Runs the bound thread now if it is runnable and its priority does not
    /// exceed the caller's MCP. Returns MR0 of the reply (the context's
    /// consumed time, as seL4).
    ///
    /// # Errors
    /// `IllegalOperation` (no bound thread, priority above MCP).
    pub fn yield_to(self) -> Result<u64, Error> {
        invoke(self, Label::SchedContextYieldTo, &[], &[]).map(|r| r.mrs[0])
    }
}
