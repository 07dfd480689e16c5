//! The GUI server's logic (docs/gui.md): windows, their placement, the
//! composition of the screen with the label bars the server draws, focus,
//! the routing of input events and the secure attention key. No I/O: the
//! server binary (`servers/gui`) makes the policy decisions, maps the
//! clients' buffers and flushes what this crate composed; host tests drive
//! it directly.
//!
//! Design principles (after Genode's Nitpicker):
//! - The server chooses every window's place; a client names only its own
//!   windows, by the handle it was given, and only rectangles inside its
//!   own buffer. Everything is checked with overflow-free arithmetic.
//! - The label bar above each window is drawn by the server from what the
//!   server knows (the context of the client's SID, the policy's colour);
//!   client pixels never land on it, nor outside the window.
//! - Keyboard events go only to the focused window; focus changes only by
//!   a user's click; the secure attention key ([`SAK`], Scroll Lock) never
//!   reaches a client and toggles the trusted mode, drawn by the server
//!   alone (a banner naming the focused client, every window outlined in
//!   its label colour); keys typed in the trusted mode reach no client.
//!
//! Trust: the crate trusts its caller (the server binary) for identities
//! (owner keys, SIDs, labels) and for the buffers' lengths; it trusts
//! nothing a client sends.
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod draw;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use draw::{BACKGROUND, BANNER, BANNER_TEXT, BLACK, Canvas, GLYPH, Rect, text_on};
use rampart_gui_api::{KEY_QUEUE, LABEL_BAR, MAX_WINDOWS, MAX_WINDOWS_PER_CLIENT, key_event};
use rampart_uabi::Errno;

/// The secure attention key: `KEY_SCROLLLOCK`.
pub const SAK: u16 = 70;
/// `BTN_LEFT`.
pub const BTN_LEFT: u16 = 0x110;
/// `EV_KEY`.
pub const EV_KEY: u16 = 1;
/// `EV_ABS`.
pub const EV_ABS: u16 = 3;
/// Largest value of QEMU's virtio-tablet axes.
pub const ABS_MAX: u32 = 0x7fff;
/// Height of the trusted-mode banner at the bottom of the screen.
pub const BANNER_HEIGHT: u32 = 2 * LABEL_BAR;
/// Width of the outline trusted mode draws around every window.
pub const OUTLINE: u32 = 3;

/// Where a window's pixels come from: the clients' buffers, mapped by the
/// server binary (a test supplies vectors).
pub trait Buffers {
    /// Copies `out.len()` pixels of row `y` of window `id`'s buffer,
    /// starting at column `x` (the caller keeps inside the buffer).
    fn row(&self, id: u32, y: u32, x: u32, out: &mut [u32]);
}

/// One window.
#[derive(Clone, Debug)]
pub struct Window {
    /// Server-wide id (the key of its buffer in [`Buffers`]).
    pub id: u32,
    /// The owner's key (the server uses the connection badge).
    pub owner: u64,
    /// The owner's handle for it.
    pub handle: u32,
    /// The owner's SID (the window's label).
    pub sid: u32,
    /// The label bar's text: the owner's security context.
    pub label: String,
    /// The label bar's colour.
    pub colour: u32,
    /// Buffer width (content columns).
    pub width: u32,
    /// Buffer height (content rows).
    pub height: u32,
    /// Top-left corner of the label bar on the screen.
    pub x: u32,
    /// See `x`.
    pub y: u32,
    /// Covers the screen.
    pub fullscreen: bool,
    keys: VecDeque<u32>,
}

impl Window {
    /// The label bar on the screen.
    pub fn bar(&self) -> Rect {
        Rect::new(self.x, self.y, self.width, LABEL_BAR)
    }

    /// The content on the screen.
    pub fn content(&self) -> Rect {
        Rect::new(self.x, self.y + LABEL_BAR, self.width, self.height)
    }

    /// Bar and content.
    pub fn frame(&self) -> Rect {
        Rect::new(self.x, self.y, self.width, self.height + LABEL_BAR)
    }
}

/// The screen: windows bottom to top, focus, pointer, trusted mode, and
/// the composed pixels.
pub struct Desktop {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The composed screen, row-major `0x00RRGGBB`.
    pub pixels: Vec<u32>,
    windows: Vec<Window>,
    next_id: u32,
    focus: Option<u32>,
    pointer: (u32, u32),
    trusted: bool,
    placed: u32,
    /// Key events not delivered because no window had the focus, or the
    /// trusted mode was on.
    pub swallowed: u64,
}

