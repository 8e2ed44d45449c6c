//! Swedish time. The ledger records moments in UTC; people read and write them in Swedish time
//! (Europe/Stockholm): CET, UTC+1, and in summer CEST, UTC+2. Here are the summer-time rule, the
//! one conversion every table uses to show a moment ([`shown`]), and the reading of a moment a
//! person writes (`--known-at`, `?known_at=`: [`parse_moment`]).
//!
//! **The rule** (the EU's, Sweden's since 1996): summer time runs from 01:00 UTC on the last Sunday
//! of March to 01:00 UTC on the last Sunday of October. It is applied to every year; the ledger
//! records moments as they happen, so none lies before the rule.
//!
//! **A moment means the end of what it names**: `2017-01-15` is the last microsecond of that day in
//! Swedish time, `2017-01-15 13:05` the last of that minute, `…13:05:07` the last of that second.
//! So `--known-at T` keeps exactly the events whose recording time, written as precisely as T,
//! is T or earlier: a time copied from `rambok log` includes the event it was copied from.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use std::fmt;

/// The zone in force in Sweden at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// Central European Time, UTC+1: winter.
    Cet,
    /// Central European Summer Time, UTC+2.
    Cest,
}

impl Zone {
    pub fn name(self) -> &'static str {
        match self {
            Zone::Cet => "CET",
            Zone::Cest => "CEST",
        }
    }

    /// Local time minus UTC.
    pub fn offset(self) -> Duration {
        match self {
            Zone::Cet => Duration::hours(1),
            Zone::Cest => Duration::hours(2),
        }
    }
}

/// 01:00 UTC on the last Sunday of `month` (March or October: both have 31 days).
fn last_sunday_1h_utc(year: i32, month: u32) -> Option<NaiveDateTime> {
    let last = NaiveDate::from_ymd_opt(year, month, 31)?;
    let back = i64::from(last.weekday().num_days_from_sunday());
    (last - Duration::days(back)).and_hms_opt(1, 0, 0)
}

/// The zone in force in Sweden at `t`.
pub fn zone_at(t: DateTime<Utc>) -> Zone {
    let t = t.naive_utc();
    let start = last_sunday_1h_utc(t.year(), 3);
    let end = last_sunday_1h_utc(t.year(), 10);
    match (start, end) {
        (Some(start), Some(end)) if start <= t && t < end => Zone::Cest,
        _ => Zone::Cet,
    }
}

/// `t` as a Swedish wall-clock reading and the zone it is in.
pub fn to_swedish(t: DateTime<Utc>) -> (NaiveDateTime, Zone) {
    let zone = zone_at(t);
    (t.naive_utc() + zone.offset(), zone)
}

/// A moment as every table and the page show it: Swedish time to the second with its zone,
/// `2026-12-01 18:21:32 CET`, `2026-07-01 14:00:00 CEST`. JSON keeps RFC 3339 in UTC.
pub fn shown(t: DateTime<Utc>) -> String {
    let (local, zone) = to_swedish(t);
    format!("{} {}", local.format("%Y-%m-%d %H:%M:%S"), zone.name())
}

/// The Swedish date of a moment, `2026-12-01`.
pub fn shown_date(t: DateTime<Utc>) -> String {
    to_swedish(t).0.format("%Y-%m-%d").to_string()
}

/// Why a Swedish wall-clock reading is not one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalError {
    /// In the hour skipped when summer time starts (02:00–03:00 on the last Sunday of March).
    Skipped,
    /// In the hour lived twice when summer time ends (02:00–03:00 on the last Sunday of October).
    Twice,
}

/// The moment a Swedish wall-clock reading names.
pub fn from_swedish(local: NaiveDateTime) -> Result<DateTime<Utc>, LocalError> {
    let fits = |zone: Zone| {
        let t = (local - zone.offset()).and_utc();
        (zone_at(t) == zone).then_some(t)
    };
    match (fits(Zone::Cest), fits(Zone::Cet)) {
        (Some(t), None) | (None, Some(t)) => Ok(t),
        (Some(_), Some(_)) => Err(LocalError::Twice),
        (None, None) => Err(LocalError::Skipped),
    }
}

/// Why a text is not a moment; the message names the text and lists the forms accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MomentError {
    pub given: String,
    pub problem: String,
}

