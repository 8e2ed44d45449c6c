//! `rambok import FILE.xlsx`: an internal budget or outcome sheet as controllers keep it, read with
//! a column mapping (`--map area=A,revenue=B,cost=C`) into one event per row (`crate::sheet`), then
//! appended as one batch through the one write path, or with `--dry-run` printed as JSON Lines
//! (what `rambok import` reads) after the same validation, writing nothing.

use super::import::{mark_backfill, ImportArgs};
use super::{open_existing, require_user, CliError, Result};
use crate::json::event_to_json;
use crate::lang::counted;
use crate::ledger::LedgerError;
use crate::sheet::{self, Row, SettingError, Settings, SheetError, XLSX_BYTES_MAX};
use chrono::Utc;
use std::io::{Read, Write};
use std::path::Path;

/// The settings of a sheet's import: flags that mean something only for a workbook.
#[derive(clap::Args, Debug, Default, Clone)]
#[command(next_help_heading = "Arbetsbok (.xlsx)")]
pub struct SheetArgs {
    /// Vad bladet har: budget_line (internbudget, standard) eller outcome (utfall).
    #[arg(long = "type", value_name = "TYP")]
    pub kind: Option<String>,
    /// Förvaltningen raderna gäller, t.ex. KLK.
    #[arg(long, value_name = "FÖRVALTNING")]
    pub office: Option<String>,
    /// Budgetåret, t.ex. 2017.
    #[arg(long, value_name = "ÅR")]
    pub year: Option<String>,
    /// Enheten bladets belopp är i: kr (standard), tkr eller mnkr.
    #[arg(long, value_name = "ENHET")]
    pub unit: Option<String>,
    /// Hur bladet skriver kostnader: cost (positiva, standard) eller result (negativa, intäkter
    /// positiva, som verksamhetsplanen 2017).
    #[arg(long, value_name = "TECKEN")]
    pub sign: Option<String>,
    /// Vilken kolumn som har vad, t.ex. "area=A,revenue=B,cost=C" eller "area=A,net=D": området
    /// (kod eller namn) och netto, eller intäkter och kostnader, eller alla.
    #[arg(long, value_name = "FÄLT=KOLUMN,…")]
    pub map: Option<String>,
    /// Bladets namn (standard: det första).
    #[arg(long, value_name = "BLAD")]
    pub sheet: Option<String>,
    /// Tabellens första rad efter rubrikerna (standard: 2); den slutar vid första tomma rad eller
    /// vid en summarad (Summa, Totalt), som ska stämma med raderna ovanför.
    #[arg(long, value_name = "RAD")]
    pub first_row: Option<String>,
    /// Internbudget: vem som beslutade, t.ex. KS.
    #[arg(long, value_name = "ORGAN")]
    pub body: Option<String>,
    /// Internbudget: beslutsdatum; utfall: när utfallet rapporterades (ÅÅÅÅ-MM-DD).
    #[arg(long, value_name = "DATUM")]
    pub date: Option<String>,
    /// Internbudget: ärendebeteckningen, t.ex. "KS 2016/1130".
    #[arg(long, value_name = "ÄRENDE")]
    pub case: Option<String>,
    /// Internbudget: protokollets paragraf, t.ex. "§ 65".
    #[arg(long, value_name = "PARAGRAF")]
    pub paragraph: Option<String>,
    /// Utfall: månaden utfallet går till (ÅÅÅÅ-MM; standard: december).
    #[arg(long, value_name = "ÅÅÅÅ-MM")]
    pub period: Option<String>,
    /// Fri text på varje händelse, oftast källan.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

impl SheetArgs {
    /// The setting of this name, as typed.
    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            "type" => self.kind.as_deref(),
            "office" => self.office.as_deref(),
            "year" => self.year.as_deref(),
            "unit" => self.unit.as_deref(),
            "sign" => self.sign.as_deref(),
            "map" => self.map.as_deref(),
            "sheet" => self.sheet.as_deref(),
            "first_row" => self.first_row.as_deref(),
            "body" => self.body.as_deref(),
            "date" => self.date.as_deref(),
            "case" => self.case.as_deref(),
            "paragraph" => self.paragraph.as_deref(),
            "period" => self.period.as_deref(),
            "note" => self.note.as_deref(),
            _ => None,
        }
    }

    /// The first setting given, by name: they mean nothing for JSON Lines.
    pub fn first_given(&self) -> Option<&'static str> {
        sheet::SETTING_NAMES
            .iter()
            .copied()
            .find(|n| self.get(n).is_some())
    }

    pub fn settings(&self) -> Result<Settings> {
        Settings::from_texts(|name| self.get(name)).map_err(|e| setting_error(&e))
    }
}

