//! A preview's effects as the page and the API show them: each office-year's frame before and
//! after, and for a budget line the area's net and the internal budget beside the frame, as exact
//! kronor and as one Swedish line (`KLK 2017: budgetram 477 569 → 476 569 tkr`).

use super::preview::{Change, Effect, Preview};
use crate::domain::amount::{Amount, Unit};
use crate::report::kr;
use crate::report::number::exact;
use serde_json::{json, Value};

/// An amount in tkr with the decimals it needs (none for whole thousands, down to the öre).
pub fn tkr_exact(a: Amount) -> String {
    format!("{} tkr", exact(a, Unit::Tkr))
}

fn figure(a: Option<Amount>) -> String {
    a.map_or("–".to_string(), |a| exact(a, Unit::Tkr))
}

fn change_text(what: &str, c: Change) -> String {
    format!("{what} {} → {} tkr", figure(c.before), figure(c.after))
}

fn change_json(c: Change) -> Value {
    json!({
        "before": c.before.map_or(Value::Null, kr),
        "after": c.after.map_or(Value::Null, kr),
    })
}

/// One effect in one line: `KLK 2017: budgetram 477 569 → 476 569 tkr`; for an area also
/// `ADM netto 108 507 → 109 000 tkr, internbudgeten 477 569 → 478 062 tkr`.
pub fn effect_line(e: &Effect) -> String {
    let p = &e.place;
    let mut line = format!(
        "{} {}: {}",
        p.office,
        p.year,
        change_text("budgetram", e.frame)
    );
    if let (Some(area), Some(b)) = (&p.area, e.budget) {
        line.push_str(&format!(
            "; {}, {}",
            change_text(&format!("{area} netto"), b.area),
            change_text("internbudgeten", b.total)
        ));
    }
    line
}

/// The effects as JSON: figures in exact kronor, and each effect's line.
pub fn effects_json(p: &Preview) -> Value {
    json!({
        "effects": p.effects.iter().map(|e| json!({
            "office": e.place.office, "year": e.place.year, "area": e.place.area,
            "frame": change_json(e.frame),
            "budget": e.budget.map(|b| json!({"area": change_json(b.area), "total": change_json(b.total)})),
            "text": effect_line(e),
        })).collect::<Vec<_>>(),
        "left_off": p.left_off,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::preview::Place;

    #[test]
    fn a_frame_change_reads_as_the_issue_writes_it() {
        let tkr = |t: i64| Some(Amount::from_ore(t * 100_000));
        let e = Effect {
            place: Place {
                office: "KLK".into(),
                year: 2017,
                area: None,
            },
            frame: Change {
                before: tkr(477_569),
                after: tkr(476_569),
            },
            budget: None,
        };
        assert_eq!(effect_line(&e), "KLK 2017: budgetram 477 569 → 476 569 tkr");
        assert_eq!(
            tkr_exact(Amount::from_ore(-132_580_000)),
            "\u{2212}1 325,8 tkr"
        );
        assert_eq!(tkr_exact(Amount::from_ore(1)), "0,00001 tkr");
    }
}
