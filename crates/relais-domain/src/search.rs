//! Search terms and queries. A record is found by the words it is indexed under (folded:
//! lowercase, no accents); a query is a list of prefixes that must each start one of them.
//! Both sides are cut into words by the same rules, so what is stored and what is asked
//! always meet.
use crate::Phone;
use crate::text::fold;

/// Characters that cut a name into words, besides white space.
fn is_word_break(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '\'' | ',' | '’')
}

/// The words of a name, folded: "Jean-Pierre" → ["jean", "pierre"]; "Café des Deux Moulins"
/// → ["cafe", "des", "deux", "moulins"]. A multi-word query finds the whole name word by
/// word, so the whole is not a term of its own.
pub fn name_words(s: &str) -> Vec<String> {
    fold(s)
        .split(is_word_break)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Sorts and dedups a record's terms, dropping empty ones.
pub fn finish_terms(mut terms: Vec<String>) -> Vec<String> {
    terms.retain(|t| !t.is_empty());
    terms.sort();
    terms.dedup();
    terms
}

/// A parsed `q`: every word must be the prefix of one of the record's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub words: Vec<String>,
}

impl SearchQuery {
    /// Reads what a user typed. A query that looks like a phone number is one word of
    /// digits in E.164 form without '+' ("06 40" → "33640": numbers written the French way
    /// are read as French, like stored numbers); a word holding '@' or '.' is part of an
    /// e-mail address and is kept whole; other words are cut like names. None when nothing
    /// is left to search for.
    pub fn parse(q: &str) -> Option<SearchQuery> {
        let q = q.trim();
        let words = if looks_like_phone(q) {
            vec![phone_prefix(q)]
        } else {
            fold(q)
                .split_whitespace()
                .flat_map(|token| {
                    if token.contains(['@', '.']) {
                        vec![token.to_string()]
                    } else {
                        token
                            .split(is_word_break)
                            .filter(|w| !w.is_empty())
                            .map(str::to_string)
                            .collect()
                    }
                })
                .collect()
        };
        let mut words: Vec<String> = words.into_iter().filter(|w| !w.is_empty()).collect();
        words.dedup();
        (!words.is_empty()).then_some(SearchQuery { words })
    }
}

fn looks_like_phone(q: &str) -> bool {
    q.chars().any(|c| c.is_ascii_digit())
        && q.chars()
            .all(|c| c.is_ascii_digit() || " +.-()/\u{a0}".contains(c))
}

/// The E.164 digits a phone-like query starts: "+44 20" → "4420", "0044 20" → "4420",
/// "06 40" → "33640" (French national form), "3364" → "3364".
fn phone_prefix(q: &str) -> String {
    if let Ok(p) = Phone::parse(q) {
        return p.digits().to_string();
    }
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if q.starts_with('+') {
        return digits;
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return rest.to_string();
    }
    match digits.strip_prefix('0') {
        Some(rest) => format!("33{rest}"),
        None => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(q: &str) -> Vec<String> {
        SearchQuery::parse(q).map(|s| s.words).unwrap_or_default()
    }

    #[test]
    fn names_are_cut_into_folded_words() {
        assert_eq!(name_words("Jean-Pierre"), ["jean", "pierre"]);
        assert_eq!(
            name_words("Café des Deux Moulins"),
            ["cafe", "des", "deux", "moulins"]
        );
        assert_eq!(name_words("O’Brien"), ["o", "brien"]);
        assert!(name_words("  ").is_empty());
    }

    #[test]
    fn queries_are_cut_like_names() {
        assert_eq!(words("  Élo "), ["elo"]);
        assert_eq!(words("jean-p"), ["jean", "p"]);
        assert_eq!(words("DEUX moul"), ["deux", "moul"]);
        assert!(words("   ").is_empty());
    }

    #[test]
    fn e_mail_fragments_stay_whole() {
        assert_eq!(words("Elodie.Mar"), ["elodie.mar"]);
        assert_eq!(words("jean-pierre.l"), ["jean-pierre.l"]);
        assert_eq!(words("BOB@ACME"), ["bob@acme"]);
    }

    #[test]
    fn phone_like_queries_become_e164_digits() {
        assert_eq!(words("06 40 50"), ["3364050"]);
        assert_eq!(words("06.40.50.60.70"), ["33640506070"]);
        assert_eq!(words("+33 6 40"), ["33640"]);
        assert_eq!(words("0044 20 79"), ["442079"]);
        assert_eq!(words("+44 20 7946 0958"), ["442079460958"]);
        assert_eq!(words("3364"), ["3364"]);
        assert_eq!(words("123"), ["123"]);
    }
}
