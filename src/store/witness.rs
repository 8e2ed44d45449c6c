//! The witness file `rambok.head`: a small file beside sled's own, rewritten after every durable
//! commit with the head that commit made durable and the length sled's data file had then. sled
//! treats a damaged stretch of its log as the end of the log on recovery, which would silently drop
//! every later record; a data file cut short would be quietly refilled. The witness shows both.
//!
//! Two layouts, told apart by their length (little-endian):
//!
//! ```text
//! version 1 (48 bytes): u64 seq, [32] hash,                       [8] check
//! version 2 (56 bytes): u64 seq, [32] hash, u64 data file length, [8] check
//! ```
//!
//! The check is the first 8 bytes of the SHA-256 of the bytes before it. A witness that does not
//! check out (torn by a power cut, damaged) proves nothing and is ignored; the next sync rewrites
//! it. Only version 2 is written; version 1 stays readable.

use super::{Head, StoreError};
use sha2::{Digest, Sha256};
use std::path::Path;

pub const WITNESS_FILE: &str = "rambok.head";

const V1_BYTES: usize = 48;
const V2_BYTES: usize = 56;
const CHECK_BYTES: usize = 8;

/// What the witness says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The head last made durable.
    pub head: Head,
    /// The length of sled's data file when that head was made durable (`None`: a version 1
    /// witness, which did not record it).
    pub data_bytes: Option<u64>,
}

/// The witness file as found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    Absent,
    /// Present, but of no known length or failing its check.
    Unreadable,
    Valid(Witness),
}

impl Found {
    pub fn valid(self) -> Option<Witness> {
        match self {
            Found::Valid(w) => Some(w),
            Found::Absent | Found::Unreadable => None,
        }
    }
}

fn check(bytes: &[u8]) -> [u8; CHECK_BYTES] {
    Sha256::digest(bytes)[..CHECK_BYTES]
        .try_into()
        .expect("8 bytes")
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// The bytes of a version 2 witness.
pub fn encode(head: &Head, data_bytes: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(V2_BYTES);
    v.extend_from_slice(&head.seq.to_le_bytes());
    v.extend_from_slice(&head.hash);
    v.extend_from_slice(&data_bytes.to_le_bytes());
    let c = check(&v);
    v.extend_from_slice(&c);
    v
}

pub fn decode(bytes: &[u8]) -> Found {
    let body = match bytes.len() {
        V1_BYTES | V2_BYTES => &bytes[..bytes.len() - CHECK_BYTES],
        _ => return Found::Unreadable,
    };
    if check(body) != bytes[body.len()..] {
        return Found::Unreadable;
    }
    Found::Valid(Witness {
        head: Head {
            seq: u64_at(body, 0),
            hash: body[8..40].try_into().expect("32 bytes"),
        },
        data_bytes: (body.len() == V2_BYTES - CHECK_BYTES).then(|| u64_at(body, 40)),
    })
}

/// Reads the witness in the store's folder `path`.
pub fn read(path: &Path) -> Result<Found, StoreError> {
    let file = path.join(WITNESS_FILE);
    match std::fs::read(&file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Found::Absent),
        Err(e) => Err(StoreError::Io(format!(
            "{}: kan inte läsas: {}",
            file.display(),
            crate::lang::io_error(&e)
        ))),
        Ok(bytes) => Ok(decode(&bytes)),
    }
}

/// Overwrites the witness in place, without an fsync of its own (a rename would wait on the file
/// system's journal): after a power cut it can only lag behind sled's data or fail its check, both
/// harmless; it is never ahead of what is durable.
pub fn write(path: &Path, head: &Head, data_bytes: u64) -> Result<(), StoreError> {
    use std::os::unix::fs::FileExt;
    let file = path.join(WITNESS_FILE);
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&file)
        .and_then(|f| f.write_all_at(&encode(head, data_bytes), 0))
        .map_err(|e| {
            StoreError::Io(format!(
                "{}: kan inte skrivas: {}",
                file.display(),
                crate::lang::io_error(&e)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn head() -> Head {
        Head {
            seq: 1234,
            hash: [0xab; 32],
        }
    }

    /// Pins version 2 byte for byte: stored witnesses must keep reading back. Do not update the
    /// expectation; add a version instead.
    #[test]
    fn golden_bytes_of_version_2() {
        let w = Witness {
            head: head(),
            data_bytes: Some(4_194_303),
        };
        let bytes = encode(&head(), 4_194_303);
        expect_test::expect!["d204000000000000ababababababababababababababababababababababababababababababababffff3f00000000001652013a6d3130d0"]
            .assert_eq(&hex(&bytes));
        assert_eq!(decode(&bytes), Found::Valid(w));
    }

    #[test]
    fn version_1_still_reads_without_a_length() {
        let mut v1 = encode(&head(), 0)[..40].to_vec();
        let c = check(&v1);
        v1.extend_from_slice(&c);
        assert_eq!(
            decode(&v1),
            Found::Valid(Witness {
                head: head(),
                data_bytes: None
            })
        );
    }

    #[test]
    fn a_torn_or_damaged_witness_proves_nothing() {
        let bytes = encode(&head(), 9);
        assert_eq!(decode(&bytes[..50]), Found::Unreadable);
        let mut flipped = bytes.clone();
        flipped[3] ^= 1;
        assert_eq!(decode(&flipped), Found::Unreadable);
        assert_eq!(decode(&[]), Found::Unreadable);
    }
}
