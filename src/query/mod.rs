//! The query layer: every question the CLI and the server answer, read from the persisted index
//! (`crate::index`) so that a question reads the entries of its question, not the log. Both
//! adapters call these functions; neither calls the other.
//!
//! Each question gathers the records its projection needs (an office-year's frame events, an
//! office's definitions, a year's goals and their statuses, …) plus the corrections, and hands
//! them to the same pure fold (`crate::projection`) that the tests run over the whole log: the
//! fold over everything is the reference, the index only chooses what it reads.

pub mod effects;
pub mod export;
pub mod options;
pub mod preview;
mod reader;

pub use options::{clock, render, Common, Format, Rendered, SignArg};
pub use reader::Reader;

use crate::domain::event::{Date, EventBody};
use crate::index::{self, prefix, Kind};
use crate::ledger::{Ledger, LedgerError};
use crate::projection::frame_index::FrameIndex;
use crate::projection::frames::{self, Bridge, FrameRow};
use crate::projection::goals::{self, GoalsReport};
use crate::projection::history::{self, Diff, History};
use crate::projection::indicators::{self, IndicatorsReport};
use crate::projection::{budget, Clock};
use crate::report as r;
use crate::store::record::Recorded;
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

type Result<T> = std::result::Result<T, LedgerError>;

/// The reports every adapter offers.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum Report {
    /// Varje förvaltnings nettoram för ett år.
    Frames {
        /// Budgetåret.
        #[arg(long)]
        year: i32,
    },
    /// Hur en förvaltnings budgetram gick från ett år till nästa, beslut för beslut.
    Bridge {
        /// Förvaltningens kod, t.ex. KLK.
        #[arg(long)]
        office: String,
        /// Året bryggan börjar i.
        #[arg(long)]
        from: i32,
        /// Året bryggan slutar i.
        #[arg(long)]
        to: i32,
    },
    /// Internbudgeten per verksamhetsområde: intäkter, kostnader, netto och skillnaden mot ett
    /// annat år.
    Budget {
        /// Förvaltningens kod, t.ex. KLK.
        #[arg(long)]
        office: String,
        /// Budgetåret.
        #[arg(long)]
        year: i32,
        /// Året att jämföra med (standard: året före).
        #[arg(long)]
        compare: Option<i32>,
    },
    /// Budget, utfall och avvikelse per enhet, med delsummor.
    Outcome {
        /// Förvaltningens kod, t.ex. KLK.
        #[arg(long)]
        office: String,
        /// Budgetåret.
        #[arg(long)]
        year: i32,
    },
    /// Investeringsbudgeten per projekt, bredvid ett annat år och utfallet.
    Investments {
        /// Förvaltningens kod, t.ex. KLK.
        #[arg(long)]
        office: String,
        /// Budgetåret.
        #[arg(long)]
        year: i32,
        /// Året att jämföra med (standard: året före).
        #[arg(long)]
        compare: Option<i32>,
    },
    /// Mål, aktiviteter och uppdrag med sin status, och tabellen med antal.
    Goals {
        /// Bara den här förvaltningens (standard: alla).
        #[arg(long)]
        office: Option<String>,
        /// Budgetåret.
        #[arg(long)]
        year: i32,
    },
    /// Indikatorer med årets målvärde, uppmätta värde och om målvärdet är uppfyllt.
    Indicators {
        #[arg(long)]
        office: Option<String>,
        #[arg(long)]
        year: i32,
    },
}

/// Every office's frame for `year`: the year's frame entries, the corrections, and the office
/// definitions in force on the as-of date.
pub fn frames<S: Store>(ledger: &Ledger<S>, year: i32, clock: &Clock) -> Result<Vec<FrameRow>> {
    let reader = Reader::new(ledger)?;
    reader.prefetch(&[
        vec![index::YEARS],
        prefix::frames(year),
        vec![index::CORRECTIONS],
        vec![index::OFFICES],
    ])?;
    known_year(&reader, year)?;
    let mut idx = FrameIndex::default();
    for (office, entries) in reader.frame_entries(&prefix::frames(year))? {
        idx.add_entries(year, office, entries);
    }
    idx.sort();
    let defs = reader.gather(&[vec![index::OFFICES]], clock.as_of)?;
    for c in &defs {
        if let EventBody::Correction { corrects, .. } = c.event.body {
            idx.add_correction(corrects, c.recorded_at);
        }
    }
    let names = frames::names_at(&defs, clock);
    Ok(frames::frames_from_index(&idx, &names, year, clock))
}

