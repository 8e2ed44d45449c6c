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
    ("office_defined", "Definierar en förvaltning: dess kod, namn och den nämnd den tjänar"),
    ("area_defined", "Definierar en rad i en förvaltnings internbudget: ett verksamhetsområde eller en enhet"),
    ("frame_set", "Fastställer en förvaltnings nettoram (budgetram) för ett år: från beslutsdatum ersätter den ramen"),
    ("frame_changed", "Ändrar en förvaltnings budgetram (ramförändring): från beslutsdatum läggs den till ramen"),
    ("savings_required", "Ett besparingskrav: från beslutsdatum dras det från ramen"),
    ("transfer", "Flyttar budgetram mellan två förvaltningar (ramväxling): läggs till --to:s ram och dras från --from:s"),
    ("budget_line", "Ett områdes rad i en förvaltnings internbudget; en senare rad för området ersätter den"),
    ("outcome", "Ett områdes ackumulerade utfall till och med en månad, som det rapporterades ett visst datum"),
    ("forecast", "En prognos för ett områdes nettokostnad för året"),
    ("investment_budget", "Ett projekts investeringsbudget; en senare för projektet ersätter den"),
    ("investment_outcome", "Ett projekts investeringsutfall för ett år, som det rapporterades ett visst datum"),
    ("goal_defined", "Definierar ett fullmäktigemål eller ett nämndsmål"),
    ("activity_defined", "Definierar en aktivitet under ett mål"),
    ("assignment_defined", "Definierar ett uppdrag, oftast givet av KF i budgeten"),
    ("status_updated", "Statusen för ett mål, en aktivitet eller ett uppdrag från ett datum"),
    ("correction", "Drar tillbaka en händelse som registrerats av misstag: den finns kvar i loggen, dess verkan försvinner"),
    ("approved", "Attesterar en post som någon annan registrerat; den som registrerar attesten är attestanten"),
    ("year_closed", "Stänger ett års räkenskaper, för en förvaltning eller för alla"),
    ("reported", "Ett belopp som ett publicerat dokument trycker det, för att `rambok control` ska stämma av det mot liggaren"),
    ("indicator_defined", "Definierar en indikator (mått, nyckeltal) som ett mål följs upp med, och vilket håll som är bra"),
    ("target_set", "Ett målvärde för en indikator och ett år: ett beslut av KF eller nämnden"),
    ("measured", "Ett uppmätt värde för en indikator och ett år (mätning), i kraft från --date"),
    ("reported_parts", "Delarna som ett publicerat dokument delar upp ett belopp i, för att `rambok control` ska stämma av deras summa mot liggaren"),
    ("reported_count", "Ett antal som ett publicerat dokument trycker (aktiviteter, uppdrag, mål), med andelen bredvid, för att `rambok control` ska stämma av det"),
    ("reported_target", "Ett målvärde som ett publicerat dokument trycker, för att `rambok control` ska stämma av det mot det beslutade"),
    ("delegation_set", "En delegationsordning: vilka beslutsorgan som får besluta vilka händelsetyper, i kraft från beslutsdatum till nästa"),
];

