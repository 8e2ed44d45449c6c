//! Workbooks for revisors: each sheet holds one or more report tables under a stamp row. Figures are
//! numbers in the unit asked for, with the sign convention asked for, in a format a Swedish Excel
//! shows as `−1 325,8` (thousands grouping, the sheet's decimals, a minus sign); dates are dates,
//! shares are percentages, never text. Headers stay in view (frozen panes), every table has filter
//! buttons, and a sheet prints readably: A4, fit to the page width, landscape when wide, the first
//! table's title and header on every page, a page header and footer naming the ledger, the dates,
//! the unit and the page.

use super::number::{signed, Sign};
use super::table::{in_unit, rows_or_note, Cell, Row, Stamp, Table};
use crate::domain::amount::{Amount, Unit};
use chrono::{Datelike, Timelike};
use rust_xlsxwriter::{
    ExcelDateTime, Format, FormatBorder, TableColumn, TableStyle, Workbook, Worksheet, XlsxError,
};

/// One sheet: its name, its tables one under the other, and the decimals its figures show.
pub struct Sheet {
    pub name: String,
    pub tables: Vec<Table>,
    pub decimals: u32,
}

/// How the figures of a workbook are shown: the unit and the sign convention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figures {
    pub unit: Unit,
    pub sign: Sign,
}

/// Where a sheet's rows go: the stamp, then the first table's title and header.
const STAMP_ROW: u32 = 0;
const FIRST_TITLE_ROW: u32 = 1;
const FIRST_HEADER_ROW: u32 = 2;
/// A sheet whose columns are wider than this (in Excel's character widths) prints landscape: about
/// what an A4 page holds upright at full size.
const PORTRAIT_WIDTH_MAX: f64 = 90.0;
/// Excel's paper size code for A4.
const PAPER_A4: u8 = 9;
/// Excel drops a page header or footer longer than 255 characters; the ledger's name is cut first.
const LEDGER_NAME_CHARS_MAX: usize = 60;

/// The cell formats of one sheet, each plain and bold (sums and headings).
struct Formats {
    title: Format,
    stamp: Format,
    header: Format,
    text: [Format; 2],
    money: [Format; 2],
    count: [Format; 2],
    date: [Format; 2],
    time: [Format; 2],
    share: [Format; 2],
}

/// An Excel number format for amounts with `decimals` decimals: grouped thousands (a Swedish Excel
/// shows a space), a decimal comma where the locale has one, and a minus sign, never parentheses.
fn money_pattern(decimals: u32) -> String {
    let one = if decimals == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(decimals as usize))
    };
    format!("{one};-{one}")
}

impl Formats {
    fn new(decimals: u32) -> Formats {
        let both = |f: Format| [f.clone(), f.set_bold()];
        Formats {
            title: Format::new().set_bold().set_font_size(13),
            stamp: Format::new().set_italic().set_font_color(0x595959),
            header: Format::new()
                .set_bold()
                .set_border_bottom(FormatBorder::Thin),
            text: both(Format::new()),
            money: both(Format::new().set_num_format(money_pattern(decimals))),
            count: both(Format::new()),
            date: both(Format::new().set_num_format("yyyy-mm-dd")),
            time: both(Format::new().set_num_format("yyyy-mm-dd hh:mm:ss")),
            share: both(Format::new().set_num_format("0 %")),
        }
    }
}

/// `amount` as a spreadsheet number in `figures`' unit and sign. Exact in the ledger; a double
/// carries it to the öre for any amount below ~10¹³ kr. The format rounds for display only.
fn number(amount: Amount, flips: bool, figures: Figures) -> f64 {
    signed(amount, flips, figures.sign).ore() as f64 / figures.unit.ore() as f64
}

fn excel_date(d: chrono::NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(d.year()).ok()?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).ok()
}

/// A moment as a workbook shows it: in Swedish time, as every table does (a cell has no zone).
fn excel_time(t: chrono::DateTime<chrono::Utc>) -> Option<ExcelDateTime> {
    let (local, _) = crate::domain::time::to_swedish(t);
    excel_date(local.date())?
        .and_hms(local.hour() as u16, local.minute() as u8, local.second())
        .ok()
}

