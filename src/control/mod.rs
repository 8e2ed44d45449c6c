//! Internal control: verifying the hash chain and the head digest a revisor keeps elsewhere; the
//! delegation table; the control rules.

pub mod delegation;
pub mod rules;
pub mod verify;
