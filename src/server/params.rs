//! Query parameters: read by name, each at most once, with the CLI's checks and messages; a name
//! an endpoint does not take is an error, so a typo (`yaer=2017`) cannot silently change a report.

use super::error::ApiError;
use crate::domain::amount::Unit;
use crate::projection::Clock;
use crate::query::{clock, Common, Format, SignArg};
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use std::collections::BTreeMap;

/// How a report is sent back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Out {
    /// The report's JSON, as `--format json` prints it.
    Json,
    /// Semicolon-separated, as `--format csv` prints it.
    Csv,
    /// Aligned text, as the terminal shows it.
    Table,
    /// The tables as cells with exact amounts, for the web page.
    Tables,
    /// A workbook with the report's tables.
    Xlsx,
    /// The waterfall chart (bridge and history).
    Svg,
}

/// The parameters of one request.
pub struct Params {
    items: BTreeMap<String, String>,
    taken: Vec<&'static str>,
}

impl Params {
    pub fn from_query(
        query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    ) -> Result<Params, ApiError> {
        let Query(pairs) = query.map_err(|e| {
            ApiError::bad_request(format!(
                "adressens parametrar kan inte tolkas ({})",
                e.status()
            ))
        })?;
        let mut items = BTreeMap::new();
        for (k, v) in pairs {
            if items.contains_key(&k) {
                return Err(
                    ApiError::bad_request(format!("parametern {k} är angiven två gånger"))
                        .field(&k),
                );
            }
            items.insert(k, v);
        }
        Ok(Params {
            items,
            taken: Vec::new(),
        })
    }

    pub fn opt(&mut self, name: &'static str) -> Option<String> {
        self.taken.push(name);
        self.items.get(name).cloned().filter(|v| !v.is_empty())
    }

    pub fn text(&mut self, name: &'static str) -> Result<String, ApiError> {
        self.opt(name)
            .ok_or_else(|| ApiError::bad_request(format!("parametern {name} krävs")).field(name))
    }

    pub fn opt_i64(&mut self, name: &'static str) -> Result<Option<i64>, ApiError> {
        self.opt(name)
            .map(|v| {
                v.trim().parse::<i64>().map_err(|_| {
                    ApiError::bad_request(format!("{name}: '{v}' är inget heltal")).field(name)
                })
            })
            .transpose()
    }

    /// `true` or `false`, absent is false.
    pub fn flag(&mut self, name: &'static str) -> Result<bool, ApiError> {
        match self.opt(name).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => {
                Err(ApiError::bad_request(format!("{name} ska vara true eller false")).field(name))
            }
        }
    }

    pub fn opt_year(&mut self, name: &'static str) -> Result<Option<i32>, ApiError> {
        match self.opt_i64(name)? {
            None => Ok(None),
            Some(y) if crate::json::YEARS.contains(&(y as i32)) && y == (y as i32) as i64 => {
                Ok(Some(y as i32))
            }
            Some(y) => Err(ApiError::bad_request(format!(
                "{name}: {y} är inget budgetår ({}–{})",
                crate::json::YEARS.start(),
                crate::json::YEARS.end()
            ))
            .field(name)),
        }
    }

    pub fn year(&mut self, name: &'static str) -> Result<i32, ApiError> {
        self.opt_year(name)?
            .ok_or_else(|| ApiError::bad_request(format!("parametern {name} krävs")).field(name))
    }

    /// The output format, the sign, unit and decimals, and the two clocks.
    pub fn common(&mut self, svg_allowed: bool) -> Result<(Out, Common, Clock), ApiError> {
        let out = match self.opt("format").as_deref() {
            None | Some("json") => Out::Json,
            Some("csv") => Out::Csv,
            Some("table") => Out::Table,
            Some("tables") => Out::Tables,
            Some("xlsx") => Out::Xlsx,
            Some("svg") if svg_allowed => Out::Svg,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "format: '{other}' är inte något av json, csv, table, tables, xlsx{}",
                    if svg_allowed { ", svg" } else { "" }
                ))
                .field("format"))
            }
        };
        let (unit, sign, decimals) = self.figures()?;
        let common = Common {
            as_of: self.opt("as_of"),
            known_at: self.opt("known_at"),
            format: match out {
                Out::Csv => Format::Csv,
                Out::Table => Format::Table,
                Out::Svg => Format::Svg,
                _ => Format::Json,
            },
            unit,
            sign,
            decimals,
        };
        // The message names the flag; here it is a parameter.
        let clock = clock(&common).map_err(|e| {
            let (field, message) = match e.strip_prefix("--as-of") {
                Some(rest) => ("as_of", format!("as_of{rest}")),
                None => ("known_at", e.replacen("--known-at", "known_at", 1)),
            };
            ApiError::bad_request(message).field(field)
        })?;
        Ok((out, common, clock))
    }

    /// How figures are shown: `unit` (tkr), `sign` (cost) and `decimals` (0–5, or the report's own).
    pub fn figures(&mut self) -> Result<(Unit, SignArg, Option<u32>), ApiError> {
        let unit = match self.opt("unit") {
            None => Unit::Tkr,
            Some(u) => u
                .parse::<Unit>()
                .map_err(|e| ApiError::bad_request(format!("unit: {e}")).field("unit"))?,
        };
        let sign = match self.opt("sign").as_deref() {
            None | Some("cost") => SignArg::Cost,
            Some("result") => SignArg::Result,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "sign: '{other}' är varken cost eller result"
                ))
                .field("sign"))
            }
        };
        let decimals = match self.opt_i64("decimals")? {
            None => None,
            Some(d @ 0..=5) => Some(d as u32),
            Some(d) => {
                return Err(ApiError::bad_request(format!(
                    "decimals: {d} ligger inte mellan 0 och 5"
                ))
                .field("decimals"))
            }
        };
        Ok((unit, sign, decimals))
    }

    /// Fails on a parameter this endpoint did not read.
    pub fn finish(self) -> Result<(), ApiError> {
        match self
            .items
            .keys()
            .find(|k| !self.taken.contains(&k.as_str()))
        {
            None => Ok(()),
            Some(k) => {
                let mut known = self.taken.clone();
                known.sort_unstable();
                known.dedup();
                Err(ApiError::bad_request(format!(
                    "okänd parameter '{}' (den här adressen tar: {})",
                    k.chars().take(64).collect::<String>(),
                    known.join(", ")
                )))
            }
        }
    }
}

impl ApiError {
    pub fn field(self, name: &str) -> ApiError {
        self.with("field", name)
    }
}
