//! The on-disk record formats, versions 1 and 2, and the hash chain.
//!
//! A record is laid out little-endian as:
//!
//! ```text
//! u8   format version (1, or 2 for an event with provenance)
//! u64  sequence number (gapless, from 1)
//! i64  recorded_at, microseconds since 1970-01-01 UTC
//! u16  length of recorded_by, then its UTF-8 bytes
//! u32  length of the payload, then the payload (bincode of `Event`, see `domain::codec`)
//! [32] SHA-256 over the previous record's hash followed by every byte above
//! ```
//!
//! Version 2 differs only in its payload: the event's version 1 payload followed by its
//! provenance (source, assumed fields, backfill). An event without provenance is always written
//! as version 1, so its bytes are what they were before provenance existed.
//!
//! Records are packed into blocks (several records back to back under one storage key), because the
//! embedded store's cost is per key. **Invariant:** a record's bytes never change once written; a
//! new format gets a new version byte and this module keeps decoding every older one.

use crate::domain::codec;
use crate::domain::event::Event;
use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// The format of an event without provenance.
pub const FORMAT_VERSION: u8 = 1;
/// The format of an event with provenance; the newest this program reads.
pub const FORMAT_VERSION_PROVENANCE: u8 = 2;
/// The hash the first record chains to.
pub const GENESIS_HASH: [u8; 32] = [0; 32];
/// Longest recorder name in bytes.
pub const RECORDED_BY_BYTES_MAX: usize = 256;

pub type Hash = [u8; 32];

/// An event as the ledger holds it: with its place in the log, who recorded it, when, and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub seq: u64,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub event: Event,
    pub hash: Hash,
}

/// What is wrong with bytes that should be a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("postens formatversion {0} kan inte läsas av detta program (det läser version {FORMAT_VERSION} och {FORMAT_VERSION_PROVENANCE})")]
    UnknownVersion(u8),
    #[error("posten är avkortad")]
    Truncated,
    #[error("postens innehåll går inte att avkoda: {0}")]
    Payload(String),
    #[error("namnet på den som registrerade är inte giltig UTF-8")]
    RecorderNotUtf8,
    #[error("recorded_at {0} ligger utanför det möjliga")]
    BadTime(i64),
}

/// Encodes one record chained to `prev`; returns its bytes and its hash.
pub fn encode(
    prev: &Hash,
    seq: u64,
    recorded_at: DateTime<Utc>,
    recorded_by: &str,
    event: &Event,
) -> (Vec<u8>, Hash) {
    let payload = codec::encode_event(event);
    let by = recorded_by.as_bytes();
    debug_assert!(by.len() <= RECORDED_BY_BYTES_MAX);
    let mut out = Vec::with_capacity(1 + 8 + 8 + 2 + by.len() + 4 + payload.len() + 32);
    out.push(codec::payload_version(event));
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&recorded_at.timestamp_micros().to_le_bytes());
    out.extend_from_slice(&(by.len() as u16).to_le_bytes());
    out.extend_from_slice(by);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&payload);
    let hash = chain_hash(prev, &out);
    out.extend_from_slice(&hash);
    (out, hash)
}

pub fn chain_hash(prev: &Hash, body: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(body);
    h.finalize().into()
}

/// One record read from a block, not yet checked against the chain.
pub struct RawRecord<'a> {
    /// Every byte the hash covers (all but the stored hash).
    pub body: &'a [u8],
    pub stored_hash: Hash,
    pub seq: u64,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or(DecodeError::Truncated)?;
        let s = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated)?;
        self.at = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

/// Splits the next record off `bytes` at `at`; returns it and where the one after starts.
pub fn split(bytes: &[u8], at: usize) -> Result<(RawRecord<'_>, usize), DecodeError> {
    let mut c = Cursor { bytes, at };
    let version = c.take(1)?[0];
    if version != FORMAT_VERSION && version != FORMAT_VERSION_PROVENANCE {
        return Err(DecodeError::UnknownVersion(version));
    }
    let seq = c.u64()?;
    c.take(8)?;
    let by_len = c.u16()? as usize;
    c.take(by_len)?;
    let payload_len = c.u32()? as usize;
    if payload_len as u64 > codec::PAYLOAD_BYTES_MAX {
        return Err(DecodeError::Payload(format!(
            "innehållets längd {payload_len} byte överstiger gränsen"
        )));
    }
    c.take(payload_len)?;
    let body_end = c.at;
    let stored_hash: Hash = c.take(32)?.try_into().expect("32 bytes");
    Ok((
        RawRecord {
            body: &bytes[at..body_end],
            stored_hash,
            seq,
        },
        c.at,
    ))
}

