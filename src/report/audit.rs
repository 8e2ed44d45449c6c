//! Rendering for auditors and revisors: history, diff and control findings as tables and JSON.

use super::table::{Cell, Row, Table};
use super::{clock_caption, kr};
use crate::control::rules::Finding;
use crate::domain::time::{shown, shown_date};
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
            "Historik: {what} {} {}{}",
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
            "tkr",
            "Ram efter",
            "Registrerad av",
            "Registrerad",
            "Anm.",
        ],
    );
    for l in &h.lines {
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
            Cell::text(l.date.to_string()),
            Cell::text(d.map_or(String::new(), |d| d.body.clone())),
            Cell::text(d.and_then(|d| d.case.clone()).unwrap_or_default()),
            Cell::text(d.and_then(|d| d.paragraph.clone()).unwrap_or_default()),
            Cell::text(&l.text),
            Cell::flow(l.amount),
            l.running.map_or(Cell::text("–"), Cell::flow),
            Cell::text(&l.recorded_by),
            Cell::text(shown(l.recorded_at)),
            Cell::text(note),
        ]));
    }
    t.push(Row::strong(vec![
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::text("Slutlig ram"),
        Cell::Empty,
        Cell::flow(h.end),
    ]));
    t
}

pub fn history_json(h: &History, clock: &Clock) -> Value {
    let (as_of, known_at) = super::clock_json(clock);
    json!({
        "office": h.office, "year": h.year, "area": h.area, "as_of": as_of, "known_at": known_at,
        "lines": h.lines.iter().map(|l| json!({
            "seq": l.seq, "id": l.id.to_string(), "type": l.kind, "text": l.text, "date": l.date.to_string(),
            "decision": l.decision.as_ref().map(crate::json::decision_json),
            "recorded_at": l.recorded_at.to_rfc3339(), "recorded_by": l.recorded_by,
            "amount": kr(l.amount), "running": l.running.map(kr),
            "corrected_by": l.corrected_by.as_ref().map(|c| json!({
                "seq": c.seq, "recorded_at": c.recorded_at.to_rfc3339(), "recorded_by": c.recorded_by, "reason": c.reason,
            })),
        })).collect::<Vec<_>>(),
        "end": kr(h.end),
    })
}

pub fn diff_tables(d: &Diff) -> Vec<Table> {
    let mut frames = Table::new(
        format!("Ändrade ramar {} – {}", d.from, d.to),
        &["Kontor", "År", "Seq", "Händelse", "tkr", "Före", "Efter"],
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
        "Ändrade internbudgetar (netto)",
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
            Cell::text(s.date.to_string()),
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

pub fn findings_table(year: i32, findings: &[Finding]) -> Table {
    let mut t = Table::new(
        format!("Intern kontroll {year}: {} iakttagelser", findings.len()),
        &["Regel", "Händelser (seq)", "Iakttagelse"],
    );
    for f in findings {
        let seqs = if f.seqs.len() > 12 {
            format!(
                "{} … ({} st)",
                f.seqs[..12]
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                f.seqs.len()
            )
        } else {
            f.seqs
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        t.push(Row::new(vec![
            Cell::text(f.rule),
            Cell::text(seqs),
            Cell::text(&f.message),
        ]));
    }
    t
}

pub fn findings_json(year: i32, delegation: &str, findings: &[Finding]) -> Value {
    json!({
        "year": year,
        "delegation": delegation,
        "findings": findings.iter().map(|f| json!({"rule": f.rule, "seqs": f.seqs, "message": f.message})).collect::<Vec<_>>(),
    })
}

/// The audit trail row of one record: for the export.
pub fn trail_row(r: &crate::store::record::Recorded) -> Vec<Cell> {
    vec![
        Cell::Figure(r.seq.to_string()),
        Cell::text(shown(r.recorded_at)),
        Cell::text(&r.recorded_by),
        Cell::text(r.event.body.type_name()),
        Cell::text(r.event.id.to_string()),
        Cell::text(hex(&r.hash)),
        Cell::text(crate::json::event_to_json(&r.event).to_string()),
    ]
}
