//! Host tests of the desktop logic.

use super::*;
use alloc::string::ToString;

/// Every window's buffer is one colour: its id × 0x010101.
struct Solid;

impl Buffers for Solid {
    fn row(&self, id: u32, _y: u32, _x: u32, out: &mut [u32]) {
        out.fill(id * 0x010101);
    }
}

fn desk() -> Desktop {
    Desktop::new(320, 200)
}

fn px(d: &Desktop, x: u32, y: u32) -> u32 {
    d.pixels[(y * d.width + x) as usize]
}

fn click(d: &mut Desktop, x: u32, y: u32) -> Option<Rect> {
    d.input(EV_ABS, 0, x * (ABS_MAX + 1) / d.width + 1);
    d.input(EV_ABS, 1, y * (ABS_MAX + 1) / d.height + 1);
    let r = d.input(EV_KEY, BTN_LEFT, 1);
    d.input(EV_KEY, BTN_LEFT, 0);
    r
}

#[test]
fn bad_sizes_are_refused() {
    let mut d = desk();
    let l = || "a".to_string();
    assert_eq!(d.create(1, 5, l(), 0, 0, 10, 1 << 20), Err(Errno::EINVAL));
    assert_eq!(d.create(1, 5, l(), 0, 10, 0, 1 << 20), Err(Errno::EINVAL));
    assert_eq!(d.create(1, 5, l(), 0, 321, 10, 1 << 30), Err(Errno::E2BIG));
    assert_eq!(d.create(1, 5, l(), 0, 10, 200 - LABEL_BAR + 1, 1 << 30), Err(Errno::E2BIG));
    assert_eq!(d.create(1, 5, l(), 0, u32::MAX, u32::MAX, u64::MAX), Err(Errno::E2BIG));
    assert_eq!(d.create(1, 5, l(), 0, 100, 100, 100 * 100 * 4 - 1), Err(Errno::EFBIG));
    for i in 0..MAX_WINDOWS_PER_CLIENT {
        assert_eq!(d.create(1, 5, l(), 0, 10, 10, 400).map(|r| r.0), Ok(i as u32));
    }
    assert_eq!(d.create(1, 5, l(), 0, 10, 10, 400), Err(Errno::EMFILE));
    assert!(d.create(2, 6, l(), 0, 320, 200 - LABEL_BAR, 320 * 200 * 4).is_ok(), "the largest window fits");
}

#[test]
fn damage_stays_inside_the_window() {
    let mut d = desk();
    let (h, _) = d.create(1, 5, "x".into(), 0xff0000, 50, 40, 50 * 40 * 4).unwrap();
    let c = d.window(1, h).unwrap().content();
    assert_eq!(d.damage(1, h, 0, 0, 50, 40), Ok(c));
    assert_eq!(d.damage(1, h, 49, 39, 1, 1), Ok(Rect::new(c.x + 49, c.y + 39, 1, 1)));
    for (x, y, w, hh) in
        [(0, 0, 51, 1), (0, 0, 1, 41), (50, 0, 1, 1), (u32::MAX, 0, 2, 1), (1, 1, u32::MAX, 1), (0, 0, 0, 1)]
    {
        assert_eq!(d.damage(1, h, x, y, w, hh), Err(Errno::EINVAL), "{x},{y} {w}x{hh}");
    }
    assert_eq!(d.damage(2, h, 0, 0, 1, 1), Err(Errno::ENOENT), "another client's handle");
    assert_eq!(d.damage(1, h + 1, 0, 0, 1, 1), Err(Errno::ENOENT));
}

#[test]
fn composition_draws_bars_over_nothing_a_client_drew() {
    let mut d = desk();
    let (_, id1) = d.create(1, 5, "user_u:user_r:user_t".into(), 0x2050e0, 100, 60, 100 * 60 * 4).unwrap();
    let (_, id2) = d.create(2, 6, "root:sysadm_r:sysadm_t".into(), 0xd02020, 100, 60, 100 * 60 * 4).unwrap();
    let s = d.screen();
    d.compose(&s, &Solid);
    let (w1, w2) = (d.windows()[0].clone(), d.windows()[1].clone());
    // Bars in their colours (a pixel at the bar's right end holds no glyph).
    assert_eq!(px(&d, w1.bar().right() - 1, w1.y), 0x2050e0);
    assert_eq!(px(&d, w2.bar().right() - 1, w2.y + LABEL_BAR - 1), 0xd02020);
    // Client pixels only inside content rectangles; window 2 on top.
    assert_eq!(px(&d, w1.content().x, w1.content().y), id1 * 0x010101);
    assert_eq!(px(&d, w2.content().right() - 1, w2.content().bottom() - 1), id2 * 0x010101);
    for y in 0..d.height {
        for x in 0..d.width {
            let p = px(&d, x, y);
            if p == id1 * 0x010101 {
                assert!(w1.content().contains(x, y) && !w2.frame().contains(x, y), "window 1 pixel at {x},{y}");
            }
            if p == id2 * 0x010101 {
                assert!(w2.content().contains(x, y), "window 2 pixel at {x},{y}");
            }
        }
    }
    assert_eq!(px(&d, d.width - 1, d.height - 1), draw::BACKGROUND);
}

