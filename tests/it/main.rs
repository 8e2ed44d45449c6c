//! The one integration-test binary: features tested end to end, one module per concern.

mod a11y;
mod access;
mod accounts;
mod audit;
mod bad_input;
mod browser;
mod browser_accounts;
mod browser_forms;
mod browser_oidc;
mod browser_sheet;
mod catch_up;
mod cli;
mod control;
mod corpus;
mod engines;
mod exports;
mod forms;
mod holdup;
mod index;
mod indicators;
mod labels;
mod language;
mod layers;
mod ledger;
mod oidc;
mod pg;
mod props;
mod readme;
mod record;
mod reliability;
mod seeds;
mod server;
mod sheet;
mod tls;
mod user_cli;

/// How many events the Kalmar fixtures hold: the sequence number a ledger of them ends at.
pub fn kalmar_events() -> u64 {
    rambok::cli::demo::fixture_events().unwrap().len() as u64
}
