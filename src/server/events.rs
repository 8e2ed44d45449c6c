//! `POST /api/events`: one event or a batch, through the CLI's write path ([`Ledger::append`]) with
//! its validation and messages, recorded by the token's holder, optionally only after an expected
//! sequence number (409 otherwise); with `?dry_run=true`, validated and previewed, nothing written.
//! `GET /api/events`: the log, page by page.
//!
//! [`Ledger::append`]: crate::ledger::Ledger::append

use super::auth::{Controller, Reader};
use super::error::ApiError;
use super::params::Params;
use super::{blocking, AppState, EVENTS_PER_REQUEST_MAX, REQUEST_BODY_BYTES_MAX};
use crate::domain::event::Event;
use crate::json::{event_to_json, parse_event};
use crate::query::effects::effects_json;
use crate::query::preview;
use crate::store::Store;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Map, Value};

type Q = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Most records one page of `GET /api/events` returns.
pub const LOG_PAGE_MAX: u64 = 1000;

struct Batch {
    events: Vec<Event>,
    expected: Option<u64>,
}

fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!(
            "anropets innehåll är större än {REQUEST_BODY_BYTES_MAX} byte; skicka händelserna i flera anrop"
        ))
    } else {
        ApiError::bad_request(format!("anropets innehåll kan inte läsas ({})", e.status()))
    }
}

fn expected_seq(v: &Value) -> Result<Option<u64>, ApiError> {
    match v {
        Value::Null => Ok(None),
        v => v.as_u64().map(Some).ok_or_else(|| {
            ApiError::bad_request(
                "expected_seq ska vara ett heltal (det sekvensnummer du senast såg)",
            )
            .field("expected_seq")
        }),
    }
}

/// `{"events": [...], "expected_seq": N}`: the recorder is never one of its fields.
fn envelope(m: Map<String, Value>) -> Result<(Vec<Value>, Option<u64>), ApiError> {
    for key in m.keys() {
        match key.as_str() {
            "events" | "expected_seq" => {}
            "recorded_by" | "recorder" | "user" => {
                return Err(ApiError::bad_request(format!(
                "{key} kan inte skickas: den som registrerar varje händelse är tokenens innehavare"
            ))
                .field(key))
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "okänt fält '{}' (ett anrop har events och expected_seq)",
                    other.chars().take(64).collect::<String>()
                ))
                .field(other))
            }
        }
    }
    let seq = expected_seq(m.get("expected_seq").unwrap_or(&Value::Null))?;
    match m.get("events") {
        Some(Value::Array(items)) => Ok((items.clone(), seq)),
        _ => Err(
            ApiError::bad_request("fältet events ska vara en lista med händelseobjekt")
                .field("events"),
        ),
    }
}

fn parse_batch(body: &[u8], query_seq: Option<u64>) -> Result<Batch, ApiError> {
    let value: Value = crate::json::strict::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "inte giltig JSON: {}",
            crate::json::describe_json_error(&e)
        ))
    })?;
    let (items, body_seq) = match value {
        Value::Array(items) => (items, None),
        Value::Object(m) if m.contains_key("events") => envelope(m)?,
        v @ Value::Object(_) => (vec![v], None),
        _ => {
            return Err(ApiError::bad_request(
                "innehållet ska vara ett händelseobjekt, en lista med händelser eller {\"events\": [...], \"expected_seq\": N}",
            ))
        }
    };
    let expected = match (query_seq, body_seq) {
        (Some(a), Some(b)) if a != b => {
            return Err(ApiError::bad_request(format!(
                "expected_seq är {a} i adressen men {b} i innehållet"
            ))
            .field("expected_seq"))
        }
        (a, b) => a.or(b),
    };
    if items.is_empty() {
        return Err(ApiError::bad_request("inga händelser att lägga till"));
    }
    if items.len() > EVENTS_PER_REQUEST_MAX {
        return Err(ApiError::too_large(format!(
            "ett anrop får bära högst {EVENTS_PER_REQUEST_MAX} händelser, det här bär {}; skicka dem i flera anrop",
            items.len()
        )));
    }
    let events = items
        .iter()
        .enumerate()
        .map(|(index, v)| parse_event(v).map_err(|e| rejected(index, &e.field, &e.message)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Batch { events, expected })
}

