//! What text the ledger accepts, per kind of field, and how people's names are compared.
//!
//! - A **label** (an office's or area's name, a title, a category, a project): one line, no
//!   control characters, no bidirectional controls, no invisible characters. A label has no use
//!   for them, and each can make a table read differently from what was recorded.
//! - **Free text** (a reason, a note, a goal's text, a comment): newlines and tabs are allowed,
//!   other control characters and bidirectional overrides, embeddings and isolates are not (they
//!   display text reversed: "Flytt <U+202E>0001- rkt" reads "Flytt tkr −1000"). Whatever is accepted is
//!   still shown escaped in terminal tables.
//! - A **person's name** (a recorder, a token's holder, an approver, the one responsible): stored
//!   in Unicode NFC, one line, no invisible or bidirectional characters, and letters of one script
//!   only, so `karіn.lind` with a Cyrillic і cannot stand beside `karin.lind`. People are compared
//!   by [`person_key`], which also catches look-alikes already in an older ledger.

use unicode_normalization::UnicodeNormalization;
use unicode_script::{Script, UnicodeScript};

/// A character that changes how the text around it is shown without being seen itself: a
/// control character, a bidirectional mark, embedding, override or isolate, a zero-width or
/// other invisible character, a line or paragraph separator.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2060}'..='\u{2064}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// Left-to-right and right-to-left marks, embeddings, overrides and isolates.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why a text was refused; the caller names the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextError(pub String);

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn named(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// A label: one line, nothing hidden.
pub fn check_label(s: &str) -> Result<(), TextError> {
    match s.chars().find(|&c| is_hidden(c)) {
        None => Ok(()),
        Some(c) if c == '\n' || c == '\r' => Err(TextError(
            "är en etikett och ska vara en enda rad (den har en radbrytning)".into(),
        )),
        Some(c) => Err(TextError(format!(
            "innehåller styrtecknet eller det osynliga tecknet {}, som en etikett inte har någon användning för",
            named(c)
        ))),
    }
}

/// Free text: lines and tabs, no other control characters, no bidirectional controls.
pub fn check_free_text(s: &str) -> Result<(), TextError> {
    if let Some(c) = s
        .chars()
        .find(|&c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c))
    {
        return Err(TextError(if is_bidi_control(c) {
            format!(
                "innehåller riktningstecknet {}, som skulle visa texten runt det baklänges",
                named(c)
            )
        } else {
            format!("innehåller styrtecknet {}", named(c))
        }));
    }
    Ok(())
}

/// The scripts whose letters may stand in one name; `None` for characters every script shares
/// (digits, spaces, punctuation, combining marks).
fn letter_script(c: char) -> Option<Script> {
    match c.script() {
        Script::Common | Script::Inherited | Script::Unknown => None,
        s => Some(s),
    }
}

/// A script's name in Swedish, as an adjective after "är": `latinsk`, `kyrillisk`.
fn script_name(s: Script) -> String {
    let name = match s {
        Script::Latin => "latinsk",
        Script::Cyrillic => "kyrillisk",
        Script::Greek => "grekisk",
        Script::Armenian => "armenisk",
        Script::Georgian => "georgisk",
        Script::Arabic => "arabisk",
        Script::Hebrew => "hebreisk",
        Script::Han => "kinesisk (han)",
        Script::Hiragana | Script::Katakana => "japansk (kana)",
        Script::Hangul => "koreansk (hangul)",
        Script::Thai => "thailändsk",
        Script::Devanagari => "indisk (devanagari)",
        other => return format!("skriften {}", other.full_name()),
    };
    name.to_string()
}

/// A person's name as stored: trimmed, in NFC, checked. The error says what is wrong with it.
pub fn person_name(raw: &str) -> Result<String, TextError> {
    let name: String = raw.trim().nfc().collect();
    if name.is_empty() {
        return Err(TextError("är tomt".into()));
    }
    if let Some(c) = name.chars().find(|&c| is_hidden(c)) {
        return Err(TextError(format!(
            "innehåller styrtecknet eller det osynliga tecknet {}; ett personnamn ska visa alla sina tecken",
            named(c)
        )));
    }
    let mut first: Option<(Script, char)> = None;
    for c in name.chars() {
        if let Some(s) = letter_script(c) {
            match first {
                None => first = Some((s, c)),
                Some((f, fc)) if f != s => {
                    return Err(TextError(format!(
                        "blandar bokstäver från två skriftsystem ('{fc}' är {}, '{c}' {} är {}); ett namn i ett enda skriftsystem kan inte förväxlas med ett annat",
                        script_name(f),
                        named(c),
                        script_name(s)
                    )))
                }
                Some(_) => {}
            }
        }
    }
    Ok(name)
}

/// The form two people's names are compared in: NFC, without hidden characters, case folded,
/// runs of spaces as one. `karin.lind` and `Karin.Lind` plus a zero-width space are one person.
pub fn person_key(name: &str) -> String {
    let folded: String = name
        .nfkc()
        .filter(|&c| !is_hidden(c))
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_nfc_and_refuse_what_hides_or_looks_alike() {
        // "é" written as e + combining acute is stored composed.
        assert_eq!(person_name(" Rene\u{301} ").unwrap(), "Ren\u{e9}");
        assert!(person_name("karin.lind\u{200B}").is_err());
        assert!(person_name("karin\u{202E}dnil").is_err());
        assert!(
            person_name("kar\u{0456}n.lind").is_err(),
            "Cyrillic і among Latin"
        );
        assert!(person_name("Дмитрий Петров").is_ok(), "one script is fine");
        assert!(person_name("Åsa Öberg-Lind 2").is_ok());
        assert!(person_name("   ").is_err());
        assert!(person_name("a\nb").is_err());
    }

    #[test]
    fn people_compare_by_key() {
        assert_eq!(person_key("karin.lind"), person_key("Karin.Lind\u{200B}"));
        assert_eq!(person_key("Ren\u{e9}"), person_key("Rene\u{301}"));
        assert_ne!(person_key("karin.lind"), person_key("karin.lindh"));
    }

    #[test]
    fn labels_and_free_text() {
        assert!(check_label("Kommunledningskontoret").is_ok());
        assert!(check_label("a\nGodkänd av KF").is_err());
        assert!(check_label("x\u{200B}").is_err());
        assert!(check_free_text("rad ett\nrad två\tflik").is_ok());
        assert!(check_free_text("Flytt \u{202E}0001- rkt\u{202C} ok").is_err());
        assert!(check_free_text("a\u{7}").is_err());
    }
}
