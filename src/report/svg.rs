//! The frame bridge as a waterfall chart in SVG: the start frame, each change up or down, the
//! end frame; Swedish labels and figures. Self-contained markup a controller can put in a report.

use super::number::{money, Style};
use crate::domain::amount::{Amount, Unit};
use crate::projection::frames::Bridge;

const BAR_W: i64 = 56;
const GAP: i64 = 14;
const PLOT_H: i64 = 320;
const TOP: i64 = 50;
const LEFT: i64 = 20;
const LABEL_H: i64 = 180;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn short(s: &str) -> String {
    let cut: String = s.chars().take(30).collect();
    if cut.chars().count() < s.chars().count() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// One bar: label, bottom and top of the bar in öre, and whether it is a total.
struct Bar {
    label: String,
    from: i128,
    to: i128,
    total: bool,
}

fn bars(b: &Bridge) -> Vec<Bar> {
    let mut out = vec![Bar {
        label: format!("Budgetram {}", b.from_year),
        from: 0,
        to: b.start.ore(),
        total: true,
    }];
    let mut running = b.start.ore();
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
            from: running,
            to: running + amount.ore(),
            total: false,
        });
        running += amount.ore();
    }
    out.push(Bar {
        label: format!("Budgetram {}", b.to_year),
        from: 0,
        to: b.end.ore(),
        total: true,
    });
    out
}

/// The waterfall of `b`, amounts in tkr (net cost, more money upwards).
pub fn waterfall(b: &Bridge) -> String {
    let bars = bars(b);
    let style = Style::terminal(Unit::Tkr, 0, super::number::Sign::Cost);
    // The changes are small beside the frames; start the axis near the smallest level shown so
    // they stay visible, as printed bridges do, and say so under the chart.
    let lows = bars
        .iter()
        .filter(|x| !x.total)
        .flat_map(|x| [x.from, x.to]);
    let highs = bars.iter().flat_map(|x| [x.from.max(x.to)]);
    let max = highs.max().unwrap_or(1).max(1);
    let min_level = lows.min().unwrap_or(0).min(max);
    let floor = (min_level - (max - min_level) / 2).max(0);
    let span = (max - floor).max(1);
    let y = |v: i128| TOP + PLOT_H - ((v.max(floor) - floor) * PLOT_H as i128 / span) as i64;
    let width = LEFT * 2 + bars.len() as i64 * (BAR_W + GAP) + 140;
    let height = TOP + PLOT_H + LABEL_H;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n"
    );
    svg.push_str(&format!(
        "<title>Förändringar {} jämfört med {}, {}</title>\n<text x=\"{LEFT}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">Budgetram {}: från {} till {} tkr ({})</text>\n",
        b.to_year,
        b.from_year,
        escape(&b.office),
        escape(&b.office),
        money(b.start, false, &style),
        money(b.end, false, &style),
        if floor > 0 { format!("axeln börjar vid {} tkr", money(Amount::from_i128(floor), false, &style)) } else { "tkr".into() },
    ));
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + i as i64 * (BAR_W + GAP);
        let (lo, hi) = (bar.from.min(bar.to), bar.from.max(bar.to));
        let (top, bottom) = (y(hi), y(lo));
        let colour = if bar.total {
            "#4a5a6a"
        } else if bar.to >= bar.from {
            "#2e7d32"
        } else {
            "#c62828"
        };
        let delta = Amount::from_i128(bar.to - bar.from);
        let figure = if bar.total {
            money(Amount::from_i128(bar.to), false, &style)
        } else {
            money(delta, false, &style)
        };
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{top}\" width=\"{BAR_W}\" height=\"{}\" fill=\"{colour}\"><title>{}: {} tkr</title></rect>\n",
            (bottom - top).max(1),
            escape(&bar.label),
            figure
        ));
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
            x + BAR_W / 2,
            top - 4,
            escape(&figure)
        ));
        let lx = x + BAR_W / 2;
        let ly = TOP + PLOT_H + 12;
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ly}\" transform=\"rotate(45 {lx} {ly})\">{}</text>\n",
            escape(&short(&bar.label))
        ));
    }
    svg.push_str("</svg>\n");
    svg
}
