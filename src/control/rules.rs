//! The internal-control rules a revisor runs over a year: decision authority against the
//! delegation table, missing case numbers, transfers that do not net to zero, internal budgets that
//! do not sum to the frame, four eyes, late recording, changes after a year was closed, and
//! published figures that do not reconcile. Pure: records and settings in, findings out.

use super::delegation::Delegation;
use crate::domain::amount::Amount;
use crate::domain::event::{EventBody, ReportedColumn, ReportedTable};
use crate::domain::text::person_key;
use crate::projection::budget::{budget, investments, outcome, OutcomeRow};
use crate::projection::frames::frame;
use crate::projection::{corrected_ids, Clock};
use crate::store::record::Recorded;
use std::collections::{BTreeMap, HashMap};

/// The rules, by the name findings carry.
pub const RULES: [(&str, &str); 11] = [
    ("delegation.transfer", "a transfer between committees decided by a body that may not"),
    ("delegation.frame", "a frame, frame change or savings requirement decided below the council"),
    ("delegation.director_not_net_zero", "a one-sided frame change by the municipal director (only net-zero transfers are delegated)"),
    ("decision.reference", "a budget event without case number or paragraph"),
    ("transfers.net_zero", "frame moved between offices does not net to zero across the municipality"),
    ("budget.equals_frame", "an office's internal budget does not sum to its frame"),
    ("four_eyes", "a budget entry never approved, or approved by its own recorder"),
    ("recorded.late", "an event recorded long after its decision"),
    ("year.closed", "a change to a year after it was closed"),
    ("reported.reconciles", "a published figure differs from what the ledger computes"),
    super::goals::RULE,
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub seqs: Vec<u64>,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub year: i32,
    /// Days between decision and recording beyond which recording is late.
    pub late_days: i64,
    pub delegation: Delegation,
}

fn finding(rule: &'static str, seqs: Vec<u64>, message: String) -> Finding {
    Finding {
        rule,
        seqs,
        message,
    }
}

/// Runs every rule over the events of `settings.year` in effect (corrected events excluded).
pub fn control(records: &[Recorded], settings: &Settings) -> Vec<Finding> {
    let clock = Clock::default();
    let corrected = corrected_ids(records, &clock);
    let live: Vec<&Recorded> = records
        .iter()
        .filter(|r| !corrected.contains(&r.event.id))
        .collect();
    let of_year: Vec<&Recorded> = live
        .iter()
        .copied()
        .filter(|r| r.event.body.year() == Some(settings.year))
        .collect();
    let mut out = Vec::new();
    delegation_rules(&live, &of_year, &settings.delegation, &mut out);
    reference_rule(&of_year, &mut out);
    net_zero_rule(&of_year, settings.year, &mut out);
    budget_equals_frame(records, &of_year, settings.year, &mut out);
    four_eyes(&live, &of_year, &mut out);
    late(&of_year, settings.late_days, &mut out);
    closed(&live, &of_year, settings.year, &mut out);
    reconcile(records, &of_year, &mut out);
    super::goals::assessment_rule(records, settings.year, &mut out);
    out
}

fn committees(live: &[&Recorded]) -> HashMap<String, String> {
    live.iter()
        .filter_map(|r| match &r.event.body {
            EventBody::OfficeDefined {
                office,
                committee: Some(c),
                ..
            } => Some((office.clone(), c.clone())),
            _ => None,
        })
        .collect()
}

fn delegation_rules(
    live: &[&Recorded],
    of_year: &[&Recorded],
    table: &Delegation,
    out: &mut Vec<Finding>,
) {
    let committees = committees(live);
    for r in of_year {
        let body = &r.event.body;
        let Some(d) = body.decision() else { continue };
        let office = body
            .offices()
            .first()
            .map(|o| o.to_string())
            .unwrap_or_default();
        if table.allows(
            body.type_name(),
            &d.body,
            committees.get(&office).map(String::as_str),
        ) {
            continue;
        }
        let rule = match body {
            EventBody::Transfer { .. } => "delegation.transfer",
            EventBody::FrameSet { .. }
            | EventBody::FrameChanged { .. }
            | EventBody::SavingsRequired { .. }
                if table.net_zero_only.contains(&d.body) =>
            {
                "delegation.director_not_net_zero"
            }
            EventBody::FrameSet { .. }
            | EventBody::FrameChanged { .. }
            | EventBody::SavingsRequired { .. } => "delegation.frame",
            _ => "delegation.frame",
        };
        out.push(finding(
            rule,
            vec![r.seq],
            format!(
                "{} for {office} decided by {} on {}, but the delegation table allows only {}",
                body.type_name(),
                d.body,
                d.date,
                table.allowed(body.type_name()).join(", ")
            ),
        ));
    }
}

fn reference_rule(of_year: &[&Recorded], out: &mut Vec<Finding>) {
    let mut by_kind: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in of_year {
        let Some(d) = r.event.body.decision() else {
            continue;
        };
        let missing = match (&d.case, &d.paragraph) {
            (None, None) => "case number and paragraph",
            (None, Some(_)) => "case number",
            (Some(_), None) => "paragraph",
            _ => continue,
        };
        by_kind
            .entry(format!("{} without {missing}", r.event.body.type_name()))
            .or_default()
            .push(r.seq);
    }
    for (what, seqs) in by_kind {
        out.push(finding(
            "decision.reference",
            seqs.clone(),
            format!("{} events: {what}", seqs.len()),
        ));
    }
}

