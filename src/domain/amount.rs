//! Money: exact amounts in öre, their units, parsing from decimal strings and Swedish figures, and
//! rounding for display (half away from zero, never banker's rounding).
//!
//! **Invariant:** an `Amount` is a whole number of öre. Nothing in the ledger ever holds a float.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An exact amount of money in öre (1 kr = 100 öre). Sign follows the ledger's convention:
/// net cost, positive = money granted or spent.
///
/// One event's amount is at most [`Amount::MAX`] and is stored as an i64; sums are kept in an
/// i128, so no number of events can make a total wrap around.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i128);

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ore = i64::try_from(self.0)
            .map_err(|_| serde::ser::Error::custom("ett lagrat belopp ligger utanför ±10^15 kr"))?;
        s.serialize_i64(ore)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Amount(i64::deserialize(d)? as i128))
    }
}

/// The unit an amount is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Unit {
    #[default]
    Kr,
    Tkr,
    Mnkr,
}

impl Unit {
    pub fn parse(s: &str) -> Option<Unit> {
        match s {
            "kr" => Some(Unit::Kr),
            "tkr" => Some(Unit::Tkr),
            "mnkr" => Some(Unit::Mnkr),
            _ => None,
        }
    }

    /// Öre in one of this unit.
    pub fn ore(self) -> i64 {
        match self {
            Unit::Kr => 100,
            Unit::Tkr => 100_000,
            Unit::Mnkr => 100_000_000,
        }
    }

    /// The most decimals an amount in this unit can have: down to the öre.
    pub fn decimals_max(self) -> u32 {
        match self {
            Unit::Kr => 2,
            Unit::Tkr => 5,
            Unit::Mnkr => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Unit::Kr => "kr",
            Unit::Tkr => "tkr",
            Unit::Mnkr => "mnkr",
        }
    }
}

/// Why a figure could not become an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("'{0}' är inte ett tal (skriv till exempel '477569' eller '-1325.8')")]
    NotANumber(String),
    #[error("'{0}' har delar av öre: belopp anges exakt på öret")]
    FractionOfOre(String),
    #[error("'{0}' är för stort: belopp får vara högst ±{max} kr", max = crate::lang::count((Amount::MAX.0 / 100) as u64))]
    TooLarge(String),
}

impl Amount {
    pub const ZERO: Amount = Amount(0);
    /// The largest amount the ledger accepts: 10^15 kr, far above any municipal budget and far
    /// below i64's limit, so sums of a million of them cannot overflow.
    pub const MAX: Amount = Amount(100_000_000_000_000_000);

    pub const fn from_ore(ore: i64) -> Amount {
        Amount(ore as i128)
    }

    /// A computed amount (a sum), which may lie beyond what one event may hold.
    pub fn from_i128(ore: impl Into<i128>) -> Amount {
        Amount(ore.into())
    }

    pub const fn ore(self) -> i128 {
        self.0
    }

