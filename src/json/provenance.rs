//! The provenance fields every event may carry besides those of its type: `source {document,
//! page}`, `assumed: [field, …]` and `backfill`. Read after the type's own fields, because an
//! assumed field must be one the event has; written back after `note`.
//!
//! `reported` and the other claims (`reported_parts`, `reported_count`, `reported_target`) have a
//! `source` of their own (the text naming where the figure is printed), which serves as their
//! provenance; the `source` object is not read for them.

use super::fields::Fields;
use super::record::Raw;
use super::{schema, FieldError, R};
use crate::domain::event::{EventBody, Provenance, Source};
use serde_json::{json, Map, Value};

/// The most fields one event may mark as assumed.
pub const ASSUMED_MAX: usize = 16;

/// The provenance keys, allowed on every event.
pub(crate) const KEYS: [&str; 3] = ["source", "assumed", "backfill"];

/// Reads the provenance of an event whose body is already read.
pub(crate) fn read(f: &Fields, body: &EventBody) -> R<Provenance> {
    let source = match body {
        EventBody::Reported { .. }
        | EventBody::ReportedParts { .. }
        | EventBody::ReportedCount { .. }
        | EventBody::ReportedTarget { .. } => None,
        _ => read_source(f)?,
    };
    let assumed = read_assumed(f)?;
    check_assumed(&assumed, body)?;
    let backfill = f.opt_label("backfill")?;
    Ok(Provenance {
        source,
        assumed,
        backfill,
    })
}

fn read_source(f: &Fields) -> R<Option<Source>> {
    match f.raw("source") {
        None => Ok(None),
        Some(Raw::Object(record)) => {
            let s = f.nested("source", record);
            let document = s
                .opt_label("document")?
                .ok_or_else(|| s.error("document", "saknas: en källa ska ha ett dokument"))?;
            let page = s.opt_code("page")?;
            s.finish(&["document", "page"])?;
            Ok(Some(Source { document, page }))
        }
        Some(other) => Err(f.error(
            "source",
            format!(
                "ska vara ett objekt {{document, page}}, inte {}",
                other.kind()
            ),
        )),
    }
}

fn read_assumed(f: &Fields) -> R<Vec<String>> {
    let items = match f.raw("assumed") {
        None => return Ok(vec![]),
        Some(Raw::Array(items)) => items,
        Some(other) => {
            return Err(f.error(
                "assumed",
                format!(
                    "ska vara en lista av fältnamn som [\"decision.date\"], inte {}",
                    other.kind()
                ),
            ))
        }
    };
    if items.len() > ASSUMED_MAX {
        return Err(f.error(
            "assumed",
            format!("har {} fält; högst {ASSUMED_MAX}", items.len()),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Raw::Str(s) = item else {
            return Err(f.error(
                "assumed",
                format!("ska hålla fältnamn (text), inte {}", item.kind()),
            ));
        };
        let name = s.trim().to_string();
        if out.contains(&name) {
            return Err(f.error("assumed", format!("'{name}' står två gånger")));
        }
        out.push(name);
    }
    Ok(out)
}

/// The fields an event has, as `assumed` names them: its own keys, and `decision.body` and the
/// like for the fields of an object. `type` and the provenance itself are not facts to assume.
pub fn field_paths(body: &EventBody) -> Vec<String> {
    let mut map = Map::new();
    schema::write_body(body, &mut map);
    let mut out = Vec::new();
    for (key, value) in &map {
        if key == "type" {
            continue;
        }
        match value {
            Value::Object(inner) => out.extend(inner.keys().map(|k| format!("{key}.{k}"))),
            _ => out.push(key.clone()),
        }
    }
    out
}

fn check_assumed(assumed: &[String], body: &EventBody) -> R<()> {
    if assumed.is_empty() {
        return Ok(());
    }
    let present = field_paths(body);
    match assumed.iter().find(|a| !present.contains(a)) {
        None => Ok(()),
        Some(a) => Err(FieldError::new(
            "assumed",
            format!(
                "'{}' finns inte i händelsen ({} har: {})",
                a.escape_debug(),
                body.type_name(),
                present.join(", ")
            ),
        )),
    }
}

/// Writes the provenance after the event's other fields, leaving out what it does not give.
pub(crate) fn write(p: &Provenance, map: &mut Map<String, Value>) {
    if let Some(s) = &p.source {
        let mut src = Map::new();
        src.insert("document".into(), json!(s.document));
        if let Some(page) = &s.page {
            src.insert("page".into(), json!(page));
        }
        map.insert("source".into(), Value::Object(src));
    }
    if !p.assumed.is_empty() {
        map.insert("assumed".into(), json!(p.assumed));
    }
    if let Some(b) = &p.backfill {
        map.insert("backfill".into(), json!(b));
    }
}
