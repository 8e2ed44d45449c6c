//! The internal-control rules a revisor runs over a year: decision authority against the
//! delegation table, missing case numbers, decisions dated on a day off, transfers that do not net
//! to zero, internal budgets that do not sum to the frame, four eyes, late recording, changes after
//! a year was closed, and published figures that do not reconcile (`reconcile.rs`) or goal
//! statuses their indicators contradict (`goals.rs`). Each rule has one severity;
//! its findings are grouped by cause, each group with its count and a few examples. Pure: records
//! and settings in, a [`Report`] out.

use super::approvals::Attest;
use super::delegation::Delegation;
use super::finding::{describe, tkr, Causes, Finding, Severity, RULES};
use crate::domain::amount::Amount;
use crate::domain::calendar::day_off;
use crate::domain::event::{Event, EventBody};
use crate::projection::budget::budget;
use crate::projection::frames::frame;
use crate::projection::{corrected_ids, Clock};
use crate::store::record::Recorded;
use std::collections::{BTreeMap, HashMap};

/// The events of the year recorded as a transcription of earlier documents (`import --backfill`):
/// not tried against late recording and four eyes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backfilled {
    pub events: usize,
    /// The sources they name, each once, in log order.
    pub sources: Vec<String>,
}

/// What `control` found for a year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub year: i32,
    /// Errors first, then warnings, then notes; within a severity in the order of [`RULES`].
    pub findings: Vec<Finding>,
    pub backfilled: Backfilled,
    /// The delegation orders decisions were tried against.
    pub delegation: Basis,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub year: i32,
    /// Days between decision and recording beyond which recording is late.
    pub late_days: i64,
    /// A delegation order given for this run (`--delegation FILE`), with the name to cite it
    /// by: tried instead of the ledger's own orders. `None`: the ledger's own, by date.
    pub delegation: Option<(Delegation, String)>,
}

/// A delegation order the ledger holds: a `delegation_set` decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub seq: u64,
    pub name: String,
    pub body: String,
    pub date: crate::domain::event::Date,
}

/// Which delegation orders a report tried decisions against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    /// One order given for the run, by name (a file).
    Given(String),
    /// The ledger's own orders, by decision date (none: nothing was tried).
    Ledger(Vec<Order>),
}

