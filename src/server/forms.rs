//! Recording and attesting from the page: the forms (`GET /api/forms`, the words `rambok record
//! TYPE` uses too), a preview of one entry before it is saved (`POST /api/preview`: the values as
//! typed, read by the CLI's parser, validated by a dry run of the write path, and the frames it
//! moves before and after), the entries awaiting an attest (`GET /api/pending`), and for those who
//! examine, the digest to keep (`GET /api/digest`) and the check of a kept one (`POST /api/verify`).
//! Saving and attesting are `POST /api/events`, the one write path.

use super::auth::{Auditing, Controller, Reader};
use super::error::ApiError;
use super::params::Params;
use super::{blocking, AppState};
use crate::control::verify as v;
use crate::domain::event::Event;
use crate::domain::text::person_key;
use crate::json::{event_to_json, forms, parse_event, FieldError, CODE_CHARS_MAX};
use crate::query::effects::effects_json;
use crate::query::preview::{self, Place};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Map, Value};

type Q = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The largest preview request, in bytes: one form's values.
pub const PREVIEW_BODY_BYTES_MAX: usize = 64 * 1024;
/// The most values one form sends.
const VALUES_MAX: usize = 64;
/// The largest digest file `POST /api/verify` reads, in bytes.
pub const DIGEST_BYTES_MAX: usize = 4 * 1024;
/// The most entries `GET /api/pending` lists; the rest are counted.
pub const PENDING_SHOWN_MAX: usize = 500;

/// Every event type's form.
pub async fn forms(_: Reader) -> Json<Value> {
    Json(forms::forms_json())
}

fn small_body(body: Result<Bytes, BytesRejection>, max: usize) -> Result<Bytes, ApiError> {
    let body = body.map_err(|e| {
        ApiError::bad_request(format!("anropets innehåll kan inte läsas ({})", e.status()))
    })?;
    if body.len() > max {
        return Err(ApiError::too_large(format!(
            "anropets innehåll är större än {max} byte"
        )));
    }
    Ok(body)
}

/// A field's problem, for the page to show beside the field: 422 with the field's path and the
/// message alone besides the whole sentence.
fn field_error(e: &FieldError) -> ApiError {
    ApiError::unprocessable(e.to_string())
        .with("field", e.field.clone())
        .with("message", e.message.clone())
}

/// What a form sent: its type, the values as typed (by field path), and the office-year it was
/// opened from (a correction's or an attest's, which the entry does not name itself).
struct Filled {
    kind: String,
    values: Vec<(String, String)>,
    place: Option<Place>,
}

fn read_filled(body: &[u8]) -> Result<Filled, ApiError> {
    let v: Value = crate::json::strict::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "inte giltig JSON: {}",
            crate::json::describe_json_error(&e)
        ))
    })?;
    let Value::Object(m) = v else {
        return Err(ApiError::bad_request(
            "innehållet ska vara `{\"type\": TYP, \"values\": {FÄLT: TEXT}, \"place\": {…}}`",
        ));
    };
    for key in m.keys() {
        if !matches!(key.as_str(), "type" | "values" | "place") {
            let key: String = key.chars().take(64).collect();
            return Err(ApiError::bad_request(format!(
                "okänt fält '{key}' (ett formulär skickar `type`, `values` och `place`)"
            ))
            .field(&key));
        }
    }
    let kind = m
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::bad_request("fältet `type` saknas: vilken händelsetyp?").field("type")
        })?
        .to_string();
    let values = match m.get("values") {
        None => Vec::new(),
        Some(Value::Object(values)) => text_values(values)?,
        Some(_) => {
            return Err(ApiError::bad_request(
                "fältet `values` ska vara ett objekt med fältens text",
            )
            .field("values"))
        }
    };
    let place = m.get("place").map(read_place).transpose()?;
    Ok(Filled {
        kind,
        values,
        place,
    })
}

/// The values as typed; an empty one is a field left empty, as if not given.
fn text_values(values: &Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    if values.len() > VALUES_MAX {
        return Err(ApiError::too_large(format!(
            "ett formulär skickar högst {VALUES_MAX} fält"
        )));
    }
    let mut out = Vec::new();
    for (path, value) in values {
        let text = value.as_str().ok_or_else(|| {
            field_error(&FieldError {
                field: path.chars().take(64).collect(),
                message: "ska skickas som text, som det skrevs".into(),
            })
        })?;
        if !text.trim().is_empty() {
            out.push((path.clone(), text.to_string()));
        }
    }
    Ok(out)
}

