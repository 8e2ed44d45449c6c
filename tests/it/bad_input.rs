//! Bad input (being written).
