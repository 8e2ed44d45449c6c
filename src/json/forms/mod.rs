//! The forms of the event types, as people fill them in: what each type records, each field's
//! label, help and example, and what the sign of an amount means. `rambok record TYPE` builds its
//! options and `--help` from them (`cli::record`), the page its forms (`GET /api/forms`, from
//! [`forms_json`]); both turn what was typed into the JSON object an import line would be with
//! [`event_json`], so the CLI, the page and an import read one event through one parser.
//!
//! The schema (`schema.rs`) says which fields each type has and how each is read; here lives only
//! what it cannot say: the words around them (`words.rs`: what each type records, each field's help
//! with an example, its label, and what an amount's sign does).

mod words;

pub use words::{ABOUT, FIELDS, LABELS, SIGNS};

use super::schema::{Form, FormField, Input, COMMON_FORM, DECISION_FORM, FORMS};
use super::FieldError;
use crate::domain::amount::{Amount, AmountError, Unit};
use serde_json::{json, Map, Value};

/// Where a form's fields are shown: the event's own, its decision's, those every event has.
pub const FIELDS_HEADING: &str = "Fält";
pub const DECISION_HEADING: &str = "Beslut (vem som beslutade, när och var det är protokollfört)";
pub const COMMON_HEADING: &str = "Alla händelser";

/// One field of a form: of the event, of its decision, or common to all.
#[derive(Clone, Copy, Debug)]
pub struct FormOption {
    /// `Some("decision")` for a decision's field.
    pub parent: Option<&'static str>,
    pub field: FormField,
    pub heading: &'static str,
}

impl FormOption {
    /// The field's JSON path, `office`, `decision.body`: the CLI's option id, the page's input name,
    /// and what an error names.
    pub fn id(&self) -> String {
        match self.parent {
            Some(p) => format!("{p}.{}", self.field.key),
            None => self.field.key.to_string(),
        }
    }

    /// The CLI option's name without dashes: the field's key, `_` written `-`.
    pub fn long(&self) -> String {
        self.field.key.replace('_', "-")
    }
}

/// The form of an event type.
pub fn form(type_name: &str) -> Option<&'static Form> {
    FORMS.iter().find(|f| f.name == type_name)
}

/// The fields of a type's form, in the order they are shown: its own fields (with `unit` after the
/// first amount when the type has amounts but does not declare it), the decision's, then `id` and
/// `note`.
pub fn form_options(form: &Form) -> Vec<FormOption> {
    let own = |field: FormField| FormOption {
        parent: None,
        field,
        heading: FIELDS_HEADING,
    };
    let mut options = Vec::new();
    let mut decision = Vec::new();
    let declares_unit = form.fields.iter().any(|f| f.input == Input::Unit);
    let mut unit_pending = form.amounts && !declares_unit;
    for &field in form.fields {
        match field.input {
            Input::Decision => decision.extend(DECISION_FORM.iter().map(|&d| FormOption {
                parent: Some("decision"),
                field: FormField {
                    required: d.required && field.required,
                    ..d
                },
                heading: DECISION_HEADING,
            })),
            input => {
                options.push(own(field));
                if input == Input::Amount && unit_pending {
                    unit_pending = false;
                    options.push(own(FormField {
                        key: "unit",
                        input: Input::Unit,
                        required: false,
                    }));
                }
            }
        }
    }
    options.extend(decision);
    options.extend(COMMON_FORM.iter().map(|&field| FormOption {
        parent: None,
        field,
        heading: COMMON_HEADING,
    }));
    options
}

/// The value name and help of a field of `type_name` (`decision` for a decision's field).
pub fn field_help(type_name: &str, key: &str) -> Option<(&'static str, &'static str)> {
    let find = |t: &str| {
        FIELDS
            .iter()
            .find(|(ty, k, _, _)| *ty == t && *k == key)
            .map(|&(_, _, value, help)| (value, help))
    };
    find(type_name).or_else(|| (type_name != "decision").then(|| find("*")).flatten())
}

/// The label of a field of `type_name` (`decision` for a decision's field).
pub fn field_label(type_name: &str, key: &str) -> Option<&'static str> {
    let find = |t: &str| {
        LABELS
            .iter()
            .find(|(ty, k, _)| *ty == t && *k == key)
            .map(|&(_, _, label)| label)
    };
    find(type_name).or_else(|| (type_name != "decision").then(|| find("*")).flatten())
}

