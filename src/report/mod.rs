//! Rendering: each projection as a table (terminal or CSV) and as JSON with exact amounts in
//! kronor. Swedish formats and labels live here and nowhere else.

pub mod audit;
pub mod indicators;
pub mod number;
pub mod svg;
pub mod table;
pub mod xlsx;

use crate::domain::amount::Amount;
use crate::domain::event::{Status, TargetKind};
use crate::projection::budget::{BudgetTable, InvestmentTable, OutcomeRow, OutcomeTable};
use crate::projection::frames::{Bridge, FrameRow};
use crate::projection::goals::{GoalsReport, Item};
use crate::projection::Clock;
use serde_json::{json, Value};
use table::{Cell, Row, Table, UNIT};

/// A figure, or `–` when it is not decided or reported yet.
fn missing_or_flow(a: Option<Amount>) -> Cell {
    a.map_or(Cell::Missing, Cell::flow)
}

pub fn kr(a: Amount) -> Value {
    json!(a.to_kr_string())
}

fn opt_kr(a: Option<Amount>) -> Value {
    a.map_or(Value::Null, kr)
}

pub fn clock_json(clock: &Clock) -> (Value, Value) {
    (
        clock.as_of.map_or(Value::Null, |d| json!(d.to_string())),
        clock
            .known_at
            .map_or(Value::Null, |k| json!(k.to_rfc3339())),
    )
}

