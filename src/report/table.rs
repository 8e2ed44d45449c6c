//! A report table as cells, and its two text renderings: an aligned terminal table and CSV
//! (semicolon-separated, decimal comma, a byte order mark and a stamp row: what a Swedish Excel
//! opens directly). The stamp and the unit-named labels are shared with the workbook (`xlsx.rs`).

use super::number::{money, percent, Sign, Style};
use crate::domain::amount::{Amount, Unit};
use crate::domain::event::Date;
use chrono::{DateTime, SecondsFormat, Utc};

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
    /// A calendar date: a date cell in a workbook.
    Date(Date),
    /// A moment (recording times, UTC): a date-and-time cell in a workbook.
    Time(DateTime<Utc>),
    /// `part` of `total`, shown as a whole percent (`85 %`); a fraction with a percent format in a
    /// workbook. `–` when `total` is 0.
    Share {
        part: usize,
        total: usize,
    },
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
    pub fn opt_date(date: Option<Date>) -> Cell {
        date.map_or(Cell::Empty, Cell::Date)
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
    /// Shown whole on a terminal, never cut with an ellipsis: a table that is read line by line
    /// (the control report), not scanned.
    pub whole_text: bool,
}

impl Table {
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Table {
        Table {
            title: title.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: vec![],
            whole_text: false,
        }
    }
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// The table with the unit in force named in its title and headers (see [`in_unit`]).
    pub fn in_unit(&self, unit: Unit) -> Table {
        Table {
            title: in_unit(&self.title, unit),
            headers: self.headers.iter().map(|h| in_unit(h, unit)).collect(),
            rows: self.rows.clone(),
            whole_text: self.whole_text,
        }
    }

    /// A table that only says why there is nothing to show (`Inget utfall rapporterat för 2017`).
    pub fn nothing(title: impl Into<String>, why: impl Into<String>) -> Table {
        let mut t = Table::new(title, &["Anm."]);
        t.push(Row::new(vec![Cell::text(why)]));
        t
    }
}

/// A cell as text: amounts in `style`, everything else as it is.
pub fn cell_text(cell: &Cell, style: &Style) -> String {
    match cell {
        Cell::Text(s) | Cell::Figure(s) => s.clone(),
        Cell::Money { amount, flips } => money(*amount, *flips, style),
        Cell::Empty => String::new(),
        Cell::Missing => MISSING.to_string(),
        Cell::Date(d) => d.to_string(),
        Cell::Time(t) => crate::domain::time::shown(*t),
        Cell::Share { part, total } => percent(*part, *total),
    }
}

/// How a missing figure reads.
pub const MISSING: &str = "–";

/// What a table written to a file carries besides its title: the unit and sign convention of
/// its figures (from the [`Style`]), the clocks it was asked under, the ledger it comes from and
/// the last record it covers. A CSV file states it in the row above each header, a workbook in
/// each sheet's first row and its printed page header and footer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    pub as_of: Option<Date>,
    pub known_at: Option<DateTime<Utc>>,
    /// The ledger's name (its folder), when the writer knows it.
    pub ledger: Option<String>,
    /// The sequence number of the last record the document covers (the export reads them all).
    pub seq: Option<u64>,
}

impl Stamp {
    /// `Enhet: tkr`, `Tecken: kostnad positiv`, then `Per: YYYY-MM-DD`, `Känt: RFC 3339`,
    /// `Liggare: NAME` and `Seq: N` when known — always in this order.
    pub fn fields(&self, unit: Unit, sign: Sign) -> Vec<String> {
        let mut out = vec![
            format!("Enhet: {}", unit.name()),
            format!("Tecken: {}", sign.label()),
        ];
        out.extend(self.as_of.map(|d| format!("Per: {d}")));
        out.extend(
            self.known_at
                .map(|k| format!("Känt: {}", k.to_rfc3339_opts(SecondsFormat::Secs, true))),
        );
        out.extend(self.ledger.as_ref().map(|l| format!("Liggare: {l}")));
        out.extend(self.seq.map(|s| format!("Seq: {s}")));
        out
    }
}

/// What a table without rows is written with, so that no file or sheet is empty without a word.
pub const NO_ROWS: &str = "Inga uppgifter";

/// The rows a file shows: the table's, or one saying there are none.
pub fn rows_or_note(table: &Table) -> std::borrow::Cow<'_, [Row]> {
    if table.rows.is_empty() {
        std::borrow::Cow::Owned(vec![Row::new(vec![Cell::text(NO_ROWS)])])
    } else {
        std::borrow::Cow::Borrowed(&table.rows)
    }
}

/// Written where a title or header names the unit; [`in_unit`] puts in the unit in force, so
/// every view (terminal, CSV, workbook, page, chart) says the same.
pub const UNIT: &str = "{enhet}";

