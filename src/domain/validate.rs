//! Validation of an incoming event against what the ledger already holds: the rules that make an
//! event acceptable, as plain functions over plain data (no store, no clock).
//!
//! Given the known state, when an event arrives, then it is new, a duplicate of a known event (same
//! id, same content: skipped), or rejected with the field and reason.

use super::event::{Event, EventBody, GoalLevel, Status, TargetKind};
use super::field::FieldError;
use super::text::person_key;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What the write path must know to validate the next event. Built by folding the log.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Event id → what is held of it ([`Held`]): a fingerprint of its content, to tell a harmless
    /// re-import from a conflicting one, and who recorded it, so nobody approves their own entry.
    ids: HashMap<Uuid, Held>,
    /// The people who recorded events, each once (by [`person_key`]), in the order first met.
    recorders: Recorders,
    corrections: HashSet<Uuid>,
    corrected: HashSet<Uuid>,
    offices: HashSet<String>,
    areas: HashSet<(String, String)>,
    targets: HashMap<String, TargetKind>,
    goals: HashMap<String, GoalLevel>,
    indicators: HashSet<String>,
}

/// A 48-bit fingerprint of an event's content, to tell content apart under one event id. Only
/// compared within one process (the state is rebuilt from the log on start), so a fast keyed-zero
/// SipHash of the stored content bytes serves; 48 bits leave room for the recorder in [`Held`].
fn fingerprint(event: &Event) -> u64 {
    use std::hash::Hasher;
    let mut h = std::hash::DefaultHasher::new();
    h.write(&super::codec::encode_content(
        &event.body,
        event.note.as_deref(),
    ));
    h.finish() & FINGERPRINT_MASK
}

const FINGERPRINT_MASK: u64 = (1 << 48) - 1;
/// The recorder number [`Held`] keeps in its top 16 bits; from this one on, recorders are kept in
/// [`Recorders::beyond`] (more than 65 534 people recording into one ledger).
const RECORDER_INLINE_MAX: u32 = 0xFFFF;

/// One known event in 8 bytes, as the map of ids holds it at 10⁷ events: the content's fingerprint
/// in the low 48 bits, the recorder's number in the top 16 (or [`RECORDER_INLINE_MAX`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Held(u64);

impl Held {
    fn new(fingerprint: u64, recorder: u32) -> Held {
        Held(fingerprint | (u64::from(recorder.min(RECORDER_INLINE_MAX)) << 48))
    }
    fn fingerprint(self) -> u64 {
        self.0 & FINGERPRINT_MASK
    }
    fn recorder(self) -> u32 {
        (self.0 >> 48) as u32
    }
}

/// Who recorded what: each person once, by the normalised name `control` compares them by.
#[derive(Clone, Debug, Default)]
struct Recorders {
    /// Normalised name → number.
    numbers: HashMap<String, u32>,
    /// The names as recorded → number: a name met before is not normalised again (the log holds
    /// few names, each many times).
    spelled: HashMap<String, u32>,
    /// The recorders of events whose recorder's number does not fit in [`Held`].
    beyond: HashMap<Uuid, u32>,
}

impl Recorders {
    fn number(&mut self, recorded_by: &str, log: &mut Option<&mut Undo>) -> u32 {
        if let Some(n) = self.spelled.get(recorded_by) {
            return *n;
        }
        let next = self.numbers.len() as u32;
        let key = person_key(recorded_by);
        let n = match self.numbers.get(&key) {
            Some(n) => *n,
            None => {
                if let Some(log) = log {
                    log.0.push(Step::Number(key.clone()));
                }
                self.numbers.insert(key, next);
                next
            }
        };
        if let Some(log) = log {
            log.0.push(Step::Spelled(recorded_by.to_string()));
        }
        self.spelled.insert(recorded_by.to_string(), n);
        n
    }
}

/// What [`Known::apply_logged`] changed, step by step, so that [`Known::undo`] can take it back:
/// the events of an append that never reached the store (refused half-way, or beaten to the head
/// by another process) leave the state as it was before them, with no read of the log.
#[derive(Debug, Default)]
pub struct Undo(Vec<Step>);

#[derive(Debug)]
enum Step {
    Id(Uuid, Option<Held>),
    Number(String),
    Spelled(String),
    Beyond(Uuid, Option<u32>),
    Correction(Uuid),
    Corrected(Uuid),
    Office(String),
    Area((String, String)),
    Target(String, Option<TargetKind>),
    Goal(String, Option<GoalLevel>),
    Indicator(String),
}

