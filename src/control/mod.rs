//! Internal control: verifying the hash chain, the head digest a revisor keeps elsewhere.

pub mod verify;