/// What the sign of a field's figure does, positive and negative.
pub fn sign_words(type_name: &str, key: &str) -> Option<(&'static str, &'static str)> {
    SIGNS
        .iter()
        .find(|(t, k, _, _)| *t == type_name && *k == key)
        .map(|&(_, _, p, n)| (p, n))
}

/// The first line of a type's help.
pub fn about(type_name: &str) -> &'static str {
    ABOUT
        .iter()
        .find(|(t, _)| *t == type_name)
        .map_or("", |(_, a)| a)
}

/// Builds the JSON object an import line would hold from what was typed into a form, by field
/// path (`amount`, `decision.date`). Amounts may be Swedish figures (`"−1 325,8"`); they are
/// written as the plain decimal strings the import reads, in the unit given. A decision is sent
/// only when given in part or whole, so a missing one is named as such by the parser. A figure
/// that is not one is named here, with its field; everything else is left to the parser.
pub fn event_json<'a>(
    type_name: &str,
    value: impl Fn(&str) -> Option<&'a str>,
) -> Result<Value, FieldError> {
    let form = form(type_name)
        .ok_or_else(|| FieldError::new("type", format!("'{type_name}' är ingen händelsetyp")))?;
    // A unit that is not one is left to the parser, which names it before any amount.
    let unit = value("unit").map_or(Some(Unit::Kr), |u| Unit::parse(&u.trim().to_lowercase()));
    let mut m = Map::new();
    let mut decision = Map::new();
    m.insert("type".into(), Value::from(form.name));
    for o in form_options(form) {
        let Some(given) = value(&o.id()) else {
            continue;
        };
        let text = match o.field.input {
            Input::Amount => {
                if let Some(unit) = unit {
                    Amount::parse_swedish(given, unit).map_err(|e| {
                        let message = match e {
                            AmountError::NotANumber(_) => format!(
                                "'{given}' är inte ett belopp (skriv till exempel 477 569, 1 325,8 eller −1 000)"
                            ),
                            other => other.to_string(),
                        };
                        FieldError::new(o.id(), message)
                    })?;
                }
                Amount::plain_figure(given)
            }
            Input::Number => Amount::plain_figure(given),
            Input::Json => {
                let value = serde_json::from_str::<Value>(given).map_err(|e| {
                    FieldError::new(
                        o.id(),
                        format!("inte giltig JSON: {}", super::describe_json_error(&e)),
                    )
                })?;
                insert(&mut m, &mut decision, &o, value);
                continue;
            }
            _ => given.to_string(),
        };
        insert(&mut m, &mut decision, &o, Value::String(text));
    }
    if !decision.is_empty() {
        m.insert("decision".into(), Value::Object(decision));
    }
    Ok(Value::Object(m))
}

/// Puts a field's value in the event's object or in its decision's.
fn insert(
    m: &mut Map<String, Value>,
    decision: &mut Map<String, Value>,
    o: &FormOption,
    value: Value,
) {
    let target = if o.parent.is_some() { decision } else { m };
    target.insert(o.field.key.into(), value);
}

fn input_name(input: Input) -> &'static str {
    match input {
        Input::Text | Input::Decision => "text",
        Input::Amount => "amount",
        Input::Unit => "unit",
        Input::Number => "number",
        Input::Json => "json",
    }
}

/// A help text as the page shows it: a CLI flag (`--to`) named by its field's label.
fn page_help(form: &Form, options: &[FormOption], help: &str) -> String {
    let mut out = help.to_string();
    let mut longest_first: Vec<&FormOption> = options.iter().collect();
    longest_first.sort_by_key(|o| std::cmp::Reverse(o.long().len()));
    for o in longest_first {
        let flag = format!("--{}", o.long());
        if out.contains(&flag) {
            let owner = o.parent.unwrap_or(form.name);
            let label = field_label(owner, o.field.key).unwrap_or(o.field.key);
            out = out.replace(&flag, &format!("”{label}”"));
        }
    }
    out
}

