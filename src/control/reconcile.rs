//! The rules that reconcile what a published document claims with the ledger and with itself:
//! `reported.reconciles` (a printed figure, a `reported` claim, against the figure the ledger
//! computes as of the document's date, at the printed precision), `reported.parts` (the parts a
//! document breaks a figure into, `reported_parts`, against that figure), and `reported.sums` /
//! `reported.rounding` (a printed table's rows against its printed total). Counts and targets are
//! in `claims.rs`. Pure: records in, findings out; `rules::control` runs them with the others.

use super::finding::{tkr, Causes, Finding};
use crate::domain::amount::Amount;
use crate::domain::event::{Date, EventBody, ReportedColumn, ReportedTable};
use crate::projection::budget::{budget, investments, outcome, OutcomeRow};
use crate::projection::frames::{bridge, frame};
use crate::projection::Clock;
use crate::store::record::Recorded;
use std::collections::HashMap;

/// Where a claimed figure stands: a table, a row and a column of an office's year.
#[derive(Clone, Copy)]
pub(super) struct Cell<'a> {
    pub report: ReportedTable,
    pub office: &'a str,
    pub year: i32,
    pub row: &'a str,
    pub column: ReportedColumn,
}

impl Cell<'_> {
    fn describe(&self) -> String {
        format!(
            "{} {} {}, rad '{}', {}",
            table_word(self.report),
            self.office,
            self.year,
            self.row,
            column_word(self.column)
        )
    }
}

/// The cell a claim is about (a figure or a breakdown; an empty cell for any other event).
fn cell_of(body: &EventBody) -> Cell<'_> {
    match body {
        EventBody::Reported {
            report,
            office,
            year,
            row,
            column,
            ..
        }
        | EventBody::ReportedParts {
            report,
            office,
            year,
            row,
            column,
            ..
        } => Cell {
            report: *report,
            office,
            year: *year,
            row,
            column: *column,
        },
        _ => Cell {
            report: ReportedTable::Frame,
            office: "",
            year: 0,
            row: "",
            column: ReportedColumn::Frame,
        },
    }
}