impl Desktop {
    /// An empty desktop of `width` × `height` pixels, composed.
    pub fn new(width: u32, height: u32) -> Desktop {
        Desktop {
            width,
            height,
            pixels: vec![BACKGROUND; width as usize * height as usize],
            windows: Vec::new(),
            next_id: 1,
            focus: None,
            pointer: (0, 0),
            trusted: false,
            placed: 0,
            swallowed: 0,
        }
    }

    /// The whole screen.
    pub fn screen(&self) -> Rect {
        Rect::new(0, 0, self.width, self.height)
    }

    /// Whether the trusted mode is on.
    pub fn trusted(&self) -> bool {
        self.trusted
    }

    /// The focused window.
    pub fn focused(&self) -> Option<&Window> {
        self.windows.iter().find(|w| Some(w.id) == self.focus)
    }

    /// The windows, bottom to top.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    fn find(&self, owner: u64, handle: u32) -> Result<usize, Errno> {
        self.windows.iter().position(|w| w.owner == owner && w.handle == handle).ok_or(Errno::ENOENT)
    }

    /// Opens a window of `width` × `height` content pixels for `owner`
    /// (SID `sid`, label text and colour decided by the caller), backed by
    /// a buffer of `buffer_bytes`. The server places it (cascading from the
    /// top left) on top of the others, without the focus. Returns the
    /// owner's handle and the server-wide id.
    ///
    /// # Errors
    /// `EINVAL` (a zero dimension), `E2BIG` (wider than the screen, or
    /// taller than the screen less the bar), `EFBIG` (buffer smaller than
    /// `width * height * 4`), `EMFILE` ([`MAX_WINDOWS_PER_CLIENT`] or
    /// [`MAX_WINDOWS`] reached).
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        &mut self,
        owner: u64,
        sid: u32,
        label: String,
        colour: u32,
        width: u32,
        height: u32,
        buffer_bytes: u64,
    ) -> Result<(u32, u32), Errno> {
        if width == 0 || height == 0 {
            return Err(Errno::EINVAL);
        }
        if width > self.width || height > self.height.saturating_sub(LABEL_BAR) {
            return Err(Errno::E2BIG);
        }
        if u64::from(width) * u64::from(height) * 4 > buffer_bytes {
            return Err(Errno::EFBIG);
        }
        let mine = self.windows.iter().filter(|w| w.owner == owner).count();
        if mine >= MAX_WINDOWS_PER_CLIENT || self.windows.len() >= MAX_WINDOWS {
            return Err(Errno::EMFILE);
        }
        let handle = (0..).find(|h| !self.windows.iter().any(|w| w.owner == owner && w.handle == *h)).unwrap_or(0);
        let (x, y) = self.place(width, height + LABEL_BAR);
        let id = self.next_id;
        self.next_id += 1;
        let w = Window {
            id,
            owner,
            handle,
            sid,
            label,
            colour,
            width,
            height,
            x,
            y,
            fullscreen: false,
            keys: VecDeque::new(),
        };
        self.windows.push(w);
        Ok((handle, id))
    }

    /// Where a new frame of `w` × `h` goes: the first place on a 16-pixel
    /// grid, row by row from the top left, that overlaps no window (with a
    /// margin for the trusted-mode outline); if none, a cascade.
    fn place(&mut self, w: u32, h: u32) -> (u32, u32) {
        const GRID: u32 = 16;
        let m = 2 * OUTLINE;
        let mut y = GRID;
        while y + h <= self.height.saturating_sub(BANNER_HEIGHT) {
            let mut x = GRID;
            while x + w <= self.width {
                let want = Rect::new(x - m, y - m, w + 2 * m, h + 2 * m);
                if !self.windows.iter().any(|o| !o.frame().intersect(&want).is_empty()) {
                    return (x, y);
                }
                x += GRID;
            }
            y += GRID;
        }
        let step = 40 * (self.placed % 8);
        self.placed += 1;
        ((GRID + step).min(self.width - w), (GRID + step).min(self.height - h))
    }

    /// Window `handle` of `owner`.
    ///
    /// # Errors
    /// `ENOENT`: not one of `owner`'s windows.
    pub fn window(&self, owner: u64, handle: u32) -> Result<&Window, Errno> {
        Ok(&self.windows[self.find(owner, handle)?])
    }

    /// `owner` changed the rectangle `x, y, w, h` of its window's buffer;
    /// returns the screen rectangle to recompose and flush.
    ///
    /// # Errors
    /// `ENOENT` (not `owner`'s window), `EINVAL` (an empty rectangle or one
    /// not wholly inside the buffer).
    pub fn damage(&mut self, owner: u64, handle: u32, x: u32, y: u32, w: u32, h: u32) -> Result<Rect, Errno> {
        let win = &self.windows[self.find(owner, handle)?];
        let inside = |o: u32, n: u32, max: u32| n > 0 && o.checked_add(n).is_some_and(|e| e <= max);
        if !inside(x, w, win.width) || !inside(y, h, win.height) {
            return Err(Errno::EINVAL);
        }
        let c = win.content();
        Ok(Rect::new(c.x + x, c.y + y, w, h).intersect(&self.screen()))
    }

    /// Makes `owner`'s window full-screen (its bar at the top, its content
    /// below, the rest black; raised) or puts it back. The caller checked
    /// the policy. Returns the rectangle to recompose (the screen).
    ///
    /// # Errors
    /// `ENOENT`.
    pub fn fullscreen(&mut self, owner: u64, handle: u32, on: bool) -> Result<Rect, Errno> {
        let i = self.find(owner, handle)?;
        let mut w = self.windows.remove(i);
        w.fullscreen = on;
        self.windows.push(w);
        Ok(self.screen())
    }

    /// Closes `owner`'s window. Returns the rectangle to recompose.
    ///
    /// # Errors
    /// `ENOENT`.
    pub fn destroy(&mut self, owner: u64, handle: u32) -> Result<(Rect, u32), Errno> {
        let i = self.find(owner, handle)?;
        let w = self.windows.remove(i);
        if self.focus == Some(w.id) {
            self.focus = None;
        }
        Ok((self.screen(), w.id))
    }

    /// Closes every window of `owner` (its connection closed). Returns the
    /// ids closed.
    pub fn drop_owner(&mut self, owner: u64) -> Vec<u32> {
        let ids: Vec<u32> = self.windows.iter().filter(|w| w.owner == owner).map(|w| w.id).collect();
        self.windows.retain(|w| w.owner != owner);
        if self.focus.is_some_and(|f| ids.contains(&f)) {
            self.focus = None;
        }
        ids
    }

    /// The next key event queued for `owner`'s window.
    ///
    /// # Errors
    /// `ENOENT`.
    pub fn next_key(&mut self, owner: u64, handle: u32) -> Result<Option<u32>, Errno> {
        let i = self.find(owner, handle)?;
        Ok(self.windows[i].keys.pop_front())
    }

    /// The owner and SID of the window whose content shows at `(x, y)`,
    /// if any (the topmost; label bars, the banner and the background
    /// belong to nobody).
    ///
    /// # Errors
    /// `EINVAL`: outside the screen.
    pub fn owner_at(&self, x: u32, y: u32) -> Result<Option<(u64, u32)>, Errno> {
        if !self.screen().contains(x, y) {
            return Err(Errno::EINVAL);
        }
        if self.trusted && y >= self.height - BANNER_HEIGHT {
            return Ok(None);
        }
        let top = self.visible().rev().map(|w| self.placed(w)).find(|w| w.frame().contains(x, y));
        Ok(top.filter(|w| w.content().contains(x, y)).map(|w| (w.owner, w.sid)))
    }

    /// The windows drawn, bottom to top: all, or from the topmost
    /// full-screen window up.
    fn visible(&self) -> impl DoubleEndedIterator<Item = &Window> {
        let from = self.windows.iter().rposition(|w| w.fullscreen).unwrap_or(0);
        self.windows[from..].iter()
    }

    /// A window's place on screen (full-screen: the top left corner).
    fn placed(&self, w: &Window) -> Window {
        let mut p = w.clone();
        if w.fullscreen {
            p.x = 0;
            p.y = 0;
        }
        p
    }

    /// Handles one input event (evdev `kind`, `code`, `value`); returns
    /// the rectangle to recompose, if the screen changed.
    pub fn input(&mut self, kind: u16, code: u16, value: u32) -> Option<Rect> {
        match kind {
            EV_ABS => {
                let scale =
                    |v: u32, n: u32| ((u64::from(v.min(ABS_MAX)) * u64::from(n)) / u64::from(ABS_MAX + 1)) as u32;
                match code {
                    0 => self.pointer.0 = scale(value, self.width),
                    1 => self.pointer.1 = scale(value, self.height),
                    _ => {}
                }
                None
            }
            EV_KEY if code == SAK => {
                // Press toggles; release and repeat are swallowed too.
                self.swallowed += 1;
                if value == 1 {
                    self.trusted = !self.trusted;
                    return Some(self.screen());
                }
                None
            }
            EV_KEY if code == BTN_LEFT => {
                if value != 1 {
                    return None;
                }
                let (px, py) = self.pointer;
                let hit =
                    self.visible().rev().map(|w| self.placed(w)).find(|w| w.frame().contains(px, py)).map(|w| w.id);
                if hit == self.focus {
                    return None;
                }
                self.focus = hit;
                if let Some(id) = hit
                    && let Some(i) = self.windows.iter().position(|w| w.id == id)
                    && !self.windows[i + 1..].iter().any(|w| w.fullscreen)
                {
                    let w = self.windows.remove(i);
                    self.windows.push(w);
                }
                Some(self.screen())
            }
            EV_KEY if code < 0x100 => {
                let to = if self.trusted { None } else { self.focus };
                match to.and_then(|f| self.windows.iter_mut().find(|w| w.id == f)) {
                    Some(w) => {
                        if w.keys.len() == KEY_QUEUE {
                            w.keys.pop_front();
                        }
                        w.keys.push_back(key_event(code, value.min(255) as u8));
                    }
                    None => self.swallowed += 1,
                }
                None
            }
            _ => None,
        }
    }

    /// Recomposes `clip` of the screen from the windows and `bufs`.
    pub fn compose(&mut self, clip: &Rect, bufs: &dyn Buffers) {
        let clip = clip.intersect(&self.screen());
        if clip.is_empty() {
            return;
        }
        let placed: Vec<Window> = self.visible().map(|w| self.placed(w)).collect();
        let focus = self.focused().map(|w| w.label.clone());
        let trusted = self.trusted;
        let (width, height) = (self.width, self.height);
        let mut c = Canvas { px: &mut self.pixels, width, height };
        let fullscreen = placed.first().is_some_and(|w| w.fullscreen);
        c.fill(&clip, &Rect::new(0, 0, width, height), if fullscreen { BLACK } else { BACKGROUND });
        let mut row = vec![0u32; width as usize];
        for w in &placed {
            // Content, row by row, from the client's buffer.
            let r = w.content().intersect(&clip);
            for y in r.y..r.bottom() {
                let n = r.w as usize;
                bufs.row(w.id, y - w.content().y, r.x - w.x, &mut row[..n]);
                let at = (y * width + r.x) as usize;
                c.px[at..at + n].copy_from_slice(&row[..n]);
            }
            // The label bar, over nothing the client drew.
            let bar = w.bar();
            c.fill(&clip, &bar, w.colour);
            let fg = text_on(w.colour);
            c.text(&clip, bar.x + 2, bar.y + (LABEL_BAR - GLYPH) / 2, bar.right(), &w.label, fg);
            if trusted {
                let f = w.frame();
                let o = Rect::new(
                    f.x.saturating_sub(OUTLINE),
                    f.y.saturating_sub(OUTLINE),
                    f.w + 2 * OUTLINE,
                    f.h + 2 * OUTLINE,
                );
                for side in [
                    Rect::new(o.x, o.y, o.w, OUTLINE),
                    Rect::new(o.x, o.bottom().saturating_sub(OUTLINE), o.w, OUTLINE),
                    Rect::new(o.x, o.y, OUTLINE, o.h),
                    Rect::new(o.right().saturating_sub(OUTLINE), o.y, OUTLINE, o.h),
                ] {
                    c.fill(&clip, &side, w.colour);
                }
            }
        }
        if trusted {
            let b = Rect::new(0, height.saturating_sub(BANNER_HEIGHT), width, BANNER_HEIGHT);
            c.fill(&clip, &b, BANNER);
            c.text(&clip, 4, b.y + 2, width, "SECURE ATTENTION (Scroll Lock to leave)", BANNER_TEXT);
            let who = match &focus {
                Some(l) => alloc::format!("focus: {l}"),
                None => String::from("focus: none"),
            };
            c.text(&clip, 4, b.y + 2 + GLYPH + 2, width, &who, BANNER_TEXT);
        }
    }
}

#[cfg(test)]
mod tests;
