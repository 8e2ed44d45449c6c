//! Goals, activities and assignments with their status at a date: the tree focus area → council
//! goal → committee goal → activities, the assignments, and the count table per kind.

use super::indicators::{assessment, indicators, IndicatorRow};
use super::{in_effect, Clock};
use crate::domain::event::{Date, EventBody, GoalLevel, Status, TargetKind};
use crate::store::record::Recorded;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub code: String,
    pub title: String,
    pub status: Option<Status>,
    /// Activities: responsible, start and end.
    pub responsible: Option<String>,
    pub start: Option<Date>,
    pub end: Option<Date>,
    /// Goals: the indicators that follow the goal up, with the year's targets and measurements.
    pub indicators: Vec<IndicatorRow>,
    /// Goals: the assessment those indicators give (`projection::indicators::assessment`), beside
    /// the status recorded by hand.
    pub assessment: Option<Status>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitteeGoal {
    pub goal: Item,
    pub activities: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouncilGoal {
    pub goal: Item,
    pub committee_goals: Vec<CommitteeGoal>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FocusArea {
    pub name: String,
    pub council_goals: Vec<CouncilGoal>,
    /// Committee goals without a council goal above them.
    pub own_goals: Vec<CommitteeGoal>,
    pub assignments: Vec<Item>,
}

/// Number per status of one kind of item; `None` counts items with no status yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    pub kind: TargetKind,
    pub by_status: Vec<(Option<Status>, usize)>,
    pub total: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoalsReport {
    pub year: i32,
    pub focus_areas: Vec<FocusArea>,
    pub counts: Vec<Counts>,
}

fn item(code: &str, title: &str, statuses: &HashMap<String, Status>) -> Item {
    Item {
        code: code.to_string(),
        title: title.to_string(),
        status: statuses.get(code).copied(),
        responsible: None,
        start: None,
        end: None,
        indicators: Vec::new(),
        assessment: None,
    }
}

/// A goal's item: its status, its indicators and their assessment.
fn goal_item(
    code: &str,
    title: &str,
    statuses: &HashMap<String, Status>,
    by_goal: &HashMap<String, Vec<IndicatorRow>>,
) -> Item {
    let indicators = by_goal.get(code).cloned().unwrap_or_default();
    Item {
        assessment: assessment(&indicators),
        indicators,
        ..item(code, title, statuses)
    }
}

fn focus<'a>(areas: &'a mut Vec<FocusArea>, name: &str) -> &'a mut FocusArea {
    if let Some(i) = areas.iter().position(|f| f.name == name) {
        return &mut areas[i];
    }
    areas.push(FocusArea {
        name: name.to_string(),
        council_goals: vec![],
        own_goals: vec![],
        assignments: vec![],
    });
    areas.last_mut().expect("just pushed")
}

