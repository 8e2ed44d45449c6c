//! The bincode encoding of event payloads: one set of options, used for storage and for content ids.
//!
//! **Invariant:** these options never change for record format version 1 (varint integers, little
//! endian, trailing bytes rejected). The golden-bytes test in `store::record` pins them.

use super::event::{Event, EventBody};
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

pub fn encode_event(event: &Event) -> Vec<u8> {
    // Serialising plain data with no maps or unsized sequences cannot fail short of the size limit,
    // which import limits keep events far below.
    options().serialize(event).expect("event encodes")
}

/// Decodes a payload; the error says in Swedish why it does not decode.
pub fn decode_event(bytes: &[u8]) -> Result<Event, String> {
    options().deserialize(bytes).map_err(|e| describe(&e))
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
