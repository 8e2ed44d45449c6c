//! The blocking HTTP(S) client behind `rambok --server URL --token TOKEN`: one request per
//! command, errors turned back into the CLI's own (so exit codes mean the same with and without a
//! server). An `https://` server's certificate is always verified: against Mozilla's roots, or
//! against the certificates given with `--ca-cert` (a private CA, or the server's own self-signed
//! certificate).

use crate::cli::CliError;
use crate::ledger::{Damage, LedgerError};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// The longest answer the client reads (a workbook, a large report).
const REPLY_BYTES_MAX: u64 = 256 * 1024 * 1024;
/// How long one request may take, end to end.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest --ca-cert file read, in bytes (a bundle of a few hundred certificates fits).
const CA_FILE_BYTES_MAX: u64 = 4 * 1024 * 1024;

pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

/// A reply with a 2xx status.
pub struct Reply {
    pub body: Vec<u8>,
    /// `X-Rambok-Errors` (errors found), on control replies: what `control` exits 7 on.
    pub findings: Option<usize>,
}

impl Reply {
    pub fn json(&self) -> Result<Value, CliError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| CliError::Io(format!("serverns svar är inte JSON: {e}")))
    }
}

impl Client {
    /// A client for the server at `url` (`http://` or `https://`); `ca_cert` replaces the
    /// built-in roots for an `https://` server.
    pub fn new(url: &str, token: Option<&str>, ca_cert: Option<&Path>) -> Result<Client, CliError> {
        let base = url.trim().trim_end_matches('/').to_string();
        let https = base.starts_with("https://");
        if !https && !base.starts_with("http://") {
            return Err(CliError::Input(format!(
                "--server: '{url}' är ingen http://- eller https://-adress (rambok serve skriver ut sin adress när den startar)"
            )));
        }
        let mut tls = TlsConfig::builder();
        if let (true, Some(file)) = (https, ca_cert) {
            tls = tls.root_certs(RootCerts::new_with_certs(&ca_certs(file)?));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .tls_config(tls.build())
            .build()
            .into();
        Ok(Client {
            agent,
            base,
            token: token
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
        })
    }

    fn auth(&self) -> Result<String, CliError> {
        self.token
            .as_ref()
            .map(|t| format!("Bearer {t}"))
            .ok_or_else(|| {
                CliError::Input(
                    "--server kräver en token: ange --token TOKEN eller sätt RAMBOK_TOKEN (skapa en med `rambok token add`)"
                        .into(),
                )
            })
    }

    /// `GET /api/PATH?QUERY`.
    pub fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Reply, CliError> {
        let mut req = self
            .agent
            .get(format!("{}/api/{path}", self.base))
            .header("Authorization", self.auth()?);
        for (k, v) in query {
            req = req.query(*k, v);
        }
        self.finish(req.call())
    }

    /// `POST /api/PATH` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Result<Reply, CliError> {
        let req = self
            .agent
            .post(format!("{}/api/{path}", self.base))
            .header("Authorization", self.auth()?)
            .header("Content-Type", "application/json");
        self.finish(req.send(body.to_string()))
    }

    /// `POST /api/PATH?QUERY` with a file as the body.
    pub fn post_file(
        &self,
        path: &str,
        query: &[(&str, String)],
        content_type: &str,
        body: &[u8],
    ) -> Result<Reply, CliError> {
        let mut req = self
            .agent
            .post(format!("{}/api/{path}", self.base))
            .header("Authorization", self.auth()?)
            .header("Content-Type", content_type);
        for (k, v) in query {
            req = req.query(*k, v);
        }
        self.finish(req.send(body))
    }

    fn finish(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Reply, CliError> {
        let mut response = sent.map_err(|e| unreachable(&self.base, &e))?;
        let status = response.status().as_u16();
        let findings = response
            .headers()
            .get("x-rambok-errors")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(REPLY_BYTES_MAX)
            .read_to_vec()
            .map_err(|e| CliError::Io(format!("serverns svar kunde inte läsas: {e}")))?;
        if (200..300).contains(&status) {
            return Ok(Reply { body, findings });
        }
        Err(refusal(status, &body))
    }
}

/// The certificates in a --ca-cert file; none is an error naming the file.
fn ca_certs(file: &Path) -> Result<Vec<Certificate<'static>>, CliError> {
    let named = |what: String| CliError::Input(format!("--ca-cert {}: {what}", file.display()));
    let size = std::fs::metadata(file)
        .map_err(|e| named(format!("kan inte läsas: {}", crate::lang::io_error(&e))))?
        .len();
    if size > CA_FILE_BYTES_MAX {
        return Err(named(format!(
            "större än {CA_FILE_BYTES_MAX} byte; är det ett PEM-certifikat?"
        )));
    }
    let pem = std::fs::read(file)
        .map_err(|e| named(format!("kan inte läsas: {}", crate::lang::io_error(&e))))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        // A key or anything else beside the certificates is not ours to use.
        if let PemItem::Certificate(c) = item.map_err(|e| named(format!("inte PEM: {e}")))? {
            certs.push(c);
        }
    }
    if certs.is_empty() {
        return Err(named(
            "inget certifikat i den (väntade ett PEM-block '-----BEGIN CERTIFICATE-----')".into(),
        ));
    }
    Ok(certs)
}

