//! The indicators report (table and JSON), and how an indicator and an assessment read in the
//! goals report: targets and values as exact decimals with a decimal comma, `–` when missing.

use super::table::{Cell, Row, Table};
use super::{clock_caption, clock_json};
use crate::domain::event::Status;
use crate::domain::measure::Measure;
use crate::projection::indicators::{IndicatorRow, IndicatorsReport};
use crate::projection::Clock;
use serde_json::{json, Value};

/// A target or value: the exact figure, or `–` when there is none (never a zero).
pub fn figure(m: Option<Measure>) -> Cell {
    m.map_or(Cell::Missing, |m| Cell::Figure(m.swedish()))
}

/// Whether the value meets the target: `ja`, `nej`, or `–` without a target or a value.
pub fn met_cell(row: &IndicatorRow) -> Cell {
    match row.met() {
        Some(true) => Cell::text("ja"),
        Some(false) => Cell::text("nej"),
        None => Cell::Missing,
    }
}

/// An assessment as the goals report prints it; nothing before anything is measured.
pub fn assessment_label(a: Option<Status>) -> String {
    a.map_or_else(String::new, |s| s.name().to_string())
}

pub fn indicators_table(r: &IndicatorsReport, clock: &Clock) -> Table {
    let office = r
        .office
        .as_deref()
        .map_or(String::new(), |o| format!(", {o}"));
    let mut t = Table::new(
        format!("Indikatorer {}{office}{}", r.year, clock_caption(clock)),
        &[
            "Indikator",
            "Namn",
            "Mål",
            "Enhet",
            "Riktning",
            "Målvärde",
            "Värde",
            "Mätt",
            "Uppfyllt",
        ],
    );
    for i in &r.rows {
        t.push(Row::new(vec![
            Cell::text(&i.indicator),
            Cell::text(&i.name),
            Cell::text(i.goal.clone().unwrap_or_default()),
            Cell::text(&i.unit),
            Cell::text(i.direction.swedish()),
            figure(i.target),
            figure(i.value),
            Cell::opt_date(i.measured_on),
            met_cell(i),
        ]));
    }
    if r.rows.is_empty() {
        t.push(Row::new(vec![Cell::text("Inga indikatorer definierade")]));
    }
    t
}

/// One indicator as JSON: targets and values as exact decimal strings, `met` true, false or null.
pub fn indicator_json(i: &IndicatorRow) -> Value {
    json!({
        "indicator": i.indicator, "name": i.name, "unit": i.unit, "direction": i.direction.name(),
        "goal": i.goal, "office": i.office,
        "target": i.target.map(Measure::plain), "value": i.value.map(Measure::plain),
        "measured_on": i.measured_on.map(|d| d.to_string()), "met": i.met(),
    })
}

pub fn indicators_json(r: &IndicatorsReport, clock: &Clock) -> Value {
    let (as_of, known_at) = clock_json(clock);
    json!({
        "year": r.year, "office": r.office, "as_of": as_of, "known_at": known_at,
        "indicators": r.rows.iter().map(indicator_json).collect::<Vec<_>>(),
    })
}
