//! Budget and outcome sheets as controllers keep them in Excel, read into events: a row per area
//! (its code or its name as defined), revenue and cost columns or a net column, in kr, tkr or mnkr,
//! costs printed positive or negative. `rambok import FILE.xlsx` and `POST /api/import.xlsx` both
//! read a workbook here and take the one write path with the events it gives: each row becomes the
//! JSON object an import line would be (`json::forms::event_json`), read by the one parser, so an
//! error names the sheet, the row and the column (`Blad1, rad 7, kolumn C: …`) and then the field
//! as every other write does.
//!
//! - `read.rs`: the workbook under limits (file size, the archive's parts, cells and rows), the
//!   mapped columns of the rows from the first one on;
//! - `rows.rs`: rows to events, the table ending at its first empty row or at a sum row, which must
//!   add up.
//!
//! The settings ([`Settings`]) are read from named texts, the CLI's flags and the API's parameters
//! alike, with one set of messages.

mod read;
mod rows;

pub use read::{read, Table, XLSX_BYTES_MAX};
pub use rows::{columns_read, events, Areas, Row};

use crate::domain::amount::Unit;
use crate::json::forms;

/// Most rows one sheet's table may have.
pub const ROWS_MAX: u32 = 10_000;
/// Most problems one import reports.
pub const ERRORS_SHOWN_MAX: usize = 20;

/// The file type of a workbook, as a request names it.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The events of a workbook's sheet under `settings`, each with its row; the areas are the
/// office's (`query::areas`).
/// The sheet's name comes first.
pub fn rows_of(
    bytes: &[u8],
    settings: &Settings,
    areas: &Areas,
) -> Result<(String, Vec<Row>), Vec<SheetError>> {
    let table = read(
        bytes,
        settings.sheet.as_deref(),
        &columns_read(settings),
        settings.first_row,
    )
    .map_err(|e| vec![e])?;
    Ok((table.sheet.clone(), events(&table, settings, areas)?))
}

/// A column of a sheet, from 0 (`A`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Column(pub u32);

/// The last column Excel has (`XFD`).
const COLUMNS_MAX: u32 = 16_384;

impl Column {
    /// A column by its letters, `A` to `XFD`, in either case.
    pub fn parse(text: &str) -> Option<Column> {
        let t = text.trim();
        if t.is_empty() || t.len() > 3 || !t.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let n = t
            .to_ascii_uppercase()
            .bytes()
            .fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1));
        (n <= COLUMNS_MAX).then(|| Column(n - 1))
    }

    pub fn letters(self) -> String {
        let mut n = self.0 + 1;
        let mut out = Vec::new();
        while n > 0 {
            let r = (n - 1) % 26;
            out.push(b'A' + r as u8);
            n = (n - 1) / 26;
        }
        out.reverse();
        String::from_utf8(out).unwrap_or_default()
    }
}

/// A problem at a place in the workbook: `Blad1, rad 7, kolumn C: …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetError {
    pub sheet: Option<String>,
    /// From 1, as Excel numbers rows.
    pub row: Option<u32>,
    pub column: Option<Column>,
    pub message: String,
}

impl SheetError {
    fn file(message: impl Into<String>) -> SheetError {
        SheetError {
            sheet: None,
            row: None,
            column: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for SheetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut place = Vec::new();
        if let Some(s) = &self.sheet {
            place.push(s.clone());
        }
        if let Some(r) = self.row {
            place.push(format!("rad {r}"));
        }
        if let Some(c) = self.column {
            place.push(format!("kolumn {}", c.letters()));
        }
        if place.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", place.join(", "), self.message)
        }
    }
}

/// A setting that is wrong: its name (a CLI flag without dashes, an API parameter) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingError {
    pub name: &'static str,
    pub message: String,
}

fn setting(name: &'static str, message: impl Into<String>) -> SettingError {
    SettingError {
        name,
        message: message.into(),
    }
}

/// What the sheet holds: the internal budget (a `budget_line` per row) or the outcome (an
/// `outcome` per row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    BudgetLine,
    Outcome,
}

impl Kind {
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::BudgetLine => "budget_line",
            Kind::Outcome => "outcome",
        }
    }
}

