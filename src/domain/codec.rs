//! The bincode encoding of event payloads: one set of options, used for storage and for content ids.
//!
//! **Invariant:** these options never change for record format version 1 (varint integers, little
//! endian, trailing bytes rejected). The golden-bytes test in `store::record` pins them.

use super::event::{Event, EventBody, Provenance};
use bincode::Options;

/// Largest payload the decoder will allocate for; a corrupt length cannot make it allocate more.
pub const PAYLOAD_BYTES_MAX: u64 = 64 * 1024;

fn options() -> impl bincode::Options {
    bincode::DefaultOptions::new()
        .with_varint_encoding()
        .with_little_endian()
        .reject_trailing_bytes()
        .with_limit(PAYLOAD_BYTES_MAX)
}

/// The payload of an event: `(id, note, body)` alone when it has no provenance (record format 1,
/// unchanged since the first ledger), followed by its [`Provenance`] when it has one (format 2).
pub fn encode_event(event: &Event) -> Vec<u8> {
    // Serialising plain data with no maps cannot fail short of the size limit, which import
    // limits keep events far below.
    if event.provenance.is_empty() {
        options().serialize(event).expect("event encodes")
    } else {
        options()
            .serialize(&(event, &event.provenance))
            .expect("event encodes")
    }
}

/// The record format version an event's payload needs.
pub fn payload_version(event: &Event) -> u8 {
    if event.provenance.is_empty() {
        1
    } else {
        2
    }
}

/// Decodes a payload of record format `version` (1 or 2).
pub fn decode_event(version: u8, bytes: &[u8]) -> Result<Event, String> {
    if version == 1 {
        return options().deserialize(bytes).map_err(|e| describe(&e));
    }
    let (mut event, provenance): (Event, Provenance) =
        options().deserialize(bytes).map_err(|e| describe(&e))?;
    if provenance.is_empty() {
        // Format 2 exists for provenance; without it the event has one encoding, format 1.
        return Err("innehåll i format 2 utan källa eller antaganden".into());
    }
    event.provenance = provenance;
    Ok(event)
}

fn describe(e: &bincode::Error) -> String {
    use bincode::ErrorKind;
    match e.as_ref() {
        ErrorKind::Io(_) => "innehållet tar slut för tidigt".into(),
        ErrorKind::InvalidUtf8Encoding(_) => "en text är inte giltig UTF-8".into(),
        ErrorKind::InvalidBoolEncoding(b) => format!("byte {b} är inget sanningsvärde"),
        ErrorKind::InvalidCharEncoding => "ett tecken är ogiltigt".into(),
        ErrorKind::InvalidTagEncoding(tag) => format!("variant {tag} finns inte"),
        ErrorKind::SizeLimit => "innehållet är större än gränsen".into(),
        // Our own types' messages (`Date`, `Amount`) are Swedish already.
        ErrorKind::Custom(message) => message.clone(),
        _ => "innehållet har fel form".into(),
    }
}

/// The bytes a content id is derived from: body and note, without the id itself.
pub fn encode_content(body: &EventBody, note: Option<&str>) -> Vec<u8> {
    options()
        .serialize(&(body, note))
        .expect("event content encodes")
}
