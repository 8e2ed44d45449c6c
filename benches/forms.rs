//! Criterion benchmarks of the page's writing side on a synthetic municipality (RAMBOK_BENCH_EVENTS,
//! default 10 000): a dry run of one entry against a loaded writer (what a preview costs the write
//! path), the preview's effects (the frame before and after, from the index), the same preview
//! through the router, what an abandoned append would cost instead (the writer's state rebuilt
//! from the log), and a 10 000-row internal budget sheet read into events. docs/benchmarks.md
//! has the figures.

use axum::body::Body;
use chrono::Utc;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rambok::json::parse_event;
use rambok::ledger::Ledger;
use rambok::query::preview::{self, Place};
use rambok::server::{self, auth::Role, AppState};
use rambok::sheet::{self, Settings};
use serde_json::json;
use tower::ServiceExt;

fn events() -> usize {
    std::env::var("RAMBOK_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

fn change() -> rambok::domain::event::Event {
    parse_event(
        &json!({"type": "frame_changed", "office": "F07", "year": 2015, "amount": "-1000",
        "unit": "tkr", "category": "ramjustering", "reason": "Förhandsgranskning",
        "decision": {"body": "KF", "date": "2015-06-01"}}),
    )
    .unwrap()
}

/// A sheet of `rows` areas of F01, revenue and cost in tkr, headings on row 1.
fn sheet_bytes(rows: u32) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "Område").unwrap();
    ws.write_string(0, 1, "Intäkter").unwrap();
    ws.write_string(0, 2, "Kostnader").unwrap();
    for r in 1..=rows {
        ws.write_string(r, 0, format!("verksamhet {r}")).unwrap();
        ws.write_number(r, 1, f64::from(r) * 10.5).unwrap();
        ws.write_number(r, 2, f64::from(r) * 100.25).unwrap();
    }
    book.save_to_buffer().unwrap()
}

fn bench(c: &mut Criterion) {
    let n = events();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l")).unwrap();
    let mut batch = Vec::with_capacity(n);
    rambok::gen::municipality(n, 1, |v| batch.push(parse_event(&v).unwrap()));
    ledger.append(&batch, "bench", None, Utc::now()).unwrap();
    drop(batch);
    let event = change();
    let entries = std::slice::from_ref(&event);
    let mut group = c.benchmark_group(format!("{n}_events"));
    group.bench_function("dry_run_one_entry", |b| {
        b.iter(|| black_box(ledger.dry_run(entries, "karin.lind", None).unwrap()))
    });
    let places = [Place {
        office: "F07".into(),
        year: 2015,
        area: None,
    }];
    group.bench_function("preview_effects_one_entry", |b| {
        b.iter(|| {
            black_box(
                preview::preview(&ledger, entries, "karin.lind", Utc::now(), &places).unwrap(),
            )
        })
    });
    group.sample_size(10);
    group.bench_function("abandoned_append_then_next_dry_run", |b| {
        b.iter(|| {
            let mut a = ledger.begin("karin.lind", None, Utc::now()).unwrap();
            a.push(&event).unwrap();
            drop(a);
            black_box(ledger.dry_run(entries, "karin.lind", None).unwrap())
        })
    });
    group.finish();

    let state = AppState::new(ledger, None).unwrap();
    let token = state
        .tokens()
        .add("karin.lind", Role::Controller, None, "bench", Utc::now())
        .unwrap();
    let body = json!({"type": "frame_changed", "values": {"office": "F07", "year": "2015", "amount": "−1 000",
        "unit": "tkr", "category": "ramjustering", "reason": "Förhandsgranskning", "decision.body": "KF",
        "decision.date": "2015-06-01"}})
    .to_string();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group(format!("{n}_events"));
    group.bench_function("post_api_preview", |b| {
        b.iter(|| {
            let req = axum::http::Request::post("/api/preview")
                .header("Authorization", format!("Bearer {token}"))
                .body(Body::from(body.clone()))
                .unwrap();
            let res = rt
                .block_on(server::app(state.clone()).oneshot(req))
                .unwrap();
            assert_eq!(res.status(), 200);
        })
    });
    group.finish();

    let rows = 10_000;
    let bytes = sheet_bytes(rows);
    let areas: Vec<(String, String)> = (1..=rows)
        .map(|r| (format!("A{r}"), format!("verksamhet {r}")))
        .collect();
    let texts = [
        ("office", "F01"),
        ("year", "2016"),
        ("unit", "tkr"),
        ("map", "area=A,revenue=B,cost=C"),
        ("body", "KS"),
        ("date", "2015-11-25"),
    ];
    let settings =
        Settings::from_texts(|k| texts.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)).unwrap();
    let mut group = c.benchmark_group("sheet");
    group.sample_size(10);
    group.bench_function(format!("read_{rows}_rows_into_events"), |b| {
        b.iter(|| black_box(sheet::rows_of(&bytes, &settings, &areas).unwrap().1.len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
