//! A sheet's rows become events: each row's area found among the office's areas (by code, or by
//! name as defined), its figures read as the sheet prints them and turned to the ledger's sign,
//! then the row given to the one parser as a form's values with the settings every row shares.
//! The table ends at its first empty row, or at a sum row (`Summa`, `Totalt`), which must add up
//! to the rows above it.

use super::read::{Table, Value};
use super::{Column, Kind, Printed, Settings, SheetError, ERRORS_SHOWN_MAX, ROWS_MAX};
use crate::domain::amount::{Amount, Unit};
use crate::domain::event::Event;
use crate::json::{forms, parse_event};
use crate::report::number::exact;
use std::collections::HashMap;

/// The office's areas: (code, name as defined).
pub type Areas = [(String, String)];

/// One event of the sheet, with the row it came from.
#[derive(Clone, Debug)]
pub struct Row {
    pub number: u32,
    pub event: Event,
}

/// Where each mapped field is in a row's cells ([`Table`] keeps them in this order).
pub fn columns_read(s: &Settings) -> Vec<Column> {
    let c = &s.columns;
    [Some(c.area), c.revenue, c.cost, c.net]
        .into_iter()
        .flatten()
        .collect()
}

/// A row's cells by field.
struct Cells<'a> {
    area: Option<&'a Value>,
    revenue: Option<&'a Value>,
    cost: Option<&'a Value>,
    net: Option<&'a Value>,
}

fn cells<'a>(s: &Settings, values: &'a [Option<Value>]) -> Cells<'a> {
    let mut it = values.iter().map(Option::as_ref);
    let c = &s.columns;
    let area = it.next().flatten();
    let mut next = |present: bool| if present { it.next().flatten() } else { None };
    let revenue = next(c.revenue.is_some());
    let cost = next(c.cost.is_some());
    let net = next(c.net.is_some());
    Cells {
        area,
        revenue,
        cost,
        net,
    }
}

fn is_sum(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    ["summa", "totalt", "total"]
        .iter()
        .any(|w| t.starts_with(w))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Text(t) => t.trim().to_string(),
        Value::Number(n) => n.clone(),
        Value::Other(what) => what.to_string(),
    }
}

/// A figure as printed, in the sheet's unit.
fn figure(v: &Value, unit: Unit) -> Result<Amount, String> {
    match v {
        Value::Number(n) => Amount::parse(n, unit).map_err(|e| e.to_string()),
        Value::Text(t) => Amount::parse_swedish(t, unit).map_err(|_| {
            format!(
                "'{}' är inte ett belopp (skriv till exempel 477 569, 1 325,8 eller −1 000)",
                t.trim()
            )
        }),
        Value::Other(what) => Err(format!("cellen har {what}, inget belopp")),
    }
}

/// The plain decimal text of an amount in `unit`, as an import line holds it.
fn plain(a: Amount, unit: Unit) -> String {
    Amount::plain_figure(&exact(a, unit))
}

/// A name with case and spacing aside.
fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The office's areas by code and by folded name, made once per sheet.
struct Lookup<'a> {
    codes: HashMap<&'a str, &'a str>,
    names: HashMap<String, &'a str>,
}

impl<'a> Lookup<'a> {
    fn new(areas: &'a Areas) -> Lookup<'a> {
        let mut names = HashMap::new();
        for (code, name) in areas {
            names.entry(fold(name)).or_insert(code.as_str());
        }
        Lookup {
            codes: areas
                .iter()
                .map(|(c, _)| (c.as_str(), c.as_str()))
                .collect(),
            names,
        }
    }

    /// The area a cell names, by code or by name.
    fn find(&self, text: &str) -> Option<&'a str> {
        self.codes
            .get(text.trim())
            .or_else(|| self.names.get(&fold(text)))
            .copied()
    }
}

struct Place<'a> {
    sheet: &'a str,
    row: u32,
}

impl Place<'_> {
    fn at(&self, column: Option<Column>, message: impl Into<String>) -> SheetError {
        SheetError {
            sheet: Some(self.sheet.to_string()),
            row: Some(self.row),
            column,
            message: message.into(),
        }
    }
}

/// The sums of the printed figures of the rows read, per field.
#[derive(Default)]
struct Sums {
    revenue: Amount,
    cost: Amount,
    net: Amount,
}

