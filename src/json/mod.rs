//! The JSON Lines event format at the edge. `schema` declares every event type's fields once, each
//! with a `codec` that reads it (through `fields`, with errors that name the field) and writes it
//! back. `parse` reads a line straight into an [`Event`] (`record` reads the JSON without building
//! a `serde_json::Value`), `emit` writes an event in the same form, so `log --format json` output
//! can be imported again. `docs/events.md` documents every type.
//!
//! [`Event`]: crate::domain::event::Event

mod codec;
mod compound;
mod describe;
mod emit;
mod fields;
pub mod forms;
mod parse;
pub mod provenance;
mod record;
mod schema;
pub mod strict;

pub use crate::domain::field::FieldError;
pub use describe::describe as describe_json_error;
pub use emit::event_to_json;
pub use fields::parse_date;
pub use parse::{parse_event, parse_event_line, LineError};
pub use schema::{
    decision_json, Form, FormField, Input, COMMON_FORM, DECISION_FORM, FORMS, TYPE_NAMES,
};

/// Longest text field (names, reasons, notes) in characters.
pub const TEXT_CHARS_MAX: usize = 2000;
/// Longest code field (offices, areas, goal codes) in characters.
pub const CODE_CHARS_MAX: usize = 64;
/// Budget years the ledger accepts.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

