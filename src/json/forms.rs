//! The forms of the event types, as people fill them in: what each type records, each field's
//! label, help and example, and what the sign of an amount means. `rambok record TYPE` builds its
//! options and `--help` from them (`cli::record`), the page its forms (`GET /api/forms`, from
//! [`forms_json`]); both turn what was typed into the JSON object an import line would be with
//! [`event_json`], so the CLI, the page and an import read one event through one parser.
//!
//! The schema (`schema.rs`) says which fields each type has and how each is read; here lives only
//! what it cannot say: the words around them.

use super::schema::{Form, FormField, Input, COMMON_FORM, DECISION_FORM, FORMS};
use super::FieldError;
use crate::domain::amount::{Amount, AmountError, Unit};
use serde_json::{json, Map, Value};

/// What each event type records: the first line of its `--help`.
pub const ABOUT: &[(&str, &str)] = &[
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
pub const FIELDS: &[(&str, &str, &str, &str)] = &[
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

/// Each field's label on the page: (event type, or `*`, or `decision`; field; label).
pub const LABELS: &[(&str, &str, &str)] = &[
    ("*", "office", "Förvaltning"),
    ("*", "name", "Namn"),
    ("*", "committee", "Nämnd"),
    ("*", "from", "Gäller från"),
    ("*", "area", "Verksamhetsområde"),
    ("*", "kind", "Slag"),
    ("*", "parent", "Hör under"),
    ("*", "group", "Grupp i utfallsrapporten"),
    ("*", "year", "År"),
    ("*", "amount", "Belopp"),
    ("*", "unit", "Enhet"),
    ("*", "category", "Kategori"),
    ("*", "reason", "Beskrivning"),
    ("*", "rate_percent", "Procentsats"),
    ("*", "revenue", "Intäkter"),
    ("*", "cost", "Kostnader"),
    ("*", "net", "Netto"),
    ("*", "period", "Månad"),
    ("*", "date", "Datum"),
    ("*", "project", "Projekt"),
    ("*", "goal", "Mål"),
    ("*", "level", "Nivå"),
    ("*", "focus_area", "Fokusområde"),
    ("*", "title", "Titel"),
    ("*", "text", "Lydelse"),
    ("*", "activity", "Aktivitetens kod"),
    ("*", "responsible", "Ansvarig"),
    ("*", "start", "Start"),
    ("*", "end", "Slut"),
    ("*", "assignment", "Uppdragets kod"),
    ("*", "target", "Mål, aktivitet eller uppdrag"),
    ("*", "status", "Status"),
    ("*", "comment", "Kommentar"),
    ("*", "corrects", "Händelsen som rättas (id)"),
    ("*", "event", "Posten som attesteras (id)"),
    ("*", "report", "Rapport"),
    ("*", "row", "Rad"),
    ("*", "column", "Kolumn"),
    ("*", "source", "Källa"),
    ("*", "indicator", "Indikator"),
    ("*", "direction", "Riktning"),
    ("*", "value", "Värde"),
    ("*", "id", "Id"),
    ("*", "note", "Anteckning"),
    ("decision", "body", "Beslutsorgan"),
    ("decision", "date", "Beslutsdatum"),
    ("decision", "case", "Ärendebeteckning"),
    ("decision", "paragraph", "Paragraf"),
    ("transfer", "from", "Från förvaltning"),
    ("transfer", "to", "Till förvaltning"),
    ("goal_defined", "goal", "Målets kod"),
    ("goal_defined", "parent", "Överordnat mål"),
    ("area_defined", "area", "Områdets kod"),
    ("office_defined", "office", "Förvaltningens kod"),
    ("indicator_defined", "indicator", "Indikatorns kod"),
    ("indicator_defined", "unit", "Enhet för värdena"),
    ("reported", "unit", "Enhet som beloppet är tryckt i"),
    ("correction", "reason", "Skäl till rättelsen"),
    ("*", "parts", "Delar (JSON)"),
    ("*", "items", "Vad som räknas"),
    ("*", "count", "Antal"),
    ("*", "share_percent", "Andel i procent"),
    ("*", "rules", "Regler (JSON)"),
    ("*", "net_zero_only", "Bara utan nettoeffekt (JSON)"),
    ("delegation_set", "name", "Ordningens namn"),
    ("reported_target", "value", "Målvärde"),
    ("outcome", "date", "Rapporterat"),
    ("investment_outcome", "date", "Rapporterat"),
    ("measured", "date", "Rapporterat"),
];

/// What the sign of an amount does, in words, for the page to say beside the figure as it is typed:
/// (event type, field, positive, negative). A negative figure a type refuses says so.
pub const SIGNS: &[(&str, &str, &str, &str)] = &[
    (
        "frame_set",
        "amount",
        "ramen som nettokostnad",
        "en nettointäkt",
    ),
    ("frame_changed", "amount", "ger mer pengar", "minskar ramen"),
    (
        "savings_required",
        "amount",
        "minskar ramen",
        "ett besparingskrav ska vara positivt",
    ),
    (
        "transfer",
        "amount",
        "flyttas från den första förvaltningen till den andra",
        "ska vara positivt: byt plats på förvaltningarna i stället",
    ),
    ("budget_line", "net", "nettokostnad", "nettointäkt"),
    ("outcome", "amount", "nettokostnad", "nettointäkt"),
    ("forecast", "amount", "nettokostnad", "nettointäkt"),
];

/// Where a form's fields are shown: the event's own, its decision's, those every event has.
pub const FIELDS_HEADING: &str = "Fält";
pub const DECISION_HEADING: &str = "Beslut (vem som beslutade, när och var det är protokollfört)";
pub const COMMON_HEADING: &str = "Alla händelser";

/// One field of a form: of the event, of its decision, or common to all.
#[derive(Clone, Copy, Debug)]
pub struct FormOption {
    /// `Some("decision")` for a decision's field.
    pub parent: Option<&'static str>,
    pub field: FormField,
    pub heading: &'static str,
}

impl FormOption {
    /// The field's JSON path, `office`, `decision.body`: the CLI's option id, the page's input name,
    /// and what an error names.
    pub fn id(&self) -> String {
        match self.parent {
            Some(p) => format!("{p}.{}", self.field.key),
            None => self.field.key.to_string(),
        }
    }

    /// The CLI option's name without dashes: the field's key, `_` written `-`.
    pub fn long(&self) -> String {
        self.field.key.replace('_', "-")
    }
}

/// The form of an event type.
pub fn form(type_name: &str) -> Option<&'static Form> {
    FORMS.iter().find(|f| f.name == type_name)
}

/// The fields of a type's form, in the order they are shown: its own fields (with `unit` after the
/// first amount when the type has amounts but does not declare it), the decision's, then `id` and
/// `note`.
pub fn form_options(form: &Form) -> Vec<FormOption> {
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
pub fn field_help(type_name: &str, key: &str) -> Option<(&'static str, &'static str)> {
    let find = |t: &str| {
        FIELDS
            .iter()
            .find(|(ty, k, _, _)| *ty == t && *k == key)
            .map(|&(_, _, value, help)| (value, help))
    };
    find(type_name).or_else(|| (type_name != "decision").then(|| find("*")).flatten())
}

/// The label of a field of `type_name` (`decision` for a decision's field).
pub fn field_label(type_name: &str, key: &str) -> Option<&'static str> {
    let find = |t: &str| {
        LABELS
            .iter()
            .find(|(ty, k, _)| *ty == t && *k == key)
            .map(|&(_, _, label)| label)
    };
    find(type_name).or_else(|| (type_name != "decision").then(|| find("*")).flatten())
}

/// What the sign of a field's figure does, positive and negative.
pub fn sign_words(type_name: &str, key: &str) -> Option<(&'static str, &'static str)> {
    SIGNS
        .iter()
        .find(|(t, k, _, _)| *t == type_name && *k == key)
        .map(|&(_, _, p, n)| (p, n))
}

/// The first line of a type's help.
pub fn about(type_name: &str) -> &'static str {
    ABOUT
        .iter()
        .find(|(t, _)| *t == type_name)
        .map_or("", |(_, a)| a)
}