/// The goals of `year` (only those of `office` and council goals above them, when given) with
/// each item's latest status in effect under the clock.
pub fn goals(records: &[Recorded], year: i32, office: Option<&str>, clock: &Clock) -> GoalsReport {
    let effective = in_effect(records, clock);
    let statuses: HashMap<String, Status> = effective
        .iter()
        .filter_map(|r| match &r.event.body {
            EventBody::StatusUpdated { target, status, .. } => Some((target.clone(), *status)),
            _ => None,
        })
        .collect();
    let mut by_goal: HashMap<String, Vec<IndicatorRow>> = HashMap::new();
    for row in indicators(records, year, None, clock).rows {
        if let Some(g) = row.goal.clone() {
            by_goal.entry(g).or_default().push(row);
        }
    }
    let mine = |o: &Option<String>| office.is_none() || o.is_none() || o.as_deref() == office;
    let mut defs: Vec<&Recorded> = effective.to_vec();
    defs.sort_by_key(|r| r.seq);
    let mut areas: Vec<FocusArea> = Vec::new();
    let mut goal_focus: HashMap<String, String> = HashMap::new();
    for r in &defs {
        match &r.event.body {
            EventBody::GoalDefined {
                goal,
                level: GoalLevel::Council,
                focus_area,
                title,
                year: y,
                ..
            } if *y == year => {
                goal_focus.insert(goal.clone(), focus_area.clone());
                focus(&mut areas, focus_area)
                    .council_goals
                    .push(CouncilGoal {
                        goal: goal_item(goal, title, &statuses, &by_goal),
                        committee_goals: vec![],
                    });
            }
            EventBody::GoalDefined {
                goal,
                office: o,
                level: GoalLevel::Committee,
                parent,
                focus_area,
                title,
                year: y,
                ..
            } if *y == year && mine(o) => {
                goal_focus.insert(goal.clone(), focus_area.clone());
                let cg = CommitteeGoal {
                    goal: goal_item(goal, title, &statuses, &by_goal),
                    activities: vec![],
                };
                let fa = focus(&mut areas, focus_area);
                match parent
                    .as_ref()
                    .and_then(|p| fa.council_goals.iter_mut().find(|c| &c.goal.code == p))
                {
                    Some(council) => council.committee_goals.push(cg),
                    None => fa.own_goals.push(cg),
                }
            }
            EventBody::ActivityDefined {
                activity,
                goal,
                title,
                responsible,
                start,
                end,
                ..
            } => {
                let Some(fa_name) = goal_focus.get(goal) else {
                    continue;
                };
                let fa = focus(&mut areas, fa_name);
                let goals = fa
                    .council_goals
                    .iter_mut()
                    .flat_map(|c| c.committee_goals.iter_mut())
                    .chain(fa.own_goals.iter_mut());
                if let Some(cg) = goals.into_iter().find(|cg| &cg.goal.code == goal) {
                    let mut a = item(activity, title, &statuses);
                    a.responsible = Some(responsible.clone());
                    a.start = Some(*start);
                    a.end = Some(*end);
                    cg.activities.push(a);
                }
            }
            EventBody::AssignmentDefined {
                assignment,
                office: o,
                title,
                focus_area,
                year: y,
                ..
            } if *y == year && mine(o) => {
                focus(&mut areas, focus_area)
                    .assignments
                    .push(item(assignment, title, &statuses));
            }
            _ => {}
        }
    }
    let counts = count_tables(&areas);
    GoalsReport {
        year,
        focus_areas: areas,
        counts,
    }
}

fn count(kind: TargetKind, items: &[&Item], statuses: &[Status]) -> Counts {
    let mut by_status: Vec<(Option<Status>, usize)> = statuses
        .iter()
        .map(|s| {
            (
                Some(*s),
                items.iter().filter(|i| i.status == Some(*s)).count(),
            )
        })
        .collect();
    let none = items.iter().filter(|i| i.status.is_none()).count();
    if none > 0 {
        by_status.push((None, none));
    }
    Counts {
        kind,
        by_status,
        total: items.len(),
    }
}

fn count_tables(areas: &[FocusArea]) -> Vec<Counts> {
    let committee: Vec<&CommitteeGoal> = areas
        .iter()
        .flat_map(|f| {
            f.council_goals
                .iter()
                .flat_map(|c| c.committee_goals.iter())
                .chain(f.own_goals.iter())
        })
        .collect();
    let activities: Vec<&Item> = committee.iter().flat_map(|c| c.activities.iter()).collect();
    let assignments: Vec<&Item> = areas.iter().flat_map(|f| f.assignments.iter()).collect();
    let goals: Vec<&Item> = committee.iter().map(|c| &c.goal).collect();
    let work = [Status::NotStarted, Status::Started, Status::Done];
    vec![
        count(TargetKind::Activity, &activities, &work),
        count(TargetKind::Assignment, &assignments, &work),
        count(
            TargetKind::Goal,
            &goals,
            &[Status::Met, Status::PartlyMet, Status::NotMet],
        ),
    ]
}
