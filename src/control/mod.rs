//! Internal control: four eyes (`approvals.rs`: which entries await an attest); verifying the hash chain and the head digest a revisor keeps elsewhere; the
//! delegation table; the control rules (`goals.rs`: hand-recorded goal status against the
//! indicators' assessment; `reconcile.rs`: published figures against the ledger's).

pub mod approvals;
pub mod delegation;
pub mod goals;
mod reconcile;
pub mod rules;
pub mod verify;
