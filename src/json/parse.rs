//! Reading one event: from a line of JSON text straight into its stored form, or from a JSON value
//! already parsed. The fields of each type are declared in `schema`; here are the fields every
//! event has.

use super::codec::{read_field, Code, Id, Text};
use super::fields::Fields;
use super::record::{self, Raw};
use super::{schema, FieldError, R};
use crate::domain::event::{content_id, Event};
use serde_json::Value;
use std::fmt;

/// Why a line of JSON is not an event.
#[derive(Debug)]
pub enum LineError {
    /// Not one JSON value, or an object with a key twice.
    Json(serde_json::Error),
    /// Valid JSON, but not a valid event.
    Field(FieldError),
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Json(e) => write!(f, "inte giltig JSON: {}", super::describe_json_error(e)),
            LineError::Field(e) => e.fmt(f),
        }
    }
}

/// Reads one event from JSON text without building a `serde_json::Value`, refusing a key that
/// appears twice in any object. The JSON is checked whole before any field.
pub fn parse_event_line(text: &str) -> Result<Event, LineError> {
    let raw = record::from_str(text).map_err(LineError::Json)?;
    event_from(&raw).map_err(LineError::Field)
}

/// Reads one event from a parsed JSON value. The id is the given one or derived from the content.
pub fn parse_event(value: &Value) -> R<Event> {
    let raw = record::from_value(value).map_err(|e| FieldError::new("", e.to_string()))?;
    event_from(&raw)
}

fn event_from(raw: &Raw) -> R<Event> {
    let Raw::Object(record) = raw else {
        return Err(FieldError::new(
            "",
            format!("en händelse ska vara ett JSON-objekt, inte {}", raw.kind()),
        ));
    };
    let mut f = Fields::event(record);
    let type_name = read_field::<Code>(&f, "type")?;
    let given_id = read_field::<Option<Id>>(&f, "id")?;
    let note = read_field::<Option<Text>>(&f, "note")?;
    let body = schema::read_body(&mut f, &type_name)?;
    let id = given_id.unwrap_or_else(|| content_id(&body, note.as_deref()));
    Ok(Event { id, note, body })
}