fn read_place(v: &Value) -> Result<Place, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "fältet `place` ska vara `{\"office\": KOD, \"year\": ÅR, \"area\": KOD eller null}`",
        )
        .field("place")
    };
    let code = |v: &Value| {
        v.as_str()
            .filter(|s| !s.is_empty() && s.chars().count() <= CODE_CHARS_MAX)
            .map(str::to_string)
    };
    let office = v.get("office").and_then(code).ok_or_else(bad)?;
    let year = v
        .get("year")
        .and_then(Value::as_i64)
        .and_then(|y| i32::try_from(y).ok())
        .filter(|y| crate::json::YEARS.contains(y))
        .ok_or_else(bad)?;
    let area = match v.get("area") {
        None | Some(Value::Null) => None,
        Some(a) => Some(code(a).ok_or_else(bad)?),
    };
    Ok(Place { office, year, area })
}

/// The event a form describes, read as an import line is read.
fn event_of(f: &Filled) -> Result<Event, ApiError> {
    let value = |path: &str| {
        f.values
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_str())
    };
    if let Some((path, _)) = f.values.iter().find(|(p, _)| {
        forms::form(&f.kind)
            .is_some_and(|form| !forms::form_options(form).iter().any(|o| o.id() == *p))
    }) {
        let path: String = path.chars().take(64).collect();
        return Err(field_error(&FieldError {
            field: path.clone(),
            message: format!("'{}' har inget fält {path}", f.kind),
        }));
    }
    let json = forms::event_json(&f.kind, value).map_err(|e| field_error(&e))?;
    parse_event(&json).map_err(|e| field_error(&e))
}

/// Validates one entry from a form, as the write path would, and says what it would do; writes
/// nothing. The reply's `event` is what to send to `POST /api/events` (with `expected_seq` set to
/// the reply's `head_seq`) to save exactly what was previewed.
pub async fn preview(
    State(s): State<AppState>,
    Controller(who): Controller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let run = async {
        let filled = read_filled(&small_body(body, PREVIEW_BODY_BYTES_MAX)?)?;
        let event = event_of(&filled)?;
        let name = who.name.clone();
        blocking(move || {
            let events = std::slice::from_ref(&event);
            let done = s
                .ledger()
                .dry_run(events, &name, None)
                .map_err(|e| match e {
                    crate::ledger::LedgerError::Rejected { error, .. } => field_error(&error),
                    other => other.into(),
                })?;
            let places = preview::places(events, filled.place);
            let p = preview::preview(s.ledger(), events, &name, Utc::now(), &places)?;
            let mut reply = effects_json(&p);
            reply["event"] = event_to_json(&event);
            reply["added"] = json!(done.added);
            reply["skipped"] = json!(done.skipped);
            reply["head_seq"] = json!(done.head_seq);
            reply["recorded_by"] = json!(name);
            Ok(Json(reply))
        })
        .await
    };
    run.await.map_err(|e| e.by(&who))
}

/// The entries awaiting an attest (of `year`, or all), each saying whether the asker recorded it
/// (and so may not attest it).
pub async fn pending(
    State(s): State<AppState>,
    Reader(who): Reader,
    q: Q,
) -> Result<Json<Value>, ApiError> {
    let mut p = Params::from_query(q)?;
    let year = p.opt_year("year")?;
    p.finish()?;
    blocking(move || {
        let records = crate::query::pending(s.ledger(), year)?;
        let me = person_key(&who.name);
        let entries: Vec<Value> = records
            .iter()
            .take(PENDING_SHOWN_MAX)
            .map(|r| {
                json!({
                    "seq": r.seq, "id": r.event.id.to_string(), "type": r.event.body.type_name(),
                    "text": crate::control::finding::describe(r),
                    "decision": r.event.body.decision().map(crate::json::decision_json),
                    "recorded_by": r.recorded_by,
                    "recorded_at": r.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "recorded_at_shown": crate::domain::time::shown(r.recorded_at),
                    "own": person_key(&r.recorded_by) == me,
                })
            })
            .collect();
        Ok(Json(json!({
            "year": year, "count": records.len(), "entries": entries,
            "left_off": records.len().saturating_sub(PENDING_SHOWN_MAX),
            "asked_by": who.name,
        })))
    })
    .await
}

/// The digest of the ledger as it is now, to keep (`rambok digest`): the chain is verified first.
pub async fn digest(State(s): State<AppState>, _: Auditing) -> Result<Response, ApiError> {
    blocking(move || {
        let ledger = s.ledger();
        let done = super::steady(ledger, || v::verify(ledger))?;
        let response = (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            v::digest_text(&done.head),
        )
            .into_response();
        Ok(super::reports::attachment(
            response,
            &format!("rambok-kontrollsumma-{}.json", done.head.seq),
        ))
    })
    .await
}

/// Checks a kept digest file, sent as the request's body (`rambok verify --against FILE`).
pub async fn verify_digest(
    State(s): State<AppState>,
    _: Auditing,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = small_body(body, DIGEST_BYTES_MAX)?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::bad_request("kontrollsumman är inte text (UTF-8)").field("digest")
    })?;
    let digest = v::parse_digest(text).map_err(|e| ApiError::bad_request(e).field("digest"))?;
    super::reports::verified(s, Some(digest)).await
}