/// What an office's report reads besides its own ranges: the offices and years it checks its
/// question against, and the corrections; all read ahead with `own` in one round trip.
fn report_ranges(own: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut all = vec![
        vec![index::OFFICES],
        vec![index::YEARS],
        vec![index::CORRECTIONS],
    ];
    all.extend(own.iter().cloned());
    all
}

/// Fails with [`LedgerError::Unknown`] when offices are defined and `office` is not one of them,
/// naming the nearest defined code (`klk` → `KLK`) and those that exist.
fn known_office<S: Store>(reader: &Reader<'_, S>, office: &str) -> Result<()> {
    let mut codes = BTreeSet::new();
    for r in reader.records(&[index::OFFICES], None)? {
        if let EventBody::OfficeDefined { office, .. } = r.event.body {
            codes.insert(office);
        }
    }
    if codes.is_empty() || codes.contains(office) {
        return Ok(());
    }
    Err(unknown(
        "ingen förvaltning",
        "Förvaltningar",
        office,
        &codes,
    ))
}

/// Fails when the office has areas and `area` is not one of them.
fn known_area<S: Store>(reader: &Reader<'_, S>, office: &str, area: &str) -> Result<()> {
    let mut codes = BTreeSet::new();
    for r in reader.records(&prefix::areas(office), None)? {
        if let EventBody::AreaDefined { area, .. } = r.event.body {
            codes.insert(area);
        }
    }
    if codes.contains(area) {
        return Ok(());
    }
    Err(unknown(
        "inget verksamhetsområde",
        &format!("Verksamhetsområden i {office}"),
        area,
        &codes,
    ))
}

/// Fails when the ledger holds nothing at all for `year` (a year whose figures are not decided
/// *yet* at the as-of date is no error: its reports say what is missing).
fn known_year<S: Store>(reader: &Reader<'_, S>, year: i32) -> Result<()> {
    let years = index::years_of(&reader.markers(index::YEARS)?);
    if years.is_empty() || years.contains(&year) {
        return Ok(());
    }
    let nearest = years
        .iter()
        .min_by_key(|y| (y.abs_diff(year), **y))
        .copied();
    let listed: Vec<String> = years.iter().map(i32::to_string).collect();
    Err(LedgerError::Unknown(format!(
        "inget i liggaren för året {year}.{} År: {}",
        nearest.map_or(String::new(), |y| format!(" Närmast: {y}.")),
        listed.join(", ")
    )))
}