pub(crate) type R<T> = Result<T, FieldError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;

    /// Reads a line as import does, and checks that reading it as a `Value` gives the same.
    fn parse(s: &str) -> R<Event> {
        let from_line = match parse_event_line(s) {
            Ok(event) => Ok(event),
            Err(LineError::Field(e)) => Err(e),
            Err(LineError::Json(e)) => panic!("{s}: inte giltig JSON: {e}"),
        };
        assert_eq!(
            from_line,
            parse_event(&serde_json::from_str(s).unwrap()),
            "{s}"
        );
        from_line
    }

    #[test]
    fn same_content_in_other_units_gets_the_same_id() {
        let a = parse(r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"477569","unit":"tkr","decision":{"body":"KF","date":"2016-06-20"}}"#).unwrap();
        let b = parse(r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"477569000","decision":{"body":"KF","date":"2016-06-20"}}"#).unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(a, b);
    }

    #[test]
    fn every_type_round_trips_through_json() {
        let lines = [
            r#"{"type":"office_defined","office":"KLK","name":"kommunledningskontoret","committee":"KS","from":"2014-01-01"}"#,
            r#"{"type":"area_defined","office":"KLK","area":"BRAND","name":"Brandkår","kind":"enhet","parent":"INFRA","group":"driftresultat","from":"2014-01-01"}"#,
            r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"477569","unit":"tkr","decision":{"body":"KF","date":"2016-06-20","case":"KS 2016/1"}}"#,
            r#"{"type":"frame_changed","office":"KLK","year":2017,"amount":"-273","unit":"tkr","category":"ramjustering","reason":"IT","decision":{"body":"KF","date":"2016-06-20","case":"KS 2016/1","paragraph":"§ 65"},"note":"n"}"#,
            r#"{"type":"savings_required","office":"KLK","year":2017,"amount":"1990","unit":"tkr","rate_percent":"1","reason":"stabil ekonomi","decision":{"body":"KF","date":"2016-06-20"}}"#,
            r#"{"type":"transfer","from":"SBK","to":"KLK","year":2017,"amount":"691","unit":"tkr","reason":"HR","decision":{"body":"kommundirektör","date":"2016-10-01"}}"#,
            r#"{"type":"budget_line","office":"KLK","year":2017,"area":"ADM","revenue":"65595","cost":"174102","unit":"tkr","decision":{"body":"KS","date":"2016-11-22"}}"#,
            r#"{"type":"outcome","office":"KLK","year":2014,"area":"BRAND","period":"2014-08","amount":"40774.7","unit":"tkr","date":"2014-09-15"}"#,
            r#"{"type":"forecast","office":"KLK","year":2014,"area":"BRAND","amount":"41000","unit":"tkr","date":"2014-10-31"}"#,
            r#"{"type":"investment_budget","office":"KLK","year":2017,"project":"Infrastruktur och skydd","amount":"133700","unit":"tkr","decision":{"body":"KF","date":"2016-06-20"}}"#,
            r#"{"type":"investment_outcome","office":"KLK","year":2014,"project":"Brandkår","amount":"1732","unit":"tkr","date":"2015-01-21"}"#,
            r#"{"type":"goal_defined","goal":"FM17-01","level":"fullmäktigemål","focus_area":"Ordning och reda","title":"Nettokostnaderna","year":2017,"decision":{"body":"KF","date":"2016-06-20"}}"#,
            r#"{"type":"activity_defined","activity":"AKT17-01","goal":"NM17-01","title":"Inventera","responsible":"Annette Andersson","start":"2017-01-01","end":"2017-03-31","decision":{"body":"KS","date":"2016-11-22"}}"#,
            r#"{"type":"assignment_defined","assignment":"UPP17-01","title":"Simhall","focus_area":"Ordning och reda","year":2017,"decision":{"body":"KF","date":"2016-06-20"}}"#,
            r#"{"type":"status_updated","target":"AKT17-01","status":"Ej påbörjad","date":"2016-11-22","comment":"c"}"#,
            r#"{"type":"correction","corrects":"6a1f3c2e-9b4d-4e7a-8f10-2d5c7b9e0a41","reason":"fel belopp"}"#,
            r#"{"type":"approved","event":"6a1f3c2e-9b4d-4e7a-8f10-2d5c7b9e0a41","comment":"attesterad"}"#,
            r#"{"type":"year_closed","office":"KLK","year":2017,"date":"2018-02-15"}"#,
            r#"{"type":"reported","report":"outcome","office":"KLK","year":2014,"row":"KONCERN","column":"deviation","amount":"-1325.8","unit":"tkr","source":"KS 2014/0248","date":"2015-01-21"}"#,
            r#"{"type":"reported","report":"frame","office":"KLK","year":2017,"row":"total","column":"frame","amount":"477.6","unit":"mnkr","source":"s","date":"2016-11-22"}"#,
            r#"{"type":"indicator_defined","indicator":"SJUK-KLK","name":"Sjukfrånvaro","unit":"%","direction":"lower","goal":"NM17-15","office":"KLK"}"#,
            r#"{"type":"target_set","indicator":"SJUK-KLK","year":2017,"value":"3.5","decision":{"body":"KS","date":"2016-11-22","case":"KS 2016/1130"}}"#,
            r#"{"type":"measured","indicator":"SJUK-KLK","year":2015,"value":"-0.25","date":"2016-11-22"}"#,
            r#"{"type":"reported_parts","report":"bridge","office":"KLK","year":2017,"row":"transfers","column":"frame","parts":[{"label":"HR","amount":"7747"},{"label":"lön","amount":"2265.5"}],"unit":"tkr","source":"s. 15","date":"2016-11-22"}"#,
            r#"{"type":"reported_count","office":"KLK","year":2014,"items":"activities","status":"påbörjad","count":8,"share_percent":"14","source":"s. 12","date":"2015-01-21"}"#,
            r#"{"type":"reported_target","indicator":"SJUK-KLK","year":2017,"value":"3.5","source":"bilaga","date":"2016-11-22"}"#,
            r#"{"type":"delegation_set","name":"Delegationsordning","rules":{"transfer":["KF","KS"],"budget_line":["KF","$committee"]},"net_zero_only":["kommundirektör"],"decision":{"body":"KF","date":"2015-06-30","case":"KS 2015/1","paragraph":"§ 1"}}"#,
            r#"{"type":"delegation_set","name":"Utan nettoregel","rules":{"frame_set":["KF"]},"decision":{"body":"KF","date":"2016-06-30"}}"#,
        ];
        let mut types = Vec::new();
        for line in lines {
            let event = parse(line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            let json = event_to_json(&event);
            assert_eq!(json["type"], event.body.type_name(), "{line}");
            assert_eq!(parse_event(&json), Ok(event.clone()), "{line}");
            assert_eq!(parse(&json.to_string()), Ok(event.clone()), "{line}");
            types.push(event.body.type_name());
        }
        types.dedup();
        assert_eq!(types.len(), TYPE_NAMES.len());
        assert!(TYPE_NAMES.iter().all(|t| types.contains(t)));
    }

    /// Every fixture line reads into exactly the event it read into before the reader was typed:
    /// the same id, the same stored bytes, and the same JSON written back.
    #[test]
    fn fixtures_read_as_before() {
        use sha2::{Digest, Sha256};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let pinned = std::fs::read_to_string(root.join("tests/pinned/kalmar-events.tsv")).unwrap();
        let mut checked = 0;
        for row in pinned.lines().filter(|l| !l.starts_with('#')) {
            let [place, id, sha256, json] = row.split('\t').collect::<Vec<_>>()[..] else {
                panic!("kalmar-events.tsv: not four columns: {row}");
            };
            let (file, line_no) = place.split_once(':').unwrap();
            let text = std::fs::read_to_string(root.join("fixtures/kalmar").join(file)).unwrap();
            let line = text
                .lines()
                .nth(line_no.parse::<usize>().unwrap() - 1)
                .unwrap();
            let event = parse(line).unwrap_or_else(|e| panic!("{place}: {e:?}"));
            assert_eq!(event.id.to_string(), id, "{place}");
            let stored = crate::domain::codec::encode_event(&event);
            let digest: String = Sha256::digest(&stored)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(digest, sha256, "{place}");
            assert_eq!(event_to_json(&event).to_string(), json, "{place}");
            checked += 1;
        }
        let lines: usize = std::fs::read_dir(root.join("fixtures/kalmar"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .map(|p| std::fs::read_to_string(p).unwrap().lines().count())
            .sum();
        assert_eq!(checked, lines, "every fixture line is pinned");
    }

    /// Rewrites `tests/pinned/kalmar-events.tsv` from the fixtures as they read now: run it only
    /// when the fixtures change on purpose (`cargo test --lib write_pinned_fixtures -- --ignored`),
    /// and review the diff: a line whose content did not change must keep its id and bytes.
    #[test]
    #[ignore]
    fn write_pinned_fixtures() {
        use sha2::{Digest, Sha256};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let path = root.join("tests/pinned/kalmar-events.tsv");
        let old = std::fs::read_to_string(&path).unwrap();
        let mut out: String = old
            .lines()
            .filter(|l| l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut files: Vec<_> = std::fs::read_dir(root.join("fixtures/kalmar"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            for (i, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
                let event = parse(line).unwrap();
                let digest: String = Sha256::digest(crate::domain::codec::encode_event(&event))
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                out.push_str(&format!(
                    "{name}:{}\t{}\t{digest}\t{}\n",
                    i + 1,
                    event.id,
                    event_to_json(&event)
                ));
            }
        }
        std::fs::write(path, out).unwrap();
    }

    #[test]
    fn a_line_is_checked_as_json_before_its_fields() {
        let cases = [
            // A key twice is refused at any depth, before any field is looked at.
            (
                r#"{"type":"nope","amount":"x","amount":"1"}"#,
                "nyckeln 'amount' förekommer två gånger",
            ),
            (
                r#"{"type":"frame_set","note":[{"a":1,"a":2}]}"#,
                "nyckeln 'a' förekommer två gånger",
            ),
            (r#"{"type":"nope"} x"#, "fler tecken efter värdet"),
        ];
        for (line, wanted) in cases {
            let err = parse_event_line(line).unwrap_err();
            assert!(matches!(err, LineError::Json(_)), "{line}: {err}");
            assert!(
                err.to_string().starts_with("inte giltig JSON: "),
                "{line}: {err}"
            );
            assert!(err.to_string().contains(wanted), "{line}: {err}");
        }
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"1"}"#,
                "decision",
            ),
            (
                r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"1","decision":{"body":"KF","date":"2017-02-30"}}"#,
                "decision.date",
            ),
            (
                r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"1.001","decision":{"body":"KF","date":"2017-02-03"}}"#,
                "amount",
            ),
            (
                r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"1","amont":"2","decision":{"body":"KF","date":"2017-02-03"}}"#,
                "amont",
            ),
            (r#"{"type":"nope"}"#, "type"),
            (
                r#"{"type":"frame_set","office":"KLK","year":2017,"amount":"1","decision":{"body":"KF","date":"2017-02-03","datum":"x"}}"#,
                "decision.datum",
            ),
            (
                r#"{"type":"office_defined","office":"KLK","name":"n","unit":"tkr"}"#,
                "unit",
            ),
            (
                r#"{"type":"outcome","office":"KLK","year":2017,"area":"A","period":"2016-03","amount":"1","date":"2017-04-01"}"#,
                "period",
            ),
            (
                r#"{"type":"budget_line","office":"KLK","year":2017,"area":"A","revenue":"1","net":"1","decision":{"body":"KF","date":"2017-02-03"}}"#,
                "cost",
            ),
            (
                r#"{"type":"status_updated","target":"A","status":"klar","date":"2017-01-01"}"#,
                "status",
            ),
        ];
        for (line, field) in cases {
            let err = parse(line).unwrap_err();
            assert_eq!(err.field, field, "{line}: {}", err.message);
        }
    }
}
