//! Internal control: verifying the hash chain and the head digest a revisor keeps elsewhere; the
//! delegation table; the control rules (`goals.rs`: hand-recorded goal status against the
//! indicators' assessment).

pub mod delegation;
pub mod goals;
pub mod rules;
pub mod verify;
