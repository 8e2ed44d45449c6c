//! `rambok serve` (the store's one owner, serving the API and the page), `--server URL` (the other
//! commands as requests to a running server), and the message a command gets when the store is
//! held by a server: where it is and how to reach it.

use super::client::{corrupt, Client};
use super::report::{Common, Format, Report, SignArg};
use super::{open_existing, CliError, Command, Result};
use crate::json::event_to_json;
use crate::lang::counted;
use crate::ledger::LedgerError;
use crate::server::auth::{Role, TokenStore};
use crate::server::session::SessionLimits;
use crate::server::throttle::ThrottleLimits;
use crate::server::tls::Tls;
use crate::server::Ledger;
use crate::server::{self, AppState, Limits, EVENTS_PER_REQUEST_MAX};
use crate::store::sled_store::SledStore;
use crate::store::StoreError;
use chrono::Utc;
use serde_json::{json, Value};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

pub use super::export::sheets as export_sheets;

/// The file a running server leaves in the store's folder: `{"url": ..., "pid": ...}`.
pub const SERVE_FILE: &str = "serve.json";

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Porten att lyssna på (0 väljer en ledig).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Adressen att lyssna på. Standard är bara den här datorn; servera alla andra över HTTPS
    /// (--tls-cert, --tls-key) eller bakom en proxy som avslutar TLS.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Servera HTTPS med detta certifikat (PEM; kedjan, lövet först). Kräver --tls-key.
    #[arg(long, env = "RAMBOK_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// Den privata nyckeln till --tls-cert (PEM: PKCS#8, RSA eller EC).
    #[arg(long, env = "RAMBOK_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Servera Kalmardata ur en ny tillfällig liggare, med demotoken (skrivs ut).
    #[arg(long)]
    pub demo: bool,
    /// En delegationsordning (JSON, se docs/control.md) för kontrollerna i stället för
    /// liggarens egna (delegation_set).
    #[arg(long, env = "RAMBOK_DELEGATION", value_name = "FILE")]
    pub delegation: Option<PathBuf>,
    /// Mappen med API-token och åtkomstlogg för en liggare i PostgreSQL (skapas om den saknas;
    /// en per server); en liggare i en mapp har dem i sin egen mapp.
    #[arg(long, env = "RAMBOK_TOKENS", value_name = "DIR")]
    pub tokens: Option<PathBuf>,
    /// Högst så många öppna anslutningar åt gången (sänks till vad gränsen för öppna filer
    /// tillåter); fler väntar tills någon stängs.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub connections_max: u32,
    /// Högst så många öppna anslutningar från en och samma adress (bakom en proxy: proxyns).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub connections_per_address: u32,
    /// Sekunder en anslutning har på sig att skicka ett anrops huvud, efter att den öppnats och
    /// efter varje svar; en tyst anslutning stängs sedan.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Sekunder ett anrop får ta, från huvudet till svaret (503 efter).
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub request_timeout: u64,
    /// Minuter en inloggning på sidan får vara oanvänd innan den går ut.
    #[arg(long, value_name = "MIN", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub session_idle: u64,
    /// Timmar en inloggning på sidan varar som längst, använd eller inte.
    #[arg(long, value_name = "HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub session_max: u64,
    /// Inloggning med OpenID Connect (t.ex. Entra ID): en JSON-fil med issuer, client_id,
    /// client_secret_env, redirect_url och roles (se docs/accounts.md).
    #[arg(long, env = "RAMBOK_OIDC", value_name = "FILE")]
    pub oidc: Option<PathBuf>,
}

impl ServeArgs {
    fn limits(&self) -> Limits {
        Limits {
            connections_max: self.connections_max as usize,
            per_address_max: self.connections_per_address as usize,
            header_timeout: std::time::Duration::from_secs(self.header_timeout),
            request_timeout: std::time::Duration::from_secs(self.request_timeout),
        }
    }

    fn sessions(&self) -> SessionLimits {
        SessionLimits {
            idle: chrono::Duration::minutes(self.session_idle as i64),
            absolute: chrono::Duration::hours(self.session_max as i64),
            ..SessionLimits::default()
        }
    }
}

