//! A delegation order: which bodies may decide which kind of budget event. A ledger holds its own
//! as `delegation_set` decisions, each in force from its date until the next (`Delegation::
//! from_event`); `control --delegation FILE` tries a year against an order kept as a JSON file
//! instead (the Kalmar one is `fixtures/kalmar/delegation.json`), so a municipality's rules are
//! data, not code.
//!
//! ```json
//! {
//!   "name": "Kalmar kommun: delegation in KF's budget decisions 2015 and 2016",
//!   "rules": {
//!     "frame_set": ["KF"],
//!     "transfer": ["KF", "KS", "kommundirektör"],
//!     "budget_line": ["KF", "$committee"]
//!   },
//!   "net_zero_only": ["kommundirektör"]
//! }
//! ```
//!
//! `$committee` stands for the committee responsible for the event's office (`office_defined`'s
//! `committee`). Event types without a rule may be decided by anyone. `net_zero_only` names bodies
//! whose delegation covers only net-zero moves between committees.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Delegation {
    pub name: String,
    pub rules: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub net_zero_only: Vec<String>,
}

pub const COMMITTEE: &str = "$committee";

impl Delegation {
    pub fn parse(text: &str) -> Result<Delegation, String> {
        let d: Delegation = serde_json::from_str(text).map_err(|e| {
            format!(
                "inte en delegationsordning: {}",
                crate::json::describe_json_error(&e)
            )
        })?;
        for kind in d.rules.keys() {
            if !crate::json::TYPE_NAMES.contains(&kind.as_str()) {
                return Err(format!("'{kind}' i rules är inte en händelsetyp"));
            }
        }
        Ok(d)
    }

    /// Whether `body` may decide an event of `kind` for an office whose committee is `committee`.
    pub fn allows(&self, kind: &str, body: &str, committee: Option<&str>) -> bool {
        match self.rules.get(kind) {
            None => true,
            Some(bodies) => bodies
                .iter()
                .any(|b| b == body || (b == COMMITTEE && committee == Some(body))),
        }
    }

    /// The order a `delegation_set` event decides.
    pub fn from_event(body: &crate::domain::event::EventBody) -> Option<Delegation> {
        match body {
            crate::domain::event::EventBody::DelegationSet {
                name,
                rules,
                net_zero_only,
                ..
            } => Some(Delegation {
                name: name.clone(),
                rules: rules
                    .iter()
                    .map(|r| (r.kind.clone(), r.bodies.clone()))
                    .collect(),
                net_zero_only: net_zero_only.clone(),
            }),
            _ => None,
        }
    }

    /// Whether the order has a rule for this event type.
    pub fn rules_on(&self, kind: &str) -> bool {
        self.rules.contains_key(kind)
    }

    pub fn allowed(&self, kind: &str) -> Vec<String> {
        self.rules.get(kind).cloned().unwrap_or_default()
    }
}