impl Undo {
    /// Steps recorded so far (one or more per event).
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Appends `later`'s steps after these (undone first).
    pub fn extend(&mut self, later: Undo) {
        self.0.extend(later.0);
    }
}

/// Inserts into a set, logging the value when it was new.
fn insert_logged<T: std::hash::Hash + Eq + Clone>(
    set: &mut HashSet<T>,
    value: &T,
    log: &mut Option<&mut Undo>,
    step: impl FnOnce(T) -> Step,
) {
    if set.insert(value.clone()) {
        if let Some(log) = log {
            log.0.push(step(value.clone()));
        }
    }
}

/// The outcome of checking one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    New,
    /// Same id and same content as an event already held: importing it again changes nothing.
    AlreadyPresent,
}

impl Known {
    pub fn events(&self) -> usize {
        self.ids.len()
    }

    /// Records an accepted event and who recorded it. Call only after `check` said `New`.
    pub fn apply(&mut self, event: &Event, recorded_by: &str) {
        self.apply_to(event, recorded_by, None);
    }

    /// As [`Known::apply`], noting in `log` how to take it back ([`Known::undo`]).
    pub fn apply_logged(&mut self, event: &Event, recorded_by: &str, log: &mut Undo) {
        self.apply_to(event, recorded_by, Some(log));
    }

    /// Takes back what `log` noted, the last step first; call with the steps of the latest
    /// applied events only (everything applied after them undone before).
    pub fn undo(&mut self, log: Undo) {
        for step in log.0.into_iter().rev() {
            match step {
                Step::Id(id, old) => restore(&mut self.ids, id, old),
                Step::Number(key) => {
                    self.recorders.numbers.remove(&key);
                }
                Step::Spelled(name) => {
                    self.recorders.spelled.remove(&name);
                }
                Step::Beyond(id, old) => restore(&mut self.recorders.beyond, id, old),
                Step::Correction(id) => {
                    self.corrections.remove(&id);
                }
                Step::Corrected(id) => {
                    self.corrected.remove(&id);
                }
                Step::Office(o) => {
                    self.offices.remove(&o);
                }
                Step::Area(a) => {
                    self.areas.remove(&a);
                }
                Step::Target(t, old) => restore(&mut self.targets, t, old),
                Step::Goal(g, old) => restore(&mut self.goals, g, old),
                Step::Indicator(i) => {
                    self.indicators.remove(&i);
                }
            }
        }
    }

    fn apply_to(&mut self, event: &Event, recorded_by: &str, mut log: Option<&mut Undo>) {
        let recorder = self.recorders.number(recorded_by, &mut log);
        if recorder >= RECORDER_INLINE_MAX {
            let old = self.recorders.beyond.insert(event.id, recorder);
            if let Some(log) = &mut log {
                log.0.push(Step::Beyond(event.id, old));
            }
        }
        let old = self
            .ids
            .insert(event.id, Held::new(fingerprint(event), recorder));
        if let Some(log) = &mut log {
            log.0.push(Step::Id(event.id, old));
        }
        match &event.body {
            EventBody::Correction { corrects, .. } => {
                insert_logged(&mut self.corrections, &event.id, &mut log, Step::Correction);
                insert_logged(&mut self.corrected, corrects, &mut log, Step::Corrected);
            }
            EventBody::OfficeDefined { office, .. } => {
                insert_logged(&mut self.offices, office, &mut log, Step::Office);
            }
            EventBody::AreaDefined { office, area, .. } => {
                let key = (office.clone(), area.clone());
                insert_logged(&mut self.areas, &key, &mut log, Step::Area);
            }
            EventBody::GoalDefined { goal, level, .. } => {
                put_logged(
                    &mut self.targets,
                    goal,
                    TargetKind::Goal,
                    &mut log,
                    Step::Target,
                );
                put_logged(&mut self.goals, goal, *level, &mut log, Step::Goal);
            }
            EventBody::ActivityDefined { activity, .. } => {
                let kind = TargetKind::Activity;
                put_logged(&mut self.targets, activity, kind, &mut log, Step::Target);
            }
            EventBody::AssignmentDefined { assignment, .. } => {
                let kind = TargetKind::Assignment;
                put_logged(&mut self.targets, assignment, kind, &mut log, Step::Target);
            }
            EventBody::IndicatorDefined { indicator, .. } => {
                insert_logged(&mut self.indicators, indicator, &mut log, Step::Indicator);
            }
            _ => {}
        }
    }
}

