//! The events the ledger keeps: every budget decision, definition, outcome and status change.
//!
//! These structs are the stored form (bincode inside a versioned record, see `store::record`).
//! **Invariant:** variants and fields are only ever appended; a change to an existing variant needs a
//! new record format version and an upcaster, because what was written must stay readable forever.

use super::amount::Amount;
pub use super::claim::{Counted, Part, ReportedColumn, ReportedTable};
use super::measure::{Direction, Measure};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A calendar date, stored as days since 0001-01-01 (chrono's CE day count).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Date {
    pub fn ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        NaiveDate::from_ymd_opt(y, m, d).map(Date)
    }
    pub fn year(self) -> i32 {
        self.0.year()
    }
    pub const MAX: Date = Date(NaiveDate::MAX);
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.0.num_days_from_ce())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let days = i32::deserialize(d)?;
        NaiveDate::from_num_days_from_ce_opt(days)
            .map(Date)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("dag nummer {days} ligger utanför kalendern"))
            })
    }
}

/// Who decided, when, under which case number and minutes paragraph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// `KF`, `KS`, `KSAU`, a committee's code, or an official such as `kommundirektör`.
    pub body: String,
    pub date: Date,
    /// Case number (*ärendebeteckning*), e.g. `KS 2016/1130`.
    pub case: Option<String>,
    /// Minutes paragraph, e.g. `§ 65`.
    pub paragraph: Option<String>,
}

/// One event as the ledger keeps it: its id, an optional free-text note, what happened, and where
/// the facts come from.
///
/// The serde form (bincode, record format 1) has `id`, `note` and `body` only: an event without
/// provenance encodes to the very bytes it always did. An event with provenance is stored in
/// record format 2, whose payload is the same bytes followed by the [`Provenance`] (see
/// `domain::codec`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: Uuid,
    pub note: Option<String>,
    pub body: EventBody,
    #[serde(skip)]
    pub provenance: Provenance,
}

impl Event {
    /// An event without provenance.
    pub fn new(id: Uuid, note: Option<String>, body: EventBody) -> Event {
        Event {
            id,
            note,
            body,
            provenance: Provenance::default(),
        }
    }

    /// Whether a field of this event (as `assumed` names it: `amount`, `decision.date`) was
    /// assumed rather than printed in its source.
    pub fn assumes(&self, field: &str) -> bool {
        self.provenance.assumed.iter().any(|f| f == field)
    }
}

/// Where an event's facts come from: the document and page that print them, which of its fields
/// the source does not print (assumed by whoever transcribed it), and whether it was recorded as
/// part of a transcription of earlier documents (a backfill).
///
/// **Invariant:** fields are only ever appended (this is stored, in record format 2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub source: Option<Source>,
    /// Dotted field paths as the import format writes them: `amount`, `decision.date`.
    pub assumed: Vec<String>,
    /// The documents a backfill import transcribed (`rambok import --backfill --source`).
    pub backfill: Option<String>,
}

impl Provenance {
    pub fn is_empty(&self) -> bool {
        self.source.is_none() && self.assumed.is_empty() && self.backfill.is_none()
    }
}

/// A document and the page in it that prints an event's facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub document: String,
    /// As printed or counted in the document: `15`, `18 ff.`.
    pub page: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AreaKind {
    /// *verksamhetsområde*
    Area,
    /// *enhet*
    Unit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GoalLevel {
    /// *fullmäktigemål*
    Council,
    /// *nämndsmål*
    Committee,
}

/// Status of an activity, assignment or goal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    NotStarted,
    Started,
    Done,
    Met,
    PartlyMet,
    NotMet,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::NotStarted,
        Status::Started,
        Status::Done,
        Status::Met,
        Status::PartlyMet,
        Status::NotMet,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::NotStarted => "ej påbörjad",
            Status::Started => "påbörjad",
            Status::Done => "genomförd",
            Status::Met => "uppfyllt",
            Status::PartlyMet => "delvis uppfyllt",
            Status::NotMet => "ej uppfyllt",
        }
    }

    /// Accepts the sources' spellings in any case (`Ej påbörjad`, `Ej påbörjat`).
    pub fn parse(s: &str) -> Option<Status> {
        let lower = s.trim().to_lowercase();
        let lower = lower.as_str();
        Status::ALL
            .into_iter()
            .find(|st| st.name() == lower)
            .or(match lower {
                "ej påbörjat" => Some(Status::NotStarted),
                "påbörjat" => Some(Status::Started),
                "genomfört" => Some(Status::Done),
                _ => None,
            })
    }

    /// Statuses an activity or assignment can have, as opposed to a goal.
    pub fn is_for_work(self) -> bool {
        matches!(self, Status::NotStarted | Status::Started | Status::Done)
    }
}