/// Writes one cell; returns the width it wants (in characters).
fn write_cell(
    ws: &mut Worksheet,
    (row, col): (u32, u16),
    cell: &Cell,
    strong: bool,
    f: &Formats,
    figures: Figures,
) -> Result<usize, XlsxError> {
    let b = usize::from(strong);
    let text = |ws: &mut Worksheet, s: &str| -> Result<usize, XlsxError> {
        ws.write_string_with_format(row, col, s, &f.text[b])?;
        Ok(s.chars().count().min(80))
    };
    match cell {
        Cell::Text(s) => text(ws, s),
        Cell::Figure(s) => match s.parse::<f64>() {
            Ok(n) => {
                ws.write_number_with_format(row, col, n, &f.count[b])?;
                Ok(s.len())
            }
            Err(_) => text(ws, s),
        },
        Cell::Money { amount, flips } => {
            ws.write_number_with_format(row, col, number(*amount, *flips, figures), &f.money[b])?;
            Ok(12)
        }
        Cell::Date(d) => match excel_date(d.0) {
            Some(x) => {
                ws.write_datetime_with_format(row, col, x, &f.date[b])?;
                Ok(10)
            }
            // Before 1900 Excel has no dates: the text, rather than a wrong number.
            None => text(ws, &d.to_string()),
        },
        Cell::Time(t) => match excel_time(*t) {
            Some(x) => {
                ws.write_datetime_with_format(row, col, x, &f.time[b])?;
                Ok(19)
            }
            None => text(ws, &crate::domain::time::shown(*t)),
        },
        Cell::Share { part, total } if *total > 0 => {
            let share = *part as f64 / *total as f64;
            ws.write_number_with_format(row, col, share, &f.share[b])?;
            Ok(6)
        }
        Cell::Share { .. } => text(ws, "–"),
        Cell::Empty | Cell::Missing => Ok(0),
    }
}

/// Column names an Excel table accepts: none empty, none twice (Excel compares them caselessly).
fn unique_headers(headers: &[String], columns: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(columns);
    for c in 0..columns {
        let base = headers
            .get(c)
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| format!("Kolumn {}", c + 1));
        let mut name = base.clone();
        let mut n = 2;
        while out.iter().any(|o| o.to_lowercase() == name.to_lowercase()) {
            name = format!("{base} ({n})");
            n += 1;
        }
        out.push(name);
    }
    out
}

/// `&` is the control character of page headers and footers.
fn header_text(s: &str) -> String {
    s.replace('&', "&&")
}

/// Writes `table` from `top` (its title row); returns the row after it and its last row.
fn write_table(
    ws: &mut Worksheet,
    top: u32,
    table: &Table,
    f: &Formats,
    figures: Figures,
    widths: &mut Vec<usize>,
) -> Result<(u32, u32, u16), XlsxError> {
    ws.write_string_with_format(top, 0, in_unit(&table.title, figures.unit), &f.title)?;
    let rows: std::borrow::Cow<'_, [Row]> = rows_or_note(table);
    let columns = rows
        .iter()
        .map(|r| r.cells.len())
        .chain([table.headers.len(), 1])
        .max()
        .unwrap_or(1);
    let labels: Vec<String> = table
        .headers
        .iter()
        .map(|h| in_unit(h, figures.unit))
        .collect();
    let headers = unique_headers(&labels, columns);
    let header_row = top + 1;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(header_row, c as u16, h, &f.header)?;
        note_width(widths, c, h.chars().count());
    }
    let mut row = header_row + 1;
    for r in rows.iter() {
        for (c, cell) in r.cells.iter().enumerate() {
            let w = write_cell(ws, (row, c as u16), cell, r.strong, f, figures)?;
            note_width(widths, c, w);
        }
        row += 1;
    }
    let last_col = (columns - 1) as u16;
    if header_row != FIRST_HEADER_ROW {
        // Excel keeps one filter per sheet (the first table's); a later table gets its own as an
        // Excel table, without a table style so that it looks like the first.
        let cols: Vec<TableColumn> = headers
            .iter()
            .map(|h| {
                TableColumn::new()
                    .set_header(h)
                    .set_header_format(&f.header)
            })
            .collect();
        let t = rust_xlsxwriter::Table::new()
            .set_style(TableStyle::None)
            .set_columns(&cols);
        ws.add_table(header_row, 0, row - 1, last_col, &t)?;
    }
    Ok((row + 1, row - 1, last_col))
}

