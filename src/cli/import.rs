//! `rambok import FILE...`: JSON Lines in, one atomic append out (a workbook goes to `sheet.rs`). Files are read as streams, so a
//! FIFO (`<(zcat events.jsonl.gz)`) or standard input (`-`) works too; what one import reads is
//! limited (line length, lines, bytes, events), so a device or a stream that never ends stops with
//! a message instead of running forever. A directory is refused before anything is read.

use super::{open_existing, require_user, CliError, Recorder, Result};
use crate::domain::event::Event;
use crate::json::parse_event_line;
use crate::lang::{count, counted};
use crate::ledger::{Appender, LedgerError, BATCH_EVENTS_MAX};
use crate::store::Engine;
use chrono::Utc;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Longest line an import accepts, in bytes.
pub const LINE_BYTES_MAX: usize = 64 * 1024;
/// How far past an over-long line an import looks for its end before it stops reading the file:
/// a stream without line breaks (`/dev/zero`) is not skipped forever.
pub const SKIP_BYTES_MAX: u64 = 16 << 20;
/// Most lines one import reads, blank ones included, over all its files.
pub const LINES_MAX: usize = 2 * BATCH_EVENTS_MAX;
/// Most bytes one import reads, over all its files.
pub const BYTES_MAX: u64 = 4 << 30;
/// How many bad lines one import reports before it stops reading.
const ERRORS_SHOWN_MAX: usize = 20;
/// The file name that means standard input.
const STDIN: &str = "-";

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// JSON Lines-filer med en händelse per rad (se docs/events.md); `-` läser standard in. Alla
    /// importeras i en enda omgång. Eller en arbetsbok (.xlsx), ensam, med flaggorna under
    /// "Arbetsbok".
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Filerna är en avskrift av tidigare dokument (beslut fattade innan liggaren förde dem): varje
    /// händelse registreras som inläst i efterhand ur --source, och `control` räknar den inte som
    /// sent registrerad eller oattesterad.
    #[arg(long, requires = "source")]
    pub backfill: bool,
    /// Med --backfill: dokumenten som skrivits av, t.ex. "KS 2016/1130; KS 2014/0248".
    #[arg(long, requires = "backfill", value_name = "TEXT")]
    pub source: Option<String>,
    /// Kontrollera allt som en import gör, men registrera inget. En arbetsbok skrivs ut som JSON
    /// Lines, händelserna den skulle ge.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub recorder: Recorder,
    /// Boxed: fourteen settings a JSON Lines import never uses.
    #[command(flatten)]
    pub sheet: Box<super::sheet::SheetArgs>,
}

impl ImportArgs {
    /// The workbook to import, when the import is of one: a workbook is imported alone, and the
    /// workbook's settings mean nothing for JSON Lines.
    pub fn workbook(&self) -> Result<Option<PathBuf>> {
        let books = self
            .files
            .iter()
            .filter(|f| super::sheet::is_workbook(f))
            .count();
        match (books, self.files.len()) {
            (0, _) => match self.sheet.first_given() {
                Some(name) => Err(CliError::Input(format!(
                    "--{}: gäller bara en arbetsbok (.xlsx); JSON Lines-filer har sina fält på varje rad",
                    name.replace('_', "-")
                ))),
                None => Ok(None),
            },
            (1, 1) => Ok(self.files.first().cloned()),
            _ => Err(CliError::Input(
                "en arbetsbok (.xlsx) importeras ensam, en i taget".into(),
            )),
        }
    }
}

impl ImportArgs {
    /// The backfill source to mark every event with, checked as the `backfill` field is.
    pub fn backfill_source(&self) -> Result<Option<String>> {
        let Some(s) = self.source.as_deref().filter(|_| self.backfill) else {
            return Ok(None);
        };
        let s = s.trim();
        if s.is_empty() || s.chars().count() > crate::json::TEXT_CHARS_MAX {
            return Err(CliError::Input(format!(
                "--source: ska vara en text på 1–{} tecken",
                crate::json::TEXT_CHARS_MAX
            )));
        }
        crate::domain::text::check_label(s)
            .map_err(|e| CliError::Input(format!("--source: {}", e.0)))?;
        Ok(Some(s.to_string()))
    }
}