/// Which column holds what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns {
    pub area: Column,
    pub revenue: Option<Column>,
    pub cost: Option<Column>,
    pub net: Option<Column>,
}

impl Columns {
    /// `area=A,revenue=B,cost=C,net=D`: the area and a net, or revenue and cost, or all.
    pub fn parse(text: &str) -> Result<Columns, String> {
        let (mut area, mut revenue, mut cost, mut net) = (None, None, None, None);
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, letters) = part
                .split_once('=')
                .ok_or_else(|| format!("'{}' ska vara FÄLT=KOLUMN, t.ex. area=A", part.trim()))?;
            let column = Column::parse(letters)
                .ok_or_else(|| format!("'{}' är ingen kolumn (A till XFD)", letters.trim()))?;
            let slot = match key.trim() {
                "area" => &mut area,
                "revenue" => &mut revenue,
                "cost" => &mut cost,
                "net" => &mut net,
                other => {
                    return Err(format!(
                        "'{other}' är inget fält en rad har (area, revenue, cost, net)"
                    ))
                }
            };
            if slot.replace(column).is_some() {
                return Err(format!("fältet {} är angivet två gånger", key.trim()));
            }
        }
        let area = area.ok_or("ange områdets kolumn, t.ex. area=A")?;
        if net.is_none() && (revenue.is_none() || cost.is_none()) {
            return Err("ange en kolumn för net, eller för både revenue och cost".into());
        }
        let columns = Columns {
            area,
            revenue,
            cost,
            net,
        };
        let mut all = columns.all();
        all.sort();
        all.dedup();
        if all.len() != columns.all().len() {
            return Err("två fält i samma kolumn".into());
        }
        Ok(columns)
    }

    fn all(&self) -> Vec<Column> {
        [Some(self.area), self.revenue, self.cost, self.net]
            .into_iter()
            .flatten()
            .collect()
    }
}

/// How a sheet prints costs: positive (net cost positive) or negative with revenue positive, as
/// the 2017 plan prints its *Driftsbudget*.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Printed {
    Cost,
    Result,
}

/// Everything an import of one sheet needs besides the workbook and the office's areas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub kind: Kind,
    pub office: String,
    pub year: i32,
    pub unit: Unit,
    pub printed: Printed,
    pub columns: Columns,
    /// The sheet's name; the first sheet when not given.
    pub sheet: Option<String>,
    /// The first row of the table (from 1), after its headings.
    pub first_row: u32,
    /// The fields every row's event shares, by path as a form names them (`decision.body`,
    /// `decision.date`, `period`, `date`, `note`), as typed.
    pub shared: Vec<(String, String)>,
}

/// The settings' names, as the CLI's flags (without dashes) and the API's parameters.
pub const SETTING_NAMES: &[&str] = &[
    "type",
    "office",
    "year",
    "unit",
    "sign",
    "map",
    "sheet",
    "first_row",
    "body",
    "date",
    "case",
    "paragraph",
    "period",
    "note",
];

impl Settings {
    /// Reads the settings from their texts by name ([`SETTING_NAMES`]).
    pub fn from_texts<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Settings, SettingError> {
        let required = |name: &'static str, what: &str| {
            get(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| setting(name, format!("saknas: ange {what}")))
        };
        let kind = match get("type").map(str::trim) {
            None | Some("budget_line") => Kind::BudgetLine,
            Some("outcome") => Kind::Outcome,
            Some(other) => {
                return Err(setting(
                    "type",
                    format!("'{other}' är inget blad rambok läser (budget_line eller outcome)"),
                ))
            }
        };
        let office = required("office", "förvaltningens kod, t.ex. KLK")?.to_string();
        let year = required("year", "budgetåret, t.ex. 2017")?;
        let year = year
            .parse::<i32>()
            .ok()
            .filter(|y| crate::json::YEARS.contains(y))
            .ok_or_else(|| setting("year", format!("'{year}' är inget år (1900–2200)")))?;
        let unit = match get("unit").map(|u| u.trim().to_lowercase()) {
            None => Unit::Kr,
            Some(u) => Unit::parse(&u).ok_or_else(|| {
                setting("unit", format!("'{u}' är ingen enhet (kr, tkr eller mnkr)"))
            })?,
        };
        let printed = match get("sign").map(str::trim) {
            None | Some("cost") => Printed::Cost,
            Some("result") => Printed::Result,
            Some(other) => {
                return Err(setting(
                    "sign",
                    format!("'{other}' är inget tecken (cost: kostnader positiva; result: kostnader negativa)"),
                ))
            }
        };
        let columns = Columns::parse(required(
            "map",
            "kolumnerna, t.ex. area=A,revenue=B,cost=C",
        )?)
        .map_err(|m| setting("map", m))?;
        let first_row = match get("first_row").map(str::trim) {
            None => 2,
            Some(r) => r
                .parse::<u32>()
                .ok()
                .filter(|r| (1..=1_048_576).contains(r))
                .ok_or_else(|| {
                    setting("first_row", format!("'{r}' är inget radnummer (från 1)"))
                })?,
        };
        let sheet = get("sheet")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let shared = shared(kind, &get)?;
        Ok(Settings {
            kind,
            office,
            year,
            unit,
            printed,
            columns,
            sheet,
            first_row,
            shared,
        })
    }
}

