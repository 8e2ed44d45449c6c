//! The control rule on goal fulfilment: a goal whose status recorded by hand (`status_updated`)
//! differs from the assessment its indicators give (`projection::indicators::assessment`). A
//! goal without a hand-recorded status, or not yet assessable, is no finding. Pure: records in,
//! findings out; `rules::control` runs it with the other rules.

use super::finding::{Causes, Finding};
use crate::domain::event::{EventBody, Status};
use crate::projection::goals::{goals, Item};
use crate::projection::{in_effect, Clock};
use crate::store::record::Recorded;

/// The rule's name, as `finding::RULES` lists it with its severity.
pub const RULE: &str = "goals.assessment";

/// The goals of `year` whose hand-recorded status and assessment disagree, grouped by the two
/// statuses; each example names the goal, its status event and each indicator's target and value.
pub fn assessment_rule(records: &[Recorded], year: i32, out: &mut Vec<Finding>) {
    let clock = Clock::default();
    let report = goals(records, year, None, &clock);
    let effective = in_effect(records, &clock);
    let status_seq = |code: &str| {
        effective.iter().rev().find_map(|r| match &r.event.body {
            EventBody::StatusUpdated { target, .. } if target == code => Some(r.seq),
            _ => None,
        })
    };
    let goals = report.focus_areas.iter().flat_map(|f| {
        f.council_goals
            .iter()
            .flat_map(|c| std::iter::once(&c.goal).chain(c.committee_goals.iter().map(|n| &n.goal)))
            .chain(f.own_goals.iter().map(|n| &n.goal))
    });
    let mut causes = Causes::new(RULE);
    for goal in goals {
        let (Some(status), Some(assessed)) = (goal.status, goal.assessment) else {
            continue;
        };
        if status != assessed {
            let seqs: Vec<u64> = status_seq(&goal.code).into_iter().collect();
            causes.add(
                format!(
                    "status '{}' registrerad för hand, men indikatorerna ger '{}'",
                    status.name(),
                    assessed.name()
                ),
                &seqs,
                || message(goal, status, assessed),
            );
        }
    }
    causes.into_findings(out);
}

fn message(goal: &Item, status: Status, assessed: Status) -> String {
    let evidence: Vec<String> = goal
        .indicators
        .iter()
        .filter_map(|i| {
            let target = i.target?;
            let value = i
                .value
                .map_or("ingen mätning".to_string(), |v| format!("{v} {}", i.unit));
            Some(format!(
                "{} {value} mot målvärdet {} {target} {}",
                i.indicator,
                i.direction.swedish(),
                i.unit
            ))
        })
        .collect();
    format!(
        "{} [{}]: status '{}' registrerad för hand, men indikatorerna ger '{}' ({})",
        goal.title,
        goal.code,
        status.name(),
        assessed.name(),
        evidence.join("; ")
    )
}
