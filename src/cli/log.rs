//! `rambok log`: the recorded events, filtered, as a table or as JSON Lines.

use super::{open_existing, CliError, Result};
use crate::domain::event::Date;
use crate::json::{event_to_json, parse_date};
use crate::store::record::Recorded;
use serde_json::json;
use std::io::Write;
use std::path::Path;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// En tabell för terminalen.
    Table,
    /// Ett JSON-objekt per rad: seq, recorded_at, recorded_by, hash och händelsen.
    Json,
}

#[derive(clap::Args, Debug)]
pub struct LogArgs {
    /// Bara händelser som nämner den här förvaltningen.
    #[arg(long)]
    pub office: Option<String>,
    /// Bara händelser för det här budgetåret.
    #[arg(long)]
    pub year: Option<i32>,
    /// Bara händelser av den här typen (t.ex. transfer).
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// Bara händelser beslutade (eller daterade) på eller efter detta datum.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Bara händelser beslutade (eller daterade) på eller före detta datum.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Bara händelser med den här ärendebeteckningen (t.ex. "KS 2016/1130").
    #[arg(long)]
    pub case: Option<String>,
    /// Hur loggen skrivs.
    #[arg(long, value_enum, default_value = "table")]
    pub format: LogFormat,
}

struct Filter {
    office: Option<String>,
    year: Option<i32>,
    kind: Option<String>,
    since: Option<Date>,
    until: Option<Date>,
    case: Option<String>,
}

impl Filter {
    fn keeps(&self, r: &Recorded) -> bool {
        let b = &r.event.body;
        self.office
            .as_ref()
            .is_none_or(|o| b.offices().contains(&o.as_str()))
            && self.year.is_none_or(|y| b.year() == Some(y))
            && self.kind.as_ref().is_none_or(|k| b.type_name() == k)
            && self
                .since
                .is_none_or(|d| b.effective_date().is_some_and(|e| e >= d))
            && self
                .until
                .is_none_or(|d| b.effective_date().is_some_and(|e| e <= d))
            && self
                .case
                .as_ref()
                .is_none_or(|c| b.decision().and_then(|d| d.case.as_ref()) == Some(c))
    }
}

fn date_flag(flag: &str, v: &Option<String>) -> Result<Option<Date>> {
    v.as_ref()
        .map(|s| parse_date(s).map_err(|e| CliError::Input(format!("--{flag}: {e}"))))
        .transpose()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn run(db: &Path, args: LogArgs, out: &mut dyn Write) -> Result<()> {
    let filter = Filter {
        since: date_flag("since", &args.since)?,
        until: date_flag("until", &args.until)?,
        office: args.office,
        year: args.year,
        kind: args.kind,
        case: args.case,
    };
    let ledger = open_existing(db)?;
    if args.format == LogFormat::Table {
        writeln!(
            out,
            "{:>7}  {:<24}  {:<16}  {:<18}  {:<12}  {:<10}  händelse",
            "sekv", "registrerad", "av", "typ", "beslut", "hash"
        )
        .map_err(super::io)?;
    }
    let mut write_err = None;
    ledger.scan(1, |r| {
        if !filter.keeps(&r) {
            return Ok(());
        }
        let line = match args.format {
            LogFormat::Json => json!({
                "seq": r.seq,
                "recorded_at": r.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "recorded_by": r.recorded_by,
                "hash": hex(&r.hash),
                "event": event_to_json(&r.event),
            })
            .to_string(),
            LogFormat::Table => table_line(&r),
        };
        if let Err(e) = writeln!(out, "{line}") {
            write_err.get_or_insert(e);
        }
        Ok(())
    })?;
    match write_err {
        Some(e) => Err(super::io(e)),
        None => Ok(()),
    }
}

fn table_line(r: &Recorded) -> String {
    let b = &r.event.body;
    let decided = b
        .decision()
        .map(|d| format!("{} {}", d.body, d.date))
        .unwrap_or_default();
    let mut summary = event_to_json(&r.event);
    if let Some(m) = summary.as_object_mut() {
        for k in ["id", "type", "decision", "note"] {
            m.shift_remove(k);
        }
    }
    format!(
        "{:>7}  {:<24}  {:<16}  {:<18}  {:<12}  {:<10}  {}",
        r.seq,
        crate::domain::time::shown(r.recorded_at),
        r.recorded_by,
        b.type_name(),
        decided,
        &hex(&r.hash)[..10],
        summary
    )
}