/// A setting's problem, named by its flag.
pub fn setting_error(e: &SettingError) -> CliError {
    CliError::Input(format!("--{}: {}", e.name.replace('_', "-"), e.message))
}

/// Whether `path` names a workbook (by its ending, in any case).
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case("xlsx"))
}

/// The workbook's bytes, at most [`XLSX_BYTES_MAX`].
pub fn read_workbook(path: &Path) -> Result<Vec<u8>> {
    let name = path.display();
    let file = std::fs::File::open(path).map_err(|e| {
        CliError::Input(format!(
            "{name}: kan inte öppnas: {}\ninget importerades",
            crate::lang::io_error(&e)
        ))
    })?;
    let mut bytes = Vec::new();
    file.take(XLSX_BYTES_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            CliError::Input(format!(
                "{name}: kan inte läsas: {}\ninget importerades",
                crate::lang::io_error(&e)
            ))
        })?;
    if bytes.len() > XLSX_BYTES_MAX {
        return Err(CliError::Input(format!(
            "{name}: arbetsboken är större än {} MiB\ninget importerades",
            XLSX_BYTES_MAX >> 20
        )));
    }
    Ok(bytes)
}

/// Problems in the workbook, each with its place.
pub fn sheet_errors(name: &str, errors: &[SheetError]) -> CliError {
    let lines: Vec<String> = errors.iter().map(|e| format!("{name}: {e}")).collect();
    CliError::Input(format!("{}\ninget importerades", lines.join("\n")))
}

/// A rejection by the write path, at the row its event came from.
fn at_row(name: &str, sheet: &str, rows: &[Row], e: LedgerError) -> CliError {
    match e {
        LedgerError::Rejected { index, error } => {
            let row = rows
                .get(index)
                .map_or(String::new(), |r| format!(", rad {}", r.number));
            CliError::Input(format!("{name}: {sheet}{row}: {error}\ninget importerades"))
        }
        other => CliError::Ledger(other),
    }
}

pub fn run(db: &Path, args: ImportArgs, path: &Path, out: &mut dyn Write) -> Result<()> {
    let settings = args.sheet.settings()?;
    let user = require_user(&args.recorder)?;
    let backfill = args.backfill_source()?;
    let bytes = read_workbook(path)?;
    let name = path.display().to_string();
    let ledger = open_existing(db)?;
    let areas = crate::query::areas(&ledger, &settings.office).map_err(|e| match e {
        LedgerError::Unknown(m) => CliError::Input(format!("--office: {m}\ninget importerades")),
        other => CliError::Ledger(other),
    })?;
    let (sheet_name, mut rows) =
        sheet::rows_of(&bytes, &settings, &areas).map_err(|e| sheet_errors(&name, &e))?;
    if let Some(source) = &backfill {
        for r in &mut rows {
            mark_backfill(&mut r.event, source).map_err(CliError::Input)?;
        }
    }
    let events: Vec<_> = rows.iter().map(|r| r.event.clone()).collect();
    let expected = args.recorder.expect_seq;
    if args.dry_run {
        let done = ledger
            .dry_run(&events, &user, expected)
            .map_err(|e| at_row(&name, &sheet_name, &rows, e))?;
        for e in &events {
            writeln!(out, "{}", event_to_json(e)).map_err(super::io)?;
        }
        eprintln!(
            "läste {}: {} skulle läggas till, {} (fanns redan); inget registrerades (--dry-run)",
            counted(rows.len() as u64, "rad", "rader"),
            counted(done.added as u64, "händelse", "händelser"),
            counted(done.skipped as u64, "överhoppad", "överhoppade"),
        );
        return Ok(());
    }
    let done = ledger
        .append(&events, &user, expected, Utc::now())
        .map_err(|e| at_row(&name, &sheet_name, &rows, e))?;
    writeln!(
        out,
        "läste {}: {}, {} (fanns redan); liggaren är nu vid sekvens {}",
        counted(rows.len() as u64, "rad", "rader"),
        counted(done.added as u64, "tillagd", "tillagda"),
        counted(done.skipped as u64, "överhoppad", "överhoppade"),
        done.head_seq
    )
    .map_err(super::io)
}