/// The fields every row shares, as a form names them; a setting for the other kind is refused.
fn shared<'a>(
    kind: Kind,
    get: &impl Fn(&str) -> Option<&'a str>,
) -> Result<Vec<(String, String)>, SettingError> {
    let (decision, own): (&[(&'static str, &str)], &[&'static str]) = match kind {
        Kind::BudgetLine => (
            &[
                ("body", "decision.body"),
                ("date", "decision.date"),
                ("case", "decision.case"),
                ("paragraph", "decision.paragraph"),
            ],
            &["note"],
        ),
        Kind::Outcome => (&[("date", "date")], &["period", "note"]),
    };
    let mut out = Vec::new();
    for name in ["body", "case", "paragraph", "period"] {
        let used = decision.iter().any(|(n, _)| *n == name) || own.contains(&name);
        if !used && get(name).is_some() {
            return Err(setting(
                name,
                format!("gäller inte ett blad med {}", kind.type_name()),
            ));
        }
    }
    for (name, path) in decision {
        if let Some(v) = get(name).filter(|v| !v.trim().is_empty()) {
            out.push((path.to_string(), v.to_string()));
        }
    }
    for name in own {
        if let Some(v) = get(name).filter(|v| !v.trim().is_empty()) {
            out.push((name.to_string(), v.to_string()));
        }
    }
    debug_assert!(forms::form(kind.type_name()).is_some());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_by_their_letters() {
        for (letters, n) in [("A", 0), ("z", 25), ("AA", 26), ("XFD", 16_383)] {
            assert_eq!(Column::parse(letters), Some(Column(n)), "{letters}");
            assert_eq!(Column(n).letters(), letters.to_ascii_uppercase());
        }
        for bad in ["", "XFE", "A1", "ABCD", "Ä"] {
            assert_eq!(Column::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_mapping_names_the_area_and_a_net_or_revenue_and_cost() {
        let c = Columns::parse("area=A,revenue=B,cost=C,net=D").unwrap();
        assert_eq!((c.area, c.net), (Column(0), Some(Column(3))));
        for (bad, words) in [
            ("revenue=B,cost=C", "ange områdets kolumn"),
            ("area=A,revenue=B", "både revenue och cost"),
            ("area=A,net=A", "två fält i samma kolumn"),
            ("area=A,netto=B", "'netto' är inget fält"),
            ("area=A,net=1", "'1' är ingen kolumn"),
            ("area=A,net=B,net=C", "angivet två gånger"),
        ] {
            let e = Columns::parse(bad).unwrap_err();
            assert!(e.contains(words), "{bad}: {e}");
        }
    }

    #[test]
    fn settings_are_named_when_wrong() {
        let texts = [
            ("office", "KLK"),
            ("year", "2017"),
            ("map", "area=A,net=B"),
            ("period", "2017-06"),
        ];
        let get = |k: &str| texts.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let e = Settings::from_texts(get).unwrap_err();
        assert_eq!(
            (e.name, e.message.as_str()),
            ("period", "gäller inte ett blad med budget_line")
        );
        let e = Settings::from_texts(|k| get(k).filter(|_| k != "office")).unwrap_err();
        assert_eq!(e.name, "office");
    }
}
