//! The internal budget per area, budget against outcome per unit, and the investment budget.
//!
//! A later `budget_line` for the same office, year and area replaces the earlier one (that is what
//! re-budgeting is); likewise a later `investment_budget` for the same project. Outcomes are
//! accumulated figures: the one for the latest period in effect counts.

use super::{in_effect, Clock};
use crate::domain::amount::Amount;
use crate::domain::event::EventBody;
use crate::store::record::Recorded;

/// An area of an office as defined, in definition order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AreaInfo {
    pub code: String,
    pub name: String,
    pub group: Option<String>,
}

fn areas(effective: &[&Recorded], office: &str) -> Vec<AreaInfo> {
    let mut out: Vec<AreaInfo> = Vec::new();
    let mut defs: Vec<&Recorded> = effective
        .iter()
        .copied()
        .filter(
            |r| matches!(&r.event.body, EventBody::AreaDefined { office: o, .. } if o == office),
        )
        .collect();
    defs.sort_by_key(|r| r.seq);
    for r in defs {
        if let EventBody::AreaDefined {
            area, name, group, ..
        } = &r.event.body
        {
            let info = AreaInfo {
                code: area.clone(),
                name: name.clone(),
                group: group.clone(),
            };
            match out.iter_mut().find(|a| a.code == *area) {
                Some(existing) => *existing = info,
                None => out.push(info),
            }
        }
    }
    out
}

/// Revenue, cost and net of one area in one year's internal budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Line {
    pub revenue: Option<Amount>,
    pub cost: Option<Amount>,
    pub net: Amount,
}

impl std::ops::Add for Line {
    type Output = Line;
    fn add(self, o: Line) -> Line {
        let opt = |a: Option<Amount>, b: Option<Amount>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or_default() + b.unwrap_or_default()),
        };
        Line {
            revenue: opt(self.revenue, o.revenue),
            cost: opt(self.cost, o.cost),
            net: self.net + o.net,
        }
    }
}

fn budget_line(effective: &[&Recorded], office: &str, year: i32, area: &str) -> Option<Line> {
    effective.iter().rev().find_map(|r| match &r.event.body {
        EventBody::BudgetLine {
            office: o,
            year: y,
            area: a,
            revenue,
            cost,
            net,
            ..
        } if o == office && *y == year && a == area => Some(Line {
            revenue: *revenue,
            cost: *cost,
            net: *net,
        }),
        _ => None,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetRow {
    pub area: AreaInfo,
    pub year: Option<Line>,
    pub compare: Option<Line>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetTable {
    pub office: String,
    pub year: i32,
    pub compare_year: Option<i32>,
    pub rows: Vec<BudgetRow>,
    pub total: Line,
    pub compare_total: Option<Line>,
}

/// The internal budget of `office` for `year` per area, beside `compare` if given.
pub fn budget(
    records: &[Recorded],
    office: &str,
    year: i32,
    compare: Option<i32>,
    clock: &Clock,
) -> BudgetTable {
    let effective = in_effect(records, clock);
    let rows: Vec<BudgetRow> = areas(&effective, office)
        .into_iter()
        .map(|area| BudgetRow {
            year: budget_line(&effective, office, year, &area.code),
            compare: compare.and_then(|c| budget_line(&effective, office, c, &area.code)),
            area,
        })
        .filter(|r| r.year.is_some() || r.compare.is_some())
        .collect();
    let total = rows
        .iter()
        .filter_map(|r| r.year)
        .fold(Line::default(), |a, b| a + b);
    let compare_total = compare.map(|_| {
        rows.iter()
            .filter_map(|r| r.compare)
            .fold(Line::default(), |a, b| a + b)
    });
    BudgetTable {
        office: office.to_string(),
        year,
        compare_year: compare,
        rows,
        total,
        compare_total,
    }
}

/// Budget, outcome and deviation (budget − outcome: positive means under budget). A figure not
/// decided or not reported yet is `None`, never a zero, and there is no deviation without both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Versus {
    pub budget: Option<Amount>,
    pub outcome: Option<Amount>,
}

impl Versus {
    pub fn deviation(self) -> Option<Amount> {
        Some(self.budget? - self.outcome?)
    }
}

/// A sum of figures of which some may be missing: missing only when all are.
fn sum(a: Option<Amount>, b: Option<Amount>) -> Option<Amount> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or_default() + b.unwrap_or_default()),
    }
}

