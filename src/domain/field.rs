//! The error the core gives about one field: a validation rule (`super::validate`) or the reading
//! of an event's JSON (`crate::json`). Its message is Swedish and names the field as typed.

/// A problem with one field of one event; the caller adds file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `decision.date`; empty for the whole object.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `fältet decision.date: …`, or the message alone for the whole object.
impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "fältet {}: {}", self.field, self.message)
        }
    }
}
