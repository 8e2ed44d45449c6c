//! Reading one JSON object without building a `serde_json::Value`: its keys in order, each with a
//! [`Raw`] value that keeps what the field readers need (strings borrowed from the line where they
//! hold no escapes, numbers to quote them, the kind of anything else). Nested objects become
//! nested records; arrays are read through and dropped.
//!
//! A key that appears twice in one object, at any depth, is an error: serde_json would keep the
//! last value silently, so `{"amount":"1","amount":"1000000"}` would import a million. Nesting is
//! limited by serde_json's recursion limit, and a record is never larger than the line it came
//! from, so memory per event is bounded by the import's line limit.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// One JSON value, as much of it as an event field can use.
#[derive(Debug)]
pub(crate) enum Raw<'de> {
    Null,
    Bool,
    /// Kept to read years and to quote a number given where a string belongs.
    Number(Number),
    Str(Cow<'de, str>),
    /// Its elements were read (for syntax, depth and duplicate keys) and dropped.
    Array,
    Object(Record<'de>),
}

impl Raw<'_> {
    /// The kind of value, for messages: "ska vara en sträng, inte ett tal".
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Bool => "ett sanningsvärde",
            Raw::Number(_) => "ett tal",
            Raw::Str(_) => "en sträng",
            Raw::Array => "en lista",
            Raw::Object(_) => "ett objekt",
        }
    }
}

/// The keys of one JSON object, in the order written, with their values.
#[derive(Debug, Default)]
pub(crate) struct Record<'de> {
    entries: Vec<(Cow<'de, str>, Raw<'de>)>,
}

impl<'de> Record<'de> {
    /// The value of `key`; `null` counts as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&Raw<'de>> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, Raw::Null))
    }

    /// Every key, `null` ones included, in the order written.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }
}

/// Parses `text` as one JSON value, refusing duplicate keys at any depth and trailing characters.
pub(crate) fn from_str(text: &str) -> Result<Raw<'_>, serde_json::Error> {
    serde_json::from_str(text)
}

/// Reads a value already parsed; nothing in it can be refused, as it cannot hold a key twice.
pub(crate) fn from_value(value: &serde_json::Value) -> Result<Raw<'_>, serde_json::Error> {
    Raw::deserialize(value)
}

/// Objects with up to this many keys are searched for a duplicate key one by one; larger ones get
/// a hash set, so four thousand keys on a line cost no more than they must.
const KEYS_SCANNED_MAX: usize = 16;

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Raw<'de>, E> {
        Ok(Raw::Bool)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw<'de>, E> {
        Ok(Raw::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw<'de>, E> {
        Ok(Raw::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw<'de>, E> {
        // JSON has no NaN or infinity; serde_json's own Value turns them into null as well.
        Ok(Number::from_f64(v).map_or(Raw::Null, Raw::Number))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw<'de>, E> {
        Ok(Raw::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Raw<'de>, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw<'de>, E> {
        Ok(Raw::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw<'de>, A::Error> {
        while seq.next_element::<Raw>()?.is_some() {}
        Ok(Raw::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw<'de>, A::Error> {
        let mut entries: Vec<(Cow<'de, str>, Raw<'de>)> = Vec::new();
        let mut index: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(Key(key)) = map.next_key()? {
            let twice = match &mut index {
                Some(seen) => !seen.insert(key.clone()),
                None => entries.iter().any(|(k, _)| *k == key),
            };
            if twice {
                return Err(de::Error::custom(super::describe::duplicate_key(&key)));
            }
            let value = map.next_value::<Raw>()?;
            entries.push((key, value));
            if index.is_none() && entries.len() == KEYS_SCANNED_MAX {
                index = Some(entries.iter().map(|(k, _)| k.clone()).collect());
            }
        }
        Ok(Raw::Object(Record { entries }))
    }
}

impl<'de> Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

/// An object key, borrowed from the input when it holds no escapes (serde's own `Cow` always
/// copies).
struct Key<'de>(Cow<'de, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::{from_str, Raw};

    fn error(text: &str) -> String {
        crate::json::describe_json_error(&from_str(text).unwrap_err())
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(error(r#"{"a":1,"a":2}"#).contains("'a' förekommer två gånger"));
        assert!(error(r#"{"d":{"date":"x","date":"y"}}"#).contains("'date' förekommer två gånger"));
        assert!(error(r#"{"n":[{"a":1,"a":2}]}"#).contains("'a' förekommer två gånger"));
        assert!(error(r#"[{"a":1},{"a":1,"a":2}]"#).contains("'a' förekommer två gånger"));
        assert!(from_str(r#"[{"a":1},{"a":2}]"#).is_ok());
        // The same key once escaped and once not is the same key.
        assert!(error(r#"{"year":1,"ye\u0061r":2}"#).contains("'year' förekommer två gånger"));
    }

    #[test]
    fn duplicate_keys_are_found_in_large_objects() {
        let keys: Vec<String> = (0..100).map(|i| format!("\"k{i}\":{i}")).collect();
        let unique = format!("{{{}}}", keys.join(","));
        assert!(from_str(&unique).is_ok());
        let twice = format!("{{{},\"k3\":0}}", keys.join(","));
        assert!(error(&twice).contains("'k3' förekommer två gånger"));
    }

    #[test]
    fn strings_without_escapes_are_borrowed_and_null_is_absent() {
        let Ok(Raw::Object(record)) = from_str(r#"{"a":"x","b":"\u00e5","c":null,"d":[1,{}]}"#)
        else {
            panic!("an object");
        };
        assert!(matches!(
            record.get("a"),
            Some(Raw::Str(std::borrow::Cow::Borrowed("x")))
        ));
        assert!(matches!(record.get("b"), Some(Raw::Str(s)) if s == "å"));
        assert!(record.get("c").is_none());
        assert!(matches!(record.get("d"), Some(Raw::Array)));
        assert_eq!(record.keys().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    }

    #[test]
    fn nesting_is_limited() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(error(&deep).contains("nästlat för djupt"));
    }
}
