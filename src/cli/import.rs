//! `rambok import FILE...`: JSON Lines in, one atomic append out.

use super::{open_existing, require_user, CliError, Recorder, Result};
use crate::domain::event::Event;
use crate::json::parse_event_line;
use crate::ledger::{Appender, LedgerError};
use crate::store::sled_store::SledStore;
use chrono::Utc;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Longest line an import accepts, in bytes.
pub const LINE_BYTES_MAX: usize = 64 * 1024;
/// How many bad lines one import reports before it stops reading.
const ERRORS_SHOWN_MAX: usize = 20;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// JSON Lines files, one event per line (see docs/events.md). All are imported as one batch.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub recorder: Recorder,
}

/// Reads every line of `files` and hands each event to `sink` with its file and line; collects
/// every problem (up to a limit), each naming file, line and field. After the first problem,
/// events are still parsed, to report further bad lines, but no longer handed on.
pub fn read_events(
    files: &[PathBuf],
    progress: bool,
    sink: &mut dyn FnMut(Event, &str, usize) -> std::result::Result<(), String>,
) -> Result<usize> {
    let mut errors: Vec<String> = Vec::new();
    let mut count = 0;
    for path in files {
        count += read_file(path, progress, sink, &mut errors)?;
        if errors.len() >= ERRORS_SHOWN_MAX {
            break;
        }
    }
    if errors.is_empty() {
        Ok(count)
    } else {
        let more = if errors.len() >= ERRORS_SHOWN_MAX {
            "\n(stopped after the first errors)"
        } else {
            ""
        };
        Err(CliError::Input(format!(
            "{}{more}\nnothing was imported",
            errors.join("\n")
        )))
    }
}

fn read_file(
    path: &Path,
    progress: bool,
    sink: &mut dyn FnMut(Event, &str, usize) -> std::result::Result<(), String>,
    errors: &mut Vec<String>,
) -> Result<usize> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Input(format!("{name}: cannot open: {e}\nnothing was imported")))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut count = 0usize;
    loop {
        buf.clear();
        // Read at most the limit plus a CR LF, so a huge line cannot exhaust memory.
        let n = std::io::Read::take(&mut reader, LINE_BYTES_MAX as u64 + 2)
            .read_until(b'\n', &mut buf)
            .map_err(|e| CliError::Input(format!("{name}: cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if progress && line_no.is_multiple_of(100_000) {
            eprint!("\r{name}: {line_no} rader lästa…");
        }
        let content = buf
            .strip_suffix(b"\n")
            .map_or(&buf[..], |b| b.strip_suffix(b"\r").unwrap_or(b));
        let problem = if content.len() > LINE_BYTES_MAX {
            if !buf.ends_with(b"\n") {
                skip_rest_of_line(&mut reader)
                    .map_err(|e| CliError::Input(format!("{name}: cannot read: {e}")))?;
            }
            Some(format!("the line is longer than {LINE_BYTES_MAX} bytes"))
        } else {
            match parse_line(&buf, line_no) {
                Ok(None) => None,
                Ok(Some(event)) => {
                    count += 1;
                    if errors.is_empty() {
                        sink(event, &name, line_no).err()
                    } else {
                        None
                    }
                }
                Err(message) => Some(message),
            }
        };
        if let Some(message) = problem {
            errors.push(format!("{name}:{line_no}: {}", printable(&message)));
            if errors.len() >= ERRORS_SHOWN_MAX {
                break;
            }
        }
    }
    if progress && line_no >= 100_000 {
        eprintln!("\r{name}: {line_no} rader lästa.   ");
    }
    Ok(count)
}

/// A message quoting file content, made safe for a terminal: control and invisible
/// direction-changing characters are shown escaped, so a file cannot forge output lines or send
/// escape sequences.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            let hidden = c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
            if hidden {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn skip_rest_of_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let (done, used) = {
            let available = reader.fill_buf()?;
            if available.is_empty() {
                return Ok(());
            }
            match available.iter().position(|&b| b == b'\n') {
                Some(i) => (true, i + 1),
                None => (false, available.len()),
            }
        };
        reader.consume(used);
        if done {
            return Ok(());
        }
    }
}

/// One line: blank lines are skipped, a UTF-8 byte-order mark on the first line and a CR before
/// the newline are tolerated (files saved on Windows).
fn parse_line(bytes: &[u8], line_no: usize) -> std::result::Result<Option<Event>, String> {
    let mut bytes = bytes;
    if line_no == 1 {
        bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("the line is not valid UTF-8 (at byte {})", e.valid_up_to()))?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_event_line(text).map(Some).map_err(|e| e.to_string())
}

/// Pushes one event into an append, turning a rejection into a message about its field.
pub fn push(
    appender: &mut Appender<'_, SledStore>,
    event: &Event,
) -> std::result::Result<(), PushError> {
    appender.push(event).map_err(|e| match e {
        LedgerError::Rejected { error, .. } => {
            PushError::Input(format!("field {}: {}", error.field, error.message))
        }
        other => PushError::Ledger(other),
    })
}

pub enum PushError {
    Input(String),
    Ledger(LedgerError),
}

pub fn run(db: &Path, args: ImportArgs, out: &mut dyn Write) -> Result<()> {
    let user = require_user(&args.recorder)?;
    let ledger = open_existing(db)?;
    let progress = std::io::stderr().is_terminal();
    let mut appender = ledger.begin(&user, args.recorder.expect_seq, Utc::now())?;
    let mut failure: Option<LedgerError> = None;
    let read = read_events(&args.files, progress, &mut |event, _, _| match push(
        &mut appender,
        &event,
    ) {
        Ok(()) => Ok(()),
        Err(PushError::Input(m)) => Err(m),
        Err(PushError::Ledger(e)) => {
            let message = e.to_string();
            failure.get_or_insert(e);
            Err(message)
        }
    });
    if let Some(e) = failure {
        return Err(CliError::Ledger(e));
    }
    let read = read?;
    let done = appender.commit()?;
    writeln!(
        out,
        "read {read} events: {} added, {} skipped as already present; the ledger is at sequence {}",
        done.added, done.skipped, done.head_seq
    )
    .map_err(super::io)
}
