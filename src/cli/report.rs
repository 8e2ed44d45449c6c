//! `rambok report <name>`: the projections, printed as a Swedish table, CSV or JSON.

use super::{open_existing, CliError, Result};
use crate::domain::amount::Unit;
use crate::json::parse_date;
use crate::projection::{budget, frames, goals, Clock};
use crate::report::number::{Sign, Style};
use crate::report::table::{render_csv, render_terminal, Table};
use crate::report::{self as r};
use crate::store::record::Recorded;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::io::Write;
use std::path::Path;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    /// A waterfall chart (bridge and history only).
    Svg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignArg {
    /// Net cost positive (the 2014 annual report's way).
    Cost,
    /// Revenue positive, costs and frames negative (the 2017 plan's way).
    Result,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Decisions and status changes dated on or before this date (YYYY-MM-DD).
    #[arg(long, global = true, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Only what the ledger had recorded by this moment (RFC 3339, e.g. 2017-01-15T12:00:00Z).
    #[arg(long, global = true, value_name = "TIMESTAMP")]
    pub known_at: Option<String>,
    #[arg(long, global = true, value_enum, default_value = "table")]
    pub format: Format,
    #[arg(long, global = true, default_value = "tkr")]
    pub unit: Unit,
    #[arg(long, global = true, value_enum, default_value = "cost")]
    pub sign: SignArg,
    /// Decimals shown (default: 0, or 1 for outcome).
    #[arg(long, global = true)]
    pub decimals: Option<u32>,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub report: Report,
    #[command(flatten)]
    pub common: Common,
}

#[derive(clap::Subcommand, Debug)]
pub enum Report {
    /// Each office's net frame for a year.
    Frames {
        #[arg(long)]
        year: i32,
    },
    /// How an office's frame went from one year to the next, decision by decision.
    Bridge {
        #[arg(long)]
        office: String,
        #[arg(long)]
        from: i32,
        #[arg(long)]
        to: i32,
    },
    /// The internal budget per area: revenue, cost, net, and the difference to another year.
    Budget {
        #[arg(long)]
        office: String,
        #[arg(long)]
        year: i32,
        #[arg(long)]
        compare: Option<i32>,
    },
    /// Budget, outcome and deviation per unit, with subtotals.
    Outcome {
        #[arg(long)]
        office: String,
        #[arg(long)]
        year: i32,
    },
    /// The investment budget per project, beside another year and the outcome.
    Investments {
        #[arg(long)]
        office: String,
        #[arg(long)]
        year: i32,
        #[arg(long)]
        compare: Option<i32>,
    },
    /// Goals, activities and assignments with their status, and the count table.
    Goals {
        #[arg(long)]
        office: Option<String>,
        #[arg(long)]
        year: i32,
    },
}

/// Parses the two clocks.
pub fn clock(c: &Common) -> Result<Clock> {
    let as_of = c
        .as_of
        .as_ref()
        .map(|s| parse_date(s).map_err(|e| CliError::Input(format!("--as-of: {e}"))))
        .transpose()?;
    let known_at = c
        .known_at
        .as_ref()
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| CliError::Input(format!("--known-at: '{s}' is not an RFC 3339 timestamp ({e}); write e.g. 2017-01-15T12:00:00Z")))
        })
        .transpose()?;
    Ok(Clock { as_of, known_at })
}

/// The rendered report: tables for people, a JSON value for programs.
pub struct Rendered {
    pub tables: Vec<Table>,
    pub json: Value,
    pub default_decimals: u32,
}