/// Inserts into a map, logging the value it replaced.
fn put_logged<V>(
    map: &mut HashMap<String, V>,
    key: &str,
    value: V,
    log: &mut Option<&mut Undo>,
    step: fn(String, Option<V>) -> Step,
) {
    let old = map.insert(key.to_string(), value);
    if let Some(log) = log {
        log.0.push(step(key.to_string(), old));
    }
}

/// Puts back a map's value as it was before an insert (`None`: the key was absent).
fn restore<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, old: Option<V>) {
    match old {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}

/// The known state plus the events staged earlier in the same batch, so a batch is validated as a
/// whole before anything is written.
pub struct View<'a> {
    pub base: &'a Known,
    pub staged: &'a Known,
}

impl View<'_> {
    fn id_content(&self, id: &Uuid) -> Option<u64> {
        self.held(id).map(|(h, _)| h.fingerprint())
    }
    fn held(&self, id: &Uuid) -> Option<(Held, &Known)> {
        match self.staged.ids.get(id) {
            Some(h) => Some((*h, self.staged)),
            None => self.base.ids.get(id).map(|h| (*h, self.base)),
        }
    }
    /// Whether the person `recorder_key` (a [`person_key`]) recorded the event `id`.
    fn recorded_by(&self, id: &Uuid, recorder_key: &str) -> bool {
        let Some((held, known)) = self.held(id) else {
            return false;
        };
        let number = match held.recorder() {
            RECORDER_INLINE_MAX => known.recorders.beyond.get(id).copied(),
            n => Some(n),
        };
        number.is_some_and(|n| known.recorders.numbers.get(recorder_key) == Some(&n))
    }
    fn is_correction(&self, id: &Uuid) -> bool {
        self.staged.corrections.contains(id) || self.base.corrections.contains(id)
    }
    fn is_corrected(&self, id: &Uuid) -> bool {
        self.staged.corrected.contains(id) || self.base.corrected.contains(id)
    }
    fn offices_defined(&self) -> bool {
        !self.base.offices.is_empty() || !self.staged.offices.is_empty()
    }
    fn has_office(&self, o: &str) -> bool {
        self.base.offices.contains(o) || self.staged.offices.contains(o)
    }
    fn has_area(&self, o: &str, a: &str) -> bool {
        let key = (o.to_string(), a.to_string());
        self.base.areas.contains(&key) || self.staged.areas.contains(&key)
    }
    fn target(&self, t: &str) -> Option<TargetKind> {
        self.staged
            .targets
            .get(t)
            .or_else(|| self.base.targets.get(t))
            .copied()
    }
    fn has_indicator(&self, i: &str) -> bool {
        self.base.indicators.contains(i) || self.staged.indicators.contains(i)
    }
    fn goal_level(&self, g: &str) -> Option<GoalLevel> {
        self.staged
            .goals
            .get(g)
            .or_else(|| self.base.goals.get(g))
            .copied()
    }
}

fn reject<T>(field: &str, message: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError {
        field: field.to_string(),
        message: message.into(),
    })
}

/// Checks one event, to be recorded by `recorded_by`, against the view. Pure: the same view,
/// event and recorder give the same answer.
pub fn check(view: &View, event: &Event, recorded_by: &str) -> Result<Verdict, FieldError> {
    if let Some(known_content) = view.id_content(&event.id) {
        return if known_content == fingerprint(event) {
            Ok(Verdict::AlreadyPresent)
        } else {
            reject("id", format!("{} finns redan i liggaren med annat innehåll; en händelse ändras aldrig (registrera en rättelse i stället)", event.id))
        };
    }
    check_body(view, &event.body)?;
    if let EventBody::Approved {
        event: approved, ..
    } = &event.body
    {
        check_four_eyes(view, approved, recorded_by)?;
    }
    Ok(Verdict::New)
}

/// An entry is attested by someone other than the person who recorded it (compared as `control`
/// compares them: by [`person_key`]).
fn check_four_eyes(view: &View, approved: &Uuid, recorded_by: &str) -> Result<(), FieldError> {
    if view.recorded_by(approved, &person_key(recorded_by)) {
        return reject(
            "event",
            format!("{approved} registrerades av {recorded_by} själv: en post attesteras av någon annan än den som registrerade den (fyra ögon)"),
        );
    }
    Ok(())
}

