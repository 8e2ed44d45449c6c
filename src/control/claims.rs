//! The rules that reconcile what a document counts and targets with the ledger:
//! `reported.count` (a printed count of activities, assignments or goals against the ledger's, as
//! of the document's date, and a count by status against the printed total), `reported.share`
//! (a printed share against its count and total), `reported.unverifiable` (a count whose items the
//! ledger does not hold: it cannot be checked, and says so) and `reported.target` (a printed
//! target against the target decided); and `savings.base`, a savings requirement whose rate is not
//! that rate of the frame. Pure: records in, findings out.

use super::finding::{tkr, Causes, Finding};
use super::reconcile::matches_printed;
use crate::domain::amount::Amount;
use crate::domain::event::{Counted, Date, EventBody, GoalLevel, Status};
use crate::domain::measure::Measure;
use crate::projection::frames::frame;
use crate::projection::indicators::indicators;
use crate::projection::{in_effect, Clock};
use crate::store::record::Recorded;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeSet, HashMap};

fn clock_at(date: Date) -> Clock {
    Clock {
        as_of: Some(date),
        known_at: None,
    }
}

/// What a count counts, in Swedish.
fn items_word(items: Counted) -> &'static str {
    match items {
        Counted::Activities => "aktiviteter",
        Counted::Assignments => "uppdrag",
        Counted::CommitteeGoals => "nämndsmål",
        Counted::CouncilGoalsBrokenDown => "fullmäktigemål som brutits ner i nämndsmål",
    }
}

/// Whether an item of `item_office` counts for `office`: its own, or one that names no office
/// (a ledger of one committee's goals need not name it on each).
fn of_office(item_office: Option<&str>, office: &str) -> bool {
    item_office.is_none_or(|o| o == office)
}

/// The items of `office` and `year` the ledger holds as of `date` (their codes), and each one's
/// latest status on that date.
fn items_at(
    records: &[Recorded],
    office: &str,
    year: i32,
    items: Counted,
    date: Date,
) -> (Vec<String>, HashMap<String, Status>) {
    let effective = in_effect(records, &clock_at(date));
    let mut goal_office: HashMap<&str, Option<&str>> = HashMap::new();
    let mut found: Vec<String> = Vec::new();
    let mut broken_down: BTreeSet<String> = BTreeSet::new();
    let mut statuses: HashMap<String, Status> = HashMap::new();
    for r in &effective {
        match &r.event.body {
            EventBody::GoalDefined {
                goal,
                office: o,
                level,
                parent,
                year: y,
                ..
            } => {
                goal_office.insert(goal, o.as_deref());
                if *y == year && *level == GoalLevel::Committee && of_office(o.as_deref(), office) {
                    if items == Counted::CommitteeGoals {
                        found.push(goal.clone());
                    }
                    if let Some(p) = parent {
                        broken_down.insert(p.clone());
                    }
                }
            }
            EventBody::ActivityDefined {
                activity,
                goal,
                start,
                ..
            } if items == Counted::Activities && start.year() == year => {
                let o = goal_office.get(goal.as_str()).copied().flatten();
                if of_office(o, office) {
                    found.push(activity.clone());
                }
            }
            EventBody::AssignmentDefined {
                assignment,
                office: o,
                year: y,
                ..
            } if items == Counted::Assignments && *y == year && of_office(o.as_deref(), office) => {
                found.push(assignment.clone());
            }
            EventBody::StatusUpdated { target, status, .. } => {
                statuses.insert(target.clone(), *status);
            }
            _ => {}
        }
    }
    if items == Counted::CouncilGoalsBrokenDown {
        found = broken_down.into_iter().collect();
    }
    (found, statuses)
}

/// `count / total` in per cent, rounded half away from zero at the printed share's decimals.
fn share(count: u32, total: u32, printed: Measure) -> Option<Decimal> {
    if total == 0 {
        return None;
    }
    let exact = Decimal::from(count) * Decimal::ONE_HUNDRED / Decimal::from(total);
    Some(exact.round_dp_with_strategy(
        printed.decimal().scale(),
        RoundingStrategy::MidpointAwayFromZero,
    ))
}

/// The counts of one printed table: its source, office, what it counts and its date.
type CountKey<'a> = (&'a str, &'a str, Counted, Date);