/// The ledger's own figure for a cell, as of `date`.
fn computed(records: &[Recorded], cell: Cell, date: Date) -> Option<Amount> {
    let Cell {
        report,
        office,
        year,
        row,
        column,
    } = cell;
    let clock = Clock {
        as_of: Some(date),
        known_at: None,
    };
    let total = row == "total";
    match report {
        ReportedTable::Frame => frame(records, office, year, &clock).map(|f| f.frame),
        ReportedTable::Bridge => {
            let b = bridge(records, office, year - 1, year, &clock);
            match row {
                "start" => b.start,
                "changes" => Some(b.changes_total),
                "transfers" => Some(b.transfers_total),
                "total" => Some(b.total),
                "frame" => b.end,
                other => b
                    .transfers
                    .iter()
                    .find(|t| t.counterparty == other)
                    .map(|t| t.amount),
            }
        }
        ReportedTable::Budget => {
            let t = budget(records, office, year, Some(year - 1), &clock);
            let (line, before) = if total {
                (Some(t.total), t.compare_total)
            } else {
                let r = t.rows.iter().find(|r| r.area.code == row)?;
                (r.year, r.compare)
            };
            let line = line?;
            match column {
                ReportedColumn::Revenue => line.revenue,
                ReportedColumn::Cost => line.cost,
                ReportedColumn::Difference => Some(line.net - before?.net),
                _ => Some(line.net),
            }
        }
        ReportedTable::Outcome => {
            let t = outcome(records, office, year, &clock);
            let v = if total {
                Some(t.total)
            } else {
                t.rows.iter().find_map(|r| match r {
                    OutcomeRow::Area { area, figures, .. } if area.code == row => Some(*figures),
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
            let t = investments(records, office, year, Some(year - 1), &clock);
            let (b, before, o) = if total {
                (Some(t.budget_total), t.compare_total, t.outcome_total)
            } else {
                let r = t.rows.iter().find(|r| r.project == row)?;
                (r.budget, r.compare, r.outcome)
            };
            match column {
                ReportedColumn::Budget => b,
                ReportedColumn::Outcome => o,
                ReportedColumn::Difference => {
                    Some(b.unwrap_or_default() - before.unwrap_or_default())
                }
                _ => Some(b.unwrap_or_default() - o.unwrap_or_default()),
            }
        }
    }
}

/// Published figures are printed rounded: a claim reconciles when the computed figure, rounded
/// half away from zero at the printed precision, is the printed figure.
pub(super) fn matches_printed(claimed: Amount, precision_ore: i64, computed: Amount) -> bool {
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
        ReportedTable::Bridge => "ramförändringar",
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
        ReportedColumn::Difference => "skillnad",
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
    let mut parts_causes = Causes::new("reported.parts");
    for r in of_year {
        match &r.event.body {
            EventBody::Reported {
                amount,
                precision_ore,
                source,
                date,
                ..
            } => {
                let cell = cell_of(&r.event.body);
                let printed = printed_decimals(*precision_ore);
                match computed(records, cell, *date) {
                    Some(c) if matches_printed(*amount, *precision_ore, c) => {}
                    Some(c) => {
                        // The same figure with the other sign: the table's sign convention, not
                        // its arithmetic, is what disagrees.
                        let flipped = !c.is_zero() && matches_printed(-*amount, *precision_ore, c);
                        if flipped {
                            causes.add(
                                format!("{source}: tryckt siffra har motsatt tecken mot liggaren"),
                                &[r.seq],
                                || {
                                    format!(
                                        "seq {}: {}: tryckt {} (i liggarens tecken) men liggaren räknar fram {} per {date}: samma belopp, motsatt tecken",
                                        r.seq,
                                        cell.describe(),
                                        tkr(*amount, printed),
                                        tkr(c, printed)
                                    )
                                },
                            )
                        } else {
                            causes.add(
                                format!("{source}: tryckt siffra stämmer inte med liggaren"),
                                &[r.seq],
                                || {
                                    format!(
                                        "seq {}: {}: tryckt {} men liggaren räknar fram {} per {date} (skillnad {})",
                                        r.seq,
                                        cell.describe(),
                                        tkr(*amount, printed),
                                        tkr(c, printed.max(1)),
                                        tkr(*amount - c, printed.max(1))
                                    )
                                },
                            )
                        }
                    }
                    None => causes.add(
                        format!("{source}: liggaren har ingen sådan siffra"),
                        &[r.seq],
                        || format!("seq {}: {}", r.seq, cell.describe()),
                    ),
                }
            }
            EventBody::ReportedParts {
                parts,
                precision_ore,
                source,
                date,
                ..
            } => {
                let cell = cell_of(&r.event.body);
                let printed = printed_decimals(*precision_ore);
                let sum = parts.iter().map(|p| p.amount).sum::<Amount>();
                let terms = parts
                    .iter()
                    .map(|p| tkr(p.amount, printed).trim_end_matches(" tkr").to_string())
                    .collect::<Vec<_>>()
                    .join(" + ");
                match computed(records, cell, *date) {
                    Some(c) if matches_printed(sum, *precision_ore, c) => {}
                    Some(c) => parts_causes.add(
                        format!("{source}: delarna summerar inte till liggarens siffra"),
                        &[r.seq],
                        || {
                            format!(
                                "seq {}: {}: delarna {terms} = {} men liggaren räknar fram {} per {date} (skillnad {})",
                                r.seq,
                                cell.describe(),
                                tkr(sum, printed),
                                tkr(c, printed),
                                tkr(sum - c, printed)
                            )
                        },
                    ),
                    None => parts_causes.add(
                        format!("{source}: liggaren har ingen sådan siffra att dela upp"),
                        &[r.seq],
                        || format!("seq {}: {}", r.seq, cell.describe()),
                    ),
                }
            }
            _ => {}
        }
    }
    causes.into_findings(out);
    parts_causes.into_findings(out);
    printed_sums(records, of_year, out);
}

/// A printed figure of a table: its row, amount and precision, and the event that claims it.
struct Printed<'a> {
    row: &'a str,
    amount: Amount,
    precision_ore: i64,
    seq: u64,
}

/// The printed rows of each table against its printed totals: `total` adds every row; in a
/// driftredovisning, a group's subtotal (`driftresultat`) adds the rows of its areas. A total off
/// by no more than the rounding of its rows is a note (the document added unrounded figures);
/// further off, an error.
fn printed_sums(records: &[Recorded], of_year: &[&Recorded], out: &mut Vec<Finding>) {
    let mut sums = Causes::new("reported.sums");
    let mut rounding = Causes::new("reported.rounding");
    // Claims of one table column, in log order: (source, table, office, year, column).
    type Key<'a> = (&'a str, ReportedTable, &'a str, i32, ReportedColumn);
    let mut tables: Vec<(Key, Vec<Printed>)> = Vec::new();
    for r in of_year {
        if let EventBody::Reported {
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
        {
            if *report == ReportedTable::Frame || *report == ReportedTable::Bridge {
                continue;
            }
            let key = (source.as_str(), *report, office.as_str(), *year, *column);
            let figure = Printed {
                row,
                amount: *amount,
                precision_ore: *precision_ore,
                seq: r.seq,
            };
            match tables.iter_mut().find(|(k, _)| *k == key) {
                Some((_, figures)) => figures.push(figure),
                None => tables.push((key, vec![figure])),
            }
        }
    }
    let groups = area_groups(records);
    for ((source, report, office, year, column), figures) in &tables {
        let group_of = |row: &str| groups.get(&(*office, row)).copied();
        let is_group = |row: &str| {
            *report == ReportedTable::Outcome
                && groups.iter().any(|((o, _), g)| o == office && *g == row)
        };
        for total in figures
            .iter()
            .filter(|f| f.row == "total" || is_group(f.row))
        {
            let members: Vec<&Printed> = figures
                .iter()
                .filter(|f| f.row != "total" && !is_group(f.row))
                .filter(|f| total.row == "total" || group_of(f.row) == Some(total.row))
                .collect();
            if members.len() < 2 {
                continue;
            }
            let sum = members.iter().map(|f| f.amount).sum::<Amount>();
            if sum == total.amount {
                continue;
            }
            let step = members
                .iter()
                .map(|f| f.precision_ore)
                .chain([total.precision_ore])
                .max()
                .unwrap_or(1);
            // Each printed row is off its unrounded figure by at most half a step, and so is
            // the printed total.
            let bound = (members.len() as i128 + 1) * step as i128 / 2;
            let off = (sum - total.amount).ore().abs();
            let decimals = printed_decimals(step);
            let seqs: Vec<u64> = members.iter().map(|f| f.seq).chain([total.seq]).collect();
            let example = || {
                format!(
                    "{} {office} {year}, {}: raderna {} summerar till {} men summan '{}' är tryckt {} (skillnad {})",
                    table_word(*report),
                    column_word(*column),
                    members.iter().map(|f| f.row).collect::<Vec<_>>().join(", "),
                    tkr(sum, decimals),
                    total.row,
                    tkr(total.amount, decimals),
                    tkr(sum - total.amount, decimals)
                )
            };
            if off <= bound {
                rounding.add(
                    format!("{source}: tryckt summa avviker från tryckta rader inom avrundning (summan räknad på oavrundade belopp)"),
                    &seqs,
                    example,
                );
            } else {
                sums.add(
                    format!("{source}: tryckta rader summerar inte till tryckt summa"),
                    &seqs,
                    example,
                );
            }
        }
    }
    sums.into_findings(out);
    rounding.into_findings(out);
}

/// Office and area code → the area's group (`driftresultat`), from every area definition.
fn area_groups(records: &[Recorded]) -> HashMap<(&str, &str), &str> {
    records
        .iter()
        .filter_map(|r| match &r.event.body {
            EventBody::AreaDefined {
                office,
                area,
                group: Some(g),
                ..
            } => Some(((office.as_str(), area.as_str()), g.as_str())),
            _ => None,
        })
        .collect()
}
