//! The read endpoints: every report the CLI prints, answered by the same query functions
//! (`crate::query`: reports, history, diff; `control`, `verify`) and sent as JSON, CSV, text, a
//! workbook, cells for the web page, or SVG.

use super::auth::Reader;
use super::error::ApiError;
use super::params::{Out, Params};
use super::{blocking, AppState};
use crate::control::rules::{control as run_control, Settings};
use crate::control::verify as v;
use crate::domain::amount::Unit;
use crate::json::parse_date;
use crate::projection::Clock;
use crate::query::{self, Common, Rendered, Report};
use crate::report::number::{Sign, Style};
use crate::report::table::{cell_text, Cell, Stamp, Table};
use crate::report::xlsx::{workbook, Figures, Sheet};
use crate::store::Store;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

type Q = Result<Query<Vec<(String, String)>>, QueryRejection>;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Where a rendered report goes: the sheet name of its workbook and the download's file name.
struct Naming {
    sheet: &'static str,
    file: String,
}

fn attachment(mut response: Response, file: &str) -> Response {
    let safe: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// A cell that is no amount, as every rendering writes it (the style only shapes amounts).
fn text_of(c: &Cell) -> String {
    cell_text(c, &Style::csv(Unit::Tkr, 0, Sign::Cost))
}

fn cell_json(c: &Cell) -> Value {
    match c {
        Cell::Text(s) => json!({"text": s}),
        Cell::Figure(s) => json!({"figure": s}),
        Cell::Money { amount, flips } => json!({"kr": amount.to_kr_string(), "flips": flips}),
        Cell::Empty => Value::Null,
        Cell::Missing => json!({"missing": true}),
        // The page shows dates and shares as the CLI prints them.
        Cell::Date(_) | Cell::Time(_) => json!({"text": text_of(c)}),
        Cell::Share { .. } => json!({"figure": text_of(c)}),
    }
}

/// The tables as cells with exact kronor, for the page to format.
pub fn tables_json(tables: &[Table]) -> Value {
    Value::Array(
        tables
            .iter()
            .map(|t| {
                json!({
                    "title": t.title,
                    "headers": t.headers,
                    "rows": t.rows.iter().map(|r| json!({
                        "strong": r.strong,
                        "cells": r.cells.iter().map(cell_json).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn respond(
    r: Rendered,
    out: Out,
    common: &Common,
    name: &Naming,
    ledger: &str,
) -> Result<Response, ApiError> {
    let decimals = query::options::decimals(common, r.default_decimals);
    let tables: Vec<_> = r.tables.iter().map(|t| t.in_unit(common.unit)).collect();
    match out {
        Out::Json => Ok(Json(query::options::json_answer(&r.json)).into_response()),
        Out::Tables => Ok(Json(json!({
            "decimals": decimals,
            "unit": common.unit.name(),
            "tables": tables_json(&tables),
            "data": r.json,
        }))
        .into_response()),
        Out::Csv | Out::Table => {
            let text = query::render(&r, common).map_err(ApiError::bad_request)?;
            if out == Out::Csv {
                let response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text);
                Ok(attachment(
                    response.into_response(),
                    &format!("{}.csv", name.file),
                ))
            } else {
                Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
            }
        }
        Out::Xlsx => {
            let clock = query::clock(common).map_err(ApiError::bad_request)?;
            let stamp = Stamp {
                as_of: clock.as_of,
                known_at: clock.known_at,
                ledger: Some(ledger.to_string()),
                seq: None,
            };
            let figures = Figures {
                unit: common.unit,
                sign: common.sign.into(),
            };
            let sheet = Sheet {
                name: name.sheet.to_string(),
                tables,
                decimals,
            };
            let bytes = workbook(&[sheet], figures, &stamp)
                .map_err(|e| ApiError::internal(format!("arbetsboken kunde inte byggas: {e}")))?;
            let response = ([(header::CONTENT_TYPE, XLSX)], bytes).into_response();
            Ok(attachment(response, &format!("{}.xlsx", name.file)))
        }
        Out::Svg => Err(
            ApiError::bad_request("format svg finns bara för bridge och history").field("format"),
        ),
    }
}

fn svg(text: String) -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        text,
    )
        .into_response()
}

/// Computes `report` on the current records and sends it as asked.
async fn report(
    s: AppState,
    report: Report,
    (out, common, clock): (Out, Common, Clock),
    name: Naming,
) -> Result<Response, ApiError> {
    blocking(move || {
        respond(
            query::answer(s.ledger(), &report, &clock)?,
            out,
            &common,
            &name,
            s.name(),
        )
    })
    .await
}

pub async fn health() -> Json<Value> {
    Json(json!({"ok": true, "version": env!("CARGO_PKG_VERSION")}))
}

/// Who the token is, the head, and what the ledger holds: offices, years and dates (for the
/// page's pickers and its date slider).
pub async fn info(
    State(s): State<AppState>,
    Reader(who): Reader,
    q: Q,
) -> Result<Json<Value>, ApiError> {
    Params::from_query(q)?.finish()?;
    blocking(move || {
        let head = s.ledger().store().head()?;
        let c = query::catalogue(s.ledger())?;
        let dates: Vec<String> = c.dates.iter().map(|d| d.to_string()).collect();
        let offices = c.offices;
        let (years, frame_years) = (c.years, c.frame_years);
        Ok(Json(json!({
            "name": who.name, "role": who.role.name(), "may_append": who.role.may_append(),
            "head": {"seq": head.seq, "hash": v::hex(&head.hash)},
            "offices": offices.iter().map(|(code, name)| json!({"code": code, "name": name})).collect::<Vec<_>>(),
            "years": years, "frame_years": frame_years, "dates": dates,
            "limits": {"body_bytes": super::REQUEST_BODY_BYTES_MAX, "events": super::EVENTS_PER_REQUEST_MAX},
        })))
    })
    .await
}

pub async fn frames(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let year = p.year("year")?;
    let common = p.common(false)?;
    p.finish()?;
    let name = Naming {
        sheet: "Ramar",
        file: format!("ramar-{year}"),
    };
    report(s, Report::Frames { year }, common, name).await
}

struct BridgeArgs {
    office: String,
    from: i32,
    to: i32,
}

fn bridge_args(p: &mut Params) -> Result<BridgeArgs, ApiError> {
    Ok(BridgeArgs {
        office: p.text("office")?,
        from: p.year("from")?,
        to: p.year("to")?,
    })
}

pub async fn bridge(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let a = bridge_args(&mut p)?;
    let common = p.common(true)?;
    p.finish()?;
    if common.0 == Out::Svg {
        return waterfall(s, a, common.1.clone(), common.2).await;
    }
    let name = Naming {
        sheet: "Brygga",
        file: format!("brygga-{}-{}-{}", a.office, a.from, a.to),
    };
    report(
        s,
        Report::Bridge {
            office: a.office,
            from: a.from,
            to: a.to,
        },
        common,
        name,
    )
    .await
}

/// The bridge as a waterfall chart (`src/report/svg.rs`).
pub async fn bridge_svg(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let a = bridge_args(&mut p)?;
    let common = p.common(true)?;
    if common.0 != Out::Json && common.0 != Out::Svg {
        return Err(
            ApiError::bad_request("bridge.svg är alltid SVG; utelämna format").field("format"),
        );
    }
    p.finish()?;
    waterfall(s, a, common.1, common.2).await
}

async fn waterfall(
    s: AppState,
    a: BridgeArgs,
    common: Common,
    clock: Clock,
) -> Result<Response, ApiError> {
    blocking(move || {
        let b = query::bridge(s.ledger(), &a.office, a.from, a.to, &clock)?;
        let style = query::options::style(&common, 0);
        Ok(svg(crate::report::svg::waterfall(&b, &style)))
    })
    .await
}

pub async fn budget(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let (office, year, compare) = (p.text("office")?, p.year("year")?, p.opt_year("compare")?);
    let common = p.common(false)?;
    p.finish()?;
    let name = Naming {
        sheet: "Driftsbudget",
        file: format!("driftsbudget-{office}-{year}"),
    };
    report(
        s,
        Report::Budget {
            office,
            year,
            compare,
        },
        common,
        name,
    )
    .await
}

pub async fn outcome(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let (office, year) = (p.text("office")?, p.year("year")?);
    let common = p.common(false)?;
    p.finish()?;
    let name = Naming {
        sheet: "Utfall",
        file: format!("utfall-{office}-{year}"),
    };
    report(s, Report::Outcome { office, year }, common, name).await
}

pub async fn investments(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let (office, year, compare) = (p.text("office")?, p.year("year")?, p.opt_year("compare")?);
    let common = p.common(false)?;
    p.finish()?;
    let name = Naming {
        sheet: "Investeringar",
        file: format!("investeringar-{office}-{year}"),
    };
    report(
        s,
        Report::Investments {
            office,
            year,
            compare,
        },
        common,
        name,
    )
    .await
}

pub async fn goals(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let (office, year) = (p.opt("office"), p.year("year")?);
    let common = p.common(false)?;
    p.finish()?;
    let name = Naming {
        sheet: "Mål",
        file: format!("mal-{year}"),
    };
    report(s, Report::Goals { office, year }, common, name).await
}

/// Indicators with the year's target, measured value and whether it is met: the same question
/// as `rambok report indicators`.
pub async fn indicators(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let (office, year) = (p.opt("office"), p.year("year")?);
    let common = p.common(false)?;
    p.finish()?;
    let name = Naming {
        sheet: "Indikatorer",
        file: format!("indikatorer-{year}"),
    };
    report(s, Report::Indicators { office, year }, common, name).await
}

/// Every event that moved a frame (or one area's budget), with decisions and recorders.
pub async fn history(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let (office, year, area) = (p.text("office")?, p.year("year")?, p.opt("area"));
    let (out, common, clock) = p.common(true)?;
    p.finish()?;
    if out == Out::Svg {
        if area.is_some() {
            return Err(ApiError::bad_request(
                "format svg ritar budgetramens brygga; utelämna area",
            )
            .field("area"));
        }
        let a = BridgeArgs {
            office,
            from: year - 1,
            to: year,
        };
        return waterfall(s, a, common, clock).await;
    }
    let name = Naming {
        sheet: "Historik",
        file: format!("historik-{office}-{year}"),
    };
    blocking(move || {
        let h = query::history(s.ledger(), &office, year, area.as_deref(), &clock)?;
        respond(
            query::history_rendered(&h, &clock),
            out,
            &common,
            &name,
            s.name(),
        )
    })
    .await
}

fn date_param(p: &mut Params, name: &'static str) -> Result<crate::domain::event::Date, ApiError> {
    let text = p.text(name)?;
    parse_date(&text).map_err(|e| ApiError::bad_request(format!("{name}: {e}")).field(name))
}

/// What changed between two dates.
pub async fn diff(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let (from, to) = (date_param(&mut p, "from")?, date_param(&mut p, "to")?);
    let (out, common, clock) = p.common(false)?;
    p.finish()?;
    if to < from {
        return Err(ApiError::bad_request(format!("to {to} ligger före from {from}")).field("to"));
    }
    let name = Naming {
        sheet: "Förändringar",
        file: format!("diff-{from}-{to}"),
    };
    blocking(move || {
        let d = query::diff(s.ledger(), from, to, clock.known_at)?;
        respond(query::diff_rendered(&d), out, &common, &name, s.name())
    })
    .await
}

/// The internal-control report for a year; the number of findings is also in `X-Rambok-Findings`,
/// of errors in `X-Rambok-Errors`.
pub async fn control(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let year = p.year("year")?;
    let late_days = p.opt_i64("late_days")?.unwrap_or(30);
    let (out, common, _) = p.common(false)?;
    p.finish()?;
    let name = Naming {
        sheet: "Kontroll",
        file: format!("kontroll-{year}"),
    };
    blocking(move || {
        let records = s.all_records()?;
        let settings = Settings {
            year,
            late_days,
            delegation: s.delegation().cloned(),
        };
        let report = run_control(&records, &settings);
        let rendered = query::control_rendered(&report);
        let mut response = respond(rendered, out, &common, &name, s.name())?;
        let headers = response.headers_mut();
        headers.insert(
            "x-rambok-findings",
            HeaderValue::from(report.findings.len()),
        );
        headers.insert("x-rambok-errors", HeaderValue::from(report.errors()));
        Ok(response)
    })
    .await
}

/// Recomputes the hash chain; with `seq` and `hash` (a digest), also proves the ledger extends
/// it. Damage is an answer (`ok: false`), not a failure of the request.
pub async fn verify(State(s): State<AppState>, _: Reader, q: Q) -> Result<Json<Value>, ApiError> {
    let mut p = Params::from_query(q)?;
    let seq = p.opt_i64("seq")?;
    let hash = p.opt("hash");
    p.finish()?;
    let digest = match (seq, hash) {
        (None, None) => None,
        (Some(seq), Some(hash)) if seq >= 0 => Some(
            v::parse_digest(
                &json!({"format": "rambok-digest-1", "seq": seq, "hash": hash}).to_string(),
            )
            .map_err(|e| ApiError::bad_request(e).field("hash"))?,
        ),
        _ => {
            return Err(
                ApiError::bad_request("en kontrollsumma kräver både seq och hash").field("seq"),
            )
        }
    };
    blocking(move || {
        let ledger = s.ledger();
        let done = super::steady(ledger, || match &digest {
            Some(d) => v::verify_against(ledger, d),
            None => v::verify(ledger),
        });
        let against = digest.map(|d| json!({"seq": d.seq, "hash": v::hex(&d.hash)}));
        match done {
            Ok(ok) => Ok(Json(json!({
                "ok": true, "records": ok.head.seq,
                "head": {"seq": ok.head.seq, "hash": v::hex(&ok.head.hash)}, "against": against,
            }))),
            Err(e) => {
                let message = e.to_string();
                match e {
                    crate::ledger::LedgerError::Corrupt { seq, kind, .. } => Ok(Json(json!({
                        "ok": false, "error": message, "seq": seq, "damage": kind.to_string(), "against": against,
                    }))),
                    other => Err(other.into()),
                }
            }
        }
    })
    .await
}

/// The revisors' workbook for a year (`rambok export`), its figures in `unit` with `sign` and
/// `decimals` as the reports take them.
pub async fn export(State(s): State<AppState>, _: Reader, q: Q) -> Result<Response, ApiError> {
    let mut p = Params::from_query(q)?;
    let year = p.year("year")?;
    let (unit, sign, decimals) = p.figures()?;
    p.finish()?;
    blocking(move || {
        let records = s.all_records()?;
        let mut sheets = query::export::sheets(&records, year, s.delegation());
        query::export::set_decimals(&mut sheets, decimals);
        let figures = Figures {
            unit,
            sign: sign.into(),
        };
        let stamp = query::export::stamp(&records, s.name());
        let bytes = workbook(&sheets, figures, &stamp)
            .map_err(|e| ApiError::internal(format!("arbetsboken kunde inte byggas: {e}")))?;
        let response = ([(header::CONTENT_TYPE, XLSX)], bytes).into_response();
        Ok(attachment(response, &format!("revision-{year}.xlsx")))
    })
    .await
}
