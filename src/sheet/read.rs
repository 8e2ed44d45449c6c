//! The workbook read under limits. An xlsx file is a zip archive of XML parts; before calamine
//! parses any of it, every part is measured as it unpacks (a small file can unpack to gigabytes)
//! and the shared-string table's declared size is checked (calamine reserves room for it). Then
//! the sheet's cells are streamed, and only the mapped columns of the table's rows are kept.

use super::{Column, SheetError, ROWS_MAX};
use calamine::{DataRef, Reader, Xlsx};
use std::io::{Cursor, Read};

/// The largest workbook read, in bytes.
pub const XLSX_BYTES_MAX: usize = 16 << 20;
/// The most a workbook's parts may unpack to, each and together, in bytes.
const PART_BYTES_MAX: u64 = 64 << 20;
const PARTS_BYTES_MAX: u64 = 128 << 20;
/// The most parts an archive may have.
const PARTS_MAX: usize = 1000;
/// The most strings a workbook's shared-string table may declare.
const SHARED_STRINGS_MAX: u64 = 1_000_000;
/// The most cells read from a sheet, in every column, before the table's end.
const CELLS_MAX: u64 = 2_000_000;

const UNREADABLE: &str =
    "bladet kan inte läsas: filen är skadad eller av ett slag rambok inte läser";

/// A cell of a mapped column, as the workbook holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    /// A number, as the shortest decimal that reads back as the same binary number (what Excel
    /// shows, up to 15 digits): `1325.8`, never `1325.7999999999999`.
    Number(String),
    /// Something that is neither: a date, a truth value, an error (`#DIV/0!`), named in Swedish.
    Other(&'static str),
}

/// The rows of a sheet from the first row of its table on, each with the cells of the mapped
/// columns (absent when empty).
#[derive(Debug)]
pub struct Table {
    pub sheet: String,
    /// (row number from 1, the cells in the order of `columns`).
    pub rows: Vec<(u32, Vec<Option<Value>>)>,
}

/// A file that is no workbook, or a damaged one. What the libraries say (in English) is left out:
/// it helps nobody who reads Swedish.
fn not_a_workbook<E>(_: E) -> SheetError {
    SheetError::file(
        "filen är ingen arbetsbok som rambok kan läsa (xlsx, Excel 2007 och senare), eller den är skadad",
    )
}

/// Measures every part of the archive as it unpacks, and the shared strings' declared count.
fn check_archive(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_a_workbook)?;
    if zip.len() > PARTS_MAX {
        return Err(SheetError::file(format!(
            "arbetsboken har fler än {PARTS_MAX} delar: rambok läser inte den"
        )));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(not_a_workbook)?;
        let name = part.name().map_err(not_a_workbook)?.to_string();
        let mut head = Vec::new();
        let unpacked = if name.ends_with("sharedStrings.xml") {
            (&mut part)
                .take(4096)
                .read_to_end(&mut head)
                .map_err(not_a_workbook)? as u64
                + std::io::copy(&mut (&mut part).take(PART_BYTES_MAX), &mut std::io::sink())
                    .map_err(not_a_workbook)?
        } else {
            std::io::copy(
                &mut (&mut part).take(PART_BYTES_MAX + 1),
                &mut std::io::sink(),
            )
            .map_err(not_a_workbook)?
        };
        total += unpacked;
        if unpacked > PART_BYTES_MAX || total > PARTS_BYTES_MAX {
            return Err(SheetError::file(format!(
                "arbetsboken packas upp till mer än {} MiB: rambok läser inte så stora blad",
                PARTS_BYTES_MAX >> 20
            )));
        }
        if declared_strings(&head).is_some_and(|n| n > SHARED_STRINGS_MAX) {
            return Err(SheetError::file(format!(
                "arbetsboken anger fler än {SHARED_STRINGS_MAX} texter"
            )));
        }
    }
    Ok(())
}

