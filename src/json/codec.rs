//! How each kind of field is read from JSON into the stored form and written back: text, codes,
//! identifiers, years, dates, amounts, the Swedish names of statuses, area kinds and goal levels,
//! and the named choices. Objects, lists and the fields whose JSON form depends on another field
//! are in `compound`; `schema` says which field uses which.

use super::fields::Fields;
use super::record::Raw;
use super::schema::Input;
use super::R;
use crate::domain::amount::{Amount, Unit};
use crate::domain::event::{
    AreaKind, Counted, Date, GoalLevel, ReportedColumn, ReportedTable, Status,
};
use crate::domain::measure::{Direction, Measure};
use serde_json::{json, Value};
use std::marker::PhantomData;
use uuid::Uuid;

/// One kind of field: how it is read and how it is written.
pub(crate) trait Codec {
    /// The stored form.
    type Value;
    /// Other fields of the stored event that writing this one needs (an outcome's period is
    /// written with its year). Reading finds them in the JSON object itself.
    type Args: Copy;
    /// Whether the field is an amount written in the event's `unit`.
    const AMOUNT: bool = false;
    /// Whether an event without the field is refused.
    const REQUIRED: bool = true;
    /// How a form (`rambok record TYPE`) takes the field.
    const INPUT: Input = Input::Text;

    /// The field's value, `None` when it is absent or `null`.
    fn read(f: &Fields, key: &'static str) -> R<Option<Self::Value>>;
    /// The field as JSON, `None` to leave it out.
    fn write(value: &Self::Value, args: Self::Args) -> Option<Value>;
}

/// Reads a field with codec `C`: absent or `null` is an error unless `C` is an `Option`.
pub(crate) fn read_field<C: Codec>(f: &Fields, key: &'static str) -> R<C::Value> {
    C::read(f, key)?.ok_or_else(|| f.error(key, "saknas"))
}

/// An optional field: absent, `null` and left out when written.
impl<C: Codec> Codec for Option<C> {
    type Value = Option<C::Value>;
    type Args = C::Args;
    const AMOUNT: bool = C::AMOUNT;
    const REQUIRED: bool = false;
    const INPUT: Input = C::INPUT;

    fn read(f: &Fields, key: &'static str) -> R<Option<Self::Value>> {
        C::read(f, key).map(Some)
    }
    fn write(value: &Self::Value, args: C::Args) -> Option<Value> {
        value.as_ref().and_then(|v| C::write(v, args))
    }
}

/// Free text: names, reasons, notes. Trimmed, at most 2 000 characters.
pub(crate) struct Text;

impl Codec for Text {
    type Value = String;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<String>> {
        f.opt_text(key)
    }
    fn write(value: &String, (): ()) -> Option<Value> {
        Some(json!(value))
    }
}

/// A label: a name, title, category or project. One line, nothing hidden.
pub(crate) struct Label;

impl Codec for Label {
    type Value = String;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<String>> {
        f.opt_label(key)
    }
    fn write(value: &String, (): ()) -> Option<Value> {
        Some(json!(value))
    }
}

/// A person's name, stored in NFC; no hidden characters, one script.
pub(crate) struct Person;

impl Codec for Person {
    type Value = String;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<String>> {
        f.opt_person(key)
    }
    fn write(value: &String, (): ()) -> Option<Value> {
        Some(json!(value))
    }
}

/// A code that is not an identifier: a decision body, case or paragraph. At most 64 characters.
pub(crate) struct Code;

impl Codec for Code {
    type Value = String;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<String>> {
        f.opt_code(key)
    }
    fn write(value: &String, (): ()) -> Option<Value> {
        Some(json!(value))
    }
}

/// The code of an office, area, goal, activity or assignment.
pub(crate) struct Ident;

impl Codec for Ident {
    type Value = String;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<String>> {
        f.opt_ident(key)
    }
    fn write(value: &String, (): ()) -> Option<Value> {
        Some(json!(value))
    }
}

/// A budget year: read from a number or a string, written as a number.
pub(crate) struct Year;

impl Codec for Year {
    type Value = i32;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<i32>> {
        f.opt_year(key)
    }
    fn write(value: &i32, (): ()) -> Option<Value> {
        Some(json!(value))
    }
}

/// A date, `YYYY-MM-DD`.
pub(crate) struct Day;

impl Codec for Day {
    type Value = Date;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<Date>> {
        f.opt_date(key)
    }
    fn write(value: &Date, (): ()) -> Option<Value> {
        Some(json!(value.to_string()))
    }
}

/// An amount: read from a decimal string in the event's unit, written as exact kronor.
pub(crate) struct Money;

impl Codec for Money {
    type Value = Amount;
    type Args = ();
    const AMOUNT: bool = true;
    const INPUT: Input = Input::Amount;
    fn read(f: &Fields, key: &'static str) -> R<Option<Amount>> {
        f.opt_amount(key)
    }
    fn write(value: &Amount, (): ()) -> Option<Value> {
        Some(json!(value.to_kr_string()))
    }
}

/// An indicator's value: an exact decimal from a decimal string, never a JSON number (which can
/// lose precision), written back normalised (`"3.5"`).
pub(crate) struct Number;

impl Codec for Number {
    type Value = Measure;
    type Args = ();
    const INPUT: Input = Input::Number;
    fn read(f: &Fields, key: &'static str) -> R<Option<Measure>> {
        match f.raw(key) {
            None => Ok(None),
            Some(Raw::Str(s)) => Measure::parse(s)
                .map(Some)
                .map_err(|e| f.error(key, e.to_string())),
            Some(Raw::Number(n)) => Err(f.error(
                key,
                format!("ska vara ett decimaltal som sträng, till exempel \"{n}\", inte ett JSON-tal (ett tal kan tappa precision)"),
            )),
            Some(other) => Err(f.error(
                key,
                format!("ska vara ett decimaltal som sträng, inte {}", other.kind()),
            )),
        }
    }
    fn write(value: &Measure, (): ()) -> Option<Value> {
        Some(json!(value.plain()))
    }
}

/// A UUID: an event's id, or the event a correction or approval refers to.
pub(crate) struct Id;

impl Codec for Id {
    type Value = Uuid;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<Uuid>> {
        let Some(s) = f.opt_code(key)? else {
            return Ok(None);
        };
        Uuid::parse_str(&s)
            .map(Some)
            .map_err(|_| f.error(key, format!("'{s}' är inte ett UUID")))
    }
    fn write(value: &Uuid, (): ()) -> Option<Value> {
        Some(json!(value.to_string()))
    }
}

/// A savings requirement's percentage: a decimal string above 0 and at most 100, kept as written.
pub(crate) struct Rate;

impl Codec for Rate {
    type Value = String;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<String>> {
        let Some(rate) = f.opt_code(key)? else {
            return Ok(None);
        };
        match Amount::parse(&rate, Unit::Kr) {
            Ok(a) if a.is_positive() && a.ore() <= 100 * 100 => Ok(Some(rate)),
            _ => Err(f.error(
                key,
                format!("'{rate}' är inte en procentsats mellan 0 och 100"),
            )),
        }
    }
    fn write(value: &String, (): ()) -> Option<Value> {
        Some(json!(value))
    }
}

/// A status by its Swedish name, in any case, including the sources' other spellings.
pub(crate) struct StatusName;

impl Codec for StatusName {
    type Value = Status;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<Status>> {
        let Some(given) = f.opt_text(key)? else {
            return Ok(None);
        };
        Status::parse(&given).map(Some).ok_or_else(|| {
            f.error(
                key,
                format!(
                    "'{given}' är inte en status (aktiviteter och uppdrag: ej påbörjad, påbörjad, genomförd; mål: uppfyllt, delvis uppfyllt, ej uppfyllt)"
                ),
            )
        })
    }
    fn write(value: &Status, (): ()) -> Option<Value> {
        Some(json!(value.name()))
    }
}

/// A value chosen by its Swedish name, in any case, from a fixed list.
pub(crate) trait SwedishName: Copy + PartialEq + 'static {
    /// Every value with its name.
    const NAMES: &'static [(Self, &'static str)];
    /// What kind of thing it is, for messages: "an area kind".
    const WHAT: &'static str;
}