/// A header or title with the unit in force in place of [`UNIT`]; a header that is nothing but
/// the unit reads `Belopp (tkr)`. Tables are built once; every view follows `--unit` here.
pub fn in_unit(label: &str, unit: Unit) -> String {
    if label.trim() == UNIT {
        return format!("Belopp ({})", unit.name());
    }
    label.replace(UNIT, unit.name())
}

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
                .map(|c| {
                    let text = visible(&cell_text(c, style));
                    if table.whole_text {
                        text
                    } else {
                        shorten(text)
                    }
                })
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
                    Some(Cell::Money { .. } | Cell::Figure(_) | Cell::Share { .. } | Cell::Missing)
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

/// One CSV row: text cells guarded by [`csv_text`], every other cell as its text.
fn csv_row(cells: &[Cell], style: &Style) -> String {
    cells
        .iter()
        .map(|c| match c {
            Cell::Text(t) => csv_text(t),
            Cell::Missing => String::new(),
            other => csv_field(&cell_text(other, style)),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// One table as semicolon-separated values, figures with a decimal comma and no grouping: its
/// stamp row (the title, then [`Stamp::fields`]), its header row, then its rows — or one row
/// saying [`NO_ROWS`]. Title and headers name the style's unit ([`in_unit`]).
pub fn render_csv(table: &Table, style: &Style, stamp: &Stamp) -> String {
    let mut first = vec![csv_text(&in_unit(&table.title, style.unit))];
    first.extend(
        stamp
            .fields(style.unit, style.sign)
            .iter()
            .map(|f| csv_text(f)),
    );
    let headers: Vec<String> = table
        .headers
        .iter()
        .map(|h| csv_text(&in_unit(h, style.unit)))
        .collect();
    let mut out = String::new();
    for line in [first.join(";"), headers.join(";")] {
        out.push_str(&line);
        out.push_str("\r\n");
    }
    for row in rows_or_note(table).iter() {
        out.push_str(&csv_row(&row.cells, style));
        out.push_str("\r\n");
    }
    out
}

/// The UTF-8 byte order mark: without it a Swedish Excel reads `förvaltningen` as `fÃ¶rvaltningen`.
pub const BOM: &str = "\u{FEFF}";

/// A whole CSV file: the [`BOM`], then each table as [`render_csv`] writes it, an empty row
/// between two tables.
pub fn render_csv_file(tables: &[Table], style: &Style, stamp: &Stamp) -> String {
    let nothing = [Table::nothing(NO_ROWS, NO_ROWS)];
    let tables = if tables.is_empty() { &nothing } else { tables };
    let body = tables
        .iter()
        .map(|t| render_csv(t, style, stamp))
        .collect::<Vec<_>>()
        .join("\r\n");
    format!("{BOM}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_unit_in_force() {
        // (label, unit, as a file writes it)
        // A label names the unit with the marker; a label without it is left alone, even when
        // it holds a unit's word as text.
        let cases = [
            (UNIT.to_string(), Unit::Mnkr, "Belopp (mnkr)"),
            (format!(" {UNIT} "), Unit::Tkr, "Belopp (tkr)"),
            (
                format!("Driftsbudget KLK, {UNIT}"),
                Unit::Kr,
                "Driftsbudget KLK, kr",
            ),
            ("Budgetram".to_string(), Unit::Mnkr, "Budgetram"),
            (
                "Avgift 5 kr per tkr".to_string(),
                Unit::Mnkr,
                "Avgift 5 kr per tkr",
            ),
        ];
        for (label, unit, shown) in cases {
            assert_eq!(in_unit(&label, unit), shown, "{label}");
        }
    }

    #[test]
    fn a_csv_file_is_a_bom_then_per_table_a_stamp_a_header_and_rows() {
        let mut t = Table::new(format!("Ramar {UNIT}"), &["Kontor", UNIT]);
        t.push(Row::new(vec![
            Cell::text("=KLK"),
            Cell::flow(Amount::from_kr(-1_500)),
        ]));
        let empty = Table::new("Tomt", &["A"]);
        let stamp = Stamp {
            as_of: Date::ymd(2017, 12, 31),
            ..Stamp::default()
        };
        let style = Style::csv(Unit::Tkr, 1, Sign::Result);
        assert_eq!(
            render_csv_file(&[t, empty], &style, &stamp),
            "\u{FEFF}Ramar tkr;Enhet: tkr;Tecken: kostnad negativ;Per: 2017-12-31\r\n\
             Kontor;Belopp (tkr)\r\n'=KLK;1,5\r\n\
             \r\n\
             Tomt;Enhet: tkr;Tecken: kostnad negativ;Per: 2017-12-31\r\nA\r\nInga uppgifter\r\n"
        );
    }
}
