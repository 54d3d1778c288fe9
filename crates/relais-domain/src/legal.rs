//! Legal identifiers of companies: French SIREN/SIRET (Luhn checksum) and EU VAT numbers.
use crate::message::{Code, Msg};
use serde::{Deserialize, Serialize};

fn digits_only(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .collect()
}

fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A value as stored: read with today's rules when it can be, else kept as it
            /// was written (by a version with other rules), never dropped; the next save
            /// of its record checks it.
            pub fn from_store(raw: String) -> Self {
                $name::parse(&raw).unwrap_or($name(raw))
            }
        }
        impl TryFrom<String> for $name {
            type Error = $crate::message::Msg;
            fn try_from(s: String) -> Result<Self, $crate::message::Msg> {
                $name::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

/// A SIREN: the 9-digit French company number, Luhn-checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siren(String);
string_newtype!(Siren);

impl Siren {
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let d = digits_only(s);
        if d.len() != 9 || !d.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Msg::new(Code::NotASiren).with("value", s));
        }
        if !luhn_ok(&d) {
            return Err(Msg::new(Code::SirenCheckDigit).with("value", s));
        }
        Ok(Siren(d))
    }
}

/// A SIRET: SIREN + 5-digit establishment number, Luhn-checked (La Poste's establishments
/// follow their own rule: the digit sum is a multiple of 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);
string_newtype!(Siret);

impl Siret {
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let d = digits_only(s);
        if d.len() != 14 || !d.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Msg::new(Code::NotASiret).with("value", s));
        }
        let la_poste = d.starts_with("356000000");
        let ok = if la_poste {
            d.bytes().map(|b| (b - b'0') as u32).sum::<u32>() % 5 == 0
        } else {
            luhn_ok(&d)
        };
        if !ok {
            return Err(Msg::new(Code::SiretCheckDigit).with("value", s));
        }
        Ok(Siret(d))
    }

    /// Its first nine digits (the whole value when it is a stored one today's rules refuse).
    pub fn siren(&self) -> &str {
        self.0.get(..9).unwrap_or(&self.0)
    }
}

/// An intra-EU VAT number: country prefix and the national format; French numbers have
/// their key checked against the SIREN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VatNumber(String);
string_newtype!(VatNumber);

const EU_PREFIXES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

impl VatNumber {
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let v: String = digits_only(s).to_ascii_uppercase();
        let bad = || Msg::new(Code::NotAVatNumber).with("value", s);
        if v.len() < 4 || v.len() > 14 || !v.is_ascii() {
            return Err(bad());
        }
        let (country, rest) = v.split_at(2);
        if !EU_PREFIXES.contains(&country) || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        if country == "FR" {
            check_french_vat(rest)?;
        }
        Ok(VatNumber(v))
    }
}

fn check_french_vat(rest: &str) -> Result<(), Msg> {
    if rest.len() != 11 {
        return Err(Code::FrenchVatShape.into());
    }
    let (key, siren) = rest.split_at(2);
    Siren::parse(siren).map_err(|_| Msg::from(Code::FrenchVatShape))?;
    if let Ok(key) = key.parse::<u64>() {
        let siren: u64 = siren.parse().unwrap_or(0);
        if key != (12 + 3 * (siren % 97)) % 97 {
            return Err(Code::VatKey.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_siret_todays_rules_refuse_is_kept_and_never_panics() {
        let kept = Siret::from_store("12é".into());
        assert_eq!(kept.as_str(), "12é");
        assert_eq!(kept.siren(), "12é");
    }

    #[test]
    fn siren_and_siret_checksums() {
        assert!(Siren::parse("732 829 320").is_ok());
        assert!(Siren::parse("732829321").is_err());
        assert!(Siret::parse("732 829 320 00074").is_ok());
        assert!(Siret::parse("73282932000075").is_err());
        assert!(Siret::parse("35600000000047").is_ok(), "La Poste rule");
        assert!(Siren::parse("12345").is_err());
    }

    #[test]
    fn vat_numbers() {
        assert_eq!(
            VatNumber::parse("FR 44 732829320").unwrap().as_str(),
            "FR44732829320"
        );
        assert!(VatNumber::parse("FR45732829320").is_err(), "wrong key");
        assert!(VatNumber::parse("DE123456789").is_ok());
        assert!(VatNumber::parse("US123456789").is_err());
    }
}