/// The API tokens for `ledger`, and the folder they are in (where `serve.json` goes): the
/// ledger's own folder on sled, else `--tokens DIR` (the only choice for PostgreSQL).
pub fn token_store(ledger: &Ledger, folder: &Option<PathBuf>) -> Result<(TokenStore, PathBuf)> {
    let held = |e: StoreError| CliError::Ledger(LedgerError::Store(e));
    match (folder, ledger.store().sled()) {
        (Some(dir), _) => {
            let store = SledStore::open(dir).map_err(held)?;
            Ok((TokenStore::open(&store).map_err(held)?, dir.clone()))
        }
        (None, Some(sled)) => Ok((
            TokenStore::open(sled).map_err(held)?,
            sled.path().to_path_buf(),
        )),
        (None, None) => Err(CliError::Input(
            "en liggare i PostgreSQL har sina API-token och sin åtkomstlogg i en egen mapp: ange --tokens MAPP (eller RAMBOK_TOKENS)".into(),
        )),
    }
}

/// The certificate and key for HTTPS, both or neither.
fn tls(cert: &Option<PathBuf>, key: &Option<PathBuf>) -> Result<Option<Tls>> {
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Tls::load(cert, key)
            .map(Some)
            .map_err(|e| CliError::Input(e.to_string())),
        (Some(_), None) => Err(CliError::Input(
            "--tls-cert kräver --tls-key: ange båda för HTTPS, eller ingen för vanlig HTTP".into(),
        )),
        (None, Some(_)) => Err(CliError::Input(
            "--tls-key kräver --tls-cert: ange båda för HTTPS, eller ingen för vanlig HTTP".into(),
        )),
    }
}

fn token_err(e: crate::server::auth::TokenError) -> CliError {
    match e {
        crate::server::auth::TokenError::Input(m) => CliError::Input(m),
        crate::server::auth::TokenError::Store(s) => CliError::Ledger(LedgerError::Store(s)),
    }
}

/// The demo's tokens: role, name, token.
type DemoTokens = Vec<(Role, String, String)>;

/// The demo's admin account: its name, and a password made for this run.
const DEMO_ADMIN: &str = "demo-admin";

/// A fresh store with the Kalmar fixtures, one token per role and an admin account; returns the
/// tokens and the admin's password.
fn demo_store(dir: &Path) -> Result<(Ledger, TokenStore, usize, DemoTokens, String)> {
    let ledger: Ledger = crate::ledger::Ledger::open(&dir.join("ledger"))?.into();
    let done = ledger.append(&super::demo::fixture_events()?, "demo", None, Utc::now())?;
    let (tokens, _) = token_store(&ledger, &None)?;
    let mut made = Vec::new();
    for role in [Role::Revisor, Role::Controller, Role::Auditor] {
        let name = format!("demo-{}", role.name());
        let token = tokens
            .add(&name, role, None, "rambok serve --demo", Utc::now())
            .map_err(token_err)?;
        made.push((role, name, token));
    }
    let password = crate::server::auth::random_hex::<12>().map_err(LedgerError::from)?;
    tokens
        .users()
        .add(
            DEMO_ADMIN,
            Role::Admin,
            &password,
            "rambok serve --demo",
            Utc::now(),
        )
        .map_err(|e| CliError::Input(e.to_string()))?;
    Ok((ledger, tokens, done.added, made, password))
}

