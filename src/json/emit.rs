//! Writing an event in the import format, so `log --format json` output can be imported again.
//! The fields of each type are declared in `schema`; here are the fields every event has.

use super::codec::{Codec, Id, Text};
use super::schema;
use crate::domain::event::Event;
use serde_json::{Map, Value};

/// Writes an event in the import format: amounts as exact kronor strings, `unit` omitted (except
/// for a reported figure, which keeps the unit it was printed in).
pub fn event_to_json(event: &Event) -> Value {
    let mut map = Map::new();
    if let Some(id) = Id::write(&event.id, ()) {
        map.insert("id".into(), id);
    }
    schema::write_body(&event.body, &mut map);
    if let Some(note) = <Option<Text>>::write(&event.note, ()) {
        map.insert("note".into(), note);
    }
    super::provenance::write(&event.provenance, &mut map);
    Value::Object(map)
}