impl SwedishName for AreaKind {
    const NAMES: &'static [(AreaKind, &'static str)] = &[
        (AreaKind::Area, "verksamhetsområde"),
        (AreaKind::Unit, "enhet"),
    ];
    const WHAT: &'static str = "en områdestyp";
}

impl SwedishName for GoalLevel {
    const NAMES: &'static [(GoalLevel, &'static str)] = &[
        (GoalLevel::Council, "fullmäktigemål"),
        (GoalLevel::Committee, "nämndsmål"),
    ];
    const WHAT: &'static str = "en målnivå";
}

/// An area kind or goal level: text, matched in lower case.
pub(crate) struct Swedish<T>(PhantomData<T>);

impl<T: SwedishName> Codec for Swedish<T> {
    type Value = T;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<T>> {
        let Some(given) = f.opt_text(key)? else {
            return Ok(None);
        };
        let given = given.to_lowercase();
        match T::NAMES.iter().find(|(_, name)| *name == given) {
            Some((value, _)) => Ok(Some(*value)),
            None => {
                let names: Vec<&str> = T::NAMES.iter().map(|(_, n)| *n).collect();
                Err(f.error(
                    key,
                    format!(
                        "'{given}' är inte {} (använd {})",
                        T::WHAT,
                        names.join(" eller ")
                    ),
                ))
            }
        }
    }
    fn write(value: &T, (): ()) -> Option<Value> {
        T::NAMES
            .iter()
            .find(|(v, _)| v == value)
            .map(|(_, name)| json!(name))
    }
}

/// A value chosen by its English code, in any case, from a fixed list.
pub(crate) trait CodeName: Copy + PartialEq + 'static {
    const CODES: &'static [(Self, &'static str)];
}

impl CodeName for ReportedTable {
    const CODES: &'static [(ReportedTable, &'static str)] = &ReportedTable::ALL;
}

impl CodeName for ReportedColumn {
    const CODES: &'static [(ReportedColumn, &'static str)] = &ReportedColumn::ALL;
}

impl CodeName for Counted {
    const CODES: &'static [(Counted, &'static str)] = &Counted::ALL;
}

impl CodeName for Direction {
    const CODES: &'static [(Direction, &'static str)] = &Direction::ALL;
}

/// A reported figure's table or column, an indicator's direction: a code, matched in lower case.
pub(crate) struct OneOf<T>(PhantomData<T>);

impl<T: CodeName> Codec for OneOf<T> {
    type Value = T;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<T>> {
        let Some(given) = f.opt_code(key)? else {
            return Ok(None);
        };
        let lower = given.to_lowercase();
        match T::CODES.iter().find(|(_, code)| *code == lower) {
            Some((value, _)) => Ok(Some(*value)),
            None => {
                let codes: Vec<&str> = T::CODES.iter().map(|(_, c)| *c).collect();
                Err(f.error(key, format!("'{given}' är inte en av {}", codes.join(", "))))
            }
        }
    }
    fn write(value: &T, (): ()) -> Option<Value> {
        T::CODES
            .iter()
            .find(|(v, _)| v == value)
            .map(|(_, code)| json!(code))
    }
}