/// The forms [`parse_moment`] reads, for messages and help.
pub const MOMENT_FORMS: &str = "ett datum, 2017-01-15 (slutet av den dagen i svensk tid), \
en tid som rambok skriver den, 2017-01-15 13:05:07 CET (CET eller CEST, eller ingen zon för svensk tid), \
eller RFC 3339 med valfri förskjutning, 2017-01-15T12:05:07Z, 2017-01-15T13:05:07.123456+01:00";

impl fmt::Display for MomentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' {}; skriv {MOMENT_FORMS}",
            self.given.escape_debug(),
            self.problem
        )
    }
}

/// How a written time says where it is.
enum Offset {
    /// No zone: Swedish time.
    Swedish,
    /// A fixed offset from UTC: `Z`, `UTC`, `+01:00`, `CET`, `CEST`.
    Fixed(Duration),
}

/// Reads a moment as a person or a program writes it (see the module docs for what it means):
/// `YYYY-MM-DD`; `YYYY-MM-DD HH:MM[:SS[.fraction]]` with `T` or a space between, then nothing
/// (Swedish time), `Z`, `UTC`, `CET`, `CEST` or `±HH:MM`, optionally after a space.
pub fn parse_moment(text: &str) -> Result<DateTime<Utc>, MomentError> {
    let error = |problem: &str| MomentError {
        given: text.to_string(),
        problem: problem.to_string(),
    };
    let s = text.trim();
    let date = date_part(s).ok_or_else(|| error("är inte en tidpunkt"))?;
    let date = date.ok_or_else(|| error("är ett datum som inte finns"))?;
    let rest = &s[10..];
    if rest.is_empty() {
        let last = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
            .ok_or_else(|| error("är inte en tidpunkt"))?;
        return from_swedish(date.and_time(last)).map_err(|_| error("är inte en tidpunkt"));
    }
    let rest = rest
        .strip_prefix(['T', 't', ' '])
        .ok_or_else(|| error("är inte en tidpunkt"))?;
    let (time, span, rest) = time_part(rest).ok_or_else(|| error("är inte en tidpunkt"))?;
    let time = time.ok_or_else(|| error("är ett klockslag som inte finns"))?;
    let offset = offset_part(rest)
        .ok_or_else(|| error("har en annan zon än Z, UTC, CET, CEST eller ±HH:MM"))?;
    let local = date.and_time(time);
    let start = match offset {
        Offset::Fixed(offset) => (local - offset).and_utc(),
        Offset::Swedish => from_swedish(local).map_err(|e| match e {
            LocalError::Skipped => error(
                "finns inte i svensk tid (klockan ställs fram från 02:00 CET till 03:00 CEST den natten)",
            ),
            LocalError::Twice => error(
                "inträffar två gånger i svensk tid (klockan ställs tillbaka från 03:00 CEST till 02:00 CET den natten): lägg till CEST eller CET",
            ),
        })?,
    };
    Ok(start + span - Duration::microseconds(1))
}

/// The date at the start of `s`: `None` if it is not shaped `YYYY-MM-DD`, `Some(None)` if it is but
/// no such day exists.
fn date_part(s: &str) -> Option<Option<NaiveDate>> {
    let b = s.as_bytes();
    let shaped = b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    if !shaped {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    Some(NaiveDate::from_ymd_opt(y as i32, m, d))
}

/// `HH:MM[:SS[.fraction]]` at the start of `s`: the time (`None` if out of range), how long a span
/// its precision names (a minute, a second, a tenth …), and the rest of `s`.
fn time_part(s: &str) -> Option<(Option<NaiveTime>, Duration, &str)> {
    let two = |s: &str| -> Option<u32> {
        let d = s.get(..2)?;
        if d.bytes().all(|b| b.is_ascii_digit()) {
            d.parse().ok()
        } else {
            None
        }
    };
    let hour = two(s)?;
    let minute = two(s.get(2..)?.strip_prefix(':')?)?;
    let mut rest = &s[5..];
    let (mut second, mut micro) = (0, 0);
    let mut span = Duration::minutes(1);
    if let Some(r) = rest.strip_prefix(':') {
        second = two(r)?;
        rest = &r[2..];
        span = Duration::seconds(1);
        if let Some(r) = rest.strip_prefix(['.', ',']) {
            let len = r.bytes().take_while(u8::is_ascii_digit).count();
            if len == 0 || len > 9 {
                return None;
            }
            let kept = len.min(6) as u32;
            micro = r[..kept as usize].parse::<u32>().ok()? * 10u32.pow(6 - kept);
            span = Duration::microseconds(10i64.pow(6 - kept));
            rest = &r[len..];
        }
    }
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micro).filter(|_| second < 60);
    Some((time, span, rest))
}

