//! A synthetic municipality for benchmarks and load tests: offices with areas, twenty budget years
//! of frames, changes, savings requirements, transfers, internal budgets, monthly outcomes, goals,
//! activities and status updates, as JSON Lines events. Deterministic for a given seed.

use serde_json::{json, Value};

pub const OFFICES: usize = 40;
pub const YEARS: i32 = 20;
pub const FIRST_YEAR: i32 = 2005;
const AREAS: usize = 5;
const ACTIVITIES_PER_OFFICE_YEAR: usize = 4;

/// xorshift64*: small, fast and good enough to spread synthetic events (and the benchmarks'
/// and tests' random choices).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

fn office(i: usize) -> String {
    format!("F{:02}", i + 1)
}

fn decision(body: &str, y: i32, m: u32, d: u32, n: u64) -> Value {
    json!({"body": body, "date": format!("{y:04}-{m:02}-{d:02}"), "case": format!("KS {y}/{n:04}"), "paragraph": format!("§ {}", n % 300 + 1)})
}

/// Writes `n` events (at least the definitions: 40 offices with 5 areas each) through `emit`.
pub fn municipality(n: usize, seed: u64, mut emit: impl FnMut(Value)) {
    let mut rng = Rng(seed.max(1));
    let mut count = 0usize;
    let mut out = |v: Value, count: &mut usize| {
        emit(v);
        *count += 1;
    };
    for o in 0..OFFICES {
        out(
            json!({"type": "office_defined", "office": office(o), "name": format!("förvaltning {}", o + 1), "committee": format!("N{:02}", o + 1)}),
            &mut count,
        );
        for a in 0..AREAS {
            out(
                json!({"type": "area_defined", "office": office(o), "area": format!("A{a}"), "name": format!("verksamhet {a}"), "kind": "verksamhetsområde"}),
                &mut count,
            );
        }
    }
    let mut serial = 0u64;
    'years: for round in 0.. {
        for y in 0..YEARS {
            let year = FIRST_YEAR + y;
            for o in 0..OFFICES {
                if count >= n {
                    break 'years;
                }
                serial += 1;
                let ev = if round == 0 {
                    year_start(&mut rng, year, o, serial)
                } else {
                    change(&mut rng, year, o, serial)
                };
                for v in ev {
                    if count >= n {
                        break 'years;
                    }
                    out(v, &mut count);
                }
            }
        }
    }
}

/// A year's start for one office: frame, internal budget, a goal and its activities.
fn year_start(rng: &mut Rng, year: i32, o: usize, serial: u64) -> Vec<Value> {
    let frame = 50_000 + rng.below(450_000);
    let mut v = vec![
        json!({"type": "frame_set", "office": office(o), "year": year, "amount": frame.to_string(), "unit": "tkr", "decision": decision("KF", year - 1, 6, 20, serial)}),
    ];
    for a in 0..AREAS {
        let cost = frame / AREAS as u64 + rng.below(10_000);
        let revenue = rng.below(cost / 4 + 1);
        v.push(json!({"type": "budget_line", "office": office(o), "year": year, "area": format!("A{a}"), "revenue": revenue.to_string(), "cost": cost.to_string(), "unit": "tkr", "decision": decision(&format!("N{:02}", o + 1), year - 1, 11, 25, serial)}));
    }
    let goal = format!("G{year}-{o:02}");
    v.push(json!({"type": "goal_defined", "goal": goal, "level": "nämndsmål", "office": office(o), "focus_area": "Ordning och reda i ekonomin", "title": format!("Mål {year} för {}", office(o)), "year": year, "decision": decision(&format!("N{:02}", o + 1), year - 1, 11, 25, serial)}));
    for a in 0..ACTIVITIES_PER_OFFICE_YEAR {
        v.push(json!({"type": "activity_defined", "activity": format!("{goal}-A{a}"), "goal": goal, "title": format!("Aktivitet {a}"), "responsible": format!("Person {}", rng.below(500)), "start": format!("{year}-01-01"), "end": format!("{year}-12-31"), "decision": decision(&format!("N{:02}", o + 1), year - 1, 11, 25, serial)}));
    }
    v
}

/// One change during a year: frame change, savings, transfer, re-budgeting, outcome or status.
fn change(rng: &mut Rng, year: i32, o: usize, serial: u64) -> Vec<Value> {
    let month = 1 + rng.below(12) as u32;
    let day = 1 + rng.below(28) as u32;
    let date = format!("{year}-{month:02}-{day:02}");
    let area = format!("A{}", rng.below(AREAS as u64));
    let amount = (1 + rng.below(5_000)).to_string();
    match rng.below(20) {
        0..=5 => {
            let signed = if rng.below(2) == 0 {
                amount
            } else {
                format!("-{amount}")
            };
            vec![
                json!({"type": "frame_changed", "office": office(o), "year": year, "amount": signed, "unit": "tkr", "category": "ramjustering", "reason": format!("Ändring {serial}"), "decision": decision("KF", year, month, day, serial)}),
            ]
        }
        6 => vec![
            json!({"type": "savings_required", "office": office(o), "year": year, "amount": amount, "unit": "tkr", "rate_percent": "1", "reason": format!("Besparing {serial}"), "decision": decision("KF", year, month, day, serial)}),
        ],
        7..=9 => {
            let other = (o + 1 + rng.below(OFFICES as u64 - 1) as usize) % OFFICES;
            vec![
                json!({"type": "transfer", "from": office(other), "to": office(o), "year": year, "amount": amount, "unit": "tkr", "reason": format!("Ramväxling {serial}"), "decision": decision("kommundirektör", year, month, day, serial)}),
            ]
        }
        10..=11 => {
            let cost = 10_000 + rng.below(100_000);
            vec![
                json!({"type": "budget_line", "office": office(o), "year": year, "area": area, "revenue": rng.below(cost / 4).to_string(), "cost": cost.to_string(), "unit": "tkr", "decision": decision(&format!("N{:02}", o + 1), year, month, day, serial)}),
            ]
        }
        12..=17 => vec![
            json!({"type": "outcome", "office": office(o), "year": year, "area": area, "period": format!("{year}-{month:02}"), "amount": format!("{}.{:02}", rng.below(100_000), rng.below(100)), "unit": "tkr", "date": date, "note": format!("Utfall {serial}")}),
        ],
        _ => {
            let status = ["påbörjad", "genomförd", "ej påbörjad"][rng.below(3) as usize];
            vec![
                json!({"type": "status_updated", "target": format!("G{year}-{o:02}-A{}", rng.below(ACTIVITIES_PER_OFFICE_YEAR as u64)), "status": status, "date": date, "comment": format!("Uppföljning {serial}")}),
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_exactly_n_valid_events_deterministically() {
        let mut a = Vec::new();
        municipality(5_000, 7, |v| a.push(v));
        let mut b = Vec::new();
        municipality(5_000, 7, |v| b.push(v));
        assert_eq!(a.len(), 5_000);
        assert_eq!(a, b);
        for v in &a {
            crate::json::parse_event(v).unwrap_or_else(|e| panic!("{v}: {e:?}"));
        }
    }
}