pub fn run(db: &Path, a: ServeArgs, out: &mut dyn Write) -> Result<()> {
    let delegation = super::audit::load_delegation(a.delegation.as_deref())?;
    let tls = tls(&a.tls_cert, &a.tls_key)?;
    let oidc = (a.oidc.as_deref())
        .map(crate::server::oidc::OidcConfig::load)
        .transpose()
        .map_err(CliError::Input)?;
    let temp = if a.demo {
        Some(tempfile::tempdir().map_err(super::io)?)
    } else {
        None
    };
    let (ledger, tokens, folder, intro) = match &temp {
        Some(dir) => {
            let (ledger, tokens, added, made, password) = demo_store(dir.path())?;
            let folder = dir.path().join("ledger");
            let intro = Intro::Demo {
                added,
                tokens: made,
                password,
            };
            (ledger, tokens, folder, intro)
        }
        None => {
            let ledger = open_existing(db)?;
            let (tokens, folder) = token_store(&ledger, &a.tokens)?;
            let count = tokens.list().map_err(LedgerError::from)?.len()
                + tokens.users().list().map_err(LedgerError::from)?.len();
            (ledger, tokens, folder, Intro::Store { count })
        }
    };
    let head = ledger.head().seq;
    let shown = ledger.store().shown();
    let name = if a.demo {
        "kalmar-demo".to_string()
    } else {
        super::export::ledger_name(db)
    };
    let state = AppState::with_tokens(ledger, tokens, delegation, &name)?;
    state.set_account_limits(a.sessions(), ThrottleLimits::default());
    if let Some(config) = oidc {
        state.set_oidc(config);
    }
    let limits = a.limits();
    let addr = SocketAddr::new(a.bind, a.port);
    let serve_file = folder.join(SERVE_FILE);
    let scheme = server::scheme(tls.as_ref());
    let served = server::run(state, addr, tls, limits, |bound| {
        let url = format!("{scheme}://{bound}");
        let _ = std::fs::write(
            &serve_file,
            json!({"url": url, "pid": std::process::id()}).to_string(),
        );
        intro.print(out, &url, &shown, head)?;
        out.flush()
    });
    let _ = std::fs::remove_file(&serve_file);
    served.map_err(|e| {
        CliError::Io(format!(
            "kan inte servera på {addr}: {} (välj en annan port med --port)",
            crate::lang::io_error(&e)
        ))
    })
}

enum Intro {
    Demo {
        added: usize,
        tokens: DemoTokens,
        password: String,
    },
    Store {
        count: usize,
    },
}

impl Intro {
    fn print(&self, out: &mut dyn Write, url: &str, shown: &str, head: u64) -> std::io::Result<()> {
        match self {
            Intro::Demo {
                added,
                tokens,
                password,
            } => {
                writeln!(out, "rambok serve --demo: {added} händelser ur Kalmar kommuns dokument i en tillfällig liggare ({shown})")?;
                let page_token = &tokens[0].2;
                writeln!(
                    out,
                    "\nÖppna sidan i en webbläsare:\n\n    {url}/#token={page_token}\n"
                )?;
                writeln!(out, "API-token för demon (visas bara nu; rollen revisor läser, controller får också registrera):")?;
                for (role, name, token) in tokens {
                    writeln!(out, "    {:<10}  {name:<17}  {token}", role.name())?;
                }
                writeln!(out, "\nLogga in på sidan som admin (fliken Konton): namn {DEMO_ADMIN}, lösenord {password}")?;
                writeln!(out, "\nAPI: {url}/api/ (docs/api.md). Avsluta med Ctrl-C; den tillfälliga liggaren tas då bort.")
            }
            Intro::Store { count } => {
                writeln!(
                    out,
                    "rambok serve: liggaren i {shown} (sekvens {head}) serveras på {url}/"
                )?;
                writeln!(out, "öppna {url}/ i en webbläsare och logga in med namn och lösenord (eller en token); API:t finns under {url}/api/ (docs/api.md)")?;
                if *count == 0 {
                    writeln!(out, "det finns inga konton eller API-token ännu: stoppa servern (Ctrl-C) och skapa ett konto med `rambok user add NAMN --role admin`")?;
                }
                writeln!(out, "avsluta med Ctrl-C")
            }
        }
    }
}

/// The message for an error; when the store is held by a running server, where it is and how to
/// reach it instead of a bare "in use".
pub fn explain(e: &CliError, db: &Path) -> String {
    if !matches!(
        e,
        CliError::Ledger(LedgerError::Store(StoreError::InUse { .. }))
    ) {
        return e.to_string();
    }
    let served = std::fs::read_to_string(db.join(SERVE_FILE))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| Some((v["url"].as_str()?.to_string(), v["pid"].as_u64()?)))
        .filter(|(_, pid)| Path::new(&format!("/proc/{pid}")).exists());
    match served {
        Some((url, pid)) => {
            let ca_hint = if url.starts_with("https://") {
                ", med --ca-cert FIL om dess certifikat är självsignerat eller från en egen CA"
            } else {
                ""
            };
            format!(
                "liggaren i {} serveras av `rambok serve` på {url} (pid {pid}): öppna {url}/ i en webbläsare, \
eller kör kommandot genom servern med --server {url} --token TOKEN (eller sätt RAMBOK_SERVER och \
RAMBOK_TOKEN){ca_hint}; konton och token hanteras av en admin på sidan eller genom API:t (/api/users, /api/tokens) medan servern kör, och med `rambok user` och `rambok token` medan den är stoppad",
                db.display()
            )
        }
        None => e.to_string(),
    }
}

