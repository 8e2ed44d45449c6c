//! How a question is asked and its answer presented: the two clocks, format, unit, sign and
//! decimals. The CLI reads them as flags, the server as query parameters; both hand them here.

use crate::domain::amount::Unit;
use crate::json::parse_date;
use crate::projection::Clock;
use crate::report::number::{Sign, Style};
use crate::report::table::{render_csv_file, render_terminal, Stamp, Table};
use serde_json::Value;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// En tabell för terminalen.
    Table,
    /// Semikolonseparerad, för kalkylprogram.
    Csv,
    /// För program.
    Json,
    /// Ett vattenfallsdiagram (bara bridge och history).
    Svg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignArg {
    /// Nettokostnad positiv (som årsrapporten 2014).
    Cost,
    /// Intäkter positiva, kostnader och ramar negativa (som verksamhetsplanen 2017).
    Result,
}

impl From<SignArg> for Sign {
    fn from(s: SignArg) -> Sign {
        match s {
            SignArg::Cost => Sign::Cost,
            SignArg::Result => Sign::Result,
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Beslut och statusändringar daterade på eller före detta datum (ÅÅÅÅ-MM-DD).
    #[arg(long, global = true, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Bara det som liggaren hade registrerat vid denna tidpunkt: ett datum, 2017-01-15, betyder
    /// slutet av den dagen i svensk tid; eller en tid som rambok skriver den, 2017-01-15 13:05:07 CET
    /// (utan zon: svensk tid); eller RFC 3339, 2017-01-15T12:05:07Z. En tid räknas till slutet av
    /// den sekund (eller minut) den anger, så en tid kopierad från `rambok log` tar med den händelsen.
    #[arg(long, global = true, value_name = "MOMENT")]
    pub known_at: Option<String>,
    /// Hur svaret skrivs.
    #[arg(long, global = true, value_enum, default_value = "table")]
    pub format: Format,
    /// Enheten för alla belopp: kr, tkr eller mnkr.
    #[arg(long, global = true, default_value = "tkr")]
    pub unit: Unit,
    /// Teckenkonventionen.
    #[arg(long, global = true, value_enum, default_value = "cost")]
    pub sign: SignArg,
    /// Antal decimaler (standard: 0, 1 för utfall och minst 1 i mnkr).
    #[arg(long, global = true)]
    pub decimals: Option<u32>,
}

/// Parses the two clocks; the message names the flag.
pub fn clock(c: &Common) -> Result<Clock, String> {
    let as_of = c
        .as_of
        .as_ref()
        .map(|s| parse_date(s).map_err(|e| format!("--as-of: {e}")))
        .transpose()?;
    let known_at = c
        .known_at
        .as_ref()
        .map(|s| crate::domain::time::parse_moment(s).map_err(|e| format!("--known-at: {e}")))
        .transpose()?;
    Ok(Clock { as_of, known_at })
}

/// An answer, rendered: tables for people, a JSON value for programs.
pub struct Rendered {
    pub tables: Vec<Table>,
    pub json: Value,
    pub default_decimals: u32,
}

/// The decimals shown: as asked (at most 5); else the report's default for tkr, at least one
/// for mnkr (so 273 tkr reads 0,3 mnkr, not 0), none for kr.
pub fn decimals(c: &Common, report_default: u32) -> u32 {
    c.decimals
        .unwrap_or(match c.unit {
            Unit::Kr => 0,
            Unit::Tkr => report_default,
            Unit::Mnkr => report_default.max(1),
        })
        .min(5)
}

pub fn sign(c: &Common) -> Sign {
    Sign::from(c.sign)
}

/// How a person reads the figures: unit, decimals (see [`decimals`]) and sign convention.
pub fn style(c: &Common, report_default: u32) -> Style {
    Style::terminal(c.unit, decimals(c, report_default), sign(c))
}

/// An answer's JSON as sent: amounts are exact kronor as strings, and it says so (`"unit": "kr"`).
pub fn json_answer(json: &Value) -> Value {
    match json {
        Value::Object(map) if !map.contains_key("unit") => {
            let mut out = serde_json::Map::with_capacity(map.len() + 1);
            out.insert("unit".into(), Value::from("kr"));
            out.extend(map.clone());
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// The answer as text in the chosen format; `Err` names what cannot be done (SVG of a table).
pub fn render(rendered: &Rendered, c: &Common) -> Result<String, String> {
    let sign = sign(c);
    let decimals = decimals(c, rendered.default_decimals);
    Ok(match c.format {
        Format::Svg => {
            return Err("--format svg finns bara för `report bridge` och `history`".into())
        }
        // U+2028 and U+2029 are valid in JSON strings but end a line in JavaScript and in some
        // viewers: escaped, like the control characters serde_json escapes already.
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&json_answer(&rendered.json))
                .expect("JSON values serialise")
                .replace('\u{2028}', "\\u2028")
                .replace('\u{2029}', "\\u2029")
        ),
        Format::Table => {
            let style = style(c, rendered.default_decimals);
            rendered
                .tables
                .iter()
                .map(|t| render_terminal(t, &style))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Format::Csv => {
            let clock = clock(c)?;
            let stamp = Stamp {
                as_of: clock.as_of,
                known_at: clock.known_at,
                ..Stamp::default()
            };
            render_csv_file(
                &rendered.tables,
                &Style::csv(c.unit, decimals, sign),
                &stamp,
            )
        }
    })
}
