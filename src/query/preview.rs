//! What entries would do before they are saved: for each office-year they move, the frame before
//! and after, and for a budget line, the area's net and the internal budget's total before and
//! after beside the frame. Folded by the same projections the reports use, over the records the
//! index files under the question plus the entries themselves (given sequence numbers after the
//! head, never written). Ask it only of entries `Ledger::dry_run` accepted.

use super::reader::{in_log_order, Reader};
use crate::domain::amount::Amount;
use crate::domain::event::{Event, EventBody};
use crate::index::{self, prefix, Kind};
use crate::ledger::{Ledger, LedgerError};
use crate::projection::{budget, frames, Clock};
use crate::store::record::Recorded;
use crate::store::Store;
use chrono::{DateTime, Utc};

/// Most office-years one preview folds; the rest are counted, not shown.
pub const PLACES_MAX: usize = 20;

/// An office-year a preview shows, and the area of the internal budget when one is concerned.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub office: String,
    pub year: i32,
    pub area: Option<String>,
}

/// One office-year as it is and as it would be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    pub place: Place,
    /// The frame (net cost), `None` while nothing has set or moved it.
    pub frame: Change,
    /// For an area: its net in the internal budget, and the internal budget's total.
    pub budget: Option<BudgetChange>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub before: Option<Amount>,
    pub after: Option<Amount>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetChange {
    pub area: Change,
    pub total: Change,
}

/// The preview of a batch: the effects of the first [`PLACES_MAX`] places, and how many more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    pub effects: Vec<Effect>,
    pub left_off: usize,
}

/// The office-years `events` move (frames, transfers, budget lines), then `also` (the place a
/// correction or an approval is made from, which the event itself does not name), each once.
pub fn places(events: &[Event], also: Option<Place>) -> Vec<Place> {
    let mut out: Vec<Place> = Vec::new();
    let mut add = |p: Place| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    for e in events {
        let body = &e.body;
        match body {
            EventBody::BudgetLine {
                office, year, area, ..
            } => add(Place {
                office: office.clone(),
                year: *year,
                area: Some(area.clone()),
            }),
            _ if crate::domain::effect::effect_on_any(body) => {
                for office in body.offices() {
                    if let Some(year) = body.year() {
                        add(Place {
                            office: office.to_string(),
                            year,
                            area: None,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(p) = also {
        add(p);
    }
    out
}

/// What `events`, recorded by `recorded_by` at `now`, would do at each of `places`: every decision
/// counted (no as-of date), everything known.
pub fn preview<S: Store>(
    ledger: &Ledger<S>,
    events: &[Event],
    recorded_by: &str,
    now: DateTime<Utc>,
    places: &[Place],
) -> Result<Preview, LedgerError> {
    let reader = Reader::new(ledger)?;
    let head = ledger.head().seq;
    let entries: Vec<Recorded> = events
        .iter()
        .enumerate()
        .map(|(i, event)| Recorded {
            seq: head + 1 + i as u64,
            recorded_at: now,
            recorded_by: recorded_by.to_string(),
            event: event.clone(),
            hash: [0; 32],
        })
        .collect();
    let clock = Clock::default();
    let mut effects = Vec::new();
    for place in places.iter().take(PLACES_MAX) {
        let mut prefixes = vec![
            prefix::records(&place.office, place.year, Kind::Frame),
            vec![index::OFFICES],
        ];
        if place.area.is_some() {
            prefixes.push(prefix::areas(&place.office));
            prefixes.push(prefix::records(&place.office, place.year, Kind::Budget));
        }
        let before = reader.gather(&prefixes, None)?;
        let mut after = before.clone();
        after.extend(entries.iter().cloned());
        let after = in_log_order(after);
        let frame = |records: &[Recorded]| {
            frames::frame(records, &place.office, place.year, &clock).map(|f| f.frame)
        };
        let budget = place.area.as_deref().map(|area| {
            let of = |records: &[Recorded]| {
                let table = budget::budget(records, &place.office, place.year, None, &clock);
                let line = table
                    .rows
                    .iter()
                    .find(|r| r.area.code == area)
                    .and_then(|r| r.year)
                    .map(|l| l.net);
                let total = (!table.rows.is_empty()).then_some(table.total.net);
                (line, total)
            };
            let ((area_before, total_before), (area_after, total_after)) =
                (of(&before), of(&after));
            BudgetChange {
                area: Change {
                    before: area_before,
                    after: area_after,
                },
                total: Change {
                    before: total_before,
                    after: total_after,
                },
            }
        });
        effects.push(Effect {
            place: place.clone(),
            frame: Change {
                before: frame(&before),
                after: frame(&after),
            },
            budget,
        });
    }
    Ok(Preview {
        effects,
        left_off: places.len().saturating_sub(PLACES_MAX),
    })
}
