//! The pure core: amounts, events and decisions, and the validation rules. No IO, no clock, no
//! storage: every rule here is testable with plain values.

pub mod amount;
pub mod calendar;
pub mod claim;
pub mod codec;
pub mod effect;
pub mod event;
pub mod field;
pub mod measure;
pub mod text;
pub mod time;
pub mod validate;