fn net_zero_rule(of_year: &[&Recorded], year: i32, out: &mut Vec<Finding>) {
    // A transfer event is net zero by construction; one-sided changes booked as moves between
    // offices ("ramväxling", "överföring") must net to zero across the municipality too.
    let mut net = Amount::ZERO;
    let mut seqs = Vec::new();
    for r in of_year {
        if let EventBody::FrameChanged {
            amount, category, ..
        } = &r.event.body
        {
            let c = category.to_lowercase();
            if c.contains("växling") || c.contains("överföring") || c.contains("transfer") {
                net += *amount;
                seqs.push(r.seq);
            }
        }
    }
    if !net.is_zero() {
        out.push(finding(
            "transfers.net_zero",
            seqs,
            format!("frame moved between offices in {year} nets to {net}, not zero"),
        ));
    }
}

fn budget_equals_frame(
    records: &[Recorded],
    of_year: &[&Recorded],
    year: i32,
    out: &mut Vec<Finding>,
) {
    let offices: Vec<String> = of_year
        .iter()
        .filter_map(|r| match &r.event.body {
            EventBody::BudgetLine { office, .. } => Some(office.clone()),
            _ => None,
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let clock = Clock::default();
    for office in offices {
        let internal = budget(records, &office, year, None, &clock).total.net;
        match frame(records, &office, year, &clock) {
            Some(f) if f.frame == internal => {}
            Some(f) => out.push(finding(
                "budget.equals_frame",
                vec![],
                format!("{office} {year}: the internal budget sums to {internal} but the frame is {} (difference {})", f.frame, internal - f.frame),
            )),
            None => out.push(finding("budget.equals_frame", vec![], format!("{office} {year}: an internal budget of {internal} but no frame"))),
        }
    }
}

fn four_eyes(live: &[&Recorded], of_year: &[&Recorded], out: &mut Vec<Finding>) {
    let mut approvals: HashMap<uuid::Uuid, Vec<&Recorded>> = HashMap::new();
    for r in live {
        if let EventBody::Approved { event, .. } = &r.event.body {
            approvals.entry(*event).or_default().push(r);
        }
    }
    let mut never = Vec::new();
    for r in of_year {
        if r.event.body.decision().is_none() {
            continue;
        }
        match approvals.get(&r.event.id) {
            None => never.push(r.seq),
            Some(by)
                if by
                    .iter()
                    .all(|a| person_key(&a.recorded_by) == person_key(&r.recorded_by)) =>
            {
                out.push(finding(
                    "four_eyes",
                    std::iter::once(r.seq)
                        .chain(by.iter().map(|a| a.seq))
                        .collect(),
                    format!(
                        "{} (seq {}) was approved only by its own recorder {}",
                        r.event.body.type_name(),
                        r.seq,
                        r.recorded_by
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    if !never.is_empty() {
        out.push(finding(
            "four_eyes",
            never.clone(),
            format!("{} budget entries were never approved", never.len()),
        ));
    }
}

fn late(of_year: &[&Recorded], late_days: i64, out: &mut Vec<Finding>) {
    let late: Vec<u64> = of_year
        .iter()
        .filter(|r| {
            r.event
                .body
                .decision()
                .is_some_and(|d| (r.recorded_at.date_naive() - d.date.0).num_days() > late_days)
        })
        .map(|r| r.seq)
        .collect();
    if !late.is_empty() {
        out.push(finding(
            "recorded.late",
            late.clone(),
            format!(
                "{} events recorded more than {late_days} days after their decision",
                late.len()
            ),
        ));
    }
}

fn closed(live: &[&Recorded], of_year: &[&Recorded], year: i32, out: &mut Vec<Finding>) {
    let closings: Vec<(&Recorded, Option<&String>)> = live
        .iter()
        .filter_map(|r| match &r.event.body {
            EventBody::YearClosed {
                office, year: y, ..
            } if *y == year => Some((*r, office.as_ref())),
            _ => None,
        })
        .collect();
    for (closing, office) in closings {
        let after: Vec<u64> = of_year
            .iter()
            .filter(|r| r.seq > closing.seq && r.event.body.decision().is_some())
            .filter(|r| office.is_none_or(|o| r.event.body.offices().contains(&o.as_str())))
            .map(|r| r.seq)
            .collect();
        if !after.is_empty() {
            let whom = office.map_or("every office".to_string(), |o| o.clone());
            out.push(finding(
                "year.closed",
                std::iter::once(closing.seq)
                    .chain(after.iter().copied())
                    .collect(),
                format!(
                    "{} changes to {year} recorded after it was closed for {whom} (seq {})",
                    after.len(),
                    closing.seq
                ),
            ));
        }
    }
}

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

fn reconcile(records: &[Recorded], of_year: &[&Recorded], out: &mut Vec<Finding>) {
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
        match computed(records, &r.event.body) {
            Some(c) if matches_printed(*amount, *precision_ore, c) => {}
            Some(c) => out.push(finding(
                "reported.reconciles",
                vec![r.seq],
                format!(
                    "{source}: {} {office} {year}, row '{row}', {}: printed {} but the ledger computes {} (difference {})",
                    report.name(),
                    column.name(),
                    amount,
                    c,
                    *amount - c
                ),
            )),
            None => out.push(finding(
                "reported.reconciles",
                vec![r.seq],
                format!("{source}: {} {office} {year}, row '{row}': the ledger has no such figure", report.name()),
            )),
        }
    }
}
