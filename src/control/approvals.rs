//! Four eyes (*attest*): which entries need an attest, and whether each has one by someone other
//! than the person who recorded it. The control rule (`rules.rs`) reports the entries without one;
//! the approver's list (`GET /api/pending`) shows them to be attested. Pure: records in, answers out.
//!
//! An entry needs an attest when it carries a decision, is in effect (not corrected) and was not
//! transcribed from earlier documents (`import --backfill`). People are compared by their
//! normalised name ([`person_key`]), as validation does when it refuses an attest of one's own entry.

use crate::domain::event::EventBody;
use crate::domain::text::person_key;
use crate::projection::{corrected_ids, Clock};
use crate::store::record::Recorded;
use std::collections::HashMap;

/// Where an entry stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attest<'a> {
    /// Nobody has attested it.
    Never,
    /// Attested only by the person who recorded it (possible in a ledger written before
    /// validation refused it): these attests.
    OwnOnly(Vec<&'a Recorded>),
    /// Attested by someone else.
    ByOther,
}

/// Whether `r` needs an attest (given that it is in effect).
pub fn needs_attest(r: &Recorded) -> bool {
    r.event.body.decision().is_some() && r.event.provenance.backfill.is_none()
}

/// The attests in `live` of each entry they name.
pub fn attests<'a>(live: &[&'a Recorded]) -> HashMap<uuid::Uuid, Vec<&'a Recorded>> {
    let mut out: HashMap<uuid::Uuid, Vec<&Recorded>> = HashMap::new();
    for r in live {
        if let EventBody::Approved { event, .. } = &r.event.body {
            out.entry(*event).or_default().push(r);
        }
    }
    out
}

/// Where `r` stands, given every attest.
pub fn state<'a>(r: &Recorded, attests: &HashMap<uuid::Uuid, Vec<&'a Recorded>>) -> Attest<'a> {
    match attests.get(&r.event.id) {
        None => Attest::Never,
        Some(by) => {
            let recorder = person_key(&r.recorded_by);
            if by.iter().all(|a| person_key(&a.recorded_by) == recorder) {
                Attest::OwnOnly(by.clone())
            } else {
                Attest::ByOther
            }
        }
    }
}

/// The entries awaiting an attest, of `year` or of every year, in log order.
pub fn pending(records: &[Recorded], year: Option<i32>) -> Vec<&Recorded> {
    let corrected = corrected_ids(records, &Clock::default());
    let live: Vec<&Recorded> = records
        .iter()
        .filter(|r| !corrected.contains(&r.event.id))
        .collect();
    let attests = attests(&live);
    live.into_iter()
        .filter(|r| year.is_none_or(|y| r.event.body.year() == Some(y)))
        .filter(|r| needs_attest(r))
        .filter(|r| state(r, &attests) != Attest::ByOther)
        .collect()
}
