//! Swedish number formats: space as thousands separator, decimal comma, a real minus sign on the
//! terminal. Rounding is half away from zero (see `Amount::rounded`), applied only here.

use crate::domain::amount::{Amount, Unit};

/// Which way round the sources print signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sign {
    /// Net cost positive, net income negative (the 2014 annual report's convention).
    #[default]
    Cost,
    /// Revenue positive, costs and net frames negative (the 2017 plan's convention).
    Result,
}

impl Sign {
    /// The convention in words, as files state it beside their figures (`Tecken: kostnad positiv`).
    pub fn label(self) -> &'static str {
        match self {
            Sign::Cost => "kostnad positiv",
            Sign::Result => "kostnad negativ",
        }
    }
}

/// How to print money: unit, decimals, sign convention, and which minus sign to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub unit: Unit,
    pub decimals: u32,
    pub sign: Sign,
    /// `−` (U+2212) for people; `-` for CSV so spreadsheets read numbers as numbers.
    pub typographic_minus: bool,
    /// Thousands separator: a space for people, none for CSV.
    pub group: Option<char>,
}

impl Style {
    pub fn terminal(unit: Unit, decimals: u32, sign: Sign) -> Style {
        Style {
            unit,
            decimals,
            sign,
            typographic_minus: true,
            group: Some(' '),
        }
    }
    pub fn csv(unit: Unit, decimals: u32, sign: Sign) -> Style {
        Style {
            unit,
            decimals,
            sign,
            typographic_minus: false,
            group: None,
        }
    }
}

/// `amount` (in the ledger's net-cost convention) as `sign` shows it: negated under
/// [`Sign::Result`] when it `flips`.
pub fn signed(amount: Amount, flips: bool, sign: Sign) -> Amount {
    if flips && sign == Sign::Result {
        -amount
    } else {
        amount
    }
}

/// Formats `amount` (in the ledger's net-cost convention). `flips` says whether the amount follows
/// the sign convention (frames, costs, revenue) or keeps its sign in both (deviations, increases).
pub fn money(amount: Amount, flips: bool, style: &Style) -> String {
    let shown = signed(amount, flips, style.sign);
    // Beyond the öre there is nothing to round: show the öre and pad with zeros.
    let exact = style.decimals.min(style.unit.decimals_max());
    let mut text = grouped(shown.rounded(style.unit, exact), exact, style);
    if style.decimals > exact {
        if exact == 0 {
            text.push(',');
        }
        text.push_str(&"0".repeat((style.decimals - exact) as usize));
    }
    text
}

/// An amount in `unit` exactly, the Swedish way, with the decimals it needs and no more:
/// `477 569`, `−1 325,8`, `0,00001` (tkr).
pub fn exact(amount: Amount, unit: Unit) -> String {
    let ore = amount.ore().unsigned_abs();
    let unit_ore = unit.ore().unsigned_abs() as u128;
    let decimals = (0..unit.decimals_max())
        .find(|d| ore.is_multiple_of(unit_ore / 10u128.pow(*d)))
        .unwrap_or(unit.decimals_max());
    money(amount, false, &Style::terminal(unit, decimals, Sign::Cost))
}

/// Formats an integer that counts `10^-decimals` units.
fn grouped(scaled: i128, decimals: u32, style: &Style) -> String {
    let negative = scaled < 0;
    let digits = scaled.unsigned_abs().to_string();
    let d = decimals as usize;
    let digits = if digits.len() <= d {
        format!("{}{digits}", "0".repeat(d + 1 - digits.len()))
    } else {
        digits
    };
    let (int, frac) = digits.split_at(digits.len() - d);
    let mut out = String::new();
    if negative {
        out.push(if style.typographic_minus {
            '\u{2212}'
        } else {
            '-'
        });
    }
    crate::lang::push_grouped(&mut out, int, style.group);
    if d > 0 {
        out.push(',');
        out.push_str(frac);
    }
    out
}

/// A share as a whole percent, rounded half away from zero: `85 %`.
pub fn percent(part: usize, total: usize) -> String {
    if total == 0 {
        return "–".to_string();
    }
    let p = (part * 200 + total) / (2 * total);
    format!("{p} %")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tkr(s: &str) -> Amount {
        Amount::parse(s, Unit::Tkr).unwrap()
    }

    #[test]
    fn formats_like_the_sources() {
        let t1 = Style::terminal(Unit::Tkr, 1, Sign::Cost);
        assert_eq!(money(tkr("-1325.76"), true, &t1), "\u{2212}1 325,8");
        assert_eq!(money(tkr("187602"), true, &t1), "187 602,0");
        assert_eq!(money(tkr("0.04"), true, &t1), "0,0");
        let t0 = Style::terminal(Unit::Tkr, 0, Sign::Result);
        assert_eq!(money(tkr("477569"), true, &t0), "\u{2212}477 569");
        assert_eq!(money(tkr("11942"), false, &t0), "11 942");
        let csv = Style::csv(Unit::Tkr, 1, Sign::Cost);
        assert_eq!(money(tkr("-1325.76"), true, &csv), "-1325,8");
        assert_eq!(
            money(
                Amount::from_ore(5),
                true,
                &Style::terminal(Unit::Kr, 2, Sign::Cost)
            ),
            "0,05"
        );
        assert_eq!(
            money(
                Amount::from_kr(477_569_000),
                true,
                &Style::terminal(Unit::Mnkr, 1, Sign::Cost)
            ),
            "477,6"
        );
    }

    #[test]
    fn percent_rounds_half_up() {
        assert_eq!(percent(50, 59), "85 %");
        assert_eq!(percent(8, 59), "14 %");
        assert_eq!(percent(1, 59), "2 %");
        assert_eq!(percent(0, 0), "–");
    }
}