pub fn clock_caption(clock: &Clock) -> String {
    let mut parts = Vec::new();
    if let Some(d) = clock.as_of {
        parts.push(format!("per {d}"));
    }
    if let Some(k) = clock.known_at {
        parts.push(format!("känt {}", crate::domain::time::shown(k)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

pub fn frames_table(year: i32, rows: &[FrameRow], clock: &Clock) -> Table {
    let mut t = Table::new(
        format!("Budgetramar {year}, {UNIT}{}", clock_caption(clock)),
        &["Kontor", "Namn", "Budgetram", "Ändringar utan ram", "Anm."],
    );
    for r in rows {
        let (frame, changes, note) = if r.set {
            (Cell::flow(r.frame), Cell::Empty, "")
        } else if r.events > 0 {
            (Cell::Missing, Cell::flow(r.frame), NO_FRAME)
        } else {
            (Cell::Missing, Cell::Empty, NO_FRAME)
        };
        t.push(Row::new(vec![
            Cell::text(&r.office),
            Cell::text(r.name.clone().unwrap_or_default()),
            frame,
            changes,
            Cell::text(note),
        ]));
    }
    if rows.is_empty() {
        t.push(Row::new(vec![Cell::text(format!(
            "Inga budgetramar registrerade för {year}"
        ))]));
    }
    t
}

/// What a frame not yet decided reads as.
pub const NO_FRAME: &str = "ingen ram beslutad";

pub fn frames_json(year: i32, rows: &[FrameRow], clock: &Clock) -> Value {
    let (as_of, known_at) = clock_json(clock);
    json!({
        "year": year,
        "as_of": as_of,
        "known_at": known_at,
        "frames": rows.iter().map(|r| json!({
            "office": r.office, "name": r.name,
            "frame": if r.set { kr(r.frame) } else { Value::Null },
            "changes_without_frame": if r.set || r.events == 0 { Value::Null } else { kr(r.frame) },
            "set": r.set, "events": r.events,
        })).collect::<Vec<_>>(),
    })
}

pub fn bridge_table(b: &Bridge, clock: &Clock) -> Table {
    let mut t = Table::new(
        format!(
            "Förändringar {} jämfört med {}, {}, {UNIT}{}",
            b.to_year,
            b.from_year,
            b.office,
            clock_caption(clock)
        ),
        &["Rad", UNIT, "Beslut"],
    );
    t.push(Row::strong(vec![
        Cell::text(format!("Budgetram {}", b.from_year)),
        b.start.map_or(Cell::Missing, Cell::flow),
        Cell::text(if b.start.is_some() { "" } else { NO_FRAME }),
    ]));
    for c in &b.changes {
        let d = &c.decision;
        let cite = [
            Some(d.body.clone()),
            Some(d.date.to_string()),
            d.case.clone(),
            d.paragraph.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        t.push(Row::new(vec![
            Cell::text(&c.text),
            Cell::flow(c.amount),
            Cell::text(cite),
        ]));
    }
    let decided = b
        .changes_decided
        .as_deref()
        .map_or(String::new(), |d| format!(", {d}"));
    t.push(Row::strong(vec![
        Cell::text(format!("Summa förändringar{decided}")),
        Cell::flow(b.changes_total),
        Cell::Empty,
    ]));
    for tr in &b.transfers {
        let name = tr.name.clone().unwrap_or_else(|| tr.counterparty.clone());
        let dir = if tr.amount.ore() >= 0 {
            "från"
        } else {
            "till"
        };
        t.push(Row::new(vec![
            Cell::text(format!("Budgetram {dir} {name}")),
            Cell::flow(tr.amount),
            Cell::Empty,
        ]));
    }
    t.push(Row::strong(vec![
        Cell::text("Summa förändringar mellan förvaltningar"),
        Cell::flow(b.transfers_total),
        Cell::Empty,
    ]));
    t.push(Row::strong(vec![
        Cell::text(format!(
            "Summa förändringar mellan {} och {}",
            b.from_year, b.to_year
        )),
        Cell::flow(b.total),
        Cell::Empty,
    ]));
    t.push(Row::strong(vec![
        Cell::text(format!("Budgetram {}", b.to_year)),
        b.end.map_or(Cell::Missing, Cell::flow),
        Cell::text(if b.end.is_some() { "" } else { NO_FRAME }),
    ]));
    t
}

pub fn bridge_json(b: &Bridge, clock: &Clock) -> Value {
    let (as_of, known_at) = clock_json(clock);
    json!({
        "office": b.office, "from_year": b.from_year, "to_year": b.to_year, "as_of": as_of, "known_at": known_at,
        "start": opt_kr(b.start),
        "changes": b.changes.iter().map(|c| json!({
            "seq": c.seq, "type": c.kind, "text": c.text, "amount": kr(c.amount),
            "decision": crate::json::decision_json(&c.decision), "assumed": c.assumed,
        })).collect::<Vec<_>>(),
        "changes_total": kr(b.changes_total),
        "transfers": b.transfers.iter().map(|t| json!({
            "counterparty": t.counterparty, "name": t.name, "amount": kr(t.amount), "seqs": t.seqs,
        })).collect::<Vec<_>>(),
        "transfers_total": kr(b.transfers_total),
        "total": kr(b.total),
        "end": opt_kr(b.end),
    })
}

pub fn budget_table(b: &BudgetTable, clock: &Clock) -> Table {
    let y = b.year;
    let mut headers = vec![
        format!("Driftsbudget {}", b.office),
        format!("Intäkter {y}"),
        format!("Kostnader {y}"),
        format!("Netto {y}"),
    ];
    if let Some(c) = b.compare_year {
        headers.extend([
            format!("Intäkter {c}"),
            format!("Kostnader {c}"),
            format!("Netto {c}"),
            "Skillnad netto".into(),
        ]);
    }
    let hdr: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut t = Table::new(
        format!("Driftsbudget {}, {UNIT}{}", b.office, clock_caption(clock)),
        &hdr,
    );
    let cells = |name: String,
                 line: Option<crate::projection::budget::Line>,
                 cmp: Option<crate::projection::budget::Line>| {
        let mut v = vec![Cell::text(name)];
        // A line not decided is missing as a whole; a decided one may leave out its parts.
        let push = |v: &mut Vec<Cell>, l: Option<crate::projection::budget::Line>| match l {
            None => v.extend([Cell::Missing, Cell::Missing, Cell::Missing]),
            Some(l) => {
                v.push(l.revenue.map_or(Cell::Empty, |r| Cell::flow(-r)));
                v.push(Cell::opt_flow(l.cost));
                v.push(Cell::flow(l.net));
            }
        };
        push(&mut v, line);
        if b.compare_year.is_some() {
            push(&mut v, cmp);
            let diff = match (line, cmp) {
                (Some(l), Some(c)) => Cell::fixed(l.net - c.net),
                _ => Cell::Missing,
            };
            v.push(diff);
        }
        v
    };
    for r in &b.rows {
        t.push(Row::new(cells(r.area.name.clone(), r.year, r.compare)));
    }
    t.push(Row::strong(cells(
        "Summa".into(),
        (!b.rows.iter().all(|r| r.year.is_none())).then_some(b.total),
        b.compare_total
            .filter(|_| b.rows.iter().any(|r| r.compare.is_some())),
    )));
    if let Some(c) = b
        .compare_year
        .filter(|_| b.rows.iter().all(|r| r.compare.is_none()))
    {
        t.push(Row::new(vec![Cell::text(format!(
            "Ingen internbudget registrerad för {c}: inget att jämföra med"
        ))]));
    }
    if b.rows.is_empty() {
        t.push(Row::new(vec![Cell::text(format!(
            "Ingen internbudget registrerad för {} {}",
            b.office, b.year
        ))]));
    }
    t
}

pub fn budget_json(b: &BudgetTable, clock: &Clock) -> Value {
    let (as_of, known_at) = clock_json(clock);
    let line = |l: Option<crate::projection::budget::Line>| {
        l.map_or(
            Value::Null,
            |l| json!({"revenue": opt_kr(l.revenue), "cost": opt_kr(l.cost), "net": kr(l.net)}),
        )
    };
    json!({
        "office": b.office, "year": b.year, "compare_year": b.compare_year, "as_of": as_of, "known_at": known_at,
        "rows": b.rows.iter().map(|r| json!({
            "area": r.area.code, "name": r.area.name, "budget": line(r.year), "compare": line(r.compare),
            "difference": b.compare_year.map(|_| kr(r.year.map_or(Amount::ZERO, |l| l.net) - r.compare.map_or(Amount::ZERO, |l| l.net))),
        })).collect::<Vec<_>>(),
        "total": line(Some(b.total)),
        "compare_total": line(b.compare_total),
        "difference": b.compare_total.map(|c| kr(b.total.net - c.net)),
    })
}

pub fn outcome_table(o: &OutcomeTable, clock: &Clock) -> Table {
    let mut t = Table::new(
        format!(
            "Driftredovisning {} ({}), {UNIT}{}",
            o.year,
            o.office,
            clock_caption(clock)
        ),
        &["Enhet", "Budget", "Utfall", "Avvikelse"],
    );
    for row in &o.rows {
        let (label, v, strong) = match row {
            OutcomeRow::Area { area, figures, .. } => (area.name.clone(), figures, false),
            OutcomeRow::Subtotal { group, figures } => (format!("Summa {group}"), figures, true),
        };
        let cells = vec![
            Cell::text(label),
            missing_or_flow(v.budget),
            missing_or_flow(v.outcome),
            v.deviation().map_or(Cell::Missing, Cell::fixed),
        ];
        t.push(if strong {
            Row::strong(cells)
        } else {
            Row::new(cells)
        });
    }
    t.push(Row::strong(vec![
        Cell::text("Totalt"),
        missing_or_flow(o.total.budget),
        missing_or_flow(o.total.outcome),
        o.total.deviation().map_or(Cell::Missing, Cell::fixed),
    ]));
    if o.total.outcome.is_none() {
        t.push(Row::new(vec![Cell::text(format!(
            "Inget utfall rapporterat för {} {}",
            o.office, o.year
        ))]));
    }
    t
}

pub fn outcome_json(o: &OutcomeTable, clock: &Clock) -> Value {
    let (as_of, known_at) = clock_json(clock);
    let v = |f: &crate::projection::budget::Versus| json!({"budget": opt_kr(f.budget), "outcome": opt_kr(f.outcome), "deviation": opt_kr(f.deviation())});
    json!({
        "office": o.office, "year": o.year, "as_of": as_of, "known_at": known_at,
        "rows": o.rows.iter().map(|r| match r {
            OutcomeRow::Area { area, figures, month } => json!({"kind": "area", "area": area.code, "name": area.name, "group": area.group, "through_month": month, "figures": v(figures)}),
            OutcomeRow::Subtotal { group, figures } => json!({"kind": "subtotal", "group": group, "figures": v(figures)}),
        }).collect::<Vec<_>>(),
        "total": v(&o.total),
    })
}

pub fn investments_table(i: &InvestmentTable, clock: &Clock) -> Table {
    let mut headers = vec!["Investeringar".to_string(), format!("Budget {}", i.year)];
    if let Some(c) = i.compare_year {
        headers.extend([format!("Budget {c}"), "Skillnad".into()]);
    }
    if i.outcome_total.is_some() {
        headers.extend(["Utfall".to_string(), "Avvikelse".into()]);
    }
    let hdr: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut t = Table::new(
        format!(
            "Investeringsbudget {}, {UNIT}{}",
            i.office,
            clock_caption(clock)
        ),
        &hdr,
    );
    let cells = |name: String, budget: Option<Amount>, cmp: Option<Amount>, out: Option<Amount>| {
        let mut v = vec![Cell::text(name), budget.map_or(Cell::Missing, Cell::fixed)];
        let diff = |a: Option<Amount>, b: Option<Amount>| match (a, b) {
            (Some(a), Some(b)) => Cell::fixed(a - b),
            _ => Cell::Missing,
        };
        if i.compare_year.is_some() {
            v.push(cmp.map_or(Cell::Missing, Cell::fixed));
            v.push(diff(budget, cmp));
        }
        if i.outcome_total.is_some() {
            v.push(out.map_or(Cell::Missing, Cell::fixed));
            v.push(diff(budget, out));
        }
        v
    };
    for r in &i.rows {
        t.push(Row::new(cells(
            r.project.clone(),
            r.budget,
            r.compare,
            r.outcome,
        )));
    }
    t.push(Row::strong(cells(
        "Summa".into(),
        Some(i.budget_total),
        i.compare_total,
        i.outcome_total,
    )));
    t
}

pub fn investments_json(i: &InvestmentTable, clock: &Clock) -> Value {
    let (as_of, known_at) = clock_json(clock);
    json!({
        "office": i.office, "year": i.year, "compare_year": i.compare_year, "as_of": as_of, "known_at": known_at,
        "rows": i.rows.iter().map(|r| json!({
            "project": r.project, "budget": opt_kr(r.budget), "compare": opt_kr(r.compare), "outcome": opt_kr(r.outcome),
        })).collect::<Vec<_>>(),
        "budget_total": kr(i.budget_total),
        "compare_total": opt_kr(i.compare_total),
        "outcome_total": opt_kr(i.outcome_total),
    })
}

fn status_label(s: Option<Status>) -> String {
    s.map_or_else(
        || "Ej bedömd".to_string(),
        |s| {
            let n = s.name();
            let mut c = n.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        },
    )
}

fn kind_label(k: TargetKind) -> &'static str {
    match k {
        TargetKind::Activity => "Aktiviteter",
        TargetKind::Assignment => "Uppdrag",
        TargetKind::Goal => "Nämndsmål",
    }
}

/// The goal tree as an indented list, then the count tables.
pub fn goals_tables(g: &GoalsReport, clock: &Clock) -> Vec<Table> {
    let mut tree = Table::new(
        format!("Mål och uppdrag {}{}", g.year, clock_caption(clock)),
        &[
            "Mål / aktivitet / uppdrag",
            "Ansvarig",
            "Start",
            "Slut",
            "Status",
            "Bedömning",
            "Målvärde",
            "Värde",
        ],
    );
    let plain = |indent: usize, prefix: &str, i: &Item| {
        let is_goal = prefix.ends_with("mål: ");
        Row::new(vec![
            Cell::text(format!(
                "{}{prefix}{} [{}]",
                "  ".repeat(indent),
                i.title,
                i.code
            )),
            Cell::text(i.responsible.clone().unwrap_or_default()),
            Cell::opt_date(i.start),
            Cell::opt_date(i.end),
            Cell::text(if prefix == "Fullmäktigemål: " {
                String::new()
            } else {
                status_label(i.status)
            }),
            Cell::text(if is_goal {
                indicators::assessment_label(i.assessment)
            } else {
                String::new()
            }),
        ])
    };
    // Under a goal, each indicator: the year's target and value, and whether it meets it.
    let measures = |tree: &mut Table, indent: usize, i: &Item| {
        for m in &i.indicators {
            let with_unit = |v: Option<crate::domain::measure::Measure>, pre: &str| {
                v.map_or(Cell::Missing, |v| {
                    Cell::Figure(format!("{pre}{} {}", v.swedish(), m.unit))
                })
            };
            let met = match m.met() {
                Some(true) => Status::Met.name(),
                Some(false) => Status::NotMet.name(),
                None => "",
            };
            tree.push(Row::new(vec![
                Cell::text(format!(
                    "{}Indikator: {} [{}]",
                    "  ".repeat(indent),
                    m.name,
                    m.indicator
                )),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::text(met),
                with_unit(m.target, &format!("{} ", m.direction.swedish())),
                with_unit(m.value, ""),
            ]));
        }
    };
    for fa in &g.focus_areas {
        tree.push(Row::strong(vec![Cell::text(format!(
            "Fokusområde: {}",
            fa.name
        ))]));
        for cg in &fa.council_goals {
            tree.push(plain(1, "Fullmäktigemål: ", &cg.goal));
            measures(&mut tree, 2, &cg.goal);
            for ng in &cg.committee_goals {
                tree.push(plain(2, "Nämndsmål: ", &ng.goal));
                measures(&mut tree, 3, &ng.goal);
                for a in &ng.activities {
                    tree.push(plain(3, "", a));
                }
            }
        }
        for ng in &fa.own_goals {
            tree.push(plain(1, "Nämndsmål: ", &ng.goal));
            measures(&mut tree, 2, &ng.goal);
            for a in &ng.activities {
                tree.push(plain(2, "", a));
            }
        }
        for a in &fa.assignments {
            tree.push(plain(1, "Uppdrag: ", a));
        }
    }
    let mut out = vec![tree];
    for c in &g.counts {
        let mut headers: Vec<String> = vec![kind_label(c.kind).to_string()];
        headers.extend(c.by_status.iter().map(|(s, _)| status_label(*s)));
        headers.push("Totalt".into());
        let hdr: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut t = Table::new(format!("{} {}", kind_label(c.kind), g.year), &hdr);
        let mut antal = vec![Cell::text("Antal")];
        antal.extend(c.by_status.iter().map(|(_, n)| Cell::Figure(n.to_string())));
        antal.push(Cell::Figure(c.total.to_string()));
        let mut andel = vec![Cell::text("Andel")];
        andel.extend(c.by_status.iter().map(|(_, n)| Cell::Share {
            part: *n,
            total: c.total,
        }));
        andel.push(Cell::Share {
            part: c.total,
            total: c.total,
        });
        t.push(Row::new(antal));
        t.push(Row::new(andel));
        out.push(t);
    }
    out
}

pub fn goals_json(g: &GoalsReport, clock: &Clock) -> Value {
    let (as_of, known_at) = clock_json(clock);
    let item = |i: &Item| {
        json!({
            "code": i.code, "title": i.title, "status": i.status.map(|s| s.name()),
            "responsible": i.responsible, "start": i.start.map(|d| d.to_string()), "end": i.end.map(|d| d.to_string()),
        })
    };
    // A goal also carries its indicators and their assessment, beside the status set by hand.
    let goal = |i: &Item| {
        let mut v = item(i);
        v["assessment"] = json!(i.assessment.map(|s| s.name()));
        v["indicators"] = i
            .indicators
            .iter()
            .map(indicators::indicator_json)
            .collect();
        v
    };
    let committee = |c: &crate::projection::goals::CommitteeGoal| json!({"goal": goal(&c.goal), "activities": c.activities.iter().map(item).collect::<Vec<_>>()});
    json!({
        "year": g.year, "as_of": as_of, "known_at": known_at,
        "focus_areas": g.focus_areas.iter().map(|f| json!({
            "name": f.name,
            "council_goals": f.council_goals.iter().map(|c| json!({"goal": goal(&c.goal), "committee_goals": c.committee_goals.iter().map(committee).collect::<Vec<_>>()})).collect::<Vec<_>>(),
            "own_goals": f.own_goals.iter().map(committee).collect::<Vec<_>>(),
            "assignments": f.assignments.iter().map(item).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "counts": g.counts.iter().map(|c| json!({
            "kind": c.kind.name(),
            "total": c.total,
            "by_status": c.by_status.iter().map(|(s, n)| json!({"status": s.map(|s| s.name()), "count": n})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
