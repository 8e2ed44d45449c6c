//! The JSON Lines event format at the edge: parsing one JSON object into an [`Event`] with errors
//! that name the field, and writing an event back out in the same form (so `log --format json`
//! output can be imported again). `docs/events.md` documents every type.

use crate::domain::amount::{Amount, Unit};
use crate::domain::event::{
    content_id, AreaKind, Date, Decision, Event, EventBody, GoalLevel, ReportedColumn,
    ReportedTable, Status,
};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// Longest text field (names, reasons, notes) in characters.
pub const TEXT_CHARS_MAX: usize = 2000;
/// Longest code field (offices, areas, goal codes) in characters.
pub const CODE_CHARS_MAX: usize = 64;
/// Budget years the ledger accepts.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// A problem with one field of one event; the caller adds file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `decision.date`; empty for the whole object.
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

type R<T> = Result<T, FieldError>;

/// Reads the fields of one JSON object, remembering which were used so unknown ones are errors.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    used: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    fn new(map: &'a Map<String, Value>, prefix: &str) -> Fields<'a> {
        Fields {
            map,
            prefix: prefix.to_string(),
            used: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn err<T>(&self, name: &str, message: impl Into<String>) -> R<T> {
        Err(FieldError::new(self.path(name), message))
    }

    fn raw(&mut self, name: &'static str) -> Option<&'a Value> {
        self.used.push(name);
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn opt_text_limited(&mut self, name: &'static str, max: usize) -> R<Option<String>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.is_empty() {
                    return self.err(name, "is empty");
                }
                if s.chars().count() > max {
                    return self.err(name, format!("is longer than {max} characters"));
                }
                if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                    return self.err(name, "contains control characters");
                }
                Ok(Some(s.to_string()))
            }
            Some(other) => self.err(name, format!("must be a string, not {}", kind(other))),
        }
    }

    fn opt_text(&mut self, name: &'static str) -> R<Option<String>> {
        self.opt_text_limited(name, TEXT_CHARS_MAX)
    }

    fn text(&mut self, name: &'static str) -> R<String> {
        self.opt_text(name)?
            .map_or_else(|| self.err(name, "is missing"), Ok)
    }

    fn opt_code(&mut self, name: &'static str) -> R<Option<String>> {
        self.opt_text_limited(name, CODE_CHARS_MAX)
    }

    fn code(&mut self, name: &'static str) -> R<String> {
        self.opt_code(name)?
            .map_or_else(|| self.err(name, "is missing"), Ok)
    }

    fn year(&mut self, name: &'static str) -> R<i32> {
        match self.raw(name) {
            None => self.err(name, "is missing"),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(y) if YEARS.contains(&(y as i32)) && y == (y as i32) as i64 => Ok(y as i32),
                _ => self.err(
                    name,
                    format!(
                        "{n} is not a year between {} and {}",
                        YEARS.start(),
                        YEARS.end()
                    ),
                ),
            },
            Some(Value::String(s)) => match s.parse::<i32>() {
                Ok(y) if YEARS.contains(&y) => Ok(y),
                _ => self.err(
                    name,
                    format!(
                        "'{s}' is not a year between {} and {}",
                        YEARS.start(),
                        YEARS.end()
                    ),
                ),
            },
            Some(other) => self.err(name, format!("must be a year, not {}", kind(other))),
        }
    }

    fn opt_date(&mut self, name: &'static str) -> R<Option<Date>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) => parse_date(s)
                .map(Some)
                .map_err(|m| FieldError::new(self.path(name), m)),
            Some(other) => self.err(
                name,
                format!("must be a date string YYYY-MM-DD, not {}", kind(other)),
            ),
        }
    }

    fn date(&mut self, name: &'static str) -> R<Date> {
        self.opt_date(name)?
            .map_or_else(|| self.err(name, "is missing"), Ok)
    }

    fn opt_amount(&mut self, name: &'static str, unit: Unit) -> R<Option<Amount>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) => Amount::parse(s, unit)
                .map(Some)
                .map_err(|e| FieldError::new(self.path(name), e.to_string())),
            Some(Value::Number(n)) => self.err(
                name,
                format!("must be a decimal string such as \"{n}\", not a JSON number (numbers can lose precision)"),
            ),
            Some(other) => self.err(name, format!("must be a decimal string, not {}", kind(other))),
        }
    }

    fn amount(&mut self, name: &'static str, unit: Unit) -> R<Amount> {
        self.opt_amount(name, unit)?
            .map_or_else(|| self.err(name, "is missing"), Ok)
    }

    fn unit(&mut self) -> R<Unit> {
        match self.opt_code("unit")? {
            None => Ok(Unit::Kr),
            Some(u) => Unit::parse(&u.to_lowercase()).map_or_else(
                || self.err("unit", format!("'{u}' is not a unit (use kr, tkr or mnkr)")),
                Ok,
            ),
        }
    }

    fn decision(&mut self, type_name: &str) -> R<Decision> {
        let path = self.path("decision");
        match self.raw("decision") {
            None => Err(FieldError::new(
                path,
                format!("is missing: a {type_name} event needs a decision {{body, date, case, paragraph}}"),
            )),
            Some(Value::Object(map)) => {
                let mut f = Fields::new(map, &path);
                let decision = Decision {
                    body: f.code("body")?,
                    date: f.date("date")?,
                    case: f.opt_code("case")?,
                    paragraph: f.opt_code("paragraph")?,
                };
                f.finish()?;
                Ok(decision)
            }
            Some(other) => Err(FieldError::new(path, format!("must be an object, not {}", kind(other)))),
        }
    }

    fn uuid(&mut self, name: &'static str) -> R<Uuid> {
        let s = self.code(name)?;
        Uuid::parse_str(&s)
            .map_err(|_| FieldError::new(self.path(name), format!("'{s}' is not a UUID")))
    }

    /// Fails on any field that was not read: a typo must not silently drop data.
    fn finish(&self) -> R<()> {
        match self.map.keys().find(|k| !self.used.contains(&k.as_str())) {
            Some(k) => Err(FieldError::new(
                self.path(k),
                "is not a field of this event",
            )),
            None => Ok(()),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses `YYYY-MM-DD`, naming impossible dates as such.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let parts: Vec<&str> = s.split('-').collect();
    let ok_shape = parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if !ok_shape {
        return Err(format!("'{s}' is not a date (write YYYY-MM-DD)"));
    }
    let (y, m, d) = (
        parts[0].parse().unwrap_or(0),
        parts[1].parse().unwrap_or(0),
        parts[2].parse().unwrap_or(0),
    );
    Date::ymd(y, m, d).ok_or_else(|| format!("{s} is an impossible date"))
}

/// Parses one event object. The id is the given one or derived from the content.
pub fn parse_event(value: &Value) -> R<Event> {
    let Value::Object(map) = value else {
        return Err(FieldError::new(
            "",
            format!("an event must be a JSON object, not {}", kind(value)),
        ));
    };
    let mut f = Fields::new(map, "");
    let type_name = f.code("type")?;
    let given_id = match f.raw("id") {
        None => None,
        Some(_) => Some(f.uuid("id")?),
    };
    let note = f.opt_text("note")?;
    let body = parse_body(&mut f, &type_name)?;
    f.finish()?;
    let id = given_id.unwrap_or_else(|| content_id(&body, note.as_deref()));
    Ok(Event { id, note, body })
}

fn parse_body(f: &mut Fields, type_name: &str) -> R<EventBody> {
    let body = match type_name {
        "frame_set" => {
            let unit = f.unit()?;
            EventBody::FrameSet {
                office: f.code("office")?,
                year: f.year("year")?,
                amount: f.amount("amount", unit)?,
                decision: f.decision(type_name)?,
            }
        }
        "frame_changed" => {
            let unit = f.unit()?;
            EventBody::FrameChanged {
                office: f.code("office")?,
                year: f.year("year")?,
                amount: f.amount("amount", unit)?,
                category: f.text("category")?,
                reason: f.text("reason")?,
                decision: f.decision(type_name)?,
            }
        }
        "savings_required" => {
            let unit = f.unit()?;
            EventBody::SavingsRequired {
                office: f.code("office")?,
                year: f.year("year")?,
                amount: f.amount("amount", unit)?,
                rate_percent: parse_rate(f)?,
                reason: f.text("reason")?,
                decision: f.decision(type_name)?,
            }
        }
        "transfer" => {
            let unit = f.unit()?;
            EventBody::Transfer {
                from: f.code("from")?,
                to: f.code("to")?,
                year: f.year("year")?,
                amount: f.amount("amount", unit)?,
                reason: f.text("reason")?,
                decision: f.decision(type_name)?,
            }
        }
        "status_updated" => {
            let target = f.code("target")?;
            let raw = f.text("status")?;
            let status = Status::parse(&raw).ok_or_else(|| {
                FieldError::new(
                    "status",
                    format!(
                        "'{raw}' is not a status (activities and assignments: ej påbörjad, påbörjad, genomförd; goals: uppfyllt, delvis uppfyllt, ej uppfyllt)"
                    ),
                )
            })?;
            EventBody::StatusUpdated {
                target,
                status,
                date: f.date("date")?,
                comment: f.opt_text("comment")?,
            }
        }
        "correction" => EventBody::Correction {
            corrects: f.uuid("corrects")?,
            reason: f.text("reason")?,
        },
        "office_defined" => EventBody::OfficeDefined {
            office: f.code("office")?,
            name: f.text("name")?,
            committee: f.opt_code("committee")?,
            from: f.opt_date("from")?,
        },
        "area_defined" => EventBody::AreaDefined {
            office: f.code("office")?,
            area: f.code("area")?,
            name: f.text("name")?,
            kind: match f.text("kind")?.to_lowercase().as_str() {
                "verksamhetsområde" => AreaKind::Area,
                "enhet" => AreaKind::Unit,
                other => {
                    return Err(FieldError::new(
                        "kind",
                        format!("'{other}' is not an area kind (use verksamhetsområde or enhet)"),
                    ))
                }
            },
            parent: f.opt_code("parent")?,
            group: f.opt_text("group")?,
            from: f.opt_date("from")?,
        },
        "budget_line" => parse_budget_line(f)?,
        "outcome" => {
            let unit = f.unit()?;
            let office = f.code("office")?;
            let year = f.year("year")?;
            let area = f.code("area")?;
            let month = parse_period(f, year)?;
            EventBody::Outcome {
                office,
                year,
                area,
                month,
                amount: f.amount("amount", unit)?,
                date: f.date("date")?,
            }
        }
        "forecast" => {
            let unit = f.unit()?;
            EventBody::Forecast {
                office: f.code("office")?,
                year: f.year("year")?,
                area: f.code("area")?,
                amount: f.amount("amount", unit)?,
                date: f.date("date")?,
            }
        }
        "investment_budget" => {
            let unit = f.unit()?;
            EventBody::InvestmentBudget {
                office: f.code("office")?,
                year: f.year("year")?,
                project: f.text("project")?,
                amount: f.amount("amount", unit)?,
                decision: f.decision(type_name)?,
            }
        }
        "investment_outcome" => {
            let unit = f.unit()?;
            EventBody::InvestmentOutcome {
                office: f.code("office")?,
                year: f.year("year")?,
                project: f.text("project")?,
                amount: f.amount("amount", unit)?,
                date: f.date("date")?,
            }
        }
        "goal_defined" => EventBody::GoalDefined {
            goal: f.code("goal")?,
            office: f.opt_code("office")?,
            level: match f.text("level")?.to_lowercase().as_str() {
                "fullmäktigemål" => GoalLevel::Council,
                "nämndsmål" => GoalLevel::Committee,
                other => {
                    return Err(FieldError::new(
                        "level",
                        format!("'{other}' is not a goal level (use fullmäktigemål or nämndsmål)"),
                    ))
                }
            },
            parent: f.opt_code("parent")?,
            focus_area: f.text("focus_area")?,
            title: f.text("title")?,
            text: f.opt_text("text")?,
            year: f.year("year")?,
            decision: f.decision(type_name)?,
        },
        "activity_defined" => EventBody::ActivityDefined {
            activity: f.code("activity")?,
            goal: f.code("goal")?,
            title: f.text("title")?,
            responsible: f.text("responsible")?,
            start: f.date("start")?,
            end: f.date("end")?,
            decision: f.decision(type_name)?,
        },
        "assignment_defined" => EventBody::AssignmentDefined {
            assignment: f.code("assignment")?,
            office: f.opt_code("office")?,
            title: f.text("title")?,
            text: f.opt_text("text")?,
            focus_area: f.text("focus_area")?,
            goal: f.opt_code("goal")?,
            year: f.year("year")?,
            decision: f.decision(type_name)?,
        },
        "approved" => EventBody::Approved {
            event: f.uuid("event")?,
            comment: f.opt_text("comment")?,
        },
        "year_closed" => EventBody::YearClosed {
            office: f.opt_code("office")?,
            year: f.year("year")?,
            date: f.date("date")?,
        },
        "reported" => {
            let unit = f.unit()?;
            let report = pick(f, "report", &ReportedTable::ALL)?;
            let office = f.code("office")?;
            let year = f.year("year")?;
            let row = f.text("row")?;
            let column = pick(f, "column", &ReportedColumn::ALL)?;
            let decimals = match f.map.get("amount") {
                Some(Value::String(s)) => s.split_once('.').map_or(0, |(_, d)| d.len() as u32),
                _ => 0,
            };
            let amount = f.amount("amount", unit)?;
            let precision_ore = (unit.ore() / 10i64.pow(decimals.min(8))).max(1);
            EventBody::Reported {
                report,
                office,
                year,
                row,
                column,
                amount,
                precision_ore,
                source: f.text("source")?,
                date: f.date("date")?,
            }
        }
        other => {
            return Err(FieldError::new(
                "type",
                format!(
                    "'{other}' is not an event type (see docs/events.md: {})",
                    TYPE_NAMES.join(", ")
                ),
            ))
        }
    };
    Ok(body)
}

fn pick<T: Copy>(f: &mut Fields, name: &'static str, options: &[(T, &'static str)]) -> R<T> {
    let given = f.code(name)?;
    options
        .iter()
        .find(|(_, n)| *n == given.to_lowercase())
        .map(|(t, _)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(_, n)| *n).collect();
            FieldError::new(
                name,
                format!("'{given}' is not one of {}", names.join(", ")),
            )
        })
}