/// The `uniqueCount` (or `count`) the shared-string table declares at its start.
fn declared_strings(head: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(head);
    let sst = &text[text.find("<sst")?..];
    let tag = &sst[..sst.find('>').unwrap_or(sst.len())];
    ["uniqueCount=\"", "count=\""]
        .iter()
        .filter_map(|attr| {
            let at = tag.find(attr)? + attr.len();
            let digits: String = tag[at..].chars().take_while(char::is_ascii_digit).collect();
            Some(digits.parse::<u64>().unwrap_or(u64::MAX))
        })
        .max()
}

fn value(cell: &DataRef<'_>) -> Option<Value> {
    Some(match cell {
        DataRef::Empty => return None,
        DataRef::String(s) => Value::Text(s.clone()),
        DataRef::SharedString(s) => Value::Text(s.to_string()),
        DataRef::Int(i) => Value::Number(i.to_string()),
        DataRef::Float(f) if f.is_finite() => Value::Number(format!("{f}")),
        DataRef::Float(_) => Value::Other("ett tal utanför det som kan lagras"),
        DataRef::Bool(_) => Value::Other("ett sanningsvärde"),
        DataRef::DateTime(_) | DataRef::DateTimeIso(_) => Value::Other("ett datum"),
        DataRef::DurationIso(_) => Value::Other("en tidslängd"),
        DataRef::Error(_) => Value::Other("ett fel (som #DIV/0!)"),
    })
    .filter(|v| !matches!(v, Value::Text(t) if t.trim().is_empty()))
}

/// Reads `columns` of the rows from `first_row` (from 1) on, at most [`super::ROWS_MAX`] of them,
/// from `sheet` (or the first sheet).
pub fn read(
    bytes: &[u8],
    sheet: Option<&str>,
    columns: &[Column],
    first_row: u32,
) -> Result<Table, SheetError> {
    if bytes.len() > XLSX_BYTES_MAX {
        return Err(SheetError::file(format!(
            "arbetsboken är större än {} MiB",
            XLSX_BYTES_MAX >> 20
        )));
    }
    check_archive(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(not_a_workbook)?;
    let names = book.sheet_names();
    let name = match sheet {
        None => names
            .first()
            .cloned()
            .ok_or_else(|| SheetError::file("arbetsboken har inga blad"))?,
        Some(s) => names.iter().find(|n| *n == s).cloned().ok_or_else(|| {
            SheetError::file(format!(
                "arbetsboken har inget blad '{s}' (den har {})",
                names
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?,
    };
    let at = |row: Option<u32>, message: String| SheetError {
        sheet: Some(name.clone()),
        row,
        column: None,
        message,
    };
    let mut cells = book
        .worksheet_cells_reader(&name)
        .map_err(|_| at(None, UNREADABLE.into()))?;
    let first = first_row - 1;
    let last = first.saturating_add(ROWS_MAX);
    let mut rows: Vec<(u32, Vec<Option<Value>>)> = Vec::new();
    let mut read = 0u64;
    while let Some(cell) = cells.next_cell().map_err(|_| at(None, UNREADABLE.into()))? {
        read += 1;
        if read > CELLS_MAX {
            return Err(at(None, format!("bladet har fler än {CELLS_MAX} celler")));
        }
        let (row, column) = cell.get_position();
        if row < first {
            continue;
        }
        if row > last {
            break;
        }
        let Some(slot) = columns.iter().position(|c| c.0 == column) else {
            continue;
        };
        let number = row + 1;
        if rows.last().is_none_or(|(n, _)| *n != number) {
            rows.push((number, vec![None; columns.len()]));
        }
        if let Some((_, values)) = rows.last_mut() {
            values[slot] = value(cell.get_value());
        }
    }
    Ok(Table { sheet: name, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_strings_declared_are_read_from_the_table_start() {
        let head =
            br#"<?xml version="1.0"?><sst xmlns="x" count="12" uniqueCount="9000000000"><si>"#;
        assert_eq!(declared_strings(head), Some(9_000_000_000));
        assert_eq!(declared_strings(b"<sst count=\"3\">"), Some(3));
        assert_eq!(declared_strings(b"<workbook>"), None);
    }

    #[test]
    fn bytes_that_are_no_workbook_are_named_so() {
        let e = read(b"hej", None, &[Column(0)], 1).unwrap_err();
        assert!(e.to_string().starts_with("filen är ingen arbetsbok"), "{e}");
    }
}
