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

fn sheet(name: &str, tables: Vec<Table>, decimals: u32) -> Sheet {
    Sheet {
        name: name.to_string(),
        tables,
        decimals,
    }
}

/// *Ramar* and *Brygga*: the frames, and the bridge of every office with a frame set.
fn frame_sheets(records: &[Recorded], year: i32, clock: &Clock) -> [Sheet; 2] {
    let rows = frames::frames(records, year, clock);
    let bridges = rows
        .iter()
        .filter(|f| f.set)
        .map(|f| {
            let b = frames::bridge(records, &f.office, year - 1, year, clock);
            r::bridge_table(&b, clock)
        })
        .collect();
    let frames = or_note(
        r::frames_table(year, &rows, clock),
        format!("Inga budgetramar registrerade för {year}"),
    );
    let bridges = or_nothing(
        bridges,
        format!("Förändringar {year} jämfört med {}", year - 1),
        format!("Ingen budgetram fastställd för {year}"),
    );
    [sheet("Ramar", vec![frames], 0), sheet("Brygga", bridges, 0)]
}

/// *Driftsbudget*, *Utfall* and *Investeringar*: one table per office that has any.
fn budget_sheets(records: &[Recorded], year: i32, clock: &Clock) -> [Sheet; 3] {
    let budgets = offices_with(records, year, |b| matches!(b, EventBody::BudgetLine { .. }))
        .iter()
        .map(|o| {
            let b = budget::budget(records, o, year, Some(year - 1), clock);
            r::budget_table(&b, clock)
        })
        .collect();
    let outcomes = offices_with(records, year, |b| matches!(b, EventBody::Outcome { .. }))
        .iter()
        .map(|o| r::outcome_table(&budget::outcome(records, o, year, clock), clock))
        .collect();
    let invested = |b: &EventBody| {
        matches!(
            b,
            EventBody::InvestmentBudget { .. } | EventBody::InvestmentOutcome { .. }
        )
    };
    let investments = offices_with(records, year, invested)
        .iter()
        .map(|o| {
            let i = budget::investments(records, o, year, Some(year - 1), clock);
            r::investments_table(&i, clock)
        })
        .collect();
    [
        sheet(
            "Driftsbudget",
            or_nothing(
                budgets,
                format!("Driftsbudget {year}"),
                format!("Ingen internbudget registrerad för {year}"),
            ),
            0,
        ),
        sheet(
            "Utfall",
            or_nothing(
                outcomes,
                format!("Driftredovisning {year}"),
                format!("Inget utfall rapporterat för {year}"),
            ),
            1,
        ),
        sheet(
            "Investeringar",
            or_nothing(
                investments,
                format!("Investeringsbudget {year}"),
                format!("Ingen investeringsbudget registrerad för {year}"),
            ),
            0,
        ),
    ]
}

/// *Mål*: the goal tree (saying so when there are no goals), then the count tables.
fn goal_sheet(records: &[Recorded], year: i32, clock: &Clock) -> Sheet {
    let none = format!("Inga mål registrerade för {year}");
    let mut tables = r::goals_tables(&goals::goals(records, year, None, clock), clock).into_iter();
    let tree = tables.next().map(|tree| or_note(tree, none.clone()));
    let tables = tree.into_iter().chain(tables).collect();
    sheet(
        "Mål",
        or_nothing(tables, format!("Mål och uppdrag {year}"), none),
        0,
    )
}

/// *Verifikationskedja*: every record with its hash.
fn trail_sheet(records: &[Recorded]) -> Sheet {
    let mut trail = Table::new(
        "Verifikationskedja: varje registrerad händelse med sin hash",
        &[
            "Seq",
            "Registrerad",
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
    let trail = or_note(trail, "Inga händelser registrerade".to_string());
    sheet("Verifikationskedja", vec![trail], 0)
}

/// *Kontroll*: the control findings for the year.
fn control_sheet(
    records: &[Recorded],
    year: i32,
    delegation: Option<&(Delegation, String)>,
) -> Sheet {
    let settings = Settings {
        year,
        late_days: 30,
        delegation: delegation.cloned(),
    };
    sheet(
        "Kontroll",
        crate::control::shown::findings_tables(&control(records, &settings)),
        0,
    )
}

/// The sheets of a year's export.
/// `delegation`: an order given for the run, tried instead of the ledger's own.
pub fn sheets(
    records: &[Recorded],
    year: i32,
    delegation: Option<&(Delegation, String)>,
) -> Vec<Sheet> {
    let clock = Clock::default();
    let mut out = Vec::with_capacity(8);
    out.extend(frame_sheets(records, year, &clock));
    out.extend(budget_sheets(records, year, &clock));
    out.push(goal_sheet(records, year, &clock));
    out.push(trail_sheet(records));
    out.push(control_sheet(records, year, delegation));
    out
}
