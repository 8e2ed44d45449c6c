//! `rambok demo`: the bundled Kalmar fixtures in a fresh temporary ledger, and the reports.

use super::report::{print, Common, Format, Report, SignArg};
use super::{CliError, Result};
use crate::domain::amount::Unit;
use crate::domain::event::Date;
use crate::json::parse_event_line;
use crate::ledger::Ledger;
use crate::projection::Clock;
use crate::query::answer;
use chrono::Utc;
use std::io::Write;

/// The Kalmar fixtures, compiled in so the demo runs from anywhere.
pub const FIXTURES: [(&str, &str); 10] = [
    (
        "01_organisation.jsonl",
        include_str!("../../fixtures/kalmar/01_organisation.jsonl"),
    ),
    (
        "02_frames_2016_2017.jsonl",
        include_str!("../../fixtures/kalmar/02_frames_2016_2017.jsonl"),
    ),
    (
        "03_internal_budget_2016_2017.jsonl",
        include_str!("../../fixtures/kalmar/03_internal_budget_2016_2017.jsonl"),
    ),
    (
        "04_investments_2016_2017.jsonl",
        include_str!("../../fixtures/kalmar/04_investments_2016_2017.jsonl"),
    ),
    (
        "05_outcome_2014.jsonl",
        include_str!("../../fixtures/kalmar/05_outcome_2014.jsonl"),
    ),
    (
        "06_goals_2017.jsonl",
        include_str!("../../fixtures/kalmar/06_goals_2017.jsonl"),
    ),
    (
        "07_reported_2014.jsonl",
        include_str!("../../fixtures/kalmar/07_reported_2014.jsonl"),
    ),
    (
        "08_indicators_2017.jsonl",
        include_str!("../../fixtures/kalmar/08_indicators_2017.jsonl"),
    ),
    (
        "09_reported_2017.jsonl",
        include_str!("../../fixtures/kalmar/09_reported_2017.jsonl"),
    ),
    (
        "10_delegation.jsonl",
        include_str!("../../fixtures/kalmar/10_delegation.jsonl"),
    ),
];

/// What the Kalmar fixtures transcribe: they are a backfill (`import --backfill --source`).
pub const KALMAR_SOURCE: &str =
    "Kalmar kommun: KS 2014/0248 (årsrapport 2014) och KS 2016/1130 (verksamhetsplan 2017)";

/// Parses the bundled fixtures into events, marked as a backfill from [`KALMAR_SOURCE`].
pub fn fixture_events() -> Result<Vec<crate::domain::event::Event>> {
    let mut events = Vec::new();
    for (name, text) in FIXTURES {
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let mut event = parse_event_line(line)
                .map_err(|e| CliError::Input(format!("{name}:{}: {e}", i + 1)))?;
            super::import::mark_backfill(&mut event, KALMAR_SOURCE)
                .map_err(|e| CliError::Input(format!("{name}:{}: {e}", i + 1)))?;
            events.push(event);
        }
    }
    Ok(events)
}

fn common(sign: SignArg) -> Common {
    Common {
        as_of: None,
        known_at: None,
        format: Format::Table,
        unit: Unit::Tkr,
        sign,
        decimals: None,
    }
}

pub fn run(out: &mut dyn Write) -> Result<()> {
    let dir = tempfile::tempdir().map_err(super::io)?;
    let ledger = Ledger::open(&dir.path().join("ledger"))?;
    let events = fixture_events()?;
    let done = ledger.append(&events, "demo", None, Utc::now())?;
    let w = |out: &mut dyn Write, s: &str| writeln!(out, "{s}").map_err(super::io);
    w(
        out,
        &format!(
            "rambok demo: {} händelser ur Kalmar kommuns dokument i en ny liggare ({})\n",
            done.added,
            dir.path().display()
        ),
    )?;
    w(out, "Tidsresa: KLK:s budgetram 2017 vid två datum")?;
    for date in [Date::ymd(2016, 7, 1), Date::ymd(2016, 11, 22)]
        .into_iter()
        .flatten()
    {
        let clock = Clock {
            as_of: Some(date),
            known_at: None,
        };
        print(
            &answer(&ledger, &Report::Frames { year: 2017 }, &clock)?,
            &common(SignArg::Cost),
            out,
        )?;
        w(out, "")?;
    }
    let reports = [
        (
            Report::Bridge {
                office: "KLK".into(),
                from: 2016,
                to: 2017,
            },
            SignArg::Result,
        ),
        (
            Report::Budget {
                office: "KLK".into(),
                year: 2017,
                compare: Some(2016),
            },
            SignArg::Result,
        ),
        (
            Report::Investments {
                office: "KLK".into(),
                year: 2017,
                compare: Some(2016),
            },
            SignArg::Result,
        ),
        (
            Report::Outcome {
                office: "KLK".into(),
                year: 2014,
            },
            SignArg::Cost,
        ),
        (
            Report::Investments {
                office: "KLK".into(),
                year: 2014,
                compare: None,
            },
            SignArg::Cost,
        ),
        (
            Report::Goals {
                office: None,
                year: 2017,
            },
            SignArg::Cost,
        ),
    ];
    let clock = Clock::default();
    for (report, sign) in reports {
        print(&answer(&ledger, &report, &clock)?, &common(sign), out)?;
        w(out, "")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The demo, `serve --demo` and the tests load what is compiled in: every fixture file, in
    /// file-name order, and nothing else.
    #[test]
    fn every_fixture_file_is_compiled_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kalmar");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".jsonl"))
            .collect();
        files.sort();
        let compiled: Vec<&str> = super::FIXTURES.iter().map(|(n, _)| *n).collect();
        assert_eq!(compiled, files);
    }
}
