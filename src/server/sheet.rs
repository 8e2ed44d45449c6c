//! `POST /api/import.xlsx`: an internal budget or outcome sheet, the workbook as the request's body
//! and its settings as parameters (the names `rambok import FILE.xlsx` takes as flags: `type`,
//! `office`, `year`, `unit`, `sign`, `map`, `sheet`, `first_row`, `body`, `date`, `case`,
//! `paragraph`, `period`, `note`), read into events by `crate::sheet` and appended as one batch
//! through the one write path; with `dry_run=true`, validated and previewed, nothing written.
//! A problem names the sheet, the row and the column.

use super::auth::Controller;
use super::error::ApiError;
use super::params::Params;
use super::{blocking, AppState};
use crate::json::event_to_json;
use crate::ledger::LedgerError;
use crate::query::effects::effects_json;
use crate::query::preview;
use crate::sheet::{self, Row, Settings, SheetError, SETTING_NAMES};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

type Q = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn sheet_errors(errors: &[SheetError]) -> ApiError {
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let list: Vec<Value> = errors
        .iter()
        .map(|e| {
            json!({"sheet": e.sheet, "row": e.row, "column": e.column.map(|c| c.letters()),
                "message": e.message, "text": e.to_string()})
        })
        .collect();
    ApiError::unprocessable(format!("{}\ninget importerades", text.join("\n"))).with("errors", list)
}

/// A rejection by the write path, at the row its event came from.
fn at_row(sheet: &str, rows: &[Row], e: LedgerError) -> ApiError {
    match e {
        LedgerError::Rejected { index, error } => sheet_errors(&[SheetError {
            sheet: Some(sheet.to_string()),
            row: rows.get(index).map(|r| r.number),
            column: None,
            message: error.to_string(),
        }]),
        other => other.into(),
    }
}

pub async fn import(
    State(s): State<AppState>,
    Controller(who): Controller,
    q: Q,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let run = async {
        let mut p = Params::from_query(q)?;
        let texts: Vec<(&str, String)> = SETTING_NAMES
            .iter()
            .filter_map(|n| p.opt(n).map(|v| (*n, v)))
            .collect();
        let dry_run = p.flag("dry_run")?;
        let expected = p
            .opt_i64("expected_seq")?
            .map(|n| {
                u64::try_from(n).map_err(|_| {
                    ApiError::bad_request("expected_seq får inte vara negativt")
                        .field("expected_seq")
                })
            })
            .transpose()?;
        p.finish()?;
        let settings = Settings::from_texts(|name| {
            texts
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        })
        .map_err(|e| ApiError::bad_request(format!("{}: {}", e.name, e.message)).field(e.name))?;
        let bytes = body.map_err(|e| {
            ApiError::bad_request(format!("anropets innehåll kan inte läsas ({})", e.status()))
        })?;
        let name = who.name.clone();
        blocking(move || {
            let ledger = s.ledger();
            let areas = crate::query::areas(ledger, &settings.office)?;
            let (sheet, rows) =
                sheet::rows_of(&bytes, &settings, &areas).map_err(|e| sheet_errors(&e))?;
            let events: Vec<_> = rows.iter().map(|r| r.event.clone()).collect();
            let numbers: Vec<u32> = rows.iter().map(|r| r.number).collect();
            let (status, mut reply) = if dry_run {
                let done = ledger
                    .dry_run(&events, &name, expected)
                    .map_err(|e| at_row(&sheet, &rows, e))?;
                let places = preview::places(&events, None);
                let p = preview::preview(ledger, &events, &name, Utc::now(), &places)?;
                let mut reply = effects_json(&p);
                reply["added"] = json!(done.added);
                reply["skipped"] = json!(done.skipped);
                reply["head_seq"] = json!(done.head_seq);
                (StatusCode::OK, reply)
            } else {
                let done = ledger
                    .append(&events, &name, expected, Utc::now())
                    .map_err(|e| at_row(&sheet, &rows, e))?;
                let status = if done.added > 0 { StatusCode::CREATED } else { StatusCode::OK };
                (status, json!({"added": done.added, "skipped": done.skipped, "head_seq": done.head_seq}))
            };
            reply["dry_run"] = json!(dry_run);
            reply["sheet"] = json!(sheet);
            reply["rows"] = json!(numbers);
            reply["events"] = Value::Array(events.iter().map(event_to_json).collect());
            reply["recorded_by"] = json!(name);
            Ok((status, Json(reply)).into_response())
        })
        .await
    };
    run.await.map_err(|e| e.by(&who))
}
