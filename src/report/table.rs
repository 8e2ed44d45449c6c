//! A report table as cells, and its two text renderings: an aligned terminal table and CSV
//! (semicolon-separated, decimal comma: what a Swedish Excel opens directly).

use super::number::{money, Style};
use crate::domain::amount::Amount;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// A count or share, already formatted; aligned right like figures.
    Figure(String),
    /// An amount in the ledger's convention; `flips` with the sign convention or not.
    Money {
        amount: Amount,
        flips: bool,
    },
    Empty,
    /// A figure that is not decided or reported yet: shown as `–` to people, left empty in CSV and
    /// workbooks, `null` in JSON. Never a zero.
    Missing,
}

/// Written where a title or header names the unit; [`Table::in_unit`] puts in the unit in force,
/// so every view (terminal, CSV, workbook, page, chart) says the same.
pub const UNIT: &str = "{enhet}";

/// `label` with the unit in force in place of [`UNIT`].
pub fn unit_label(label: &str, unit: crate::domain::amount::Unit) -> String {
    label.replace(UNIT, unit.name())
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
    pub fn flow(amount: Amount) -> Cell {
        Cell::Money {
            amount,
            flips: true,
        }
    }
    pub fn fixed(amount: Amount) -> Cell {
        Cell::Money {
            amount,
            flips: false,
        }
    }
    pub fn opt_flow(amount: Option<Amount>) -> Cell {
        amount.map_or(Cell::Empty, Cell::flow)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// Sums and headings, printed in bold on a terminal.
    pub strong: bool,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row {
            cells,
            strong: false,
        }
    }
    pub fn strong(cells: Vec<Cell>) -> Row {
        Row {
            cells,
            strong: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Table {
        Table {
            title: title.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: vec![],
        }
    }
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// The table with the unit in force named in its title and headers.
    pub fn in_unit(&self, unit: crate::domain::amount::Unit) -> Table {
        Table {
            title: unit_label(&self.title, unit),
            headers: self.headers.iter().map(|h| unit_label(h, unit)).collect(),
            rows: self.rows.clone(),
        }
    }
}

fn cell_text(cell: &Cell, style: &Style) -> String {
    match cell {
        Cell::Text(s) | Cell::Figure(s) => s.clone(),
        Cell::Money { amount, flips } => money(*amount, *flips, style),
        Cell::Empty => String::new(),
        Cell::Missing => MISSING.to_string(),
    }
}

/// How a missing figure reads.
pub const MISSING: &str = "–";

/// Widest text cell on a terminal; longer text is cut with an ellipsis (CSV and JSON keep it whole).
const TEXT_CHARS_SHOWN_MAX: usize = 90;

fn shorten(s: String) -> String {
    if s.chars().count() <= TEXT_CHARS_SHOWN_MAX {
        return s;
    }
    let mut cut: String = s.chars().take(TEXT_CHARS_SHOWN_MAX - 1).collect();
    cut.push('…');
    cut
}

use crate::domain::text::is_hidden;

/// `s` with every character that [`is_hidden`] shown as its escape (`\n`, `<U+202E>`): what was
/// recorded is shown, and nothing in it can move the rest of the table.
pub fn visible(s: &str) -> String {
    if !s.chars().any(is_hidden) {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\n' => "\\n".to_string(),
            '\r' => "\\r".to_string(),
            '\t' => "\\t".to_string(),
            c if is_hidden(c) => format!("<U+{:04X}>", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// Aligned columns: text left, figures right. Text is shown [`visible`].
pub fn render_terminal(table: &Table, style: &Style) -> String {
    let table = &table.in_unit(style.unit);
    let texts: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .map(|c| shorten(visible(&cell_text(c, style))))
                .collect()
        })
        .collect();
    let columns = table.headers.len();
    let mut widths: Vec<usize> = table.headers.iter().map(|h| h.chars().count()).collect();
    for row in &texts {
        for (i, t) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(t.chars().count());
        }
    }
    let numeric: Vec<bool> = (0..columns)
        .map(|i| {
            table.rows.iter().any(|r| {
                matches!(
                    r.cells.get(i),
                    Some(Cell::Money { .. } | Cell::Figure(_) | Cell::Missing)
                )
            })
        })
        .collect();
    let mut out = format!("{}\n", visible(&table.title));
    let line = |cells: &[String]| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let pad = widths[i].saturating_sub(t.chars().count());
                if numeric[i] {
                    format!("{}{t}", " ".repeat(pad))
                } else {
                    format!("{t}{}", " ".repeat(pad))
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    out.push_str(&line(&table.headers));
    out.push('\n');
    let rule: usize = widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
    out.push_str(&"─".repeat(rule));
    out.push('\n');
    for row in &texts {
        let mut cells = row.clone();
        cells.resize(columns, String::new());
        out.push_str(&line(&cells));
        out.push('\n');
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A text cell for CSV: one that a spreadsheet would take for a formula (it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP advises against CSV
/// injection. Only text: figures are written as figures, a negative amount stays a number.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_field(&format!("'{s}"))
    } else {
        csv_field(s)
    }
}

/// Semicolon-separated values with a header row; figures with a decimal comma and no grouping.
pub fn render_csv(table: &Table, style: &Style) -> String {
    let table = &table.in_unit(style.unit);
    let mut out = String::new();
    out.push_str(
        &table
            .headers
            .iter()
            .map(|h| csv_text(h))
            .collect::<Vec<_>>()
            .join(";"),
    );
    out.push_str("\r\n");
    for row in &table.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| match c {
                Cell::Text(t) => csv_text(t),
                Cell::Missing => String::new(),
                other => csv_field(&cell_text(other, style)),
            })
            .collect();
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out
}
