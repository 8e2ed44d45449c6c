//! The JSON form of every event type, declared once. Each type lists its fields in the order they
//! are read (so a line with several problems reports the first) and written, each with the codec
//! that reads it into the stored [`EventBody`] and writes it back; reading and writing are both
//! generated from this one table. A field is stored under its JSON key unless `as "key"` says
//! otherwise; `[field, …]` names the stored fields its writing needs. Besides its own fields,
//! every event has `type`, `id` and `note` (see `parse` and `emit`), and an event with amounts has
//! `unit`, read before its other fields.
//!
//! `docs/events.md` documents every type; keep the two in step.

use super::codec::{
    read_field, Code, Codec, Day, Id, Ident, Label, Money, Number, OneOf, Person, Rate, StatusName,
    Swedish, Text, Year,
};
use super::compound::{
    Codes, Count, DecisionObject, Net, Parts, PartsUnit, Period, Printed, PrintedUnit, Rules,
};
use super::fields::Fields;
use super::{FieldError, R};
use crate::domain::event::{
    AreaKind, Counted, Decision, EventBody, GoalLevel, ReportedColumn, ReportedTable,
};
use crate::domain::measure::Direction;
use serde_json::{Map, Value};

/// The JSON key of a field: its own name, or the one given with `as`.
macro_rules! json_key {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident $key:literal) => {
        $key
    };
}

macro_rules! declare_json_form {
    (
        decision { $($dfield:ident: $dcodec:ty),* $(,)? }
        $(
            $variant:ident $name:literal {
                $( $field:ident $(as $key:literal)?: $codec:ty $([$($arg:ident),*])? ),* $(,)?
            }
        )*
    ) => {
        /// Every event type, in the order docs/events.md lists them.
        pub const TYPE_NAMES: &[&str] = &[$($name),*];

        /// Every event type's fields as a form asks for them, in the order they are read.
        pub const FORMS: &[Form] = &[$(
            Form {
                name: $name,
                amounts: false $(|| <$codec as Codec>::AMOUNT)*,
                fields: &[$(
                    FormField {
                        key: json_key!($field $($key)?),
                        input: <$codec as Codec>::INPUT,
                        required: <$codec as Codec>::REQUIRED,
                    }
                ),*],
            }
        ),*];

        /// The fields of a decision as a form asks for them.
        pub const DECISION_FORM: &[FormField] = &[$(
            FormField {
                key: stringify!($dfield),
                input: <$dcodec as Codec>::INPUT,
                required: <$dcodec as Codec>::REQUIRED,
            }
        ),*];

        /// The fields of a decision object.
        pub(crate) const DECISION_KEYS: &[&str] = &[$(stringify!($dfield)),*];

        /// Reads a decision object.
        pub(crate) fn read_decision(f: &Fields) -> R<Decision> {
            $( let $dfield = read_field::<$dcodec>(f, stringify!($dfield))?; )*
            f.finish(DECISION_KEYS)?;
            Ok(Decision { $($dfield),* })
        }

        /// Writes a decision object, leaving out what it does not give.
        pub fn decision_json(d: &Decision) -> Value {
            let mut map = Map::new();
            $( put(&mut map, stringify!($dfield), <$dcodec as Codec>::write(&d.$dfield, ())); )*
            Value::Object(map)
        }

        /// Reads the fields of an event of the given type, after `type`, `id` and `note`; any
        /// other field is an error.
        pub(crate) fn read_body(f: &mut Fields, type_name: &str) -> R<EventBody> {
            match type_name {
                $(
                    $name => {
                        const KEYS: &[&str] = &[$(json_key!($field $($key)?)),*];
                        f.set_type($name, false $(|| <$codec as Codec>::AMOUNT)*)?;
                        $( let $field = read_field::<$codec>(f, json_key!($field $($key)?))?; )*
                        f.finish(KEYS)?;
                        Ok(EventBody::$variant { $($field),* })
                    }
                )*
                other => Err(FieldError::new(
                    "type",
                    format!(
                        "'{other}' är inte en händelsetyp (se docs/events.md: {})",
                        TYPE_NAMES.join(", ")
                    ),
                )),
            }
        }

        /// Writes `type` and the fields of the event's type, leaving out absent ones.
        pub(crate) fn write_body(body: &EventBody, map: &mut Map<String, Value>) {
            match body {
                $(
                    EventBody::$variant { $($field),* } => {
                        map.insert("type".into(), Value::from($name));
                        $(
                            put(
                                map,
                                json_key!($field $($key)?),
                                <$codec as Codec>::write($field, ($($(*$arg,)*)?)),
                            );
                        )*
                    }
                )*
            }
        }
    };
}

/// How a form (`rambok record TYPE`) takes a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Text as written, the JSON string.
    Text,
    /// A figure in the event's unit; a form may take it as Swedish users write it.
    Amount,
    /// The unit of the event's amounts.
    Unit,
    /// An exact decimal that is no amount (an indicator's value); a form may take it as Swedish
    /// users write it (`3,5`).
    Number,
    /// The decision object, asked for as the fields of [`DECISION_FORM`].
    Decision,
    /// A list or object, given as JSON (a breakdown's parts, a delegation order's rules).
    Json,
}

/// One field of a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormField {
    /// The JSON key.
    pub key: &'static str,
    pub input: Input,
    /// An event without it is refused (a budget line's `net` may be given as revenue and cost).
    pub required: bool,
}

