//! The shapes of what a published document claims, as `reported`, `reported_parts` and
//! `reported_count` events hold them: a breakdown's parts, what a count counts, and which table
//! and column a figure comes from. Their names are the JSON's; the bytes are the events' own
//! (bincode, `super::codec`), so they never change.

use super::amount::Amount;
use serde::{Deserialize, Serialize};

/// One part of a published breakdown: its label and amount, as printed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Part {
    pub label: String,
    pub amount: Amount,
}

/// What a published count counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Counted {
    /// The office's activities of the year.
    Activities,
    /// The office's assignments (*uppdrag*) of the year.
    Assignments,
    /// The office's goals (*nämndsmål*) of the year.
    CommitteeGoals,
    /// The council goals that at least one of the office's goals breaks down.
    CouncilGoalsBrokenDown,
}

impl Counted {
    pub const ALL: [(Counted, &'static str); 4] = [
        (Counted::Activities, "activities"),
        (Counted::Assignments, "assignments"),
        (Counted::CommitteeGoals, "committee_goals"),
        (Counted::CouncilGoalsBrokenDown, "council_goals_broken_down"),
    ];
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("?", |(_, n)| n)
    }
}

/// Which published table a `reported` figure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportedTable {
    Frame,
    Budget,
    Outcome,
    Investments,
    /// The bridge from one year's frame to the next: rows `start`, `changes`, `transfers`,
    /// `total` (the change between the years), `frame`, or an office code (the net of the
    /// transfers with that office).
    Bridge,
}

/// Which column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportedColumn {
    Frame,
    Revenue,
    Cost,
    Net,
    Budget,
    Outcome,
    Deviation,
    /// *Skillnad*: the year's figure less the year before's (net, or budget for investments).
    Difference,
}

impl ReportedTable {
    pub const ALL: [(ReportedTable, &'static str); 5] = [
        (ReportedTable::Frame, "frame"),
        (ReportedTable::Budget, "budget"),
        (ReportedTable::Outcome, "outcome"),
        (ReportedTable::Investments, "investments"),
        (ReportedTable::Bridge, "bridge"),
    ];
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("?", |(_, n)| n)
    }
}

impl ReportedColumn {
    pub const ALL: [(ReportedColumn, &'static str); 8] = [
        (ReportedColumn::Frame, "frame"),
        (ReportedColumn::Revenue, "revenue"),
        (ReportedColumn::Cost, "cost"),
        (ReportedColumn::Net, "net"),
        (ReportedColumn::Budget, "budget"),
        (ReportedColumn::Outcome, "outcome"),
        (ReportedColumn::Deviation, "deviation"),
        (ReportedColumn::Difference, "difference"),
    ];
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("?", |(_, n)| n)
    }
}
