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
}