fn check_office(view: &View, field: &str, office: &str) -> Result<(), FieldError> {
    if view.offices_defined() && !view.has_office(office) {
        return reject(
            field,
            format!("'{office}' är inte en definierad förvaltning (definiera den först med office_defined)"),
        );
    }
    Ok(())
}

fn check_area(view: &View, office: &str, area: &str) -> Result<(), FieldError> {
    check_office(view, "office", office)?;
    if !view.has_area(office, area) {
        return reject("area", format!("'{area}' är inte ett definierat verksamhetsområde i förvaltningen '{office}' (definiera det först med area_defined)"));
    }
    Ok(())
}

fn check_body(view: &View, body: &EventBody) -> Result<(), FieldError> {
    match body {
        EventBody::FrameSet { office, .. } | EventBody::FrameChanged { office, .. } => {
            if let EventBody::FrameChanged { amount, .. } = body {
                if amount.is_zero() {
                    return reject("amount", "en ramändring på noll ändrar ingenting");
                }
            }
            check_office(view, "office", office)
        }
        EventBody::SavingsRequired { office, amount, .. } => {
            if !amount.is_positive() {
                return reject("amount", format!("ett besparingskrav ska vara ett positivt belopp som minskar ramen, inte {amount}"));
            }
            check_office(view, "office", office)
        }
        EventBody::Transfer { from, to, amount, .. } => {
            if !amount.is_positive() {
                return reject("amount", format!("en ramväxling flyttar ett positivt belopp, inte {amount} (byt plats på from och to i stället)"));
            }
            if from == to {
                return reject("to", format!("en ramväxling ska gå till en annan förvaltning, inte från '{from}' till sig själv"));
            }
            check_office(view, "from", from)?;
            check_office(view, "to", to)
        }
        EventBody::StatusUpdated { target, status, .. } => match view.target(target) {
            None => reject("target", format!("'{target}' är inte ett definierat mål, en aktivitet eller ett uppdrag")),
            Some(TargetKind::Goal) if status.is_for_work() => reject(
                "status",
                format!("'{}' är inte en status för mål (mål är uppfyllt, delvis uppfyllt eller ej uppfyllt)", status.name()),
            ),
            Some(kind @ (TargetKind::Activity | TargetKind::Assignment)) if !status.is_for_work() => reject(
                "status",
                format!("'{}' är inte en status för {} (ej påbörjad, påbörjad eller genomförd)", status.name(), if kind == TargetKind::Activity { "en aktivitet" } else { "ett uppdrag" }),
            ),
            Some(_) => Ok(()),
        },
        EventBody::Correction { corrects, .. } => {
            if view.id_content(corrects).is_none() {
                reject("corrects", format!("{corrects} är inte en händelse i liggaren"))
            } else if view.is_correction(corrects) {
                reject("corrects", format!("{corrects} är själv en rättelse; registrera originalet på nytt med ett nytt id eller en ny note för att återställa det"))
            } else if view.is_corrected(corrects) {
                reject("corrects", format!("{corrects} är redan rättad"))
            } else {
                Ok(())
            }
        }
        EventBody::OfficeDefined { .. } => Ok(()),
        EventBody::AreaDefined { office, parent, .. } => {
            check_office(view, "office", office)?;
            match parent {
                Some(p) if !view.has_area(office, p) => {
                    reject("parent", format!("'{p}' är inte ett definierat verksamhetsområde i förvaltningen '{office}'"))
                }
                _ => Ok(()),
            }
        }
        EventBody::BudgetLine { office, area, .. }
        | EventBody::Outcome { office, area, .. }
        | EventBody::Forecast { office, area, .. } => check_area(view, office, area),
        EventBody::InvestmentBudget { office, .. } | EventBody::InvestmentOutcome { office, .. } => {
            check_office(view, "office", office)
        }
        EventBody::GoalDefined { goal, level, parent, office, .. } => {
            if let Some(o) = office {
                check_office(view, "office", o)?;
            }
            if view.target(goal).is_some() {
                return reject("goal", format!("'{goal}' är redan definierat"));
            }
            match (level, parent) {
                (GoalLevel::Committee, Some(p)) if view.goal_level(p) != Some(GoalLevel::Council) => {
                    reject("parent", format!("'{p}' är inte ett definierat fullmäktigemål"))
                }
                (GoalLevel::Council, Some(_)) => reject("parent", "ett fullmäktigemål har inget överordnat mål"),
                _ => Ok(()),
            }
        }
        EventBody::ActivityDefined { activity, goal, start, end, .. } => {
            if view.target(activity).is_some() {
                return reject("activity", format!("'{activity}' är redan definierad"));
            }
            if view.goal_level(goal).is_none() {
                return reject("goal", format!("'{goal}' är inte ett definierat mål"));
            }
            if end < start {
                return reject("end", format!("{end} ligger före starten {start}"));
            }
            Ok(())
        }
        EventBody::Approved { event, .. } => {
            if view.id_content(event).is_none() {
                return reject("event", format!("{event} är inte en händelse i liggaren"));
            }
            Ok(())
        }
        EventBody::YearClosed { office, .. } => match office {
            Some(o) => check_office(view, "office", o),
            None => Ok(()),
        },
        EventBody::Reported { office, .. } | EventBody::ReportedParts { office, .. } => {
            check_office(view, "office", office)
        }
        EventBody::ReportedCount { office, status, share_percent, .. } => {
            check_office(view, "office", office)?;
            if status.is_some_and(|s| !s.is_for_work()) {
                return reject("status", "en räknad status är ej påbörjad, påbörjad eller genomförd (mål räknas utan status)");
            }
            match share_percent {
                Some(p) if p.decimal().is_sign_negative() || p.decimal() > rust_decimal::Decimal::ONE_HUNDRED => {
                    reject("share_percent", format!("{} är ingen andel i procent (0–100)", p.plain()))
                }
                _ => Ok(()),
            }
        }
        EventBody::IndicatorDefined { .. }
        | EventBody::TargetSet { .. }
        | EventBody::Measured { .. }
        | EventBody::ReportedTarget { .. } => check_indicator(view, body),
        EventBody::DelegationSet { rules, .. } => {
            if rules.is_empty() {
                return reject("rules", "är tom: en delegationsordning har minst en regel");
            }
            Ok(())
        }
        EventBody::AssignmentDefined { assignment, goal, office, .. } => {
            if let Some(o) = office {
                check_office(view, "office", o)?;
            }
            if view.target(assignment).is_some() {
                return reject("assignment", format!("'{assignment}' är redan definierat"));
            }
            match goal {
                Some(g) if view.goal_level(g).is_none() => reject("goal", format!("'{g}' är inte ett definierat mål")),
                _ => Ok(()),
            }
        }
    }
}

