//! The terminal's window size (docs/console.md, "Window size"): the
//! console asks the terminal for in-band resize reports (DEC private mode
//! 2048, `rampart_console_core::resize`), the line discipline takes them
//! out of the input and keeps the last size, and `GetWinSize` answers with
//! it.

use crate::Console;
use rampart_console_core::resize::ENABLE;

impl Console {
    /// Asks the terminal on the line to report its size now and after
    /// every resize (`CSI ? 2048 h`). Terminals without the mode ignore
    /// the request; the size then stays 24 × 80.
    pub(crate) fn enable_resize_reports(&mut self) {
        self.line.write(ENABLE);
    }

    /// The answer to `GetWinSize`: (rows, columns).
    pub(crate) fn winsize(&self) -> (u16, u16) {
        let ws = self.ldisc.winsize();
        (ws.rows, ws.cols)
    }

    /// Called once for every batch of input that held a resize report,
    /// after the new size was recorded: `SIGWINCH` to the terminal's
    /// foreground process group (through rm, docs/signals.md).
    pub(crate) fn resized(&mut self) {
        self.signal(rampart_uabi::signal::SIGWINCH);
    }
}