#[test]
fn keys_reach_only_the_focused_window_and_the_sak_none() {
    let mut d = desk();
    let (h1, _) = d.create(1, 5, "a".into(), 0, 50, 40, 8000).unwrap();
    let (h2, _) = d.create(2, 6, "b".into(), 0, 50, 40, 8000).unwrap();
    d.input(EV_KEY, 30, 1);
    assert_eq!(d.swallowed, 1, "no focus yet: nobody gets it");
    let w1 = d.window(1, h1).unwrap().content();
    assert!(click(&mut d, w1.x + 2, w1.y + 2).is_some());
    assert_eq!(d.focused().map(|w| w.owner), Some(1));
    d.input(EV_KEY, 30, 1);
    d.input(EV_KEY, 30, 0);
    d.input(EV_KEY, SAK, 1);
    assert!(d.trusted());
    d.input(EV_KEY, 31, 1);
    d.input(EV_KEY, SAK, 0);
    d.input(EV_KEY, SAK, 1);
    d.input(EV_KEY, SAK, 0);
    assert!(!d.trusted());
    d.input(EV_KEY, 32, 1);
    assert_eq!(d.next_key(1, h1), Ok(Some(key_event(30, 1))));
    assert_eq!(d.next_key(1, h1), Ok(Some(key_event(30, 0))));
    assert_eq!(d.next_key(1, h1), Ok(Some(key_event(32, 1))), "the SAK and trusted-mode keys never arrive");
    assert_eq!(d.next_key(1, h1), Ok(None));
    assert_eq!(d.next_key(2, h2), Ok(None));
    assert_eq!(d.next_key(2, h1 + 7), Err(Errno::ENOENT));
}

#[test]
fn trusted_mode_banner_and_outlines() {
    let mut d = desk();
    let (h, _) = d.create(1, 5, "a".into(), 0x20b040, 50, 40, 8000).unwrap();
    let f = d.window(1, h).unwrap().frame();
    let r = d.input(EV_KEY, SAK, 1).unwrap();
    d.compose(&r, &Solid);
    assert_eq!(px(&d, 0, d.height - 1), BANNER);
    assert_eq!(px(&d, f.x - 1, f.y + 20), 0x20b040, "outline in the label colour");
    assert!(d.pixels[(d.height - BANNER_HEIGHT) as usize * d.width as usize..].contains(&BANNER_TEXT));
    assert_eq!(d.owner_at(f.x + 1, d.height - 1), Ok(None));
}

#[test]
fn fullscreen_hides_the_others_and_keeps_the_bar() {
    let mut d = desk();
    let (h1, _) = d.create(1, 5, "a".into(), 0x2050e0, 50, 40, 8000).unwrap();
    let (_h2, id2) = d.create(2, 6, "b".into(), 0xd02020, 50, 40, 8000).unwrap();
    let r = d.fullscreen(1, h1, true).unwrap();
    d.compose(&r, &Solid);
    assert_eq!(px(&d, 49, 0), 0x2050e0, "bar at the top");
    assert_eq!(px(&d, 300, 150), BLACK);
    assert!(!d.pixels.contains(&(id2 * 0x010101)), "the other window is hidden");
    assert_eq!(d.owner_at(1, LABEL_BAR + 1), Ok(Some((1, 5))), "where it is shown");
    assert_eq!(d.owner_at(1, 1), Ok(None), "its bar belongs to nobody");
    assert_eq!(d.owner_at(300, 150), Ok(None));
}

#[test]
fn closing_drops_focus_and_windows() {
    let mut d = desk();
    let (h, _) = d.create(1, 5, "a".into(), 0, 50, 40, 8000).unwrap();
    let c = d.window(1, h).unwrap().content();
    click(&mut d, c.x + 1, c.y + 1);
    assert!(d.focused().is_some());
    assert_eq!(d.drop_owner(1).len(), 1);
    assert!(d.focused().is_none());
    assert_eq!(d.destroy(1, h), Err(Errno::ENOENT));
    assert_eq!(d.owner_at(10_000, 0).err(), Some(Errno::EINVAL));
}

#[test]
fn windows_are_placed_apart_while_there_is_room() {
    let mut d = desk();
    for o in 0..4 {
        d.create(o, 5, "a".into(), 0, 90, 50, 90 * 50 * 4).unwrap();
    }
    let w = d.windows();
    for a in 0..w.len() {
        assert!(d.screen().intersect(&w[a].frame()) == w[a].frame(), "on screen");
        for b in a + 1..w.len() {
            assert!(w[a].frame().intersect(&w[b].frame()).is_empty(), "{a} and {b} overlap");
        }
    }
}
