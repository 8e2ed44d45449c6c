//! The frame bridge as a waterfall chart in SVG: the start frame, each change up or down, the
//! end frame; Swedish labels and figures in the unit and sign convention asked for. Self-contained
//! markup a controller can put in a report.
//!
//! Bars follow the sign shown: with `--sign result` a frame is negative and its bar hangs below
//! the zero line. When every level lies on one side of zero, far from it, the axis starts near the
//! smallest level (as printed bridges do) and the chart says so. Long labels are wrapped and
//! shortened under the bars; every bar carries its full text and figure as a tooltip.

use super::number::{money, Sign, Style};
use super::table::MISSING;
use crate::domain::amount::Amount;
use crate::projection::frames::Bridge;

const BAR_W: i64 = 64;
const GAP: i64 = 12;
const PLOT_H: i64 = 320;
const TOP: i64 = 64;
const LEFT: i64 = 20;
/// Lines of a label under its bar, and characters per line (about what fits in `BAR_W + GAP`).
const LABEL_LINES: usize = 3;
const LABEL_CHARS: usize = 12;
const LABEL_H: i64 = 16 + LABEL_LINES as i64 * 13;
/// Roughly the width of one character of the title, for sizing the chart so it is never cut.
const TITLE_CHAR_W: i64 = 9;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `s` in at most `LABEL_LINES` lines of `LABEL_CHARS`, broken at spaces where it can be; what
/// does not fit ends in `…`.
fn wrap(s: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in s.split_whitespace() {
        let mut word: String = word.to_string();
        loop {
            let room = LABEL_CHARS - current.chars().count().min(LABEL_CHARS);
            let needed = word.chars().count() + usize::from(!current.is_empty());
            if needed <= room {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.push_str(&word);
                break;
            }
            if current.is_empty() {
                // A word longer than a line: break it.
                let head: String = word.chars().take(LABEL_CHARS).collect();
                word = word.chars().skip(LABEL_CHARS).collect();
                lines.push(head);
                if word.is_empty() {
                    break;
                }
            } else {
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > LABEL_LINES {
        lines.truncate(LABEL_LINES);
        let last = &mut lines[LABEL_LINES - 1];
        let kept: String = last.chars().take(LABEL_CHARS - 1).collect();
        *last = format!("{kept}…");
    }
    lines
}

/// One bar: label, its two ends as shown (sign applied, in öre), and whether it is a total.
struct Bar {
    label: String,
    from: i128,
    to: i128,
    total: bool,
}

fn bars(b: &Bridge, sign: Sign) -> Vec<Bar> {
    let shown = |a: i128| if sign == Sign::Result { -a } else { a };
    let start = b.start.unwrap_or(Amount::ZERO).ore();
    let mut out = Vec::new();
    if b.start.is_some() {
        out.push(Bar {
            label: format!("Budgetram {}", b.from_year),
            from: 0,
            to: shown(start),
            total: true,
        });
    }
    let mut running = start;
    let steps = b
        .changes
        .iter()
        .map(|c| (c.text.clone(), c.amount))
        .chain(b.transfers.iter().map(|t| {
            let name = t.name.clone().unwrap_or_else(|| t.counterparty.clone());
            let dir = if t.amount.ore() >= 0 { "från" } else { "till" };
            (format!("Budgetram {dir} {name}"), t.amount)
        }));
    for (label, amount) in steps {
        out.push(Bar {
            label,
            from: shown(running),
            to: shown(running + amount.ore()),
            total: false,
        });
        running += amount.ore();
    }
    if let Some(end) = b.end {
        out.push(Bar {
            label: format!("Budgetram {}", b.to_year),
            from: 0,
            to: shown(end.ore()),
            total: true,
        });
    }
    out
}

/// The axis: the lowest and highest level drawn, and where totals stand on it (zero, or the
/// edge of a shortened axis).
fn axis(bars: &[Bar]) -> (i128, i128, i128) {
    let levels: Vec<i128> = bars
        .iter()
        .flat_map(|x| {
            if x.total {
                vec![x.to]
            } else {
                vec![x.from, x.to]
            }
        })
        .collect();
    let lo = levels.iter().copied().min().unwrap_or(0);
    let hi = levels.iter().copied().max().unwrap_or(0);
    let spread = hi - lo;
    if lo > 0 {
        // All above zero: start the axis below the smallest level, never below zero.
        let base = (lo - spread / 2).max(0);
        let base = if spread == 0 { 0 } else { base };
        (base, hi.max(base + 1), base)
    } else if hi < 0 {
        let base = (hi + spread / 2).min(0);
        let base = if spread == 0 { 0 } else { base };
        (lo.min(base - 1), base, base)
    } else {
        (lo.min(0), hi.max(0).max(lo + 1), 0)
    }
}

/// The waterfall of `b` in `style`'s unit, decimals and sign convention.
pub fn waterfall(b: &Bridge, style: &Style) -> String {
    let bars = bars(b, style.sign);
    let unit = style.unit.name();
    let (lo, hi, base) = axis(&bars);
    let span = (hi - lo).max(1);
    let y = |v: i128| TOP + PLOT_H - ((v.clamp(lo, hi) - lo) * PLOT_H as i128 / span) as i64;
    let figure = |a: i128| money(Amount::from_i128(a), false, style);
    let end_text = b
        .end
        .map_or(format!("{MISSING} (ingen ram beslutad)"), |e| {
            format!("{} {unit}", money(e, true, style))
        });
    let start_text = b
        .start
        .map_or(format!("{MISSING} (ingen ram beslutad)"), |s| {
            format!("{} {unit}", money(s, true, style))
        });
    let title = format!(
        "Budgetram {} {}: från {start_text} till {end_text}",
        escape(&b.office),
        b.to_year
    );
    let note = if base != 0 {
        format!("Belopp i {unit}; axeln börjar vid {} {unit}", figure(base))
    } else {
        format!("Belopp i {unit}")
    };
    let bars_width = LEFT * 2 + bars.len().max(1) as i64 * (BAR_W + GAP);
    let width = bars_width.max(LEFT * 2 + title.chars().count() as i64 * TITLE_CHAR_W);
    let height = TOP + PLOT_H + LABEL_H + 10;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n"
    );
    svg.push_str(&format!(
        "<title>Förändringar {} jämfört med {}, {}, {unit}</title>\n<text x=\"{LEFT}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{title}</text>\n<text x=\"{LEFT}\" y=\"42\">{}</text>\n",
        b.to_year,
        b.from_year,
        escape(&b.office),
        escape(&note),
    ));
    if lo < 0 && hi > 0 {
        let zero = y(0);
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{zero}\" x2=\"{}\" y2=\"{zero}\" stroke=\"#888\" stroke-width=\"1\"/>\n",
            bars_width - LEFT
        ));
    }
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + i as i64 * (BAR_W + GAP);
        let (from, to) = if bar.total {
            (base, bar.to)
        } else {
            (bar.from, bar.to)
        };
        let (top, bottom) = (y(from.max(to)), y(from.min(to)));
        let colour = if bar.total {
            "#4a5a6a"
        } else if bar.to >= bar.from {
            "#2e7d32"
        } else {
            "#c62828"
        };
        let shown = if bar.total {
            figure(bar.to)
        } else {
            figure(bar.to - bar.from)
        };
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{top}\" width=\"{BAR_W}\" height=\"{}\" fill=\"{colour}\"><title>{}: {} {unit}</title></rect>\n",
            (bottom - top).max(1),
            escape(&bar.label),
            escape(&shown)
        ));
        // The figure above a bar that rises from its base, below one that falls or hangs.
        let fy = if to >= from { top - 4 } else { bottom + 12 };
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{fy}\" text-anchor=\"middle\">{}</text>\n",
            x + BAR_W / 2,
            escape(&shown)
        ));
        let lx = x + BAR_W / 2;
        let mut ly = TOP + PLOT_H + 26;
        svg.push_str(&format!(
            "<text text-anchor=\"middle\"><title>{}</title>",
            escape(&bar.label)
        ));
        for line in wrap(&bar.label) {
            svg.push_str(&format!(
                "<tspan x=\"{lx}\" y=\"{ly}\">{}</tspan>",
                escape(&line)
            ));
            ly += 13;
        }
        svg.push_str("</text>\n");
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn labels_wrap_at_spaces_and_end_in_an_ellipsis() {
        assert_eq!(wrap("Budgetram 2017"), vec!["Budgetram", "2017"]);
        assert_eq!(
            wrap("Kompensation kostnadsökning, köpt verksamhet och löneökningar"),
            vec!["Kompensation", "kostnadsökni", "ng, köpt…"]
        );
        assert!(wrap("a b c d e f g h i j k l m n o p q r s t u v w x y z")
            .iter()
            .all(|l| l.chars().count() <= 12));
    }
}