/// Every event type, in the order docs/events.md lists them.
pub const TYPE_NAMES: [&str; 19] = [
    "office_defined",
    "area_defined",
    "frame_set",
    "frame_changed",
    "savings_required",
    "transfer",
    "budget_line",
    "outcome",
    "forecast",
    "investment_budget",
    "investment_outcome",
    "goal_defined",
    "activity_defined",
    "assignment_defined",
    "status_updated",
    "correction",
    "approved",
    "year_closed",
    "reported",
];

fn parse_rate(f: &mut Fields) -> R<Option<String>> {
    let Some(rate) = f.opt_code("rate_percent")? else {
        return Ok(None);
    };
    match Amount::parse(&rate, Unit::Kr) {
        Ok(a) if a.is_positive() && a.ore() <= 100 * 100 => Ok(Some(rate)),
        _ => Err(FieldError::new(
            "rate_percent",
            format!("'{rate}' is not a percentage between 0 and 100"),
        )),
    }
}

fn parse_period(f: &mut Fields, year: i32) -> R<u8> {
    let Some(period) = f.opt_code("period")? else {
        return Ok(12);
    };
    let bad = || {
        FieldError::new(
            "period",
            format!("'{period}' is not a period of {year} (write {year}-MM)"),
        )
    };
    let (y, m) = period.split_once('-').ok_or_else(bad)?;
    match (y.parse::<i32>(), m.parse::<u8>()) {
        (Ok(y), Ok(mm))
            if y == year
                && (1..=12).contains(&mm)
                && m.len() == 2
                && m.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(mm)
        }
        _ => Err(bad()),
    }
}

