//! serde_json's error messages in Swedish. serde_json writes its own English sentence ("expected
//! value at line 1 column 1"); a user reads ours: what is wrong, then where. Its categories and
//! position are public, its wording is not, so the wording is matched here on the messages its
//! `ErrorCode` writes (serde_json 1.x), and anything unknown falls back to a sentence per category.

/// serde_json's message (without position) and ours.
const MESSAGES: &[(&str, &str)] = &[
    (
        "EOF while parsing a list",
        "texten tar slut inne i en lista",
    ),
    (
        "EOF while parsing an object",
        "texten tar slut inne i ett objekt",
    ),
    (
        "EOF while parsing a string",
        "texten tar slut inne i en sträng",
    ),
    (
        "EOF while parsing a value",
        "texten tar slut innan ett värde",
    ),
    ("expected `:`", "väntade ':'"),
    ("expected `,` or `]`", "väntade ',' eller ']'"),
    ("expected `,` or `}`", "väntade ',' eller '}'"),
    ("expected ident", "väntade true, false eller null"),
    ("expected value", "väntade ett värde"),
    ("expected `\"`", "väntade '\"'"),
    ("invalid escape", "ogiltig teckenkod efter '\\'"),
    ("invalid number", "ogiltigt tal"),
    ("number out of range", "talet är för stort"),
    ("invalid unicode code point", "ogiltig Unicode-kodpunkt"),
    (
        "control character (\\u0000-\\u001F) found while parsing a string",
        "en sträng innehåller ett styrtecken (\\u0000–\\u001F)",
    ),
    ("key must be a string", "nyckeln ska vara en sträng"),
    (
        "invalid value: expected key to be a number in quotes",
        "nyckeln ska vara ett tal inom citattecken",
    ),
    (
        "float key must be finite (got NaN or +/-inf)",
        "nyckeln ska vara ett ändligt tal",
    ),
    (
        "lone leading surrogate in hex escape",
        "ensamt surrogattecken i en \\u-kod",
    ),
    ("trailing comma", "kommatecken utan något efter"),
    ("trailing characters", "fler tecken efter värdet"),
    ("unexpected end of hex escape", "ofullständig \\u-kod"),
    (
        "recursion limit exceeded",
        "värdet är nästlat för djupt (högst 128 nivåer)",
    ),
];

/// Why `text` is not JSON, in Swedish, with the line and column when serde_json knows them:
/// `väntade ett värde (rad 1, kolumn 1)`.
pub fn describe(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let what = MESSAGES
        .iter()
        .find(|(english, _)| *english == message)
        .map(|(_, swedish)| (*swedish).to_string())
        .or_else(|| ours(message))
        .unwrap_or_else(|| category(e).to_string());
    if e.line() == 0 {
        what
    } else {
        format!("{what} (rad {}, kolumn {})", e.line(), e.column())
    }
}

/// A message our own readers raised through `serde::de::Error::custom` (already Swedish), or one
/// of serde's about a typed structure: a field unknown, missing or twice, a value of a wrong type.
fn ours(message: &str) -> Option<String> {
    if message.starts_with(DUPLICATE_KEY_START) {
        return Some(message.to_string());
    }
    let name = |rest: &str| rest.split('`').next().unwrap_or_default().to_string();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let known: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        return Some(if known.is_empty() {
            format!("fältet '{}' finns inte", name(rest))
        } else {
            format!(
                "fältet '{}' finns inte (kända fält: {})",
                name(rest),
                known.join(", ")
            )
        });
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return Some(format!("fältet '{}' saknas", name(rest)));
    }
    if let Some(rest) = message.strip_prefix("duplicate field `") {
        return Some(format!("fältet '{}' förekommer två gånger", name(rest)));
    }
    if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
        return Some("ett värde har fel typ".into());
    }
    None
}

/// How the duplicate-key message of `record` and `strict` starts.
pub(crate) const DUPLICATE_KEY_START: &str = "nyckeln '";

/// The duplicate-key message of `record` and `strict`.
pub(crate) fn duplicate_key(key: &str) -> String {
    format!(
        "{DUPLICATE_KEY_START}{}' förekommer två gånger i samma objekt",
        key.escape_debug()
    )
}

fn category(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => "kunde inte läsas",
        Category::Syntax => "fel i JSON-syntaxen",
        Category::Data => "värdet har fel form",
        Category::Eof => "texten tar slut för tidigt",
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    fn error(text: &str) -> String {
        describe(&serde_json::from_str::<serde_json::Value>(text).unwrap_err())
    }

    #[test]
    fn serde_json_errors_read_in_swedish_with_their_position() {
        let cases = [
            ("", "texten tar slut innan ett värde (rad 1, kolumn 0)"),
            ("x", "väntade ett värde (rad 1, kolumn 1)"),
            ("[1,]", "kommatecken utan något efter (rad 1, kolumn 4)"),
            ("{} x", "fler tecken efter värdet (rad 1, kolumn 4)"),
            ("{'a':1}", "nyckeln ska vara en sträng (rad 1, kolumn 2)"),
            ("1e400", "talet är för stort (rad 1, kolumn 5)"),
            ("\"\\x\"", "ogiltig teckenkod efter '\\' (rad 1, kolumn 3)"),
            ("[tru]", "väntade true, false eller null (rad 1, kolumn 5)"),
            ("{\"a\" 1}", "väntade ':' (rad 1, kolumn 6)"),
            (
                &"[".repeat(200),
                "värdet är nästlat för djupt (högst 128 nivåer) (rad 1, kolumn 128)",
            ),
        ];
        for (text, wanted) in cases {
            assert_eq!(error(text), wanted, "{text}");
        }
    }

    #[test]
    fn serde_messages_about_typed_structures_are_translated() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            name: String,
            rules: Vec<String>,
        }
        let error = |text: &str| describe(&serde_json::from_str::<T>(text).unwrap_err());
        assert_eq!(
            error(r#"{"x":1}"#),
            "fältet 'x' finns inte (kända fält: name, rules) (rad 1, kolumn 4)"
        );
        assert_eq!(
            error(r#"{"rules":[]}"#),
            "fältet 'name' saknas (rad 1, kolumn 12)"
        );
        assert_eq!(
            error(r#"{"name":1}"#),
            "ett värde har fel typ (rad 1, kolumn 9)"
        );
    }

    #[test]
    fn every_known_message_is_translated() {
        for (english, swedish) in super::MESSAGES {
            assert!(!swedish.is_empty() && swedish != english, "{english}");
        }
    }
}