/// Decodes the fields of a record body (as split off by [`split`]).
pub fn decode(raw: &RawRecord) -> Result<Recorded, DecodeError> {
    let version = raw.body.first().copied().ok_or(DecodeError::Truncated)?;
    let mut c = Cursor {
        bytes: raw.body,
        at: 1,
    };
    let seq = c.u64()?;
    let micros = c.u64()? as i64;
    let by_len = c.u16()? as usize;
    let by = std::str::from_utf8(c.take(by_len)?).map_err(|_| DecodeError::RecorderNotUtf8)?;
    let payload_len = c.u32()? as usize;
    let event = codec::decode_event(version, c.take(payload_len)?).map_err(DecodeError::Payload)?;
    let recorded_at = Utc
        .timestamp_micros(micros)
        .single()
        .ok_or(DecodeError::BadTime(micros))?;
    Ok(Recorded {
        seq,
        recorded_at,
        recorded_by: by.to_string(),
        event,
        hash: raw.stored_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::amount::Amount;
    use crate::domain::event::{Date, Decision, EventBody, Provenance, Source};
    use uuid::Uuid;

    fn sample() -> Event {
        Event::new(
            Uuid::from_u128(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff),
            Some("Källa: KS 2016/1130".into()),
            EventBody::FrameSet {
                office: "KLK".into(),
                year: 2017,
                amount: Amount::from_kr(477_569_000),
                decision: Decision {
                    body: "KF".into(),
                    date: Date::ymd(2016, 6, 20).unwrap(),
                    case: Some("KS 2016/1130".into()),
                    paragraph: Some("§ 65".into()),
                },
            },
        )
    }

    fn with_provenance() -> Event {
        let mut e = sample();
        e.provenance = Provenance {
            source: Some(Source {
                document: "KS 2016/1130".into(),
                page: Some("15".into()),
            }),
            assumed: vec!["decision.date".into(), "decision.body".into()],
            backfill: Some("Kalmar 2016".into()),
        };
        e
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Pins format version 1 byte for byte: if this test fails, stored ledgers would no longer
    /// read back. Do not update the expectation; add a new format version instead.
    #[test]
    fn golden_bytes_of_format_version_1() {
        let at = Utc.with_ymd_and_hms(2016, 11, 22, 9, 30, 0).unwrap();
        let (bytes, hash) = encode(&GENESIS_HASH, 1, at, "asa.bejvall", &sample());
        expect_test::expect!["0101000000000000000036926ae04105000b006173612e62656a76616c6c550000001000112233445566778899aabbccddeeff01144bc3a46c6c613a204b5320323031362f3131333000034b4c4bfbc20ffd40ed103d16000000024b46fc0e771600010c4b5320323031362f313133300105c2a7203635"]
            .assert_eq(&hex(&bytes[..bytes.len() - 32]));
        expect_test::expect!["4a6fa00ddb6dcb6e75b99882dd0299e3b2154570b3fe6990744e87f874cf0883"]
            .assert_eq(&hex(&hash));
        let (raw, next) = split(&bytes, 0).unwrap();
        assert_eq!(next, bytes.len());
        let back = decode(&raw).unwrap();
        assert_eq!(back.event, sample());
        assert_eq!(back.recorded_at, at);
        assert_eq!(back.recorded_by, "asa.bejvall");
        assert_eq!(chain_hash(&GENESIS_HASH, raw.body), raw.stored_hash);
    }

    /// Pins format version 2 (an event with provenance): the version 1 payload, then the
    /// provenance. The same rule as above: never update the expectation.
    #[test]
    fn golden_bytes_of_format_version_2() {
        let at = Utc.with_ymd_and_hms(2016, 11, 22, 9, 30, 0).unwrap();
        let (bytes, hash) = encode(&GENESIS_HASH, 1, at, "asa.bejvall", &with_provenance());
        let (v1, _) = encode(&GENESIS_HASH, 1, at, "asa.bejvall", &sample());
        assert_eq!(bytes[0], FORMAT_VERSION_PROVENANCE);
        // The event's own payload is the version 1 payload, unchanged.
        let v1_payload = &v1[1 + 8 + 8 + 2 + 11 + 4..v1.len() - 32];
        assert_eq!(
            &bytes[1 + 8 + 8 + 2 + 11 + 4..][..v1_payload.len()],
            v1_payload
        );
        expect_test::expect!["0201000000000000000036926ae04105000b006173612e62656a76616c6c910000001000112233445566778899aabbccddeeff01144bc3a46c6c613a204b5320323031362f3131333000034b4c4bfbc20ffd40ed103d16000000024b46fc0e771600010c4b5320323031362f313133300105c2a7203635010c4b5320323031362f3131333001023135020d6465636973696f6e2e646174650d6465636973696f6e2e626f6479010b4b616c6d61722032303136"]
            .assert_eq(&hex(&bytes[..bytes.len() - 32]));
        expect_test::expect!["0ca25e8aa7c5bc72f4178002eff11a4fecc53cdc5c781986b075f53cc78ad184"]
            .assert_eq(&hex(&hash));
        let (raw, _) = split(&bytes, 0).unwrap();
        assert_eq!(decode(&raw).unwrap().event, with_provenance());
    }

    /// A format 2 record whose provenance is empty is refused: every event has one encoding.
    #[test]
    fn format_2_without_provenance_is_refused() {
        let at = Utc.with_ymd_and_hms(2016, 11, 22, 9, 30, 0).unwrap();
        let mut e = sample();
        e.provenance.assumed = vec!["x".into()];
        let (mut bytes, _) = encode(&GENESIS_HASH, 1, at, "a", &e);
        // Provenance {source: None, assumed: [x], backfill: None} ends 00 01 01 78 00; make it empty.
        let n = bytes.len() - 32;
        assert_eq!(&bytes[n - 5..n], &[0, 1, 1, b'x', 0]);
        bytes.splice(n - 5..n, [0, 0, 0]);
        let len_at = 1 + 8 + 8 + 2 + 1;
        let len = u32::from_le_bytes(bytes[len_at..len_at + 4].try_into().unwrap()) - 2;
        bytes[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
        let (raw, _) = split(&bytes, 0).unwrap();
        assert!(matches!(decode(&raw), Err(DecodeError::Payload(_))));
    }

    /// The payloads of the indicator events, pinned like format version 1 above: they were added
    /// as new variants at the end of `EventBody`, so every earlier payload keeps its bytes.
    #[test]
    fn golden_bytes_of_the_indicator_events() {
        use crate::domain::measure::{Direction, Measure};
        let id = Uuid::from_u128(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff);
        let event = |body| Event {
            id,
            note: None,
            body,
            provenance: Default::default(),
        };
        let decision = Decision {
            body: "KS".into(),
            date: Date::ymd(2016, 11, 22).unwrap(),
            case: Some("KS 2016/1130".into()),
            paragraph: None,
        };
        let value = |s| Measure::parse(s).unwrap();
        let events = [
            event(EventBody::IndicatorDefined {
                indicator: "SJUK".into(),
                name: "Sjukfrånvaro".into(),
                unit: "%".into(),
                direction: Direction::Lower,
                goal: Some("NM17-15".into()),
                office: Some("KLK".into()),
            }),
            event(EventBody::TargetSet {
                indicator: "SJUK".into(),
                year: 2017,
                value: value("3.5"),
                decision,
            }),
            event(EventBody::Measured {
                indicator: "SJUK".into(),
                year: 2015,
                value: value("3.4"),
                date: Date::ymd(2016, 11, 22).unwrap(),
            }),
        ];
        let hex_of: Vec<String> = events
            .iter()
            .map(|e| hex(&crate::domain::codec::encode_event(e)))
            .collect();
        expect_test::expect![[r#"
            [
                "1000112233445566778899aabbccddeeff001304534a554b0d536a756b6672c3a56e7661726f01250101074e4d31372d313501034b4c4b",
                "1000112233445566778899aabbccddeeff001404534a554bfbc20f4601024b53fc44781600010c4b5320323031362f3131333000",
                "1000112233445566778899aabbccddeeff001504534a554bfbbe0f4401fc44781600",
            ]
        "#]].assert_debug_eq(&hex_of);
        for e in &events {
            let bytes = crate::domain::codec::encode_event(e);
            assert_eq!(&crate::domain::codec::decode_event(1, &bytes).unwrap(), e);
        }
    }

    /// The payloads of the claims beyond a printed figure and of the delegation order, pinned
    /// like the indicator events: new variants at the end of `EventBody` (and of the enums
    /// `ReportedTable` and `ReportedColumn`), so no earlier payload changes.
    #[test]
    fn golden_bytes_of_the_claims_and_the_delegation_order() {
        use crate::domain::amount::Amount;
        use crate::domain::event::{
            Counted, DelegationRule, Part, ReportedColumn, ReportedTable, Status,
        };
        use crate::domain::measure::Measure;
        let id = Uuid::from_u128(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff);
        let event = |body| Event {
            id,
            note: None,
            body,
            provenance: Default::default(),
        };
        let day = Date::ymd(2016, 11, 22).unwrap();
        let events = [
            event(EventBody::ReportedParts {
                report: ReportedTable::Bridge,
                office: "KLK".into(),
                year: 2017,
                row: "transfers".into(),
                column: ReportedColumn::Difference,
                parts: vec![
                    Part {
                        label: "HR".into(),
                        amount: Amount::from_kr(7_747_000),
                    },
                    Part {
                        label: "lön".into(),
                        amount: Amount::from_kr(2_265_000),
                    },
                ],
                precision_ore: 100_000,
                source: "s. 15".into(),
                date: day,
            }),
            event(EventBody::ReportedCount {
                office: "KLK".into(),
                year: 2014,
                items: Counted::Activities,
                status: Some(Status::Started),
                count: 8,
                share_percent: Some(Measure::parse("14").unwrap()),
                source: "s. 12".into(),
                date: day,
            }),
            event(EventBody::ReportedTarget {
                indicator: "SJUK".into(),
                year: 2017,
                value: Measure::parse("3.5").unwrap(),
                source: "bilaga".into(),
                date: day,
            }),
            event(EventBody::DelegationSet {
                name: "D".into(),
                rules: vec![DelegationRule {
                    kind: "transfer".into(),
                    bodies: vec!["KF".into(), "$committee".into()],
                }],
                net_zero_only: vec!["kommundirektör".into()],
                decision: Decision {
                    body: "KF".into(),
                    date: day,
                    case: None,
                    paragraph: None,
                },
            }),
        ];
        let hex_of: Vec<String> = events
            .iter()
            .map(|e| hex(&crate::domain::codec::encode_event(e)))
            .collect();
        expect_test::expect![[r#"
            [
                "1000112233445566778899aabbccddeeff001604034b4c4bfbc20f097472616e73666572730702024852fcc0f7595c046cc3b66efc403b001bfc400d030005732e203135fc44781600",
                "1000112233445566778899aabbccddeeff0017034b4c4bfbbc0f00010108011c0005732e203132fc44781600",
                "1000112233445566778899aabbccddeeff001804534a554bfbc20f46010662696c616761fc44781600",
                "1000112233445566778899aabbccddeeff0019014401087472616e7366657202024b460a24636f6d6d6974746565010f6b6f6d6d756e646972656b74c3b672024b46fc447816000000",
            ]
        "#]].assert_debug_eq(&hex_of);
        for e in &events {
            let bytes = crate::domain::codec::encode_event(e);
            assert_eq!(&crate::domain::codec::decode_event(1, &bytes).unwrap(), e);
        }
    }

    #[test]
    fn unknown_version_is_named() {
        let (mut bytes, _) = encode(&GENESIS_HASH, 1, Utc::now(), "x", &sample());
        bytes[0] = 9;
        assert_eq!(split(&bytes, 0).err(), Some(DecodeError::UnknownVersion(9)));
    }
}