/// An indicator is defined once, for a defined goal and office; a target or a measurement names a
/// defined indicator, and a measurement is not dated before its year begins.
fn check_indicator(view: &View, body: &EventBody) -> Result<(), FieldError> {
    let undefined = |i: &str| {
        format!("'{i}' är inte en definierad indikator (definiera den först med indicator_defined)")
    };
    match body {
        EventBody::IndicatorDefined { indicator, goal, office, .. } => {
            if view.has_indicator(indicator) {
                return reject("indicator", format!("'{indicator}' är redan definierad"));
            }
            if let Some(o) = office {
                check_office(view, "office", o)?;
            }
            match goal {
                Some(g) if view.goal_level(g).is_none() => {
                    reject("goal", format!("'{g}' är inte ett definierat mål"))
                }
                _ => Ok(()),
            }
        }
        EventBody::TargetSet { indicator, .. } if !view.has_indicator(indicator) => {
            reject("indicator", undefined(indicator))
        }
        EventBody::Measured { indicator, .. } | EventBody::ReportedTarget { indicator, .. }
            if !view.has_indicator(indicator) =>
        {
            reject("indicator", undefined(indicator))
        }
        EventBody::Measured { year, date, .. } if date.year() < *year => reject(
            "date",
            format!("{date} ligger före mätåret {year}: en mätning för {year} görs tidigast {year}-01-01"),
        ),
        _ => Ok(()),
    }
}

/// Whether a status belongs to this kind of target; used by projections too.
pub fn status_fits(kind: TargetKind, status: Status) -> bool {
    match kind {
        TargetKind::Goal => !status.is_for_work(),
        TargetKind::Activity | TargetKind::Assignment => status.is_for_work(),
    }
}
