//! Writing an event in the import format.

use crate::domain::amount::{Amount, Unit};
use crate::domain::event::{AreaKind, Date, Decision, Event, EventBody, GoalLevel};
use serde_json::{json, Map, Value};

/// Writes an event in the import format: amounts as exact kronor strings, `unit` omitted.
pub fn event_to_json(event: &Event) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(event.id.to_string()));
    map.insert("type".into(), json!(event.body.type_name()));
    body_fields(&event.body, &mut map);
    if let Some(note) = &event.note {
        map.insert("note".into(), json!(note));
    }
    Value::Object(map)
}

fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    if !value.is_null() {
        map.insert(key.to_string(), value);
    }
}

fn amt(a: Amount) -> Value {
    json!(a.to_kr_string())
}

fn opt_amt(a: Option<Amount>) -> Value {
    a.map_or(Value::Null, amt)
}

fn date(d: Date) -> Value {
    json!(d.to_string())
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

pub fn decision_json(d: &Decision) -> Value {
    let mut m = Map::new();
    m.insert("body".into(), json!(d.body));
    m.insert("date".into(), date(d.date));
    put(&mut m, "case", json!(d.case));
    put(&mut m, "paragraph", json!(d.paragraph));
    Value::Object(m)
}

fn body_fields(body: &EventBody, m: &mut Map<String, Value>) {
    match body {
        EventBody::Approved { event, comment } => {
            put(m, "event", json!(event.to_string()));
            put(m, "comment", json!(comment));
        }
        EventBody::YearClosed {
            office,
            year,
            date: d,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "date", date(*d));
        }
        EventBody::Reported {
            report,
            office,
            year,
            row,
            column,
            amount,
            precision_ore,
            source,
            date: d,
        } => {
            put(m, "report", json!(report.name()));
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "row", json!(row));
            put(m, "column", json!(column.name()));
            // Written in the unit and decimals it was printed with, so the precision survives.
            let (u, decimals) = printed_unit(*precision_ore);
            let scaled = rust_decimal::Decimal::from_i128_with_scale(amount.ore(), 0)
                / rust_decimal::Decimal::from(u.ore());
            put(m, "amount", json!(format!("{:.*}", decimals, scaled)));
            put(m, "unit", json!(u.name()));
            put(m, "source", json!(source));
            put(m, "date", date(*d));
        }
        EventBody::FrameSet {
            office,
            year,
            amount,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "amount", amt(*amount));
            put(m, "decision", decision_json(decision));
        }
        EventBody::FrameChanged {
            office,
            year,
            amount,
            category,
            reason,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "amount", amt(*amount));
            put(m, "category", json!(category));
            put(m, "reason", json!(reason));
            put(m, "decision", decision_json(decision));
        }
        EventBody::SavingsRequired {
            office,
            year,
            amount,
            rate_percent,
            reason,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "amount", amt(*amount));
            put(m, "rate_percent", json!(rate_percent));
            put(m, "reason", json!(reason));
            put(m, "decision", decision_json(decision));
        }
        EventBody::Transfer {
            from,
            to,
            year,
            amount,
            reason,
            decision,
        } => {
            put(m, "from", json!(from));
            put(m, "to", json!(to));
            put(m, "year", json!(year));
            put(m, "amount", amt(*amount));
            put(m, "reason", json!(reason));
            put(m, "decision", decision_json(decision));
        }
        EventBody::StatusUpdated {
            target,
            status,
            date: d,
            comment,
        } => {
            put(m, "target", json!(target));
            put(m, "status", json!(status.name()));
            put(m, "date", date(*d));
            put(m, "comment", json!(comment));
        }
        EventBody::Correction { corrects, reason } => {
            put(m, "corrects", json!(corrects.to_string()));
            put(m, "reason", json!(reason));
        }
        EventBody::OfficeDefined {
            office,
            name,
            committee,
            from,
        } => {
            put(m, "office", json!(office));
            put(m, "name", json!(name));
            put(m, "committee", json!(committee));
            put(m, "from", from.map_or(Value::Null, date));
        }
        EventBody::AreaDefined {
            office,
            area,
            name,
            kind,
            parent,
            group,
            from,
        } => {
            put(m, "office", json!(office));
            put(m, "area", json!(area));
            put(m, "name", json!(name));
            put(
                m,
                "kind",
                json!(match kind {
                    AreaKind::Area => "verksamhetsområde",
                    AreaKind::Unit => "enhet",
                }),
            );
            put(m, "parent", json!(parent));
            put(m, "group", json!(group));
            put(m, "from", from.map_or(Value::Null, date));
        }
        EventBody::BudgetLine {
            office,
            year,
            area,
            revenue,
            cost,
            net,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "area", json!(area));
            put(m, "revenue", opt_amt(*revenue));
            put(m, "cost", opt_amt(*cost));
            put(m, "net", amt(*net));
            put(m, "decision", decision_json(decision));
        }
        EventBody::Outcome {
            office,
            year,
            area,
            month,
            amount,
            date: d,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "area", json!(area));
            put(m, "period", json!(format!("{year}-{month:02}")));
            put(m, "amount", amt(*amount));
            put(m, "date", date(*d));
        }
        EventBody::Forecast {
            office,
            year,
            area,
            amount,
            date: d,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "area", json!(area));
            put(m, "amount", amt(*amount));
            put(m, "date", date(*d));
        }
        EventBody::InvestmentBudget {
            office,
            year,
            project,
            amount,
            decision,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "project", json!(project));
            put(m, "amount", amt(*amount));
            put(m, "decision", decision_json(decision));
        }
        EventBody::InvestmentOutcome {
            office,
            year,
            project,
            amount,
            date: d,
        } => {
            put(m, "office", json!(office));
            put(m, "year", json!(year));
            put(m, "project", json!(project));
            put(m, "amount", amt(*amount));
            put(m, "date", date(*d));
        }
        EventBody::GoalDefined {
            goal,
            office,
            level,
            parent,
            focus_area,
            title,
            text,
            year,
            decision,
        } => {
            put(m, "goal", json!(goal));
            put(m, "office", json!(office));
            put(
                m,
                "level",
                json!(match level {
                    GoalLevel::Council => "fullmäktigemål",
                    GoalLevel::Committee => "nämndsmål",
                }),
            );
            put(m, "parent", json!(parent));
            put(m, "focus_area", json!(focus_area));
            put(m, "title", json!(title));
            put(m, "text", json!(text));
            put(m, "year", json!(year));
            put(m, "decision", decision_json(decision));
        }
        EventBody::ActivityDefined {
            activity,
            goal,
            title,
            responsible,
            start,
            end,
            decision,
        } => {
            put(m, "activity", json!(activity));
            put(m, "goal", json!(goal));
            put(m, "title", json!(title));
            put(m, "responsible", json!(responsible));
            put(m, "start", date(*start));
            put(m, "end", date(*end));
            put(m, "decision", decision_json(decision));
        }
        EventBody::AssignmentDefined {
            assignment,
            office,
            title,
            text,
            focus_area,
            goal,
            year,
            decision,
        } => {
            put(m, "assignment", json!(assignment));
            put(m, "office", json!(office));
            put(m, "title", json!(title));
            put(m, "text", json!(text));
            put(m, "focus_area", json!(focus_area));
            put(m, "goal", json!(goal));
            put(m, "year", json!(year));
            put(m, "decision", decision_json(decision));
        }
    }
}