/// Builds the JSON object an import line would hold from what was typed into a form, by field
/// path (`amount`, `decision.date`). Amounts may be Swedish figures (`"−1 325,8"`); they are
/// written as the plain decimal strings the import reads, in the unit given. A decision is sent
/// only when given in part or whole, so a missing one is named as such by the parser. A figure
/// that is not one is named here, with its field; everything else is left to the parser.
pub fn event_json<'a>(
    type_name: &str,
    value: impl Fn(&str) -> Option<&'a str>,
) -> Result<Value, FieldError> {
    let form = form(type_name)
        .ok_or_else(|| FieldError::new("type", format!("'{type_name}' är ingen händelsetyp")))?;
    // A unit that is not one is left to the parser, which names it before any amount.
    let unit = value("unit").map_or(Some(Unit::Kr), |u| Unit::parse(&u.trim().to_lowercase()));
    let mut m = Map::new();
    let mut decision = Map::new();
    m.insert("type".into(), Value::from(form.name));
    for o in form_options(form) {
        let Some(given) = value(&o.id()) else {
            continue;
        };
        let text = match o.field.input {
            Input::Amount => {
                if let Some(unit) = unit {
                    Amount::parse_swedish(given, unit).map_err(|e| {
                        let message = match e {
                            AmountError::NotANumber(_) => format!(
                                "'{given}' är inte ett belopp (skriv till exempel 477 569, 1 325,8 eller −1 000)"
                            ),
                            other => other.to_string(),
                        };
                        FieldError::new(o.id(), message)
                    })?;
                }
                Amount::plain_figure(given)
            }
            Input::Number => Amount::plain_figure(given),
            Input::Json => {
                let value = serde_json::from_str::<Value>(given).map_err(|e| {
                    FieldError::new(
                        o.id(),
                        format!("inte giltig JSON: {}", super::describe_json_error(&e)),
                    )
                })?;
                insert(&mut m, &mut decision, &o, value);
                continue;
            }
            _ => given.to_string(),
        };
        insert(&mut m, &mut decision, &o, Value::String(text));
    }
    if !decision.is_empty() {
        m.insert("decision".into(), Value::Object(decision));
    }
    Ok(Value::Object(m))
}

