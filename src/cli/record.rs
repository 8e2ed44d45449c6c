//! `rambok record TYPE --field value …`: one event from flags. Each event type is a subcommand whose
//! options are exactly the type's fields as `json::schema` declares them ([`FORMS`]): its own fields
//! (and `--unit` where it has amounts), the decision's fields grouped, and `--id` and `--note`. The
//! flags become the JSON object an import line would be and take the one write path: one parser,
//! one validation, one set of messages, with the field's flag named in them.
//!
//! What each type and field means, with an example value, lives in `json::forms`, which the page's
//! forms are built from too; here live the clap options, their headings, and one example command
//! per type (the tests run them all).

use super::{open_existing, CliError, Recorder, Result};
use crate::domain::event::Event;
use crate::json::forms::{about, event_json, field_help, form_options, FormOption};
use crate::json::{event_to_json, parse_event, Form, Input, FORMS};
use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// One example per type: each records a new event on the Kalmar fixtures when they are run in
/// this order (the correction withdraws the forecast recorded before it, the approval is of the
/// fixtures' frame change "Flyttkostnader arkivcentrum") and changes none of the figures the
/// README quotes.
#[rustfmt::skip]
const EXAMPLES: &[(&str, &[&str])] = &[
    ("office_defined", &["--office", "MHF", "--name", "miljö- och hälsoskyddsförvaltningen", "--committee", "MHN", "--from", "2018-01-01"]),
    ("area_defined", &["--office", "KLK", "--area", "SAKERHET", "--name", "Säkerhet och beredskap", "--kind", "enhet", "--parent", "INFRA", "--group", "driftresultat", "--from", "2018-01-01"]),
    ("frame_set", &["--office", "KLK", "--year", "2018", "--amount", "477 569", "--unit", "tkr", "--body", "KF", "--date", "2017-06-20", "--case", "KS 2017/0412", "--paragraph", "§ 98"]),
    ("frame_changed", &["--office", "KLK", "--year", "2018", "--amount", "1 325,8", "--unit", "tkr", "--category", "ramjustering", "--reason", "Flyttkostnader arkivcentrum, etapp 2", "--body", "KF", "--date", "2017-06-20", "--case", "KS 2017/0412", "--paragraph", "§ 98"]),
    ("savings_required", &["--office", "KLK", "--year", "2018", "--amount", "2 000", "--unit", "tkr", "--rate-percent", "0.4", "--reason", "Effektivisering 0,4 %", "--body", "KF", "--date", "2017-06-20"]),
    ("transfer", &["--from", "SBK", "--to", "KLK", "--year", "2018", "--amount", "691", "--unit", "tkr", "--reason", "Budgetram från samhällsbyggnadskontoret", "--body", "kommundirektör", "--date", "2017-10-02"]),
    ("budget_line", &["--office", "KLK", "--year", "2018", "--area", "ADM", "--revenue", "65 595", "--cost", "174 102", "--unit", "tkr", "--body", "KS", "--date", "2017-11-21", "--case", "KS 2017/1130"]),
    ("outcome", &["--office", "KLK", "--year", "2017", "--area", "ADM", "--period", "2017-06", "--amount", "52 310,4", "--unit", "tkr", "--date", "2017-07-20"]),
    ("forecast", &["--office", "KLK", "--year", "2017", "--area", "ADM", "--amount", "108 000", "--unit", "tkr", "--date", "2017-08-31"]),
    ("investment_budget", &["--office", "KLK", "--year", "2018", "--project", "Infrastruktur och skydd", "--amount", "120 000", "--unit", "tkr", "--body", "KF", "--date", "2017-06-20"]),
    ("investment_outcome", &["--office", "KLK", "--year", "2017", "--project", "Infrastruktur och skydd", "--amount", "98 412,5", "--unit", "tkr", "--date", "2018-01-24"]),
    ("goal_defined", &["--goal", "NM17-17", "--office", "KLK", "--level", "nämndsmål", "--parent", "FM17-03", "--focus-area", "Ordning och reda i ekonomin", "--title", "Effektiv lokalanvändning", "--text", "Kommunledningskontoret ska använda sina lokaler effektivt", "--year", "2017", "--body", "KS", "--date", "2017-03-20", "--case", "KS 2017/0190"]),
    ("activity_defined", &["--activity", "AKT17-45", "--goal", "NM17-17", "--title", "Kartlägga lokalbehovet", "--responsible", "Annette Andersson", "--start", "2017-04-01", "--end", "2017-12-31", "--body", "KS", "--date", "2017-03-20"]),
    ("assignment_defined", &["--assignment", "UPP17-12", "--office", "KLK", "--title", "Lokalförsörjningsplan", "--text", "Kommunstyrelsen får i uppdrag att ta fram en lokalförsörjningsplan", "--focus-area", "Ordning och reda i ekonomin", "--goal", "FM17-03", "--year", "2017", "--body", "KF", "--date", "2016-06-30"]),
    ("status_updated", &["--target", "AKT17-45", "--status", "påbörjad", "--date", "2017-05-02", "--comment", "Kartläggningen har börjat"]),
    ("correction", &["--corrects", "ee38aadd-47b2-5230-9588-78ff367123a3", "--reason", "Registrerad av misstag: prognosen gällde 2018"]),
    ("approved", &["--event", "c6a58d9e-b88e-598b-898f-811636300dfc", "--comment", "Attesterad mot protokollet"]),
    ("year_closed", &["--office", "KLK", "--year", "2017", "--date", "2018-02-15"]),
    ("reported", &["--report", "investments", "--office", "KLK", "--year", "2017", "--row", "Infrastruktur och skydd", "--column", "outcome", "--amount", "98 412,5", "--unit", "tkr", "--source", "Årsredovisning 2017, Investeringsredovisning (tkr)", "--date", "2018-02-15"]),
    ("indicator_defined", &["--indicator", "LOKALYTA", "--name", "Lokalyta per anställd", "--unit", "kvm", "--direction", "lower", "--goal", "NM17-17", "--office", "KLK"]),
    ("target_set", &["--indicator", "LOKALYTA", "--year", "2018", "--value", "22,5", "--body", "KS", "--date", "2017-11-21", "--case", "KS 2017/1130"]),
    ("measured", &["--indicator", "LOKALYTA", "--year", "2017", "--value", "24,1", "--date", "2018-02-15"]),
    ("reported_parts", &["--report", "investments", "--office", "KLK", "--year", "2017", "--row", "Infrastruktur och skydd", "--column", "outcome", "--parts", r#"[{"label": "brandstationen", "amount": "60000"}, {"label": "exploatering", "amount": "38412.5"}]"#, "--unit", "tkr", "--source", "Årsredovisning 2017, Investeringar (text)", "--date", "2018-02-15"]),
    ("reported_count", &["--office", "KLK", "--year", "2017", "--items", "activities", "--status", "påbörjad", "--count", "1", "--share-percent", "2", "--source", "Årsredovisning 2017, Aktiviteter", "--date", "2018-02-15"]),
    ("reported_target", &["--indicator", "LOKALYTA", "--year", "2018", "--value", "22,5", "--source", "Verksamhetsplan 2018, bilaga", "--date", "2017-11-21"]),
    ("delegation_set", &["--name", "Kommunstyrelsens delegationsordning 2018", "--rules", r#"{"transfer": ["KF", "KS", "kommundirektör"], "budget_line": ["KF", "$committee"]}"#, "--net-zero-only", r#"["kommundirektör"]"#, "--body", "KS", "--date", "2017-12-12", "--case", "KS 2017/1201", "--paragraph", "§ 240"]),
];

/// The heading of the recorder's options, after the form's.
const RECORDER_HEADING: &str = "Registrering";

fn option_help(form: &Form, o: &FormOption) -> (&'static str, String) {
    let (value, help) =
        field_help(o.parent.unwrap_or(form.name), o.field.key).unwrap_or(("VÄRDE", ""));
    let required = if o.field.required { " [krävs]" } else { "" };
    (value, format!("{help}{required}"))
}

/// An example, as a shell command line.
fn example_line(type_name: &str) -> Option<String> {
    let (_, args) = EXAMPLES.iter().find(|(t, _)| *t == type_name)?;
    let quote = |a: &str| {
        let plain = a
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.,/:%+§−".contains(c));
        if plain && !a.is_empty() {
            a.to_string()
        } else if a.contains(['"', '$']) {
            // JSON: in single quotes, where a shell takes every character as it is.
            format!("'{a}'")
        } else {
            format!("\"{a}\"")
        }
    };
    let mut lines = vec![format!("rambok record {type_name}")];
    for pair in args.chunks(2) {
        let words: Vec<String> = pair.iter().map(|a| quote(a)).collect();
        let words = words.join(" ");
        let last = lines.last_mut()?;
        if last.chars().count() + words.chars().count() > 96 {
            last.push_str(" \\");
            lines.push(format!("    {words}"));
        } else {
            last.push(' ');
            last.push_str(&words);
        }
    }
    Some(lines.join("\n"))
}

/// The subcommand of one event type: a form of its fields.
fn form_command(form: &Form) -> Command {
    let about = about(form.name);
    let mut cmd = Command::new(form.name);
    if let Some(example) = example_line(form.name) {
        let amounts = if form.amounts {
            "\n\nBelopp kan skrivas med svenska siffror (\"1 325,8\", \"−1 000\") eller enkelt (1325.8, -1000)."
        } else {
            ""
        };
        cmd = cmd.after_help(format!(
            "Exempel:\n  {}{amounts}",
            example.replace('\n', "\n  ")
        ));
    }
    for o in form_options(form) {
        let (value, help) = option_help(form, &o);
        let mut arg = Arg::new(o.id())
            .long(o.long())
            .value_name(value)
            .help(help)
            .help_heading(o.heading)
            .action(ArgAction::Set)
            .allow_hyphen_values(matches!(o.field.input, Input::Amount | Input::Number));
        // The names these flags had before each type had its own form, for scripts.
        match o.id().as_str() {
            "decision.body" => arg = arg.alias("decided-by"),
            "decision.date" => arg = arg.alias("decision-date"),
            _ => {}
        }
        cmd = cmd.arg(arg);
    }
    // Recorder's own doc comment would be the about line if it came after.
    <Recorder as clap::Args>::augment_args(cmd.next_help_heading(RECORDER_HEADING)).about(about)
}

/// One event from flags: its type, the values given (by field path, as typed) and who records it.
#[derive(Debug, Clone)]
pub struct RecordArgs {
    pub kind: &'static str,
    values: Vec<(String, String)>,
    pub recorder: Recorder,
}

impl RecordArgs {
    fn value(&self, id: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.as_str())
    }
}

impl FromArgMatches for RecordArgs {
    fn from_arg_matches(m: &ArgMatches) -> std::result::Result<Self, clap::Error> {
        use clap::error::ErrorKind;
        let (name, sub) = m.subcommand().ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::MissingSubcommand,
                "ange händelsetypen: rambok record TYP (rambok record --help listar dem)\n",
            )
        })?;
        let form = FORMS.iter().find(|f| f.name == name).ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!("'{name}' är ingen händelsetyp\n"),
            )
        })?;
        let values = form_options(form)
            .iter()
            .filter_map(|o| {
                let id = o.id();
                sub.get_one::<String>(&id).map(|v| (id, v.clone()))
            })
            .collect();
        Ok(RecordArgs {
            kind: form.name,
            values,
            recorder: Recorder::from_arg_matches(sub)?,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> std::result::Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for RecordArgs {
    fn augment_args(cmd: Command) -> Command {
        cmd.subcommand_required(true)
            .arg_required_else_help(true)
            .subcommand_value_name("TYP")
            .subcommand_help_heading("Händelsetyper")
            .after_help(
                "Varje typ tar sina fält som flaggor: `rambok record TYP --help` visar dem som ett formulär, \
med ett exempel. Varje händelse går igenom samma kontroller som en importerad rad (docs/events.md).",
            )
            .subcommands(FORMS.iter().map(form_command))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

/// The flag a field path is given with, for messages: `decision.date` is `--date`.
fn flag_name(field: &str) -> String {
    match field {
        "decision" => "--body och --date".into(),
        other => {
            let key = other.strip_prefix("decision.").unwrap_or(other);
            format!("--{}", key.replace('_', "-"))
        }
    }
}

fn field_message(field: &str, message: &str) -> String {
    if field.is_empty() {
        message.to_string()
    } else {
        format!("{}: {message}", flag_name(field))
    }
}

/// Builds the JSON object an import line would hold, as the page's forms do: amounts may be
/// Swedish figures.
pub fn to_json(a: &RecordArgs) -> Result<Value> {
    event_json(a.kind, |id| a.value(id))
        .map_err(|e| CliError::Input(field_message(&e.field, &e.message)))
}

/// The event the flags describe, read by the import's parser; a problem names its flag.
pub fn event_from_flags(a: &RecordArgs) -> Result<Event> {
    let value = to_json(a)?;
    parse_event(&value).map_err(|e| CliError::Input(field_message(&e.field, &e.message)))
}

pub fn run(db: &Path, args: RecordArgs, out: &mut dyn Write) -> Result<()> {
    let user = super::require_user(&args.recorder)?;
    let event = event_from_flags(&args)?;
    let ledger = open_existing(db)?;
    let done = ledger
        .append(
            std::slice::from_ref(&event),
            &user,
            args.recorder.expect_seq,
            chrono::Utc::now(),
        )
        .map_err(|e| match e {
            crate::ledger::LedgerError::Rejected { error, .. } => CliError::Input(format!(
                "{}\ninget registrerades",
                field_message(&error.field, &error.message)
            )),
            other => CliError::Ledger(other),
        })?;
    if done.added == 1 {
        writeln!(
            out,
            "registrerad som sekvens {}: {}",
            done.head_seq,
            event_to_json(&event)
        )
        .map_err(super::io)
    } else {
        writeln!(out, "fanns redan, inget registrerades: {}", event.id).map_err(super::io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::TYPE_NAMES;

    #[test]
    fn every_type_has_a_form_and_an_example() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(&EXAMPLES.iter().map(|a| a.0).collect::<Vec<_>>()),
            names(TYPE_NAMES)
        );
        assert_eq!(
            names(&FORMS.iter().map(|f| f.name).collect::<Vec<_>>()),
            names(TYPE_NAMES)
        );
    }

    #[test]
    fn a_form_has_each_option_once_and_clap_accepts_it() {
        for form in FORMS {
            let options = form_options(form);
            let mut longs: Vec<String> = options.iter().map(FormOption::long).collect();
            longs.extend(["user".into(), "expect-seq".into()]);
            let count = longs.len();
            longs.sort();
            longs.dedup();
            assert_eq!(longs.len(), count, "{}: an option twice", form.name);
        }
        let cmd = <RecordArgs as clap::Args>::augment_args(Command::new("record"));
        cmd.debug_assert();
    }

    #[test]
    fn examples_quote_what_a_shell_would_split() {
        for (t, args) in EXAMPLES {
            assert!(args.len() % 2 == 0, "{t}");
            for a in *args {
                // Double quotes and `$` only in JSON, which goes in single quotes.
                let json = a.starts_with(['[', '{']);
                assert!(!a.contains(['`', '\\', '\'']), "{t}: {a}");
                assert!(json || !a.contains(['"', '$']), "{t}: {a}");
            }
        }
        expect_test::expect![[r#"
            rambok record frame_changed --office KLK --year 2018 --amount "1 325,8" --unit tkr \
                --category ramjustering --reason "Flyttkostnader arkivcentrum, etapp 2" --body KF \
                --date 2017-06-20 --case "KS 2017/0412" --paragraph "§ 98""#]]
        .assert_eq(&example_line("frame_changed").unwrap());
    }
}