/// An event type's fields, besides `type`, `id` and `note` ([`COMMON_FORM`]).
#[derive(Clone, Copy, Debug)]
pub struct Form {
    pub name: &'static str,
    /// Whether the type has amounts, and so a `unit` (declared as a field only where writing it
    /// back needs it, as for `reported`).
    pub amounts: bool,
    pub fields: &'static [FormField],
}

/// The fields every event has besides `type` (see `parse`): both optional.
pub const COMMON_FORM: &[FormField] = &[
    FormField {
        key: "id",
        input: Input::Text,
        required: false,
    },
    FormField {
        key: "note",
        input: Input::Text,
        required: false,
    },
];

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.to_string(), value);
    }
}

declare_json_form! {
    decision {
        body: Code,
        date: Day,
        case: Option<Code>,
        paragraph: Option<Code>,
    }

    OfficeDefined "office_defined" {
        office: Ident,
        name: Label,
        committee: Option<Code>,
        from: Option<Day>,
    }
    AreaDefined "area_defined" {
        office: Ident,
        area: Ident,
        name: Label,
        kind: Swedish<AreaKind>,
        parent: Option<Ident>,
        group: Option<Label>,
        from: Option<Day>,
    }
    FrameSet "frame_set" {
        office: Ident,
        year: Year,
        amount: Money,
        decision: DecisionObject,
    }
    FrameChanged "frame_changed" {
        office: Ident,
        year: Year,
        amount: Money,
        category: Label,
        reason: Text,
        decision: DecisionObject,
    }
    SavingsRequired "savings_required" {
        office: Ident,
        year: Year,
        amount: Money,
        rate_percent: Option<Rate>,
        reason: Text,
        decision: DecisionObject,
    }
    Transfer "transfer" {
        from: Ident,
        to: Ident,
        year: Year,
        amount: Money,
        reason: Text,
        decision: DecisionObject,
    }
    BudgetLine "budget_line" {
        office: Ident,
        year: Year,
        area: Ident,
        revenue: Option<Money>,
        cost: Option<Money>,
        net: Net,
        decision: DecisionObject,
    }
    Outcome "outcome" {
        office: Ident,
        year: Year,
        area: Ident,
        month as "period": Period [year],
        amount: Money,
        date: Day,
    }
    Forecast "forecast" {
        office: Ident,
        year: Year,
        area: Ident,
        amount: Money,
        date: Day,
    }
    InvestmentBudget "investment_budget" {
        office: Ident,
        year: Year,
        project: Label,
        amount: Money,
        decision: DecisionObject,
    }
    InvestmentOutcome "investment_outcome" {
        office: Ident,
        year: Year,
        project: Label,
        amount: Money,
        date: Day,
    }
    GoalDefined "goal_defined" {
        goal: Ident,
        office: Option<Ident>,
        level: Swedish<GoalLevel>,
        parent: Option<Ident>,
        focus_area: Label,
        title: Label,
        text: Option<Text>,
        year: Year,
        decision: DecisionObject,
    }
    ActivityDefined "activity_defined" {
        activity: Ident,
        goal: Ident,
        title: Label,
        responsible: Person,
        start: Day,
        end: Day,
        decision: DecisionObject,
    }
    AssignmentDefined "assignment_defined" {
        assignment: Ident,
        office: Option<Ident>,
        title: Label,
        text: Option<Text>,
        focus_area: Label,
        goal: Option<Ident>,
        year: Year,
        decision: DecisionObject,
    }
    StatusUpdated "status_updated" {
        target: Ident,
        status: StatusName,
        date: Day,
        comment: Option<Text>,
    }
    Correction "correction" {
        corrects: Id,
        reason: Text,
    }
    Approved "approved" {
        event: Id,
        comment: Option<Text>,
    }
    YearClosed "year_closed" {
        office: Option<Ident>,
        year: Year,
        date: Day,
    }
    Reported "reported" {
        report: OneOf<ReportedTable>,
        office: Ident,
        year: Year,
        row: Label,
        column: OneOf<ReportedColumn>,
        amount: Printed [precision_ore],
        // The precision is written as the unit the amount is printed in, and read back from
        // the unit and the amount's decimals.
        precision_ore as "unit": PrintedUnit,
        source: Label,
        date: Day,
    }
    IndicatorDefined "indicator_defined" {
        indicator: Ident,
        name: Label,
        unit: Code,
        direction: OneOf<Direction>,
        goal: Option<Ident>,
        office: Option<Ident>,
    }
    TargetSet "target_set" {
        indicator: Ident,
        year: Year,
        value: Number,
        decision: DecisionObject,
    }
    Measured "measured" {
        indicator: Ident,
        year: Year,
        value: Number,
        date: Day,
    }
    ReportedParts "reported_parts" {
        report: OneOf<ReportedTable>,
        office: Ident,
        year: Year,
        row: Label,
        column: OneOf<ReportedColumn>,
        parts: Parts [precision_ore],
        precision_ore as "unit": PartsUnit,
        source: Label,
        date: Day,
    }
    ReportedCount "reported_count" {
        office: Ident,
        year: Year,
        items: OneOf<Counted>,
        status: Option<StatusName>,
        count: Count,
        share_percent: Option<Number>,
        source: Label,
        date: Day,
    }
    ReportedTarget "reported_target" {
        indicator: Ident,
        year: Year,
        value: Number,
        source: Label,
        date: Day,
    }
    DelegationSet "delegation_set" {
        name: Label,
        rules: Rules,
        net_zero_only: Codes,
        decision: DecisionObject,
    }
}
