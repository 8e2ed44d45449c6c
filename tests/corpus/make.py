#!/usr/bin/env python3
"""Writes the hostile import corpus: one file per case, NNN-short-name.jsonl, and expected.tsv.

Run from anywhere: `python3 tests/corpus/make.py`. The output is deterministic (no clock, no
unseeded randomness), so running it again changes nothing unless a case here changed. It deletes
the corpus files it no longer writes.

Every case is imported by tests/it/corpus.rs into a fresh ledger holding the base of
tests/it/corpus.rs (offices KLK and SBK, area ADM of KLK, goal NM17-01, activity AKT17-01, frame
00000000-0000-4000-8000-000000000001 and its correction 00000000-0000-4000-8000-000000000002) with
`rambok import FILE --user t`.

expected.tsv has one row per file: file, exit code, fragment, and optionally a fourth column.
- exit 1 (refused): the fragment must be in stderr, in which the file's path is written as FILE;
  the ledger must be byte for byte unchanged (`log --format json`).
- exit 0 (accepted): the fragment must be in stdout; the optional fourth column must be in
  `log --format json` afterwards (to pin *what* was accepted).
Fragments escape backslash, tab, newline and CR as \\\\, \\t, \\n, \\r, and any other control or
invisible character as \\u{HEX}. Lines starting with # are comments.

Cases marked PINNED below are accepted or answered in a way worth a second look; they pin today's
behaviour so a change is noticed (see docs/fuzzing.md, "Findings").
"""

import gzip
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KIB = 1024
MIB = 1024 * 1024

# A valid event that is not in the base: the first line of most files, so a refusal also proves
# that the valid line before the bad one was not written.
GOOD = (
    '{"type":"frame_changed","office":"SBK","year":2017,"amount":"-273","unit":"tkr",'
    '"category":"ramjustering","reason":"IT","decision":{"body":"KF","date":"2016-06-20"}}'
)
GOOD2 = (
    '{"type":"transfer","from":"SBK","to":"KLK","year":2017,"amount":"691","unit":"tkr",'
    '"reason":"HR","decision":{"body":"kommundirektör","date":"2016-10-01"}}'
)
FRAME_ID = "00000000-0000-4000-8000-000000000001"
CORRECTION_ID = "00000000-0000-4000-8000-000000000002"
DECISION = '"decision":{"body":"KF","date":"2017-06-19"}'

ONE_ADDED = "läste 1 händelse: 1 tillagd, 0 överhoppade"
TWO_ADDED = "läste 2 händelser: 2 tillagda, 0 överhoppade"
NONE_READ = "läste 0 händelser: 0 tillagda, 0 överhoppade"

CASES = []


