//! `rambok export --year Y --format xlsx|csv --out PATH`: everything a revisor takes away for a
//! year — frames, bridges, internal budgets, outcomes, investments, goals, the full audit trail
//! with hashes, and the control findings — as one workbook or a folder of CSV files.

use super::{open_existing, CliError, Result};
use crate::domain::amount::Unit;
pub use crate::query::export::sheets;
use crate::report::number::{Sign, Style};
use crate::report::table::render_csv;
use crate::report::xlsx::workbook;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    /// A folder with one semicolon-separated file per sheet.
    Csv,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[arg(long)]
    pub year: i32,
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: ExportFormat,
    /// The workbook file (xlsx) or folder (csv) to write.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// The delegation table for the control sheet; Kalmar's when not given.
    #[arg(long, env = "RAMBOK_DELEGATION", value_name = "FILE")]
    pub delegation: Option<PathBuf>,
}

pub fn run(db: &Path, a: ExportArgs, out: &mut dyn Write) -> Result<()> {
    let (delegation, _) = super::audit::load_delegation(a.delegation.as_deref())?;
    let ledger = open_existing(db)?;
    let records = ledger.records()?;
    let sheets = sheets(&records, a.year, &delegation);
    let fail = |e: std::io::Error| CliError::Io(format!("{}: cannot write: {e}", a.out.display()));
    match a.format {
        ExportFormat::Xlsx => {
            let bytes = workbook(&sheets)
                .map_err(|e| CliError::Io(format!("cannot build the workbook: {e}")))?;
            std::fs::write(&a.out, bytes).map_err(fail)?;
        }
        ExportFormat::Csv => {
            std::fs::create_dir_all(&a.out).map_err(fail)?;
            for s in &sheets {
                let style = Style::csv(Unit::Tkr, s.decimals, Sign::Cost);
                let text: String = s
                    .tables
                    .iter()
                    .map(|t| render_csv(t, &style))
                    .collect::<Vec<_>>()
                    .join("\r\n");
                std::fs::write(a.out.join(format!("{}.csv", s.name)), text).map_err(fail)?;
            }
        }
    }
    writeln!(
        out,
        "wrote {} sheets for {} ({} events in the audit trail) to {}",
        sheets.len(),
        a.year,
        records.len(),
        a.out.display()
    )
    .map_err(super::io)
}