/// What kind of thing a status target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TargetKind {
    Goal,
    Activity,
    Assignment,
}

impl TargetKind {
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Goal => "goal",
            TargetKind::Activity => "activity",
            TargetKind::Assignment => "assignment",
        }
    }
}

/// Accumulated outcome period: through the end of `month` of the event's year.
pub type Month = u8;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventBody {
    FrameSet {
        office: String,
        year: i32,
        amount: Amount,
        decision: Decision,
    },
    FrameChanged {
        office: String,
        year: i32,
        amount: Amount,
        category: String,
        reason: String,
        decision: Decision,
    },
    SavingsRequired {
        office: String,
        year: i32,
        amount: Amount,
        /// Percent as a decimal string, e.g. `"1"`; kept as written.
        rate_percent: Option<String>,
        reason: String,
        decision: Decision,
    },
    Transfer {
        from: String,
        to: String,
        year: i32,
        amount: Amount,
        reason: String,
        decision: Decision,
    },
    StatusUpdated {
        target: String,
        status: Status,
        date: Date,
        comment: Option<String>,
    },
    Correction {
        corrects: Uuid,
        reason: String,
    },
    OfficeDefined {
        office: String,
        name: String,
        committee: Option<String>,
        from: Option<Date>,
    },
    AreaDefined {
        office: String,
        area: String,
        name: String,
        kind: AreaKind,
        parent: Option<String>,
        group: Option<String>,
        from: Option<Date>,
    },
    BudgetLine {
        office: String,
        year: i32,
        area: String,
        revenue: Option<Amount>,
        cost: Option<Amount>,
        net: Amount,
        decision: Decision,
    },
    Outcome {
        office: String,
        year: i32,
        area: String,
        month: Month,
        amount: Amount,
        date: Date,
    },
    Forecast {
        office: String,
        year: i32,
        area: String,
        amount: Amount,
        date: Date,
    },
    InvestmentBudget {
        office: String,
        year: i32,
        project: String,
        amount: Amount,
        decision: Decision,
    },
    InvestmentOutcome {
        office: String,
        year: i32,
        project: String,
        amount: Amount,
        date: Date,
    },
    GoalDefined {
        goal: String,
        /// The office whose goal it is (for a nämndsmål); council goals usually have none.
        office: Option<String>,
        level: GoalLevel,
        parent: Option<String>,
        focus_area: String,
        title: String,
        text: Option<String>,
        year: i32,
        decision: Decision,
    },
    ActivityDefined {
        activity: String,
        goal: String,
        title: String,
        responsible: String,
        start: Date,
        end: Date,
        decision: Decision,
    },
    AssignmentDefined {
        assignment: String,
        /// The office that carries the assignment out.
        office: Option<String>,
        title: String,
        text: Option<String>,
        focus_area: String,
        goal: Option<String>,
        year: i32,
        decision: Decision,
    },
    /// Someone attests an entry someone else recorded (four eyes).
    Approved {
        event: Uuid,
        comment: Option<String>,
    },
    /// A year's books are closed for an office (or for every office): later changes are findings.
    YearClosed {
        office: Option<String>,
        year: i32,
        date: Date,
    },
    /// A figure as a published document prints it, to reconcile with what the ledger computes.
    Reported {
        report: ReportedTable,
        office: String,
        year: i32,
        /// Area code, investment project, or `total`.
        row: String,
        column: ReportedColumn,
        amount: Amount,
        /// The printed precision in öre (100 000 for whole tkr, 10 000 for tkr with one decimal):
        /// a computed figure reconciles when it rounds to the printed one at this precision.
        precision_ore: i64,
        source: String,
        date: Date,
    },
    /// A measure a goal is followed up by (*indikator*): always in effect once recorded.
    IndicatorDefined {
        indicator: String,
        name: String,
        /// What the figures count, as printed: `%`, `antal`, `placering`.
        unit: String,
        direction: Direction,
        goal: Option<String>,
        office: Option<String>,
    },
    /// A target value for an indicator and year (*målvärde*): a decision, by KF or the committee.
    TargetSet {
        indicator: String,
        year: i32,
        value: Measure,
        decision: Decision,
    },
    /// A measured value of an indicator for a year (*mätning*), in effect from `date`.
    Measured {
        indicator: String,
        year: i32,
        value: Measure,
        date: Date,
    },
    /// A figure a document breaks down into parts (*fördelar sig på*, *består av*): the parts as
    /// printed, whose sum is reconciled with the figure the ledger computes.
    ReportedParts {
        report: ReportedTable,
        office: String,
        year: i32,
        row: String,
        column: ReportedColumn,
        parts: Vec<Part>,
        /// The precision the parts are printed at, as for `Reported`.
        precision_ore: i64,
        source: String,
        date: Date,
    },
    /// A count a document prints (activities, assignments, council goals broken down), in all or
    /// of one status, with the share it prints beside it.
    ReportedCount {
        office: String,
        year: i32,
        items: Counted,
        /// `None` for the count of every item.
        status: Option<Status>,
        count: u32,
        /// The share of all items printed beside the count, in per cent.
        share_percent: Option<Measure>,
        source: String,
        date: Date,
    },
    /// A target a document prints for an indicator, reconciled with the target decided.
    ReportedTarget {
        indicator: String,
        year: i32,
        value: Measure,
        source: String,
        date: Date,
    },
    /// A delegation order (*delegationsordning*): which bodies may decide which event types, in
    /// force from its decision's date until the next one. `control` tries each decision against
    /// the order in force on the decision's date.
    DelegationSet {
        name: String,
        /// Event type and the bodies that may decide it; `$committee` is the office's committee.
        rules: Vec<DelegationRule>,
        /// Bodies whose delegation covers only moves between committees that net to zero.
        net_zero_only: Vec<String>,
        decision: Decision,
    },
}

