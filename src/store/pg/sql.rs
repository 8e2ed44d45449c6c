//! The statements of the PostgreSQL engine, each prepared once per connection.

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rambok_heads (
  ledger text PRIMARY KEY,
  seq bigint NOT NULL CHECK (seq >= 0),
  hash bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE TABLE IF NOT EXISTS rambok_blocks (
  ledger text NOT NULL REFERENCES rambok_heads (ledger),
  first_seq bigint NOT NULL CHECK (first_seq > 0),
  bytes bytea NOT NULL,
  PRIMARY KEY (ledger, first_seq)
);
ALTER TABLE rambok_blocks ALTER COLUMN bytes SET STORAGE EXTERNAL;
CREATE TABLE IF NOT EXISTS rambok_derived (
  ledger text NOT NULL REFERENCES rambok_heads (ledger),
  key bytea NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (ledger, key)
);
";

pub(super) const STAGING: &str = "
CREATE TEMP TABLE IF NOT EXISTS rambok_staged_blocks (
  from_seq bigint NOT NULL, first_seq bigint NOT NULL, bytes bytea NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS rambok_staged_derived (
  from_seq bigint NOT NULL, key bytea NOT NULL, value bytea NOT NULL);
";

/// An append that staged nothing, in one statement: moves the head from the expected sequence
/// number and, only when it did, writes the blocks and entries; returns how many heads moved.
pub(super) const APPEND: &str = "WITH h AS (
    UPDATE rambok_heads SET seq = $3, hash = $4 WHERE ledger = $1 AND seq = $2 RETURNING ledger
  ), b AS (
    INSERT INTO rambok_blocks (ledger, first_seq, bytes)
    SELECT h.ledger, s, b FROM h, unnest($5::int8[], $6::bytea[]) AS t(s, b)
  ), d AS (
    INSERT INTO rambok_derived (ledger, key, value)
    SELECT h.ledger, k, v FROM h, unnest($7::bytea[], $8::bytea[]) AS t(k, v)
    ON CONFLICT (ledger, key) DO UPDATE SET value = EXCLUDED.value
  )
  SELECT count(*) FROM h";
pub(super) const HEAD_SEQ: &str = "SELECT seq FROM rambok_heads WHERE ledger = $1";
pub(super) const HEAD: &str = "SELECT seq, hash FROM rambok_heads WHERE ledger = $1";
pub(super) const GET_DERIVED: &str =
    "SELECT value FROM rambok_derived WHERE ledger = $1 AND key = $2";
pub(super) const BLOCK_HOLDING: &str = "SELECT coalesce(max(first_seq), 0) FROM rambok_blocks
  WHERE ledger = $1 AND first_seq <= $2";
pub(super) const BLOCK_PAGE: &str = "SELECT first_seq, bytes FROM rambok_blocks
  WHERE ledger = $1 AND first_seq >= $2 AND first_seq <= $3 ORDER BY first_seq LIMIT $4";
pub(super) const DERIVED_FROM_TO: &str = "SELECT key, value FROM rambok_derived
  WHERE ledger = $1 AND key >= $2 AND key < $3 ORDER BY key LIMIT $4";
pub(super) const DERIVED_AFTER_TO: &str = "SELECT key, value FROM rambok_derived
  WHERE ledger = $1 AND key > $2 AND key < $3 ORDER BY key LIMIT $4";
pub(super) const DERIVED_FROM: &str = "SELECT key, value FROM rambok_derived
  WHERE ledger = $1 AND key >= $2 ORDER BY key LIMIT $3";
pub(super) const DERIVED_AFTER: &str = "SELECT key, value FROM rambok_derived
  WHERE ledger = $1 AND key > $2 ORDER BY key LIMIT $3";

/// The first page of a range with the head (one row with no entry when the range is empty).
pub(super) const RANGE_WITH_HEAD: &str = "SELECT h.seq, d.key, d.value FROM rambok_heads h
  LEFT JOIN LATERAL (SELECT key, value FROM rambok_derived
    WHERE ledger = $1 AND key >= $2 AND key < $3 ORDER BY key LIMIT $4) d ON true
  WHERE h.ledger = $1";
pub(super) const FROM_WITH_HEAD: &str = "SELECT h.seq, d.key, d.value FROM rambok_heads h
  LEFT JOIN LATERAL (SELECT key, value FROM rambok_derived
    WHERE ledger = $1 AND key >= $2 ORDER BY key LIMIT $3) d ON true
  WHERE h.ledger = $1";
/// Several ranges (`$2[i] <= key < $3[i]`), the first page of each, with the head; each row
/// names its range by its place (from 1), and a range with no entry has one row without one.
pub(super) const RANGES_WITH_HEAD: &str = "SELECT h.seq, r.i, d.key, d.value FROM rambok_heads h
  CROSS JOIN unnest($2::bytea[], $3::bytea[]) WITH ORDINALITY AS r(s, e, i)
  LEFT JOIN LATERAL (SELECT key, value FROM rambok_derived
    WHERE ledger = $1 AND key >= r.s AND key < r.e ORDER BY key LIMIT $4) d ON true
  WHERE h.ledger = $1";
/// As `RANGES_WITH_HEAD`, with the entry `$5` beside the head (the index head: read in the same
/// statement, so the ranges hold everything it covers), and without the entries of a range whose
/// cached read (`$6[i]`, the head it was read at, or -1) is at or past the head now.
pub(super) const KEY_AND_RANGES: &str = "SELECT h.seq, k.value, r.i, d.key, d.value
  FROM rambok_heads h
  LEFT JOIN rambok_derived k ON k.ledger = $1 AND k.key = $5
  CROSS JOIN unnest($2::bytea[], $3::bytea[], $6::int8[]) WITH ORDINALITY AS r(s, e, known, i)
  LEFT JOIN LATERAL (SELECT key, value FROM rambok_derived
    WHERE ledger = $1 AND key >= r.s AND key < r.e AND r.known < h.seq ORDER BY key LIMIT $4) d
    ON true
  WHERE h.ledger = $1";
/// The blocks holding each of the records `$2`, each once.
/// Each with where the next block starts (or the head + 1), so a process may keep it.
pub(super) const BLOCKS_HOLDING: &str = "SELECT b.first_seq, b.bytes, coalesce(
    (SELECT min(n.first_seq) FROM rambok_blocks n WHERE n.ledger = $1 AND n.first_seq > b.first_seq),
    (SELECT h.seq + 1 FROM rambok_heads h WHERE h.ledger = $1))
  FROM rambok_blocks b
  WHERE b.ledger = $1 AND b.first_seq = ANY (
    SELECT DISTINCT (SELECT max(first_seq) FROM rambok_blocks
      WHERE ledger = $1 AND first_seq <= s) FROM unnest($2::int8[]) AS t(s))";

pub(super) const UPSERT_DERIVED: &str = "INSERT INTO rambok_derived (ledger, key, value)
  SELECT $1, k, v FROM unnest($2::bytea[], $3::bytea[]) AS t(k, v)
  ON CONFLICT (ledger, key) DO UPDATE SET value = EXCLUDED.value";