/// The error for a code that is not among `codes`: the nearest one (differing only in case, or
/// by at most one edit) and the first 50 that exist. `none` says what is missing with its
/// article ("ingen förvaltning", "inget verksamhetsområde"), `plural` heads the list.
fn unknown(none: &str, plural: &str, given: &str, codes: &BTreeSet<String>) -> LedgerError {
    let nearest = codes
        .iter()
        .map(|c| (nearness(given, c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| format!(" Menade du {c}?"))
        .unwrap_or_default();
    let listed: Vec<&str> = codes.iter().map(String::as_str).take(50).collect();
    LedgerError::Unknown(format!(
        "{none} '{given}' i liggaren.{nearest} {plural}: {}{}",
        if listed.is_empty() {
            "inga".to_string()
        } else {
            listed.join(", ")
        },
        if codes.len() > listed.len() {
            ", …"
        } else {
            ""
        }
    ))
}

/// How far apart two codes are: 0 when they differ only in case, else the edit distance
/// (insertions, deletions, substitutions) plus one.
fn nearness(a: &str, b: &str) -> usize {
    if a.to_lowercase() == b.to_lowercase() {
        return 0;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()] + 1
}

/// How `office`'s frame went from `from` to `to`.
pub fn bridge<S: Store>(
    ledger: &Ledger<S>,
    office: &str,
    from: i32,
    to: i32,
    clock: &Clock,
) -> Result<Bridge> {
    let reader = Reader::new(ledger)?;
    reader.prefetch(&[
        vec![index::OFFICES],
        vec![index::YEARS],
        vec![index::CORRECTIONS],
        prefix::records(office, to, Kind::Frame),
        prefix::frames_of(from, office),
    ])?;
    known_office(&reader, office)?;
    known_year(&reader, to)?;
    let records = reader.gather(
        &[
            prefix::records(office, to, Kind::Frame),
            vec![index::OFFICES],
        ],
        clock.as_of,
    )?;
    // The earlier year's frame from its compact entries: its texts are not printed.
    let start = frame_index(&reader, &[(from, office)], &records)?
        .frame(office, from, clock)
        .filter(|f| f.set)
        .map(|f| f.frame);
    Ok(frames::bridge_from(
        start, &records, office, from, to, clock,
    ))
}

/// The frame entries of each (year, office) in `which`, with the corrections among `records`.
fn frame_index<S: Store>(
    reader: &Reader<'_, S>,
    which: &[(i32, &str)],
    records: &[Recorded],
) -> Result<FrameIndex> {
    let prefixes: Vec<Vec<u8>> = which
        .iter()
        .map(|(year, office)| prefix::frames_of(*year, office))
        .collect();
    reader.prefetch(&prefixes)?;
    let mut idx = FrameIndex::default();
    for (year, office) in which {
        for (o, entries) in reader.frame_entries(&prefix::frames_of(*year, office))? {
            idx.add_entries(*year, o, entries);
        }
    }
    idx.sort();
    for c in records {
        if let EventBody::Correction { corrects, .. } = c.event.body {
            idx.add_correction(corrects, c.recorded_at);
        }
    }
    Ok(idx)
}

/// The internal budget of `office` for `year`, beside `compare`.
pub fn budget<S: Store>(
    ledger: &Ledger<S>,
    office: &str,
    year: i32,
    compare: Option<i32>,
    clock: &Clock,
) -> Result<budget::BudgetTable> {
    let reader = Reader::new(ledger)?;
    let mut prefixes = vec![
        prefix::areas(office),
        prefix::records(office, year, Kind::Budget),
    ];
    prefixes.extend(compare.map(|c| prefix::records(office, c, Kind::Budget)));
    reader.prefetch(&report_ranges(&prefixes))?;
    known_office(&reader, office)?;
    known_year(&reader, year)?;
    let records = reader.gather(&prefixes, clock.as_of)?;
    Ok(budget::budget(&records, office, year, compare, clock))
}

/// Budget against outcome per area of `office` for `year`.
pub fn outcome<S: Store>(
    ledger: &Ledger<S>,
    office: &str,
    year: i32,
    clock: &Clock,
) -> Result<budget::OutcomeTable> {
    let reader = Reader::new(ledger)?;
    let prefixes = [
        prefix::areas(office),
        prefix::records(office, year, Kind::Budget),
        prefix::records(office, year, Kind::Outcome),
    ];
    reader.prefetch(&report_ranges(&prefixes))?;
    known_office(&reader, office)?;
    known_year(&reader, year)?;
    let records = reader.gather(&prefixes, clock.as_of)?;
    Ok(budget::outcome(&records, office, year, clock))
}

/// The investment budget of `office` for `year`, beside `compare` and the outcome.
pub fn investments<S: Store>(
    ledger: &Ledger<S>,
    office: &str,
    year: i32,
    compare: Option<i32>,
    clock: &Clock,
) -> Result<budget::InvestmentTable> {
    let reader = Reader::new(ledger)?;
    let mut prefixes = vec![prefix::records(office, year, Kind::Investment)];
    prefixes.extend(compare.map(|c| prefix::records(office, c, Kind::Investment)));
    reader.prefetch(&report_ranges(&prefixes))?;
    known_office(&reader, office)?;
    known_year(&reader, year)?;
    let records = reader.gather(&prefixes, clock.as_of)?;
    Ok(budget::investments(&records, office, year, compare, clock))
}

/// The goals of `year` with their statuses: the year's definitions, then each item's statuses.
pub fn goals<S: Store>(
    ledger: &Ledger<S>,
    year: i32,
    office: Option<&str>,
    clock: &Clock,
) -> Result<GoalsReport> {
    let reader = Reader::new(ledger)?;
    let definitions = [
        prefix::goals(year),
        vec![index::INDICATORS],
        prefix::indicator_values(year),
    ];
    reader.prefetch(&report_ranges(&definitions))?;
    known_year(&reader, year)?;
    if let Some(o) = office {
        known_office(&reader, o)?;
    }
    // First the tree without statuses, then the statuses of the items it shows: an office's
    // report asks for its own items' statuses only.
    let defs = reader.gather(&definitions, clock.as_of)?;
    let tree = goals::goals(&defs, year, office, clock);
    let prefixes: Vec<Vec<u8>> = item_codes(&tree)
        .into_iter()
        .map(prefix::statuses)
        .collect();
    reader.prefetch(&prefixes)?;
    let mut records = defs;
    for p in &prefixes {
        records.extend(reader.records(p, clock.as_of)?);
    }
    let records = reader::in_log_order(records);
    Ok(goals::goals(&records, year, office, clock))
}

/// Every indicator (of `office` and of none, when given) with its target and measured value for
/// `year`: the indicators' definitions and the year's targets and measurements, never the log.
pub fn indicators<S: Store>(
    ledger: &Ledger<S>,
    year: i32,
    office: Option<&str>,
    clock: &Clock,
) -> Result<IndicatorsReport> {
    let reader = Reader::new(ledger)?;
    known_year(&reader, year)?;
    if let Some(o) = office {
        known_office(&reader, o)?;
    }
    let records = reader.gather(
        &[vec![index::INDICATORS], prefix::indicator_values(year)],
        clock.as_of,
    )?;
    Ok(indicators::indicators(&records, year, office, clock))
}

/// The codes of every goal, activity and assignment a goals report shows.
fn item_codes(report: &GoalsReport) -> BTreeSet<&str> {
    let mut codes = BTreeSet::new();
    for fa in &report.focus_areas {
        codes.extend(fa.council_goals.iter().map(|c| c.goal.code.as_str()));
        let committee = fa
            .council_goals
            .iter()
            .flat_map(|c| c.committee_goals.iter())
            .chain(fa.own_goals.iter());
        for cg in committee {
            codes.insert(cg.goal.code.as_str());
            codes.extend(cg.activities.iter().map(|a| a.code.as_str()));
        }
        codes.extend(fa.assignments.iter().map(|a| a.code.as_str()));
    }
    codes
}

/// Every event that moved `office`'s frame for `year` (or one area's budget), with corrections.
pub fn history<S: Store>(
    ledger: &Ledger<S>,
    office: &str,
    year: i32,
    area: Option<&str>,
    clock: &Clock,
) -> Result<History> {
    let reader = Reader::new(ledger)?;
    let kind = if area.is_some() {
        Kind::Budget
    } else {
        Kind::Frame
    };
    let mut prefixes = vec![prefix::records(office, year, kind)];
    prefixes.extend(area.map(|_| prefix::areas(office)));
    reader.prefetch(&report_ranges(&prefixes))?;
    known_office(&reader, office)?;
    known_year(&reader, year)?;
    if let Some(a) = area {
        known_area(&reader, office, a)?;
    }
    let records = reader.gather(&[prefix::records(office, year, kind)], clock.as_of)?;
    Ok(history::history(&records, office, year, area, clock))
}

/// What changed between the end of `from` and the end of `to`: the events dated in between,
/// and for each frame, budget line or status they touch, that item's earlier entries.
pub fn diff<S: Store>(
    ledger: &Ledger<S>,
    from: Date,
    to: Date,
    known_at: Option<DateTime<Utc>>,
) -> Result<Diff> {
    let reader = Reader::new(ledger)?;
    let changed = reader.timeline(from, to)?;
    let mut touched: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut frames_touched: BTreeSet<(i32, &str)> = BTreeSet::new();
    for r in &changed {
        let body = &r.event.body;
        match body {
            EventBody::StatusUpdated { target, .. } => {
                touched.insert(prefix::statuses(target));
            }
            EventBody::BudgetLine { office, year, .. } => {
                touched.insert(prefix::records(office, *year, Kind::Budget));
            }
            _ => {
                if let Some(year) = body.year() {
                    frames_touched.extend(body.offices().into_iter().map(|o| (year, o)));
                }
            }
        }
    }
    let prefixes: Vec<Vec<u8>> = touched.into_iter().collect();
    let mut records = reader.gather(&prefixes, Some(from))?;
    // Frames before and after from their compact entries; only the changes need whole records.
    let which: Vec<(i32, &str)> = frames_touched.into_iter().collect();
    let idx = frame_index(&reader, &which, &records)?;
    records.extend(changed.iter().cloned());
    let records = reader::in_log_order(records);
    Ok(history::diff_with(&records, &idx, from, to, known_at))
}

/// What the ledger holds, for pickers: offices (as last defined), years, frame years and dates.
pub struct Catalogue {
    pub offices: Vec<(String, String)>,
    pub years: Vec<i32>,
    pub frame_years: Vec<i32>,
    pub dates: Vec<Date>,
}

pub fn catalogue<S: Store>(ledger: &Ledger<S>) -> Result<Catalogue> {
    let reader = Reader::new(ledger)?;
    let mut offices = std::collections::BTreeMap::new();
    for r in reader.records(&[index::OFFICES], None)? {
        if let EventBody::OfficeDefined { office, name, .. } = r.event.body {
            offices.insert(office, name);
        }
    }
    Ok(Catalogue {
        offices: offices.into_iter().collect(),
        years: index::years_of(&reader.markers(index::YEARS)?),
        frame_years: index::years_of(&reader.markers(index::FRAME_YEARS)?),
        dates: index::dates_of(&reader.markers(index::DATES)?),
    })
}

/// The areas of `office` (code, and name as last defined), for a sheet's rows to name.
pub fn areas<S: Store>(ledger: &Ledger<S>, office: &str) -> Result<Vec<(String, String)>> {
    let reader = Reader::new(ledger)?;
    known_office(&reader, office)?;
    let mut areas = std::collections::BTreeMap::new();
    for r in reader.records(&prefix::areas(office), None)? {
        if let EventBody::AreaDefined { area, name, .. } = r.event.body {
            areas.insert(area, name);
        }
    }
    Ok(areas.into_iter().collect())
}

/// The entries awaiting an attest, of `year` or of every year, in log order: read from the log,
/// as `control` reads it (attests are not indexed).
pub fn pending<S: Store>(ledger: &Ledger<S>, year: Option<i32>) -> Result<Vec<Recorded>> {
    let records = ledger.records()?;
    Ok(crate::control::approvals::pending(&records, year)
        .into_iter()
        .cloned()
        .collect())
}

/// One report's answer, before it is rendered.
pub enum Answer {
    Frames(i32, Vec<FrameRow>),
    Bridge(Bridge),
    Budget(budget::BudgetTable),
    Outcome(budget::OutcomeTable),
    Investments(budget::InvestmentTable),
    Goals(GoalsReport),
    Indicators(IndicatorsReport),
}

/// Answers one report from the index, rendered.
pub fn answer<S: Store>(ledger: &Ledger<S>, report: &Report, clock: &Clock) -> Result<Rendered> {
    let a = match report {
        Report::Frames { year } => Answer::Frames(*year, frames(ledger, *year, clock)?),
        Report::Bridge { office, from, to } => {
            Answer::Bridge(bridge(ledger, office, *from, *to, clock)?)
        }
        Report::Budget {
            office,
            year,
            compare,
        } => Answer::Budget(budget(ledger, office, *year, *compare, clock)?),
        Report::Outcome { office, year } => Answer::Outcome(outcome(ledger, office, *year, clock)?),
        Report::Investments {
            office,
            year,
            compare,
        } => Answer::Investments(investments(ledger, office, *year, *compare, clock)?),
        Report::Goals { office, year } => {
            Answer::Goals(goals(ledger, *year, office.as_deref(), clock)?)
        }
        Report::Indicators { office, year } => {
            Answer::Indicators(indicators(ledger, *year, office.as_deref(), clock)?)
        }
    };
    Ok(rendered(&a, clock))
}

/// The same report folded over `records` (all of the log, or any superset of what it needs): the
/// reference the index's answers are tested against.
pub fn answer_from_records(report: &Report, records: &[Recorded], clock: &Clock) -> Rendered {
    let a = match report {
        Report::Frames { year } => Answer::Frames(*year, frames::frames(records, *year, clock)),
        Report::Bridge { office, from, to } => {
            Answer::Bridge(frames::bridge(records, office, *from, *to, clock))
        }
        Report::Budget {
            office,
            year,
            compare,
        } => Answer::Budget(budget::budget(records, office, *year, *compare, clock)),
        Report::Outcome { office, year } => {
            Answer::Outcome(budget::outcome(records, office, *year, clock))
        }
        Report::Investments {
            office,
            year,
            compare,
        } => Answer::Investments(budget::investments(records, office, *year, *compare, clock)),
        Report::Goals { office, year } => {
            Answer::Goals(goals::goals(records, *year, office.as_deref(), clock))
        }
        Report::Indicators { office, year } => Answer::Indicators(indicators::indicators(
            records,
            *year,
            office.as_deref(),
            clock,
        )),
    };
    rendered(&a, clock)
}

/// An answer as tables and JSON, with the decimals its figures print with by default.
pub fn rendered(a: &Answer, clock: &Clock) -> Rendered {
    let (tables, json, default_decimals) = match a {
        Answer::Frames(year, rows) => (
            vec![r::frames_table(*year, rows, clock)],
            r::frames_json(*year, rows, clock),
            0,
        ),
        Answer::Bridge(b) => (vec![r::bridge_table(b, clock)], r::bridge_json(b, clock), 0),
        Answer::Budget(b) => (vec![r::budget_table(b, clock)], r::budget_json(b, clock), 0),
        Answer::Outcome(o) => (
            vec![r::outcome_table(o, clock)],
            r::outcome_json(o, clock),
            1,
        ),
        Answer::Investments(i) => (
            vec![r::investments_table(i, clock)],
            r::investments_json(i, clock),
            0,
        ),
        Answer::Goals(g) => (r::goals_tables(g, clock), r::goals_json(g, clock), 0),
        Answer::Indicators(i) => (
            vec![r::indicators::indicators_table(i, clock)],
            r::indicators::indicators_json(i, clock),
            0,
        ),
    };
    Rendered {
        tables,
        json,
        default_decimals,
    }
}

/// History rendered (table and JSON).
pub fn history_rendered(h: &History, clock: &Clock) -> Rendered {
    Rendered {
        tables: vec![r::audit::history_table(h, clock)],
        json: r::audit::history_json(h, clock),
        default_decimals: 0,
    }
}

/// Diff rendered (tables and JSON).
pub fn diff_rendered(d: &Diff) -> Rendered {
    Rendered {
        tables: r::audit::diff_tables(d),
        json: r::audit::diff_json(d),
        default_decimals: 0,
    }
}

/// The internal-control report for a year, as both adapters render it.
pub fn control_rendered(report: &crate::control::rules::Report) -> Rendered {
    Rendered {
        tables: crate::control::shown::findings_tables(report),
        json: crate::control::shown::findings_json(report),
        default_decimals: 0,
    }
}
