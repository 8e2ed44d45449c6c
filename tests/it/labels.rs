//! Labels and missing figures on the Kalmar fixtures: a frame not decided is said so in every
//! view, every title names the unit in force, and the waterfall follows the sign.

use crate::cli::{kalmar, ok};

/// One answer per question at every date: before any 2017 decision (2015-11-30) nothing is
/// carried over from 2016; offices that only sent transfers show them apart from a frame; the
/// history names what KF's June decision did and says what it gave.
#[test]
fn a_frame_not_decided_is_said_so_everywhere() {
    let db = kalmar();
    let early = ["--as-of", "2015-11-30"];
    let with = |args: &[&str]| {
        let mut v: Vec<&str> = args.to_vec();
        v.extend(early);
        ok(&db.path, &v)
    };
    let frames = with(&["report", "frames", "--year", "2017"]);
    let klk = frames.lines().find(|l| l.starts_with("KLK ")).unwrap();
    assert!(
        klk.contains('–') && klk.contains("ingen ram beslutad"),
        "{frames}"
    );
    let bridge = with(&[
        "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017",
    ]);
    let last = bridge
        .lines()
        .rfind(|l| l.starts_with("Budgetram 2017"))
        .unwrap();
    assert!(
        last.contains('–') && last.contains("ingen ram beslutad") && !last.contains("469 265"),
        "{bridge}"
    );
    let history = with(&["history", "--office", "KLK", "--year", "2017"]);
    let end = history.lines().find(|l| l.contains("Slutlig ram")).unwrap();
    assert!(
        end.contains("ingen ram beslutad") && end.trim_end().ends_with('–'),
        "{history}"
    );
    let json = with(&[
        "history", "--office", "KLK", "--year", "2017", "--format", "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["end"], serde_json::Value::Null, "{json}");

    // Later: offices that only sent transfers have no negative "frame".
    let frames = ok(
        &db.path,
        &[
            "report",
            "frames",
            "--year",
            "2017",
            "--as-of",
            "2016-11-22",
        ],
    );
    let sbk = frames.lines().find(|l| l.starts_with("SBK ")).unwrap();
    assert!(
        sbk.contains("−691") && sbk.contains("ingen ram beslutad"),
        "{frames}"
    );
    let header = frames.lines().nth(1).unwrap();
    assert!(header.contains("Ändringar utan ram"), "{frames}");

    // KF's June decision: its first line is the starting point; the decision's sum says 466 890.
    let history = ok(&db.path, &["history", "--office", "KLK", "--year", "2017"]);
    assert!(!history.contains("fastställd"), "{history}");
    assert!(history.contains("Utgångsram 2017 i beslutet"), "{history}");
    let sum = history
        .lines()
        .find(|l| l.contains("Summa beslut KF 2016-06-30"))
        .unwrap_or_else(|| panic!("{history}"));
    assert!(sum.trim_end().ends_with("466 890"), "{sum}");
}

/// Every title and money column names the unit in force; mnkr shows a decimal by default.
#[test]
fn the_unit_in_force_is_named_in_every_view() {
    let db = kalmar();
    for unit in ["kr", "tkr", "mnkr"] {
        let budget = ok(
            &db.path,
            &[
                "report", "budget", "--office", "KLK", "--year", "2017", "--unit", unit,
            ],
        );
        let title = budget.lines().next().unwrap();
        assert!(title.ends_with(&format!(", {unit}")), "{title}");
        assert!(!budget.contains("tkr") || unit == "tkr", "{budget}");
        let bridge = ok(
            &db.path,
            &[
                "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017", "--unit",
                unit, "--format", "csv",
            ],
        );
        assert!(
            bridge.contains(&format!("Rad;Belopp ({unit});Beslut")),
            "{bridge}"
        );
        let svg = ok(
            &db.path,
            &[
                "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017", "--unit",
                unit, "--format", "svg",
            ],
        );
        assert!(svg.contains(&format!("Belopp i {unit}")), "{svg}");
    }
    let mnkr = ok(
        &db.path,
        &["report", "frames", "--year", "2017", "--unit", "mnkr"],
    );
    let sbk = mnkr.lines().find(|l| l.starts_with("SBK ")).unwrap();
    assert!(sbk.contains("−0,7"), "691 tkr is 0,7 mnkr, not 0: {sbk}");
}

/// The waterfall follows the sign convention: with `--sign result` a frame is negative, its bar
/// hangs below the zero line, and the figures carry the minus.
#[test]
fn the_waterfall_follows_the_sign() {
    let db = kalmar();
    let args = |sign: &'static str| {
        [
            "report", "bridge", "--office", "KLK", "--from", "2016", "--to", "2017", "--format",
            "svg", "--sign", sign,
        ]
    };
    let cost = ok(&db.path, &args("cost"));
    let result = ok(&db.path, &args("result"));
    assert!(
        cost.contains(">477 569<") && !cost.contains("−477 569"),
        "{cost}"
    );
    assert!(result.contains(">−477 569<"), "{result}");
    // Every bar has a positive height and the full label as a tooltip.
    assert!(result
        .contains("<title>Kompensation kostnadsökning, köpt verksamhet och löneökningar</title>"));
    for svg in [&cost, &result] {
        for h in svg.split("height=\"").skip(2) {
            let n: i64 = h[..h.find('"').unwrap()].parse().unwrap();
            assert!(n >= 1, "{svg}");
        }
    }
}
