//! clap in Swedish: the help's headings, flags and value names, and clap's own error messages (an
//! unknown flag, a missing value, a value that does not parse), so that the command line speaks
//! one language (docs/language.md).
//!
//! clap has no translations. What it lets us set, we set on the command tree ([`localize`]); the
//! few phrases it writes itself into help and usage ("Usage:", "[OPTIONS]", "[default: …]") are
//! replaced in the rendered text ([`swedish`]); its errors are written by our own formatter
//! ([`Svenska`]) from the error's kind and context.

use clap::builder::StyledStr;
use clap::error::{ContextKind, ContextValue, ErrorFormatter, ErrorKind};
use clap::{Arg, ArgAction, Command};

/// The heading of a command's own options.
pub const FLAGS: &str = "Flaggor";
/// The heading of the options every command takes.
pub const GLOBAL: &str = "Flaggor för alla kommandon";

/// What clap calls a placeholder, and what we call it.
const PLACEHOLDERS: &[(&str, &str)] = &[
    ("YEAR", "ÅR"),
    ("FROM", "ÅR"),
    ("TO", "ÅR"),
    ("COMPARE", "ÅR"),
    ("OFFICE", "FÖRVALTNING"),
    ("AREA", "OMRÅDE"),
    ("DB", "MAPP"),
    ("USER", "NAMN"),
    ("ROLE", "ROLL"),
    ("UNIT", "ENHET"),
    ("SIGN", "TECKEN"),
    ("DECIMALS", "DECIMALER"),
    ("BIND", "ADRESS"),
    ("EVENTS", "ANTAL"),
    ("SEED", "FRÖ"),
    ("LATE_DAYS", "DAGAR"),
    ("CASE", "ÄRENDE"),
    ("KIND", "TYP"),
    ("TYPE", "TYP"),
    ("FILES", "FIL"),
    ("OUT", "FIL"),
    ("ID", "ID"),
    ("EXPECT_SEQ", "SEKVENS"),
    ("FILE", "FIL"),
    ("DATE", "DATUM"),
    ("PATH", "SÖKVÄG"),
    ("NAME", "NAMN"),
    ("MOMENT", "TIDPUNKT"),
    ("SEQ", "SEKVENS"),
    ("YYYY-MM-DD", "ÅÅÅÅ-MM-DD"),
];

/// The phrases clap writes itself, and ours.
const PHRASES: &[(&str, &str)] = &[
    ("Usage:", "Användning:"),
    ("[OPTIONS]", "[FLAGGOR]"),
    ("<COMMAND>", "<KOMMANDO>"),
    ("[COMMAND]", "[KOMMANDO]"),
    ("Commands:", "Kommandon:"),
    ("Arguments:", "Argument:"),
    ("Options:", "Flaggor:"),
    ("Possible values:", "Möjliga värden:"),
    ("[default: ", "[standard: "),
    ("[env: ", "[miljövariabel: "),
    ("[possible values: ", "[möjliga värden: "),
    ("[aliases: ", "[även: "),
    ("[alias: ", "[även: "),
];

/// The command tree with Swedish help and version flags, headings and value names, on every
/// command.
pub fn localize(cmd: Command) -> Command {
    let cmd = cmd.disable_version_flag(true).arg(
        Arg::new("version")
            .short('V')
            .long("version")
            .action(ArgAction::Version)
            .help("Visa versionen")
            .help_heading(GLOBAL),
    );
    walk(cmd, true)
}

fn walk(cmd: Command, root: bool) -> Command {
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().as_str().to_string())
        .collect();
    let mut cmd = cmd.disable_help_flag(true).disable_help_subcommand(true);
    if cmd.get_subcommand_help_heading().is_none() {
        cmd = cmd.subcommand_help_heading("Kommandon");
    }
    if cmd.get_subcommand_value_name().is_none() {
        cmd = cmd.subcommand_value_name("KOMMANDO");
    }
    cmd = cmd.arg(
        Arg::new("help")
            .short('h')
            .long("help")
            .action(ArgAction::Help)
            .help("Visa hjälpen (mer med --help, en sammanfattning med -h)")
            .help_heading(if root { GLOBAL } else { FLAGS }),
    );
    for id in ids {
        cmd = cmd.mut_arg(id.as_str(), |a| {
            let a = if a.get_help_heading().is_none() {
                let heading = if a.is_positional() { "Argument" } else { FLAGS };
                a.help_heading(heading)
            } else {
                a
            };
            let named = a
                .get_value_names()
                .map(|n| n.iter().map(|s| s.as_str().to_string()).collect::<Vec<_>>());
            match named {
                Some(names) => {
                    let names: Vec<String> = names.iter().map(|n| placeholder(n)).collect();
                    a.value_names(names)
                }
                None if a.get_action().takes_values() => {
                    a.value_name(placeholder(&id.to_uppercase()))
                }
                None => a,
            }
        });
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(name, |s| walk(s, false));
    }
    cmd
}

fn placeholder(name: &str) -> String {
    PLACEHOLDERS
        .iter()
        .find(|(k, _)| *k == name)
        .map_or_else(|| name.to_string(), |(_, v)| v.to_string())
}

/// Help or usage as clap rendered it, with clap's own phrases in Swedish.
pub fn swedish(text: &str) -> String {
    let mut out = text.to_string();
    for (en, sv) in PHRASES {
        out = out.replace(en, sv);
    }
    for (en, sv) in PLACEHOLDERS {
        out = out.replace(&format!("<{en}>"), &format!("<{sv}>"));
    }
    out
}

/// clap's errors, written in Swedish.
pub struct Svenska;

