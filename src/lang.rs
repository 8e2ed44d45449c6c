//! Swedish for what others say in English: the operating system's IO errors. Every interface
//! speaks Swedish (docs/language.md); what reaches a user from a library goes through here.

/// What an IO error means, in Swedish: the operating system's own text is English. Kinds
/// without a word of their own keep the system's text in brackets.
pub fn io_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let what = match e.kind() {
        K::NotFound => "finns inte",
        K::PermissionDenied => "saknar behörighet",
        K::AlreadyExists => "finns redan",
        K::BrokenPipe => "mottagaren stängde (Broken pipe)",
        K::InvalidData => "ogiltiga data",
        K::UnexpectedEof => "tog slut för tidigt",
        K::WriteZero | K::StorageFull => "disken är full",
        K::IsADirectory => "är en mapp",
        K::NotADirectory => "är ingen mapp",
        K::ReadOnlyFilesystem => "filsystemet är skrivskyddat",
        K::AddrInUse => "adressen används redan",
        K::AddrNotAvailable => "adressen finns inte på den här datorn",
        K::ConnectionRefused => "anslutningen vägrades",
        K::TimedOut => "tiden gick ut",
        K::Interrupted => "avbröts",
        _ => return format!("in/utmatningsfel ({e})"),
    };
    what.to_string()
}