/// Every form as the page builds it (`GET /api/forms`): per type its fields in order, each with
/// its path, label, help, whether it is required, how it is typed and what its sign means.
pub fn forms_json() -> Value {
    let forms: Vec<Value> = FORMS
        .iter()
        .map(|form| {
            let options = form_options(form);
            let fields: Vec<Value> = options
                .iter()
                .map(|o| {
                    let owner = o.parent.unwrap_or(form.name);
                    let (value_name, help) = field_help(owner, o.field.key).unwrap_or(("", ""));
                    let mut f = json!({
                        "path": o.id(),
                        "label": field_label(owner, o.field.key).unwrap_or(o.field.key),
                        "help": page_help(form, &options, help),
                        "value_name": value_name,
                        "input": input_name(o.field.input),
                        "required": o.field.required,
                        "group": o.heading,
                    });
                    if let Some((positive, negative)) = sign_words(form.name, o.field.key) {
                        f["sign"] = json!({"positive": positive, "negative": negative});
                    }
                    f
                })
                .collect();
            json!({
                "type": form.name,
                "about": page_help(form, &options, about(form.name)),
                "amounts": form.amounts,
                "fields": fields,
            })
        })
        .collect();
    json!({ "forms": forms, "units": ["kr", "tkr", "mnkr"] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::TYPE_NAMES;

    #[test]
    fn every_type_has_an_about_line_and_every_field_help_and_a_label() {
        let names: Vec<&str> = ABOUT.iter().map(|a| a.0).collect();
        assert_eq!(names, TYPE_NAMES);
        let mut used = std::collections::BTreeSet::new();
        for form in FORMS {
            for o in form_options(form) {
                let owner = o.parent.unwrap_or(form.name);
                let (value, help) = field_help(owner, o.field.key)
                    .unwrap_or_else(|| panic!("{}: no help for {}", form.name, o.id()));
                assert!(
                    !help.trim().is_empty() && !value.is_empty(),
                    "{} {}",
                    form.name,
                    o.id()
                );
                assert!(
                    field_label(owner, o.field.key).is_some(),
                    "{}: no label for {}",
                    form.name,
                    o.id()
                );
                let entry = if FIELDS
                    .iter()
                    .any(|(t, k, _, _)| *t == owner && *k == o.field.key)
                {
                    owner
                } else {
                    "*"
                };
                used.insert((entry, o.field.key));
            }
        }
        for (t, k, _, _) in FIELDS {
            assert!(
                used.contains(&(*t, *k)),
                "help for ({t}, {k}) is used by no form"
            );
        }
        for (t, k, _, _) in SIGNS {
            let form = form(t).unwrap_or_else(|| panic!("{t}"));
            assert!(
                form_options(form)
                    .iter()
                    .any(|o| o.field.key == *k && o.field.input == Input::Amount),
                "{t} {k}"
            );
        }
    }

    #[test]
    fn the_page_names_a_field_where_the_cli_names_its_flag() {
        let forms = forms_json();
        for (form, json) in FORMS.iter().zip(forms["forms"].as_array().unwrap()) {
            let text = json.to_string();
            for o in form_options(form) {
                let flag = format!("--{}", o.long());
                assert!(
                    !text.contains(&flag),
                    "{}: {flag} left in the page's help",
                    form.name
                );
            }
        }
        let transfer = &forms["forms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["type"] == "transfer")
            .unwrap();
        assert_eq!(
            transfer["about"],
            "Flyttar budgetram mellan två förvaltningar (ramväxling): läggs till ”Till förvaltning”:s ram och dras från ”Från förvaltning”:s"
        );
    }

    #[test]
    fn a_swedish_figure_becomes_the_plain_decimal_and_a_bad_one_names_its_field() {
        let values = [
            ("office", "KLK"),
            ("amount", "\u{2212}1 000"),
            ("unit", "tkr"),
            ("decision.body", "KF"),
        ];
        let get = |k: &str| values.iter().find(|(p, _)| *p == k).map(|(_, v)| *v);
        let v = event_json("frame_changed", get).unwrap();
        assert_eq!(v["amount"], "-1000");
        assert_eq!(v["decision"]["body"], "KF");
        let bad = [("amount", "12,5,0")];
        let e = event_json("frame_changed", |k| {
            bad.iter().find(|(p, _)| *p == k).map(|(_, v)| *v)
        })
        .unwrap_err();
        assert_eq!(e.field, "amount");
        assert!(e.message.contains("'12,5,0'"), "{}", e.message);
    }
}