fn parse_budget_line(f: &mut Fields) -> R<EventBody> {
    let unit = f.unit()?;
    let office = f.code("office")?;
    let year = f.year("year")?;
    let area = f.code("area")?;
    let revenue = f.opt_amount("revenue", unit)?;
    let cost = f.opt_amount("cost", unit)?;
    let given_net = f.opt_amount("net", unit)?;
    let net = match (revenue, cost, given_net) {
        (Some(r), Some(c), net) => {
            if r.ore() < 0 || c.ore() < 0 {
                return Err(FieldError::new(
                    if r.ore() < 0 { "revenue" } else { "cost" },
                    "must be a positive amount: revenue and cost are both written as positive figures",
                ));
            }
            let computed = c - r;
            if let Some(n) = net {
                if n != computed {
                    return Err(FieldError::new(
                        "net",
                        format!("is {n} but cost − revenue is {computed}"),
                    ));
                }
            }
            computed
        }
        (None, None, Some(n)) => n,
        (None, None, None) => {
            return Err(FieldError::new(
                "net",
                "is missing: give revenue and cost, or net",
            ))
        }
        _ => {
            return Err(FieldError::new(
                if revenue.is_none() { "revenue" } else { "cost" },
                "is missing: give both revenue and cost, or only net",
            ))
        }
    };
    Ok(EventBody::BudgetLine {
        office,
        year,
        area,
        revenue,
        cost,
        net,
        decision: f.decision("budget_line")?,
    })
}

