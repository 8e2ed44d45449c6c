//! Rendering for auditors and revisors: history and diff as tables and JSON, and the audit trail
//! row (the control report's own rendering is `crate::control::shown`).

use super::table::{Cell, Row, Table, UNIT};
use super::{clock_caption, kr};
use crate::domain::time::shown_date;
use crate::projection::history::{Diff, History};
use crate::projection::Clock;
use serde_json::{json, Value};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn history_table(h: &History, clock: &Clock) -> Table {
    let what = h
        .area
        .as_ref()
        .map_or("Budgetram".to_string(), |a| format!("Internbudget {a}"));
    let mut t = Table::new(
        format!(
            "Historik: {what} {} {}, {UNIT}{}",
            h.office,
            h.year,
            clock_caption(clock)
        ),
        &[
            "Seq",
            "Beslutsdatum",
            "Organ",
            "Ärende",
            "§",
            "Händelse",
            UNIT,
            "Ram efter",
            "Registrerad av",
            "Registrerad",
            "Anm.",
        ],
    );
    let groups = crate::projection::history::decision_groups(h);
    let closes: std::collections::HashMap<usize, usize> =
        groups.iter().map(|&(first, last)| (last, first)).collect();
    for (i, l) in h.lines.iter().enumerate() {
        let d = l.decision.as_ref();
        let note = l.corrected_by.as_ref().map_or(String::new(), |c| {
            format!(
                "rättad av seq {} ({}, {}): {}",
                c.seq,
                c.recorded_by,
                shown_date(c.recorded_at),
                c.reason
            )
        });
        t.push(Row::new(vec![
            Cell::Figure(l.seq.to_string()),
            Cell::Date(l.date),
            Cell::text(d.map_or(String::new(), |d| d.body.clone())),
            Cell::text(d.and_then(|d| d.case.clone()).unwrap_or_default()),
            Cell::text(d.and_then(|d| d.paragraph.clone()).unwrap_or_default()),
            Cell::text(marked(&l.text, &l.assumed)),
            Cell::flow(l.amount),
            l.running.map_or(Cell::text("–"), Cell::flow),
            Cell::text(&l.recorded_by),
            Cell::Time(l.recorded_at),
            Cell::text(note),
        ]));
        // What a decision of several lines did, added up, after its last line.
        if let (Some(&first), Some(d)) = (closes.get(&i), d) {
            let moved: Vec<&crate::projection::history::HistoryLine> = h.lines[first..=i]
                .iter()
                .filter(|l| l.corrected_by.is_none())
                .collect();
            if i > first && moved.len() > 1 {
                let total = moved.iter().map(|l| l.amount).sum();
                t.push(sum_row(
                    format!("Summa beslut {} {} ({} rader)", d.body, d.date, moved.len()),
                    Cell::flow(total),
                    moved.last().and_then(|l| l.running),
                ));
            }
        }
    }
    let last = if h.area.is_some() {
        "Slutlig internbudget"
    } else {
        "Slutlig ram"
    };
    t.push(sum_row(
        match h.end {
            Some(_) => last.to_string(),
            None => format!("{last}: {}", super::NO_FRAME),
        },
        Cell::Empty,
        h.end,
    ));
    if let Some(note) = assumed_footnote(h.lines.iter().map(|l| l.assumed.as_slice())) {
        let mut cells = vec![Cell::Empty; 5];
        cells.push(Cell::text(note));
        t.push(Row::new(cells));
    }
    t
}

/// The marker of a line with an assumed fact.
pub const ASSUMED_MARK: &str = "*";

/// `text` with the marker when any of its facts is assumed.
pub fn marked(text: &str, assumed: &[String]) -> String {
    if assumed.is_empty() {
        text.to_string()
    } else {
        format!("{text} {ASSUMED_MARK}")
    }
}

/// The footnote under a table with marked lines: which facts were assumed, each field once.
pub fn assumed_footnote<'a>(lines: impl Iterator<Item = &'a [String]>) -> Option<String> {
    let mut fields: Vec<&str> = Vec::new();
    for a in lines.flatten() {
        if !fields.contains(&a.as_str()) {
            fields.push(a);
        }
    }
    (!fields.is_empty()).then(|| {
        format!(
            "{ASSUMED_MARK} antaget vid inläsningen, inte tryckt i källan: {}",
            fields.join(", ")
        )
    })
}

/// A history row in bold that sums up: its text under "Händelse", what moved under the amount,
/// and the figure after it (`–` when nothing has set it).
fn sum_row(text: String, moved: Cell, after: Option<crate::domain::amount::Amount>) -> Row {
    let mut cells = vec![Cell::Empty; 5];
    cells.extend([
        Cell::text(text),
        moved,
        after.map_or(Cell::Missing, Cell::flow),
    ]);
    Row::strong(cells)
}

