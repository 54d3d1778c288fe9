//! Text folding for case- and accent-insensitive search and sorting.

/// Lowercase ASCII transliteration: "Élodie" → "elodie", "Groß" → "gross".
/// Stored in shadow columns so that both engines can search with a plain index.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if s.is_ascii() {
        out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        out.push_str(&deunicode::deunicode(s).to_ascii_lowercase());
    }
    out.trim().to_string()
}

/// The words a search should find a record by, folded: each word of a name,
/// and the whole name, so "elo" finds "Élodie" and "jean-p" finds "Jean-Pierre".
pub fn name_terms(s: &str) -> Vec<String> {
    let folded = fold(s);
    let mut terms: Vec<String> = folded
        .split(|c: char| c.is_whitespace() || c == '-' || c == '\'' || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    if terms.len() > 1 || folded.contains('-') {
        terms.push(folded);
    }
    terms.sort();
    terms.dedup();
    terms
}

/// A folded search prefix: the user's query as stored terms are folded.
pub fn search_prefix(q: &str) -> String {
    fold(q)
}

/// The smallest string greater than every string starting with `prefix`, for a range scan
/// `term >= prefix AND term < upper` that any B-tree index serves.
pub fn prefix_upper_bound(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.push(char::MAX);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("Élodie"), "elodie");
        assert_eq!(fold("  ÇA VA "), "ca va");
        assert_eq!(fold("Amélie Poulain"), "amelie poulain");
    }

    #[test]
    fn name_terms_cover_each_word_and_the_whole() {
        assert_eq!(
            name_terms("Jean-Pierre"),
            vec!["jean", "jean-pierre", "pierre"]
        );
        assert_eq!(
            name_terms("Café des Deux Moulins"),
            vec!["cafe", "cafe des deux moulins", "des", "deux", "moulins"]
        );
    }
}
