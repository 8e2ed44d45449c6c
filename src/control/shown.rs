//! The control report as people and programs read it: its findings as tables (terminal, CSV,
//! the workbook) and as JSON. Beside the rules, so the rendering below (`crate::report`) never
//! reaches up for the report's types.

use super::finding::Severity;
use super::rules::{Basis, Report};
use crate::lang::{count, counted};
use crate::report::table::{Cell, Row, Table};
use serde_json::{json, Value};

/// The control report as tables: the findings, one row per cause (errors, warnings, notes), and
/// one line on the entries read in afterwards (backfill), which late recording and four eyes skip.
pub fn findings_tables(report: &Report) -> Vec<Table> {
    let year = report.year;
    let counts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| s.counted(report.count(*s)))
        .collect();
    let mut t = Table::new(
        format!("Intern kontroll {year}: {}", counts.join(", ")),
        &["Allvar", "Regel", "Antal", "Orsak, med exempel"],
    );
    t.whole_text = true;
    for f in &report.findings {
        t.push(Row::strong(vec![
            Cell::text(f.severity.name()),
            Cell::text(f.rule),
            Cell::Figure(count(f.count as u64)),
            Cell::text(&f.cause),
        ]));
        for e in &f.examples {
            t.push(Row::new(vec![
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::text(format!("  {e}")),
            ]));
        }
        if f.count > f.examples.len() {
            t.push(Row::new(vec![
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::text(format!(
                    "  … och {} till",
                    count((f.count - f.examples.len()) as u64)
                )),
            ]));
        }
    }
    if report.findings.is_empty() {
        t.push(Row::new(vec![Cell::text(format!(
            "Inga iakttagelser för {year}"
        ))]));
    }
    let mut d = Table::new(format!("Delegationsordning {year}"), &["Anm."]);
    d.whole_text = true;
    d.push(Row::new(vec![Cell::text(report.delegation.describe())]));
    let mut b = Table::new(format!("Inläst i efterhand {year}"), &["Anm."]);
    b.whole_text = true;
    b.push(Row::new(vec![Cell::text(backfill_line(report))]));
    vec![t, d, b]
}

/// The one line on backfilled entries.
pub fn backfill_line(report: &Report) -> String {
    let b = &report.backfilled;
    if b.events == 0 {
        return format!("Inga händelser för {} är inlästa i efterhand", report.year);
    }
    format!(
        "{} för {} är inlästa i efterhand ur {}: inte prövade för sen registrering eller attest",
        counted(b.events as u64, "händelse", "händelser"),
        report.year,
        b.sources
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub fn findings_json(report: &Report) -> Value {
    let orders = match &report.delegation {
        Basis::Given(_) => vec![],
        Basis::Ledger(orders) => orders
            .iter()
            .map(|o| json!({"seq": o.seq, "name": o.name, "body": o.body, "date": o.date.to_string()}))
            .collect(),
    };
    json!({
        "year": report.year,
        "delegation": report.delegation.describe(),
        "delegation_orders": orders,
        "errors": report.count(Severity::Error),
        "warnings": report.count(Severity::Warning),
        "notes": report.count(Severity::Note),
        "backfilled": {"events": report.backfilled.events, "sources": report.backfilled.sources},
        "findings": report.findings.iter().map(|f| json!({
            "rule": f.rule, "severity": f.severity.name(), "cause": f.cause, "count": f.count,
            "seqs": f.seqs, "examples": f.examples,
        })).collect::<Vec<_>>(),
    })
}