/// What follows the time: nothing, or a zone.
fn offset_part(s: &str) -> Option<Offset> {
    let zone = s.strip_prefix(' ').unwrap_or(s);
    if s.is_empty() {
        return Some(Offset::Swedish);
    }
    match zone.to_ascii_uppercase().as_str() {
        "Z" | "UTC" => return Some(Offset::Fixed(Duration::zero())),
        "CET" => return Some(Offset::Fixed(Zone::Cet.offset())),
        "CEST" => return Some(Offset::Fixed(Zone::Cest.offset())),
        _ => {}
    }
    let (sign, hm) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let b = hm.as_bytes();
    if b.len() != 5
        || b[2] != b':'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
    {
        return None;
    }
    let (h, m) = (hm[..2].parse::<i64>().ok()?, hm[3..].parse::<i64>().ok()?);
    (h < 24 && m < 60).then(|| Offset::Fixed(Duration::minutes(sign * (h * 60 + m))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn summer_time_starts_and_ends_at_one_utc_on_the_last_sundays() {
        // 2026: the last Sunday of March is the 29th, of October the 25th.
        for (at, zone) in [
            ("2026-01-15T12:00:00Z", Zone::Cet),
            ("2026-03-29T00:59:59.999999Z", Zone::Cet),
            ("2026-03-29T01:00:00Z", Zone::Cest),
            ("2026-07-01T12:00:00Z", Zone::Cest),
            ("2026-10-25T00:59:59.999999Z", Zone::Cest),
            ("2026-10-25T01:00:00Z", Zone::Cet),
            ("2026-12-31T23:30:00Z", Zone::Cet),
            // 2016: March 27 and October 30; 2017: March 26 and October 29.
            ("2016-03-27T00:30:00Z", Zone::Cet),
            ("2016-03-27T01:30:00Z", Zone::Cest),
            ("2016-10-30T00:30:00Z", Zone::Cest),
            ("2016-10-30T01:30:00Z", Zone::Cet),
            ("2017-03-26T01:00:00Z", Zone::Cest),
            ("2017-10-29T01:00:00Z", Zone::Cet),
        ] {
            assert_eq!(zone_at(utc(at)), zone, "{at}");
        }
    }

    #[test]
    fn shown_in_swedish_time_with_the_zone_named() {
        for (at, expected) in [
            ("2026-12-01T17:21:32.123456Z", "2026-12-01 18:21:32 CET"),
            ("2026-07-01T12:00:00Z", "2026-07-01 14:00:00 CEST"),
            ("2026-12-31T23:30:00Z", "2027-01-01 00:30:00 CET"),
            // Spring: 01:59:59 CET is followed by 03:00:00 CEST.
            ("2026-03-29T00:59:59Z", "2026-03-29 01:59:59 CET"),
            ("2026-03-29T01:00:00Z", "2026-03-29 03:00:00 CEST"),
            // Autumn: 02:59:59 CEST is followed by 02:00:00 CET.
            ("2026-10-25T00:59:59Z", "2026-10-25 02:59:59 CEST"),
            ("2026-10-25T01:00:00Z", "2026-10-25 02:00:00 CET"),
        ] {
            assert_eq!(shown(utc(at)), expected, "{at}");
        }
        assert_eq!(shown_date(utc("2026-12-31T23:30:00Z")), "2027-01-01");
    }

    #[test]
    fn a_swedish_reading_on_the_switch_days_is_one_moment_none_or_two() {
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            from_swedish(local("2026-03-29 01:59:59")),
            Ok(utc("2026-03-29T00:59:59Z"))
        );
        assert_eq!(
            from_swedish(local("2026-03-29 02:30:00")),
            Err(LocalError::Skipped)
        );
        assert_eq!(
            from_swedish(local("2026-03-29 03:00:00")),
            Ok(utc("2026-03-29T01:00:00Z"))
        );
        assert_eq!(
            from_swedish(local("2026-10-25 01:59:59")),
            Ok(utc("2026-10-24T23:59:59Z"))
        );
        assert_eq!(
            from_swedish(local("2026-10-25 02:30:00")),
            Err(LocalError::Twice)
        );
        assert_eq!(
            from_swedish(local("2026-10-25 03:00:00")),
            Ok(utc("2026-10-25T02:00:00Z"))
        );
    }

    #[test]
    fn a_moment_is_read_in_every_form_and_means_the_end_of_what_it_names() {
        for (given, expected) in [
            // A date: its last microsecond in Swedish time, winter and summer, and on both
            // switch days (23 and 25 hours long).
            ("2016-11-22", "2016-11-22T22:59:59.999999Z"),
            ("2016-07-01", "2016-07-01T21:59:59.999999Z"),
            ("2026-03-29", "2026-03-29T21:59:59.999999Z"),
            ("2026-10-25", "2026-10-25T22:59:59.999999Z"),
            ("2026-03-28", "2026-03-28T22:59:59.999999Z"),
            ("2026-10-24", "2026-10-24T21:59:59.999999Z"),
            // As rambok's tables print it, and the same without a zone (Swedish time).
            ("2026-12-01 18:21:32 CET", "2026-12-01T17:21:32.999999Z"),
            ("2026-07-01 14:00:00 CEST", "2026-07-01T12:00:00.999999Z"),
            ("2026-12-01 18:21:32", "2026-12-01T17:21:32.999999Z"),
            ("2026-07-01 14:00", "2026-07-01T12:00:59.999999Z"),
            ("2026-10-25 02:30:00 CEST", "2026-10-25T00:30:00.999999Z"),
            ("2026-10-25 02:30:00 CET", "2026-10-25T01:30:00.999999Z"),
            // An old caption's UTC, RFC 3339 with any offset, and rambok's JSON.
            ("2026-12-01 17:21:32 UTC", "2026-12-01T17:21:32.999999Z"),
            ("2026-12-01T17:21:32Z", "2026-12-01T17:21:32.999999Z"),
            ("2026-12-01t17:21:32z", "2026-12-01T17:21:32.999999Z"),
            ("2026-12-01T17:21:32.123456Z", "2026-12-01T17:21:32.123456Z"),
            ("2026-12-01T17:21:32.1Z", "2026-12-01T17:21:32.199999Z"),
            (
                "2026-12-01T17:21:32.123456789Z",
                "2026-12-01T17:21:32.123456Z",
            ),
            ("2026-12-01T18:21:32+01:00", "2026-12-01T17:21:32.999999Z"),
            ("2026-12-01T12:21:32-05:00", "2026-12-01T17:21:32.999999Z"),
            ("2026-12-01T17:21:32.5+00:00", "2026-12-01T17:21:32.599999Z"),
            (" 2016-11-22 ", "2016-11-22T22:59:59.999999Z"),
        ] {
            assert_eq!(parse_moment(given), Ok(utc(expected)), "{given}");
        }
    }

    #[test]
    fn a_moment_that_is_not_one_is_named_with_the_forms_accepted() {
        for (given, problem) in [
            ("igår", "är inte en tidpunkt"),
            ("", "är inte en tidpunkt"),
            ("2016-02-30", "är ett datum som inte finns"),
            ("2016-11-22T25:00:00Z", "är ett klockslag som inte finns"),
            ("2016-11-22T23:59:60Z", "är ett klockslag som inte finns"),
            ("2016-11-22T12:00:00 PST", "har en annan zon än"),
            ("2016-11-22T12:00:00+1", "har en annan zon än"),
            ("2016-11-22T12", "är inte en tidpunkt"),
            ("2016-11-22X12:00", "är inte en tidpunkt"),
            ("2016-11-22T12:00:00.", "är inte en tidpunkt"),
            ("2016-1-22", "är inte en tidpunkt"),
            ("22/11 2016", "är inte en tidpunkt"),
            ("2026-03-29 02:30:00", "finns inte i svensk tid"),
            ("2026-10-25 02:30:00", "inträffar två gånger i svensk tid"),
        ] {
            let e = parse_moment(given).unwrap_err();
            let message = e.to_string();
            assert!(message.contains(problem), "{given}: {message}");
            assert!(
                message.starts_with(&format!("'{}'", given.escape_debug())),
                "{message}"
            );
            assert!(
                message.contains("RFC 3339") && message.contains("CET"),
                "{message}"
            );
        }
    }
}