impl ErrorFormatter for Svenska {
    fn format_error(error: &clap::error::Error<Self>) -> StyledStr {
        let mut text = message(error);
        if let Some(ContextValue::StyledStr(usage)) = error.get(ContextKind::Usage) {
            text.push_str("\n\n");
            text.push_str(&swedish(&usage.to_string()));
        }
        if !matches!(
            error.kind(),
            ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        ) {
            text.push_str("\n\nSe '--help' för mer hjälp");
        }
        text.push('\n');
        StyledStr::from(text)
    }
}

fn value(error: &clap::error::Error<Svenska>, kind: ContextKind) -> Option<String> {
    match error.get(kind)? {
        ContextValue::String(s) => Some(swedish(s)),
        ContextValue::Strings(v) => {
            Some(v.iter().map(|s| swedish(s)).collect::<Vec<_>>().join(", "))
        }
        ContextValue::Number(n) => Some(n.to_string()),
        ContextValue::StyledStr(s) => Some(swedish(&s.to_string())),
        _ => None,
    }
}

fn values(error: &clap::error::Error<Svenska>, kind: ContextKind) -> Vec<String> {
    match error.get(kind) {
        Some(ContextValue::Strings(v)) => v.iter().map(|s| swedish(s)).collect(),
        Some(ContextValue::String(s)) => vec![swedish(s)],
        _ => vec![],
    }
}

/// The sentence for one error.
fn message(error: &clap::error::Error<Svenska>) -> String {
    let arg = value(error, ContextKind::InvalidArg).unwrap_or_default();
    let given = value(error, ContextKind::InvalidValue).unwrap_or_default();
    let mut out = match error.kind() {
        ErrorKind::InvalidValue if given.is_empty() => format!("{arg} behöver ett värde"),
        ErrorKind::InvalidValue => {
            let valid = values(error, ContextKind::ValidValue);
            let mut s = format!("'{given}' är inget giltigt värde för {arg}");
            if !valid.is_empty() {
                s.push_str(&format!("; möjliga värden: {}", valid.join(", ")));
            }
            s
        }
        ErrorKind::UnknownArgument => format!("okänd flagga '{arg}'"),
        ErrorKind::InvalidSubcommand => {
            let sub = value(error, ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("okänt kommando '{sub}'")
        }
        ErrorKind::NoEquals => format!("{arg} ska ges med likhetstecken: {arg}=VÄRDE"),
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(error)
                .map(cause)
                .unwrap_or_else(|| "ogiltigt".to_string());
            format!("'{given}' är inget giltigt värde för {arg}: {why}")
        }
        ErrorKind::TooManyValues => format!("för många värden för {arg}: '{given}'"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            let expected = value(error, ContextKind::ExpectedNumValues)
                .or_else(|| value(error, ContextKind::MinValues))
                .unwrap_or_default();
            let actual = value(error, ContextKind::ActualNumValues).unwrap_or_default();
            format!("{arg} behöver {expected} värden, fick {actual}")
        }
        ErrorKind::ArgumentConflict => match value(error, ContextKind::PriorArg) {
            Some(prior) => format!("{arg} kan inte ges tillsammans med {prior}"),
            None => format!("{arg} kan inte ges tillsammans med en annan flagga här"),
        },
        ErrorKind::MissingRequiredArgument => {
            let missing = values(error, ContextKind::InvalidArg);
            if missing.len() == 1 {
                format!("{} krävs men saknas", missing[0])
            } else {
                format!("dessa krävs men saknas: {}", missing.join(", "))
            }
        }
        ErrorKind::MissingSubcommand => {
            let cmd = value(error, ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("'{cmd}' behöver ett kommando")
        }
        ErrorKind::InvalidUtf8 => "ett argument är inte giltig UTF-8".to_string(),
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        | ErrorKind::DisplayVersion => {
            // clap renders help and version itself, through our templates.
            return String::new();
        }
        _ => "kommandoraden kunde inte tolkas".to_string(),
    };
    let suggested = [
        ContextKind::SuggestedArg,
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .map(|k| values(error, k))
    .find(|v| !v.is_empty());
    if let Some(s) = suggested {
        out.push_str(&format!(" (menade du '{}'?)", s.join("' eller '")));
    }
    out
}

/// Why a value did not parse: ours say it in Swedish already; the standard library's number
/// parsers are put in Swedish here.
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    use std::num::IntErrorKind;
    if let Some(e) = e.downcast_ref::<std::num::ParseIntError>() {
        return match e.kind() {
            IntErrorKind::Empty => "tomt, väntade ett heltal",
            IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => "talet är för stort",
            _ => "inte ett heltal",
        }
        .to_string();
    }
    let text = e.to_string();
    // clap's own range check ("5 is not in 0..=5").
    if let Some((n, range)) = text.split_once(" is not in ") {
        return format!("{n} ligger inte i {}", range.replace("..=", "–"));
    }
    text
}

/// Parses the command line with Swedish help and errors; on an error or a request for help,
/// prints and exits as clap would (help and version 0, usage errors 2).
pub fn parse<T: clap::FromArgMatches + clap::CommandFactory>() -> T {
    let cmd = localize(T::command());
    let found = cmd
        .clone()
        .try_get_matches()
        .and_then(|m| T::from_arg_matches(&m));
    match found {
        Ok(t) => t,
        Err(e) => exit(e, &cmd),
    }
}

fn exit(e: clap::Error, cmd: &Command) -> ! {
    let code = e.exit_code();
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let text = swedish(&e.render().to_string());
            if e.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
        }
        _ => {
            let e = e.with_cmd(cmd).apply::<Svenska>();
            // An error made with a message of its own (clap::Error::raw) renders as clap's
            // "error: {message}".
            let text = e.render().to_string();
            eprint!("rambok: {}", text.strip_prefix("error: ").unwrap_or(&text));
        }
    }
    std::process::exit(code)
}