/// Marks an event as backfilled from `source`; a line that names another backfill is refused.
pub fn mark_backfill(event: &mut Event, source: &str) -> std::result::Result<(), String> {
    match &event.provenance.backfill {
        Some(own) if own != source => Err(format!(
            "fältet backfill: raden anger '{own}' men --source anger '{source}'"
        )),
        _ => {
            event.provenance.backfill = Some(source.to_string());
            Ok(())
        }
    }
}

/// Who gets the events read: each with its file and line. An `Err` is a problem with that line.
pub type Sink<'a> = dyn FnMut(Event, &str, usize) -> std::result::Result<(), String> + 'a;

/// Reads every line of `files` and hands each event to `sink` with its file and line; collects
/// every problem (up to a limit), each naming file, line and field. After the first problem,
/// events are still parsed, to report further bad lines, but no longer handed on. A limit reached
/// ends the reading.
pub fn read_events(files: &[PathBuf], progress: bool, sink: &mut Sink<'_>) -> Result<usize> {
    for path in files {
        refuse_directory(path)?;
    }
    let mut reading = Reading::default();
    for path in files {
        let name = if path.as_os_str() == STDIN {
            "stdin".to_string()
        } else {
            path.display().to_string()
        };
        let source: Box<dyn Read> = if path.as_os_str() == STDIN {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::fs::File::open(path).map_err(|e| {
                CliError::Input(format!(
                    "{name}: kan inte öppnas: {}\ninget importerades",
                    crate::lang::io_error(&e)
                ))
            })?)
        };
        reading.file(&name, source, progress, sink)?;
        if reading.stopped || reading.errors.len() >= ERRORS_SHOWN_MAX {
            break;
        }
    }
    if reading.errors.is_empty() {
        return Ok(reading.events);
    }
    let more = if reading.errors.len() >= ERRORS_SHOWN_MAX {
        "\n(läsningen avbröts efter de första felen)"
    } else {
        ""
    };
    Err(CliError::Input(format!(
        "{}{more}\ninget importerades",
        reading.errors.join("\n")
    )))
}

/// A directory opens and reads as nothing useful on some systems and as an error on others: it is
/// named as what it is, before any file is read.
fn refuse_directory(path: &Path) -> Result<()> {
    if path.as_os_str() != STDIN && path.is_dir() {
        return Err(CliError::Input(format!(
            "{0}: är en mapp, inte en fil med händelser (ange filerna i den, till exempel {0}/*.jsonl)\ninget importerades",
            path.display()
        )));
    }
    Ok(())
}

/// What an import has read so far, over all its files, and the problems found.
#[derive(Default)]
struct Reading {
    errors: Vec<String>,
    lines: usize,
    events: usize,
    bytes: u64,
    /// A limit was reached: nothing more is read.
    stopped: bool,
}

/// Whether to read on after a line.
#[derive(PartialEq, Eq)]
enum Next {
    Line,
    Stop,
}

impl Reading {
    fn file(
        &mut self,
        name: &str,
        source: Box<dyn Read>,
        progress: bool,
        sink: &mut Sink<'_>,
    ) -> Result<()> {
        let mut reader = std::io::BufReader::with_capacity(1 << 20, source);
        let cannot_read = |e: std::io::Error| {
            CliError::Input(format!(
                "{name}: kan inte läsas: {}\ninget importerades",
                crate::lang::io_error(&e)
            ))
        };
        let mut buf = Vec::new();
        let mut line_no = 0usize;
        loop {
            buf.clear();
            // Read at most the limit plus a CR LF, so a huge line cannot exhaust memory.
            let n = (&mut reader)
                .take(LINE_BYTES_MAX as u64 + 2)
                .read_until(b'\n', &mut buf)
                .map_err(cannot_read)?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let next = self
                .line(&mut reader, &buf, name, line_no, sink)
                .map_err(cannot_read)?;
            if next == Next::Stop {
                break;
            }
            if progress && line_no.is_multiple_of(100_000) {
                eprint!(
                    "\r{name}: {} lästa…",
                    counted(line_no as u64, "rad", "rader")
                );
            }
        }
        if progress && line_no >= 100_000 {
            eprintln!(
                "\r{name}: {} lästa   ",
                counted(line_no as u64, "rad", "rader")
            );
        }
        Ok(())
    }

