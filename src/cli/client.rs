//! The blocking HTTP client behind `rambok --server URL --token TOKEN`: one request per command,
//! errors turned back into the CLI's own (so exit codes mean the same with and without a server).

use crate::cli::CliError;
use crate::ledger::{Damage, LedgerError};
use serde_json::Value;
use std::time::Duration;

/// The longest answer the client reads (a workbook, a large report).
const REPLY_BYTES_MAX: u64 = 256 * 1024 * 1024;
/// How long one request may take, end to end.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
}

/// A reply with a 2xx status.
pub struct Reply {
    pub body: Vec<u8>,
    /// `X-Rambok-Findings`, on control replies.
    pub findings: Option<usize>,
}

impl Reply {
    pub fn json(&self) -> Result<Value, CliError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| CliError::Io(format!("the server's answer is not JSON: {e}")))
    }
}

impl Client {
    pub fn new(url: &str, token: Option<&str>) -> Result<Client, CliError> {
        let base = url.trim().trim_end_matches('/').to_string();
        if !base.starts_with("http://") {
            return Err(CliError::Input(format!(
                "--server: '{url}' is not an http:// address (rambok serve prints its address when it starts)"
            )));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
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
                    "--server needs a token: give --token TOKEN or set RAMBOK_TOKEN (create one with `rambok token add`)"
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

    fn finish(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Reply, CliError> {
        let mut response = sent.map_err(|e| {
            CliError::Io(format!(
                "cannot reach the server at {}: {e} (is `rambok serve` running?)",
                self.base
            ))
        })?;
        let status = response.status().as_u16();
        let findings = response
            .headers()
            .get("x-rambok-findings")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(REPLY_BYTES_MAX)
            .read_to_vec()
            .map_err(|e| CliError::Io(format!("cannot read the server's answer: {e}")))?;
        if (200..300).contains(&status) {
            return Ok(Reply { body, findings });
        }
        Err(refusal(status, &body))
    }
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
        401 | 403 => CliError::Input(format!("the server refused: {message}")),
        400..=499 => CliError::Input(message),
        _ => match (v["seq"].as_u64(), v["damage"].as_str()) {
            (Some(seq), Some(kind)) => corrupt(seq, kind, &message),
            _ => CliError::Io(format!("the server failed: {message}")),
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
