use crate::message::{Code, Msg};
use phonenumber::country::Id;
use serde::{Deserialize, Serialize};

/// A phone number in E.164 form (`+33640506070`). Numbers written without a country
/// code are read as French, the default region of Relais.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// A value as stored: read with today's rules when it can be, else kept as it was
    /// written (by a version with other rules), never dropped; the next save of its record
    /// checks it.
    pub fn from_store(raw: String) -> Self {
        Phone::parse(&raw).unwrap_or(Phone(raw))
    }

    pub fn parse(s: &str) -> Result<Self, Msg> {
        // A leading apostrophe is the text marker of spreadsheets (and of our CSV exports).
        let trimmed = s.trim().trim_start_matches('\'').trim();
        if trimmed.is_empty() {
            return Err(Code::Empty.into());
        }
        let invalid = || Msg::new(Code::NotAPhone).with("value", trimmed);
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
        self.0.strip_prefix('+').unwrap_or(&self.0)
    }
}

impl TryFrom<String> for Phone {
    type Error = Msg;
    fn try_from(s: String) -> Result<Self, Msg> {
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
    fn a_stored_number_todays_rules_refuse_is_kept_and_never_panics() {
        let kept = Phone::from_store("é0400".into());
        assert_eq!(kept.as_str(), "é0400");
        assert_eq!(kept.digits(), "é0400");
        assert_eq!(
            Phone::from_store("0640506070".into()).as_str(),
            "+33640506070"
        );
    }

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

#[cfg(test)]
mod agrees_with_libphonenumber {
    use super::*;

    /// Every French number is judged by libphonenumber's rules: a shortcut that read
    /// "0X XX XX XX XX" alone once accepted 040..., 069..., 070... numbers that do not exist.
    #[test]
    fn french_numbers_follow_the_numbering_plan() {
        for bad in [
            "04 00 00 00 00",
            "06 90 00 00 00",
            "07 00 00 00 00",
            "07 10 00 00 00",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
        for good in [
            "06 40 50 60 70",
            "01 42 68 53 00",
            "+33 7 81 23 45 67",
            "09 72 10 10 10",
        ] {
            assert!(Phone::parse(good).is_ok(), "{good}");
        }
    }
}