/// Whether a command works on a store (and so goes to the server when --server is given).
pub fn is_remote(command: &Command) -> bool {
    !matches!(
        command,
        Command::Demo | Command::Gen { .. } | Command::Serve(_) | Command::Copy(_)
    )
}

/// The `sign` parameter's value.
fn sign_name(s: SignArg) -> &'static str {
    match s {
        SignArg::Cost => "cost",
        SignArg::Result => "result",
    }
}

fn common_query(c: &Common) -> Vec<(&'static str, String)> {
    let mut q = vec![
        (
            "format",
            match c.format {
                Format::Table => "table",
                Format::Csv => "csv",
                Format::Json => "json",
                Format::Svg => "svg",
            }
            .to_string(),
        ),
        ("unit", c.unit.name().to_string()),
        ("sign", sign_name(c.sign).to_string()),
    ];
    for (k, v) in [("as_of", &c.as_of), ("known_at", &c.known_at)] {
        if let Some(v) = v {
            q.push((k, v.clone()));
        }
    }
    if let Some(d) = c.decimals {
        q.push(("decimals", d.to_string()));
    }
    q
}

/// The report's endpoint and its own parameters.
fn report_query(r: &Report) -> (&'static str, Vec<(&'static str, String)>) {
    let s = |v: &dyn ToString| v.to_string();
    match r {
        Report::Frames { year } => ("frames", vec![("year", s(year))]),
        Report::Bridge { office, from, to } => (
            "bridge",
            vec![("office", s(office)), ("from", s(from)), ("to", s(to))],
        ),
        Report::Budget {
            office,
            year,
            compare,
        } => {
            let mut q = vec![("office", s(office)), ("year", s(year))];
            q.extend(compare.map(|c| ("compare", s(&c))));
            ("budget", q)
        }
        Report::Outcome { office, year } => {
            ("outcome", vec![("office", s(office)), ("year", s(year))])
        }
        Report::Investments {
            office,
            year,
            compare,
        } => {
            let mut q = vec![("office", s(office)), ("year", s(year))];
            q.extend(compare.map(|c| ("compare", s(&c))));
            ("investments", q)
        }
        Report::Goals { office, year } => {
            let mut q = vec![("year", s(year))];
            q.extend(office.as_ref().map(|o| ("office", s(o))));
            ("goals", q)
        }
        Report::Indicators { office, year } => {
            let mut q = vec![("year", s(year))];
            q.extend(office.as_ref().map(|o| ("office", s(o))));
            ("indicators", q)
        }
    }
}

/// Prints a report reply as the local command would: JSON pretty, everything else as sent.
fn print_reply(body: &[u8], format: Format, out: &mut dyn Write) -> Result<()> {
    if format == Format::Json {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| CliError::Io(format!("the server's answer is not JSON: {e}")))?;
        let text = serde_json::to_string_pretty(&v).map_err(|e| CliError::Io(e.to_string()))?;
        return writeln!(out, "{text}").map_err(super::io);
    }
    out.write_all(body).map_err(super::io)
}

fn get_report(
    c: &Client,
    path: &str,
    mut q: Vec<(&str, String)>,
    common: &Common,
    out: &mut dyn Write,
) -> Result<Option<usize>> {
    q.extend(common_query(common));
    let reply = c.get(path, &q)?;
    print_reply(&reply.body, common.format, out)?;
    Ok(reply.findings)
}

/// Runs a store command against the server at `url`.
pub fn remote(c: &Client, command: Command, out: &mut dyn Write) -> Result<()> {
    match command {
        Command::Report(a) => {
            let (path, q) = report_query(&a.report);
            get_report(c, path, q, &a.common, out).map(drop)
        }
        Command::History(a) => {
            let mut q = vec![("office", a.office.clone()), ("year", a.year.to_string())];
            q.extend(a.area.clone().map(|x| ("area", x)));
            get_report(c, "history", q, &a.common, out).map(drop)
        }
        Command::Diff(a) => get_report(c, "diff", vec![("from", a.from.clone()), ("to", a.to.clone())], &a.common, out).map(drop),
        Command::Control(a) => remote_control(c, a, out),
        Command::Verify { against } => remote_verify(c, against, out),
        Command::Digest { out: file } => remote_digest(c, &file, out),
        Command::Import(a) => remote_import(c, a, out),
        Command::Record(a) => remote_record(c, a, out),
        Command::Export(a) => remote_export(c, a, out),
        other => Err(CliError::Input(format!(
            "`rambok {}` arbetar direkt på liggaren och finns inte med --server; stoppa servern först",
            command_name(&other)
        ))),
    }
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Init => "init",
        Command::Log(_) => "log",
        Command::Token(_) => "token",
        Command::User(_) => "user",
        _ => "det här kommandot",
    }
}

