//! rambok: a ledger of municipal budget decisions. Every decision is an immutable event in an
//! embedded store; projections rebuild budget tables and goal status for any date.
//!
//! The public face: open a [`ledger::Ledger`], append events through its one write path, and fold
//! its records with the projections in [`projection`]. See `docs/ARCHITECTURE.md`.

pub mod cli;
pub mod control;
pub mod domain;
pub mod gen;
pub mod index;
pub mod json;
pub mod lang;
pub mod ledger;
pub mod projection;
pub mod query;
pub mod report;
pub mod server;
pub mod sheet;
pub mod store;
