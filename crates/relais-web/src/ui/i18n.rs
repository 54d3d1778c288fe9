//! French and English: the message catalogs (`messages/fr.toml`, `messages/en.toml`, compiled
//! in) and the formats of dates and numbers. Every string a page shows comes from here.
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use relais_domain::Msg;
use relais_domain::message::{self, Plural};
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().get(..2)? {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header that Relais speaks, by the
    /// browser's order of preference; French, the default of Relais, otherwise.
    pub fn from_accept(header: &str) -> Lang {
        let mut ranked: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut bits = part.split(';');
                let lang = Lang::parse(bits.next()?)?;
                let q = bits
                    .find_map(|b| b.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, l)| *l).unwrap_or_default()
    }
}

fn parse_catalog(src: &'static str) -> HashMap<String, String> {
    let table: toml::Table = src.parse().unwrap_or_else(|e| {
        // The catalogs are compiled in and checked by the tests: a broken one is a build bug.
        panic!("message catalog does not parse: {e}")
    });
    table
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
        .collect()
}

/// The catalog of a language: message key → text.
pub fn catalog(lang: Lang) -> &'static HashMap<String, String> {
    static FR: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN: OnceLock<HashMap<String, String>> = OnceLock::new();
    match lang {
        Lang::Fr => FR.get_or_init(|| parse_catalog(include_str!("../../messages/fr.toml"))),
        Lang::En => EN.get_or_init(|| parse_catalog(include_str!("../../messages/en.toml"))),
    }
}

/// The French text of every code of `relais_domain::Code` (`messages/errors.toml`).
fn french_errors() -> &'static HashMap<String, String> {
    static FR: OnceLock<HashMap<String, String>> = OnceLock::new();
    FR.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct ErrorFile {
            fr: HashMap<String, String>,
        }
        let file: ErrorFile = toml::from_str(include_str!("../../messages/errors.toml"))
            .unwrap_or_else(|e| panic!("messages/errors.toml does not parse: {e}"));
        file.fr
    })
}

