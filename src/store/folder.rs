//! A store's folder as files, looked at before sled opens it. sled's open writes into the folder:
//! it creates a missing data file `db`, silently rewrites a configuration `conf` of 8 bytes or
//! less, and its recovery refills a data file that was cut short. A damaged folder must therefore
//! be recognised first, reported (exit 6) and left exactly as it is; and a folder that holds none
//! of a store's files is a place for a new one, not damage.
//!
//! What is checked: sled's `conf` is byte for byte the configuration rambok's sled writes (when it
//! is not, but still sled's with a valid checksum, it was made with other settings); `db` exists;
//! and `db` is at least as long as the witness (`rambok.head`) saw it when the last commit was
//! made durable. sled's snapshot (`snap.*`) and the `blobs` folder are not checked: sled rebuilds
//! a missing snapshot from its log, and rambok keeps every byte in `db` (see `sled_store`).

use super::sled_store::SEGMENT_BYTES;
use super::witness::{self, Found, WITNESS_FILE};
use super::StoreError;
use crate::lang::{count, counted};
use std::path::{Path, PathBuf};

/// sled's configuration file and data file, inside the store's folder.
pub const CONF_FILE: &str = "conf";
pub const DATA_FILE: &str = "db";
/// Where sled would keep nodes too large for a segment (rambok keeps none there).
const BLOBS_DIR: &str = "blobs";
/// sled's snapshots are `snap.` and a hexadecimal log sequence number.
const SNAPSHOT_PREFIX: &str = "snap.";
/// The on-disk version sled 0.34 writes into `conf` (its major and minor version).
const SLED_VERSION: &str = "0.34";
const CRC_BYTES: usize = 4;

/// What the folder holds, when nothing in it is damaged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Folder {
    /// None of a store's files (`conf`, `db`, the witness, a snapshot): a place for a new store.
    Absent,
    /// sled's files, whole as far as can be seen from outside, and what the witness says.
    Present(Found),
}

/// What is wrong with one of sled's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    ConfMissing,
    ConfCutShort {
        bytes: u64,
        whole: u64,
    },
    ConfGarbled {
        bytes: u64,
    },
    DataMissing,
    /// Empty, while the witness records records.
    DataEmpty,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let conf = format!("sleds konfigurationsfil {CONF_FILE}");
        let data = format!("sleds datafil {DATA_FILE}");
        match self {
            Problem::ConfMissing => write!(f, "{conf} saknas"),
            Problem::ConfCutShort { bytes, whole } => write!(
                f,
                "{conf} är avkortad ({} av dess {} byte)",
                count(*bytes),
                count(*whole)
            ),
            Problem::ConfGarbled { bytes } => write!(
                f,
                "{conf} är förvanskad (dess {} byte är varken den konfiguration som rambok låter sled skriva eller någon som sleds kontrollsumma går i god för)",
                count(*bytes)
            ),
            Problem::DataMissing => write!(f, "{data} saknas"),
            Problem::DataEmpty => write!(f, "{data} är tom"),
        }
    }
}

/// A damaged folder: what is wrong, and what the witness says was there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    pub path: PathBuf,
    pub problems: Vec<Problem>,
    pub witness: Found,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let problems: Vec<String> = self.problems.iter().map(Problem::to_string).collect();
        write!(
            f,
            "liggaren i {} är skadad: {}; ",
            self.path.display(),
            problems.join("; ")
        )?;
        match self.witness {
            Found::Valid(w) if w.head.seq == 0 => {
                write!(f, "vittnesfilen {WITNESS_FILE} anger en tom liggare")?
            }
            Found::Valid(w) => write!(
                f,
                "vittnesfilen {WITNESS_FILE} anger {} till och med sekvens {} (hash {})",
                counted(w.head.seq, "post", "poster"),
                w.head.seq,
                short_hex(&w.head.hash)
            )?,
            Found::Unreadable => write!(
                f,
                "vittnesfilen {WITNESS_FILE} klarar inte sin kontroll och kan därför inte säga hur många poster det fanns"
            )?,
            Found::Absent => write!(
                f,
                "det finns ingen vittnesfil {WITNESS_FILE} som kan säga hur många poster det fanns"
            )?,
        }
        write!(
            f,
            "; inget i mappen har ändrats: återställ den från en säkerhetskopia"
        )
    }
}

