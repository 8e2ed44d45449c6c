//! The codecs of objects and lists, and of the fields whose JSON form depends on another field:
//! the decision object, an outcome's period, a budget line's net, a reported figure's printed
//! precision and parts, a count, a delegation order's rules, a list of codes. Built on the field
//! codecs of `codec`.

use super::codec::{read_field, Codec, Label, Money, Year};
use super::fields::Fields;
use super::record::Raw;
use super::schema::Input;
use super::{schema, R};
use crate::domain::amount::{Amount, Unit};
use crate::domain::event::{Decision, DelegationRule, Part};
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// The decision object: `{body, date, case, paragraph}`, its fields declared in `schema`.
pub(crate) struct DecisionObject;

impl Codec for DecisionObject {
    type Value = Decision;
    type Args = ();
    const INPUT: Input = Input::Decision;
    fn read(f: &Fields, key: &'static str) -> R<Option<Decision>> {
        match f.raw(key) {
            None => Err(f.error(
                key,
                format!(
                    "saknas: en händelse av typen {} behöver ett beslut {{{}}}",
                    f.type_name(),
                    schema::DECISION_KEYS.join(", ")
                ),
            )),
            Some(Raw::Object(record)) => schema::read_decision(&f.nested(key, record)).map(Some),
            Some(other) => Err(f.error(key, format!("ska vara ett objekt, inte {}", other.kind()))),
        }
    }
    fn write(value: &Decision, (): ()) -> Option<Value> {
        Some(schema::decision_json(value))
    }
}

/// An outcome's period, `YYYY-MM` within the event's `year`, stored as the month; December (the
/// whole year) when left out.
pub(crate) struct Period;

impl Codec for Period {
    type Value = u8;
    /// The event's year.
    type Args = (i32,);
    /// Left out, December: the whole year.
    const REQUIRED: bool = false;
    fn read(f: &Fields, key: &'static str) -> R<Option<u8>> {
        let Some(period) = f.opt_code(key)? else {
            return Ok(Some(12));
        };
        let year = read_field::<Year>(f, "year")?;
        let bad = || {
            f.error(
                key,
                format!("'{period}' är inte en period under {year} (skriv {year}-MM)"),
            )
        };
        let (y, m) = period.split_once('-').ok_or_else(bad)?;
        match (y.parse::<i32>(), m.parse::<u8>()) {
            (Ok(y), Ok(month))
                if y == year
                    && (1..=12).contains(&month)
                    && m.len() == 2
                    && m.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(Some(month))
            }
            _ => Err(bad()),
        }
    }
    fn write(month: &u8, (year,): (i32,)) -> Option<Value> {
        Some(json!(format!("{year}-{month:02}")))
    }
}

/// A budget line's net cost: given as `net`, or as `revenue` and `cost` (both at least 0, and a
/// `net` given as well must be cost − revenue). Always written.
pub(crate) struct Net;

impl Codec for Net {
    type Value = Amount;
    type Args = ();
    const AMOUNT: bool = true;
    /// Given as `net`, or as `revenue` and `cost`.
    const REQUIRED: bool = false;
    const INPUT: Input = Input::Amount;
    fn read(f: &Fields, key: &'static str) -> R<Option<Amount>> {
        let (revenue, cost) = (f.opt_amount("revenue")?, f.opt_amount("cost")?);
        let given = f.opt_amount(key)?;
        let net = match (revenue, cost, given) {
            (Some(r), Some(c), given) => {
                if r.ore() < 0 || c.ore() < 0 {
                    return Err(f.error(
                        if r.ore() < 0 { "revenue" } else { "cost" },
                        "ska vara ett positivt belopp: revenue och cost skrivs båda som positiva belopp",
                    ));
                }
                let computed = c - r;
                if let Some(n) = given.filter(|n| *n != computed) {
                    return Err(f.error(key, format!("är {n} men cost − revenue är {computed}")));
                }
                computed
            }
            (None, None, Some(n)) => n,
            (None, None, None) => {
                return Err(f.error(key, "saknas: ange revenue och cost, eller net"))
            }
            _ => {
                return Err(f.error(
                    if revenue.is_none() { "revenue" } else { "cost" },
                    "saknas: ange både revenue och cost, eller bara net",
                ))
            }
        };
        Ok(Some(net))
    }
    fn write(value: &Amount, (): ()) -> Option<Value> {
        Money::write(value, ())
    }
}

/// A reported figure's amount, written back in the unit and with the decimals it was printed
/// with, so the printed precision survives.
pub(crate) struct Printed;