/// Writes an event in the import format: amounts as exact kronor strings, `unit` omitted.
pub fn event_to_json(event: &Event) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(event.id.to_string()));
    map.insert("type".into(), json!(event.body.type_name()));
    body_fields(&event.body, &mut map);
    if let Some(note) = &event.note {
        map.insert("note".into(), json!(note));
    }
    Value::Object(map)
}

fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    if !value.is_null() {
        map.insert(key.to_string(), value);
    }
}

fn amt(a: Amount) -> Value {
    json!(a.to_kr_string())
}

fn opt_amt(a: Option<Amount>) -> Value {
    a.map_or(Value::Null, amt)
}

fn date(d: Date) -> Value {
    json!(d.to_string())
}

/// The unit and decimals a figure of this precision was printed with.
fn printed_unit(precision_ore: i64) -> (Unit, usize) {
    for unit in [Unit::Mnkr, Unit::Tkr, Unit::Kr] {
        for decimals in 0..=2u32 {
            if unit.ore() / 10i64.pow(decimals) == precision_ore {
                return (unit, decimals as usize);
            }
        }
    }
    (Unit::Kr, 2)
}

pub fn decision_json(d: &Decision) -> Value {
    let mut m = Map::new();
    m.insert("body".into(), json!(d.body));
    m.insert("date".into(), date(d.date));
    put(&mut m, "case", json!(d.case));
    put(&mut m, "paragraph", json!(d.paragraph));
    Value::Object(m)
}