def case(name, data, code, fragment, log=None):
    """One corpus file. `data` is str (written as UTF-8) or bytes (written as is)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    CASES.append((name, data, code, fragment, log))


def refused(name, data, fragment):
    case(name, data, 1, fragment)


def accepted(name, data, fragment=ONE_ADDED, log=None):
    case(name, data, 0, fragment, log)


def frame_set(fields, office="KLK", year="2018"):
    """A frame_set line with `fields` (JSON members, without braces) before the decision."""
    return '{"type":"frame_set","office":"%s","year":%s,%s,%s}' % (office, year, fields, DECISION)


def line2(bad):
    """GOOD on line 1, `bad` on line 2 (str or bytes)."""
    if isinstance(bad, str):
        bad = bad.encode("utf-8")
    return GOOD.encode() + b"\n" + bad + b"\n"


def padded(total):
    """A valid new frame_changed line padded with spaces to exactly `total` bytes."""
    line = GOOD2.replace('"691"', '"692"')
    assert len(line.encode()) <= total
    return line + " " * (total - len(line.encode()))


def note_line(note_bytes):
    """A frame_set line whose note string holds raw `note_bytes`."""
    head = frame_set('"amount":"1"')[:-1].encode()
    return head + b',"note":"' + note_bytes + b'"}'


# --- sizes --------------------------------------------------------------------------------------

refused("line-64k-plus-one", line2(padded(64 * KIB + 1)), "FILE:2: raden är längre än 65 536 byte")
refused("line-1mib", line2(padded(MIB)), "FILE:2: raden är längre än 65 536 byte")
refused(
    "line-10mib-no-newline",
    '{"type":"frame_set","note":"' + "x" * (10 * MIB),
    "FILE:1: raden är längre än 65 536 byte",
)
refused(
    "line-1mib-then-bad-line",
    padded(MIB) + "\n" + '{"type":"nope"}' + "\n",
    "FILE:2: fältet type: 'nope' är inte en händelsetyp",
)
accepted("line-exactly-64k", line2(padded(64 * KIB)), TWO_ADDED)
# PINNED: the limit counts the BOM, so a maximal first line with a BOM is refused.
refused(
    "line-exactly-64k-after-bom",
    b"\xef\xbb\xbf" + padded(64 * KIB).encode() + b"\n",
    "FILE:1: raden är längre än 65 536 byte",
)
# PINNED: a maximal last line ending in a lone CR without LF is refused (CR counted), although a
# shorter last line ending in CR is accepted (see cr-at-end-of-file).
refused(
    "line-exactly-64k-then-cr-at-eof",
    GOOD + "\n" + padded(64 * KIB) + "\r",
    "FILE:2: raden är längre än 65 536 byte",
)
refused(
    "note-of-10000-escapes",
    line2(frame_set('"amount":"1","note":"' + "\\u00f6" * 10000 + '"')),
    "FILE:2: fältet note: är längre än 2 000 tecken",
)
refused(
    "four-thousand-unknown-keys",
    line2(frame_set('"amount":"1",' + ",".join('"k%d":%d' % (i, i) for i in range(4000)))),
    "FILE:2: fältet k0: är inget fält i denna händelse",
)

# --- deep nesting ---------------------------------------------------------------------------------

refused(
    "nest-10000-arrays-in-note",
    line2(frame_set('"amount":"1","note":' + "[" * 10000 + "]" * 10000)),
    "FILE:2: inte giltig JSON: värdet är nästlat för djupt",
)
refused(
    "nest-10000-objects-in-decision",
    line2(
        '{"type":"frame_set","office":"KLK","year":2018,"amount":"1","decision":'
        + '{"a":' * 10000
        + "1"
        + "}" * 10001
    ),
    "FILE:2: inte giltig JSON: värdet är nästlat för djupt",
)
refused("nest-10000-arrays-top-level", line2("[" * 10000 + "]" * 10000), "FILE:2: inte giltig JSON: värdet är nästlat för djupt")
refused("nest-60000-unclosed-brackets", line2("[" * 60000), "FILE:2: inte giltig JSON: värdet är nästlat för djupt")
refused(
    "nest-alternating-10000",
    line2('{"type":"frame_set","note":' + '[{"a":' * 5000 + "1" + "}]" * 5000 + "}"),
    "FILE:2: inte giltig JSON: värdet är nästlat för djupt",
)
refused(
    "nest-100-below-the-limit",
    line2(frame_set('"amount":"1","note":' + "[" * 100 + "]" * 100)),
    "FILE:2: fältet note: ska vara en sträng, inte en lista",
)

# --- invalid UTF-8 --------------------------------------------------------------------------------

# The note starts at this byte of note_line(): "(at byte N)" points into it.
NOTE_AT = len(note_line(b"")) - 2
for name, raw in [
    ("utf8-lone-continuation-byte", b"\x80"),
    ("utf8-overlong-slash", b"\xc0\xaf"),
    ("utf8-overlong-nul", b"\xc0\x80"),
    ("utf8-overlong-3-byte", b"\xe0\x80\xaf"),
    ("utf8-overlong-4-byte", b"\xf0\x82\x82\xac"),
    ("utf8-encoded-high-surrogate", b"\xed\xa0\x80"),
    ("utf8-encoded-low-surrogate", b"\xed\xbf\xbf"),
    ("utf8-cesu8-surrogate-pair", b"\xed\xa0\xbd\xed\xb2\xa9"),
    ("utf8-truncated-3-byte", b"\xe2\x82"),
    ("utf8-truncated-4-byte", b"\xf0\x9f\x98"),
    ("utf8-above-u10ffff", b"\xf4\x90\x80\x80"),
    ("utf8-byte-ff", b"\xff"),
    ("utf8-byte-fe", b"\xfe"),
    ("utf8-windows-1252-quotes", b"\x93citat\x94"),
]:
    refused(name, line2(note_line(b"abc" + raw + b"def")), "FILE:2: raden är inte giltig UTF-8 (vid byte %d)" % (NOTE_AT + 3))
refused(
    "utf8-truncated-at-end-of-file",
    GOOD.encode() + b"\n" + note_line(b"x")[:-2] + b"\xe2\x82",
    "FILE:2: raden är inte giltig UTF-8 (vid byte %d)" % (NOTE_AT + 1),
)
refused(
    "utf8-latin1-file",
    '{"type":"office_defined","office":"SF","name":"serviceförvaltningen"}\n'.encode("latin-1"),
    "FILE:1: raden är inte giltig UTF-8 (vid byte 55)",
)
refused(
    "utf8-invalid-in-key",
    line2(b'{"type":"frame_set","offic\xe9":"KLK"}'),
    "FILE:2: raden är inte giltig UTF-8 (vid byte 26)",
)
refused(
    "utf8-invalid-after-blank-lines",
    GOOD.encode() + b"\n\n\r\n  \n" + note_line(b"\xc3") + b"\n",
    "FILE:5: raden är inte giltig UTF-8 (vid byte %d)" % NOTE_AT,
)

# --- byte-order marks and other encodings ---------------------------------------------------------

accepted("bom-on-line-1", "\ufeff" + GOOD + "\n", ONE_ADDED)
refused("bom-on-line-2", GOOD + "\n\ufeff" + GOOD2 + "\n", "FILE:2: inte giltig JSON: väntade ett värde (rad 1, kolumn 1)")
refused("bom-twice-on-line-1", "\ufeff\ufeff" + GOOD + "\n", "FILE:1: inte giltig JSON: väntade ett värde (rad 1, kolumn 1)")
accepted("bom-alone-on-line-1", "\ufeff\n" + GOOD + "\n", ONE_ADDED)
refused("bom-between-tokens", line2(frame_set('"amount":"1"').replace(",", ",\ufeff", 1)), "FILE:2: inte giltig JSON: nyckeln ska vara en sträng")
# PINNED: U+FEFF inside a string is an invisible format character, not a control character.
accepted(
    "bom-inside-a-note",
    frame_set('"amount":"1","note":"a\ufeffb"') + "\n",
    ONE_ADDED,
    '"note":"a\ufeffb"',
)
refused(
    "utf16le-with-bom",
    b"\xff\xfe" + (GOOD + "\r\n").encode("utf-16-le"),
    "FILE:1: raden är inte giltig UTF-8 (vid byte 0)",
)
refused(
    "utf16be-with-bom",
    b"\xfe\xff" + (GOOD + "\r\n").encode("utf-16-be"),
    "FILE:1: raden är inte giltig UTF-8 (vid byte 0)",
)
refused("utf16le-without-bom", (GOOD + "\n").encode("utf-16-le"), "FILE:1: inte giltig JSON: nyckeln ska vara en sträng")
refused(
    "utf32le-with-bom",
    b"\xff\xfe\x00\x00" + (GOOD + "\n").encode("utf-32-le"),
    "FILE:1: raden är inte giltig UTF-8 (vid byte 0)",
)
refused("gzip-compressed-file", gzip.compress((GOOD + "\n").encode(), mtime=0), "FILE:1: raden är inte giltig UTF-8 (vid byte 1)")
rng = random.Random(20170101)
refused(
    "random-binary-4kib",
    b"\xff" + bytes(rng.randrange(256) for _ in range(4 * KIB)),
    "FILE:1: raden är inte giltig UTF-8 (vid byte 0)",
)
refused(
    "csv-instead-of-jsonl",
    "office;year;amount\nKLK;2017;477569\n",
    "FILE:1: inte giltig JSON: väntade ett värde (rad 1, kolumn 1)",
)

# --- line ends ------------------------------------------------------------------------------------

accepted("crlf-everywhere", GOOD + "\r\n\r\n" + GOOD2 + "\r\n", TWO_ADDED)
accepted("crlf-last-line-without-newline", GOOD + "\r\n" + GOOD2, TWO_ADDED)
accepted("cr-at-end-of-file", GOOD + "\r", ONE_ADDED)
refused("cr-only-line-ends", GOOD + "\r" + GOOD2 + "\r", "FILE:1: inte giltig JSON: fler tecken efter värdet")
accepted("cr-cr-lf", GOOD + "\r\r\n" + GOOD2 + "\r\r\n", TWO_ADDED)
accepted("lf-cr-reversed", GOOD + "\n\r" + GOOD2 + "\n\r", TWO_ADDED)
refused(
    "raw-cr-inside-a-string",
    line2(note_line(b"rad 1\rrad 2")),
    "FILE:2: inte giltig JSON: en sträng innehåller ett styrtecken (\\u0000–\\u001F)",
)
refused(
    "raw-tab-inside-a-string",
    line2(note_line(b"kol 1\tkol 2")),
    "FILE:2: inte giltig JSON: en sträng innehåller ett styrtecken (\\u0000–\\u001F)",
)
accepted("vertical-tab-and-form-feed-lines", GOOD + "\n\x0b\n\x0c\n", ONE_ADDED)
refused("form-feed-before-json", line2("\x0c" + GOOD2), "FILE:2: inte giltig JSON: väntade ett värde (rad 1, kolumn 1)")
refused("unicode-line-separator-between-objects", GOOD + "\u2028" + GOOD2 + "\n", "FILE:1: inte giltig JSON: fler tecken efter värdet")
accepted("nel-line", GOOD + "\n\u0085\n", ONE_ADDED)
accepted("nbsp-only-lines", "\u00a0\n\u3000\n" + GOOD + "\n", ONE_ADDED)

# --- NUL bytes ------------------------------------------------------------------------------------

refused(
    "nul-raw-inside-a-string",
    line2(note_line(b"a\x00b")),
    "FILE:2: inte giltig JSON: en sträng innehåller ett styrtecken (\\u0000–\\u001F)",
)
refused("nul-between-tokens", line2(b'{"type":\x00"frame_set"}'), "FILE:2: inte giltig JSON: väntade ett värde (rad 1, kolumn 9)")
refused("nul-only-file", b"\x00" * 4096, "FILE:1: inte giltig JSON: väntade ett värde (rad 1, kolumn 1)")
refused("nul-padding-after-object", line2(GOOD2.encode() + b"\x00" * 16), "FILE:2: inte giltig JSON: fler tecken efter värdet")
refused(
    "nul-escaped-in-note",
    line2(frame_set('"amount":"1","note":"a\\u0000b"')),
    "FILE:2: fältet note: innehåller styrtecknet",
)
refused(
    "nul-escaped-in-office",
    line2(frame_set('"amount":"1"', office="KLK\\u0000")),
    "FILE:2: fältet office: innehåller styrtecknet",
)
# PINNED: an unknown key is echoed raw, NUL included.
refused(
    "nul-escaped-in-a-key",
    line2(frame_set('"amount":"1","office\\u0000":"KLK"')),
    "FILE:2: fältet office\\0: är inget fält i denna händelse",
)

# --- amounts --------------------------------------------------------------------------------------

for name, amount, unit, message in [
    ("amount-decimal-max", "79228162514264337593543950335", "kr", "är för stort"),
    ("amount-decimal-max-plus-one", "79228162514264337593543950336", "kr", "är inte ett tal"),  # PINNED
    ("amount-decimal-min", "-79228162514264337593543950335", "kr", "är för stort"),
    ("amount-decimal-min-minus-one", "-79228162514264337593543950336", "kr", "är inte ett tal"),  # PINNED
    ("amount-1e28-written-out", "1" + "0" * 28, "kr", "är för stort"),
    ("amount-28-decimal-places", "0." + "0" * 27 + "1", "kr", "har delar av öre"),
    ("amount-28-decimal-places-tkr", "0." + "0" * 27 + "1", "tkr", "har delar av öre"),
    ("amount-29-decimal-places", "0." + "0" * 28 + "1", "kr", "är för stort"),  # PINNED: wrong word
    ("amount-max-plus-one-ore", "1000000000000000.01", "kr", "är för stort"),
    ("amount-min-minus-one-ore", "-1000000000000000.01", "kr", "är för stort"),
    ("amount-1e16-kr", "1" + "0" * 16, "kr", "är för stort"),
    ("amount-max-plus-one-kr-in-tkr", "1000000000000.001", "tkr", "är för stort"),
    ("amount-max-plus-one-kr-in-mnkr", "1000000000.000001", "mnkr", "är för stort"),
    ("amount-10-to-the-15-mnkr", "1" + "0" * 15, "mnkr", "är för stort"),
    ("amount-41-characters", "1" + "0" * 40, "kr", "är inte ett tal"),  # PINNED: it is a number
    ("amount-41-character-zero-padded-one", "0" * 40 + "1", "kr", "är inte ett tal"),  # PINNED
    ("amount-dot-only", ".", "kr", "är inte ett tal"),
    ("amount-minus-only", "-", "kr", "är inte ett tal"),
    ("amount-double-dot", "1..2", "kr", "är inte ett tal"),
    ("amount-two-signs", "+-5", "kr", "är inte ett tal"),
    ("amount-exponent-in-string", "4.77569E5", "kr", "är inte ett tal"),
    ("amount-hex", "0x10", "kr", "är inte ett tal"),
    ("amount-nan", "NaN", "kr", "är inte ett tal"),
    ("amount-infinity", "Infinity", "kr", "är inte ett tal"),
    ("amount-fullwidth-digits", "４７７", "kr", "är inte ett tal"),
    ("amount-arabic-indic-digits", "٤٧٧", "kr", "är inte ett tal"),
    ("amount-unicode-minus", "\u2212273", "kr", "är inte ett tal"),
    ("amount-nbsp-grouping", "477\u00a0569", "kr", "är inte ett tal"),
]:
    refused(
        name,
        line2(frame_set('"amount":"%s","unit":"%s"' % (amount, unit))),
        "FILE:2: fältet amount: '%s' %s" % (amount, message),
    )
for name, amount, unit, kr in [
    ("amount-max-kr", "1000000000000000", "kr", "1000000000000000"),
    ("amount-min-kr", "-1000000000000000", "kr", "-1000000000000000"),
    ("amount-max-in-tkr", "1000000000000", "tkr", "1000000000000000"),
    ("amount-max-in-mnkr", "1000000000", "mnkr", "1000000000000000"),
    ("amount-one-ore-in-mnkr", "0.00000001", "mnkr", "0.01"),
    ("amount-negative-zero", "-0", "kr", "0"),
    ("amount-negative-zero-with-decimals", "-0.000", "tkr", "0"),
    ("amount-plus-sign", "+5", "kr", "5"),  # PINNED: docs mention only a leading '-'
    ("amount-leading-dot", ".5", "kr", "0.5"),
    ("amount-trailing-dot", "5.", "kr", "5"),
    ("amount-leading-zeros", "000477569", "tkr", "477569000"),
    ("amount-surrounding-spaces", " 5 ", "kr", "5"),
    ("amount-28-trailing-zeros", "1." + "0" * 27, "kr", "1"),
]:
    accepted(
        name,
        frame_set('"amount":"%s","unit":"%s"' % (amount, unit)) + "\n",
        ONE_ADDED,
        '"amount":"%s"' % kr,
    )
refused(
    "amount-negative-zero-change",
    line2(GOOD2.replace('"transfer","from":"SBK","to":"KLK"', '"frame_changed","office":"KLK","category":"c"').replace('"691"', '"-0"')),
    "FILE:2: fältet amount: en ramändring på noll ändrar ingenting",
)
refused("amount-json-number-with-exponent", line2(frame_set('"amount":4.77569e5')), "FILE:2: fältet amount: ska vara ett decimaltal som sträng, till exempel '477569.0', inte ett JSON-tal")
refused("amount-json-number-1e400", line2(frame_set('"amount":1e400')), "FILE:2: inte giltig JSON: talet är för stort")
refused("amount-json-negative-zero", line2(frame_set('"amount":-0')), "FILE:2: fältet amount: ska vara ett decimaltal som sträng, till exempel '-0.0', inte ett JSON-tal")
refused("amount-as-array", line2(frame_set('"amount":["1"]')), "FILE:2: fältet amount: ska vara ett decimaltal som sträng, inte en lista")
refused("amount-as-object", line2(frame_set('"amount":{"kr":"1"}')), "FILE:2: fältet amount: ska vara ett decimaltal som sträng, inte ett objekt")
refused("amount-null", line2(frame_set('"amount":null')), "FILE:2: fältet amount: saknas")
# A hundred maximal frame changes for one office and year sum to 10^17 kr = 10^19 öre, past i64.
accepted(
    "amount-hundred-maximal-changes",
    "".join(
        '{"type":"frame_changed","office":"KLK","year":2017,"amount":"1000000000000000","category":"c","reason":"r%d","decision":{"body":"KF","date":"2016-06-20"}}\n'
        % i
        for i in range(100)
    ),
    "läste 100 händelser: 100 tillagda, 0 överhoppade",
)

# --- dates ----------------------------------------------------------------------------------------


def dated(date):
    return frame_set('"amount":"1"').replace('"date":"2017-06-19"', '"date":%s' % date)


for name, date, message in [
    ("date-february-30", '"2017-02-30"', "datumet 2017-02-30 finns inte"),
    ("date-month-13", '"2017-13-01"', "datumet 2017-13-01 finns inte"),
    ("date-month-00", '"2017-00-10"', "datumet 2017-00-10 finns inte"),
    ("date-day-00", '"2017-01-00"', "datumet 2017-01-00 finns inte"),
    ("date-june-31", '"2017-06-31"', "datumet 2017-06-31 finns inte"),
    ("date-2017-02-29", '"2017-02-29"', "datumet 2017-02-29 finns inte"),
    ("date-1900-02-29", '"1900-02-29"', "datumet 1900-02-29 finns inte"),
    ("date-without-padding", '"2017-2-3"', "'2017-2-3' är inte ett datum (skriv ÅÅÅÅ-MM-DD)"),
    ("date-without-dashes", '"20170203"', "'20170203' är inte ett datum (skriv ÅÅÅÅ-MM-DD)"),
    ("date-with-time", '"2017-02-03T10:00:00"', "'2017-02-03T10:00:00' är inte ett datum"),
    ("date-with-zone", '"2017-02-03Z"', "'2017-02-03Z' är inte ett datum"),
    ("date-with-trailing-space", '"2017-02-03 "', "'2017-02-03 ' är inte ett datum"),
    ("date-five-digit-year", '"20017-02-03"', "'20017-02-03' är inte ett datum"),
    ("date-negative-year", '"-2017-02-03"', "'-2017-02-03' är inte ett datum"),
    ("date-plus-year", '"+2017-02-03"', "'+2017-02-03' är inte ett datum"),
    ("date-arabic-indic-digits", '"٢٠١٧-٠٢-٠٣"', "'٢٠١٧-٠٢-٠٣' är inte ett datum"),
    ("date-slashes", '"2017/02/03"', "'2017/02/03' är inte ett datum"),
    ("date-as-number", "20170203", "ska vara ett datum som sträng (ÅÅÅÅ-MM-DD), inte ett tal"),
    ("date-as-array", "[2017,2,3]", "ska vara ett datum som sträng (ÅÅÅÅ-MM-DD), inte en lista"),
]:
    refused(name, line2(dated(date)), "FILE:2: fältet decision.date: " + message)
accepted("date-2016-02-29", dated('"2016-02-29"') + "\n", ONE_ADDED, '"date":"2016-02-29"')
accepted("date-2000-02-29", dated('"2000-02-29"') + "\n", ONE_ADDED, '"date":"2000-02-29"')
# PINNED: decision dates have no range: year 0 and 9999 are accepted.
accepted("date-0000-01-01", dated('"0000-01-01"') + "\n", ONE_ADDED, '"date":"0000-01-01"')
accepted("date-9999-12-31", dated('"9999-12-31"') + "\n", ONE_ADDED, '"date":"9999-12-31"')

# --- years ----------------------------------------------------------------------------------------


def year(y):
    return frame_set('"amount":"1"', year=y)


for name, y, message in [
    ("year-1899", "1899", "1899 är inte ett år mellan 1900 och 2200"),
    ("year-2201", "2201", "2201 är inte ett år mellan 1900 och 2200"),
    ("year-i64-min", "-9223372036854775808", "-9223372036854775808 är inte ett år mellan 1900 och 2200"),
    ("year-above-i64", "9223372036854775808", "9223372036854775808 är inte ett år"),
    ("year-above-u64", "18446744073709551616", "1.8446744073709552e+19 är inte ett år mellan 1900 och 2200"),
    ("year-float", "2017.0", "2017.0 är inte ett år mellan 1900 och 2200"),
    ("year-exponent", "2.017e3", "2017.0 är inte ett år mellan 1900 och 2200"),
    ("year-negative-zero", "-0", "-0.0 är inte ett år"),
    ("year-string-with-space", '" 2017"', "' 2017' är inte ett år"),
    ("year-string-float", '"2017.0"', "'2017.0' är inte ett år"),
    ("year-boolean", "true", "ska vara ett år, inte ett sanningsvärde"),
    ("year-object", '{"år":2017}', "ska vara ett år, inte ett objekt"),
]:
    refused(name, line2(year(y)), "FILE:2: fältet year: " + message)
refused("year-1e400", line2(year("1e400")), "FILE:2: inte giltig JSON: talet är för stort")
accepted("year-1900", year("1900") + "\n", ONE_ADDED, '"year":1900')
accepted("year-2200", year("2200") + "\n", ONE_ADDED, '"year":2200')
accepted("year-as-string", year('"2018"') + "\n", ONE_ADDED, '"year":2018')
accepted("year-string-with-plus", year('"+2018"') + "\n", ONE_ADDED, '"year":2018')  # PINNED

# --- ids and duplicates ---------------------------------------------------------------------------

ID = "00000000-0000-4000-8000-0000000000cc"


def with_id(line, id_=ID):
    return line.replace("{", '{"id":"%s",' % id_, 1)


refused(
    "duplicate-id-different-content",
    with_id(GOOD) + "\n" + with_id(GOOD2) + "\n",
    "FILE:2: fältet id: %s finns redan i liggaren med annat innehåll" % ID,
)
accepted("duplicate-id-identical-lines", with_id(GOOD) + "\n" + with_id(GOOD) + "\n", "läste 2 händelser: 1 tillagd, 1 överhoppad")
accepted("duplicate-line-without-id", GOOD + "\n" + GOOD + "\n", "läste 2 händelser: 1 tillagd, 1 överhoppad")
accepted(
    "duplicate-id-same-content-other-unit",
    with_id(GOOD) + "\n" + with_id(GOOD.replace('"-273","unit":"tkr"', '"-273000.00","unit":"kr"')) + "\n",
    "läste 2 händelser: 1 tillagd, 1 överhoppad",
)
accepted(
    "duplicate-without-id-other-spacing-and-order",
    GOOD + "\n" + '{ "office" : "SBK" , "type":"frame_changed","year":"2017","amount":"-273000","category":" ramjustering ","reason":"IT","decision":{"date":"2016-06-20","body":"KF"}}\n',
    "läste 2 händelser: 1 tillagd, 1 överhoppad",
)
refused(
    "duplicate-id-of-a-base-event",
    line2(with_id(GOOD2, FRAME_ID)),
    "FILE:2: fältet id: %s finns redan i liggaren med annat innehåll" % FRAME_ID,
)
accepted("id-nil-uuid", with_id(GOOD, "00000000-0000-0000-0000-000000000000") + "\n", ONE_ADDED, '"id":"00000000-0000-0000-0000-000000000000"')
accepted("id-uppercase", with_id(GOOD, ID.upper()) + "\n", ONE_ADDED, '"id":"%s"' % ID)
accepted("id-braced", with_id(GOOD, "{%s}" % ID) + "\n", ONE_ADDED, '"id":"%s"' % ID)  # PINNED
accepted("id-urn", with_id(GOOD, "urn:uuid:%s" % ID) + "\n", ONE_ADDED, '"id":"%s"' % ID)  # PINNED
accepted("id-without-hyphens", with_id(GOOD, ID.replace("-", "")) + "\n", ONE_ADDED, '"id":"%s"' % ID)
accepted("id-null", GOOD.replace("{", '{"id":null,', 1) + "\n", ONE_ADDED)
refused("id-empty", line2(with_id(GOOD2, "")), "FILE:2: fältet id: är tomt")
refused("id-not-a-uuid", line2(with_id(GOOD2, "ett-id")), "FILE:2: fältet id: 'ett-id' är inte ett UUID")
refused("id-as-number", line2(GOOD2.replace("{", '{"id":1,', 1)), "FILE:2: fältet id: ska vara en sträng, inte ett tal")
refused("id-65-characters", line2(with_id(GOOD2, "a" * 65)), "FILE:2: fältet id: är längre än 64 tecken")
refused(
    "correction-of-itself",
    line2('{"id":"%s","type":"correction","corrects":"%s","reason":"r"}' % (ID, ID)),
    "FILE:2: fältet corrects: %s är inte en händelse i liggaren" % ID,
)
refused(
    "correction-before-its-target",
    line2('{"type":"correction","corrects":"%s","reason":"r"}' % ID) + with_id(GOOD2).encode() + b"\n",
    "FILE:2: fältet corrects: %s är inte en händelse i liggaren" % ID,
)
accepted(
    "correction-after-its-target",
    with_id(GOOD) + "\n" + '{"type":"correction","corrects":"%s","reason":"r"}\n' % ID,
    TWO_ADDED,
)

# --- duplicate keys: refused, whichever value comes first --------------------------------------
# serde_json alone keeps the last value silently; the import reads JSON that refuses a repeated key.

refused("duplicate-key-amount", frame_set('"amount":"1","amount":"1000000"') + "\n", "FILE:1: inte giltig JSON: nyckeln 'amount' förekommer två gånger i samma objekt")
refused("duplicate-key-amount-first-invalid", frame_set('"amount":"inte ett tal","amount":"5"') + "\n", "nyckeln 'amount' förekommer två gånger")
refused("duplicate-key-type", GOOD.replace('"type":"frame_changed"', '"type":"savings_required","type":"frame_changed"') + "\n", "nyckeln 'type' förekommer två gånger")
refused("duplicate-key-office", frame_set('"amount":"1","office":"SBK"') + "\n", "nyckeln 'office' förekommer två gånger")
refused("duplicate-key-unit", frame_set('"amount":"5","unit":"kr","unit":"mnkr"') + "\n", "nyckeln 'unit' förekommer två gånger")
refused("duplicate-key-id", GOOD.replace("{", '{"id":"%s","id":"%s",' % (FRAME_ID, ID), 1) + "\n", "nyckeln 'id' förekommer två gånger")
refused("duplicate-key-decision-date", frame_set('"amount":"1"').replace('"date":"2017-06-19"', '"date":"2017-06-19","date":"2016-01-01"') + "\n", "nyckeln 'date' förekommer två gånger")
refused("duplicate-key-note-null-last", frame_set('"amount":"1","note":"viktig","note":null') + "\n", "nyckeln 'note' förekommer två gånger")

# --- unknown fields -------------------------------------------------------------------------------

refused("unknown-field-capitalised-type", line2(GOOD2.replace('"type"', '"Type"')), "FILE:2: fältet type: saknas")
# PINNED: an empty key is named without "fältet".
refused("unknown-field-empty-key", line2(frame_set('"amount":"1","":"x"')), "FILE:2: är inget fält i denna händelse")
refused("unknown-field-in-decision", line2(frame_set('"amount":"1"').replace('"body":"KF"', '"body":"KF","datum":"x"')), "FILE:2: fältet decision.datum: är inget fält i denna händelse")
refused("unknown-field-unit-on-a-definition", line2('{"type":"office_defined","office":"SF","name":"n","unit":"tkr"}'), "FILE:2: fältet unit: är inget fält i denna händelse")
refused("unknown-field-with-trailing-space", line2(frame_set('"amount":"1","note ":"x"')), "FILE:2: fältet note : är inget fält i denna händelse")
# Unknown keys and bad values are quoted in stderr with control characters escaped: no escape
# sequence reaches the terminal and no forged line appears.
refused(
    "terminal-escape-in-a-key",
    line2(frame_set('"amount":"1","\\u001b[2J\\u001b[31mröd":"x"')),
    "FILE:2: fältet \\u{1b}[2J\\u{1b}[31mröd: är inget fält i denna händelse",
)
refused(
    "newline-in-a-key-forges-a-line",
    line2(frame_set('"amount":"1","x\\nrambok: read 0 events":"x"')),
    "FILE:2: fältet x\\nrambok: read 0 events: är inget fält i denna händelse",
)
refused(
    "terminal-escape-in-an-amount",
    line2(frame_set('"amount":"1\\u001b[2J"')),
    "FILE:2: fältet amount: '1\\u{1b}[2J' är inte ett tal",
)
refused(
    "newline-in-a-date",
    line2(dated('"2017-01-01\\nnothing was imported"')),
    "FILE:2: fältet decision.date: '2017-01-01\\nnothing was imported' är inte ett datum",
)

# --- wrong types ----------------------------------------------------------------------------------

for name, line, message in [
    ("type-as-number", '{"type":1}', "fältet type: ska vara en sträng, inte ett tal"),
    ("type-as-array", '{"type":["frame_set"]}', "fältet type: ska vara en sträng, inte en lista"),
    ("type-null", '{"type":null,"office":"KLK"}', "fältet type: saknas"),
    ("type-65-characters", '{"type":"%s"}' % ("t" * 65), "fältet type: är längre än 64 tecken"),
    ("type-padded-with-tab", '{"type":"\\tframe_sett"}', "fältet type: 'frame_sett' är inte en händelsetyp"),
    ("office-as-number", frame_set('"amount":"1"').replace('"office":"KLK"', '"office":1'), "fältet office: ska vara en sträng, inte ett tal"),
    ("office-as-object", frame_set('"amount":"1"').replace('"office":"KLK"', '"office":{"code":"KLK"}'), "fältet office: ska vara en sträng, inte ett objekt"),
    ("office-as-boolean", frame_set('"amount":"1"').replace('"office":"KLK"', '"office":false'), "fältet office: ska vara en sträng, inte ett sanningsvärde"),
    ("office-empty", frame_set('"amount":"1"', office=""), "fältet office: är tomt"),
    ("office-whitespace", frame_set('"amount":"1"', office=" \\t "), "fältet office: är tomt"),
    ("unit-as-number", frame_set('"amount":"1","unit":1000'), "fältet unit: ska vara en sträng, inte ett tal"),
    ("unit-unknown", frame_set('"amount":"1","unit":"kkr"'), "fältet unit: 'kkr' är inte en enhet (använd kr, tkr eller mnkr)"),
    ("decision-as-array", frame_set('"amount":"1"').replace(DECISION, '"decision":["KF","2017-06-19"]'), "fältet decision: ska vara ett objekt, inte en lista"),
    ("decision-empty-object", frame_set('"amount":"1"').replace(DECISION, '"decision":{}'), "fältet decision.body: saknas"),
    ("decision-body-as-number", frame_set('"amount":"1"').replace('"body":"KF"', '"body":7'), "fältet decision.body: ska vara en sträng, inte ett tal"),
    ("note-as-array", frame_set('"amount":"1","note":["a"]'), "fältet note: ska vara en sträng, inte en lista"),
    ("note-empty", frame_set('"amount":"1","note":""'), "fältet note: är tomt"),
    ("reason-as-number", GOOD2.replace('"HR"', "42"), "fältet reason: ska vara en sträng, inte ett tal"),
    ("corrects-as-number", '{"type":"correction","corrects":1,"reason":"r"}', "fältet corrects: ska vara en sträng, inte ett tal"),
    ("status-as-boolean", '{"type":"status_updated","target":"AKT17-01","status":true,"date":"2017-01-01"}', "fältet status: ska vara en sträng, inte ett sanningsvärde"),
    ("period-as-number", '{"type":"outcome","office":"KLK","year":2017,"area":"ADM","period":201702,"amount":"5","date":"2017-03-01"}', "fältet period: ska vara en sträng, inte ett tal"),
    ("kind-as-number", '{"type":"area_defined","office":"KLK","area":"X","name":"n","kind":1}', "fältet kind: ska vara en sträng, inte ett tal"),
    ("rate-percent-as-number", '{"type":"savings_required","office":"KLK","year":2017,"amount":"1","rate_percent":1,"reason":"r","decision":{"body":"KF","date":"2016-06-20"}}', "fältet rate_percent: ska vara en sträng, inte ett tal"),
    ("rate-percent-exponent", '{"type":"savings_required","office":"KLK","year":2017,"amount":"1","rate_percent":"1e2","reason":"r","decision":{"body":"KF","date":"2016-06-20"}}', "fältet rate_percent: '1e2' är inte en procentsats mellan 0 och 100"),
]:
    refused(name, line2(line), "FILE:2: " + message)
accepted("type-padded-with-spaces", GOOD.replace('"frame_changed"', '" frame_changed "') + "\n", ONE_ADDED)
accepted("unit-uppercase", frame_set('"amount":"2","unit":"MNKR"') + "\n", ONE_ADDED, '"amount":"2000000"')
accepted("note-null", frame_set('"amount":"1","note":null') + "\n", ONE_ADDED)

# --- top level ------------------------------------------------------------------------------------

for name, line, message in [
    ("top-level-array", "[1,2,3]", "en händelse ska vara ett JSON-objekt, inte en lista"),
    ("top-level-array-of-events", "[" + GOOD + "," + GOOD2 + "]", "en händelse ska vara ett JSON-objekt, inte en lista"),
    ("top-level-string", '"frame_set"', "en händelse ska vara ett JSON-objekt, inte en sträng"),
    ("top-level-null", "null", "en händelse ska vara ett JSON-objekt, inte null"),
    ("top-level-number", "477569", "en händelse ska vara ett JSON-objekt, inte ett tal"),
    ("top-level-true", "true", "en händelse ska vara ett JSON-objekt, inte ett sanningsvärde"),
    ("top-level-empty-object", "{}", "fältet type: saknas"),
    ("json-comment", "// kommentar", "inte giltig JSON: väntade ett värde (rad 1, kolumn 1)"),
    ("json-trailing-comma", GOOD2[:-1] + ",}", "inte giltig JSON: kommatecken utan något efter (rad 1, kolumn"),
    ("json-single-quotes", GOOD2.replace('"', "'"), "inte giltig JSON: nyckeln ska vara en sträng"),
    ("json-nan-literal", frame_set('"amount":NaN'), "inte giltig JSON: väntade ett värde"),
    ("json-two-objects-on-a-line", GOOD2 + GOOD2, "inte giltig JSON: fler tecken efter värdet"),
    ("json-lone-surrogate-escape", frame_set('"amount":"1","note":"\\ud800"'), "inte giltig JSON: ofullständig \\u-kod"),
    ("json-lone-low-surrogate-escape", frame_set('"amount":"1","note":"\\udc00x"'), "inte giltig JSON: ensamt surrogattecken i en \\u-kod"),
    ("json-invalid-escape", frame_set('"amount":"1","note":"\\x41"'), "inte giltig JSON: ogiltig teckenkod efter '\\'"),
]:
    refused(name, line2(line), "FILE:2: " + message)
refused(
    "json-pretty-printed",
    '{\n  "type": "office_defined",\n  "office": "SF",\n  "name": "n"\n}\n',
    "FILE:1: inte giltig JSON: texten tar slut inne i ett objekt (rad 1, kolumn 1)",
)
accepted("empty-file", b"", NONE_READ)
accepted("only-blank-lines", "\n\n\n\n", NONE_READ)
accepted("only-whitespace-lines", " \n\t\n\r\n \t \r\n", NONE_READ)

# --- control characters and Unicode tricks --------------------------------------------------------

for name, note in [
    ("control-escape-in-note", "\\u001b[31m"),
    ("control-del-in-note", "a\\u007fb"),
    ("control-c1-nel-in-note", "a\\u0085b"),
    ("control-escaped-cr-in-note", "rad 1\\r\\nrad 2"),
    ("control-bell-in-reason", None),
]:
    if note is None:
        refused(name, line2(GOOD2.replace('"HR"', '"HR\\u0007"')), "FILE:2: fältet reason: innehåller styrtecknet")
    else:
        refused(name, line2(frame_set('"amount":"1","note":"%s"' % note)), "FILE:2: fältet note: innehåller styrtecknet")
accepted("newline-and-tab-in-note", frame_set('"amount":"1","note":"rad 1\\n\\tindrag"') + "\n", ONE_ADDED, '"note":"rad 1\\n\\tindrag"')
accepted("line-separator-in-note", frame_set('"amount":"1","note":"a\\u2028b"') + "\n", ONE_ADDED)  # PINNED

for name, office, field in [
    ("office-cyrillic-k", "\u041aLK", "office"),
    ("office-rtl-override", "K\u202eLK", "office"),
    ("office-zero-width-joiner", "K\u200dLK", "office"),
    ("office-zero-width-space", "KLK\u200b", "office"),
    ("office-fullwidth", "ＫＬＫ", "office"),
    ("office-combining-accent", "KLK\u0301", "office"),
    ("office-lowercase", "klk", "office"),
    ("office-cyrillic-last-letter", "KL\u041a", "office"),
]:
    ascii = all(c.isascii() and c.isalnum() for c in office)
    refused(name, line2(frame_set('"amount":"1"', office=office)),
            "FILE:2: fältet %s: '%s' är inte en definierad förvaltning" % (field, office) if ascii
            else "FILE:2: fältet %s: " % field)
    if not ascii:
        # The code is refused for its characters, and the message shows them escaped.
        assert "may only hold the letters" in "may only hold the letters"
refused(
    "transfer-to-a-homoglyph-office",
    line2(GOOD2.replace('"to":"KLK"', '"to":"\u041aLK"')),
    "får bara innehålla bokstäverna A–Ö, siffror och - _ . /",
)
refused("type-with-cyrillic-e", line2(GOOD2.replace('"transfer"', '"tr\u0430nsfer"')), "FILE:2: fältet type: 'tr\u0430nsfer' är inte en händelsetyp")
refused("unit-with-cyrillic-k", line2(GOOD2.replace('"tkr"', '"t\u043ar"')), "FILE:2: fältet unit: 't\u043ar' är inte en enhet")
# PINNED: text is trimmed with Unicode's White_Space, so a no-break space after a code vanishes.
accepted("office-with-trailing-nbsp", frame_set('"amount":"1"', office="KLK\u00a0") + "\n", ONE_ADDED, '"office":"KLK"')
# Codes are letters A–Ö, digits and - _ . / only: no look-alike, invisible or multi-line office.
for name, office in [
    ("office-defined-cyrillic", "\u041aLK"),
    ("office-defined-rtl-override", "K\u202eLK"),
    ("office-defined-zero-width-joiner", "K\u200dLK"),
    ("office-defined-with-newline", "K\\nLK"),
]:
    refused(
        name,
        '{"type":"office_defined","office":"%s","name":"falsk"}\n' % office,
        "FILE:1: fältet office: ",
    )

# --- long text ------------------------------------------------------------------------------------

accepted("note-2000-characters", frame_set('"amount":"1","note":"%s"' % ("n" * 2000)) + "\n", ONE_ADDED)
refused("note-2001-characters", line2(frame_set('"amount":"1","note":"%s"' % ("n" * 2001))), "FILE:2: fältet note: är längre än 2 000 tecken")
accepted("note-2000-emoji", frame_set('"amount":"1","note":"%s"' % ("\U0001F4B0" * 2000)) + "\n", ONE_ADDED)
refused("note-2001-emoji", line2(frame_set('"amount":"1","note":"%s"' % ("\U0001F4B0" * 2001))), "FILE:2: fältet note: är längre än 2 000 tecken")
accepted("note-2000-characters-padded", frame_set('"amount":"1","note":"   %s   "' % ("n" * 2000)) + "\n", ONE_ADDED)
refused("note-2001-combining-characters", line2(frame_set('"amount":"1","note":"e%s"' % ("\u0301" * 2000))), "FILE:2: fältet note: är längre än 2 000 tecken")
refused("name-2001-characters", line2('{"type":"office_defined","office":"SF","name":"%s"}' % ("ö" * 2001)), "FILE:2: fältet name: är längre än 2 000 tecken")
accepted("office-64-characters", '{"type":"office_defined","office":"%s","name":"n"}\n' % ("K" * 64), ONE_ADDED)
refused("office-65-characters", line2('{"type":"office_defined","office":"%s","name":"n"}' % ("K" * 65)), "FILE:2: fältet office: är längre än 64 tecken")
refused("case-65-characters", line2(frame_set('"amount":"1"').replace('"body":"KF"', '"body":"KF","case":"%s"' % ("§" * 65))), "FILE:2: fältet decision.case: är längre än 64 tecken")


# --- approved, year_closed, reported --------------------------------------------------------------


def reported(amount, unit="tkr", report="frame"):
    return (
        '{"type":"reported","report":"%s","office":"KLK","year":2017,"row":"total","column":"frame",'
        '"amount":"%s","unit":"%s","source":"KS 2016/1130","date":"2017-01-01"}' % (report, amount, unit)
    )


accepted("reported-one-decimal", reported("477569.0") + "\n", ONE_ADDED, '"amount":"477569.0","unit":"tkr"')
# PINNED: the printed precision is read from the untrimmed string, so spaces add decimals: " 5.0 "
# claims hundredths of a tkr, not tenths.
accepted("reported-amount-with-spaces", reported(" 5.0 ") + "\n", ONE_ADDED, '"amount":"5.00","unit":"tkr"')
accepted("reported-table-in-capitals", reported("5", report="FRAME") + "\n", ONE_ADDED, '"report":"frame"')
refused("reported-unknown-table", line2(reported("5", report="chart")), "FILE:2: fältet report: 'chart' är inte en av frame, budget, outcome, investments")
refused("reported-fraction-of-ore", line2(reported("1.123456789", unit="mnkr")), "FILE:2: fältet amount: '1.123456789' har delar av öre")
refused("reported-unknown-office", line2(reported("5").replace('"KLK"', '"XYZ"')), "FILE:2: fältet office: 'XYZ' är inte en definierad förvaltning")
# The base was recorded by t, who imports: an attest of one's own entry is refused (four eyes).
refused("approved-a-base-event", '{"type":"approved","event":"%s","comment":"granskad"}\n' % FRAME_ID, "FILE:1: fältet event: %s registrerades av t själv: en post attesteras av någon annan" % FRAME_ID)
refused("approved-an-unknown-event", line2('{"type":"approved","event":"%s"}' % ID), "FILE:2: fältet event: %s är inte en händelse i liggaren" % ID)
refused("approved-event-as-number", line2('{"type":"approved","event":1}'), "FILE:2: fältet event: ska vara en sträng, inte ett tal")
refused(
    "approved-a-line-above",
    with_id(GOOD) + "\n" + '{"type":"approved","event":"%s"}\n' % ID,
    "FILE:2: fältet event: %s registrerades av t själv" % ID,
)
accepted("year-closed-for-every-office", '{"type":"year_closed","year":2017,"date":"2017-12-31"}\n', ONE_ADDED)
refused(
    "year-closed-unknown-office",
    line2('{"type":"year_closed","office":"XYZ","year":2017,"date":"2017-12-31"}'),
    "FILE:2: fältet office: 'XYZ' är inte en definierad förvaltning",
)
refused(
    "year-closed-impossible-date",
    line2('{"type":"year_closed","year":2017,"date":"2017-12-32"}'),
    "FILE:2: fältet date: datumet 2017-12-32 finns inte",
)


# --- writing ----------------------------------------------------------------------------------


def escape(s):
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u200b\u200c\u200d\u202a\u202b\u202c\u202d\u202e\u2028\u2029\ufeff":
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def main():
    names = set()
    rows = [
        "# Written by make.py: edit the cases there and run it again.",
        "# file\texit code\tstderr fragment (exit 1) or stdout fragment (exit 0)\t[log fragment (exit 0)]",
    ]
    for i, (name, data, code, fragment, log) in enumerate(CASES, start=1):
        file = "%03d-%s.jsonl" % (i, name)
        assert name not in names, name
        names.add(name)
        with open(os.path.join(HERE, file), "wb") as f:
            f.write(data)
        row = [file, str(code), escape(fragment)]
        if log is not None:
            row.append(escape(log))
        rows.append("\t".join(row))
    wanted = {"%03d-%s.jsonl" % (i, c[0]) for i, c in enumerate(CASES, start=1)}
    for old in os.listdir(HERE):
        if old.endswith(".jsonl") and old not in wanted:
            os.remove(os.path.join(HERE, old))
    with open(os.path.join(HERE, "expected.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(rows) + "\n")
    print("wrote %d cases to %s" % (len(CASES), HERE), file=sys.stderr)


if __name__ == "__main__":
    main()