impl Codec for Printed {
    type Value = Amount;
    /// The precision in öre (see [`PrintedUnit`]).
    type Args = (i64,);
    const AMOUNT: bool = true;
    const INPUT: Input = Input::Amount;
    fn read(f: &Fields, key: &'static str) -> R<Option<Amount>> {
        f.opt_amount(key)
    }
    fn write(value: &Amount, (precision_ore,): (i64,)) -> Option<Value> {
        let (unit, decimals) = printed_unit(precision_ore);
        let scaled = Decimal::from_i128_with_scale(value.ore(), 0) / Decimal::from(unit.ore());
        Some(json!(format!("{scaled:.decimals$}")))
    }
}

/// A reported figure's printed precision in öre, from its `unit` and the decimals of its `amount`
/// (`"477.6"` mnkr: 10 000 000 öre), written back as the unit.
pub(crate) struct PrintedUnit;

impl Codec for PrintedUnit {
    type Value = i64;
    type Args = ();
    const AMOUNT: bool = true;
    /// Left out, kr.
    const REQUIRED: bool = false;
    const INPUT: Input = Input::Unit;
    fn read(f: &Fields, _unit: &'static str) -> R<Option<i64>> {
        let decimals = match f.raw("amount") {
            Some(Raw::Str(s)) => s.split_once('.').map_or(0, |(_, d)| d.len() as u32),
            _ => 0,
        };
        Ok(Some((f.unit().ore() / 10i64.pow(decimals.min(8))).max(1)))
    }
    fn write(precision_ore: &i64, (): ()) -> Option<Value> {
        Some(json!(printed_unit(*precision_ore).0.name()))
    }
}

/// The unit and decimals a figure of this precision was printed with.
fn printed_unit(precision_ore: i64) -> (Unit, usize) {
    for unit in [Unit::Mnkr, Unit::Tkr, Unit::Kr] {
        for decimals in 0..=2u32 {
            if unit.ore() / 10i64.pow(decimals) == precision_ore {
                return (unit, decimals as usize);
            }
        }
    }
    (Unit::Kr, 2)
}

/// The most parts a breakdown, rules a delegation order, or bodies a rule may list.
pub(crate) const LIST_MAX: usize = 100;

/// The list in `key`, `None` when absent; `shape` shows what one looks like, for the error.
fn list<'r, 'de>(f: &Fields<'r, 'de>, key: &'static str, shape: &str) -> R<Option<&'r [Raw<'de>]>> {
    match f.raw(key) {
        None => Ok(None),
        Some(Raw::Array(items)) if items.len() > LIST_MAX => {
            Err(f.error(key, format!("har {} poster; högst {LIST_MAX}", items.len())))
        }
        Some(Raw::Array(items)) => Ok(Some(items)),
        Some(other) => Err(f.error(
            key,
            format!("ska vara en lista som {shape}, inte {}", other.kind()),
        )),
    }
}

/// A breakdown's parts as printed: `[{"label": "HR-specialister", "amount": "7747"}, …]`, each
/// amount in the event's `unit`; at least two.
pub(crate) struct Parts;

impl Codec for Parts {
    type Value = Vec<Part>;
    /// The precision in öre (see [`PartsUnit`]).
    type Args = (i64,);
    const AMOUNT: bool = true;
    const INPUT: Input = Input::Json;
    fn read(f: &Fields, key: &'static str) -> R<Option<Vec<Part>>> {
        let Some(items) = list(f, key, "[{\"label\": \"…\", \"amount\": \"7747\"}]")? else {
            return Ok(None);
        };
        if items.len() < 2 {
            return Err(f.error(key, "har färre än två delar: en uppdelning har minst två"));
        }
        let mut parts = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Raw::Object(record) = item else {
                return Err(f.error(
                    &format!("{key}[{i}]"),
                    format!(
                        "ska vara ett objekt {{label, amount}}, inte {}",
                        item.kind()
                    ),
                ));
            };
            let e = f.element(key, i, record);
            let label = read_field::<Label>(&e, "label")?;
            let amount = read_field::<Money>(&e, "amount")?;
            e.finish(&["label", "amount"])?;
            parts.push(Part { label, amount });
        }
        Ok(Some(parts))
    }
    fn write(value: &Vec<Part>, args: (i64,)) -> Option<Value> {
        Some(Value::Array(
            value
                .iter()
                .map(|p| json!({"label": p.label, "amount": Printed::write(&p.amount, args)}))
                .collect(),
        ))
    }
}

/// A breakdown's printed precision: its `unit` and the most decimals any part is printed with.
pub(crate) struct PartsUnit;