fn remote_control(c: &Client, a: super::audit::ControlArgs, out: &mut dyn Write) -> Result<()> {
    if a.delegation.is_some() {
        return Err(CliError::Input(
            "--delegation finns inte med --server: servern kör sina kontroller med den delegationsordning den startades med".into(),
        ));
    }
    let q = vec![
        ("year", a.year.to_string()),
        ("late_days", a.late_days.to_string()),
    ];
    match get_report(c, "control", q, &a.common, out)? {
        Some(n) if n > 0 => Err(CliError::Findings(n)),
        _ => Ok(()),
    }
}

fn verify_reply(c: &Client, digest: Option<&crate::store::Head>) -> Result<Value> {
    let q: Vec<(&str, String)> = digest.map_or_else(Vec::new, |d| {
        vec![
            ("seq", d.seq.to_string()),
            ("hash", crate::control::verify::hex(&d.hash)),
        ]
    });
    let v = c.get("verify", &q)?.json()?;
    if v["ok"] == true {
        return Ok(v);
    }
    let message = v["error"].as_str().unwrap_or("liggaren är skadad");
    Err(corrupt(
        v["seq"].as_u64().unwrap_or(0),
        v["damage"].as_str().unwrap_or(""),
        message,
    ))
}

fn remote_verify(c: &Client, against: Option<PathBuf>, out: &mut dyn Write) -> Result<()> {
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
    let reply = verify_reply(c, digest.as_ref())?;
    super::verified(
        out,
        reply["head"]["seq"].as_u64().unwrap_or(0),
        reply["head"]["hash"].as_str().unwrap_or(""),
        digest.as_ref(),
    )
}

fn remote_digest(c: &Client, file: &Path, out: &mut dyn Write) -> Result<()> {
    let reply = verify_reply(c, None)?;
    let text = json!({"format": "rambok-digest-1", "seq": reply["head"]["seq"], "hash": reply["head"]["hash"]});
    std::fs::write(file, format!("{text}\n")).map_err(|e| super::cannot_write(file, &e))?;
    super::digest_written(out, reply["head"]["seq"].as_u64().unwrap_or(0), file)
}

