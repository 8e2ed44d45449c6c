//! Parsing one event object, type by type.

use super::fields::{kind, Fields};
use super::{FieldError, R};
use crate::domain::amount::{Amount, Unit};
use crate::domain::event::{
    content_id, AreaKind, Event, EventBody, GoalLevel, ReportedColumn, ReportedTable, Status,
};
use serde_json::Value;

/// Parses one event object. The id is the given one or derived from the content.
pub fn parse_event(value: &Value) -> R<Event> {
    let Value::Object(map) = value else {
        return Err(FieldError::new(
            "",
            format!("an event must be a JSON object, not {}", kind(value)),
        ));
    };
    let mut f = Fields::new(map, "");
    let type_name = f.code("type")?;
    let given_id = match f.raw("id") {
        None => None,
        Some(_) => Some(f.uuid("id")?),
    };
    let note = f.opt_text("note")?;
    let body = parse_body(&mut f, &type_name)?;
    f.finish()?;
    let id = given_id.unwrap_or_else(|| content_id(&body, note.as_deref()));
    Ok(Event { id, note, body })
}

fn parse_body(f: &mut Fields, type_name: &str) -> R<EventBody> {
    let body = match type_name {
        "frame_set" => {
            let unit = f.unit()?;
            EventBody::FrameSet {
                office: f.ident("office")?,
                year: f.year("year")?,
                amount: f.amount("amount", unit)?,
                decision: f.decision(type_name)?,
            }
        }
        "frame_changed" => {
            let unit = f.unit()?;
            EventBody::FrameChanged {
                office: f.ident("office")?,
                year: f.year("year")?,
                amount: f.amount("amount", unit)?,
                category: f.text("category")?,
                reason: f.text("reason")?,
                decision: f.decision(type_name)?,
            }
        }
        "savings_required" => {
            let unit = f.unit()?;
            EventBody::SavingsRequired {
                office: f.ident("office")?,
                year: f.year("year")?,
                amount: f.amount("amount", unit)?,
                rate_percent: parse_rate(f)?,
                reason: f.text("reason")?,
                decision: f.decision(type_name)?,
            }
        }
        "transfer" => {
            let unit = f.unit()?;
            EventBody::Transfer {
                from: f.ident("from")?,
                to: f.ident("to")?,
                year: f.year("year")?,
                amount: f.amount("amount", unit)?,
                reason: f.text("reason")?,
                decision: f.decision(type_name)?,
            }
        }
        "status_updated" => {
            let target = f.ident("target")?;
            let raw = f.text("status")?;
            let status = Status::parse(&raw).ok_or_else(|| {
                FieldError::new(
                    "status",
                    format!(
                        "'{raw}' is not a status (activities and assignments: ej påbörjad, påbörjad, genomförd; goals: uppfyllt, delvis uppfyllt, ej uppfyllt)"
                    ),
                )
            })?;
            EventBody::StatusUpdated {
                target,
                status,
                date: f.date("date")?,
                comment: f.opt_text("comment")?,
            }
        }
        "correction" => EventBody::Correction {
            corrects: f.uuid("corrects")?,
            reason: f.text("reason")?,
        },
        "office_defined" => EventBody::OfficeDefined {
            office: f.ident("office")?,
            name: f.text("name")?,
            committee: f.opt_code("committee")?,
            from: f.opt_date("from")?,
        },
        "area_defined" => EventBody::AreaDefined {
            office: f.ident("office")?,
            area: f.ident("area")?,
            name: f.text("name")?,
            kind: match f.text("kind")?.to_lowercase().as_str() {
                "verksamhetsområde" => AreaKind::Area,
                "enhet" => AreaKind::Unit,
                other => {
                    return Err(FieldError::new(
                        "kind",
                        format!("'{other}' is not an area kind (use verksamhetsområde or enhet)"),
                    ))
                }
            },
            parent: f.opt_ident("parent")?,
            group: f.opt_text("group")?,
            from: f.opt_date("from")?,
        },
        "budget_line" => parse_budget_line(f)?,
        "outcome" => {
            let unit = f.unit()?;
            let office = f.ident("office")?;
            let year = f.year("year")?;
            let area = f.ident("area")?;
            let month = parse_period(f, year)?;
            EventBody::Outcome {
                office,
                year,
                area,
                month,
                amount: f.amount("amount", unit)?,
                date: f.date("date")?,
            }
        }
        "forecast" => {
            let unit = f.unit()?;
            EventBody::Forecast {
                office: f.ident("office")?,
                year: f.year("year")?,
                area: f.ident("area")?,
                amount: f.amount("amount", unit)?,
                date: f.date("date")?,
            }
        }
        "investment_budget" => {
            let unit = f.unit()?;
            EventBody::InvestmentBudget {
                office: f.ident("office")?,
                year: f.year("year")?,
                project: f.text("project")?,
                amount: f.amount("amount", unit)?,
                decision: f.decision(type_name)?,
            }
        }
        "investment_outcome" => {
            let unit = f.unit()?;
            EventBody::InvestmentOutcome {
                office: f.ident("office")?,
                year: f.year("year")?,
                project: f.text("project")?,
                amount: f.amount("amount", unit)?,
                date: f.date("date")?,
            }
        }
        "goal_defined" => EventBody::GoalDefined {
            goal: f.ident("goal")?,
            office: f.opt_ident("office")?,
            level: match f.text("level")?.to_lowercase().as_str() {
                "fullmäktigemål" => GoalLevel::Council,
                "nämndsmål" => GoalLevel::Committee,
                other => {
                    return Err(FieldError::new(
                        "level",
                        format!("'{other}' is not a goal level (use fullmäktigemål or nämndsmål)"),
                    ))
                }
            },
            parent: f.opt_ident("parent")?,
            focus_area: f.text("focus_area")?,
            title: f.text("title")?,
            text: f.opt_text("text")?,
            year: f.year("year")?,
            decision: f.decision(type_name)?,
        },
        "activity_defined" => EventBody::ActivityDefined {
            activity: f.ident("activity")?,
            goal: f.ident("goal")?,
            title: f.text("title")?,
            responsible: f.text("responsible")?,
            start: f.date("start")?,
            end: f.date("end")?,
            decision: f.decision(type_name)?,
        },
        "assignment_defined" => EventBody::AssignmentDefined {
            assignment: f.ident("assignment")?,
            office: f.opt_ident("office")?,
            title: f.text("title")?,
            text: f.opt_text("text")?,
            focus_area: f.text("focus_area")?,
            goal: f.opt_ident("goal")?,
            year: f.year("year")?,
            decision: f.decision(type_name)?,
        },
        "approved" => EventBody::Approved {
            event: f.uuid("event")?,
            comment: f.opt_text("comment")?,
        },
        "year_closed" => EventBody::YearClosed {
            office: f.opt_ident("office")?,
            year: f.year("year")?,
            date: f.date("date")?,
        },
        "reported" => {
            let unit = f.unit()?;
            let report = pick(f, "report", &ReportedTable::ALL)?;
            let office = f.ident("office")?;
            let year = f.year("year")?;
            let row = f.text("row")?;
            let column = pick(f, "column", &ReportedColumn::ALL)?;
            let decimals = match f.map.get("amount") {
                Some(Value::String(s)) => s.split_once('.').map_or(0, |(_, d)| d.len() as u32),
                _ => 0,
            };
            let amount = f.amount("amount", unit)?;
            let precision_ore = (unit.ore() / 10i64.pow(decimals.min(8))).max(1);
            EventBody::Reported {
                report,
                office,
                year,
                row,
                column,
                amount,
                precision_ore,
                source: f.text("source")?,
                date: f.date("date")?,
            }
        }
        other => {
            return Err(FieldError::new(
                "type",
                format!(
                    "'{other}' is not an event type (see docs/events.md: {})",
                    TYPE_NAMES.join(", ")
                ),
            ))
        }
    };
    Ok(body)
}