impl Codec for PartsUnit {
    type Value = i64;
    type Args = ();
    const AMOUNT: bool = true;
    const REQUIRED: bool = false;
    const INPUT: Input = Input::Unit;
    fn read(f: &Fields, _unit: &'static str) -> R<Option<i64>> {
        let decimals = match f.raw("parts") {
            Some(Raw::Array(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Raw::Object(r) => match r.get("amount") {
                        Some(Raw::Str(s)) => s.split_once('.').map(|(_, d)| d.len() as u32),
                        _ => None,
                    },
                    _ => None,
                })
                .max()
                .unwrap_or(0),
            _ => 0,
        };
        Ok(Some((f.unit().ore() / 10i64.pow(decimals.min(8))).max(1)))
    }
    fn write(precision_ore: &i64, (): ()) -> Option<Value> {
        PrintedUnit::write(precision_ore, ())
    }
}

/// A count: a whole number from 0 to 1 000 000, as a number or a string.
pub(crate) struct Count;

/// The largest count a document may print.
const COUNT_MAX: u32 = 1_000_000;

impl Codec for Count {
    type Value = u32;
    type Args = ();
    fn read(f: &Fields, key: &'static str) -> R<Option<u32>> {
        let bad = |given: String| {
            Err(f.error(
                key,
                format!("{given} är inget heltal från 0 till {COUNT_MAX}"),
            ))
        };
        match f.raw(key) {
            None => Ok(None),
            Some(Raw::Number(n)) => match n.as_u64().and_then(|c| u32::try_from(c).ok()) {
                Some(c) if c <= COUNT_MAX => Ok(Some(c)),
                _ => bad(n.to_string()),
            },
            Some(Raw::Str(s)) => match s.trim().parse::<u32>() {
                Ok(c) if c <= COUNT_MAX => Ok(Some(c)),
                _ => bad(format!("'{s}'")),
            },
            Some(other) => Err(f.error(key, format!("ska vara ett heltal, inte {}", other.kind()))),
        }
    }
    fn write(value: &u32, (): ()) -> Option<Value> {
        Some(json!(value))
    }
}

/// A delegation order's rules: `{"transfer": ["KF", "KS"], "budget_line": ["$committee"]}`,
/// each key an event type, each list the bodies that may decide it.
pub(crate) struct Rules;

impl Codec for Rules {
    type Value = Vec<DelegationRule>;
    type Args = ();
    const INPUT: Input = Input::Json;
    fn read(f: &Fields, key: &'static str) -> R<Option<Vec<DelegationRule>>> {
        let record = match f.raw(key) {
            None => return Ok(None),
            Some(Raw::Object(record)) => record,
            Some(other) => {
                return Err(f.error(
                    key,
                    format!(
                        "ska vara ett objekt som {{\"transfer\": [\"KF\", \"KS\"]}}, inte {}",
                        other.kind()
                    ),
                ))
            }
        };
        let mut rules = Vec::new();
        for kind in record.keys() {
            let at = format!("{key}.{kind}");
            if !schema::TYPE_NAMES.contains(&kind) {
                return Err(f.error(&at, format!("'{kind}' är ingen händelsetyp")));
            }
            if rules.len() >= LIST_MAX {
                return Err(f.error(key, format!("har fler än {LIST_MAX} regler")));
            }
            let bodies = match record.get(kind) {
                Some(Raw::Array(items)) if !items.is_empty() => {
                    f.code_list(&at, items, LIST_MAX)?
                }
                Some(Raw::Array(_)) => {
                    return Err(f.error(&at, "är tom: ange de beslutsorgan som får besluta"))
                }
                Some(other) => {
                    return Err(f.error(
                        &at,
                        format!("ska vara en lista av beslutsorgan, inte {}", other.kind()),
                    ))
                }
                None => return Err(f.error(&at, "saknas")),
            };
            rules.push(DelegationRule {
                kind: kind.to_string(),
                bodies,
            });
        }
        Ok(Some(rules))
    }
    fn write(value: &Vec<DelegationRule>, (): ()) -> Option<Value> {
        let mut map = serde_json::Map::new();
        for r in value {
            map.insert(r.kind.clone(), json!(r.bodies));
        }
        Some(Value::Object(map))
    }
}

/// A list of codes (decision bodies), empty when left out, and left out when empty.
pub(crate) struct Codes;

impl Codec for Codes {
    type Value = Vec<String>;
    type Args = ();
    const REQUIRED: bool = false;
    const INPUT: Input = Input::Json;
    fn read(f: &Fields, key: &'static str) -> R<Option<Vec<String>>> {
        match list(f, key, "[\"kommundirektör\"]")? {
            None => Ok(Some(vec![])),
            Some(items) => f.code_list(key, items, LIST_MAX).map(Some),
        }
    }
    fn write(value: &Vec<String>, (): ()) -> Option<Value> {
        (!value.is_empty()).then(|| json!(value))
    }
}
