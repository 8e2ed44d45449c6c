//! Swedish for what others say in English: the operating system's IO errors. Every interface
//! speaks Swedish (docs/language.md); what reaches a user from a library goes through here.

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