/// The events of the sheet's table, or its problems (at most [`ERRORS_SHOWN_MAX`]).
pub fn events(table: &Table, s: &Settings, areas: &Areas) -> Result<Vec<Row>, Vec<SheetError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut sums = Sums::default();
    let mut ended = false;
    let lookup = Lookup::new(areas);
    for (expected, (number, values)) in (s.first_row..).zip(&table.rows) {
        if *number != expected {
            ended = true;
            break;
        }
        let place = Place {
            sheet: &table.sheet,
            row: *number,
        };
        let c = cells(s, values);
        let Some(area) = c.area else {
            ended = true;
            break;
        };
        let area_text = text_of(area);
        if is_sum(&area_text) {
            errors.extend(check_sums(&place, s, &c, &sums));
            ended = true;
            break;
        }
        match row_event(&place, s, &c, &area_text, (&lookup, areas), &mut sums) {
            Ok(event) => out.push(Row {
                number: *number,
                event,
            }),
            Err(e) => errors.push(e),
        }
        if errors.len() >= ERRORS_SHOWN_MAX {
            return Err(errors);
        }
    }
    if !ended && table.rows.len() > ROWS_MAX as usize {
        errors.push(SheetError {
            sheet: Some(table.sheet.clone()),
            row: None,
            column: None,
            message: format!("tabellen har fler än {ROWS_MAX} rader: dela upp den"),
        });
    }
    if errors.is_empty() && out.is_empty() {
        errors.push(SheetError {
            sheet: Some(table.sheet.clone()),
            row: Some(s.first_row),
            column: Some(s.columns.area),
            message: "ingen rad att läsa här: tabellen ska börja på raden som --first-row anger"
                .into(),
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The row's event: its figures turned to the ledger's sign, then read by the one parser.
fn row_event(
    place: &Place,
    s: &Settings,
    c: &Cells,
    area_text: &str,
    (lookup, areas): (&Lookup, &Areas),
    sums: &mut Sums,
) -> Result<Event, SheetError> {
    let col = &s.columns;
    let code = lookup.find(area_text).ok_or_else(|| {
        let known: Vec<String> = areas
            .iter()
            .take(20)
            .map(|(c, n)| format!("{c} ({n})"))
            .collect();
        place.at(
            Some(col.area),
            format!(
                "'{area_text}' är inget verksamhetsområde i {}: ange dess kod eller namn ({})",
                s.office,
                if known.is_empty() {
                    "förvaltningen har inga".to_string()
                } else {
                    known.join(", ")
                }
            ),
        )
    })?;
    let read = |v: Option<&Value>, column: Option<Column>| -> Result<Option<Amount>, SheetError> {
        v.map(|v| figure(v, s.unit).map_err(|m| place.at(column, m)))
            .transpose()
    };
    let revenue = read(c.revenue, col.revenue)?;
    let cost = read(c.cost, col.cost)?;
    let net = read(c.net, col.net)?;
    sums.revenue += revenue.unwrap_or_default();
    sums.cost += cost.unwrap_or_default();
    sums.net += net.unwrap_or_default();
    // The ledger keeps costs and net costs positive.
    let turn = |a: Amount| if s.printed == Printed::Result { -a } else { a };
    let (cost, net) = (cost.map(turn), net.map(turn));
    let mut values: Vec<(String, String)> = vec![
        ("office".into(), s.office.clone()),
        ("year".into(), s.year.to_string()),
        ("area".into(), code.to_string()),
        ("unit".into(), s.unit.name().to_string()),
    ];
    match s.kind {
        Kind::BudgetLine => {
            values.extend(revenue.map(|a| ("revenue".into(), plain(a, s.unit))));
            values.extend(cost.map(|a| ("cost".into(), plain(a, s.unit))));
            values.extend(net.map(|a| ("net".into(), plain(a, s.unit))));
        }
        Kind::Outcome => {
            let amount = match (net, revenue, cost) {
                (Some(n), _, _) => n,
                (None, r, Some(c)) => c - r.unwrap_or_default(),
                _ => return Err(place.at(col.cost, "raden saknar kostnader")),
            };
            values.push(("amount".into(), plain(amount, s.unit)));
        }
    }
    values.extend(s.shared.iter().cloned());
    let get = |path: &str| {
        values
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_str())
    };
    let column_of = |field: &str| match field {
        "area" => Some(col.area),
        "revenue" => col.revenue,
        "cost" => col.cost,
        "net" | "amount" => col.net.or(col.cost),
        _ => None,
    };
    let json = forms::event_json(s.kind.type_name(), get)
        .map_err(|e| place.at(column_of(&e.field), e.to_string()))?;
    parse_event(&json).map_err(|e| place.at(column_of(&e.field), e.to_string()))
}

/// A sum row's figures against the rows above, as printed.
fn check_sums(place: &Place, s: &Settings, c: &Cells, sums: &Sums) -> Vec<SheetError> {
    let col = &s.columns;
    let mut out = Vec::new();
    for (cell, column, sum) in [
        (c.revenue, col.revenue, sums.revenue),
        (c.cost, col.cost, sums.cost),
        (c.net, col.net, sums.net),
    ] {
        let Some(cell) = cell else { continue };
        match figure(cell, s.unit) {
            Ok(printed) if printed != sum => out.push(place.at(
                column,
                format!(
                    "summan {} stämmer inte med raderna ovanför, som ger {} {}",
                    exact(printed, s.unit),
                    exact(sum, s.unit),
                    s.unit.name()
                ),
            )),
            Ok(_) => {}
            Err(m) => out.push(place.at(column, m)),
        }
    }
    out
}
