//! History and diff: how a frame (or one area's internal budget) moved, event by event, with the
//! running figure after each; corrections shown beside what they correct; and what changed in
//! frames, budgets and statuses between two dates.

use super::frame_index::FrameIndex;
use super::{corrected_ids, Clock};
use crate::domain::amount::Amount;
use crate::domain::effect::{effect_on, Effect};
use crate::domain::event::{Date, Decision, EventBody, Status};
use crate::store::record::Recorded;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A correction as history shows it beside the corrected line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrectedBy {
    pub seq: u64,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryLine {
    pub seq: u64,
    pub id: Uuid,
    pub kind: &'static str,
    pub text: String,
    pub date: Date,
    pub decision: Option<Decision>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    /// How much this event moved the figure (for a replacing event: new minus previous).
    pub amount: Amount,
    /// The figure after this event; `None` for a corrected event, which moved nothing.
    pub running: Option<Amount>,
    pub corrected_by: Option<CorrectedBy>,
    /// The fields its transcriber assumed (`amount`, `decision.date`): not printed in the source.
    pub assumed: Vec<String>,
    pub source: Option<crate::domain::event::Source>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    pub office: String,
    pub year: i32,
    pub area: Option<String>,
    pub lines: Vec<HistoryLine>,
    /// The figure after every line; `None` while nothing set it (no frame decided, only changes
    /// or transfers): never a zero.
    pub end: Option<Amount>,
}

/// What an event does to the history's figure: replace it, or add to it.
fn effect(body: &EventBody, office: &str, year: i32, area: Option<&str>) -> Option<Effect> {
    match area {
        None => effect_on(body, office, year),
        Some(a) => match body {
            EventBody::BudgetLine {
                office: o,
                year: y,
                area: ar,
                net,
                ..
            } if o == office && *y == year && ar == a => Some(Effect::Set(*net)),
            _ => None,
        },
    }
}

fn text(body: &EventBody, office: &str) -> String {
    match body {
        EventBody::FrameSet { year, .. } => format!("Budgetram {year} fastställd"),
        EventBody::FrameChanged { reason, .. } | EventBody::SavingsRequired { reason, .. } => {
            reason.clone()
        }
        EventBody::Transfer {
            from, to, reason, ..
        } => {
            if to == office {
                format!("{reason} (från {from})")
            } else {
                format!("{reason} (till {to})")
            }
        }
        EventBody::BudgetLine { area, .. } => format!("Internbudget {area}"),
        other => other.type_name().to_string(),
    }
}

/// Every event known under the clock's known-at that moved the office's frame for the year (or,
/// with `area`, that area's internal budget), in decision order up to the as-of date.
pub fn history(
    records: &[Recorded],
    office: &str,
    year: i32,
    area: Option<&str>,
    clock: &Clock,
) -> History {
    let corrections: HashMap<Uuid, CorrectedBy> = records
        .iter()
        .filter(|r| clock.known(r))
        .filter_map(|r| match &r.event.body {
            EventBody::Correction { corrects, reason } => Some((
                *corrects,
                CorrectedBy {
                    seq: r.seq,
                    recorded_at: r.recorded_at,
                    recorded_by: r.recorded_by.clone(),
                    reason: reason.clone(),
                },
            )),
            _ => None,
        })
        .collect();
    let mut moving: Vec<(&Recorded, Effect)> = records
        .iter()
        .filter(|r| clock.known(r) && clock.effective(r.event.body.effective_date()))
        .filter_map(|r| effect(&r.event.body, office, year, area).map(|e| (r, e)))
        .collect();
    moving.sort_by_key(|(r, _)| (r.event.body.effective_date(), r.seq));
    let mut running = Amount::ZERO;
    let mut set = false;
    let mut lines = Vec::new();
    for (r, e) in moving {
        let corrected_by = corrections.get(&r.event.id).cloned();
        let amount = match e {
            Effect::Set(a) => a - running,
            Effect::Add(a) => a,
        };
        if corrected_by.is_none() {
            running += amount;
            set |= matches!(e, Effect::Set(_));
        }
        let body = &r.event.body;
        lines.push(HistoryLine {
            seq: r.seq,
            id: r.event.id,
            kind: body.type_name(),
            text: text(body, office),
            date: body
                .effective_date()
                .expect("frame and budget events are dated"),
            decision: body.decision().cloned(),
            recorded_at: r.recorded_at,
            recorded_by: r.recorded_by.clone(),
            amount,
            running: corrected_by.is_none().then_some(running),
            corrected_by,
            assumed: r.event.provenance.assumed.clone(),
            source: r.event.provenance.source.clone(),
        });
    }
    // A frame set by a decision that goes on to change it is the decision's starting point,
    // not the frame it decides: say so, so the line is not read as the decided figure.
    for i in 0..lines.len() {
        let starts_more = lines[i].kind == "frame_set"
            && lines[i].decision.is_some()
            && lines[i + 1..]
                .iter()
                .take_while(|l| l.decision == lines[i].decision)
                .any(|l| l.corrected_by.is_none());
        if starts_more {
            lines[i].text = format!("Utgångsram {year} i beslutet");
        }
    }
    History {
        office: office.to_string(),
        year,
        area: area.map(str::to_string),
        lines,
        end: set.then_some(running),
    }
}

/// The lines of `h` grouped by decision, in order: each group's first and last line index. A
/// decision is its body, date, case and paragraph; lines without one stand alone.
pub fn decision_groups(h: &History) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, l) in h.lines.iter().enumerate() {
        match out.last_mut() {
            Some((first, last))
                if l.decision.is_some() && h.lines[*first].decision == l.decision =>
            {
                *last = i
            }
            _ => out.push((i, i)),
        }
    }
    out
}