pub(super) fn counts(records: &[Recorded], of_year: &[&Recorded], out: &mut Vec<Finding>) {
    let mut wrong = Causes::new("reported.count");
    let mut shares = Causes::new("reported.share");
    let mut unverifiable = Causes::new("reported.unverifiable");
    // The printed totals, for the counts by status and the shares beside them.
    let mut totals: HashMap<CountKey, (u32, u64)> = HashMap::new();
    for r in of_year {
        if let EventBody::ReportedCount {
            office,
            items,
            status: None,
            count,
            source,
            date,
            ..
        } = &r.event.body
        {
            totals.insert((source, office, *items, *date), (*count, r.seq));
        }
    }
    let mut by_status: HashMap<CountKey, (u32, Vec<u64>)> = HashMap::new();
    for r in of_year {
        let EventBody::ReportedCount {
            office,
            year,
            items,
            status,
            count,
            share_percent,
            source,
            date,
        } = &r.event.body
        else {
            continue;
        };
        let what = match status {
            Some(s) => format!("{} {}", items_word(*items), s.name()),
            None => items_word(*items).to_string(),
        };
        let key = (source.as_str(), office.as_str(), *items, *date);
        if status.is_some() {
            let e = by_status.entry(key).or_default();
            e.0 += count;
            e.1.push(r.seq);
        }
        if let (Some(printed), Some(&(total, _))) = (share_percent, totals.get(&key)) {
            if let Some(exact) = share(*count, total, *printed) {
                if exact != printed.decimal() {
                    shares.add(
                        format!("{source}: tryckt andel stämmer inte med tryckt antal"),
                        &[r.seq],
                        || {
                            format!(
                                "seq {}: {what} {office} {year}: tryckt {} % men {count} av {total} är {} %",
                                r.seq,
                                printed.plain().replace('.', ","),
                                exact.normalize().to_string().replace('.', ",")
                            )
                        },
                    );
                }
            }
        }
        let (found, statuses) = items_at(records, office, *year, *items, *date);
        if found.is_empty() {
            unverifiable.add(
                format!("{source}: kan inte kontrolleras, posterna finns inte i liggaren"),
                &[r.seq],
                || format!("seq {}: {what} {office} {year}: tryckt {count}", r.seq),
            );
            continue;
        }
        let ledger = match status {
            None => found.len(),
            Some(s) => found.iter().filter(|c| statuses.get(*c) == Some(s)).count(),
        };
        if ledger != *count as usize {
            wrong.add(
                format!("{source}: tryckt antal stämmer inte med liggaren"),
                &[r.seq],
                || {
                    format!(
                        "seq {}: {what} {office} {year}: tryckt {count} men liggaren har {ledger} per {date}",
                        r.seq
                    )
                },
            );
        }
    }
    // Counts by status that do not add to the printed total.
    let mut keys: Vec<_> = by_status.keys().copied().collect();
    keys.sort_by_key(|k| by_status[k].1.first().copied());
    for key in keys {
        let (sum, seqs) = &by_status[&key];
        if let Some(&(total, total_seq)) = totals.get(&key) {
            if *sum != total {
                let (source, office, items, _) = key;
                let mut all = seqs.clone();
                all.push(total_seq);
                wrong.add(
                    format!("{source}: tryckta antal per status summerar inte till tryckt totalt"),
                    &all,
                    || {
                        format!(
                            "{} {office}: per status {sum}, totalt tryckt {total}",
                            items_word(items)
                        )
                    },
                );
            }
        }
    }
    wrong.into_findings(out);
    shares.into_findings(out);
    unverifiable.into_findings(out);
}

pub(super) fn targets(records: &[Recorded], of_year: &[&Recorded], out: &mut Vec<Finding>) {
    let mut causes = Causes::new("reported.target");
    for r in of_year {
        let EventBody::ReportedTarget {
            indicator,
            year,
            value,
            source,
            date,
        } = &r.event.body
        else {
            continue;
        };
        let report = indicators(records, *year, None, &clock_at(*date));
        let decided = report
            .rows
            .iter()
            .find(|row| &row.indicator == indicator)
            .and_then(|row| row.target);
        match decided {
            Some(t) if t == *value => {}
            Some(t) => causes.add(
                format!("{source}: tryckt målvärde stämmer inte med beslutat"),
                &[r.seq],
                || {
                    format!(
                        "seq {}: {indicator} {year}: tryckt {} men beslutat {} per {date}",
                        r.seq,
                        value.plain().replace('.', ","),
                        t.plain().replace('.', ",")
                    )
                },
            ),
            None => causes.add(
                format!("{source}: liggaren har inget beslutat målvärde"),
                &[r.seq],
                || {
                    format!(
                        "seq {}: {indicator} {year}: tryckt {} men inget målvärde beslutat per {date}",
                        r.seq,
                        value.plain().replace('.', ",")
                    )
                },
            ),
        }
    }
    causes.into_findings(out);
}

/// A savings requirement given as a rate (`1 %`) claims a base: the rule `savings.base` notes one
/// whose amount is that rate of neither the office's frame of the year before nor its frame of the
/// year before the requirement (both as of its decision), at whole tkr.
pub(super) fn savings_base(records: &[Recorded], of_year: &[&Recorded], out: &mut Vec<Finding>) {
    let mut causes = Causes::new("savings.base");
    for r in of_year {
        let EventBody::SavingsRequired {
            office,
            year,
            amount,
            rate_percent: Some(rate),
            decision,
            ..
        } = &r.event.body
        else {
            continue;
        };
        let Ok(rate) = rate.replace(',', ".").parse::<Decimal>() else {
            continue;
        };
        let clock = clock_at(decision.date);
        let before = frame(records, office, year - 1, &clock).map(|f| (year - 1, f.frame));
        let this = frame(records, office, *year, &clock).map(|f| (*year, f.frame + *amount));
        let bases: Vec<(i32, Amount)> = before.into_iter().chain(this).collect();
        let of = |base: Amount| {
            let ore = Decimal::from_i128_with_scale(base.ore(), 0) * rate / Decimal::ONE_HUNDRED;
            let ore = ore.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            Amount::from_i128(ore.mantissa())
        };
        if bases.is_empty()
            || bases
                .iter()
                .any(|(_, b)| matches_printed(*amount, 100_000, of(*b)))
        {
            continue;
        }
        let rate_text = rate.normalize().to_string().replace('.', ",");
        causes.add(
            "ett besparingskrav angivet i procent är inte den procentsatsen av ramen: grunden framgår inte".into(),
            &[r.seq],
            || {
                let tried = bases
                    .iter()
                    .map(|(y, b)| format!("av {y} års ram {} är {}", tkr(*b, 0), tkr(of(*b), 1)))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "seq {}: besparingskrav {office} {year}, {} ({rate_text} %): {rate_text} % {tried}",
                    r.seq,
                    tkr(*amount, 0)
                )
            },
        );
    }
    causes.into_findings(out);
}
