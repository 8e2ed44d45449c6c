//! A year's export for the revisors: frames, bridges, internal budgets, outcomes, investments,
//! goals, the full audit trail with hashes and the control findings, as sheets. It is a document
//! of the whole ledger (the trail lists every record), so it folds every record. A sheet with
//! nothing to show says so in a row (`Inget utfall rapporterat för 2017`), never stays blank.

use crate::control::delegation::Delegation;
use crate::control::rules::{control, Settings};
use crate::domain::event::EventBody;
use crate::projection::{budget, frames, goals, Clock};
use crate::report::table::{Cell, Row, Stamp, Table};
use crate::report::xlsx::Sheet;
use crate::report::{self as r, audit};
use crate::store::record::Recorded;
use std::collections::BTreeSet;

fn offices_with(records: &[Recorded], year: i32, pick: impl Fn(&EventBody) -> bool) -> Vec<String> {
    records
        .iter()
        .filter(|r| r.event.body.year() == Some(year) && pick(&r.event.body))
        .flat_map(|r| r.event.body.offices().into_iter().map(str::to_string))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What the export is stamped with: the ledger's name, and the last record it covers (its
/// sequence number and recording time: the export is the ledger as known then).
pub fn stamp(records: &[Recorded], ledger: &str) -> Stamp {
    let last = records.last();
    Stamp {
        as_of: None,
        known_at: last.map(|r| r.recorded_at),
        ledger: Some(ledger.to_string()),
        seq: Some(last.map_or(0, |r| r.seq)),
    }
}

/// Every sheet's figures with `decimals` (at most 5), when given, instead of the sheet's own.
pub fn set_decimals(sheets: &mut [Sheet], decimals: Option<u32>) {
    if let Some(d) = decimals {
        for sheet in sheets {
            sheet.decimals = d.min(5);
        }
    }
}

/// `table`, or when it has no rows, `table` with one row saying `why`.
fn or_note(mut table: Table, why: String) -> Table {
    if table.rows.is_empty() {
        table.push(Row::new(vec![Cell::text(why)]));
    }
    table
}

/// `tables`, or when there are none, one table titled `title` saying `why`.
fn or_nothing(tables: Vec<Table>, title: String, why: String) -> Vec<Table> {
    if tables.is_empty() {
        vec![Table::nothing(title, why)]
    } else {
        tables
    }
}

/// The sheets of a year's export.
pub fn sheets(records: &[Recorded], year: i32, delegation: &Delegation) -> Vec<Sheet> {
    let clock = Clock::default();
    let sheet = |name: &str, tables: Vec<Table>, decimals: u32| Sheet {
        name: name.to_string(),
        tables,
        decimals,
    };
    let frame_rows = frames::frames(records, year, &clock);
    let framed: Vec<String> = frame_rows
        .iter()
        .filter(|f| f.set)
        .map(|f| f.office.clone())
        .collect();
    let bridges = framed
        .iter()
        .map(|o| r::bridge_table(&frames::bridge(records, o, year - 1, year, &clock), &clock))
        .collect();
    let budgets = offices_with(records, year, |b| matches!(b, EventBody::BudgetLine { .. }))
        .iter()
        .map(|o| {
            r::budget_table(
                &budget::budget(records, o, year, Some(year - 1), &clock),
                &clock,
            )
        })
        .collect();
    let outcomes = offices_with(records, year, |b| matches!(b, EventBody::Outcome { .. }))
        .iter()
        .map(|o| r::outcome_table(&budget::outcome(records, o, year, &clock), &clock))
        .collect();
    let investments = offices_with(records, year, |b| {
        matches!(
            b,
            EventBody::InvestmentBudget { .. } | EventBody::InvestmentOutcome { .. }
        )
    })
    .iter()
    .map(|o| {
        r::investments_table(
            &budget::investments(records, o, year, Some(year - 1), &clock),
            &clock,
        )
    })
    .collect();
    let goals = r::goals_tables(&goals::goals(records, year, None, &clock), &clock);
    let mut trail = Table::new(
        "Verifikationskedja: varje registrerad händelse med sin hash",
        &[
            "Seq",
            "Registrerad (UTC)",
            "Av",
            "Typ",
            "Id",
            "Hash (SHA-256)",
            "Händelse",
        ],
    );
    for rec in records {
        trail.push(Row::new(audit::trail_row(rec)));
    }
    let findings = control(
        records,
        &Settings {
            year,
            late_days: 30,
            delegation: delegation.clone(),
        },
    );
    let frames = or_note(
        r::frames_table(year, &frame_rows, &clock),
        format!("Inga budgetramar registrerade för {year}"),
    );
    let bridges = or_nothing(
        bridges,
        format!("Förändringar {year} jämfört med {}", year - 1),
        format!("Ingen budgetram fastställd för {year}"),
    );
    let budgets = or_nothing(
        budgets,
        format!("Driftsbudget {year}"),
        format!("Ingen internbudget registrerad för {year}"),
    );
    let outcomes = or_nothing(
        outcomes,
        format!("Driftredovisning {year}"),
        format!("Inget utfall rapporterat för {year}"),
    );
    let investments = or_nothing(
        investments,
        format!("Investeringsbudget {year}"),
        format!("Ingen investeringsbudget registrerad för {year}"),
    );
    let mut goals = goals.into_iter();
    let goals: Vec<Table> = goals
        .next()
        .map(|tree| or_note(tree, format!("Inga mål registrerade för {year}")))
        .into_iter()
        .chain(goals)
        .collect();
    let goals = or_nothing(
        goals,
        format!("Mål och uppdrag {year}"),
        format!("Inga mål registrerade för {year}"),
    );
    let trail = or_note(trail, "Inga händelser registrerade".to_string());
    let findings = or_note(
        audit::findings_table(year, &findings),
        format!("Inga iakttagelser för {year}"),
    );
    vec![
        sheet("Ramar", vec![frames], 0),
        sheet("Brygga", bridges, 0),
        sheet("Driftsbudget", budgets, 0),
        sheet("Utfall", outcomes, 1),
        sheet("Investeringar", investments, 0),
        sheet("Mål", goals, 0),
        sheet("Verifikationskedja", vec![trail], 0),
        sheet("Kontroll", vec![findings], 0),
    ]
}