/// What a page translates and formats with.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The text of a message; the key itself when the catalog lacks it (a test checks that
    /// none does).
    pub fn t<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        catalog(self.lang)
            .get(key)
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// A field as the user knows it ("Job title", from `field.<name>`), else as stored.
    pub fn field(&self, name: &str) -> String {
        match catalog(self.lang).get(&format!("field.{name}")) {
            Some(label) => label.clone(),
            None => name.to_string(),
        }
    }

    /// The plural rule of the page's language.
    pub fn plural(&self) -> Plural {
        match self.lang {
            Lang::Fr => Plural::French,
            Lang::En => Plural::English,
        }
    }

    /// A message of the services in the page's language (English when a translation is
    /// missing, which a test forbids).
    pub fn error(&self, msg: &Msg) -> String {
        let template = match self.lang {
            Lang::En => None,
            Lang::Fr => french_errors().get(msg.code.as_str()),
        };
        msg.render(
            template.map_or(msg.code.english(), String::as_str),
            self.plural(),
        )
    }

    /// A field's error in the page's language.
    pub fn field_error(&self, e: &relais_domain::FieldError) -> String {
        self.error(&e.msg())
    }

    /// What an input got wrong, each message in the page's language.
    pub fn invalid(&self, i: &relais_domain::Invalid) -> String {
        i.0.iter()
            .map(|e| self.field_error(e))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A message with its `{name}` marks filled in, and its `{name|one|other}` marks with
    /// the plural form the language gives the number.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        let params: Vec<(String, String)> = args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        message::fill(self.t(key), &params, self.plural())
    }

    fn month(&self, m: u32) -> &'static str {
        let i = (m.clamp(1, 12) - 1) as usize;
        match self.lang {
            Lang::Fr => MONTHS_FR[i],
            Lang::En => MONTHS_EN[i],
        }
    }

    /// "30 nov. 2026" / "30 Nov 2026".
    pub fn date(&self, d: NaiveDate) -> String {
        format!("{} {} {}", d.day(), self.month(d.month()), d.year())
    }

    /// A day and month without a year: "10 déc." / "10 Dec".
    pub fn day_month(&self, day: u32, month: u32) -> String {
        format!("{day} {}", self.month(month))
    }

    /// A moment in UTC, to the minute: "30 nov. 2026, 14:05 UTC". Pages show it in the
    /// reader's time zone when scripts run (`assets/app.js`).
    pub fn datetime(&self, t: &DateTime<Utc>) -> String {
        format!("{}, {} UTC", self.date(t.date_naive()), t.format("%H:%M"))
    }

    /// Money as the locale writes it: "1 234,56 €" / "€1,234.56"
    /// (`relais_domain::money::Money::format`).
    pub fn money(&self, m: relais_domain::money::Money) -> String {
        m.format(match self.lang {
            Lang::Fr => relais_domain::money::Locale::Fr,
            Lang::En => relais_domain::money::Locale::En,
        })
    }

    /// A whole number with the locale's grouping: "12 345" / "12,345".
    pub fn number(&self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let sep = match self.lang {
            Lang::Fr => '\u{202f}',
            Lang::En => ',',
        };
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_domain::Code;

    #[test]
    fn the_browser_order_is_followed() {
        assert_eq!(Lang::from_accept("en-GB,en;q=0.9,fr;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept("de-DE,fr;q=0.5,en;q=0.7"), Lang::En);
        assert_eq!(Lang::from_accept("fr-FR"), Lang::Fr);
        assert_eq!(Lang::from_accept("de, es"), Lang::Fr);
        assert_eq!(Lang::from_accept(""), Lang::Fr);
    }

    #[test]
    fn both_catalogs_hold_the_same_messages() {
        let fr = catalog(Lang::Fr);
        let en = catalog(Lang::En);
        let mut missing: Vec<_> = fr
            .keys()
            .filter(|k| !en.contains_key(*k))
            .map(|k| format!("en lacks {k}"))
            .chain(
                en.keys()
                    .filter(|k| !fr.contains_key(*k))
                    .map(|k| format!("fr lacks {k}")),
            )
            .collect();
        missing.sort();
        assert!(missing.is_empty(), "{missing:?}");
        assert!(fr.len() > 50, "the catalogs are read");
    }

    #[test]
    fn every_message_a_page_asks_for_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ui");
        let mut unknown = Vec::new();
        for folder in [dir, src] {
            for entry in std::fs::read_dir(folder).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for (i, _) in text.match_indices(".t(\"") {
                    let rest = &text[i + 4..];
                    let key = &rest[..rest.find('"').unwrap()];
                    if !catalog(Lang::Fr).contains_key(key) {
                        unknown.push(key.to_string());
                    }
                }
            }
        }
        assert!(unknown.is_empty(), "not in the catalogs: {unknown:?}");
    }

    #[test]
    fn every_field_an_import_can_fill_has_a_label() {
        use relais_core::import::csv_source::{company_fields, person_fields};
        for f in person_fields().iter().chain(company_fields()) {
            for lang in Lang::ALL {
                assert!(
                    catalog(lang).contains_key(&format!("field.{f}")),
                    "{} lacks field.{f}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn the_services_messages_are_shown_in_french() {
        let fr = Tr::new(Lang::Fr);
        assert_eq!(fr.error(&Code::Required.into()), "est obligatoire");
        assert_eq!(
            fr.error(&Msg::new(Code::NotAPhone).with("value", "06 12")),
            "« 06 12 » n’est pas un numéro de téléphone valide"
        );
        assert_eq!(
            fr.error(&relais_domain::message::not_one_of(
                "huge",
                &["1-9", "10-49"]
            )),
            "« huge » n’est pas l’une des valeurs possibles (1-9, 10-49)"
        );
        assert_eq!(
            fr.error(&Msg::new(Code::TooLong).with("max", 1)),
            "dépasse 1 caractère"
        );
        assert_eq!(
            fr.error(
                &Msg::new(Code::TooLong)
                    .with("max", 100)
                    .within("custom.vip")
            ),
            "custom.vip: dépasse 100 caractères"
        );
        let en = Tr::new(Lang::En);
        assert_eq!(en.error(&Code::Required.into()), "is required");
        assert_eq!(
            en.error(&Msg::new(Code::TooLong).with("max", 1)),
            "is longer than 1 character"
        );
    }

    #[test]
    fn every_code_has_its_french_text_with_the_same_parameters() {
        let fr = french_errors();
        let mut wrong = Vec::new();
        for code in Code::ALL {
            match fr.get(code.as_str()) {
                None => wrong.push(format!("{} has no French text", code.as_str())),
                Some(t) if message::holes(t) != message::holes(code.english()) => {
                    wrong.push(format!(
                        "{}: {:?} in French, {:?} in English",
                        code.as_str(),
                        message::holes(t),
                        message::holes(code.english())
                    ))
                }
                Some(_) => {}
            }
        }
        for key in fr.keys() {
            if Code::parse(key).is_none() {
                wrong.push(format!("{key} is not a code"));
            }
        }
        wrong.sort();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn the_pages_messages_take_the_plural_of_their_language() {
        let fr = Tr::new(Lang::Fr);
        let en = Tr::new(Lang::En);
        assert_eq!(fr.fill("bulk.done", &[("n", "1")]), "1 personne modifiée.");
        assert_eq!(
            fr.fill("bulk.done", &[("n", "3")]),
            "3 personnes modifiées."
        );
        assert_eq!(en.fill("bulk.done", &[("n", "1")]), "1 person changed.");
        assert_eq!(en.fill("bulk.done", &[("n", "0")]), "0 people changed.");
    }

    #[test]
    fn the_pages_messages_have_the_same_marks_in_both_languages() {
        let fr = catalog(Lang::Fr);
        let en = catalog(Lang::En);
        let mut wrong: Vec<String> = fr
            .iter()
            .filter(|(k, t)| {
                en.get(*k)
                    .is_some_and(|e| message::holes(e) != message::holes(t))
            })
            .map(|(k, _)| k.clone())
            .collect();
        wrong.sort();
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn dates_and_numbers_follow_the_language() {
        let fr = Tr::new(Lang::Fr);
        let en = Tr::new(Lang::En);
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(fr.date(d), "30 nov. 2026");
        assert_eq!(en.date(d), "30 Nov 2026");
        assert_eq!(fr.number(1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(en.number(-1234), "-1,234");
        assert_eq!(en.number(12), "12");
        use relais_domain::money::{Currency, Money};
        assert_eq!(fr.money(Money::eur(123456)), "1\u{202f}234,56\u{a0}€");
        assert_eq!(en.money(Money::eur(123456)), "€1,234.56");
        assert_eq!(en.money(Money::eur(-5)), "-€0.05");
        assert_eq!(fr.money(Money::eur(-250)), "-2,50\u{a0}€");
        let chf = Currency::parse("CHF").unwrap();
        assert_eq!(en.money(Money::new(1000, chf)), "10.00 CHF");
    }
}