impl Basis {
    /// In one line, for the report and the page.
    pub fn describe(&self) -> String {
        match self {
            Basis::Given(name) => format!("{name} (angiven för körningen)"),
            Basis::Ledger(orders) if orders.is_empty() => {
                "ingen: liggaren har ingen delegationsordning (delegation_set)".to_string()
            }
            Basis::Ledger(orders) => orders
                .iter()
                .map(|o| format!("{} ({} {}, seq {})", o.name, o.body, o.date, o.seq))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

fn is_backfilled(e: &Event) -> bool {
    e.provenance.backfill.is_some()
}

/// Runs every rule over the events of `settings.year` in effect (corrected events excluded).
pub fn control(records: &[Recorded], settings: &Settings) -> Report {
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
    // Transcribed entries were never recorded at decision time nor attested in the ledger.
    let attested: Vec<&Recorded> = of_year
        .iter()
        .copied()
        .filter(|r| !is_backfilled(&r.event))
        .collect();
    let mut out = Vec::new();
    let orders = ledger_orders(&live);
    let basis = match &settings.delegation {
        Some((_, name)) => Basis::Given(name.clone()),
        None => Basis::Ledger(orders.iter().map(|(o, _)| o.clone()).collect()),
    };
    delegation_rules(
        &live,
        &of_year,
        settings.delegation.as_ref().map(|(d, _)| d),
        &orders,
        &mut out,
    );
    net_zero_rule(&of_year, settings.year, &mut out);
    budget_equals_frame(records, &of_year, settings.year, &mut out);
    four_eyes(&live, &attested, &mut out);
    closed(&live, &of_year, settings.year, &mut out);
    super::reconcile::reconcile(records, &of_year, &mut out);
    super::claims::counts(records, &of_year, &mut out);
    super::claims::targets(records, &of_year, &mut out);
    super::claims::savings_base(records, &of_year, &mut out);
    reference_rule(&of_year, &mut out);
    late(&attested, settings.late_days, &mut out);
    day_off_rule(&of_year, &mut out);
    super::goals::assessment_rule(records, settings.year, &mut out);
    // Stable: causes keep the order they were met in, rules the order of RULES.
    let rank = |f: &Finding| RULES.iter().position(|r| r.name == f.rule);
    out.sort_by_key(|f| (f.severity, rank(f)));
    Report {
        year: settings.year,
        findings: out,
        backfilled: backfilled(&of_year),
        delegation: basis,
    }
}

/// The ledger's delegation orders in effect, by decision date (then sequence).
fn ledger_orders(live: &[&Recorded]) -> Vec<(Order, Delegation)> {
    let mut orders: Vec<(Order, Delegation)> = live
        .iter()
        .filter_map(|r| {
            let table = Delegation::from_event(&r.event.body)?;
            let d = r.event.body.decision()?;
            Some((
                Order {
                    seq: r.seq,
                    name: table.name.clone(),
                    body: d.body.clone(),
                    date: d.date,
                },
                table,
            ))
        })
        .collect();
    orders.sort_by_key(|(o, _)| (o.date, o.seq));
    orders
}

/// The budget decisions every delegation rule is about: without an order in force, these are
/// the decisions left untried.
const BUDGET_DECISIONS: [&str; 6] = [
    "frame_set",
    "frame_changed",
    "savings_required",
    "transfer",
    "budget_line",
    "investment_budget",
];

fn backfilled(of_year: &[&Recorded]) -> Backfilled {
    let mut b = Backfilled::default();
    for r in of_year {
        if let Some(s) = &r.event.provenance.backfill {
            b.events += 1;
            if !b.sources.contains(s) {
                b.sources.push(s.clone());
            }
        }
    }
    b
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
    given: Option<&Delegation>,
    orders: &[(Order, Delegation)],
    out: &mut Vec<Finding>,
) {
    let committees = committees(live);
    let mut causes: BTreeMap<&str, Causes> = BTreeMap::new();
    let mut untried = Causes::new("delegation.none");
    for r in of_year {
        let body = &r.event.body;
        let Some(d) = body.decision() else { continue };
        if matches!(body, EventBody::DelegationSet { .. }) {
            continue;
        }
        // The order in force on the decision's date: the latest decided on or before it.
        let in_force = given.or_else(|| {
            orders
                .iter()
                .rev()
                .find(|(o, _)| o.date <= d.date)
                .map(|(_, t)| t)
        });
        let Some(table) = in_force else {
            let kind = body.type_name();
            if BUDGET_DECISIONS.contains(&kind) || orders.iter().any(|(_, t)| t.rules_on(kind)) {
                let cause = match orders.first() {
                    None => "liggaren har ingen delegationsordning (delegation_set): besluten har inte prövats mot någon".to_string(),
                    Some((first, _)) => format!(
                        "ingen delegationsordning i kraft före {} (den första i liggaren): besluten har inte prövats",
                        first.date
                    ),
                };
                untried.add(cause, &[r.seq], || describe(r));
            }
            continue;
        };
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
        let name = match body {
            EventBody::Transfer { .. } => "delegation.transfer",
            EventBody::FrameSet { .. }
            | EventBody::FrameChanged { .. }
            | EventBody::SavingsRequired { .. }
                if table.net_zero_only.contains(&d.body) =>
            {
                "delegation.director_not_net_zero"
            }
            _ => "delegation.frame",
        };
        let allowed = table.allowed(body.type_name()).join(", ");
        causes.entry(name).or_insert_with(|| Causes::new(name)).add(
            format!(
                "{} beslutad av {}; delegationsordningen '{}' tillåter bara {allowed}",
                body.type_name(),
                d.body,
                table.name
            ),
            &[r.seq],
            || describe(r),
        );
    }
    for c in causes.into_values() {
        c.into_findings(out);
    }
    untried.into_findings(out);
}

/// Political decisions need a case number and a paragraph; an activity is the office's own
/// planning, not a political decision, and needs neither.
fn reference_rule(of_year: &[&Recorded], out: &mut Vec<Finding>) {
    let mut causes = Causes::new("decision.reference");
    for r in of_year {
        if matches!(r.event.body, EventBody::ActivityDefined { .. }) {
            continue;
        }
        let Some(d) = r.event.body.decision() else {
            continue;
        };
        let missing = match (&d.case, &d.paragraph) {
            (None, None) => "ärendebeteckning och paragraf",
            (None, Some(_)) => "ärendebeteckning",
            (Some(_), None) => "paragraf",
            _ => continue,
        };
        causes.add(
            format!("{}:s beslut {} saknar {missing}", d.body, d.date),
            &[r.seq],
            || describe(r),
        );
    }
    causes.into_findings(out);
}

/// A decision dated on a Saturday, Sunday or Swedish holiday: a note, since such a date is
/// more often a transcription's assumption or a typing error than a meeting.
fn day_off_rule(of_year: &[&Recorded], out: &mut Vec<Finding>) {
    let mut causes = Causes::new("decision.day_off");
    for r in of_year {
        let Some(d) = r.event.body.decision() else {
            continue;
        };
        if let Some(why) = day_off(d.date) {
            let assumed = if r.event.assumes("decision.date") {
                " (datumet är antaget)"
            } else {
                ""
            };
            causes.add(
                format!(
                    "{}:s beslut daterat {} är en {why}{assumed}",
                    d.body, d.date
                ),
                &[r.seq],
                || describe(r),
            );
        }
    }
    causes.into_findings(out);
}

fn net_zero_rule(of_year: &[&Recorded], year: i32, out: &mut Vec<Finding>) {
    // A transfer event is net zero by construction; one-sided changes booked as moves between
    // offices ("ramväxling", "överföring") must net to zero across the municipality too.
    let mut net = Amount::ZERO;
    let mut moves: Vec<&Recorded> = Vec::new();
    for r in of_year {
        if let EventBody::FrameChanged {
            amount, category, ..
        } = &r.event.body
        {
            let c = category.to_lowercase();
            if c.contains("växling") || c.contains("överföring") || c.contains("transfer") {
                net += *amount;
                moves.push(r);
            }
        }
    }
    if net.is_zero() {
        return;
    }
    let mut causes = Causes::new("transfers.net_zero");
    for r in moves {
        causes.add(
            format!(
                "ram som flyttas mellan förvaltningar {year} blir netto {}, inte noll",
                tkr(net, 1)
            ),
            &[r.seq],
            || describe(r),
        );
    }
    causes.into_findings(out);
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
    let mut causes = Causes::new("budget.equals_frame");
    for office in offices {
        let internal = budget(records, &office, year, None, &clock).total.net;
        match frame(records, &office, year, &clock) {
            Some(f) if f.frame == internal => {}
            Some(f) => causes.add(
                "internbudgeten summerar inte till budgetramen".into(),
                &[],
                || {
                    format!(
                        "{office} {year}: internbudget {}, budgetram {} (skillnad {})",
                        tkr(internal, 1),
                        tkr(f.frame, 1),
                        tkr(internal - f.frame, 1)
                    )
                },
            ),
            None => causes.add("internbudget utan budgetram".into(), &[], || {
                format!("{office} {year}: internbudget {}", tkr(internal, 1))
            }),
        }
    }
    causes.into_findings(out);
}

fn four_eyes(live: &[&Recorded], attested: &[&Recorded], out: &mut Vec<Finding>) {
    let attests = super::approvals::attests(live);
    let mut never = Causes::new("four_eyes");
    let mut own = Causes::new("four_eyes.own_recorder");
    for r in attested {
        if !super::approvals::needs_attest(r) {
            continue;
        }
        match super::approvals::state(r, &attests) {
            Attest::Never => never.add(
                format!("registrerad av {}, aldrig attesterad", r.recorded_by),
                &[r.seq],
                || describe(r),
            ),
            Attest::OwnOnly(by) => {
                let seqs: Vec<u64> = std::iter::once(r.seq)
                    .chain(by.iter().map(|a| a.seq))
                    .collect();
                own.add(
                    format!("attesterad bara av sin egen registrerare {}", r.recorded_by),
                    &seqs,
                    || describe(r),
                )
            }
            Attest::ByOther => {}
        }
    }
    own.into_findings(out);
    never.into_findings(out);
}

fn late(attested: &[&Recorded], late_days: i64, out: &mut Vec<Finding>) {
    let mut causes = Causes::new("recorded.late");
    for r in attested {
        let Some(d) = r.event.body.decision() else {
            continue;
        };
        let days = (r.recorded_at.date_naive() - d.date.0).num_days();
        if days > late_days {
            causes.add(
                format!("registrerad mer än {late_days} dagar efter beslutet"),
                &[r.seq],
                || format!("{}, registrerad {days} dagar efter", describe(r)),
            );
        }
    }
    causes.into_findings(out);
}

fn closed(live: &[&Recorded], of_year: &[&Recorded], year: i32, out: &mut Vec<Finding>) {
    let mut causes = Causes::new("year.closed");
    for closing in live {
        let EventBody::YearClosed {
            office, year: y, ..
        } = &closing.event.body
        else {
            continue;
        };
        if *y != year {
            continue;
        }
        let whom = office
            .as_ref()
            .map_or("alla förvaltningar".to_string(), |o| o.clone());
        for r in of_year.iter().filter(|r| {
            r.seq > closing.seq
                && r.event.body.decision().is_some()
                && office
                    .as_ref()
                    .is_none_or(|o| r.event.body.offices().contains(&o.as_str()))
        }) {
            causes.add(
                format!(
                    "registrerad efter att {year} stängts för {whom} (seq {})",
                    closing.seq
                ),
                &[closing.seq, r.seq],
                || describe(r),
            );
        }
    }
    causes.into_findings(out);
}
