//! Workbooks for revisors: each sheet is one or more report tables, figures written as numbers
//! (in tkr, with a thousands format Excel shows the Swedish way), never as text.

use super::table::{Cell, Table};
use crate::domain::amount::Unit;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// One sheet: its name, its tables one under the other, and the decimals its figures show.
pub struct Sheet {
    pub name: String,
    pub tables: Vec<Table>,
    pub decimals: u32,
}

fn tkr(amount: crate::domain::amount::Amount) -> f64 {
    // Exact in the ledger; a spreadsheet holds doubles, which carry tkr with öre to ~15 digits.
    amount.ore() as f64 / Unit::Tkr.ore() as f64
}

/// Builds the workbook's bytes.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(13);
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        let pattern = if sheet.decimals == 0 {
            "#,##0".to_string()
        } else {
            format!("#,##0.{}", "0".repeat(sheet.decimals as usize))
        };
        let number = Format::new().set_num_format(&pattern);
        let number_bold = Format::new().set_num_format(&pattern).set_bold();
        let mut row: u32 = 0;
        let mut widths: Vec<usize> = Vec::new();
        for table in &sheet.tables {
            ws.write_string_with_format(row, 0, &table.title, &title)?;
            row += 1;
            for (c, h) in table.headers.iter().enumerate() {
                ws.write_string_with_format(row, c as u16, h, &bold)?;
                note_width(&mut widths, c, h.chars().count());
            }
            row += 1;
            for r in &table.rows {
                for (c, cell) in r.cells.iter().enumerate() {
                    let col = c as u16;
                    match cell {
                        Cell::Text(s) => {
                            if r.strong {
                                ws.write_string_with_format(row, col, s, &bold)?;
                            } else {
                                ws.write_string(row, col, s)?;
                            }
                            note_width(&mut widths, c, s.chars().count().min(80));
                        }
                        Cell::Figure(s) => match s.trim_end_matches(" %").parse::<f64>() {
                            Ok(n) if !s.ends_with('%') => {
                                ws.write_number(row, col, n)?;
                            }
                            _ => {
                                ws.write_string(row, col, s)?;
                            }
                        },
                        Cell::Money { amount, .. } => {
                            ws.write_number_with_format(
                                row,
                                col,
                                tkr(*amount),
                                if r.strong { &number_bold } else { &number },
                            )?;
                            note_width(&mut widths, c, 12);
                        }
                        Cell::Empty | Cell::Missing => {}
                    }
                }
                row += 1;
            }
            row += 1;
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w as f64 + 2.0).min(90.0))?;
        }
    }
    wb.save_to_buffer()
}

fn note_width(widths: &mut Vec<usize>, c: usize, w: usize) {
    if widths.len() <= c {
        widths.resize(c + 1, 8);
    }
    widths[c] = widths[c].max(w);
}
