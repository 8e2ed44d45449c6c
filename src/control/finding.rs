//! What the control rules find, and how: the catalogue of rules with their severities, a finding
//! (one cause, its count, its events, a few examples), the gathering of findings by cause, and the
//! few words an example or a message gives an event or an amount. Every rule (`rules`,
//! `reconcile`, `claims`, `goals`) builds on this; it builds on none of them.

use crate::domain::amount::{Amount, Unit};
use crate::domain::event::EventBody;
use crate::report::number::{money, Sign, Style};
use crate::store::record::Recorded;

/// How much a finding weighs. Only errors make `rambok control` exit 7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// *fel*: the control failed; a revisor must act.
    Error,
    /// *varning*: a gap in the paper trail or the routine; worth asking about.
    Warning,
    /// *notering*: unusual but possibly right; for the record.
    Note,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Note];

    /// The word tables and JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "fel",
            Severity::Warning => "varning",
            Severity::Note => "notering",
        }
    }

    /// The count with its noun: `1 fel`, `2 varningar`, `3 noteringar`.
    pub fn counted(self, n: usize) -> String {
        let (one, many) = match self {
            Severity::Error => ("fel", "fel"),
            Severity::Warning => ("varning", "varningar"),
            Severity::Note => ("notering", "noteringar"),
        };
        crate::lang::counted(n as u64, one, many)
    }
}

/// A rule: the name findings carry, its severity, and what it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub severity: Severity,
    pub description: &'static str,
}

const fn rule(name: &'static str, severity: Severity, description: &'static str) -> Rule {
    Rule {
        name,
        severity,
        description,
    }
}

/// Every rule, in the order findings are reported within a severity.
pub const RULES: [Rule; 22] = [
    rule("delegation.transfer", Severity::Error, "en ramväxling mellan nämnder beslutad av ett beslutsorgan som delegationsordningen inte tillåter"),
    rule("delegation.frame", Severity::Error, "en budgetram, ramförändring, ett besparingskrav eller en internbudget beslutad av ett beslutsorgan utan befogenhet"),
    rule("delegation.director_not_net_zero", Severity::Error, "en ensidig ramförändring av kommundirektören (bara ramväxlingar utan nettoeffekt är delegerade)"),
    rule("transfers.net_zero", Severity::Error, "ram som flyttas mellan förvaltningar går inte jämnt ut över kommunen"),
    rule("budget.equals_frame", Severity::Error, "en förvaltnings internbudget summerar inte till dess budgetram, eller budgetram saknas"),
    rule("four_eyes.own_recorder", Severity::Error, "en budgethändelse attesterad bara av den som registrerade den"),
    rule("year.closed", Severity::Error, "en ändring av ett år efter att året stängts"),
    rule("reported.reconciles", Severity::Error, "en tryckt siffra skiljer sig från den liggaren räknar fram"),
    rule("reported.parts", Severity::Error, "delarna som ett dokument delar upp en siffra i summerar inte till den siffra liggaren räknar fram"),
    rule("reported.sums", Severity::Error, "en tabells tryckta rader summerar inte till dess tryckta summa, mer än avrundning förklarar"),
    rule("reported.count", Severity::Error, "ett tryckt antal (aktiviteter, uppdrag, mål) skiljer sig från liggarens, eller antalen per status från det tryckta totalet"),
    rule("reported.target", Severity::Error, "ett tryckt målvärde skiljer sig från det beslutade"),
    rule("delegation.none", Severity::Warning, "ett budgetbeslut utan delegationsordning i kraft på beslutsdagen: det har inte prövats mot någon"),
    rule("decision.reference", Severity::Warning, "ett politiskt beslut utan ärendebeteckning eller paragraf (aktiviteter är inga politiska beslut och undantas)"),
    rule("four_eyes", Severity::Warning, "en budgethändelse som aldrig attesterats"),
    rule("recorded.late", Severity::Warning, "en händelse registrerad långt efter sitt beslut"),
    rule("reported.share", Severity::Warning, "en tryckt andel stämmer inte med sitt tryckta antal och total"),
    rule("goals.assessment", Severity::Warning, "ett måls status registrerad för hand skiljer sig från den bedömning som dess indikatorer ger"),
    rule("decision.day_off", Severity::Note, "ett beslut daterat en lördag, söndag eller svensk helgdag"),
    rule("reported.rounding", Severity::Note, "en tryckt summa avviker från sina tryckta rader, men inte mer än avrundning förklarar"),
    rule("savings.base", Severity::Note, "ett besparingskrav i procent som inte är den procentsatsen av förvaltningens ram: grunden framgår inte"),
    rule("reported.unverifiable", Severity::Note, "ett tryckt antal vars poster inte finns i liggaren: det kan inte kontrolleras"),
];