/// Computes one report from records. Pure: the caller reads the ledger.
pub fn compute(report: &Report, records: &[Recorded], clock: &Clock) -> Rendered {
    match report {
        Report::Frames { year } => {
            let rows = frames::frames(records, *year, clock);
            Rendered {
                tables: vec![r::frames_table(*year, &rows, clock)],
                json: r::frames_json(*year, &rows, clock),
                default_decimals: 0,
            }
        }
        Report::Bridge { office, from, to } => {
            let b = frames::bridge(records, office, *from, *to, clock);
            Rendered {
                tables: vec![r::bridge_table(&b, clock)],
                json: r::bridge_json(&b, clock),
                default_decimals: 0,
            }
        }
        Report::Budget {
            office,
            year,
            compare,
        } => {
            let b = budget::budget(records, office, *year, *compare, clock);
            Rendered {
                tables: vec![r::budget_table(&b, clock)],
                json: r::budget_json(&b, clock),
                default_decimals: 0,
            }
        }
        Report::Outcome { office, year } => {
            let o = budget::outcome(records, office, *year, clock);
            Rendered {
                tables: vec![r::outcome_table(&o, clock)],
                json: r::outcome_json(&o, clock),
                default_decimals: 1,
            }
        }
        Report::Investments {
            office,
            year,
            compare,
        } => {
            let i = budget::investments(records, office, *year, *compare, clock);
            Rendered {
                tables: vec![r::investments_table(&i, clock)],
                json: r::investments_json(&i, clock),
                default_decimals: 0,
            }
        }
        Report::Goals { office, year } => {
            let g = goals::goals(records, *year, office.as_deref(), clock);
            Rendered {
                tables: r::goals_tables(&g, clock),
                json: r::goals_json(&g, clock),
                default_decimals: 0,
            }
        }
    }
}

/// Writes a rendered report in the chosen format.
pub fn print(rendered: &Rendered, c: &Common, out: &mut dyn Write) -> Result<()> {
    let sign = match c.sign {
        SignArg::Cost => Sign::Cost,
        SignArg::Result => Sign::Result,
    };
    let decimals = c.decimals.unwrap_or(rendered.default_decimals).min(5);
    let text = match c.format {
        Format::Svg => {
            return Err(CliError::Input(
                "--format svg is for `report bridge` and `history`".into(),
            ))
        }
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&rendered.json).expect("JSON values serialise")
        ),
        Format::Table => {
            let style = Style::terminal(c.unit, decimals, sign);
            rendered
                .tables
                .iter()
                .map(|t| render_terminal(t, &style))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Format::Csv => {
            let style = Style::csv(c.unit, decimals, sign);
            rendered
                .tables
                .iter()
                .map(|t| render_csv(t, &style))
                .collect::<Vec<_>>()
                .join("\r\n")
        }
    };
    out.write_all(text.as_bytes()).map_err(super::io)
}

/// Whether a record can matter to `report`; the CLI keeps only those in memory, so a report on one
/// office of a large ledger reads the log once and holds a small part of it.
pub fn relevant(report: &Report, r: &Recorded) -> bool {
    use crate::domain::event::EventBody as B;
    let body = &r.event.body;
    match body {
        B::Correction { .. } | B::OfficeDefined { .. } => return true,
        _ => {}
    }
    match report {
        Report::Frames { year } => body.year() == Some(*year) && frames::effect_on_any(body),
        Report::Bridge { office, from, to } => {
            body.offices().contains(&office.as_str())
                && matches!(body.year(), Some(y) if y == *from || y == *to)
        }
        Report::Budget { office, .. }
        | Report::Outcome { office, .. }
        | Report::Investments { office, .. } => body.offices().contains(&office.as_str()),
        Report::Goals { .. } => matches!(
            body,
            B::GoalDefined { .. }
                | B::ActivityDefined { .. }
                | B::AssignmentDefined { .. }
                | B::StatusUpdated { .. }
        ),
    }
}

pub fn run(db: &Path, args: ReportArgs, out: &mut dyn Write) -> Result<()> {
    let clock = clock(&args.common)?;
    let ledger = open_existing(db)?;
    if let Report::Frames { year } = &args.report {
        // Straight from the stored frame index: no replay of the log.
        let index = ledger.frame_index(Some(*year))?;
        let rows = frames::frames_from_index(&index, &index.names(), *year, &clock);
        let rendered = Rendered {
            tables: vec![crate::report::frames_table(*year, &rows, &clock)],
            json: crate::report::frames_json(*year, &rows, &clock),
            default_decimals: 0,
        };
        return print(&rendered, &args.common, out);
    }
    let mut records = Vec::new();
    ledger.scan(1, |r| {
        if relevant(&args.report, &r) {
            records.push(r);
        }
        Ok(())
    })?;
    if args.common.format == Format::Svg {
        if let Report::Bridge { office, from, to } = &args.report {
            let b = frames::bridge(&records, office, *from, *to, &clock);
            return out
                .write_all(crate::report::svg::waterfall(&b).as_bytes())
                .map_err(super::io);
        }
    }
    let rendered = compute(&args.report, &records, &clock);
    print(&rendered, &args.common, out)
}
