//! Reading the fields of one JSON object with errors that name the field: text, codes, years,
//! dates, amounts and the unit they are written in. Which fields an event has, and which reader
//! each uses, is declared in `schema`.

use super::record::{Raw, Record};
use super::{FieldError, CODE_CHARS_MAX, R, TEXT_CHARS_MAX, YEARS};
use crate::domain::amount::{Amount, Unit};
use crate::domain::event::Date;
use crate::lang::counted;

/// Fields every event has besides those of its type.
const COMMON_KEYS: [&str; 3] = ["type", "id", "note"];

/// The fields of one JSON object: an event, or the decision inside it.
pub(crate) struct Fields<'r, 'de> {
    record: &'r Record<'de>,
    /// `decision` for the fields of a decision, `parts[2]` for an element of a list, empty for
    /// an event's own.
    prefix: std::borrow::Cow<'static, str>,
    /// The event's type, once known, for messages.
    type_name: &'static str,
    /// The unit the event's amounts are written in, `None` if its type has no amounts.
    unit: Option<Unit>,
}

impl<'r, 'de> Fields<'r, 'de> {
    /// The fields of an event object; its type is not known yet.
    pub(crate) fn event(record: &'r Record<'de>) -> Fields<'r, 'de> {
        Fields {
            record,
            prefix: "".into(),
            type_name: "",
            unit: None,
        }
    }

    /// The fields of the object in the event's field `key`.
    pub(crate) fn nested(&self, key: &'static str, record: &'r Record<'de>) -> Fields<'r, 'de> {
        debug_assert!(self.prefix.is_empty(), "objects nest one level deep");
        Fields {
            record,
            prefix: key.into(),
            type_name: self.type_name,
            unit: None,
        }
    }

    /// The fields of the object at `index` of the list in the event's field `key`; its amounts
    /// are in the event's unit.
    pub(crate) fn element(
        &self,
        key: &'static str,
        index: usize,
        record: &'r Record<'de>,
    ) -> Fields<'r, 'de> {
        debug_assert!(self.prefix.is_empty(), "objects nest one level deep");
        Fields {
            record,
            prefix: format!("{key}[{index}]").into(),
            type_name: self.type_name,
            unit: self.unit,
        }
    }

    /// Sets the event's type; for a type with amounts, reads `unit` first, as every amount needs it.
    pub(crate) fn set_type(&mut self, type_name: &'static str, has_amounts: bool) -> R<()> {
        self.type_name = type_name;
        if has_amounts {
            self.unit = Some(self.read_unit()?);
        }
        Ok(())
    }

    pub(crate) fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The unit of the event's amounts (kr for a type without amounts, which never asks).
    pub(crate) fn unit(&self) -> Unit {
        self.unit.unwrap_or_default()
    }

    pub(crate) fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    pub(crate) fn error(&self, name: &str, message: impl Into<String>) -> FieldError {
        FieldError::new(self.path(name), message)
    }

    fn err<T>(&self, name: &str, message: impl Into<String>) -> R<T> {
        Err(self.error(name, message))
    }

    /// The value of `name`; `null` counts as absent.
    pub(crate) fn raw(&self, name: &str) -> Option<&'r Raw<'de>> {
        self.record.get(name)
    }

