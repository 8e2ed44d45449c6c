//! `rambok record TYPE --field value …`: one event from flags. Each event type is a subcommand whose
//! options are exactly the type's fields as `json::schema` declares them ([`FORMS`]): its own fields
//! (and `--unit` where it has amounts), the decision's fields grouped, and `--id` and `--note`. The
//! flags become the JSON object an import line would be and take the one write path: one parser,
//! one validation, one set of messages, with the field's flag named in them.
//!
//! Here live only what the schema cannot say: what each type and field means, for `--help`, with
//! an example value, and one example command per type (the tests run them all).

use super::{open_existing, CliError, Recorder, Result};
use crate::domain::amount::{Amount, Unit};
use crate::domain::event::Event;
use crate::json::{
    event_to_json, parse_event, Form, FormField, Input, COMMON_FORM, DECISION_FORM, FORMS,
};
use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

/// What each event type records: the first line of its `--help`.
const ABOUT: &[(&str, &str)] = &[
    ("office_defined", "Defines an office (förvaltning): its code, its name and the committee it serves"),
    ("area_defined", "Defines a row of an office's internal budget: a verksamhetsområde or an enhet"),
    ("frame_set", "Sets an office's net frame (budgetram) for a year: from the decision date on it replaces the frame"),
    ("frame_changed", "Changes an office's frame (ramförändring): from the decision date on it is added to the frame"),
    ("savings_required", "A savings requirement (besparingskrav): from the decision date on it is subtracted from the frame"),
    ("transfer", "Moves frame between two offices (ramväxling): added to --to's frame, subtracted from --from's"),
    ("budget_line", "One area's line of an office's internal budget (internbudget); a later line for the area replaces it"),
    ("outcome", "The accumulated outcome (utfall) of an area up to the end of a month, as reported on a date"),
    ("forecast", "A forecast (prognos) of an area's net cost for the year"),
    ("investment_budget", "A project's investment budget (investeringsbudget); a later one for the project replaces it"),
    ("investment_outcome", "A project's investment outcome for a year, as reported on a date"),
    ("goal_defined", "Defines a council goal (fullmäktigemål) or a committee goal (nämndsmål)"),
    ("activity_defined", "Defines an activity (aktivitet) under a goal"),
    ("assignment_defined", "Defines an assignment (uppdrag), usually given by KF in the budget"),
    ("status_updated", "The status of a goal, activity or assignment from a date on"),
    ("correction", "Withdraws an event recorded by mistake: it stays in the log, its effect disappears"),
    ("approved", "Approves (attesterar) an entry someone else recorded; whoever records the approval is the approver"),
    ("year_closed", "Closes a year's books, for one office or for all"),
    ("reported", "A figure as a published document prints it, for `rambok control` to reconcile with the ledger"),
    ("indicator_defined", "Definierar en indikator (mått, nyckeltal) som ett mål följs upp med, och vilket håll som är bra"),
    ("target_set", "Ett målvärde för en indikator och ett år: ett beslut av KF eller nämnden"),
    ("measured", "Ett uppmätt värde för en indikator och ett år (mätning), i kraft från --date"),
];

