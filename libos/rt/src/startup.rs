//! The task's startup information (docs/userland.md §2): the well-known
//! slots, the layout, and — once [`crate::process`] has started the program
//! — the decoded information itself.

pub use rampart_uabi::startup::*;

use spin::Once;

static INFO: Once<(StartupHeader, StartupBody)> = Once::new();

/// Records the startup information (done once by the runtime at start).
pub(crate) fn set(header: StartupHeader, body: StartupBody) {
    INFO.call_once(|| (header, body));
}

/// The header, `None` for a root task (started by the kernel).
pub fn header() -> Option<&'static StartupHeader> {
    INFO.get().map(|i| &i.0)
}

/// The body, `None` for a root task.
pub fn body() -> Option<&'static StartupBody> {
    INFO.get().map(|i| &i.1)
}

/// The slot of the capability named `name` in the startup information.
pub fn named_cap(name: &str) -> Option<u64> {
    body()?.caps.iter().find(|c| c.name == name).map(|c| c.slot)
}
