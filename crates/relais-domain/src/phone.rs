use phonenumber::country::Id;
use serde::{Deserialize, Serialize};

/// A phone number in E.164 form (`+33640506070`). Numbers written without a country
/// code are read as French, the default region of Relais.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, String> {
        // A leading apostrophe is the text marker of spreadsheets (and of our CSV exports).
        let trimmed = s.trim().trim_start_matches('\'').trim();
        if trimmed.is_empty() {
            return Err("is empty".into());
        }
        if let Some(fast) = french_fast_path(trimmed) {
            return Ok(Phone(fast));
        }
        let invalid = || format!("'{trimmed}' is not a valid phone number");
        let input = trimmed.strip_prefix("tel:").unwrap_or(trimmed);
        let input = match input.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => input.to_string(),
        };
        let number = phonenumber::parse(Some(Id::FR), &input).map_err(|_| invalid())?;
        if !phonenumber::is_valid(&number) {
            return Err(invalid());
        }
        Ok(Phone(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without '+', for prefix search ("3364" finds "+33640506070").
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

/// French numbers written the usual ways ("06 40 50 60 70", "06.40.50.60.70", "+33 6 40 ...")
/// are by far the most common input: reading them without the full metadata lookup keeps
/// large imports fast. Anything else goes through libphonenumber's rules.
fn french_fast_path(s: &str) -> Option<String> {
    let mut digits = String::with_capacity(12);
    let mut plus = false;
    for (i, c) in s.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '.' | '-' | '\u{a0}' => {}
            _ => return None,
        }
    }
    let national = if plus {
        digits.strip_prefix("33")?.to_string()
    } else {
        digits.strip_prefix('0')?.to_string()
    };
    // Mobile (6, 7) and geographic (1-5) and 9 numbers: 9 digits after the trunk 0.
    let first = national.chars().next()?;
    (national.len() == 9 && ('1'..='7').contains(&first) || national.len() == 9 && first == '9')
        .then(|| format!("+33{national}"))
}

impl TryFrom<String> for Phone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers_become_e164() {
        for s in [
            "06 40 50 60 70",
            "06.40.50.60.70",
            "+33 6 40 50 60 70",
            "0033640506070",
            "+33640506070",
        ] {
            assert_eq!(Phone::parse(s).unwrap().as_str(), "+33640506070", "{s}");
        }
    }

    #[test]
    fn foreign_numbers_keep_their_country() {
        assert_eq!(
            Phone::parse("+44 20 7219 3000").unwrap().as_str(),
            "+442072193000"
        );
        assert_eq!(
            Phone::parse("+1 650 253 0000").unwrap().as_str(),
            "+16502530000"
        );
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in ["12", "abc", "", "06 40"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }
}
