//! Internal control: four eyes (`approvals.rs`: which entries await an attest); verifying the hash
//! chain and the head digest a revisor keeps elsewhere; the delegation orders; the control rules
//! (`goals.rs`: hand-recorded goal status against the indicators' assessment; `reconcile.rs`:
//! published figures, breakdowns and table sums against the ledger's and each other; `claims.rs`:
//! published counts, shares and targets).

pub mod approvals;
mod claims;
pub mod delegation;
pub mod finding;
pub mod goals;
mod reconcile;
pub mod rules;
pub mod shown;
pub mod verify;
