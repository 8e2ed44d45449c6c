//! The command line: clap definitions (stage one: parse and validate arguments) and one handler per
//! command (stage two: open the ledger, run, print). `main` maps errors to exit codes.

mod audit;
pub mod client;
mod copy;
pub mod demo;
mod export;
mod import;
mod log;
mod record;
pub mod report;
pub mod serve;
mod sheet;
mod token;
pub mod usage;
mod user;

use crate::lang::counted;
use crate::ledger::LedgerError;
use crate::store::folder::{self, Folder};
use crate::store::pg::PgStore;
use crate::store::target::Target;
use crate::store::{Engine, StoreError};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use usage::GLOBAL;

/// The default store, used when neither --db nor RAMBOK_DB names one.
pub const DEFAULT_DB: &str = "rambok.db";

/// A ledger as the commands open it: on sled or on PostgreSQL, whichever `--db` names.
pub type Ledger = crate::ledger::Ledger<Engine>;

#[derive(Parser, Debug)]
#[command(
    name = "rambok",
    version,
    about = "En liggare över kommunala budgetbeslut: varje beslut en händelse som inte ändras, varje tabell för vilket datum som helst",
    long_about = "rambok sparar varje budgetbeslut (budgetramar, ändringar, besparingskrav, ramväxlingar, \
internbudgetar, utfall, mål och deras status) som en händelse som inte ändras, med vem som beslutade, när, \
under vilken ärendebeteckning och vem som registrerade den. Rapporterna bygger tabellerna för vilket datum \
som helst.\n\n\
Börja med `rambok demo` för att se exemplet från Kalmar, sedan `rambok init`, `rambok import FIL` och \
`rambok report frames --year 2017`."
)]
pub struct Cli {
    /// Liggarens mapp (skapas av `init`), eller en liggare i PostgreSQL:
    /// postgres://ANVÄNDARE@VÄRD:PORT/DATABAS?ledger=NAMN (en Unix-socket som ?host=/MAPP&port=N).
    #[arg(long, global = true, env = "RAMBOK_DB", default_value = DEFAULT_DB, help_heading = GLOBAL)]
    pub db: PathBuf,
    /// Skicka kommandot till en körande `rambok serve` på den här adressen (http:// eller https://)
    /// i stället för att öppna liggaren.
    #[arg(long, global = true, env = "RAMBOK_SERVER", value_name = "URL", help_heading = GLOBAL)]
    pub server: Option<String>,
    /// API-token för --server (från `rambok token add`).
    #[arg(long, global = true, env = "RAMBOK_TOKEN", hide_env_values = true, help_heading = GLOBAL)]
    pub token: Option<String>,
    /// Lita på den https://-server (--server) vars certifikat är signerat av denna CA, eller är
    /// detta självsignerade certifikat (PEM, ett eller flera), i stället för de inbyggda publika.
    #[arg(long, global = true, env = "RAMBOK_CA_CERT", value_name = "FILE", help_heading = GLOBAL)]
    pub ca_cert: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Vem som registrerar händelser. Krävs för varje kommando som skriver.
#[derive(clap::Args, Debug, Clone)]
pub struct Recorder {
    /// Ditt användarnamn; sparas med varje händelse du registrerar.
    #[arg(long, env = "RAMBOK_USER")]
    pub user: Option<String>,
    /// Lägg till bara om liggarens sista sekvensnummer är detta (optimistisk samtidighet).
    #[arg(long, value_name = "SEQ")]
    pub expect_seq: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Skapa en tom liggare i --db.
    Init,
    /// Importera händelser från JSON Lines-filer, eller ur en arbetsbok (.xlsx) med en rad per område: alla eller ingen.
    Import(import::ImportArgs),
    /// Registrera en händelse med flaggor, ett underkommando per händelsetyp: `rambok record TYP
    /// --help` visar dess fält som ett formulär, med ett exempel.
    Record(record::RecordArgs),
    /// Lista registrerade händelser med sekvensnummer, tid, vem som registrerade och hash.
    Log(log::LogArgs),
    /// Budgettabeller och målstatus för vilket datum som helst.
    Report(report::ReportArgs),
    /// Importera de medföljande Kalmardata i en ny tillfällig liggare och skriv ut rapporterna.
    Demo,
    /// Varje händelse som ändrade en förvaltnings budgetram (eller ett områdes budget), med beslut,
    /// vem som registrerade och löpande belopp; rättelser bredvid det de rättar. `--format svg`
    /// ritar bryggan.
    History(audit::HistoryArgs),
    /// Vad som ändrades i budgetramar, internbudgetar och status mellan två datum, händelse för
    /// händelse.
    Diff(audit::DiffArgs),
    /// Den interna kontrollens iakttagelser för ett år; avslutar med 7 bara när det finns fel.
    Control(audit::ControlArgs),
    /// En arbetsbok (eller en mapp med CSV-filer) för revisorer: budgetramar, broar, budgetar,
    /// utfall, mål, verifikationskedjan med hashar och kontrollens iakttagelser.
    Export(export::ExportArgs),
    /// Räkna om hashkedjan och kontrollera varje post; skriv ut kontrollsumman för den senaste.
    Verify {
        /// En kontrollsumma skriven tidigare av `rambok digest`: visa också att liggaren fortfarande
        /// bygger vidare på den.
        #[arg(long, value_name = "FILE")]
        against: Option<PathBuf>,
    },
    /// Skriv kontrollsumman (sekvensnummer och hash) till en fil som en revisor förvarar någon
    /// annanstans.
    Digest {
        /// Filen att skriva.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Servera liggaren över HTTP: JSON-API:t under /api/ och webbsidan på /. Med --demo:
    /// Kalmardata i en tillfällig liggare.
    Serve(serve::ServeArgs),
    /// Kopiera en liggare till en ny, också mellan mapp (sled) och PostgreSQL: samma poster och
    /// hashkedja, kontrollerad i båda.
    Copy(copy::CopyArgs),
    /// API-token för `rambok serve`: lägg till (visas en gång), lista, ta bort.
    Token(token::TokenArgs),
    /// Konton för personer som loggar in på sidan med namn och lösenord: lägg till, lista, stäng
    /// av, öppna igen, byt lösenord eller roll.
    User(user::UserArgs),
    /// Skriv en påhittad kommun med N händelser som JSON Lines (för mätningar och lasttester).
    Gen {
        /// Hur många händelser.
        #[arg(long, default_value_t = 100_000)]
        events: usize,
        /// Fröet för slumptalen: samma frö ger samma kommun.
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
    #[error("den interna kontrollen fann {}", crate::lang::counted(*.0 as u64, "fel", "fel"))]
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
            CliError::Ledger(
                LedgerError::Conflict { .. } | LedgerError::Store(StoreError::Conflict { .. }),
            ) => 3,
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

/// What `--db` names; a URL rambok cannot open is bad input.
pub fn target(db: &std::path::Path) -> Result<Target> {
    Target::parse(db).map_err(CliError::Input)
}

/// Opens an existing ledger. A folder with none of a store's files is an error that says how to
/// create one; a folder with some of them, or damaged ones, is damage (exit 6), never a new store.
/// A PostgreSQL ledger must have been made by `init`.
pub fn open_existing(db: &std::path::Path) -> Result<Ledger> {
    match target(db)? {
        Target::Folder(path) => {
            if folder::inspect(&path).map_err(LedgerError::from)? == Folder::Absent {
                return Err(CliError::Input(format!(
                    "det finns ingen liggare i {} (skapa en med `rambok init --db {}`, eller peka --db / RAMBOK_DB på din)",
                    db.display(),
                    db.display()
                )));
            }
            Ok(Ledger::open_target(&Target::Folder(path))?)
        }
        Target::Postgres(url) => {
            let store = PgStore::connect(&url).map_err(LedgerError::from)?;
            if !store.exists().map_err(LedgerError::from)? {
                return Err(CliError::Input(format!(
                    "det finns ingen liggare '{}' i {} (skapa den med `rambok init --db '{}'`)",
                    store.ledger(),
                    store.shown(),
                    store.shown()
                )));
            }
            Ok(Ledger::with_store(Engine::Postgres(Box::new(store)))?)
        }
    }
}

/// `rambok init`: a new empty ledger in a folder, or in a PostgreSQL database (its tables made
/// when the database has none).
fn init(db: &std::path::Path, out: &mut dyn Write) -> Result<()> {
    let (ledger, shown) = match target(db)? {
        Target::Folder(path) => {
            // A damaged folder is reported as it is found (exit 6), never replaced by a new store.
            if folder::inspect(&path).map_err(LedgerError::from)? != Folder::Absent {
                writeln!(
                    out,
                    "det finns redan en liggare i {}; inget ändrades",
                    db.display()
                )
                .map_err(io)?;
                return Ok(());
            }
            (
                Ledger::open_target(&Target::Folder(path))?,
                db.display().to_string(),
            )
        }
        Target::Postgres(url) => {
            let (store, created) = PgStore::create(&url).map_err(LedgerError::from)?;
            let shown = store.shown().to_string();
            if !created {
                writeln!(out, "det finns redan en liggare i {shown}; inget ändrades")
                    .map_err(io)?;
                return Ok(());
            }
            (
                Ledger::with_store(Engine::Postgres(Box::new(store)))?,
                shown,
            )
        }
    };
    writeln!(
        out,
        "skapade en tom liggare i {shown} (sekvens {})",
        ledger.head().seq
    )
    .map_err(io)
}

pub fn require_user(r: &Recorder) -> Result<String> {
    match &r.user {
        Some(u) if !u.trim().is_empty() => Ok(u.trim().to_string()),
        _ => Err(CliError::Input(
            "vem registrerar? ange --user NAMN eller sätt RAMBOK_USER".into(),
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
        Command::Init => init(&cli.db, out),
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
        Command::User(a) => user::run(&cli.db, a, out),
        Command::Copy(a) => copy::run(a, out),
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
            let text = std::fs::read_to_string(&f).map_err(|e| {
                CliError::Input(format!(
                    "{}: kan inte läsas: {}",
                    f.display(),
                    crate::lang::io_error(&e)
                ))
            })?;
            v::parse_digest(&text).map_err(|e| CliError::Input(format!("{}: {e}", f.display())))
        })
        .transpose()?;
    let ledger = open_existing(db)?;
    let done = match &digest {
        Some(d) => v::verify_against(&ledger, d)?,
        None => v::verify(&ledger)?,
    };
    verified(
        out,
        done.head.seq,
        &v::hex(&done.head.hash),
        digest.as_ref(),
    )
}

/// What `verify` says when the chain checks out, run locally or through a server.
fn verified(
    out: &mut dyn Write,
    seq: u64,
    hash: &str,
    digest: Option<&crate::store::Head>,
) -> Result<()> {
    use crate::control::verify as v;
    writeln!(
        out,
        "ok: {}, varje hash stämmer",
        counted(seq, "post", "poster")
    )
    .map_err(io)?;
    if let Some(d) = digest {
        writeln!(
            out,
            "ok: liggaren bygger vidare på kontrollsumman vid sekvens {} ({})",
            d.seq,
            v::hex(&d.hash)
        )
        .map_err(io)?;
    }
    writeln!(out, "senaste: sekvens {seq} hash {hash}").map_err(io)
}

/// What `digest` says when it has written the file.
fn digest_written(out: &mut dyn Write, seq: u64, file: &std::path::Path) -> Result<()> {
    writeln!(
        out,
        "skrev kontrollsumman för sekvens {seq} till {}",
        file.display()
    )
    .map_err(io)
}

/// A file that could not be written, named.
pub fn cannot_write(file: &std::path::Path, e: &std::io::Error) -> CliError {
    CliError::Io(format!(
        "{}: kan inte skrivas: {}",
        file.display(),
        crate::lang::io_error(e)
    ))
}

fn digest(db: &std::path::Path, file: &std::path::Path, out: &mut dyn Write) -> Result<()> {
    use crate::control::verify as v;
    let ledger = open_existing(db)?;
    let done = v::verify(&ledger)?;
    std::fs::write(file, v::digest_text(&done.head)).map_err(|e| cannot_write(file, &e))?;
    digest_written(out, done.head.seq, file)
}

pub fn io(e: std::io::Error) -> CliError {
    CliError::Io(crate::lang::io_error(&e))
}

/// The binary's entry: parse, run, print errors to stderr, exit with a code that says what kind.
pub fn main() -> ExitCode {
    let cli: Cli = usage::parse();
    let db = cli.db.clone();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // A damaged sled store can make sled panic on any read, not only on opening: that is a damaged
    // store (exit 6), said as such, never a crash. Any other panic stays a panic.
    let ran = crate::store::sled_store::catch_sled_panic(|| run(cli, &mut out));
    let result = match ran {
        Ok(result) => result,
        Err(crate::store::sled_store::Caught::Sled(stopped)) => {
            Err(CliError::Ledger(LedgerError::Store(StoreError::Corrupt(
                format!("sled kan inte läsa liggaren: {stopped}"),
            ))))
        }
        Err(crate::store::sled_store::Caught::Other(payload)) => std::panic::resume_unwind(payload),
    }
    .and_then(|()| out.flush().map_err(io));
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