/// Puts a field's value in the event's object or in its decision's.
fn insert(
    m: &mut Map<String, Value>,
    decision: &mut Map<String, Value>,
    o: &FormOption,
    value: Value,
) {
    let target = if o.parent.is_some() { decision } else { m };
    target.insert(o.field.key.into(), value);
}

fn input_name(input: Input) -> &'static str {
    match input {
        Input::Text | Input::Decision => "text",
        Input::Amount => "amount",
        Input::Unit => "unit",
        Input::Number => "number",
        Input::Json => "json",
    }
}

/// A help text as the page shows it: a CLI flag (`--to`) named by its field's label.
fn page_help(form: &Form, options: &[FormOption], help: &str) -> String {
    let mut out = help.to_string();
    let mut longest_first: Vec<&FormOption> = options.iter().collect();
    longest_first.sort_by_key(|o| std::cmp::Reverse(o.long().len()));
    for o in longest_first {
        let flag = format!("--{}", o.long());
        if out.contains(&flag) {
            let owner = o.parent.unwrap_or(form.name);
            let label = field_label(owner, o.field.key).unwrap_or(o.field.key);
            out = out.replace(&flag, &format!("”{label}”"));
        }
    }
    out
}

/// Every form as the page builds it (`GET /api/forms`): per type its fields in order, each with
/// its path, label, help, whether it is required, how it is typed and what its sign means.
pub fn forms_json() -> Value {
    let forms: Vec<Value> = FORMS
        .iter()
        .map(|form| {
            let options = form_options(form);
            let fields: Vec<Value> = options
                .iter()
                .map(|o| {
                    let owner = o.parent.unwrap_or(form.name);
                    let (value_name, help) = field_help(owner, o.field.key).unwrap_or(("", ""));
                    let mut f = json!({
                        "path": o.id(),
                        "label": field_label(owner, o.field.key).unwrap_or(o.field.key),
                        "help": page_help(form, &options, help),
                        "value_name": value_name,
                        "input": input_name(o.field.input),
                        "required": o.field.required,
                        "group": o.heading,
                    });
                    if let Some((positive, negative)) = sign_words(form.name, o.field.key) {
                        f["sign"] = json!({"positive": positive, "negative": negative});
                    }
                    f
                })
                .collect();
            json!({
                "type": form.name,
                "about": page_help(form, &options, about(form.name)),
                "amounts": form.amounts,
                "fields": fields,
            })
        })
        .collect();
    json!({ "forms": forms, "units": ["kr", "tkr", "mnkr"] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::TYPE_NAMES;

    #[test]
    fn every_type_has_an_about_line_and_every_field_help_and_a_label() {
        let names: Vec<&str> = ABOUT.iter().map(|a| a.0).collect();
        assert_eq!(names, TYPE_NAMES);
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
                assert!(
                    field_label(owner, o.field.key).is_some(),
                    "{}: no label for {}",
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
        for (t, k, _, _) in SIGNS {
            let form = form(t).unwrap_or_else(|| panic!("{t}"));
            assert!(
                form_options(form)
                    .iter()
                    .any(|o| o.field.key == *k && o.field.input == Input::Amount),
                "{t} {k}"
            );
        }
    }

    #[test]
    fn the_page_names_a_field_where_the_cli_names_its_flag() {
        let forms = forms_json();
        for (form, json) in FORMS.iter().zip(forms["forms"].as_array().unwrap()) {
            let text = json.to_string();
            for o in form_options(form) {
                let flag = format!("--{}", o.long());
                assert!(
                    !text.contains(&flag),
                    "{}: {flag} left in the page's help",
                    form.name
                );
            }
        }
        let transfer = &forms["forms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["type"] == "transfer")
            .unwrap();
        assert_eq!(
            transfer["about"],
            "Flyttar budgetram mellan två förvaltningar (ramväxling): läggs till ”Till förvaltning”:s ram och dras från ”Från förvaltning”:s"
        );
    }

    #[test]
    fn a_swedish_figure_becomes_the_plain_decimal_and_a_bad_one_names_its_field() {
        let values = [
            ("office", "KLK"),
            ("amount", "\u{2212}1 000"),
            ("unit", "tkr"),
            ("decision.body", "KF"),
        ];
        let get = |k: &str| values.iter().find(|(p, _)| *p == k).map(|(_, v)| *v);
        let v = event_json("frame_changed", get).unwrap();
        assert_eq!(v["amount"], "-1000");
        assert_eq!(v["decision"]["body"], "KF");
        let bad = [("amount", "12,5,0")];
        let e = event_json("frame_changed", |k| {
            bad.iter().find(|(p, _)| *p == k).map(|(_, v)| *v)
        })
        .unwrap_err();
        assert_eq!(e.field, "amount");
        assert!(e.message.contains("'12,5,0'"), "{}", e.message);
    }
}
