//! Rectangles, the palette and the 8×8 bitmap font (public-domain
//! `font8x8` glyphs) the server draws label bars and the trusted banner
//! with.

use font8x8::legacy::BASIC_LEGACY;

/// A rectangle in screen pixels; empty when `w` or `h` is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Columns.
    pub w: u32,
    /// Rows.
    pub h: u32,
}

impl Rect {
    /// A rectangle.
    pub const fn new(x: u32, y: u32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    /// True if it holds no pixel.
    pub fn is_empty(&self) -> bool {
        self.w == 0 || self.h == 0
    }

    /// One past the right column (saturating).
    pub fn right(&self) -> u32 {
        self.x.saturating_add(self.w)
    }

    /// One past the bottom row (saturating).
    pub fn bottom(&self) -> u32 {
        self.y.saturating_add(self.h)
    }

    /// The overlap of two rectangles (empty if none).
    pub fn intersect(&self, o: &Rect) -> Rect {
        let x = self.x.max(o.x);
        let y = self.y.max(o.y);
        let r = self.right().min(o.right());
        let b = self.bottom().min(o.bottom());
        if r <= x || b <= y { Rect::default() } else { Rect::new(x, y, r - x, b - y) }
    }

    /// The smallest rectangle holding both (an empty one adds nothing).
    pub fn union(&self, o: &Rect) -> Rect {
        if self.is_empty() {
            return *o;
        }
        if o.is_empty() {
            return *self;
        }
        let x = self.x.min(o.x);
        let y = self.y.min(o.y);
        Rect::new(x, y, self.right().max(o.right()) - x, self.bottom().max(o.bottom()) - y)
    }

    /// Whether pixel `(px, py)` is inside.
    pub fn contains(&self, px: u32, py: u32) -> bool {
        px >= self.x && px < self.right() && py >= self.y && py < self.bottom()
    }
}

/// Label colours in the order of the policy's `window_colour`
/// permissions (docs/gui.md §4), `0x00RRGGBB`.
pub const PALETTE: [(&str, u32); 7] = [
    ("red", 0xd02020),
    ("orange", 0xe08010),
    ("yellow", 0xe0d020),
    ("green", 0x20b040),
    ("blue", 0x2050e0),
    ("purple", 0x9030c0),
    ("white", 0xf0f0f0),
];
/// The colour of a client the policy grants no `window_colour`.
pub const UNLABELLED: u32 = 0xf0f0f0;
/// The desktop background.
pub const BACKGROUND: u32 = 0x203040;
/// What a full-screen window hides the rest of the screen with.
pub const BLACK: u32 = 0x000000;
/// The trusted-mode banner's background.
pub const BANNER: u32 = 0x000000;
/// The trusted-mode banner's text.
pub const BANNER_TEXT: u32 = 0xffff00;
/// Glyph width and height in pixels.
pub const GLYPH: u32 = 8;

/// Text colour readable on `bg` (black on light, white on dark; integer
/// luma, ITU-R BT.601 weights).
pub fn text_on(bg: u32) -> u32 {
    let (r, g, b) = ((bg >> 16) & 0xff, (bg >> 8) & 0xff, bg & 0xff);
    if r * 299 + g * 587 + b * 114 > 128_000 { 0x000000 } else { 0xffffff }
}

/// A frame of `width` × `height` pixels (`0x00RRGGBB`, row-major).
pub struct Canvas<'a> {
    /// Pixels.
    pub px: &'a mut [u32],
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Canvas<'_> {
    /// Fills `r ∩ clip` with `c`.
    pub fn fill(&mut self, clip: &Rect, r: &Rect, c: u32) {
        let r = r.intersect(clip).intersect(&Rect::new(0, 0, self.width, self.height));
        for y in r.y..r.bottom() {
            let row = (y * self.width) as usize;
            self.px[row + r.x as usize..row + r.right() as usize].fill(c);
        }
    }

    /// Draws `text` (ASCII; other bytes as `?`) with its top-left corner at
    /// `(x, y)` in `fg` on transparent background, clipped to `clip` and
    /// stopping before column `max_x`.
    pub fn text(&mut self, clip: &Rect, x: u32, y: u32, max_x: u32, text: &str, fg: u32) {
        let area = clip.intersect(&Rect::new(0, 0, self.width.min(max_x), self.height));
        let mut cx = x;
        for ch in text.bytes() {
            if cx.saturating_add(GLYPH) > max_x {
                break;
            }
            let glyph = BASIC_LEGACY[if ch < 128 { ch as usize } else { b'?' as usize }];
            for (gy, bits) in glyph.iter().enumerate() {
                for gx in 0..GLYPH {
                    if bits & (1 << gx) != 0 {
                        let (px, py) = (cx + gx, y + gy as u32);
                        if area.contains(px, py) {
                            self.px[(py * self.width + px) as usize] = fg;
                        }
                    }
                }
            }
            cx += GLYPH;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rect_algebra() {
        let a = Rect::new(10, 10, 20, 20);
        assert_eq!(a.intersect(&Rect::new(25, 0, 100, 15)), Rect::new(25, 10, 5, 5));
        assert!(a.intersect(&Rect::new(30, 30, 5, 5)).is_empty());
        assert_eq!(a.union(&Rect::new(0, 0, 1, 1)), Rect::new(0, 0, 30, 30));
        assert_eq!(Rect::default().union(&a), a);
        let huge = Rect::new(u32::MAX - 1, u32::MAX - 1, u32::MAX, u32::MAX);
        assert_eq!(huge.right(), u32::MAX);
        assert!(a.intersect(&huge).is_empty());
    }

    #[test]
    fn text_is_clipped_and_drawn() {
        let mut px = alloc::vec![0u32; 64 * 16];
        let mut c = Canvas { px: &mut px, width: 64, height: 16 };
        let all = Rect::new(0, 0, 64, 16);
        c.text(&all, 0, 0, 16, "HIJ", 7);
        // Two glyphs fit before column 16; nothing at or right of it.
        assert!(px.iter().enumerate().any(|(i, &p)| p == 7 && i % 64 < 8));
        assert!(px.iter().enumerate().all(|(i, &p)| p != 7 || i % 64 < 16));
        assert_eq!(text_on(0xf0f0f0), 0);
        assert_eq!(text_on(0x2050e0), 0xffffff);
    }
}
