//! `rambok record <type> --flag value ...`: one event from flags. The flags become the same JSON
//! object an import line would be, so one parser and one validation serve both.

use super::{open_existing, CliError, Recorder, Result};
use crate::domain::amount::{Amount, Unit};
use crate::json::{event_to_json, parse_event, TYPE_NAMES};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct RecordArgs {
    /// Event type: office_defined, area_defined, frame_set, frame_changed, savings_required, transfer,
    /// budget_line, outcome, forecast, investment_budget, investment_outcome, goal_defined,
    /// activity_defined, assignment_defined, status_updated, correction.
    #[arg(value_name = "TYPE")]
    pub kind: String,
    #[command(flatten)]
    pub recorder: Recorder,
    /// Amounts accept Swedish figures: "1 325,8", "−469 265".
    #[arg(long, allow_hyphen_values = true)]
    pub amount: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub revenue: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub cost: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub net: Option<String>,
    /// Unit of the amounts: kr (default), tkr or mnkr.
    #[arg(long, default_value = "kr")]
    pub unit: Unit,
    /// Decision: the deciding body (KF, KS, KSAU, a committee, kommundirektör).
    #[arg(long = "decided-by", value_name = "BODY")]
    pub decided_by: Option<String>,
    /// Decision: the date of the decision (YYYY-MM-DD).
    #[arg(long = "decision-date", value_name = "DATE")]
    pub decision_date: Option<String>,
    /// Decision: the case number, e.g. "KS 2016/1130".
    #[arg(long)]
    pub case: Option<String>,
    /// Decision: the minutes paragraph, e.g. "§ 65".
    #[arg(long)]
    pub paragraph: Option<String>,
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    #[arg(long)]
    pub office: Option<String>,
    #[arg(long)]
    pub year: Option<i32>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long = "rate-percent")]
    pub rate_percent: Option<String>,
    /// A transfer's giving office, or the date a definition takes effect from.
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long)]
    pub target: Option<String>,
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long)]
    pub comment: Option<String>,
    #[arg(long)]
    pub corrects: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub committee: Option<String>,
    #[arg(long)]
    pub area: Option<String>,
    #[arg(long)]
    pub kind_of_area: Option<String>,
    #[arg(long)]
    pub parent: Option<String>,
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long)]
    pub period: Option<String>,
    #[arg(long)]
    pub project: Option<String>,
    #[arg(long)]
    pub goal: Option<String>,
    #[arg(long)]
    pub level: Option<String>,
    #[arg(long = "focus-area")]
    pub focus_area: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub text: Option<String>,
    #[arg(long)]
    pub activity: Option<String>,
    #[arg(long)]
    pub responsible: Option<String>,
    #[arg(long)]
    pub start: Option<String>,
    #[arg(long)]
    pub end: Option<String>,
    #[arg(long)]
    pub assignment: Option<String>,
}

fn amount_field(
    map: &mut Map<String, Value>,
    key: &str,
    value: &Option<String>,
    unit: Unit,
) -> Result<()> {
    if let Some(v) = value {
        let a =
            Amount::parse_swedish(v, unit).map_err(|e| CliError::Input(format!("--{key}: {e}")))?;
        map.insert(key.into(), Value::String(a.to_kr_string()));
    }
    Ok(())
}

/// Builds the JSON object an import line would hold.
pub fn to_json(a: &RecordArgs) -> Result<Value> {
    if !TYPE_NAMES.contains(&a.kind.as_str()) {
        return Err(CliError::Input(format!(
            "'{}' is not an event type (use one of: {})",
            a.kind,
            TYPE_NAMES.join(", ")
        )));
    }
    let mut m = Map::new();
    m.insert("type".into(), Value::String(a.kind.clone()));
    let text = [
        ("id", &a.id),
        ("note", &a.note),
        ("office", &a.office),
        ("category", &a.category),
        ("reason", &a.reason),
        ("rate_percent", &a.rate_percent),
        ("from", &a.from),
        ("to", &a.to),
        ("target", &a.target),
        ("status", &a.status),
        ("date", &a.date),
        ("comment", &a.comment),
        ("corrects", &a.corrects),
        ("name", &a.name),
        ("committee", &a.committee),
        ("area", &a.area),
        ("kind", &a.kind_of_area),
        ("parent", &a.parent),
        ("group", &a.group),
        ("period", &a.period),
        ("project", &a.project),
        ("goal", &a.goal),
        ("level", &a.level),
        ("focus_area", &a.focus_area),
        ("title", &a.title),
        ("text", &a.text),
        ("activity", &a.activity),
        ("responsible", &a.responsible),
        ("start", &a.start),
        ("end", &a.end),
        ("assignment", &a.assignment),
    ];
    for (k, v) in text {
        if let Some(v) = v {
            m.insert(k.into(), Value::String(v.clone()));
        }
    }
    if let Some(y) = a.year {
        m.insert("year".into(), Value::from(y));
    }
    for (k, v) in [
        ("amount", &a.amount),
        ("revenue", &a.revenue),
        ("cost", &a.cost),
        ("net", &a.net),
    ] {
        amount_field(&mut m, k, v, a.unit)?;
    }
    if a.decided_by.is_some()
        || a.decision_date.is_some()
        || a.case.is_some()
        || a.paragraph.is_some()
    {
        let mut d = Map::new();
        for (k, v) in [
            ("body", &a.decided_by),
            ("date", &a.decision_date),
            ("case", &a.case),
            ("paragraph", &a.paragraph),
        ] {
            if let Some(v) = v {
                d.insert(k.into(), Value::String(v.clone()));
            }
        }
        m.insert("decision".into(), Value::Object(d));
    }
    Ok(Value::Object(m))
}

fn flag_name(field: &str) -> String {
    match field {
        "decision" => "--decided-by/--decision-date".into(),
        "decision.body" => "--decided-by".into(),
        "decision.date" => "--decision-date".into(),
        "decision.case" => "--case".into(),
        "decision.paragraph" => "--paragraph".into(),
        "kind" => "--kind-of-area".into(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

pub fn run(db: &Path, args: RecordArgs, out: &mut dyn Write) -> Result<()> {
    super::require_user(&args.recorder)?;
    let value = to_json(&args)?;
    let event = parse_event(&value)
        .map_err(|e| CliError::Input(format!("{}: {}", flag_name(&e.field), e.message)))?;
    let ledger = open_existing(db)?;
    let user = super::require_user(&args.recorder)?;
    let done = ledger
        .append(
            std::slice::from_ref(&event),
            &user,
            args.recorder.expect_seq,
            chrono::Utc::now(),
        )
        .map_err(|e| match e {
            crate::ledger::LedgerError::Rejected { error, .. } => CliError::Input(format!(
                "{}: {}\nnothing was recorded",
                flag_name(&error.field),
                error.message
            )),
            other => CliError::Ledger(other),
        })?;
    if done.added == 1 {
        writeln!(
            out,
            "recorded as sequence {}: {}",
            done.head_seq,
            event_to_json(&event)
        )
        .map_err(super::io)
    } else {
        writeln!(out, "already present, nothing recorded: {}", event.id).map_err(super::io)
    }
}