pub fn history_json(h: &History, clock: &Clock) -> Value {
    let (as_of, known_at) = super::clock_json(clock);
    // On a decision's last line: what the whole decision moved (its lines not corrected).
    let decision_totals: std::collections::HashMap<usize, crate::domain::amount::Amount> =
        crate::projection::history::decision_groups(h)
            .into_iter()
            .filter(|(first, last)| last > first)
            .map(|(first, last)| {
                let total = h.lines[first..=last]
                    .iter()
                    .filter(|l| l.corrected_by.is_none())
                    .map(|l| l.amount)
                    .sum();
                (last, total)
            })
            .collect();
    json!({
        "office": h.office, "year": h.year, "area": h.area, "as_of": as_of, "known_at": known_at,
        "lines": h.lines.iter().enumerate().map(|(i, l)| json!({
            "seq": l.seq, "id": l.id.to_string(), "type": l.kind, "text": l.text, "date": l.date.to_string(),
            "decision": l.decision.as_ref().map(crate::json::decision_json),
            "recorded_at": l.recorded_at.to_rfc3339(), "recorded_by": l.recorded_by,
            "amount": kr(l.amount), "running": l.running.map(kr),
            "assumed": l.assumed, "source": l.source.as_ref().map(|s| json!({"document": s.document, "page": s.page})),
            "decision_total": decision_totals.get(&i).map(|t| kr(*t)),
            "corrected_by": l.corrected_by.as_ref().map(|c| json!({
                "seq": c.seq, "recorded_at": c.recorded_at.to_rfc3339(), "recorded_by": c.recorded_by, "reason": c.reason,
            })),
        })).collect::<Vec<_>>(),
        "end": h.end.map(kr),
    })
}

pub fn diff_tables(d: &Diff) -> Vec<Table> {
    let mut frames = Table::new(
        format!("Ändrade ramar {} – {}, {UNIT}", d.from, d.to),
        &["Kontor", "År", "Seq", "Händelse", UNIT, "Före", "Efter"],
    );
    for f in &d.frames {
        for (seq, text, amount) in &f.events {
            frames.push(Row::new(vec![
                Cell::text(&f.office),
                Cell::Figure(f.year.to_string()),
                Cell::Figure(seq.to_string()),
                Cell::text(text),
                Cell::flow(*amount),
            ]));
        }
        frames.push(Row::strong(vec![
            Cell::text(&f.office),
            Cell::Figure(f.year.to_string()),
            Cell::Empty,
            Cell::text("Summa"),
            Cell::flow(f.after.unwrap_or_default() - f.before.unwrap_or_default()),
            f.before.map_or(Cell::text("–"), Cell::flow),
            f.after.map_or(Cell::text("–"), Cell::flow),
        ]));
    }
    frames.push(Row::strong(vec![
        Cell::text("Totalt"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::flow(d.frames_total),
    ]));
    let mut budgets = Table::new(
        format!("Ändrade internbudgetar (netto), {UNIT}"),
        &[
            "Kontor",
            "År",
            "Område",
            "Seq",
            "Före",
            "Efter",
            "Förändring",
        ],
    );
    for b in &d.budgets {
        budgets.push(Row::new(vec![
            Cell::text(&b.office),
            Cell::Figure(b.year.to_string()),
            Cell::text(&b.area),
            Cell::Figure(b.seq.to_string()),
            b.before.map_or(Cell::text("–"), Cell::flow),
            Cell::flow(b.after),
            Cell::fixed(b.after - b.before.unwrap_or_default()),
        ]));
    }
    let mut statuses = Table::new(
        "Ändrade statusar",
        &["Mål/aktivitet/uppdrag", "Datum", "Seq", "Före", "Efter"],
    );
    for s in &d.statuses {
        statuses.push(Row::new(vec![
            Cell::text(&s.target),
            Cell::Date(s.date),
            Cell::Figure(s.seq.to_string()),
            Cell::text(s.before.map_or("–", |x| x.name())),
            Cell::text(s.after.name()),
        ]));
    }
    vec![frames, budgets, statuses]
}

pub fn diff_json(d: &Diff) -> Value {
    json!({
        "from": d.from.to_string(), "to": d.to.to_string(),
        "frames": d.frames.iter().map(|f| json!({
            "office": f.office, "year": f.year, "before": f.before.map(kr), "after": f.after.map(kr),
            "events": f.events.iter().map(|(seq, text, amount)| json!({"seq": seq, "text": text, "amount": kr(*amount)})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "frames_total": kr(d.frames_total),
        "budgets": d.budgets.iter().map(|b| json!({
            "office": b.office, "year": b.year, "area": b.area, "seq": b.seq, "before": b.before.map(kr), "after": kr(b.after),
        })).collect::<Vec<_>>(),
        "statuses": d.statuses.iter().map(|s| json!({
            "target": s.target, "date": s.date.to_string(), "seq": s.seq, "before": s.before.map(|x| x.name()), "after": s.after.name(),
        })).collect::<Vec<_>>(),
    })
}

/// The audit trail row of one record: for the export.
pub fn trail_row(r: &crate::store::record::Recorded) -> Vec<Cell> {
    vec![
        Cell::Figure(r.seq.to_string()),
        Cell::Time(r.recorded_at),
        Cell::text(&r.recorded_by),
        Cell::text(r.event.body.type_name()),
        Cell::text(r.event.id.to_string()),
        Cell::text(hex(&r.hash)),
        Cell::text(crate::json::event_to_json(&r.event).to_string()),
    ]
}