impl std::ops::Add for Versus {
    type Output = Versus;
    fn add(self, o: Versus) -> Versus {
        Versus {
            budget: sum(self.budget, o.budget),
            outcome: sum(self.outcome, o.outcome),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeRow {
    Area {
        area: AreaInfo,
        figures: Versus,
        month: Option<u8>,
    },
    /// The sum of the rows of one group, printed after them.
    Subtotal { group: String, figures: Versus },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeTable {
    pub office: String,
    pub year: i32,
    pub rows: Vec<OutcomeRow>,
    pub total: Versus,
}

fn latest_outcome(
    effective: &[&Recorded],
    office: &str,
    year: i32,
    area: &str,
) -> Option<(u8, Amount)> {
    let mut best: Option<(u8, Amount)> = None;
    for r in effective {
        if let EventBody::Outcome {
            office: o,
            year: y,
            area: a,
            month,
            amount,
            ..
        } = &r.event.body
        {
            if o == office && *y == year && a == area && best.is_none_or(|(m, _)| *month >= m) {
                best = Some((*month, *amount));
            }
        }
    }
    best
}

/// Budget against outcome per area of `office` for `year`, with a subtotal per group of areas
/// (groups of one row get none) and the total.
pub fn outcome(records: &[Recorded], office: &str, year: i32, clock: &Clock) -> OutcomeTable {
    let effective = in_effect(records, clock);
    let mut rows = Vec::new();
    let mut total = Versus::default();
    let mut group_rows: Vec<(Option<String>, Versus)> = Vec::new();
    for area in areas(&effective, office) {
        let budget = budget_line(&effective, office, year, &area.code);
        let out = latest_outcome(&effective, office, year, &area.code);
        if budget.is_none() && out.is_none() {
            continue;
        }
        let figures = Versus {
            budget: budget.map(|b| b.net),
            outcome: out.map(|o| o.1),
        };
        total = total + figures;
        group_rows.push((area.group.clone(), figures));
        rows.push(OutcomeRow::Area {
            area,
            figures,
            month: out.map(|o| o.0),
        });
    }
    // Insert a subtotal after the last row of each group with more than one row.
    let mut with_subtotals = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        with_subtotals.push(row);
        let group = &group_rows[i].0;
        let ends_group = group_rows.get(i + 1).is_none_or(|(g, _)| g != group);
        if let (Some(g), true) = (group, ends_group) {
            let members: Vec<Versus> = group_rows
                .iter()
                .filter(|(gg, _)| gg.as_ref() == Some(g))
                .map(|(_, v)| *v)
                .collect();
            if members.len() > 1 {
                let figures = members.into_iter().fold(Versus::default(), |a, b| a + b);
                with_subtotals.push(OutcomeRow::Subtotal {
                    group: g.clone(),
                    figures,
                });
            }
        }
    }
    OutcomeTable {
        office: office.to_string(),
        year,
        rows: with_subtotals,
        total,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvestmentRow {
    pub project: String,
    pub budget: Option<Amount>,
    pub compare: Option<Amount>,
    pub outcome: Option<Amount>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvestmentTable {
    pub office: String,
    pub year: i32,
    pub compare_year: Option<i32>,
    pub rows: Vec<InvestmentRow>,
    pub budget_total: Amount,
    pub compare_total: Option<Amount>,
    /// Present when any outcome is recorded for the year.
    pub outcome_total: Option<Amount>,
}

/// The investment budget of `office` for `year` per project (in order of first appearance),
/// beside `compare`'s budget and the year's outcome where recorded.
pub fn investments(
    records: &[Recorded],
    office: &str,
    year: i32,
    compare: Option<i32>,
    clock: &Clock,
) -> InvestmentTable {
    let effective = in_effect(records, clock);
    let mut rows: Vec<InvestmentRow> = Vec::new();
    let mut by_seq: Vec<&&Recorded> = effective.iter().collect();
    by_seq.sort_by_key(|r| r.seq);
    for r in by_seq {
        let project = match &r.event.body {
            EventBody::InvestmentBudget {
                office: o,
                project,
                year: y,
                ..
            }
            | EventBody::InvestmentOutcome {
                office: o,
                project,
                year: y,
                ..
            } if o == office && (*y == year || Some(*y) == compare) => project,
            _ => continue,
        };
        if !rows.iter().any(|row| &row.project == project) {
            rows.push(InvestmentRow {
                project: project.clone(),
                budget: None,
                compare: None,
                outcome: None,
            });
        }
    }
    for r in &effective {
        let row = |p: &String, rows: &mut Vec<InvestmentRow>| {
            rows.iter().position(|row| &row.project == p)
        };
        match &r.event.body {
            EventBody::InvestmentBudget {
                office: o,
                project,
                year: y,
                amount,
                ..
            } if o == office => {
                if let Some(i) = row(project, &mut rows) {
                    if *y == year {
                        rows[i].budget = Some(*amount);
                    } else if Some(*y) == compare {
                        rows[i].compare = Some(*amount);
                    }
                }
            }
            EventBody::InvestmentOutcome {
                office: o,
                project,
                year: y,
                amount,
                ..
            } if o == office && *y == year => {
                if let Some(i) = row(project, &mut rows) {
                    rows[i].outcome = Some(*amount);
                }
            }
            _ => {}
        }
    }
    let budget_total = rows.iter().filter_map(|r| r.budget).sum();
    let compare_total = compare.map(|_| rows.iter().filter_map(|r| r.compare).sum());
    let outcome_total = rows
        .iter()
        .any(|r| r.outcome.is_some())
        .then(|| rows.iter().filter_map(|r| r.outcome).sum());
    InvestmentTable {
        office: office.to_string(),
        year,
        compare_year: compare,
        rows,
        budget_total,
        compare_total,
        outcome_total,
    }
}
