//! Reading the fields of one JSON object with errors that name the field: text, codes, years,
//! dates, amounts, units, decisions; unknown fields are errors.

use super::{FieldError, CODE_CHARS_MAX, R, TEXT_CHARS_MAX, YEARS};
use crate::domain::amount::{Amount, Unit};
use crate::domain::event::{Date, Decision};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Reads the fields of one JSON object, remembering which were used so unknown ones are errors.
pub(crate) struct Fields<'a> {
    pub(crate) map: &'a Map<String, Value>,
    prefix: String,
    used: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>, prefix: &str) -> Fields<'a> {
        Fields {
            map,
            prefix: prefix.to_string(),
            used: Vec::new(),
        }
    }

    pub(crate) fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    pub(crate) fn err<T>(&self, name: &str, message: impl Into<String>) -> R<T> {
        Err(FieldError::new(self.path(name), message))
    }

    pub(crate) fn raw(&mut self, name: &'static str) -> Option<&'a Value> {
        self.used.push(name);
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub(crate) fn opt_text_limited(&mut self, name: &'static str, max: usize) -> R<Option<String>> {
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

    pub(crate) fn opt_text(&mut self, name: &'static str) -> R<Option<String>> {
        self.opt_text_limited(name, TEXT_CHARS_MAX)
    }

    pub(crate) fn text(&mut self, name: &'static str) -> R<String> {
        self.opt_text(name)?
            .map_or_else(|| self.err(name, "is missing"), Ok)
    }

    pub(crate) fn opt_code(&mut self, name: &'static str) -> R<Option<String>> {
        self.opt_text_limited(name, CODE_CHARS_MAX)
    }

    /// An identifier: an office, area, goal, activity or assignment code. Letters A–Ö, digits and
    /// `- _ . /` only, so no look-alike (Cyrillic К), invisible (zero-width, right-to-left
    /// override) or multi-line code can stand beside a real one.
    pub(crate) fn opt_ident(&mut self, name: &'static str) -> R<Option<String>> {
        let code = self.opt_code(name)?;
        if let Some(c) = &code {
            let ok = |ch: char| ch.is_ascii_alphanumeric() || "-_./ÅÄÖåäöÉéÜü".contains(ch);
            if !c.chars().all(ok) {
                return self.err(
                    name,
                    format!(
                        "'{}' may only hold the letters A–Ö, digits and - _ . /",
                        c.escape_debug()
                    ),
                );
            }
        }
        Ok(code)
    }

    pub(crate) fn ident(&mut self, name: &'static str) -> R<String> {
        self.opt_ident(name)?
            .map_or_else(|| self.err(name, "is missing"), Ok)
    }

    pub(crate) fn code(&mut self, name: &'static str) -> R<String> {
        self.opt_code(name)?
            .map_or_else(|| self.err(name, "is missing"), Ok)
    }

    pub(crate) fn year(&mut self, name: &'static str) -> R<i32> {
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

    pub(crate) fn opt_date(&mut self, name: &'static str) -> R<Option<Date>> {
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

    pub(crate) fn date(&mut self, name: &'static str) -> R<Date> {
        self.opt_date(name)?
            .map_or_else(|| self.err(name, "is missing"), Ok)
    }

    pub(crate) fn opt_amount(&mut self, name: &'static str, unit: Unit) -> R<Option<Amount>> {
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

    pub(crate) fn amount(&mut self, name: &'static str, unit: Unit) -> R<Amount> {
        self.opt_amount(name, unit)?
            .map_or_else(|| self.err(name, "is missing"), Ok)
    }

    pub(crate) fn unit(&mut self) -> R<Unit> {
        match self.opt_code("unit")? {
            None => Ok(Unit::Kr),
            Some(u) => Unit::parse(&u.to_lowercase()).map_or_else(
                || self.err("unit", format!("'{u}' is not a unit (use kr, tkr or mnkr)")),
                Ok,
            ),
        }
    }

    pub(crate) fn decision(&mut self, type_name: &str) -> R<Decision> {
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

    pub(crate) fn uuid(&mut self, name: &'static str) -> R<Uuid> {
        let s = self.code(name)?;
        Uuid::parse_str(&s)
            .map_err(|_| FieldError::new(self.path(name), format!("'{s}' is not a UUID")))
    }

    /// Fails on any field that was not read: a typo must not silently drop data.
    pub(crate) fn finish(&self) -> R<()> {
        match self.map.keys().find(|k| !self.used.contains(&k.as_str())) {
            Some(k) => Err(FieldError::new(
                self.path(k),
                "is not a field of this event",
            )),
            None => Ok(()),
        }
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
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