/// One changed frame between two dates, with the events that changed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameDiff {
    pub office: String,
    pub year: i32,
    pub before: Option<Amount>,
    pub after: Option<Amount>,
    pub events: Vec<(u64, String, Amount)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetDiff {
    pub office: String,
    pub year: i32,
    pub area: String,
    pub before: Option<Amount>,
    pub after: Amount,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusDiff {
    pub target: String,
    pub before: Option<Status>,
    pub after: Status,
    pub date: Date,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    pub from: Date,
    pub to: Date,
    pub frames: Vec<FrameDiff>,
    pub frames_total: Amount,
    pub budgets: Vec<BudgetDiff>,
    pub statuses: Vec<StatusDiff>,
}

/// What changed between the end of `from` and the end of `to` (decision and status dates), as
/// known under `known_at`.
pub fn diff(records: &[Recorded], from: Date, to: Date, known_at: Option<DateTime<Utc>>) -> Diff {
    diff_with(records, &FrameIndex::build(records), from, to, known_at)
}

/// As [`diff`], with the frames before and after read from `index`: `records` need only hold
/// the events dated between the two dates, the earlier budget lines and statuses of what they
/// touch, and the corrections; `index` the frame entries of every office-year they touch.
pub fn diff_with(
    records: &[Recorded],
    index: &FrameIndex,
    from: Date,
    to: Date,
    known_at: Option<DateTime<Utc>>,
) -> Diff {
    let clock = Clock {
        as_of: Some(to),
        known_at,
    };
    let corrected = corrected_ids(records, &clock);
    let mut changed: Vec<&Recorded> = records
        .iter()
        .filter(|r| clock.known(r) && !corrected.contains(&r.event.id))
        .filter(|r| {
            r.event
                .body
                .effective_date()
                .is_some_and(|d| d > from && d <= to)
        })
        .collect();
    changed.sort_by_key(|r| (r.event.body.effective_date(), r.seq));
    let before_clock = Clock {
        as_of: Some(from),
        known_at,
    };
    let mut frames: BTreeMap<(String, i32), FrameDiff> = BTreeMap::new();
    let mut budgets = Vec::new();
    let mut statuses = Vec::new();
    let mut status_now: HashMap<String, Status> = HashMap::new();
    let mut budget_now: HashMap<(String, i32, String), Amount> = HashMap::new();
    let mut earlier: Vec<&Recorded> = records
        .iter()
        .filter(|r| before_clock.known(r) && !corrected.contains(&r.event.id))
        .collect();
    earlier.sort_by_key(|r| (r.event.body.effective_date(), r.seq));
    for r in earlier {
        match &r.event.body {
            EventBody::StatusUpdated {
                target,
                status,
                date,
                ..
            } if *date <= from => {
                status_now.insert(target.clone(), *status);
            }
            EventBody::BudgetLine {
                office,
                year,
                area,
                net,
                decision,
                ..
            } if decision.date <= from => {
                budget_now.insert((office.clone(), *year, area.clone()), *net);
            }
            _ => {}
        }
    }
    for r in changed {
        let body = &r.event.body;
        match body {
            EventBody::StatusUpdated {
                target,
                status,
                date,
                ..
            } => {
                let before = status_now.insert(target.clone(), *status);
                statuses.push(StatusDiff {
                    target: target.clone(),
                    before,
                    after: *status,
                    date: *date,
                    seq: r.seq,
                });
            }
            EventBody::BudgetLine {
                office,
                year,
                area,
                net,
                ..
            } => {
                let before = budget_now.insert((office.clone(), *year, area.clone()), *net);
                budgets.push(BudgetDiff {
                    office: office.clone(),
                    year: *year,
                    area: area.clone(),
                    before,
                    after: *net,
                    seq: r.seq,
                });
            }
            _ => {
                let Some(year) = body.year() else { continue };
                for office in body.offices() {
                    let Some(e) = effect_on(body, office, year) else {
                        continue;
                    };
                    let entry =
                        frames
                            .entry((office.to_string(), year))
                            .or_insert_with(|| FrameDiff {
                                office: office.to_string(),
                                year,
                                before: index.frame(office, year, &before_clock).map(|f| f.frame),
                                after: index.frame(office, year, &clock).map(|f| f.frame),
                                events: vec![],
                            });
                    let amount = match e {
                        Effect::Add(a) => a,
                        Effect::Set(a) => a - entry.before.unwrap_or_default(),
                    };
                    entry.events.push((r.seq, text(body, office), amount));
                }
            }
        }
    }
    let frames: Vec<FrameDiff> = frames.into_values().collect();
    let frames_total = frames
        .iter()
        .map(|f| f.after.unwrap_or_default() - f.before.unwrap_or_default())
        .sum();
    Diff {
        from,
        to,
        frames,
        frames_total,
        budgets,
        statuses,
    }
}
