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

/// Reads every record, checking format, sequence and chain, then compares the stored index with
/// the one the log gives; returns the head on success.
pub fn verify<S: Store>(ledger: &Ledger<S>) -> Result<Verified, LedgerError> {
    checks(ledger, None).map(|(verified, _)| verified)
}

/// Every check `verify` makes, in its order; with `keep`, also the hash of that record as the
/// chain check read it. The one list of checks both `verify` and `verify_against` run, so the
/// stronger command can never give the weaker answer (docs/reliability.md, section 5).
fn checks<S: Store>(
    ledger: &Ledger<S>,
    keep: Option<u64>,
) -> Result<(Verified, Option<Hash>), LedgerError> {
    let head = ledger.store().head()?;
    let mut kept = None;
    ledger.scan(1, |r| {
        if Some(r.seq) == keep {
            kept = Some(r.hash);
        }
        Ok(())
    })?;
    ledger.check_index()?;
    Ok((Verified { head }, kept))
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
    let v: serde_json::Value = serde_json::from_str(text.trim()).map_err(|e| {
        format!(
            "inte en kontrollsumma från rambok: {}",
            crate::json::describe_json_error(&e)
        )
    })?;
    if v["format"] != "rambok-digest-1" {
        return Err("inte en kontrollsumma från rambok (väntade formatet rambok-digest-1)".into());
    }
    let seq = v["seq"]
        .as_u64()
        .ok_or("kontrollsumman saknar sekvensnummer")?;
    let hash = v["hash"]
        .as_str()
        .and_then(unhex)
        .ok_or("kontrollsummans hash är inte 64 hexadecimala siffror")?;
    Ok(Head { seq, hash })
}

/// Verifies the ledger exactly as [`verify`] does (any damage it finds is the answer, word for
/// word) and then that the record at the digest's sequence number still has the digest's hash:
/// the chain being intact, everything up to the digest is then unchanged.
pub fn verify_against<S: Store>(
    ledger: &Ledger<S>,
    digest: &Head,
) -> Result<Verified, LedgerError> {
    let (verified, kept) = checks(ledger, Some(digest.seq))?;
    extends(&verified.head, digest, kept)?;
    Ok(verified)
}

/// Whether a verified ledger whose head is `head`, and whose record at the digest's sequence
/// number has the hash `kept`, extends `digest`.
fn extends(head: &Head, digest: &Head, kept: Option<Hash>) -> Result<(), LedgerError> {
    let differs = |seq, kind, what: &str| {
        Err(LedgerError::Corrupt {
            seq,
            kind,
            what: what.to_string(),
        })
    };
    if digest.seq == 0 {
        if digest.hash != crate::store::record::GENESIS_HASH {
            return differs(
                0,
                Damage::ChangedBytes,
                "en kontrollsumma för sekvens 0 (den tomma liggaren) har en enda möjlig hash, och det är inte denna",
            );
        }
        return Ok(());
    }
    match kept {
        Some(hash) if digest.seq <= head.seq && hash == digest.hash => Ok(()),
        Some(_) if digest.seq <= head.seq => differs(
            digest.seq,
            Damage::ChangedBytes,
            "postens hash skiljer sig från kontrollsumman: liggaren har skrivits om fram till hit",
        ),
        // Beyond the head `verify` reports (the chain check reads every record up to it).
        _ => differs(
            head.seq + 1,
            Damage::Missing,
            &format!(
                "kontrollsumman anger post {} men liggaren slutar vid {}: poster har tagits bort",
                digest.seq, head.seq
            ),
        ),
    }
}
