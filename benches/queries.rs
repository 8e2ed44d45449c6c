//! Criterion benchmarks of the read side at scale: an as-of frame query for one office and for all
//! offices of a year (through the frame index), and a full rebuild (read every record, check the
//! hash chain, build the index). Size: RAMBOK_BENCH_EVENTS (default 10 000; docs/benchmarks.md has
//! the figures at 10^4, 10^5 and 10^6).

use chrono::Utc;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rambok::domain::event::Date;
use rambok::json::parse_event;
use rambok::ledger::Ledger;
use rambok::projection::frame_index::FrameIndex;
use rambok::projection::Clock;

fn events() -> usize {
    std::env::var("RAMBOK_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

fn bench(c: &mut Criterion) {
    let n = events();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("l")).unwrap();
    let mut batch = Vec::with_capacity(n);
    rambok::gen::municipality(n, 1, |v| batch.push(parse_event(&v).unwrap()));
    ledger.append(&batch, "bench", None, Utc::now()).unwrap();
    drop(batch);
    let mut index = FrameIndex::default();
    ledger
        .scan(1, |r| {
            index.add(&r);
            Ok(())
        })
        .unwrap();
    index.sort();
    let clock = Clock {
        as_of: Date::ymd(2015, 7, 1),
        known_at: None,
    };
    let mut group = c.benchmark_group(format!("{n}_events"));
    group.bench_function("as_of_frame_one_office", |b| {
        b.iter(|| black_box(index.frame(black_box("F07"), 2015, &clock)))
    });
    group.bench_function("as_of_frames_all_offices", |b| {
        b.iter(|| {
            let offices = index.offices(2015);
            black_box(
                offices
                    .iter()
                    .filter_map(|o| index.frame(o, 2015, &clock))
                    .count(),
            )
        })
    });
    group.sample_size(10);
    group.bench_function("full_rebuild_verified", |b| {
        b.iter(|| {
            let mut index = FrameIndex::default();
            ledger
                .scan(1, |r| {
                    index.add(&r);
                    Ok(())
                })
                .unwrap();
            index.sort();
            black_box(index)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