/// Filters, frozen panes and the page setup of a sheet whose first table ends at `first_last_row`.
fn set_up_page(
    ws: &mut Worksheet,
    sheet: &Sheet,
    (first_last_row, first_last_col): (u32, u16),
    width: f64,
    figures: Figures,
    stamp: &Stamp,
) -> Result<(), XlsxError> {
    ws.autofilter(FIRST_HEADER_ROW, 0, first_last_row, first_last_col)?;
    ws.set_freeze_panes(FIRST_HEADER_ROW + 1, 0)?;
    ws.set_repeat_rows(FIRST_TITLE_ROW, FIRST_HEADER_ROW)?;
    ws.set_paper_size(PAPER_A4);
    ws.set_print_fit_to_pages(1, 0);
    if width > PORTRAIT_WIDTH_MAX {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    let ledger: String = stamp
        .ledger
        .as_deref()
        .unwrap_or("rambok")
        .chars()
        .take(LEDGER_NAME_CHARS_MAX)
        .collect();
    ws.set_header(format!(
        "&L{}&C{}&REnhet: {}, {}",
        header_text(&ledger),
        header_text(&sheet.name),
        figures.unit.name(),
        figures.sign.label()
    ));
    let clocks = Stamp {
        ledger: None,
        ..stamp.clone()
    };
    let dates: Vec<String> = clocks
        .fields(figures.unit, figures.sign)
        .into_iter()
        .skip(2)
        .collect();
    ws.set_footer(format!(
        "&L{}&CSida &P av &N&RUtskriven &D",
        header_text(&dates.join(", "))
    ));
    Ok(())
}

fn write_sheet(
    wb: &mut Workbook,
    sheet: &Sheet,
    figures: Figures,
    stamp: &Stamp,
) -> Result<(), XlsxError> {
    let f = Formats::new(sheet.decimals);
    let ws = wb.add_worksheet();
    ws.set_name(&sheet.name)?;
    ws.write_string_with_format(
        STAMP_ROW,
        0,
        stamp.fields(figures.unit, figures.sign).join(" · "),
        &f.stamp,
    )?;
    let nothing = [Table::nothing(&sheet.name, super::table::NO_ROWS)];
    let tables: &[Table] = if sheet.tables.is_empty() {
        &nothing
    } else {
        &sheet.tables
    };
    let mut widths: Vec<usize> = Vec::new();
    let mut top = FIRST_TITLE_ROW;
    let mut first = None;
    for table in tables {
        let (next, last_row, last_col) = write_table(ws, top, table, &f, figures, &mut widths)?;
        first.get_or_insert((last_row, last_col));
        top = next;
    }
    let mut width = 0.0;
    for (c, w) in widths.iter().enumerate() {
        let w = (*w as f64 + 2.0).min(90.0);
        ws.set_column_width(c as u16, w)?;
        width += w;
    }
    let first = first.unwrap_or((FIRST_HEADER_ROW + 1, 0));
    set_up_page(ws, sheet, first, width, figures, stamp)
}

/// Builds the workbook's bytes: `sheets` with their figures shown as `figures` says, each sheet
/// stamped with `stamp`.
pub fn workbook(sheets: &[Sheet], figures: Figures, stamp: &Stamp) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    for sheet in sheets {
        write_sheet(&mut wb, sheet, figures, stamp)?;
    }
    wb.save_to_buffer()
}

fn note_width(widths: &mut Vec<usize>, c: usize, w: usize) {
    if widths.len() <= c {
        widths.resize(c + 1, 8);
    }
    widths[c] = widths[c].max(w);
}