    fn opt_text_limited(&self, name: &str, max: usize) -> R<Option<String>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Raw::Str(s)) => text_checked(s, max)
                .map(Some)
                .map_err(|m| self.error(name, m)),
            Some(other) => self.err(name, format!("ska vara en sträng, inte {}", other.kind())),
        }
    }

    /// The codes of the list in `name` (a delegation rule's bodies): each as `opt_code` reads
    /// one, an error naming `name[i]`; at most `max` of them, none twice.
    pub(crate) fn code_list(&self, name: &str, items: &[Raw], max: usize) -> R<Vec<String>> {
        if items.len() > max {
            return self.err(name, format!("har {} poster; högst {max}", items.len()));
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = format!("{name}[{i}]");
            let Raw::Str(s) = item else {
                return self.err(&at, format!("ska vara en sträng, inte {}", item.kind()));
            };
            let code = text_checked(s, CODE_CHARS_MAX)
                .and_then(|c| match crate::domain::text::check_label(&c) {
                    Ok(()) => Ok(c),
                    Err(e) => Err(e.0),
                })
                .map_err(|m| self.error(&at, m))?;
            if out.contains(&code) {
                return self.err(&at, format!("'{code}' står två gånger"));
            }
            out.push(code);
        }
        Ok(out)
    }

    pub(crate) fn opt_text(&self, name: &str) -> R<Option<String>> {
        self.opt_text_limited(name, TEXT_CHARS_MAX)
    }

    /// A label: one line, nothing hidden (see `domain::text`).
    pub(crate) fn opt_label(&self, name: &str) -> R<Option<String>> {
        let label = self.opt_text(name)?;
        if let Some(l) = &label {
            if let Err(e) = crate::domain::text::check_label(l) {
                return self.err(name, e.0);
            }
        }
        Ok(label)
    }

    /// A person's name, stored in NFC (see `domain::text::person_name`).
    pub(crate) fn opt_person(&self, name: &str) -> R<Option<String>> {
        match self.opt_code(name)? {
            None => Ok(None),
            Some(p) => match crate::domain::text::person_name(&p) {
                Ok(p) => Ok(Some(p)),
                Err(e) => self.err(name, format!("'{}' {e}", p.escape_debug())),
            },
        }
    }

    pub(crate) fn opt_code(&self, name: &str) -> R<Option<String>> {
        let code = self.opt_text_limited(name, CODE_CHARS_MAX)?;
        if let Some(c) = &code {
            if let Err(e) = crate::domain::text::check_label(c) {
                return self.err(name, e.0);
            }
        }
        Ok(code)
    }

    /// An identifier: an office, area, goal, activity or assignment code. Letters A–Ö, digits and
    /// `- _ . /` only, so no look-alike (Cyrillic К), invisible (zero-width, right-to-left
    /// override) or multi-line code can stand beside a real one.
    pub(crate) fn opt_ident(&self, name: &str) -> R<Option<String>> {
        let code = self.opt_code(name)?;
        if let Some(c) = &code {
            let ok = |ch: char| ch.is_ascii_alphanumeric() || "-_./ÅÄÖåäöÉéÜü".contains(ch);
            if !c.chars().all(ok) {
                return self.err(
                    name,
                    format!(
                        "'{}' får bara innehålla bokstäverna A–Ö, siffror och - _ . /",
                        c.escape_debug()
                    ),
                );
            }
        }
        Ok(code)
    }

    /// A budget year, as a number or a string.
    pub(crate) fn opt_year(&self, name: &str) -> R<Option<i32>> {
        let not_a_year = |given: String| {
            self.err(
                name,
                format!(
                    "{given} är inte ett år mellan {} och {}",
                    YEARS.start(),
                    YEARS.end()
                ),
            )
        };
        match self.raw(name) {
            None => Ok(None),
            Some(Raw::Number(n)) => match n.as_i64().and_then(|y| i32::try_from(y).ok()) {
                Some(y) if YEARS.contains(&y) => Ok(Some(y)),
                _ => not_a_year(n.to_string()),
            },
            Some(Raw::Str(s)) => match s.parse::<i32>() {
                Ok(y) if YEARS.contains(&y) => Ok(Some(y)),
                _ => not_a_year(format!("'{s}'")),
            },
            Some(other) => self.err(name, format!("ska vara ett år, inte {}", other.kind())),
        }
    }

    pub(crate) fn opt_date(&self, name: &str) -> R<Option<Date>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Raw::Str(s)) => parse_date(s).map(Some).map_err(|m| self.error(name, m)),
            Some(other) => self.err(
                name,
                format!(
                    "ska vara ett datum som sträng (ÅÅÅÅ-MM-DD), inte {}",
                    other.kind()
                ),
            ),
        }
    }

    /// An amount in the event's unit, from a decimal string; never through a float.
    pub(crate) fn opt_amount(&self, name: &str) -> R<Option<Amount>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Raw::Str(s)) => Amount::parse(s, self.unit())
                .map(Some)
                .map_err(|e| self.error(name, e.to_string())),
            Some(Raw::Number(n)) => self.err(
                name,
                format!("ska vara ett decimaltal som sträng, till exempel '{n}', inte ett JSON-tal (ett tal kan tappa precision)"),
            ),
            Some(other) => self.err(name, format!("ska vara ett decimaltal som sträng, inte {}", other.kind())),
        }
    }

    fn read_unit(&self) -> R<Unit> {
        match self.opt_code("unit")? {
            None => Ok(Unit::Kr),
            Some(u) => Unit::parse(&u.to_lowercase()).map_or_else(
                || {
                    self.err(
                        "unit",
                        format!("'{u}' är inte en enhet (använd kr, tkr eller mnkr)"),
                    )
                },
                Ok,
            ),
        }
    }

    /// Fails on the first field, in the order written, that is not one of `keys` (nor, for an
    /// event, `type`, `id`, `note` and, with amounts, `unit`): a typo must not silently drop data.
    pub(crate) fn finish(&self, keys: &[&str]) -> R<()> {
        let event = self.prefix.is_empty();
        let allowed = |k: &str| {
            keys.contains(&k)
                || (event && COMMON_KEYS.contains(&k))
                || (event && super::provenance::KEYS.contains(&k))
                || (event && self.unit.is_some() && k == "unit")
        };
        match self.record.keys().find(|k| !allowed(k)) {
            Some(k) => self.err(k, "är inget fält i denna händelse"),
            None => Ok(()),
        }
    }
}

/// Text as a field holds it: trimmed, not empty, at most `max` characters, nothing hidden.
fn text_checked(s: &str, max: usize) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("är tomt".into());
    }
    if s.chars().count() > max {
        return Err(format!(
            "är längre än {}",
            counted(max as u64, "tecken", "tecken")
        ));
    }
    crate::domain::text::check_free_text(s).map_err(|e| e.0)?;
    Ok(s.to_string())
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
        return Err(format!("'{s}' är inte ett datum (skriv ÅÅÅÅ-MM-DD)"));
    }
    let (y, m, d) = (
        parts[0].parse().unwrap_or(0),
        parts[1].parse().unwrap_or(0),
        parts[2].parse().unwrap_or(0),
    );
    Date::ymd(y, m, d).ok_or_else(|| format!("datumet {s} finns inte"))
}