/// What each field means, with an example: (event type, or `*` for every type that has the field,
/// or `decision`; field; value name; help).
const FIELDS: &[(&str, &str, &str, &str)] = &[
    ("*", "office", "OFFICE", "The office's code, e.g. KLK"),
    ("*", "year", "YEAR", "The budget year, e.g. 2017"),
    ("*", "area", "AREA", "The area, already defined for the office, e.g. ADM"),
    ("*", "reason", "TEXT", "The line as decided, e.g. \"Flyttkostnader arkivcentrum\""),
    ("*", "project", "PROJECT", "The project as printed, e.g. \"Infrastruktur och skydd\""),
    ("*", "title", "TITLE", "A short title, e.g. \"Ändamålsenlig verksamhet\""),
    ("*", "text", "TEXT", "The full wording, e.g. \"Kommunledningskontoret ska bedriva en ändamålsenlig verksamhet\""),
    ("*", "focus_area", "TEXT", "The focus area (fokusområde), e.g. \"Ordning och reda i ekonomin\""),
    ("*", "from", "DATE", "The date the definition takes effect, e.g. 2014-01-01; left out, it always has"),
    ("*", "comment", "TEXT", "A comment, e.g. \"Attesterad mot protokollet\""),
    ("*", "unit", "UNIT", "The unit of every amount of the event: kr (the default), tkr or mnkr"),
    ("*", "id", "UUID", "The event's id; left out, it is derived from the content (the same event gets the same id)"),
    ("*", "note", "TEXT", "Free text, usually the source, e.g. \"Källa: KS 2016/1130, s. 15\""),
    ("decision", "body", "BODY", "Who decided: KF, KS, KSAU, a committee such as SBN, or an official such as kommundirektör"),
    ("decision", "date", "DATE", "The date of the decision, e.g. 2016-06-30"),
    ("decision", "case", "CASE", "The case number (ärendebeteckning), e.g. \"KS 2016/1130\""),
    ("decision", "paragraph", "PARAGRAPH", "The paragraph of the minutes, e.g. \"§ 65\""),
    ("office_defined", "office", "OFFICE", "The office's code, e.g. KLK"),
    ("office_defined", "name", "NAME", "Its name, e.g. kommunledningskontoret"),
    ("office_defined", "committee", "COMMITTEE", "The committee (nämnd) it serves, e.g. KS"),
    ("area_defined", "office", "OFFICE", "The office the area belongs to, e.g. KLK"),
    ("area_defined", "area", "AREA", "The area's code within the office, e.g. BRAND"),
    ("area_defined", "name", "NAME", "The name as printed, e.g. Brandkår"),
    ("area_defined", "kind", "KIND", "verksamhetsområde or enhet"),
    ("area_defined", "parent", "AREA", "An area of the same office it belongs under, already defined, e.g. INFRA"),
    ("area_defined", "group", "GROUP", "The group the outcome report subtotals it in, e.g. driftresultat"),
    ("frame_set", "office", "OFFICE", "The office whose frame it is, e.g. KLK"),
    ("frame_set", "amount", "AMOUNT", "The frame as net cost, e.g. \"477 569\" (with --unit tkr)"),
    ("frame_changed", "office", "OFFICE", "The office whose frame changes, e.g. KLK"),
    ("frame_changed", "amount", "AMOUNT", "The change, not zero, e.g. \"1 325,8\" or \"−1 000\": positive gives more money, negative reduces the frame"),
    ("frame_changed", "category", "CATEGORY", "A label for the kind of change, e.g. ramjustering or \"tillfällig ram\""),
    ("savings_required", "office", "OFFICE", "The office that must save, e.g. KLK"),
    ("savings_required", "amount", "AMOUNT", "The reduction, positive, e.g. \"1 990\""),
    ("savings_required", "rate_percent", "PERCENT", "The rate, above 0 and at most 100, kept for information, e.g. 1 or 0.5"),
    ("savings_required", "reason", "TEXT", "Why, e.g. \"Besparingskrav 1%, stabil ekonomi\""),
    ("transfer", "from", "OFFICE", "The office that gives up frame, e.g. SBK"),
    ("transfer", "to", "OFFICE", "The office that receives it, e.g. KLK"),
    ("transfer", "amount", "AMOUNT", "The amount moved, positive, e.g. 691; to move money the other way, swap --from and --to"),
    ("transfer", "reason", "TEXT", "Why, e.g. \"Budgetram från samhällsbyggnadskontoret\""),
    ("budget_line", "revenue", "AMOUNT", "Revenue (intäkter), at least 0, e.g. \"65 595\"; give it with --cost, or give --net alone"),
    ("budget_line", "cost", "AMOUNT", "Cost (kostnader), at least 0, e.g. \"174 102\""),
    ("budget_line", "net", "AMOUNT", "Net cost (netto), e.g. \"108 507\"; with --revenue and --cost it must be cost − revenue"),
    ("outcome", "period", "YYYY-MM", "The month the outcome runs to, within --year, e.g. 2014-06; left out, December (the whole year)"),
    ("outcome", "amount", "AMOUNT", "The accumulated net cost, e.g. \"40 774,681\" (with --unit tkr)"),
    ("outcome", "date", "DATE", "When the outcome was reported, e.g. 2015-01-21"),
    ("forecast", "amount", "AMOUNT", "The forecast net cost for the year, e.g. \"41 000\" (with --unit tkr)"),
    ("forecast", "date", "DATE", "When the forecast was made, e.g. 2014-10-31"),
    ("investment_budget", "amount", "AMOUNT", "The budget, e.g. \"133 700\" (with --unit tkr); 0 is allowed"),
    ("investment_outcome", "project", "PROJECT", "The project, matched to its budget by the exact text, e.g. Brandkår"),
    ("investment_outcome", "amount", "AMOUNT", "The outcome, e.g. \"1 731,604\" (with --unit tkr)"),
    ("investment_outcome", "date", "DATE", "When the outcome was reported, e.g. 2015-01-21"),
    ("goal_defined", "goal", "CODE", "The goal's code, not used by any goal, activity or assignment, e.g. NM17-01"),
    ("goal_defined", "office", "OFFICE", "The office whose goal it is, e.g. KLK"),
    ("goal_defined", "level", "LEVEL", "fullmäktigemål or nämndsmål"),
    ("goal_defined", "parent", "GOAL", "For a nämndsmål: the fullmäktigemål it serves, e.g. FM17-03"),
    ("goal_defined", "year", "YEAR", "The year the goal is for, e.g. 2017"),
    ("activity_defined", "activity", "CODE", "The activity's code, not used by any goal, activity or assignment, e.g. AKT17-01"),
    ("activity_defined", "goal", "GOAL", "The goal it serves, already defined, e.g. NM17-01"),
    ("activity_defined", "title", "TITLE", "What is to be done, e.g. \"Inventera kontorets pågående utvecklingsinsatser\""),
    ("activity_defined", "responsible", "PERSON", "Who is responsible, e.g. \"Annette Andersson\""),
    ("activity_defined", "start", "DATE", "When it starts, e.g. 2017-01-01"),
    ("activity_defined", "end", "DATE", "When it ends, not before --start, e.g. 2017-03-31"),
    ("assignment_defined", "assignment", "CODE", "The assignment's code, not used by any goal, activity or assignment, e.g. UPP17-04"),
    ("assignment_defined", "office", "OFFICE", "The office that carries it out, e.g. KLK"),
    ("assignment_defined", "goal", "GOAL", "The goal it serves, already defined, e.g. FM17-03"),
    ("assignment_defined", "title", "TITLE", "A short title, e.g. Tillgänglighetsfrågor"),
    ("assignment_defined", "year", "YEAR", "The year it is for, e.g. 2017"),
    ("status_updated", "target", "CODE", "The goal, activity or assignment, e.g. AKT17-01"),
    ("status_updated", "status", "STATUS", "Activities and assignments: \"ej påbörjad\", påbörjad or genomförd; goals: uppfyllt, \"delvis uppfyllt\" or \"ej uppfyllt\""),
    ("status_updated", "date", "DATE", "The date from which the status holds, e.g. 2017-03-31"),
    ("status_updated", "comment", "TEXT", "A comment, e.g. \"Inventeringen klar\""),
    ("correction", "corrects", "UUID", "The id of the event withdrawn, as `rambok log --format json` shows it"),
    ("correction", "reason", "TEXT", "Why, e.g. \"Registrerad två gånger\""),
    ("approved", "event", "UUID", "The id of the entry approved, as `rambok log --format json` shows it"),
    ("year_closed", "office", "OFFICE", "The office whose year is closed, e.g. KLK; left out, every office"),
    ("year_closed", "year", "YEAR", "The year closed, e.g. 2017"),
    ("year_closed", "date", "DATE", "The date of the closing, e.g. 2018-02-15"),
    ("reported", "report", "REPORT", "The report printed: frame, budget, outcome or investments"),
    ("reported", "row", "ROW", "An area code, an outcome group, an investment project as printed, or total, e.g. KONCERN"),
    ("reported", "column", "COLUMN", "frame; revenue, cost or net (budget); budget, outcome or deviation (outcome, investments)"),
    ("reported", "amount", "AMOUNT", "The figure as printed, in the ledger's sign, e.g. \"17 424,8\": its decimals are the printed precision"),
    ("reported", "unit", "UNIT", "The unit the figure is printed in: kr (the default), tkr or mnkr"),
    ("reported", "source", "SOURCE", "Where it is printed, e.g. \"KS 2014/0248, Driftredovisning 2014 (tkr), s. 10\""),
    ("reported", "date", "DATE", "The document's date: the ledger's figure is computed as of it, e.g. 2015-01-21"),
    ("indicator_defined", "indicator", "KOD", "Indikatorns kod, som ingen annan indikator har, t.ex. SJUK-KLK"),
    ("indicator_defined", "name", "NAMN", "Vad som mäts, t.ex. \"Sjukfrånvaro i procent av arbetad tid\""),
    ("indicator_defined", "unit", "ENHET", "Vad värdena räknas i, som det står i källan, t.ex. % eller antal"),
    ("indicator_defined", "direction", "RIKTNING", "higher (målvärdet är ett minsta värde) eller lower (ett högsta värde)"),
    ("indicator_defined", "goal", "MÅL", "Målet som indikatorn följer upp, redan definierat, t.ex. NM17-15"),
    ("indicator_defined", "office", "FÖRVALTNING", "Förvaltningen som mäts, t.ex. KLK; utelämnad gäller den hela kommunen"),
    ("target_set", "indicator", "KOD", "En definierad indikator, t.ex. SJUK-KLK"),
    ("target_set", "year", "ÅR", "Året målvärdet gäller, t.ex. 2018"),
    ("target_set", "value", "TAL", "Målvärdet exakt, t.ex. \"3,5\" eller 3.5; uppfyllt när mätningen är lika med det eller bättre"),
    ("measured", "indicator", "KOD", "En definierad indikator, t.ex. SJUK-KLK"),
    ("measured", "year", "ÅR", "Året som mätningen avser, t.ex. 2017"),
    ("measured", "value", "TAL", "Det uppmätta värdet exakt, t.ex. \"3,4\" eller 3.4"),
    ("measured", "date", "DATUM", "När värdet rapporterades (i kraft från), inte före mätårets början, t.ex. 2018-02-15"),
];

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
];