fn pick<T: Copy>(f: &mut Fields, name: &'static str, options: &[(T, &'static str)]) -> R<T> {
    let given = f.code(name)?;
    options
        .iter()
        .find(|(_, n)| *n == given.to_lowercase())
        .map(|(t, _)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(_, n)| *n).collect();
            FieldError::new(
                name,
                format!("'{given}' is not one of {}", names.join(", ")),
            )
        })
}

/// Every event type, in the order docs/events.md lists them.
pub const TYPE_NAMES: [&str; 19] = [
    "office_defined",
    "area_defined",
    "frame_set",
    "frame_changed",
    "savings_required",
    "transfer",
    "budget_line",
    "outcome",
    "forecast",
    "investment_budget",
    "investment_outcome",
    "goal_defined",
    "activity_defined",
    "assignment_defined",
    "status_updated",
    "correction",
    "approved",
    "year_closed",
    "reported",
];

fn parse_rate(f: &mut Fields) -> R<Option<String>> {
    let Some(rate) = f.opt_code("rate_percent")? else {
        return Ok(None);
    };
    match Amount::parse(&rate, Unit::Kr) {
        Ok(a) if a.is_positive() && a.ore() <= 100 * 100 => Ok(Some(rate)),
        _ => Err(FieldError::new(
            "rate_percent",
            format!("'{rate}' is not a percentage between 0 and 100"),
        )),
    }
}

fn parse_period(f: &mut Fields, year: i32) -> R<u8> {
    let Some(period) = f.opt_code("period")? else {
        return Ok(12);
    };
    let bad = || {
        FieldError::new(
            "period",
            format!("'{period}' is not a period of {year} (write {year}-MM)"),
        )
    };
    let (y, m) = period.split_once('-').ok_or_else(bad)?;
    match (y.parse::<i32>(), m.parse::<u8>()) {
        (Ok(y), Ok(mm))
            if y == year
                && (1..=12).contains(&mm)
                && m.len() == 2
                && m.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(mm)
        }
        _ => Err(bad()),
    }
}

fn parse_budget_line(f: &mut Fields) -> R<EventBody> {
    let unit = f.unit()?;
    let office = f.ident("office")?;
    let year = f.year("year")?;
    let area = f.ident("area")?;
    let revenue = f.opt_amount("revenue", unit)?;
    let cost = f.opt_amount("cost", unit)?;
    let given_net = f.opt_amount("net", unit)?;
    let net = match (revenue, cost, given_net) {
        (Some(r), Some(c), net) => {
            if r.ore() < 0 || c.ore() < 0 {
                return Err(FieldError::new(
                    if r.ore() < 0 { "revenue" } else { "cost" },
                    "must be a positive amount: revenue and cost are both written as positive figures",
                ));
            }
            let computed = c - r;
            if let Some(n) = net {
                if n != computed {
                    return Err(FieldError::new(
                        "net",
                        format!("is {n} but cost − revenue is {computed}"),
                    ));
                }
            }
            computed
        }
        (None, None, Some(n)) => n,
        (None, None, None) => {
            return Err(FieldError::new(
                "net",
                "is missing: give revenue and cost, or net",
            ))
        }
        _ => {
            return Err(FieldError::new(
                if revenue.is_none() { "revenue" } else { "cost" },
                "is missing: give both revenue and cost, or only net",
            ))
        }
    };
    Ok(EventBody::BudgetLine {
        office,
        year,
        area,
        revenue,
        cost,
        net,
        decision: f.decision("budget_line")?,
    })
}