/// One rule of a delegation order: an event type and the bodies that may decide it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DelegationRule {
    pub kind: String,
    pub bodies: Vec<String>,
}

impl EventBody {
    /// The `type` name used in JSON and on the command line.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::FrameSet { .. } => "frame_set",
            EventBody::FrameChanged { .. } => "frame_changed",
            EventBody::SavingsRequired { .. } => "savings_required",
            EventBody::Transfer { .. } => "transfer",
            EventBody::StatusUpdated { .. } => "status_updated",
            EventBody::Correction { .. } => "correction",
            EventBody::OfficeDefined { .. } => "office_defined",
            EventBody::AreaDefined { .. } => "area_defined",
            EventBody::BudgetLine { .. } => "budget_line",
            EventBody::Outcome { .. } => "outcome",
            EventBody::Forecast { .. } => "forecast",
            EventBody::InvestmentBudget { .. } => "investment_budget",
            EventBody::InvestmentOutcome { .. } => "investment_outcome",
            EventBody::GoalDefined { .. } => "goal_defined",
            EventBody::ActivityDefined { .. } => "activity_defined",
            EventBody::AssignmentDefined { .. } => "assignment_defined",
            EventBody::Approved { .. } => "approved",
            EventBody::YearClosed { .. } => "year_closed",
            EventBody::Reported { .. } => "reported",
            EventBody::IndicatorDefined { .. } => "indicator_defined",
            EventBody::TargetSet { .. } => "target_set",
            EventBody::Measured { .. } => "measured",
            EventBody::ReportedParts { .. } => "reported_parts",
            EventBody::ReportedCount { .. } => "reported_count",
            EventBody::ReportedTarget { .. } => "reported_target",
            EventBody::DelegationSet { .. } => "delegation_set",
        }
    }

    /// The decision behind a budget event or definition, if it has one.
    pub fn decision(&self) -> Option<&Decision> {
        match self {
            EventBody::FrameSet { decision, .. }
            | EventBody::FrameChanged { decision, .. }
            | EventBody::SavingsRequired { decision, .. }
            | EventBody::Transfer { decision, .. }
            | EventBody::BudgetLine { decision, .. }
            | EventBody::InvestmentBudget { decision, .. }
            | EventBody::GoalDefined { decision, .. }
            | EventBody::ActivityDefined { decision, .. }
            | EventBody::AssignmentDefined { decision, .. }
            | EventBody::TargetSet { decision, .. }
            | EventBody::DelegationSet { decision, .. } => Some(decision),
            _ => None,
        }
    }

    /// The date on which this event takes effect for as-of queries: the decision date, the status
    /// or report date, or a definition's start. `None` means "always" (a correction takes effect
    /// through the known-at clock only).
    pub fn effective_date(&self) -> Option<Date> {
        if let Some(d) = self.decision() {
            return Some(d.date);
        }
        match self {
            EventBody::StatusUpdated { date, .. }
            | EventBody::Outcome { date, .. }
            | EventBody::Forecast { date, .. }
            | EventBody::InvestmentOutcome { date, .. }
            | EventBody::YearClosed { date, .. }
            | EventBody::Reported { date, .. }
            | EventBody::ReportedParts { date, .. }
            | EventBody::ReportedCount { date, .. }
            | EventBody::ReportedTarget { date, .. }
            | EventBody::Measured { date, .. } => Some(*date),
            EventBody::OfficeDefined { from, .. } | EventBody::AreaDefined { from, .. } => *from,
            _ => None,
        }
    }

    /// The offices an event names, for filtering the log.
    pub fn offices(&self) -> Vec<&str> {
        match self {
            EventBody::FrameSet { office, .. }
            | EventBody::FrameChanged { office, .. }
            | EventBody::SavingsRequired { office, .. }
            | EventBody::OfficeDefined { office, .. }
            | EventBody::AreaDefined { office, .. }
            | EventBody::BudgetLine { office, .. }
            | EventBody::Outcome { office, .. }
            | EventBody::Forecast { office, .. }
            | EventBody::InvestmentBudget { office, .. }
            | EventBody::InvestmentOutcome { office, .. }
            | EventBody::Reported { office, .. }
            | EventBody::ReportedParts { office, .. }
            | EventBody::ReportedCount { office, .. } => vec![office],
            EventBody::YearClosed {
                office: Some(office),
                ..
            }
            | EventBody::IndicatorDefined {
                office: Some(office),
                ..
            } => vec![office],
            EventBody::Transfer { from, to, .. } => vec![from, to],
            _ => vec![],
        }
    }

    /// The budget year an event concerns, if any.
    pub fn year(&self) -> Option<i32> {
        match self {
            EventBody::FrameSet { year, .. }
            | EventBody::FrameChanged { year, .. }
            | EventBody::SavingsRequired { year, .. }
            | EventBody::Transfer { year, .. }
            | EventBody::BudgetLine { year, .. }
            | EventBody::Outcome { year, .. }
            | EventBody::Forecast { year, .. }
            | EventBody::InvestmentBudget { year, .. }
            | EventBody::InvestmentOutcome { year, .. }
            | EventBody::GoalDefined { year, .. }
            | EventBody::AssignmentDefined { year, .. }
            | EventBody::YearClosed { year, .. }
            | EventBody::Reported { year, .. }
            | EventBody::ReportedParts { year, .. }
            | EventBody::ReportedCount { year, .. }
            | EventBody::ReportedTarget { year, .. }
            | EventBody::TargetSet { year, .. }
            | EventBody::Measured { year, .. } => Some(*year),
            EventBody::ActivityDefined { start, .. } => Some(start.year()),
            _ => None,
        }
    }
}

/// The namespace of content-derived event ids (UUID v5). Fixed forever: changing it would make a
/// re-import of an old file double every event.
pub const CONTENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_3c2e_9b4d_4e7a_8f10_2d5c_7b9e_0a41);

/// The id an event gets when its source gives none: a UUID v5 of its stored content (body and
/// note), so importing the same file twice never doubles an event, whatever unit the file used.
pub fn content_id(body: &EventBody, note: Option<&str>) -> Uuid {
    let bytes = super::codec::encode_content(body, note);
    Uuid::new_v5(&CONTENT_ID_NAMESPACE, &bytes)
}