    /// One line, read into `buf`: counted against the limits, then parsed and handed on, or its
    /// problem noted. An over-long line is skipped to its end, if it has one within reach.
    fn line(
        &mut self,
        reader: &mut impl BufRead,
        buf: &[u8],
        name: &str,
        line_no: usize,
        sink: &mut Sink<'_>,
    ) -> std::io::Result<Next> {
        self.lines += 1;
        self.bytes += buf.len() as u64;
        if self.lines > LINES_MAX || self.bytes > BYTES_MAX {
            return Ok(self.stop(
                name,
                line_no,
                format!(
                    "läsningen avbröts: en import läser högst {} och {} byte",
                    counted(LINES_MAX as u64, "rad", "rader"),
                    count(BYTES_MAX)
                ),
            ));
        }
        let content = buf
            .strip_suffix(b"\n")
            .map_or(buf, |b| b.strip_suffix(b"\r").unwrap_or(b));
        let problem = if content.len() > LINE_BYTES_MAX {
            if !buf.ends_with(b"\n") {
                match skip_rest_of_line(reader, SKIP_BYTES_MAX)? {
                    Some(skipped) => self.bytes += skipped,
                    None => return Ok(self.stop(name, line_no, format!(
                        "raden är längre än {} byte och ingen radbrytning följer inom de nästa {} byte: läsningen av {name} avbröts (är det en fil med JSON Lines?)",
                        count(LINE_BYTES_MAX as u64),
                        count(SKIP_BYTES_MAX)
                    ))),
                }
            }
            Some(format!(
                "raden är längre än {} byte",
                count(LINE_BYTES_MAX as u64)
            ))
        } else {
            match parse_line(buf, line_no) {
                Ok(None) => None,
                Ok(Some(_)) if self.events == BATCH_EVENTS_MAX => {
                    return Ok(self.stop(name, line_no, format!(
                        "läsningen avbröts: en import rymmer högst {} (importera resten i en omgång till)",
                        counted(BATCH_EVENTS_MAX as u64, "händelse", "händelser")
                    )));
                }
                Ok(Some(event)) => {
                    self.events += 1;
                    if self.errors.is_empty() {
                        sink(event, name, line_no).err()
                    } else {
                        None
                    }
                }
                Err(message) => Some(message),
            }
        };
        if let Some(message) = problem {
            self.errors
                .push(format!("{name}:{line_no}: {}", printable(&message)));
            if self.errors.len() >= ERRORS_SHOWN_MAX {
                return Ok(Next::Stop);
            }
        }
        Ok(Next::Line)
    }

