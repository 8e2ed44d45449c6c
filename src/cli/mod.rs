//! The command line: clap definitions (stage one: parse and validate arguments) and one handler per
//! command (stage two: open the ledger, run, print). `main` maps errors to exit codes.

mod audit;
pub mod client;
pub mod demo;
mod export;
mod import;
mod log;
mod record;
pub mod report;
pub mod serve;
mod token;

use crate::ledger::{Ledger, LedgerError};
use crate::store::folder::{self, Folder};
use crate::store::StoreError;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The help heading of the options every command takes.
const GLOBAL: &str = "Global options";

/// The default store, used when neither --db nor RAMBOK_DB names one.
pub const DEFAULT_DB: &str = "rambok.db";

#[derive(Parser, Debug)]
#[command(
    name = "rambok",
    version,
    about = "A ledger of municipal budget decisions: every decision an immutable event, every table for any date",
    long_about = "rambok keeps every budget decision (frames, changes, savings requirements, transfers, internal \
budgets, outcomes, goals and their status) as an immutable event with who decided it, when, under which \
case number, and who recorded it. Reports rebuild the tables for any date.\n\n\
Start with `rambok demo` to see the Kalmar example, then `rambok init`, `rambok import FILE` and \
`rambok report frames --year 2017`."
)]
pub struct Cli {
    /// The ledger's folder (created by `init`).
    #[arg(long, global = true, env = "RAMBOK_DB", default_value = DEFAULT_DB, help_heading = GLOBAL)]
    pub db: PathBuf,
    /// Send the command to a running `rambok serve` at this address (http:// or https://) instead of
    /// opening the store.
    #[arg(long, global = true, env = "RAMBOK_SERVER", value_name = "URL", help_heading = GLOBAL)]
    pub server: Option<String>,
    /// The API token for --server (from `rambok token add`).
    #[arg(long, global = true, env = "RAMBOK_TOKEN", hide_env_values = true, help_heading = GLOBAL)]
    pub token: Option<String>,
    /// Trust the https:// --server whose certificate is signed by this CA, or is this self-signed
    /// certificate (PEM, one or more) instead of the built-in public roots.
    #[arg(long, global = true, env = "RAMBOK_CA_CERT", value_name = "FILE", help_heading = GLOBAL)]
    pub ca_cert: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Who records events. Required for every command that writes.
#[derive(clap::Args, Debug, Clone)]
pub struct Recorder {
    /// Your user name; stored with every event you record.
    #[arg(long, env = "RAMBOK_USER")]
    pub user: Option<String>,
    /// Append only if the ledger's last sequence number is this one (optimistic concurrency).
    #[arg(long, value_name = "SEQ")]
    pub expect_seq: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an empty ledger at --db.
    Init,
    /// Import events from JSON Lines files: all of them or none.
    Import(import::ImportArgs),
    /// Record one event from flags, one subcommand per event type: `rambok record TYPE --help`
    /// shows its fields as a form, with an example.
    Record(record::RecordArgs),
    /// List recorded events with their sequence number, time, recorder and hash.
    Log(log::LogArgs),
    /// Budget tables and goal status for any date.
    Report(report::ReportArgs),
    /// Import the bundled Kalmar fixtures into a fresh temporary ledger and print the reports.
    Demo,
    /// Every event that moved an office's frame (or one area's budget), with decisions, recorders
    /// and the running figure; corrections beside what they correct. `--format svg` draws the bridge.
    History(audit::HistoryArgs),
    /// What changed in frames, internal budgets and statuses between two dates, event by event.
    Diff(audit::DiffArgs),
    /// The internal-control findings for a year; exits 7 when there are errors (fel).
    Control(audit::ControlArgs),
    /// A workbook (or CSV folder) for revisors: frames, bridges, budgets, outcome, goals, the audit
    /// trail with hashes, and the control findings.
    Export(export::ExportArgs),
    /// Recompute the hash chain and check every record; print the head digest.
    Verify {
        /// A digest file written earlier by `rambok digest`: also prove the ledger still extends it.
        #[arg(long, value_name = "FILE")]
        against: Option<PathBuf>,
    },
    /// Write the head digest (sequence number and hash) to a file a revisor keeps elsewhere.
    Digest {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Serve the ledger over HTTP: the JSON API under /api/ and the web page at /. With --demo, the
    /// Kalmar fixtures in a temporary store.
    Serve(serve::ServeArgs),
    /// API tokens for `rambok serve`: add (shown once), list, remove.
    Token(token::TokenArgs),
    /// Write a synthetic municipality of N events as JSON Lines (for benchmarks and load tests).
    Gen {
        /// How many events.
        #[arg(long, default_value_t = 100_000)]
        events: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// What went wrong, sorted by what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: the message names file, line and field.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Io(String),
    /// Not a failure of the command: the controls ran and found errors (fel); the exit code says so.
    #[error("den interna kontrollen fann {}", crate::report::number::counted(*.0 as u64, "fel", "fel"))]
    Findings(usize),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 1,
            CliError::Ledger(
                LedgerError::Rejected { .. }
                | LedgerError::BadRecorder(_)
                | LedgerError::BatchTooLarge(_)
                | LedgerError::Unknown(_),
            ) => 1,
            CliError::Ledger(LedgerError::Conflict { .. }) => 3,
            CliError::Findings(_) => 7,
            CliError::Ledger(LedgerError::Store(StoreError::InUse { .. })) => 4,
            CliError::Ledger(
                LedgerError::Corrupt { .. }
                | LedgerError::Store(StoreError::Corrupt(_) | StoreError::Damaged(_)),
            ) => 6,
            CliError::Ledger(LedgerError::Store(StoreError::Io(_))) | CliError::Io(_) => 5,
        }
    }
}

pub type Result<T> = std::result::Result<T, CliError>;

/// Opens an existing ledger. A folder with none of a store's files is an error that says how to
/// create one; a folder with some of them, or damaged ones, is damage (exit 6), never a new store.
pub fn open_existing(db: &std::path::Path) -> Result<Ledger> {
    match folder::inspect(db).map_err(LedgerError::from)? {
        Folder::Absent => Err(CliError::Input(format!(
            "there is no ledger at {} (create one with `rambok init --db {}`, or point --db / RAMBOK_DB at yours)",
            db.display(),
            db.display()
        ))),
        Folder::Present(_) => Ok(Ledger::open(db)?),
    }
}

pub fn require_user(r: &Recorder) -> Result<String> {
    match &r.user {
        Some(u) if !u.trim().is_empty() => Ok(u.trim().to_string()),
        _ => Err(CliError::Input(
            "who is recording? give --user NAME or set RAMBOK_USER".into(),
        )),
    }
}

/// Runs a parsed command, writing to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    if let Some(url) = cli.server.as_deref() {
        if serve::is_remote(&cli.command) {
            let client = client::Client::new(url, cli.token.as_deref(), cli.ca_cert.as_deref())?;
            return serve::remote(&client, cli.command, out);
        }
    }
    match cli.command {
        Command::Init => {
            // A damaged folder is reported as it is found (exit 6), never replaced by a new store.
            if folder::inspect(&cli.db).map_err(LedgerError::from)? != Folder::Absent {
                writeln!(
                    out,
                    "a ledger already exists at {}; nothing changed",
                    cli.db.display()
                )
                .map_err(io)?;
                return Ok(());
            }
            let ledger = Ledger::open(&cli.db)?;
            writeln!(
                out,
                "created an empty ledger at {} (sequence {})",
                cli.db.display(),
                ledger.head().seq
            )
            .map_err(io)?;
            Ok(())
        }
        Command::Import(args) => import::run(&cli.db, args, out),
        Command::Record(args) => record::run(&cli.db, args, out),
        Command::Log(args) => log::run(&cli.db, args, out),
        Command::Report(args) => report::run(&cli.db, args, out),
        Command::Demo => demo::run(out),
        Command::History(a) => audit::run_history(&cli.db, a, out),
        Command::Diff(a) => audit::run_diff(&cli.db, a, out),
        Command::Control(a) => {
            // Warnings and notes are for reading; only errors fail a script.
            let report = audit::run_control(&cli.db, a, out)?;
            match report.errors() {
                0 => Ok(()),
                n => Err(CliError::Findings(n)),
            }
        }
        Command::Export(a) => export::run(&cli.db, a, out),
        Command::Verify { against } => verify(&cli.db, against, out),
        Command::Digest { out: file } => digest(&cli.db, &file, out),
        Command::Serve(a) => serve::run(&cli.db, a, out),
        Command::Token(a) => token::run(&cli.db, a, out),
        Command::Gen { events, seed } => {
            let mut result = Ok(());
            crate::gen::municipality(events, seed, |v| {
                if result.is_ok() {
                    result = writeln!(out, "{v}");
                }
            });
            result.map_err(io)
        }
    }
}

