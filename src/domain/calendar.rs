//! The Swedish calendar of days off: weekends, the public holidays of *lag (1989:253) om allmänna
//! helgdagar* (Easter-dependent ones included), and the eves that Swedish law on time limits
//! treats as holidays (*lag (1930:173)*: midsommarafton, julafton, nyårsafton). A council or board
//! does not meet on them, so a decision dated on one is worth a second look. Pure: dates in, names
//! out.

use super::event::Date;
use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous algorithm of 1876).
pub fn easter_sunday(year: i32) -> Date {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // The formula yields March or April and a day that exists in it, for every year.
    Date(NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or(NaiveDate::MIN))
}

/// The first `weekday` on or after `from`.
fn first_on_or_after(from: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Duration::days(i64::from(ahead))
}

/// The name of the Swedish public holiday (or holiday eve) on `date`, if it is one.
pub fn holiday(date: Date) -> Option<&'static str> {
    let d = date.0;
    let y = d.year();
    let ymd = |m, day| NaiveDate::from_ymd_opt(y, m, day);
    let fixed = [
        (ymd(1, 1), "nyårsdagen"),
        (ymd(1, 6), "trettondedag jul"),
        (ymd(5, 1), "första maj"),
        (ymd(12, 24), "julafton"),
        (ymd(12, 25), "juldagen"),
        (ymd(12, 26), "annandag jul"),
        (ymd(12, 31), "nyårsafton"),
    ];
    if let Some((_, name)) = fixed.iter().find(|(f, _)| *f == Some(d)) {
        return Some(name);
    }
    // Nationaldagen replaced annandag pingst as a holiday in 2005.
    if y >= 2005 && ymd(6, 6) == Some(d) {
        return Some("Sveriges nationaldag");
    }
    let easter = easter_sunday(y).0;
    let after_easter = (d - easter).num_days();
    let moving = match after_easter {
        -2 => Some("långfredagen"),
        0 => Some("påskdagen"),
        1 => Some("annandag påsk"),
        39 => Some("Kristi himmelsfärdsdag"),
        49 => Some("pingstdagen"),
        50 if y < 2005 => Some("annandag pingst"),
        _ => None,
    };
    if moving.is_some() {
        return moving;
    }
    let midsummer_day = ymd(6, 20).map(|f| first_on_or_after(f, Weekday::Sat));
    if midsummer_day == Some(d) {
        return Some("midsommardagen");
    }
    if midsummer_day.map(|m| m - Duration::days(1)) == Some(d) {
        return Some("midsommarafton");
    }
    if ymd(10, 31).map(|f| first_on_or_after(f, Weekday::Sat)) == Some(d) {
        return Some("alla helgons dag");
    }
    None
}

/// Why no one decides on `date`: a holiday's name, `lördag` or `söndag`; `None` on a working day.
pub fn day_off(date: Date) -> Option<&'static str> {
    holiday(date).or(match date.0.weekday() {
        Weekday::Sat => Some("lördag"),
        Weekday::Sun => Some("söndag"),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn easter_on_known_dates() {
        for (year, easter) in [
            (1900, "1900-04-15"),
            (1954, "1954-04-18"),
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2013, "2013-03-31"),
            (2014, "2014-04-20"),
            (2016, "2016-03-27"),
            (2017, "2017-04-16"),
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter_sunday(year), date(easter), "{year}");
        }
    }

    #[test]
    fn swedish_holidays_on_known_dates() {
        for (day, name) in [
            ("2017-01-01", "nyårsdagen"),
            ("2017-01-06", "trettondedag jul"),
            ("2017-04-14", "långfredagen"),
            ("2017-04-16", "påskdagen"),
            ("2017-04-17", "annandag påsk"),
            ("2017-05-01", "första maj"),
            ("2017-05-25", "Kristi himmelsfärdsdag"),
            ("2017-06-04", "pingstdagen"),
            ("2017-06-06", "Sveriges nationaldag"),
            ("2017-06-23", "midsommarafton"),
            ("2017-06-24", "midsommardagen"),
            ("2017-11-04", "alla helgons dag"),
            ("2017-12-24", "julafton"),
            ("2017-12-25", "juldagen"),
            ("2017-12-26", "annandag jul"),
            ("2017-12-31", "nyårsafton"),
            ("2016-06-24", "midsommarafton"),
            ("2016-11-05", "alla helgons dag"),
            ("2014-06-20", "midsommarafton"),
            ("2014-11-01", "alla helgons dag"),
            ("2024-06-21", "midsommarafton"),
            ("2024-11-02", "alla helgons dag"),
            ("2024-03-29", "långfredagen"),
            ("2024-05-09", "Kristi himmelsfärdsdag"),
            ("2004-05-31", "annandag pingst"),
            ("2015-06-19", "midsommarafton"),
            ("2020-06-20", "midsommardagen"),
            ("2020-10-31", "alla helgons dag"),
        ] {
            assert_eq!(holiday(date(day)), Some(name), "{day}");
        }
    }

    #[test]
    fn working_days_are_not_holidays() {
        for day in [
            "2016-06-30", // KF's June meeting, as the fixtures date it
            "2016-11-22", // the 2017 plan's date
            "2015-01-21", // the 2014 annual report's date
            "2013-06-28",
            "2014-12-30",
            "2017-06-05", // annandag pingst is no longer a holiday
            "2003-06-06", // nationaldagen before it was a holiday (a Friday)
            "2017-06-22",
            "2017-11-03",
        ] {
            assert_eq!(day_off(date(day)), None, "{day}");
        }
        assert_eq!(day_off(date("2016-06-06")), Some("Sveriges nationaldag"));
        assert_eq!(day_off(date("2013-06-30")), Some("söndag"));
        assert_eq!(day_off(date("2016-10-01")), Some("lördag"));
    }
}