    /// A limit reached: the message, and no more reading.
    fn stop(&mut self, name: &str, line_no: usize, message: String) -> Next {
        self.errors.push(format!("{name}:{line_no}: {message}"));
        self.stopped = true;
        Next::Stop
    }
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

/// Reads past the rest of an over-long line: the bytes skipped, or `None` when `max` bytes hold
/// no line break.
fn skip_rest_of_line(reader: &mut impl BufRead, max: u64) -> std::io::Result<Option<u64>> {
    let mut skipped = 0u64;
    loop {
        let (done, used) = {
            let available = reader.fill_buf()?;
            if available.is_empty() {
                return Ok(Some(skipped));
            }
            match available.iter().position(|&b| b == b'\n') {
                Some(i) => (true, i + 1),
                None => (false, available.len()),
            }
        };
        reader.consume(used);
        skipped += used as u64;
        if done {
            return Ok(Some(skipped));
        }
        if skipped >= max {
            return Ok(None);
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
        .map_err(|e| format!("raden är inte giltig UTF-8 (vid byte {})", e.valid_up_to()))?;
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_event_line(text).map(Some).map_err(|e| e.to_string())
}

/// Pushes one event into an append, turning a rejection into a message about its field.
pub fn push(
    appender: &mut Appender<'_, Engine>,
    event: &Event,
) -> std::result::Result<(), PushError> {
    appender.push(event).map_err(|e| match e {
        LedgerError::Rejected { error, .. } => PushError::Input(error.to_string()),
        other => PushError::Ledger(other),
    })
}

pub enum PushError {
    Input(String),
    Ledger(LedgerError),
}

pub fn run(db: &Path, args: ImportArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(book) = args.workbook()? {
        return super::sheet::run(db, args, &book, out);
    }
    let user = require_user(&args.recorder)?;
    let backfill = args.backfill_source()?;
    let ledger = open_existing(db)?;
    let progress = std::io::stderr().is_terminal();
    let mut appender = ledger.begin(&user, args.recorder.expect_seq, Utc::now())?;
    let mut failure: Option<LedgerError> = None;
    let read = read_events(&args.files, progress, &mut |mut event, _, _| {
        if let Some(source) = &backfill {
            mark_backfill(&mut event, source)?;
        }
        push_or_fail(&mut appender, &event, &mut failure)
    });
    if let Some(e) = failure {
        return Err(CliError::Ledger(e));
    }
    let read = read?;
    if args.dry_run {
        // Dropped uncommitted: nothing is written.
        let (added, skipped) = appender.counts();
        drop(appender);
        writeln!(
            out,
            "läste {}: {} skulle läggas till, {} (fanns redan); inget registrerades (--dry-run)",
            counted(read as u64, "händelse", "händelser"),
            counted(added as u64, "händelse", "händelser"),
            counted(skipped as u64, "överhoppad", "överhoppade"),
        )
        .map_err(super::io)?;
        return Ok(());
    }
    let done = appender.commit()?;
    writeln!(
        out,
        "{}",
        summary(read, done.added, done.skipped, done.head_seq)
    )
    .map_err(super::io)
}

/// Pushes one event; a rejection is the line's problem, a ledger failure ends the import.
fn push_or_fail(
    appender: &mut Appender<'_, Engine>,
    event: &Event,
    failure: &mut Option<LedgerError>,
) -> std::result::Result<(), String> {
    match push(appender, event) {
        Ok(()) => Ok(()),
        Err(PushError::Input(m)) => Err(m),
        Err(PushError::Ledger(e)) => {
            let message = e.to_string();
            failure.get_or_insert(e);
            Err(message)
        }
    }
}

/// The line an import ends with: `läste 2 händelser: 1 tillagd, 1 överhoppad (fanns redan);
/// liggaren är nu vid sekvens 7`.
fn summary(read: usize, added: usize, skipped: usize, head_seq: u64) -> String {
    format!(
        "läste {}: {}, {} (fanns redan); liggaren är nu vid sekvens {head_seq}",
        counted(read as u64, "händelse", "händelser"),
        counted(added as u64, "tillagd", "tillagda"),
        counted(skipped as u64, "överhoppad", "överhoppade"),
    )
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn the_summary_counts_in_the_right_number() {
        assert_eq!(
            summary(1, 1, 0, 7),
            "läste 1 händelse: 1 tillagd, 0 överhoppade (fanns redan); liggaren är nu vid sekvens 7"
        );
        assert_eq!(
            summary(2, 1, 1, 8),
            "läste 2 händelser: 1 tillagd, 1 överhoppad (fanns redan); liggaren är nu vid sekvens 8"
        );
        assert_eq!(
            summary(30_288, 30_288, 0, 30_288),
            "läste 30 288 händelser: 30 288 tillagda, 0 överhoppade (fanns redan); liggaren är nu vid sekvens 30288"
        );
    }
}
