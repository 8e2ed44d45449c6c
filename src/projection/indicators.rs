//! Indicators with their target and measured value for a year under the two clocks, and the
//! assessment of a goal from its indicators (*måluppfyllelse*).
//!
//! The rule, documented in docs/events.md ("Assessment of a goal"): an indicator **meets** its
//! target when its measured value is at least the target (`higher`) or at most it (`lower`); equal
//! meets it. A goal is assessed from its indicators that have a target for the year: `uppfyllt`
//! when every one of them meets it, `delvis uppfyllt` when some do, `ej uppfyllt` when none do. An
//! indicator with a target but no measurement yet does not meet it. Before any of them is measured
//! (or when none has a target) the goal has no assessment.

use super::{in_effect, Clock};
use crate::domain::event::{Date, EventBody, Status};
use crate::domain::measure::{Direction, Measure};
use crate::store::record::Recorded;
use std::collections::HashMap;

/// One indicator for one year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndicatorRow {
    pub indicator: String,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub goal: Option<String>,
    pub office: Option<String>,
    /// The target in effect for the year (the latest decision), if any.
    pub target: Option<Measure>,
    /// The latest measurement in effect for the year, and the date it was reported.
    pub value: Option<Measure>,
    pub measured_on: Option<Date>,
}

impl IndicatorRow {
    /// Whether the value meets the target; `None` without a target or without a value.
    pub fn met(&self) -> Option<bool> {
        Some(self.direction.meets(self.value?, self.target?))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndicatorsReport {
    pub year: i32,
    pub office: Option<String>,
    pub rows: Vec<IndicatorRow>,
}

/// Every indicator in effect (those of `office` and those of no office, when given), in the
/// order defined, with its target and measured value for `year`.
pub fn indicators(
    records: &[Recorded],
    year: i32,
    office: Option<&str>,
    clock: &Clock,
) -> IndicatorsReport {
    let effective = in_effect(records, clock);
    let mut rows: Vec<IndicatorRow> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut defs: Vec<_> = effective.clone();
    defs.sort_by_key(|r| r.seq);
    for r in defs {
        if let EventBody::IndicatorDefined {
            indicator,
            name,
            unit,
            direction,
            goal,
            office: o,
        } = &r.event.body
        {
            if office.is_some() && o.is_some() && o.as_deref() != office {
                continue;
            }
            at.entry(indicator.clone()).or_insert(rows.len());
            rows.push(IndicatorRow {
                indicator: indicator.clone(),
                name: name.clone(),
                unit: unit.clone(),
                direction: *direction,
                goal: goal.clone(),
                office: o.clone(),
                target: None,
                value: None,
                measured_on: None,
            });
        }
    }
    // In application order: the latest target and measurement in effect win.
    for r in &effective {
        match &r.event.body {
            EventBody::TargetSet {
                indicator,
                year: y,
                value,
                ..
            } if *y == year => {
                if let Some(&i) = at.get(indicator) {
                    rows[i].target = Some(*value);
                }
            }
            EventBody::Measured {
                indicator,
                year: y,
                value,
                date,
            } if *y == year => {
                if let Some(&i) = at.get(indicator) {
                    rows[i].value = Some(*value);
                    rows[i].measured_on = Some(*date);
                }
            }
            _ => {}
        }
    }
    IndicatorsReport {
        year,
        office: office.map(str::to_string),
        rows,
    }
}

/// A goal's assessment from its indicators (see the module's rule); `None` before any indicator
/// with a target is measured.
pub fn assessment(rows: &[IndicatorRow]) -> Option<Status> {
    let targeted: Vec<&IndicatorRow> = rows.iter().filter(|r| r.target.is_some()).collect();
    if !targeted.iter().any(|r| r.value.is_some()) {
        return None;
    }
    let met = targeted.iter().filter(|r| r.met() == Some(true)).count();
    Some(if met == targeted.len() {
        Status::Met
    } else if met > 0 {
        Status::PartlyMet
    } else {
        Status::NotMet
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(direction: Direction, target: Option<&str>, value: Option<&str>) -> IndicatorRow {
        let m = |s: &str| Measure::parse(s).unwrap();
        IndicatorRow {
            indicator: "I".into(),
            name: "n".into(),
            unit: "%".into(),
            direction,
            goal: Some("G".into()),
            office: None,
            target: target.map(m),
            value: value.map(m),
            measured_on: None,
        }
    }

    /// Given a goal's indicators, then its assessment.
    #[test]
    fn a_goal_is_assessed_from_its_indicators_with_a_target() {
        use Direction::{Higher, Lower};
        let cases: Vec<(Vec<IndicatorRow>, Option<Status>)> = vec![
            (vec![], None),
            // Nothing measured yet: no assessment, however many targets.
            (
                vec![row(Lower, Some("3.5"), None), row(Higher, Some("30"), None)],
                None,
            ),
            // Measured, but no target: nothing to assess against.
            (vec![row(Lower, None, Some("3.4"))], None),
            (
                vec![row(Lower, Some("3.5"), Some("3.5"))],
                Some(Status::Met),
            ),
            (
                vec![row(Lower, Some("3.5"), Some("3.6"))],
                Some(Status::NotMet),
            ),
            (vec![row(Higher, Some("30"), Some("30"))], Some(Status::Met)),
            (
                vec![
                    row(Lower, Some("3.5"), Some("3.4")),
                    row(Higher, Some("30"), Some("12")),
                ],
                Some(Status::PartlyMet),
            ),
            // A target not yet measured is not met: the goal is partly met so far.
            (
                vec![
                    row(Lower, Some("3.5"), Some("3.4")),
                    row(Higher, Some("30"), None),
                ],
                Some(Status::PartlyMet),
            ),
            // An indicator without a target does not count either way.
            (
                vec![
                    row(Lower, Some("3.5"), Some("3.4")),
                    row(Higher, None, Some("1")),
                ],
                Some(Status::Met),
            ),
        ];
        for (rows, want) in cases {
            assert_eq!(assessment(&rows), want, "{rows:?}");
        }
    }
}