/// The CLI error for a request that got no answer; for a certificate the client does not accept,
/// what is wrong with it and how to trust a private one.
fn unreachable(base: &str, e: &ureq::Error) -> CliError {
    let failed = format!("når inte servern på {base}");
    match tls_failure(e) {
        Some(rustls::Error::InvalidCertificate(why)) => CliError::Io(format!(
            "{failed}: dess TLS-certifikat är inte betrott ({}); om servern använder ett självsignerat \
certifikat eller en egen CA, ange det certifikatet med --ca-cert FIL (eller RAMBOK_CA_CERT)",
            untrusted(why)
        )),
        Some(other) => CliError::Io(format!(
            "{failed}: TLS-handskakningen misslyckades ({other}); serverar den HTTPS \
(`rambok serve --tls-cert FIL --tls-key FIL`)?"
        )),
        None if base.starts_with("http://") && matches!(e, ureq::Error::Protocol(_)) => {
            CliError::Io(format!(
                "{failed}: svaret är inte HTTP ({e}); serverar den HTTPS börjar adressen med https://"
            ))
        }
        None => CliError::Io(format!("{failed}: {} (körs `rambok serve`?)", why_unanswered(e))),
    }
}

/// Why a request got no answer, in Swedish.
fn why_unanswered(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => crate::lang::io_error(io),
        ureq::Error::Timeout(_) => "tiden gick ut".into(),
        ureq::Error::HostNotFound => "värden finns inte".into(),
        ureq::Error::ConnectionFailed => "anslutningen misslyckades".into(),
        ureq::Error::BadUri(u) => format!("ogiltig adress ({u})"),
        ureq::Error::BodyExceedsLimit(n) => format!("svaret är större än {n} byte"),
        other => format!("fel i förbindelsen ({other})"),
    }
}

/// Why a certificate was refused, in words.
fn untrusted(why: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match why {
        C::UnknownIssuer | C::BadSignature => {
            "det är inte signerat av ett certifikat som den här klienten litar på".into()
        }
        C::NotValidForName => "det gäller inte för den adress servern nås på".into(),
        C::NotValidForNameContext { expected, presented } => format!(
            "det gäller inte för namnet {}, bara för {}",
            expected.to_str(),
            presented.join(", ")
        ),
        C::Expired | C::ExpiredContext { .. } => "det har gått ut".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => "det gäller inte ännu".into(),
        C::Revoked => "det är återkallat".into(),
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(webpki::Error::CaUsedAsEndEntity) => "det är ett CA-certifikat (basicConstraints CA:TRUE) \
som servern använder som sitt eget, vilket vägras även när det är betrott: gör serverns certifikat med CA:FALSE \
(docs/api.md visar hur)"
                .into(),
            Some(webpki) => format!("{webpki:?}"),
            None => other.to_string(),
        },
        other => other.to_string(),
    }
}

/// The rustls error behind a failed request, if TLS is what failed. ureq reports one raised in
/// the handshake as an I/O error carrying it.
fn tls_failure(e: &ureq::Error) -> Option<&rustls::Error> {
    let mut inner: Option<&(dyn std::error::Error + 'static)> = match e {
        ureq::Error::Rustls(r) => return Some(r),
        ureq::Error::Io(io) => io
            .get_ref()
            .map(|r| r as &(dyn std::error::Error + 'static)),
        _ => None,
    };
    while let Some(err) = inner {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        inner = err.source();
    }
    None
}

fn damage(kind: &str) -> Damage {
    match kind {
        "missing record" => Damage::Missing,
        "reordered records" => Damage::Reordered,
        "wrong format version" => Damage::WrongVersion,
        _ => Damage::ChangedBytes,
    }
}

/// The CLI error for an error reply: the server's message, the CLI's kind (and so exit code).
pub fn refusal(status: u16, body: &[u8]) -> CliError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let message = v["error"].as_str().map_or_else(
        || String::from_utf8_lossy(body).into_owned(),
        str::to_string,
    );
    match status {
        409 => CliError::Ledger(LedgerError::Conflict {
            expected: v["expected"].as_u64().unwrap_or(0),
            actual: v["actual"].as_u64().unwrap_or(0),
        }),
        401 | 403 => CliError::Input(format!("servern vägrade: {message}")),
        400..=499 => CliError::Input(message),
        _ => match (v["seq"].as_u64(), v["damage"].as_str()) {
            (Some(seq), Some(kind)) => corrupt(seq, kind, &message),
            _ => CliError::Io(format!("servern misslyckades: {message}")),
        },
    }
}

/// A damaged-ledger error as the server reported it.
pub fn corrupt(seq: u64, kind: &str, message: &str) -> CliError {
    let what = message
        .split_once("): ")
        .map_or(message, |(_, what)| what)
        .to_string();
    CliError::Ledger(LedgerError::Corrupt {
        seq,
        kind: damage(kind),
        what,
    })
}
