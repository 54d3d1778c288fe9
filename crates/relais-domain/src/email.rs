use crate::message::{Code, Msg};
use serde::{Deserialize, Serialize};

/// An e-mail address that can receive mail: RFC 5322 syntax, and a domain with a dot
/// (`email_address` alone accepts `x@localhost`). The domain is lowercased; the local part is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// A value as stored: read with today's rules when it can be, else kept as it was
    /// written (by a version with other rules), never dropped; the next save of its record
    /// checks it.
    pub fn from_store(raw: String) -> Self {
        Email::parse(&raw).unwrap_or(Email(raw))
    }

    pub fn parse(s: &str) -> Result<Self, Msg> {
        let s = s.trim().trim_start_matches("mailto:");
        if s.len() > 254 {
            return Err(Msg::new(Code::TooLong).with("max", 254));
        }
        let parsed: email_address::EmailAddress = s
            .parse()
            .map_err(|_| Msg::new(Code::NotAnEmail).with("value", s))?;
        // Internationalised domains are case-insensitive too: "EXÄMPLE.FR" is "exämple.fr".
        let domain = parsed.domain().to_lowercase();
        if !domain.contains('.') || domain.starts_with('[') || domain.ends_with('.') {
            return Err(Msg::new(Code::EmailDomainNoDot).with("value", s));
        }
        Ok(Email(format!("{}@{}", parsed.local_part(), domain)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key duplicates are found by: the whole address lowercased.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for Email {
    type Error = Msg;
    fn try_from(s: String) -> Result<Self, Msg> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internationalised_domain_is_lowercased_too() {
        assert_eq!(
            Email::parse("ÉLODIE@EXÄMPLE.FR").unwrap().as_str(),
            "ÉLODIE@exämple.fr"
        );
    }

    #[test]
    fn valid_addresses_are_kept_with_lowercase_domain() {
        assert_eq!(
            Email::parse(" Ada@Analytical.Example ").unwrap().as_str(),
            "Ada@analytical.example"
        );
        assert_eq!(
            Email::parse("Ada@Analytical.Example").unwrap().key(),
            "ada@analytical.example"
        );
    }

    #[test]
    fn invalid_addresses_are_refused() {
        for bad in [
            "not-an-email",
            "x@localhost",
            "a@b",
            "@example.com",
            "a b@example.com",
            "",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
