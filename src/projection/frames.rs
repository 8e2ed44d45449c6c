//! Net frames per office and year, and the bridge that explains how one year's frame became the
//! next: the council's changes line by line, transfers per counterparty, totals.

use super::frame_index::FrameIndex;
use super::{in_effect, office_names, Clock};
use crate::domain::amount::Amount;
use crate::domain::effect::{effect_on, Effect};
use crate::domain::event::{Decision, EventBody};
use crate::store::record::Recorded;
use std::collections::HashMap;

/// One office's frame for a year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameRow {
    pub office: String,
    pub name: Option<String>,
    pub frame: Amount,
    /// Whether a `frame_set` is in effect; without it the frame is only the sum of changes.
    pub set: bool,
    /// How many events in effect moved it.
    pub events: usize,
}

/// Every office's frame for `year` under the clock, ordered by office code.
pub fn frames(records: &[Recorded], year: i32, clock: &Clock) -> Vec<FrameRow> {
    let index = FrameIndex::build(records);
    frames_from_index(&index, &names_at(records, clock), year, clock)
}

/// Every office's frame for `year` from a built index.
pub fn frames_from_index(
    index: &FrameIndex,
    names: &HashMap<String, String>,
    year: i32,
    clock: &Clock,
) -> Vec<FrameRow> {
    let mut rows: Vec<FrameRow> = index
        .offices(year)
        .into_iter()
        .filter_map(|office| {
            let f = index.frame(&office, year, clock)?;
            Some(FrameRow {
                name: names.get(&office).cloned(),
                office,
                frame: f.frame,
                set: f.set,
                events: f.events,
            })
        })
        .collect();
    // An office defined by the as-of date without a frame for the year is listed as such.
    let listed: std::collections::HashSet<String> = rows.iter().map(|r| r.office.clone()).collect();
    rows.extend(
        names
            .iter()
            .filter(|(office, _)| !listed.contains(*office))
            .map(|(office, name)| FrameRow {
                office: office.clone(),
                name: Some(name.clone()),
                frame: Amount::ZERO,
                set: false,
                events: 0,
            }),
    );
    rows.sort_by(|a, b| a.office.cmp(&b.office));
    rows
}

/// Office names from the definitions in effect under the clock: for each office, the definition
/// in force on the as-of date (the latest by date, then by recording order).
pub fn names_at(records: &[Recorded], clock: &Clock) -> HashMap<String, String> {
    office_names(&in_effect(records, clock))
}

/// One office's frame for one year; `None` when nothing has moved it.
pub fn frame(records: &[Recorded], office: &str, year: i32, clock: &Clock) -> Option<FrameRow> {
    frames(records, year, clock)
        .into_iter()
        .find(|r| r.office == office && r.events > 0)
}

/// A change of the frame decided for the later year, as the bridge lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeLine {
    pub seq: u64,
    pub kind: &'static str,
    pub text: String,
    pub amount: Amount,
    pub decision: Decision,
    /// The fields its transcriber assumed (see `Provenance`).
    pub assumed: Vec<String>,
}

/// The net of all transfers with one other office.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferLine {
    pub counterparty: String,
    pub name: Option<String>,
    pub amount: Amount,
    pub seqs: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bridge {
    pub office: String,
    pub from_year: i32,
    pub to_year: i32,
    /// The earlier year's frame; `None` when none was decided (the bridge starts from nothing).
    pub start: Option<Amount>,
    pub changes: Vec<BridgeLine>,
    pub changes_total: Amount,
    /// `body date` when every change comes from one decision meeting, for the subtotal's label.
    pub changes_decided: Option<String>,
    pub transfers: Vec<TransferLine>,
    pub transfers_total: Amount,
    /// Every line added up: the changes and the transfers.
    pub total: Amount,
    /// The later year's frame; `None` while no frame is decided for it (never the earlier year's
    /// figure carried over).
    pub end: Option<Amount>,
}

/// How `office`'s frame went from `from_year` to `to_year` under the clock.
pub fn bridge(
    records: &[Recorded],
    office: &str,
    from_year: i32,
    to_year: i32,
    clock: &Clock,
) -> Bridge {
    let start = frame(records, office, from_year, clock)
        .filter(|f| f.set)
        .map(|f| f.frame);
    bridge_from(start, records, office, from_year, to_year, clock)
}

/// As [`bridge`], given the earlier year's frame (`start`): `records` need only hold what moves
/// the later year's frame, the office definitions and the corrections.
pub fn bridge_from(
    start: Option<Amount>,
    records: &[Recorded],
    office: &str,
    from_year: i32,
    to_year: i32,
    clock: &Clock,
) -> Bridge {
    let effective = in_effect(records, clock);
    let names = office_names(&effective);
    let mut running = start.unwrap_or(Amount::ZERO);
    let mut decided = false;
    let mut changes = Vec::new();
    let mut transfers: Vec<TransferLine> = Vec::new();
    for r in &effective {
        let Some(effect) = effect_on(&r.event.body, office, to_year) else {
            continue;
        };
        let delta = match effect {
            Effect::Set(a) => {
                decided = true;
                a - running
            }
            Effect::Add(a) => a,
        };
        running += delta;
        match &r.event.body {
            EventBody::Transfer { from, to, .. } => {
                let other = if from == office {
                    to.clone()
                } else {
                    from.clone()
                };
                match transfers.iter_mut().find(|t| t.counterparty == other) {
                    Some(t) => {
                        t.amount += delta;
                        t.seqs.push(r.seq);
                    }
                    None => transfers.push(TransferLine {
                        name: names.get(&other).cloned(),
                        counterparty: other,
                        amount: delta,
                        seqs: vec![r.seq],
                    }),
                }
            }
            body if !delta.is_zero() => changes.push(BridgeLine {
                seq: r.seq,
                kind: body.type_name(),
                text: line_text(body, to_year),
                amount: delta,
                decision: body
                    .decision()
                    .cloned()
                    .expect("frame events carry a decision"),
                assumed: r.event.provenance.assumed.clone(),
            }),
            _ => {}
        }
    }
    let changes_total = changes.iter().map(|c| c.amount).sum();
    let transfers_total = transfers.iter().map(|t| t.amount).sum();
    let mut meetings: Vec<String> = changes
        .iter()
        .map(|c| format!("{} {}", c.decision.body, c.decision.date))
        .collect();
    meetings.dedup();
    Bridge {
        office: office.to_string(),
        from_year,
        to_year,
        start,
        changes_decided: (meetings.len() == 1).then(|| meetings.remove(0)),
        changes,
        changes_total,
        transfers,
        transfers_total,
        total: running - start.unwrap_or(Amount::ZERO),
        end: decided.then_some(running),
    }
}

fn line_text(body: &EventBody, year: i32) -> String {
    match body {
        EventBody::FrameChanged { reason, .. } | EventBody::SavingsRequired { reason, .. } => {
            reason.clone()
        }
        EventBody::FrameSet { .. } => format!("Ny budgetram {year}"),
        other => other.type_name().to_string(),
    }
}
