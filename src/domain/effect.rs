//! Which frame an event moves, and how: the rule the projections, the persisted index and a
//! preview all apply, so it lives in the core.

use super::amount::Amount;
use super::event::EventBody;

/// How one event moves `office`'s frame for `year`: `Set` replaces it, `Add` adds to it.
pub enum Effect {
    Set(Amount),
    Add(Amount),
}

/// The effect of `body` on the frame of (`office`, `year`), if any.
pub fn effect_on(body: &EventBody, office: &str, year: i32) -> Option<Effect> {
    match body {
        EventBody::FrameSet {
            office: o,
            year: y,
            amount,
            ..
        } if o == office && *y == year => Some(Effect::Set(*amount)),
        EventBody::FrameChanged {
            office: o,
            year: y,
            amount,
            ..
        } if o == office && *y == year => Some(Effect::Add(*amount)),
        EventBody::SavingsRequired {
            office: o,
            year: y,
            amount,
            ..
        } if o == office && *y == year => Some(Effect::Add(-*amount)),
        EventBody::Transfer {
            from,
            to,
            year: y,
            amount,
            ..
        } if *y == year && (from == office || to == office) => {
            Some(Effect::Add(if to == office { *amount } else { -*amount }))
        }
        _ => None,
    }
}

/// Whether `body` moves any office's frame.
pub fn effect_on_any(body: &EventBody) -> bool {
    matches!(
        body,
        EventBody::FrameSet { .. }
            | EventBody::FrameChanged { .. }
            | EventBody::SavingsRequired { .. }
            | EventBody::Transfer { .. }
    )
}