fn body_fields(body: &EventBody, m: &mut Map<String, Value>) {
    match body {
        EventBody::Approved { event, comment } => {
            put(m, "event", json!(event.to_string()));
            put(m, "comment", json!(comment));
        }
        EventBody::YearClosed {
            office,
            year,
            date: d,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "date", date(*d));
        }
        EventBody::Reported {
            report,
            office,
            year,
            row,
            column,
            amount,
            precision_ore,
            source,
            date: d,
        } => {
            put(m, "report", json!(report.name()));
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "row", json!(row));
            put(m, "column", json!(column.name()));
            // Written in the unit and decimals it was printed with, so the precision survives.
            let (u, decimals) = printed_unit(*precision_ore);
            let scaled =
                rust_decimal::Decimal::new(amount.ore(), 0) / rust_decimal::Decimal::from(u.ore());
            put(m, "amount", json!(format!("{:.*}", decimals, scaled)));
            put(m, "unit", json!(u.name()));
            put(m, "source", json!(source));
            put(m, "date", date(*d));
        }
        EventBody::FrameSet {
            office,
            year,
            amount,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "amount", amt(*amount));
            put(m, "decision", decision_json(decision));
        }
        EventBody::FrameChanged {
            office,
            year,
            amount,
            category,
            reason,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "amount", amt(*amount));
            put(m, "category", json!(category));
            put(m, "reason", json!(reason));
            put(m, "decision", decision_json(decision));
        }
        EventBody::SavingsRequired {
            office,
            year,
            amount,
            rate_percent,
            reason,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "amount", amt(*amount));
            put(m, "rate_percent", json!(rate_percent));
            put(m, "reason", json!(reason));
            put(m, "decision", decision_json(decision));
        }
        EventBody::Transfer {
            from,
            to,
            year,
            amount,
            reason,
            decision,
        } => {
            put(m, "from", json!(from));
            put(m, "to", json!(to));
            put(m, "year", json!(year));
            put(m, "amount", amt(*amount));
            put(m, "reason", json!(reason));
            put(m, "decision", decision_json(decision));
        }
        EventBody::StatusUpdated {
            target,
            status,
            date: d,
            comment,
        } => {
            put(m, "target", json!(target));
            put(m, "status", json!(status.name()));
            put(m, "date", date(*d));
            put(m, "comment", json!(comment));
        }
        EventBody::Correction { corrects, reason } => {
            put(m, "corrects", json!(corrects.to_string()));
            put(m, "reason", json!(reason));
        }
        EventBody::OfficeDefined {
            office,
            name,
            committee,
            from,
        } => {
            put(m, "office", json!(office));
            put(m, "name", json!(name));
            put(m, "committee", json!(committee));
            put(m, "from", from.map_or(Value::Null, date));
        }
        EventBody::AreaDefined {
            office,
            area,
            name,
            kind,
            parent,
            group,
            from,
        } => {
            put(m, "office", json!(office));
            put(m, "area", json!(area));
            put(m, "name", json!(name));
            put(
                m,
                "kind",
                json!(match kind {
                    AreaKind::Area => "verksamhetsområde",
                    AreaKind::Unit => "enhet",
                }),
            );
            put(m, "parent", json!(parent));
            put(m, "group", json!(group));
            put(m, "from", from.map_or(Value::Null, date));
        }
        EventBody::BudgetLine {
            office,
            year,
            area,
            revenue,
            cost,
            net,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "area", json!(area));
            put(m, "revenue", opt_amt(*revenue));
            put(m, "cost", opt_amt(*cost));
            put(m, "net", amt(*net));
            put(m, "decision", decision_json(decision));
        }
        EventBody::Outcome {
            office,
            year,
            area,
            month,
            amount,
            date: d,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "area", json!(area));
            put(m, "period", json!(format!("{year}-{month:02}")));
            put(m, "amount", amt(*amount));
            put(m, "date", date(*d));
        }
        EventBody::Forecast {
            office,
            year,
            area,
            amount,
            date: d,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "area", json!(area));
            put(m, "amount", amt(*amount));
            put(m, "date", date(*d));
        }
        EventBody::InvestmentBudget {
            office,
            year,
            project,
            amount,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "project", json!(project));
            put(m, "amount", amt(*amount));
            put(m, "decision", decision_json(decision));
        }
        EventBody::InvestmentOutcome {
            office,
            year,
            project,
            amount,
            date: d,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "project", json!(project));
            put(m, "amount", amt(*amount));
            put(m, "date", date(*d));
        }
        EventBody::GoalDefined {
            goal,
            office,
            level,
            parent,
            focus_area,
            title,
            text,
            year,
            decision,
        } => {
            put(m, "goal", json!(goal));
            put(m, "office", json!(office));
            put(
                m,
                "level",
                json!(match level {
                    GoalLevel::Council => "fullmäktigemål",
                    GoalLevel::Committee => "nämndsmål",
                }),
            );
            put(m, "parent", json!(parent));
            put(m, "focus_area", json!(focus_area));
            put(m, "title", json!(title));
            put(m, "text", json!(text));
            put(m, "year", json!(year));
            put(m, "decision", decision_json(decision));
        }
        EventBody::ActivityDefined {
            activity,
            goal,
            title,
            responsible,
            start,
            end,
            decision,
        } => {
            put(m, "activity", json!(activity));
            put(m, "goal", json!(goal));
            put(m, "title", json!(title));
            put(m, "responsible", json!(responsible));
            put(m, "start", date(*start));
            put(m, "end", date(*end));
            put(m, "decision", decision_json(decision));
        }
        EventBody::AssignmentDefined {
            assignment,
            office,
            title,
            text,
            focus_area,
            goal,
            year,
            decision,
        } => {
            put(m, "assignment", json!(assignment));
            put(m, "office", json!(office));
            put(m, "title", json!(title));
            put(m, "text", json!(text));
            put(m, "focus_area", json!(focus_area));
            put(m, "goal", json!(goal));
            put(m, "year", json!(year));
            put(m, "decision", decision_json(decision));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> R<Event> {
        parse_event(&serde_json::from_str(s).unwrap())
    }

    #[test]
    fn same_content_in_other_units_gets_the_same_id() {
        let a = parse(r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"477569","unit":"tkr","decision":{"body":"KF","date":"2016-06-20"}}"#).unwrap();
        let b = parse(r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"477569000","decision":{"body":"KF","date":"2016-06-20"}}"#).unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(a, b);
    }

    #[test]
    fn every_type_round_trips_through_json() {
        let lines = [
            r#"{"type":"office_defined","office":"KLK","name":"kommunledningskontoret","committee":"KS","from":"2014-01-01"}"#,
            r#"{"type":"area_defined","office":"KLK","area":"BRAND","name":"Brandkår","kind":"enhet","parent":"INFRA","group":"driftresultat","from":"2014-01-01"}"#,
            r#"{"type":"frame_changed","office":"KLK","year":2017,"amount":"-273","unit":"tkr","category":"ramjustering","reason":"IT","decision":{"body":"KF","date":"2016-06-20","case":"KS 2016/1","paragraph":"§ 65"},"note":"n"}"#,
            r#"{"type":"savings_required","office":"KLK","year":2017,"amount":"1990","unit":"tkr","rate_percent":"1","reason":"stabil ekonomi","decision":{"body":"KF","date":"2016-06-20"}}"#,
            r#"{"type":"transfer","from":"SBK","to":"KLK","year":2017,"amount":"691","unit":"tkr","reason":"HR","decision":{"body":"kommundirektör","date":"2016-10-01"}}"#,
            r#"{"type":"budget_line","office":"KLK","year":2017,"area":"ADM","revenue":"65595","cost":"174102","unit":"tkr","decision":{"body":"KS","date":"2016-11-22"}}"#,
            r#"{"type":"outcome","office":"KLK","year":2014,"area":"BRAND","period":"2014-08","amount":"40774.7","unit":"tkr","date":"2014-09-15"}"#,
            r#"{"type":"forecast","office":"KLK","year":2014,"area":"BRAND","amount":"41000","unit":"tkr","date":"2014-10-31"}"#,
            r#"{"type":"investment_budget","office":"KLK","year":2017,"project":"Infrastruktur och skydd","amount":"133700","unit":"tkr","decision":{"body":"KF","date":"2016-06-20"}}"#,
            r#"{"type":"investment_outcome","office":"KLK","year":2014,"project":"Brandkår","amount":"1732","unit":"tkr","date":"2015-01-21"}"#,
            r#"{"type":"goal_defined","goal":"FM17-01","level":"fullmäktigemål","focus_area":"Ordning och reda","title":"Nettokostnaderna","year":2017,"decision":{"body":"KF","date":"2016-06-20"}}"#,
            r#"{"type":"activity_defined","activity":"AKT17-01","goal":"NM17-01","title":"Inventera","responsible":"Annette Andersson","start":"2017-01-01","end":"2017-03-31","decision":{"body":"KS","date":"2016-11-22"}}"#,
            r#"{"type":"assignment_defined","assignment":"UPP17-01","title":"Simhall","focus_area":"Ordning och reda","year":2017,"decision":{"body":"KF","date":"2016-06-20"}}"#,
            r#"{"type":"status_updated","target":"AKT17-01","status":"Ej påbörjad","date":"2016-11-22","comment":"c"}"#,
            r#"{"type":"correction","corrects":"6a1f3c2e-9b4d-4e7a-8f10-2d5c7b9e0a41","reason":"fel belopp"}"#,
        ];
        for line in lines {
            let event = parse(line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            let again = parse_event(&event_to_json(&event)).unwrap();
            assert_eq!(event, again, "{line}");
        }
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"1"}"#,
                "decision",
            ),
            (
                r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"1","decision":{"body":"KF","date":"2017-02-30"}}"#,
                "decision.date",
            ),
            (
                r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"1.001","decision":{"body":"KF","date":"2017-02-03"}}"#,
                "amount",
            ),
            (
                r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"1","amont":"2","decision":{"body":"KF","date":"2017-02-03"}}"#,
                "amont",
            ),
            (r#"{"type":"nope"}"#, "type"),
            (
                r#"{"type":"status_updated","target":"A","status":"klar","date":"2017-01-01"}"#,
                "status",
            ),
        ];
        for (line, field) in cases {
            let err = parse(line).unwrap_err();
            assert_eq!(err.field, field, "{line}: {}", err.message);
        }
    }
}