fn short_hex(hash: &[u8]) -> String {
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}…")
}

/// The settings rambok's sled writes into `conf`, one `key: value` line each.
fn expected_settings() -> String {
    format!("segment_size: {SEGMENT_BYTES}\nuse_compression: false\nversion: {SLED_VERSION}\n")
}

/// Settings text on one line, for a message.
fn one_line(settings: &str) -> String {
    settings.trim_end().replace('\n', ", ")
}

/// The `conf` rambok's sled writes: its settings, then their CRC-32 (little-endian).
fn expected_conf() -> Vec<u8> {
    let mut bytes = expected_settings().into_bytes();
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

/// How a `conf` differs from the expected one.
enum Conf {
    Expected,
    /// Whole and sled's own (its checksum holds), with other settings: its text.
    Other(String),
    Damaged(Problem),
}

fn check_conf(bytes: &[u8]) -> Conf {
    let expected = expected_conf();
    if bytes == expected {
        return Conf::Expected;
    }
    let len = bytes.len() as u64;
    if bytes.len() < expected.len() && expected.starts_with(bytes) {
        return Conf::Damaged(Problem::ConfCutShort {
            bytes: len,
            whole: expected.len() as u64,
        });
    }
    if bytes.len() > CRC_BYTES {
        let (text, crc) = bytes.split_at(bytes.len() - CRC_BYTES);
        let sled_like =
            |t: &str| t.lines().all(|l| l.contains(": ")) && t.contains("segment_size: ");
        if crc32fast::hash(text).to_le_bytes() == crc {
            if let Ok(t) = std::str::from_utf8(text) {
                if sled_like(t) {
                    return Conf::Other(one_line(t));
                }
            }
        }
    }
    Conf::Damaged(Problem::ConfGarbled { bytes: len })
}

fn io(file: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!(
        "{}: kan inte läsas: {}",
        file.display(),
        crate::lang::io_error(&e)
    ))
}

/// The bytes of `file`, or `None` when it does not exist.
fn read_if_there(file: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match std::fs::read(file) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(file, e)),
    }
}

/// The length of `file`, or `None` when it does not exist.
fn len_if_there(file: &Path) -> Result<Option<u64>, StoreError> {
    match std::fs::metadata(file) {
        Ok(m) => Ok(Some(m.len())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(file, e)),
    }
}