    pub fn from_kr(kr: i64) -> Amount {
        Amount(kr as i128 * 100)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Parses a plain decimal string (`.` as decimal point, optional leading `-`), as used in
    /// JSON events, in the given unit.
    pub fn parse(text: &str, unit: Unit) -> Result<Amount, AmountError> {
        let t = text.trim();
        let plain = !t.is_empty()
            && t.chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')));
        if !plain || t.len() > 40 {
            return Err(AmountError::NotANumber(text.to_string()));
        }
        let d = Decimal::from_str_exact(t).map_err(|e| match e {
            rust_decimal::Error::ExceedsMaximumPossibleValue
            | rust_decimal::Error::LessThanMinimumPossibleValue
            | rust_decimal::Error::Underflow => AmountError::TooLarge(text.to_string()),
            _ => AmountError::NotANumber(text.to_string()),
        })?;
        Self::from_decimal(d, unit, text)
    }

    /// Parses a figure as a Swedish user writes it: space or no-break space as thousands separator,
    /// decimal comma (or point), `−` (U+2212) or `-` as minus. `"1 325,8"`, `"−469 265"`.
    pub fn parse_swedish(text: &str, unit: Unit) -> Result<Amount, AmountError> {
        Self::parse(&Self::plain_figure(text), unit).map_err(|e| match e {
            AmountError::NotANumber(_) => AmountError::NotANumber(text.to_string()),
            AmountError::FractionOfOre(_) => AmountError::FractionOfOre(text.to_string()),
            AmountError::TooLarge(_) => AmountError::TooLarge(text.to_string()),
        })
    }

    /// A figure as a Swedish user writes it, rewritten as the plain decimal string [`Amount::parse`]
    /// reads (and JSON events hold): grouping spaces dropped, decimal comma to point, `−` to `-`.
    /// `"−1 325,8"` becomes `"-1325.8"`. Nothing is checked here.
    pub fn plain_figure(text: &str) -> String {
        text.trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .map(|c| match c {
                ',' => '.',
                '\u{2212}' => '-',
                other => other,
            })
            .collect()
    }

    fn from_decimal(d: Decimal, unit: Unit, text: &str) -> Result<Amount, AmountError> {
        let ore = d
            .checked_mul(Decimal::from(unit.ore()))
            .ok_or_else(|| AmountError::TooLarge(text.to_string()))?;
        if !ore.fract().is_zero() {
            return Err(AmountError::FractionOfOre(text.to_string()));
        }
        let ore = ore
            .to_i128()
            .ok_or_else(|| AmountError::TooLarge(text.to_string()))?;
        if ore.abs() > Amount::MAX.0 {
            return Err(AmountError::TooLarge(text.to_string()));
        }
        Ok(Amount(ore))
    }

    /// The exact value in kronor as a decimal string without grouping: `"477569000"`, `"-1325.8"`
    /// is never produced here (öre are kept: `"1325.80"` becomes `"1325.8"`).
    pub fn to_kr_string(self) -> String {
        Decimal::from_i128_with_scale(self.0, 2)
            .normalize()
            .to_string()
    }

    /// Rounds to `decimals` places of `unit`, half away from zero, and returns the rounded value
    /// in hundredths-of-a-place integer form: the number of `10^-decimals` units.
    pub fn rounded(self, unit: Unit, decimals: u32) -> i128 {
        let step = (unit.ore() / 10i64.pow(decimals.min(unit.decimals_max()))).max(1) as i128;
        let q = self.0 / step;
        let r = self.0 % step;
        if r.abs() * 2 >= step {
            q + self.0.signum()
        } else {
            q
        }
    }
}

impl std::ops::Add for Amount {
    type Output = Amount;
    fn add(self, rhs: Amount) -> Amount {
        Amount(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Amount {
    type Output = Amount;
    fn sub(self, rhs: Amount) -> Amount {
        Amount(self.0 - rhs.0)
    }
}

impl std::ops::Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Amount {
        Amount(-self.0)
    }
}

impl std::ops::AddAssign for Amount {
    fn add_assign(&mut self, rhs: Amount) {
        self.0 += rhs.0;
    }
}

impl std::iter::Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Amount {
    /// Exact kronor, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} kr", self.to_kr_string())
    }
}

impl FromStr for Unit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Unit::parse(s).ok_or_else(|| format!("'{s}' är inte en enhet (använd kr, tkr eller mnkr)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_exactly() {
        assert_eq!(
            Amount::parse("477569", Unit::Tkr).unwrap().ore(),
            47_756_900_000
        );
        assert_eq!(
            Amount::parse("-1325.8", Unit::Tkr).unwrap().ore(),
            -132_580_000
        );
        assert_eq!(Amount::parse("0.01", Unit::Kr).unwrap().ore(), 1);
        assert_eq!(Amount::parse("2.5", Unit::Mnkr).unwrap().ore(), 250_000_000);
    }

    #[test]
    fn rejects_fractions_of_ore_and_garbage() {
        assert!(matches!(
            Amount::parse("0.001", Unit::Kr),
            Err(AmountError::FractionOfOre(_))
        ));
        assert!(matches!(
            Amount::parse("0.000001", Unit::Tkr),
            Err(AmountError::FractionOfOre(_))
        ));
        for bad in ["", "abc", "1e5", "1,5", "--1", "1 000", "NaN", "0x10"] {
            assert!(
                matches!(
                    Amount::parse(bad, Unit::Kr),
                    Err(AmountError::NotANumber(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            Amount::parse("79228162514264337593543950335", Unit::Kr),
            Err(AmountError::TooLarge(_))
        ));
        assert!(matches!(
            Amount::parse("1000000000000001", Unit::Kr),
            Err(AmountError::TooLarge(_))
        ));
    }

    #[test]
    fn parses_swedish_figures() {
        assert_eq!(
            Amount::parse_swedish("1 325,8", Unit::Tkr).unwrap().ore(),
            132_580_000
        );
        assert_eq!(
            Amount::parse_swedish("\u{2212}469\u{a0}265", Unit::Tkr)
                .unwrap()
                .ore(),
            -46_926_500_000
        );
    }

    #[test]
    fn rounds_half_away_from_zero() {
        // 0,05 tkr = 50 kr rounds away from zero at one decimal; banker's rounding would give 0,0.
        assert_eq!(Amount::from_kr(50).rounded(Unit::Tkr, 1), 1);
        assert_eq!(Amount::from_kr(-50).rounded(Unit::Tkr, 1), -1);
        assert_eq!(Amount::from_kr(49).rounded(Unit::Tkr, 1), 0);
        assert_eq!(Amount::from_kr(250).rounded(Unit::Tkr, 1), 3);
        assert_eq!(Amount::from_kr(1500).rounded(Unit::Tkr, 0), 2);
        assert_eq!(Amount::from_kr(2500).rounded(Unit::Tkr, 0), 3);
    }

    #[test]
    fn prints_exact_kronor() {
        assert_eq!(
            Amount::parse("477569", Unit::Tkr).unwrap().to_kr_string(),
            "477569000"
        );
        assert_eq!(
            Amount::parse("-0.5", Unit::Kr).unwrap().to_kr_string(),
            "-0.5"
        );
    }
}