fn verify(db: &std::path::Path, against: Option<PathBuf>, out: &mut dyn Write) -> Result<()> {
    use crate::control::verify as v;
    let digest = against
        .map(|f| {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| CliError::Input(format!("{}: cannot read: {e}", f.display())))?;
            v::parse_digest(&text).map_err(|e| CliError::Input(format!("{}: {e}", f.display())))
        })
        .transpose()?;
    let ledger = open_existing(db)?;
    let done = match &digest {
        Some(d) => v::verify_against(&ledger, d)?,
        None => v::verify(&ledger)?,
    };
    writeln!(out, "ok: {} records, every hash checks out", done.head.seq).map_err(io)?;
    if let Some(d) = digest {
        writeln!(
            out,
            "ok: the ledger extends the digest at sequence {} ({})",
            d.seq,
            v::hex(&d.hash)
        )
        .map_err(io)?;
    }
    writeln!(
        out,
        "head: sequence {} hash {}",
        done.head.seq,
        v::hex(&done.head.hash)
    )
    .map_err(io)
}

fn digest(db: &std::path::Path, file: &std::path::Path, out: &mut dyn Write) -> Result<()> {
    use crate::control::verify as v;
    let ledger = open_existing(db)?;
    let done = v::verify(&ledger)?;
    std::fs::write(file, v::digest_text(&done.head))
        .map_err(|e| CliError::Io(format!("{}: cannot write: {e}", file.display())))?;
    writeln!(
        out,
        "wrote the digest of sequence {} to {}",
        done.head.seq,
        file.display()
    )
    .map_err(io)
}

pub fn io(e: std::io::Error) -> CliError {
    CliError::Io(e.to_string())
}

/// The binary's entry: parse, run, print errors to stderr, exit with a code that says what kind.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let db = cli.db.clone();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = run(cli, &mut out).and_then(|()| out.flush().map_err(io));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Io(msg)) if msg.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(e) => {
            drop(out);
            eprintln!("rambok: {}", serve::explain(&e, &db));
            ExitCode::from(e.exit_code())
        }
    }
}
