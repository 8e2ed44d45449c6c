//! An indicator's figure (*målvärde*, *mätning*): an exact decimal such as 3,5 (%) or 2 500
//! (bostäder), never a float, with the direction that says which side of a target is good.
//!
//! **Invariant:** a `Measure` is stored normalised (no trailing zeros in its fraction), so
//! `"3.5"` and `"3.50"` are one value and one content id; its mantissa fits an `i64` and it has at
//! most [`Measure::DECIMALS_MAX`] decimals.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An exact decimal: `mantissa × 10^−scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Measure {
    mantissa: i64,
    scale: u8,
}

/// Why a text is not a measure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeasureError {
    #[error("'{0}' är inget tal (skriv till exempel \"3.5\" eller \"2500\")")]
    NotANumber(String),
    #[error("'{0}' har fler än {max} decimaler", max = Measure::DECIMALS_MAX)]
    TooManyDecimals(String),
    #[error("'{0}' är för stort: högst 18 siffror")]
    TooLarge(String),
}

impl Measure {
    /// The most decimals a measure may have.
    pub const DECIMALS_MAX: u8 = 9;

    /// Parses a plain decimal string: digits, at most one `.`, an optional leading `-`.
    pub fn parse(text: &str) -> Result<Measure, MeasureError> {
        let t = text.trim();
        let not = || MeasureError::NotANumber(text.to_string());
        let digits = t.strip_prefix('-').unwrap_or(t);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let plain = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !plain(int)
            || !plain(frac)
            || (digits.contains('.') && frac.is_empty())
        {
            return Err(not());
        }
        if t.len() > 40 {
            return Err(MeasureError::TooLarge(text.to_string()));
        }
        let d = Decimal::from_str_exact(t).map_err(|_| MeasureError::TooLarge(text.to_string()))?;
        Measure::from_decimal(d).ok_or_else(|| {
            if d.normalize().scale() > u32::from(Measure::DECIMALS_MAX) {
                MeasureError::TooManyDecimals(text.to_string())
            } else {
                MeasureError::TooLarge(text.to_string())
            }
        })
    }

    fn from_decimal(d: Decimal) -> Option<Measure> {
        let d = d.normalize();
        let scale = u8::try_from(d.scale()).ok()?;
        if scale > Measure::DECIMALS_MAX {
            return None;
        }
        let mantissa = i64::try_from(d.mantissa()).ok()?;
        Some(Measure { mantissa, scale })
    }

    pub fn decimal(self) -> Decimal {
        Decimal::new(self.mantissa, u32::from(self.scale))
    }

    /// The value as JSON holds it: `"3.5"`, `"2500"`, `"-0.25"`.
    pub fn plain(self) -> String {
        self.decimal().to_string()
    }

    /// The value as a Swedish table shows it, exactly: decimal comma, `−` for minus, no grouping
    /// (so a spreadsheet opening the CSV reads a number): `3,5`, `2500`, `−0,25`.
    pub fn swedish(self) -> String {
        let plain = self.plain().replace('.', ",");
        match plain.strip_prefix('-') {
            Some(rest) => format!("\u{2212}{rest}"),
            None => plain,
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.swedish())
    }
}

impl PartialOrd for Measure {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Measure {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.decimal().cmp(&other.decimal())
    }
}

impl Serialize for Measure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.mantissa, self.scale).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Measure {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (mantissa, scale) = <(i64, u8)>::deserialize(d)?;
        let m = Measure { mantissa, scale };
        // A stored measure is normalised; anything else was not written by rambok. The scale
        // is looked at first: a decimal of more than 28 places cannot even be built.
        if scale > Measure::DECIMALS_MAX || Measure::from_decimal(m.decimal()) != Some(m) {
            return Err(serde::de::Error::custom(format!(
                "{mantissa}e-{scale} är inget normaliserat mätvärde"
            )));
        }
        Ok(m)
    }
}

/// Which side of the target meets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// The value must be at least the target (*minst*).
    Higher,
    /// The value must be at most the target (*högst*).
    Lower,
}

impl Direction {
    pub const ALL: [(Direction, &'static str); 2] =
        [(Direction::Higher, "higher"), (Direction::Lower, "lower")];

    pub fn name(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }

    /// How a table says it: `minst`, `högst`.
    pub fn swedish(self) -> &'static str {
        match self {
            Direction::Higher => "minst",
            Direction::Lower => "högst",
        }
    }

    /// Whether `value` meets `target`; a value equal to the target meets it.
    pub fn meets(self, value: Measure, target: Measure) -> bool {
        match self {
            Direction::Higher => value >= target,
            Direction::Lower => value <= target,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Measure {
        Measure::parse(s).unwrap()
    }

    #[test]
    fn parses_exact_decimals_and_normalises_them() {
        assert_eq!(m("3.50"), m("3.5"));
        assert_eq!(m("3.5").plain(), "3.5");
        assert_eq!(m("2500").plain(), "2500");
        assert_eq!(m("-0.25").swedish(), "\u{2212}0,25");
        assert_eq!(m("0.000000001").plain(), "0.000000001");
        assert_eq!(m("-0").plain(), "0");
        // 0.1 + 0.2 is 0.3 exactly: no float anywhere.
        assert_eq!(m("0.3").decimal(), m("0.1").decimal() + m("0.2").decimal());
    }

    #[test]
    fn refuses_what_is_not_a_plain_decimal() {
        for bad in [
            "", "hög", "3,5", "1e3", "+1", "--1", "1.", ".5", "1 000", "NaN", "0x10",
        ] {
            assert!(
                matches!(Measure::parse(bad), Err(MeasureError::NotANumber(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Measure::parse("0.0000000001"),
            Err(MeasureError::TooManyDecimals(_))
        ));
        assert!(matches!(
            Measure::parse("99999999999999999999"),
            Err(MeasureError::TooLarge(_))
        ));
    }

    #[test]
    fn equal_to_the_target_meets_it_in_both_directions() {
        let cases = [
            (Direction::Lower, "3.4", "3.5", true),
            (Direction::Lower, "3.5", "3.5", true),
            (Direction::Lower, "3.6", "3.5", false),
            (Direction::Higher, "29.9", "30", false),
            (Direction::Higher, "30.0", "30", true),
            (Direction::Higher, "31", "30", true),
        ];
        for (dir, value, target, meets) in cases {
            assert_eq!(
                dir.meets(m(value), m(target)),
                meets,
                "{value} {dir:?} {target}"
            );
        }
    }

    #[test]
    fn a_stored_measure_must_be_normalised() {
        let opts = || {
            use bincode::Options;
            bincode::DefaultOptions::new().with_varint_encoding()
        };
        use bincode::Options;
        let bytes = opts().serialize(&(350i64, 2u8)).unwrap();
        assert!(opts().deserialize::<Measure>(&bytes).is_err());
        // A scale no decimal can have (found by the fuzz test of mutated records) is an error,
        // not a panic.
        let bytes = opts().serialize(&(7i64, 49u8)).unwrap();
        assert!(opts().deserialize::<Measure>(&bytes).is_err());
        let bytes = opts().serialize(&m("3.5")).unwrap();
        assert_eq!(opts().deserialize::<Measure>(&bytes).unwrap(), m("3.5"));
    }
}