/// The rule of this name.
pub fn rule_named(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// The most examples a finding shows; its count and `seqs` cover every event.
pub const EXAMPLES_MAX: usize = 3;

/// One cause found by one rule: how many it concerns, which events, and a few of them described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// What the events have in common, in one line (Swedish).
    pub cause: String,
    /// How many cases: events, or offices where the case is not an event.
    pub count: usize,
    /// Every event the finding concerns.
    pub seqs: Vec<u64>,
    /// At most [`EXAMPLES_MAX`] cases, described.
    pub examples: Vec<String>,
}

/// Findings of one rule, gathered by cause in the order causes are first met.
pub(super) struct Causes {
    rule: &'static Rule,
    groups: Vec<(String, Finding)>,
}

impl Causes {
    pub(super) fn new(name: &str) -> Causes {
        Causes {
            rule: rule_named(name).expect("a rule in RULES"),
            groups: Vec::new(),
        }
    }

    /// Adds one case (an event `seq`, or none) under `cause`, described as `example`.
    pub(super) fn add(&mut self, cause: String, seqs: &[u64], example: impl FnOnce() -> String) {
        let at = match self.groups.iter().position(|(c, _)| *c == cause) {
            Some(at) => at,
            None => {
                self.groups.push((
                    cause.clone(),
                    Finding {
                        rule: self.rule.name,
                        severity: self.rule.severity,
                        cause,
                        count: 0,
                        seqs: vec![],
                        examples: vec![],
                    },
                ));
                self.groups.len() - 1
            }
        };
        let f = &mut self.groups[at].1;
        f.count += 1;
        f.seqs.extend_from_slice(seqs);
        if f.examples.len() < EXAMPLES_MAX {
            f.examples.push(example());
        }
    }

    pub(super) fn into_findings(self, out: &mut Vec<Finding>) {
        out.extend(self.groups.into_iter().map(|(_, f)| f));
    }
}

/// An amount as a message shows it: in tkr, Swedish figures, `decimals` decimals (`−1 325,8 tkr`).
pub fn tkr(amount: Amount, decimals: u32) -> String {
    format!(
        "{} tkr",
        money(
            amount,
            false,
            &Style::terminal(Unit::Tkr, decimals, Sign::Cost)
        )
    )
}

/// One event in a few words, for an example: `seq 12: budgetram KLK 2017, 469 265,0 tkr (KF 2016-06-30)`.
pub(crate) fn describe(r: &Recorded) -> String {
    let body = &r.event.body;
    let what = match body {
        EventBody::FrameSet {
            office,
            year,
            amount,
            ..
        } => format!("budgetram {office} {year}, {}", tkr(*amount, 1)),
        EventBody::FrameChanged {
            office,
            year,
            amount,
            reason,
            ..
        } => format!(
            "ramförändring {office} {year} '{reason}', {}",
            tkr(*amount, 1)
        ),
        EventBody::SavingsRequired {
            office,
            year,
            amount,
            ..
        } => format!("besparingskrav {office} {year}, {}", tkr(*amount, 1)),
        EventBody::Transfer {
            from,
            to,
            year,
            amount,
            ..
        } => format!("ramväxling {from} → {to} {year}, {}", tkr(*amount, 1)),
        EventBody::BudgetLine {
            office,
            year,
            area,
            net,
            ..
        } => format!(
            "internbudget {office} {area} {year}, netto {}",
            tkr(*net, 1)
        ),
        EventBody::InvestmentBudget {
            office,
            year,
            project,
            amount,
            ..
        } => format!(
            "investeringsbudget {office} {year} '{project}', {}",
            tkr(*amount, 1)
        ),
        EventBody::GoalDefined { goal, .. } => format!("mål {goal}"),
        EventBody::ActivityDefined { activity, .. } => format!("aktivitet {activity}"),
        EventBody::AssignmentDefined { assignment, .. } => format!("uppdrag {assignment}"),
        other => other.type_name().to_string(),
    };
    match body.decision() {
        Some(d) => format!("seq {}: {what} ({} {})", r.seq, d.body, d.date),
        None => format!("seq {}: {what}", r.seq),
    }
}