fn rejected(index: usize, field: &str, message: &str) -> ApiError {
    let text = if field.is_empty() {
        format!("händelse {index}: {message}")
    } else {
        format!("händelse {index}: fältet {field}: {message}")
    };
    ApiError::unprocessable(text)
        .with("field", field)
        .with("index", index)
}

/// Appends one event, an array of events, or `{"events": [...], "expected_seq": N}`; all or none.
pub async fn append(
    State(s): State<AppState>,
    Controller(who): Controller,
    q: Q,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let run = async {
        let mut p = Params::from_query(q)?;
        let query_seq = p.opt_i64("expected_seq")?;
        let dry_run = p.flag("dry_run")?;
        p.finish()?;
        let query_seq = query_seq
            .map(|n| {
                u64::try_from(n)
                    .map_err(|_| ApiError::bad_request("expected_seq får inte vara negativt"))
            })
            .transpose()?;
        let batch = parse_batch(&body.map_err(body_error)?, query_seq)?;
        let ids: Vec<String> = batch.events.iter().map(|e| e.id.to_string()).collect();
        let name = who.name.clone();
        if dry_run {
            return blocking(move || dry_run_reply(&s, &batch, &name, ids)).await;
        }
        let done = blocking(move || {
            Ok(s.ledger()
                .append(&batch.events, &name, batch.expected, Utc::now())?)
        })
        .await?;
        let status = if done.added > 0 {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let reply = json!({
            "added": done.added, "skipped": done.skipped, "head_seq": done.head_seq,
            "recorded_by": who.name, "ids": ids,
        });
        Ok::<_, ApiError>((status, Json(reply)).into_response())
    };
    run.await.map_err(|e| e.by(&who))
}

/// What the batch would do, written nowhere: validated by a dry run of the write path, with the
/// frames and internal budgets it moves before and after (`query::preview`).
fn dry_run_reply(
    s: &AppState,
    batch: &Batch,
    name: &str,
    ids: Vec<String>,
) -> Result<Response, ApiError> {
    let done = s.ledger().dry_run(&batch.events, name, batch.expected)?;
    let places = preview::places(&batch.events, None);
    let p = preview::preview(s.ledger(), &batch.events, name, Utc::now(), &places)?;
    let mut reply = effects_json(&p);
    for (k, v) in [
        ("dry_run", json!(true)),
        ("added", json!(done.added)),
        ("skipped", json!(done.skipped)),
        ("head_seq", json!(done.head_seq)),
        ("recorded_by", json!(name)),
        ("ids", json!(ids)),
    ] {
        reply[k] = v;
    }
    Ok((StatusCode::OK, Json(reply)).into_response())
}

/// The recorded events from `from_seq` on, at most `limit` of them, as `rambok log --format json`.
pub async fn log(State(s): State<AppState>, _: Reader, q: Q) -> Result<Json<Value>, ApiError> {
    let mut p = Params::from_query(q)?;
    let from = p.opt_i64("from_seq")?.unwrap_or(1).max(1) as u64;
    let limit = p
        .opt_i64("limit")?
        .unwrap_or(100)
        .clamp(1, LOG_PAGE_MAX as i64) as u64;
    p.finish()?;
    blocking(move || {
        let last = s.ledger().store().head()?.seq;
        let mut page: Vec<Value> = Vec::new();
        if from <= last {
            // Only the blocks of the page are read.
            s.ledger().scan_until(from, Some(from + limit - 1), |r| {
                page.push(json!({
                    "seq": r.seq,
                    "recorded_at": r.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "recorded_by": r.recorded_by,
                    "hash": crate::control::verify::hex(&r.hash),
                    "event": event_to_json(&r.event),
                }));
                Ok(())
            })?;
        }
        let next = from + page.len() as u64;
        Ok(Json(json!({
            "head_seq": last,
            "events": page,
            "next_seq": if next <= last { Some(next) } else { None },
        })))
    })
    .await
}