fn has_snapshot(path: &Path) -> Result<bool, StoreError> {
    for entry in std::fs::read_dir(path).map_err(|e| io(path, e))? {
        let name = entry.map_err(|e| io(path, e))?.file_name();
        if name.to_string_lossy().starts_with(SNAPSHOT_PREFIX) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Looks at the folder `path` without changing anything in it. A damaged folder is
/// [`StoreError::Damaged`]; a `conf` of other settings is a [`StoreError::Io`] that says so.
pub fn inspect(path: &Path) -> Result<Folder, StoreError> {
    if !path.is_dir() {
        return Ok(Folder::Absent);
    }
    let conf = read_if_there(&path.join(CONF_FILE))?;
    let data_bytes = len_if_there(&path.join(DATA_FILE))?;
    let found = witness::read(path)?;
    if conf.is_none() && data_bytes.is_none() && found == Found::Absent && !has_snapshot(path)? {
        return Ok(Folder::Absent);
    }
    let mut problems = Vec::new();
    match conf.as_deref().map(check_conf) {
        None => problems.push(Problem::ConfMissing),
        Some(Conf::Damaged(p)) => problems.push(p),
        Some(Conf::Expected) => {}
        Some(Conf::Other(settings)) => {
            return Err(StoreError::Io(format!(
                "liggaren i {} skapades med andra sled-inställningar ({CONF_FILE}: {settings}) än denna rambok använder ({}); en liggare från tiden före segment på 4 MiB ska importeras på nytt till en ny liggare (docs/storage.md)",
                path.display(),
                one_line(&expected_settings())
            )))
        }
    }
    let witnessed = found.valid();
    match data_bytes {
        None => problems.push(Problem::DataMissing),
        // A data file shorter than at the last durable commit is no sign of damage by itself:
        // sled gives back free segments at the file's end, and a kill after that leaves it
        // shorter (seen in the crash runs). Records it lost are found against the witness when
        // the store opens. Only an empty file where the witness knows records is damage here.
        Some(bytes) => match witnessed.map(|w| w.head.seq) {
            Some(seq) if seq > 0 && bytes == 0 => problems.push(Problem::DataEmpty),
            _ => {}
        },
    }
    if problems.is_empty() {
        Ok(Folder::Present(found))
    } else {
        Err(StoreError::Damaged(Box::new(Damage {
            path: path.to_path_buf(),
            problems,
            witness: found,
        })))
    }
}

/// What was there before a new store is created in a folder, so that a failed creation can take
/// away what it made and leave no empty store behind (which would later pass for a ledger).
pub struct Creation {
    path: PathBuf,
    folder_existed: bool,
    blobs_existed: bool,
}

impl Creation {
    /// Notes the folder `path`, which [`inspect`] found [`Folder::Absent`].
    pub fn note(path: &Path) -> Creation {
        Creation {
            path: path.to_path_buf(),
            folder_existed: path.exists(),
            blobs_existed: path.join(BLOBS_DIR).exists(),
        }
    }

    /// Removes every file of a store in the folder (none was there before) and the folders the
    /// creation made, if empty. Best effort: it runs after a failure that is reported anyway.
    pub fn undo(self) {
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if [CONF_FILE, DATA_FILE, WITNESS_FILE].contains(&name.as_str())
                || name.starts_with(SNAPSHOT_PREFIX)
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        if !self.blobs_existed {
            let _ = std::fs::remove_dir(self.path.join(BLOBS_DIR));
        }
        if !self.folder_existed {
            let _ = std::fs::remove_dir(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected `conf` is what sled itself writes with rambok's configuration: if sled's
    /// format or rambok's settings change, this fails before any store is taken for damaged.
    #[test]
    fn expected_conf_is_what_sled_writes() {
        let dir = tempfile::tempdir().unwrap();
        drop(super::super::sled_store::config(dir.path()).open().unwrap());
        let written = std::fs::read(dir.path().join(CONF_FILE)).unwrap();
        assert_eq!(written, expected_conf());
        assert!(matches!(check_conf(&written), Conf::Expected));
    }

    #[test]
    fn conf_cut_short_garbled_or_of_other_settings() {
        let whole = expected_conf();
        assert!(matches!(
            check_conf(&whole[..20]),
            Conf::Damaged(Problem::ConfCutShort { bytes: 20, .. })
        ));
        assert!(matches!(
            check_conf(b""),
            Conf::Damaged(Problem::ConfCutShort { bytes: 0, .. })
        ));
        let mut flipped = whole.clone();
        flipped[16] ^= 1;
        assert!(matches!(
            check_conf(&flipped),
            Conf::Damaged(Problem::ConfGarbled { .. })
        ));
        let mut other = b"segment_size: 524288\nuse_compression: false\nversion: 0.34\n".to_vec();
        let crc = crc32fast::hash(&other);
        other.extend_from_slice(&crc.to_le_bytes());
        assert!(matches!(check_conf(&other), Conf::Other(s) if s.contains("524288")));
    }
}