/// The help headings, in the order a form shows them.
const FIELDS_HEADING: &str = "Fields";
const DECISION_HEADING: &str = "Decision (who decided, when, and where it is minuted)";
const COMMON_HEADING: &str = "Every event";
const RECORDER_HEADING: &str = "Recording";

/// One option of a `record TYPE` form: a field of the event, of its decision, or common to all.
#[derive(Clone, Copy, Debug)]
struct FormOption {
    /// `Some("decision")` for a decision's field.
    parent: Option<&'static str>,
    field: FormField,
    heading: &'static str,
}

impl FormOption {
    /// The clap id: the field's JSON path, `office`, `decision.body`.
    fn id(&self) -> String {
        match self.parent {
            Some(p) => format!("{p}.{}", self.field.key),
            None => self.field.key.to_string(),
        }
    }

    /// The option's name without dashes: the field's key, `_` written `-`.
    fn long(&self) -> String {
        self.field.key.replace('_', "-")
    }
}

/// The options of a type's form, in the order its help lists them: its own fields (with `unit`
/// after the first amount when the type has amounts but does not declare it), the decision's, then
/// `id` and `note`.
fn form_options(form: &Form) -> Vec<FormOption> {
    let own = |field: FormField| FormOption {
        parent: None,
        field,
        heading: FIELDS_HEADING,
    };
    let mut options = Vec::new();
    let mut decision = Vec::new();
    let declares_unit = form.fields.iter().any(|f| f.input == Input::Unit);
    let mut unit_pending = form.amounts && !declares_unit;
    for &field in form.fields {
        match field.input {
            Input::Decision => decision.extend(DECISION_FORM.iter().map(|&d| FormOption {
                parent: Some("decision"),
                field: FormField {
                    required: d.required && field.required,
                    ..d
                },
                heading: DECISION_HEADING,
            })),
            input => {
                options.push(own(field));
                if input == Input::Amount && unit_pending {
                    unit_pending = false;
                    options.push(own(FormField {
                        key: "unit",
                        input: Input::Unit,
                        required: false,
                    }));
                }
            }
        }
    }
    options.extend(decision);
    options.extend(COMMON_FORM.iter().map(|&field| FormOption {
        parent: None,
        field,
        heading: COMMON_HEADING,
    }));
    options
}