/// A workbook sent to the server (`POST /api/import.xlsx`), its settings as parameters.
fn remote_workbook(
    c: &Client,
    a: &super::import::ImportArgs,
    path: &Path,
    out: &mut dyn Write,
) -> Result<()> {
    a.sheet.settings()?;
    if a.backfill {
        return Err(CliError::Input(
            "--backfill: en arbetsbok importeras med --server utan --backfill".into(),
        ));
    }
    let bytes = super::sheet::read_workbook(path)?;
    let mut q: Vec<(&str, String)> = crate::sheet::SETTING_NAMES
        .iter()
        .filter_map(|n| a.sheet.get(n).map(|v| (*n, v.to_string())))
        .collect();
    if a.dry_run {
        q.push(("dry_run", "true".into()));
    }
    q.extend(
        a.recorder
            .expect_seq
            .map(|s| ("expected_seq", s.to_string())),
    );
    let name = path.display().to_string();
    let reply = c
        .post_file("import.xlsx", &q, crate::sheet::XLSX_TYPE, &bytes)
        .map_err(|e| match e {
            CliError::Input(m) => CliError::Input(
                m.lines()
                    .map(|l| {
                        if l == "inget importerades" {
                            l.to_string()
                        } else {
                            format!("{name}: {l}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            other => other,
        })?
        .json()?;
    let rows = reply["rows"].as_array().map_or(0, Vec::len) as u64;
    let n = |key: &str| reply[key].as_u64().unwrap_or(0);
    if a.dry_run {
        for e in reply["events"].as_array().into_iter().flatten() {
            writeln!(out, "{e}").map_err(super::io)?;
        }
        eprintln!(
            "läste {}: {} skulle läggas till, {} (fanns redan); inget registrerades (--dry-run)",
            counted(rows, "rad", "rader"),
            counted(n("added"), "händelse", "händelser"),
            counted(n("skipped"), "överhoppad", "överhoppade"),
        );
        return Ok(());
    }
    writeln!(
        out,
        "läste {}: {}, {} (fanns redan); liggaren är nu vid sekvens {}",
        counted(rows, "rad", "rader"),
        counted(n("added"), "tillagd", "tillagda"),
        counted(n("skipped"), "överhoppad", "överhoppade"),
        reply["head_seq"]
    )
    .map_err(super::io)
}

fn remote_import(c: &Client, a: super::import::ImportArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(book) = a.workbook()? {
        return remote_workbook(c, &a, &book, out);
    }
    if a.dry_run {
        return Err(CliError::Input(
            "--dry-run: med --server gäller det en arbetsbok (.xlsx); POST /api/events?dry_run=true prövar JSON".into(),
        ));
    }
    let mut events = Vec::new();
    let mut places = Vec::new();
    let backfill = a.backfill_source()?;
    let read = super::import::read_events(&a.files, false, &mut |mut event, file, line| {
        if let Some(source) = &backfill {
            super::import::mark_backfill(&mut event, source)?;
        }
        if events.len() == EVENTS_PER_REQUEST_MAX {
            return Err(format!("fler än {EVENTS_PER_REQUEST_MAX} händelser: importera dem i flera filer med --server"));
        }
        events.push(event_to_json(&event));
        places.push(format!("{file}:{line}"));
        Ok(())
    })?;
    let body = json!({"events": events, "expected_seq": a.recorder.expect_seq});
    let reply = c
        .post("events", &body)
        .map_err(|e| at_line(e, &places))?
        .json()?;
    writeln!(
        out,
        "läste {}: {} tillagda, {} överhoppade eftersom de redan fanns; liggaren är vid sekvens {}",
        counted(read as u64, "händelse", "händelser"),
        reply["added"],
        reply["skipped"],
        reply["head_seq"]
    )
    .map_err(super::io)
}

/// Puts file and line in front of the server's message about one event of an import.
fn at_line(e: CliError, places: &[String]) -> CliError {
    match e {
        CliError::Input(m) => match m.strip_prefix("händelse ").and_then(|r| r.split_once(": ")) {
            Some((index, rest)) => match index.parse::<usize>().ok().and_then(|i| places.get(i)) {
                Some(place) => CliError::Input(format!("{place}: {rest}\ninget importerades")),
                None => CliError::Input(m),
            },
            None => CliError::Input(m),
        },
        other => other,
    }
}

fn remote_record(c: &Client, a: super::record::RecordArgs, out: &mut dyn Write) -> Result<()> {
    let event = super::record::event_from_flags(&a)?;
    let mut body = json!({"events": [event_to_json(&event)]});
    if let Some(seq) = a.recorder.expect_seq {
        body["expected_seq"] = json!(seq);
    }
    let reply = c.post("events", &body)?.json()?;
    if reply["added"] == 1 {
        writeln!(
            out,
            "registrerad som sekvens {}: {}",
            reply["head_seq"],
            event_to_json(&event)
        )
    } else {
        writeln!(out, "fanns redan, inget registrerades: {}", event.id)
    }
    .map_err(super::io)
}

fn remote_export(c: &Client, a: super::export::ExportArgs, out: &mut dyn Write) -> Result<()> {
    if a.format != super::export::ExportFormat::Xlsx || a.delegation.is_some() {
        return Err(CliError::Input(
            "med --server skriver export arbetsboken (xlsx) med serverns delegationsordning".into(),
        ));
    }
    let mut q = vec![
        ("year", a.year.to_string()),
        ("unit", a.unit.name().to_string()),
        ("sign", sign_name(a.sign).to_string()),
    ];
    q.extend(a.decimals.map(|d| ("decimals", d.to_string())));
    let reply = c.get("export.xlsx", &q)?;
    std::fs::write(&a.out, &reply.body).map_err(|e| super::cannot_write(&a.out, &e))?;
    writeln!(
        out,
        "skrev arbetsboken för {} till {}",
        a.year,
        a.out.display()
    )
    .map_err(super::io)
}
