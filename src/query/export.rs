//! A year's export for the revisors: frames, bridges, internal budgets, outcomes, investments,
//! goals, the full audit trail with hashes and the control findings, as sheets. It is a document
//! of the whole ledger (the trail lists every record), so it folds every record.

use crate::control::delegation::Delegation;
use crate::control::rules::{control, Settings};
use crate::domain::event::EventBody;
use crate::projection::{budget, frames, goals, Clock};
use crate::report::table::{Row, Table};
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
    let findings = control(
        records,
        &Settings {
            year,
            late_days: 30,
            delegation: delegation.clone(),
        },
    );
    vec![
        sheet("Ramar", vec![r::frames_table(year, &frame_rows, &clock)], 0),
        sheet("Brygga", bridges, 0),
        sheet("Driftsbudget", budgets, 0),
        sheet("Utfall", outcomes, 1),
        sheet("Investeringar", investments, 0),
        sheet("Mål", goals, 0),
        sheet("Verifikationskedja", vec![trail], 0),
        sheet("Kontroll", vec![audit::findings_table(year, &findings)], 0),
    ]
}