/// The value name and help of a field of `type_name` (`decision` for a decision's field).
fn field_help(type_name: &str, key: &str) -> Option<(&'static str, &'static str)> {
    let find = |t: &str| {
        FIELDS
            .iter()
            .find(|(ty, k, _, _)| *ty == t && *k == key)
            .map(|&(_, _, value, help)| (value, help))
    };
    find(type_name).or_else(|| (type_name != "decision").then(|| find("*")).flatten())
}

fn option_help(form: &Form, o: &FormOption) -> (&'static str, String) {
    let (value, help) =
        field_help(o.parent.unwrap_or(form.name), o.field.key).unwrap_or(("VALUE", ""));
    let required = if o.field.required { " [required]" } else { "" };
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
    let about = ABOUT
        .iter()
        .find(|(t, _)| *t == form.name)
        .map_or("", |(_, a)| a);
    let mut cmd = Command::new(form.name);
    if let Some(example) = example_line(form.name) {
        let amounts = if form.amounts {
            "\n\nAmounts may be written as Swedish figures (\"1 325,8\", \"−1 000\") or plainly (1325.8, -1000)."
        } else {
            ""
        };
        cmd = cmd.after_help(format!(
            "Example:\n  {}{amounts}",
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
                "name the event type: rambok record TYPE (rambok record --help lists them)\n",
            )
        })?;
        let form = FORMS.iter().find(|f| f.name == name).ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!("'{name}' is not an event type\n"),
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
            .subcommand_value_name("TYPE")
            .subcommand_help_heading("Event types")
            .after_help(
                "Each type takes its fields as options: `rambok record TYPE --help` shows them as a form, \
with an example. Every event goes through the same checks as an imported line (docs/events.md).",
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
        "decision" => "--body and --date".into(),
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

/// Builds the JSON object an import line would hold. Amounts may be Swedish figures; they are
/// written as the plain decimal strings the import reads, in the unit given.
pub fn to_json(a: &RecordArgs) -> Result<Value> {
    let form = FORMS
        .iter()
        .find(|f| f.name == a.kind)
        .ok_or_else(|| CliError::Input(format!("'{}' is not an event type", a.kind)))?;
    // A unit that is not one is left to the write path, which names it before any amount.
    let unit = a
        .value("unit")
        .map_or(Some(Unit::Kr), |u| Unit::parse(&u.trim().to_lowercase()));
    let mut m = Map::new();
    let mut decision = Map::new();
    m.insert("type".into(), Value::from(a.kind));
    for o in form_options(form) {
        let Some(given) = a.value(&o.id()) else {
            continue;
        };
        let value = if o.field.input == Input::Amount {
            if let Some(unit) = unit {
                Amount::parse_swedish(given, unit)
                    .map_err(|e| CliError::Input(format!("--{}: {e}", o.long())))?;
            }
            Amount::plain_figure(given)
        } else if o.field.input == Input::Number {
            Amount::plain_figure(given)
        } else {
            given.to_string()
        };
        let target = if o.parent.is_some() {
            &mut decision
        } else {
            &mut m
        };
        target.insert(o.field.key.into(), Value::String(value));
    }
    // Only a decision given in part or whole is sent, so a missing one is named as such.
    if !decision.is_empty() {
        m.insert("decision".into(), Value::Object(decision));
    }
    Ok(Value::Object(m))
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
                "{}\nnothing was recorded",
                field_message(&error.field, &error.message)
            )),
            other => CliError::Ledger(other),
        })?;
    if done.added == 1 {
        writeln!(
            out,
            "recorded as sequence {}: {}",
            done.head_seq,
            event_to_json(&event)
        )
        .map_err(super::io)
    } else {
        writeln!(out, "already present, nothing recorded: {}", event.id).map_err(super::io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::TYPE_NAMES;

    #[test]
    fn every_type_has_a_form_an_about_line_and_an_example() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(&ABOUT.iter().map(|a| a.0).collect::<Vec<_>>()),
            names(TYPE_NAMES)
        );
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
    fn every_field_of_every_form_has_help_and_no_help_is_for_a_field_that_is_not() {
        let mut used = std::collections::BTreeSet::new();
        for form in FORMS {
            for o in form_options(form) {
                let owner = o.parent.unwrap_or(form.name);
                let (value, help) = field_help(owner, o.field.key)
                    .unwrap_or_else(|| panic!("{}: no help for {}", form.name, o.id()));
                assert!(
                    !help.trim().is_empty() && !value.is_empty(),
                    "{} {}",
                    form.name,
                    o.id()
                );
                let entry = if FIELDS
                    .iter()
                    .any(|(t, k, _, _)| *t == owner && *k == o.field.key)
                {
                    owner
                } else {
                    "*"
                };
                used.insert((entry, o.field.key));
            }
        }
        for (t, k, _, _) in FIELDS {
            assert!(
                used.contains(&(*t, *k)),
                "help for ({t}, {k}) is used by no form"
            );
        }
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
                assert!(!a.contains(['"', '$', '`', '\\']), "{t}: {a}");
            }
        }
        expect_test::expect![[r#"
            rambok record frame_changed --office KLK --year 2018 --amount "1 325,8" --unit tkr \
                --category ramjustering --reason "Flyttkostnader arkivcentrum, etapp 2" --body KF \
                --date 2017-06-20 --case "KS 2017/0412" --paragraph "§ 98""#]]
        .assert_eq(&example_line("frame_changed").unwrap());
    }
}
