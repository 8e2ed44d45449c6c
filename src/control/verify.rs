//! Tamper evidence: recompute the hash chain over every record, name the first bad sequence number
//! and what is wrong, and prove that the ledger still extends a digest taken earlier.

use crate::ledger::{Damage, Ledger, LedgerError};
use crate::store::record::Hash;
use crate::store::{Head, Store};
use serde_json::json;

/// The head of a verified ledger: how many records, and the last one's hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    pub head: Head,
}

/// Reads every record, checking format, sequence and chain; returns the head on success.
pub fn verify<S: Store>(ledger: &Ledger<S>) -> Result<Verified, LedgerError> {
    let head = ledger.store().head()?;
    ledger.scan(1, |_| Ok(()))?;
    ledger.check_index()?;
    Ok(Verified { head })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Hash> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(out)
}

/// The digest file's text: the head's sequence number and hash, as JSON.
pub fn digest_text(head: &Head) -> String {
    format!(
        "{}\n",
        json!({"format": "rambok-digest-1", "seq": head.seq, "hash": hex(&head.hash)})
    )
}

/// Reads a digest file's text back.
pub fn parse_digest(text: &str) -> Result<Head, String> {
    let v: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("not a rambok digest: {e}"))?;
    if v["format"] != "rambok-digest-1" {
        return Err("not a rambok digest (format rambok-digest-1 expected)".into());
    }
    let seq = v["seq"]
        .as_u64()
        .ok_or("the digest has no sequence number")?;
    let hash = v["hash"]
        .as_str()
        .and_then(unhex)
        .ok_or("the digest's hash is not 64 hex digits")?;
    Ok(Head { seq, hash })
}

/// Verifies the whole ledger and that the record at the digest's sequence number still has the
/// digest's hash: then, the chain being intact, everything up to the digest is unchanged.
pub fn verify_against<S: Store>(
    ledger: &Ledger<S>,
    digest: &Head,
) -> Result<Verified, LedgerError> {
    let head = ledger.store().head()?;
    if digest.seq > head.seq {
        return Err(LedgerError::Corrupt {
            seq: head.seq + 1,
            kind: Damage::Missing,
            what: format!(
                "the digest names record {} but the ledger ends at {}: records were removed",
                digest.seq, head.seq
            ),
        });
    }
    if digest.seq == 0 && digest.hash != crate::store::record::GENESIS_HASH {
        return Err(LedgerError::Corrupt {
            seq: 0,
            kind: Damage::ChangedBytes,
            what: "a digest of sequence 0 (the empty ledger) has one hash, and this is not it"
                .into(),
        });
    }
    let mut found = digest.seq == 0;
    ledger.scan(1, |r| {
        if r.seq == digest.seq {
            if r.hash != digest.hash {
                return Err(LedgerError::Corrupt {
                    seq: r.seq,
                    kind: Damage::ChangedBytes,
                    what: "its hash differs from the digest: the ledger was rewritten up to here"
                        .into(),
                });
            }
            found = true;
        }
        Ok(())
    })?;
    debug_assert!(
        found,
        "a chain-verified ledger holds every sequence number up to its head"
    );
    // Everything a report reads is checked here too, as by `verify`.
    ledger.check_index()?;
    Ok(Verified { head })
}
