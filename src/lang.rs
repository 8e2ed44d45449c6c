//! Swedish for what others say in English: the operating system's IO errors, and counts with
//! their nouns. Every interface speaks Swedish (docs/language.md); what reaches a user from a
//! library goes through here. At the ground floor, so the core's own errors can count too.

/// What an IO error means, in Swedish (the operating system's own text is English), with the
/// system's error number when there is one: `åtkomst nekas (os-fel 13)`.
pub fn io_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let what = match e.kind() {
        K::NotFound => "finns inte",
        K::PermissionDenied => "åtkomst nekas",
        K::AlreadyExists => "finns redan",
        K::BrokenPipe => "mottagaren stängde (Broken pipe)",
        K::UnexpectedEof => "filen tar slut för tidigt",
        K::InvalidData => "ogiltiga data",
        K::WriteZero | K::StorageFull => "disken är full",
        K::ReadOnlyFilesystem => "filsystemet är skrivskyddat",
        K::IsADirectory => "är en mapp",
        K::NotADirectory => "är inte en mapp",
        K::AddrInUse => "adressen används redan",
        K::AddrNotAvailable => "adressen finns inte på den här datorn",
        K::ConnectionRefused => "anslutningen vägrades",
        K::Interrupted => "avbröts",
        K::WouldBlock | K::TimedOut => "tog för lång tid",
        K::OutOfMemory => "minnet räcker inte",
        _ => "in- eller utmatningsfel",
    };
    match e.raw_os_error() {
        Some(n) => format!("{what} (os-fel {n})"),
        None => what.to_string(),
    }
}

/// A count for people, grouped by thousands: `30 288`.
pub fn count(n: u64) -> String {
    let mut out = String::new();
    push_grouped(&mut out, &n.to_string(), Some(' '));
    out
}

/// A count with its noun in the right number, grouped by thousands: `1 händelse`, `2 händelser`,
/// `30 288 händelser`. Every count a message gives goes through here (docs/language.md).
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Pushes `digits` onto `out` with `separator` between each group of three from the right
/// (none: the digits as they are). Amounts (`crate::report::number`) group the same way.
pub fn push_grouped(out: &mut String, digits: &str, separator: Option<char>) {
    let len = digits.chars().count();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            if let Some(sep) = separator {
                out.push(sep);
            }
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_and_take_the_right_number() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1 000");
        assert_eq!(count(30288), "30 288");
        assert_eq!(count(u64::MAX), "18 446 744 073 709 551 615");
        assert_eq!(counted(1, "händelse", "händelser"), "1 händelse");
        assert_eq!(counted(0, "händelse", "händelser"), "0 händelser");
        assert_eq!(counted(2, "fil", "filer"), "2 filer");
        assert_eq!(counted(2000, "post", "poster"), "2 000 poster");
    }
}
