//! The rule `reported.reconciles`: a figure a published document prints (a `reported` claim)
//! against the figure the ledger computes as of the document's date, at the printed precision.
//! Pure: records in, findings out; `rules::control` runs it with the other rules.

use super::rules::{tkr, Causes, Finding};
use crate::domain::amount::Amount;
use crate::domain::event::{EventBody, ReportedColumn, ReportedTable};
use crate::projection::budget::{budget, investments, outcome, OutcomeRow};
use crate::projection::frames::frame;
use crate::projection::Clock;
use crate::store::record::Recorded;

/// The ledger's own figure for a `reported` claim, as of the claim's date.
fn computed(records: &[Recorded], body: &EventBody) -> Option<Amount> {
    let EventBody::Reported {
        report,
        office,
        year,
        row,
        column,
        date,
        ..
    } = body
    else {
        return None;
    };
    let clock = Clock {
        as_of: Some(*date),
        known_at: None,
    };
    let total = row == "total";
    match report {
        ReportedTable::Frame => frame(records, office, *year, &clock).map(|f| f.frame),
        ReportedTable::Budget => {
            let t = budget(records, office, *year, None, &clock);
            let line = if total {
                Some(t.total)
            } else {
                t.rows
                    .iter()
                    .find(|r| &r.area.code == row)
                    .and_then(|r| r.year)
            }?;
            match column {
                ReportedColumn::Revenue => line.revenue,
                ReportedColumn::Cost => line.cost,
                _ => Some(line.net),
            }
        }
        ReportedTable::Outcome => {
            let t = outcome(records, office, *year, &clock);
            let v = if total {
                Some(t.total)
            } else {
                t.rows.iter().find_map(|r| match r {
                    OutcomeRow::Area { area, figures, .. } if &area.code == row => Some(*figures),
                    OutcomeRow::Subtotal { group, figures } if group == row => Some(*figures),
                    _ => None,
                })
            }?;
            match column {
                ReportedColumn::Budget => v.budget,
                ReportedColumn::Outcome => v.outcome,
                _ => v.deviation(),
            }
        }
        ReportedTable::Investments => {
            let t = investments(records, office, *year, None, &clock);
            let (b, o) = if total {
                (Some(t.budget_total), t.outcome_total)
            } else {
                let r = t.rows.iter().find(|r| &r.project == row)?;
                (r.budget, r.outcome)
            };
            match column {
                ReportedColumn::Budget => b,
                ReportedColumn::Outcome => o,
                _ => Some(b.unwrap_or_default() - o.unwrap_or_default()),
            }
        }
    }
}

/// Published figures are printed rounded: a claim reconciles when the computed figure, rounded
/// half away from zero at the printed precision, is the printed figure.
fn matches_printed(claimed: Amount, precision_ore: i64, computed: Amount) -> bool {
    let step = precision_ore.max(1) as i128;
    let q = computed.ore() / step;
    let r = computed.ore() % step;
    let rounded = if r.abs() * 2 >= step {
        q + computed.ore().signum()
    } else {
        q
    };
    rounded * step == claimed.ore()
}

/// A published table as a revisor names it.
fn table_word(t: ReportedTable) -> &'static str {
    match t {
        ReportedTable::Frame => "budgetram",
        ReportedTable::Budget => "internbudget",
        ReportedTable::Outcome => "driftredovisning",
        ReportedTable::Investments => "investeringsredovisning",
    }
}

/// A column of a published table as the documents head it.
fn column_word(c: ReportedColumn) -> &'static str {
    match c {
        ReportedColumn::Frame => "ram",
        ReportedColumn::Revenue => "intäkter",
        ReportedColumn::Cost => "kostnader",
        ReportedColumn::Net => "netto",
        ReportedColumn::Budget => "budget",
        ReportedColumn::Outcome => "utfall",
        ReportedColumn::Deviation => "avvikelse",
    }
}

/// The decimals a figure printed at `precision_ore` has in tkr: 0 for whole tkr, 1 for 0,1 tkr.
fn printed_decimals(precision_ore: i64) -> u32 {
    let mut step = 100_000;
    let mut decimals = 0;
    while step > precision_ore.max(1) && decimals < 5 {
        step /= 10;
        decimals += 1;
    }
    decimals
}

pub(super) fn reconcile(records: &[Recorded], of_year: &[&Recorded], out: &mut Vec<Finding>) {
    let mut causes = Causes::new("reported.reconciles");
    for r in of_year {
        let EventBody::Reported {
            report,
            office,
            year,
            row,
            column,
            amount,
            precision_ore,
            source,
            ..
        } = &r.event.body
        else {
            continue;
        };
        let printed = printed_decimals(*precision_ore);
        match computed(records, &r.event.body) {
            Some(c) if matches_printed(*amount, *precision_ore, c) => {}
            Some(c) => causes.add(
                format!("{source}: tryckt siffra stämmer inte med liggaren"),
                &[r.seq],
                || {
                    format!(
                        "seq {}: {} {office} {year}, rad '{row}', {}: tryckt {} men liggaren räknar fram {} (skillnad {})",
                        r.seq,
                        table_word(*report),
                        column_word(*column),
                        tkr(*amount, printed),
                        tkr(c, printed.max(1)),
                        tkr(*amount - c, printed.max(1))
                    )
                },
            ),
            None => causes.add(
                format!("{source}: liggaren har ingen sådan siffra"),
                &[r.seq],
                || format!("seq {}: {} {office} {year}, rad '{row}'", r.seq, table_word(*report)),
            ),
        }
    }
    causes.into_findings(out);
}