/// What each field means, with an example: (event type, or `*` for every type that has the field,
/// or `decision`; field; value name; help).
const FIELDS: &[(&str, &str, &str, &str)] = &[
    ("*", "office", "FÖRVALTNING", "Förvaltningens kod, t.ex. KLK"),
    ("*", "year", "ÅR", "Budgetåret, t.ex. 2017"),
    ("*", "area", "OMRÅDE", "Området, redan definierat för förvaltningen, t.ex. ADM"),
    ("*", "reason", "TEXT", "Raden som den beslutades, t.ex. \"Flyttkostnader arkivcentrum\""),
    ("*", "project", "PROJEKT", "Projektet som det är tryckt, t.ex. \"Infrastruktur och skydd\""),
    ("*", "title", "TITEL", "En kort titel, t.ex. \"Ändamålsenlig verksamhet\""),
    ("*", "text", "TEXT", "Hela lydelsen, t.ex. \"Kommunledningskontoret ska bedriva en ändamålsenlig verksamhet\""),
    ("*", "focus_area", "TEXT", "Fokusområdet, t.ex. \"Ordning och reda i ekonomin\""),
    ("*", "from", "DATUM", "Datumet då definitionen börjar gälla, t.ex. 2014-01-01; utelämnat har den alltid gällt"),
    ("*", "comment", "TEXT", "En kommentar, t.ex. \"Attesterad mot protokollet\""),
    ("*", "unit", "ENHET", "Enheten för händelsens alla belopp: kr (standard), tkr eller mnkr"),
    ("*", "id", "UUID", "Händelsens id; utelämnat härleds det ur innehållet (samma händelse får samma id)"),
    ("*", "note", "TEXT", "Fri text, oftast källan, t.ex. \"Källa: KS 2016/1130, s. 15\""),
    ("decision", "body", "ORGAN", "Vem som beslutade: KF, KS, KSAU, en nämnd som SBN, eller en tjänsteperson som kommundirektör"),
    ("decision", "date", "DATUM", "Beslutsdatum, t.ex. 2016-06-30"),
    ("decision", "case", "ÄRENDE", "Ärendebeteckningen, t.ex. \"KS 2016/1130\""),
    ("decision", "paragraph", "PARAGRAF", "Protokollets paragraf, t.ex. \"§ 65\""),
    ("office_defined", "office", "FÖRVALTNING", "Förvaltningens kod, t.ex. KLK"),
    ("office_defined", "name", "NAMN", "Dess namn, t.ex. kommunledningskontoret"),
    ("office_defined", "committee", "NÄMND", "Nämnden den tjänar, t.ex. KS"),
    ("area_defined", "office", "FÖRVALTNING", "Förvaltningen området hör till, t.ex. KLK"),
    ("area_defined", "area", "OMRÅDE", "Områdets kod inom förvaltningen, t.ex. BRAND"),
    ("area_defined", "name", "NAMN", "Namnet som det är tryckt, t.ex. Brandkår"),
    ("area_defined", "kind", "SLAG", "verksamhetsområde eller enhet"),
    ("area_defined", "parent", "OMRÅDE", "Ett område i samma förvaltning som det hör under, redan definierat, t.ex. INFRA"),
    ("area_defined", "group", "GRUPP", "Gruppen som utfallsrapporten summerar det i, t.ex. driftresultat"),
    ("frame_set", "office", "FÖRVALTNING", "Förvaltningen vars budgetram det är, t.ex. KLK"),
    ("frame_set", "amount", "BELOPP", "Ramen som nettokostnad, t.ex. \"477 569\" (med --unit tkr)"),
    ("frame_changed", "office", "FÖRVALTNING", "Förvaltningen vars budgetram ändras, t.ex. KLK"),
    ("frame_changed", "amount", "BELOPP", "Ändringen, inte noll, t.ex. \"1 325,8\" eller \"−1 000\": positiv ger mer pengar, negativ minskar ramen"),
    ("frame_changed", "category", "KATEGORI", "En etikett för slaget av ändring, t.ex. ramjustering eller \"tillfällig ram\""),
    ("savings_required", "office", "FÖRVALTNING", "Förvaltningen som ska spara, t.ex. KLK"),
    ("savings_required", "amount", "BELOPP", "Minskningen, positiv, t.ex. \"1 990\""),
    ("savings_required", "rate_percent", "PROCENT", "Procentsatsen, över 0 och högst 100, sparas som upplysning, t.ex. 1 eller 0.5"),
    ("savings_required", "reason", "TEXT", "Varför, t.ex. \"Besparingskrav 1%, stabil ekonomi\""),
    ("transfer", "from", "FÖRVALTNING", "Förvaltningen som lämnar budgetram, t.ex. SBK"),
    ("transfer", "to", "FÖRVALTNING", "Förvaltningen som tar emot den, t.ex. KLK"),
    ("transfer", "amount", "BELOPP", "Beloppet som flyttas, positivt, t.ex. 691; byt plats på --from och --to för att flytta åt andra hållet"),
    ("transfer", "reason", "TEXT", "Varför, t.ex. \"Budgetram från samhällsbyggnadskontoret\""),
    ("budget_line", "revenue", "BELOPP", "Intäkter, minst 0, t.ex. \"65 595\"; ange med --cost, eller ange bara --net"),
    ("budget_line", "cost", "BELOPP", "Kostnader, minst 0, t.ex. \"174 102\""),
    ("budget_line", "net", "BELOPP", "Nettokostnad, t.ex. \"108 507\"; med --revenue och --cost ska den vara kostnader − intäkter"),
    ("outcome", "period", "ÅÅÅÅ-MM", "Månaden utfallet går till, inom --year, t.ex. 2014-06; utelämnad: december (hela året)"),
    ("outcome", "amount", "BELOPP", "Den ackumulerade nettokostnaden, t.ex. \"40 774,681\" (med --unit tkr)"),
    ("outcome", "date", "DATUM", "När utfallet rapporterades, t.ex. 2015-01-21"),
    ("forecast", "amount", "BELOPP", "Prognosen för årets nettokostnad, t.ex. \"41 000\" (med --unit tkr)"),
    ("forecast", "date", "DATUM", "När prognosen gjordes, t.ex. 2014-10-31"),
    ("investment_budget", "amount", "BELOPP", "Budgeten, t.ex. \"133 700\" (med --unit tkr); 0 är tillåtet"),
    ("investment_outcome", "project", "PROJEKT", "Projektet, kopplat till sin budget genom exakt samma text, t.ex. Brandkår"),
    ("investment_outcome", "amount", "BELOPP", "Utfallet, t.ex. \"1 731,604\" (med --unit tkr)"),
    ("investment_outcome", "date", "DATUM", "När utfallet rapporterades, t.ex. 2015-01-21"),
    ("goal_defined", "goal", "KOD", "Målets kod, som inget annat mål, aktivitet eller uppdrag använder, t.ex. NM17-01"),
    ("goal_defined", "office", "FÖRVALTNING", "Förvaltningen vars mål det är, t.ex. KLK"),
    ("goal_defined", "level", "NIVÅ", "fullmäktigemål eller nämndsmål"),
    ("goal_defined", "parent", "MÅL", "För ett nämndsmål: fullmäktigemålet det tjänar, t.ex. FM17-03"),
    ("goal_defined", "year", "ÅR", "Året målet gäller, t.ex. 2017"),
    ("activity_defined", "activity", "KOD", "Aktivitetens kod, som inget mål, aktivitet eller uppdrag använder, t.ex. AKT17-01"),
    ("activity_defined", "goal", "MÅL", "Målet den tjänar, redan definierat, t.ex. NM17-01"),
    ("activity_defined", "title", "TITEL", "Vad som ska göras, t.ex. \"Inventera kontorets pågående utvecklingsinsatser\""),
    ("activity_defined", "responsible", "PERSON", "Vem som är ansvarig, t.ex. \"Annette Andersson\""),
    ("activity_defined", "start", "DATUM", "När den börjar, t.ex. 2017-01-01"),
    ("activity_defined", "end", "DATUM", "När den slutar, inte före --start, t.ex. 2017-03-31"),
    ("assignment_defined", "assignment", "KOD", "Uppdragets kod, som inget mål, aktivitet eller uppdrag använder, t.ex. UPP17-04"),
    ("assignment_defined", "office", "FÖRVALTNING", "Förvaltningen som utför det, t.ex. KLK"),
    ("assignment_defined", "goal", "MÅL", "Målet det tjänar, redan definierat, t.ex. FM17-03"),
    ("assignment_defined", "title", "TITEL", "En kort titel, t.ex. Tillgänglighetsfrågor"),
    ("assignment_defined", "year", "ÅR", "Året det gäller, t.ex. 2017"),
    ("status_updated", "target", "KOD", "Målet, aktiviteten eller uppdraget, t.ex. AKT17-01"),
    ("status_updated", "status", "STATUS", "Aktiviteter och uppdrag: \"ej påbörjad\", påbörjad eller genomförd; mål: uppfyllt, \"delvis uppfyllt\" eller \"ej uppfyllt\""),
    ("status_updated", "date", "DATUM", "Datumet från vilket statusen gäller, t.ex. 2017-03-31"),
    ("status_updated", "comment", "TEXT", "En kommentar, t.ex. \"Inventeringen klar\""),
    ("correction", "corrects", "UUID", "Id för händelsen som dras tillbaka, som `rambok log --format json` visar det"),
    ("correction", "reason", "TEXT", "Varför, t.ex. \"Registrerad två gånger\""),
    ("approved", "event", "UUID", "Id för posten som attesteras, som `rambok log --format json` visar det"),
    ("year_closed", "office", "FÖRVALTNING", "Förvaltningen vars år stängs, t.ex. KLK; utelämnad: alla förvaltningar"),
    ("year_closed", "year", "ÅR", "Året som stängs, t.ex. 2017"),
    ("year_closed", "date", "DATUM", "Datumet för stängningen, t.ex. 2018-02-15"),
    ("reported", "report", "RAPPORT", "Rapporten som trycktes: frame, budget, outcome, investments eller bridge (ramförändringar mellan två år)"),
    ("reported", "row", "RAD", "En områdeskod, en utfallsgrupp, ett investeringsprojekt som det är tryckt, eller total; för bridge start, changes, transfers, total, frame eller en förvaltningskod; t.ex. KONCERN"),
    ("reported", "column", "KOLUMN", "frame; revenue, cost, net eller difference (budget); budget, outcome, deviation eller difference (outcome, investments); difference är året minus året före"),
    ("reported", "amount", "BELOPP", "Beloppet som det är tryckt, med liggarens tecken, t.ex. \"17 424,8\": dess decimaler är den tryckta precisionen"),
    ("reported", "unit", "ENHET", "Enheten beloppet är tryckt i: kr (standard), tkr eller mnkr"),
    ("reported", "source", "KÄLLA", "Var det är tryckt, t.ex. \"KS 2014/0248, Driftredovisning 2014 (tkr), s. 10\""),
    ("reported", "date", "DATUM", "Dokumentets datum: liggarens belopp räknas per det datumet, t.ex. 2015-01-21"),
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
    ("reported_parts", "report", "RAPPORT", "Rapporten beloppet hör till: frame, budget, outcome, investments eller bridge"),
    ("reported_parts", "row", "RAD", "Raden som delas upp, som för reported, t.ex. transfers"),
    ("reported_parts", "column", "KOLUMN", "Kolumnen som delas upp, som för reported, t.ex. frame"),
    ("reported_parts", "parts", "JSON", "Delarna som JSON, i liggarens tecken: [{\"label\": \"HR\", \"amount\": \"7747\"}, …], minst två"),
    ("reported_parts", "unit", "ENHET", "Enheten delarna är tryckta i: kr (standard), tkr eller mnkr"),
    ("reported_parts", "source", "KÄLLA", "Var uppdelningen är tryckt, t.ex. \"KS 2016/1130, s. 15\""),
    ("reported_parts", "date", "DATUM", "Dokumentets datum: liggarens belopp räknas per det datumet, t.ex. 2016-11-22"),
    ("reported_count", "items", "SLAG", "Vad som räknas: activities, assignments, committee_goals eller council_goals_broken_down"),
    ("reported_count", "status", "STATUS", "Statusen som räknas (ej påbörjad, påbörjad, genomförd); utelämnad räknas alla"),
    ("reported_count", "count", "ANTAL", "Antalet som det är tryckt, t.ex. 42"),
    ("reported_count", "share_percent", "PROCENT", "Andelen av alla som tryckts bredvid, i procent, t.ex. 14"),
    ("reported_count", "source", "KÄLLA", "Var antalet är tryckt, t.ex. \"KS 2016/1130, Verksamhetsmål, s. 5\""),
    ("reported_count", "date", "DATUM", "Dokumentets datum: liggaren räknas per det datumet, t.ex. 2016-11-22"),
    ("reported_target", "indicator", "KOD", "En definierad indikator, t.ex. SJUK-KLK"),
    ("reported_target", "value", "TAL", "Målvärdet som det är tryckt, t.ex. \"3,5\""),
    ("reported_target", "source", "KÄLLA", "Var målvärdet är tryckt"),
    ("reported_target", "date", "DATUM", "Dokumentets datum: beslutat målvärde per det datumet, t.ex. 2016-11-22"),
    ("delegation_set", "name", "NAMN", "Ordningens namn, t.ex. \"Kommunstyrelsens delegationsordning 2018\""),
    ("delegation_set", "rules", "JSON", "Reglerna som JSON: händelsetyp och de organ som får besluta, t.ex. {\"transfer\": [\"KF\", \"KS\"], \"budget_line\": [\"$committee\"]}; $committee är förvaltningens nämnd"),
    ("delegation_set", "net_zero_only", "JSON", "Organ vars delegation bara gäller ramväxlingar utan nettoeffekt, som JSON, t.ex. [\"kommundirektör\"]"),
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
    ("reported_parts", &["--report", "investments", "--office", "KLK", "--year", "2017", "--row", "Infrastruktur och skydd", "--column", "outcome", "--parts", r#"[{"label": "brandstationen", "amount": "60000"}, {"label": "exploatering", "amount": "38412.5"}]"#, "--unit", "tkr", "--source", "Årsredovisning 2017, Investeringar (text)", "--date", "2018-02-15"]),
    ("reported_count", &["--office", "KLK", "--year", "2017", "--items", "activities", "--status", "påbörjad", "--count", "1", "--share-percent", "2", "--source", "Årsredovisning 2017, Aktiviteter", "--date", "2018-02-15"]),
    ("reported_target", &["--indicator", "LOKALYTA", "--year", "2018", "--value", "22,5", "--source", "Verksamhetsplan 2018, bilaga", "--date", "2017-11-21"]),
    ("delegation_set", &["--name", "Kommunstyrelsens delegationsordning 2018", "--rules", r#"{"transfer": ["KF", "KS", "kommundirektör"], "budget_line": ["KF", "$committee"]}"#, "--net-zero-only", r#"["kommundirektör"]"#, "--body", "KS", "--date", "2017-12-12", "--case", "KS 2017/1201", "--paragraph", "§ 240"]),
];

/// The help headings, in the order a form shows them.
const FIELDS_HEADING: &str = "Fält";
const DECISION_HEADING: &str = "Beslut (vem som beslutade, när och var det är protokollfört)";
const COMMON_HEADING: &str = "Alla händelser";
const RECORDER_HEADING: &str = "Registrering";

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
    let about = ABOUT
        .iter()
        .find(|(t, _)| *t == form.name)
        .map_or("", |(_, a)| a);
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

/// Builds the JSON object an import line would hold. Amounts may be Swedish figures; they are
/// written as the plain decimal strings the import reads, in the unit given.
pub fn to_json(a: &RecordArgs) -> Result<Value> {
    let form = FORMS
        .iter()
        .find(|f| f.name == a.kind)
        .ok_or_else(|| CliError::Input(format!("'{}' är ingen händelsetyp", a.kind)))?;
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
            Value::String(Amount::plain_figure(given))
        } else if o.field.input == Input::Number {
            Value::String(Amount::plain_figure(given))
        } else if o.field.input == Input::Json {
            serde_json::from_str::<Value>(given).map_err(|e| {
                CliError::Input(format!(
                    "--{}: inte giltig JSON: {}",
                    o.long(),
                    crate::json::describe_json_error(&e)
                ))
            })?
        } else {
            Value::String(given.to_string())
        };
        let target = if o.parent.is_some() {
            &mut decision
        } else {
            &mut m
        };
        target.insert(o.field.key.into(), value);
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
