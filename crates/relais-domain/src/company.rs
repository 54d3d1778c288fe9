//! A company: a customer account, a supplier, a subsidiary of a group.
use crate::error::{Errors, Invalid, optional_text};
use crate::legal::{Siren, Siret, VatNumber};
use crate::message::{Code, Msg, not_one_of};
use crate::person::{Address, addresses, tags};
use crate::{CompanyId, Email, Phone, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Head-count bands, as the INSEE and most CRMs group them.
pub const SIZES: [&str; 6] = ["1-9", "10-49", "50-249", "250-999", "1000-4999", "5000+"];

#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CompanyDraft {
    pub name: Option<String>,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub vat_number: Option<String>,
    pub industry: Option<String>,
    /// One of 1-9, 10-49, 50-249, 250-999, 1000-4999, 5000+.
    pub size: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub addresses: Vec<Address>,
    /// The group this company is a subsidiary of.
    pub parent_id: Option<CompanyId>,
    pub owner_id: Option<UserId>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub custom: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CompanyData {
    pub name: String,
    #[schema(value_type = Option<String>)]
    pub siren: Option<Siren>,
    #[schema(value_type = Option<String>)]
    pub siret: Option<Siret>,
    #[schema(value_type = Option<String>)]
    pub vat_number: Option<VatNumber>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub website: Option<String>,
    #[schema(value_type = Option<String>)]
    pub email: Option<Email>,
    #[schema(value_type = Option<String>)]
    pub phone: Option<Phone>,
    pub addresses: Vec<Address>,
    pub parent_id: Option<CompanyId>,
    pub owner_id: Option<UserId>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub custom: BTreeMap<String, serde_json::Value>,
}

fn parse_opt<T>(
    e: &mut Errors,
    field: &str,
    v: &Option<String>,
    parse: impl Fn(&str) -> Result<T, Msg>,
) -> Option<T> {
    let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    e.check(field, parse(v))
}

fn website(s: &str) -> Result<String, Msg> {
    let s = s.trim();
    let host = s
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split('/').next().unwrap_or_default();
    if host.is_empty() || !host.contains('.') || host.contains(char::is_whitespace) || s.len() > 300
    {
        return Err(Msg::new(Code::NotAWebAddress).with("value", s));
    }
    Ok(if s.starts_with("http://") || s.starts_with("https://") {
        s.to_string()
    } else {
        format!("https://{s}")
    })
}

impl CompanyDraft {
    pub fn validate(&self) -> Result<CompanyData, Invalid> {
        let mut e = Errors::default();
        let name = e
            .check("name", optional_text(self.name.as_deref(), 200))
            .flatten();
        if name.is_none() && e.is_empty() {
            e.add("name", Code::CompanyNeedsName);
        }
        let siren = parse_opt(&mut e, "siren", &self.siren, Siren::parse);
        let siret = parse_opt(&mut e, "siret", &self.siret, Siret::parse);
        if let (Some(a), Some(b)) = (&siren, &siret)
            && b.siren() != a.as_str()
        {
            e.add("siret", Code::SiretNotSiren);
        }
        let siren = siren.or_else(|| siret.as_ref().and_then(|s| Siren::parse(s.siren()).ok()));
        let vat_number = parse_opt(&mut e, "vat_number", &self.vat_number, VatNumber::parse);
        let industry = e
            .check("industry", optional_text(self.industry.as_deref(), 100))
            .flatten();
        let size = parse_opt(&mut e, "size", &self.size, |s| {
            SIZES
                .iter()
                .find(|z| **z == s)
                .map(|z| z.to_string())
                .ok_or_else(|| not_one_of(s, &SIZES))
        });
        let website = parse_opt(&mut e, "website", &self.website, website);
        let email = parse_opt(&mut e, "email", &self.email, Email::parse);
        let phone = parse_opt(&mut e, "phone", &self.phone, Phone::parse);
        let notes = e
            .check("notes", optional_text(self.notes.as_deref(), 100_000))
            .flatten();
        crate::person::too_many(
            &mut e,
            "addresses",
            self.addresses.len(),
            crate::person::MAX_CONTACTS,
        );
        let addresses = addresses(&mut e, &self.addresses);
        let tags = tags(&mut e, &self.tags);
        e.finish(|| CompanyData {
            name: name.unwrap_or_default(),
            siren,
            siret,
            vat_number,
            industry,
            size,
            website,
            email,
            phone,
            addresses,
            parent_id: self.parent_id,
            owner_id: self.owner_id,
            tags,
            notes,
            custom: self.custom.clone(),
        })
    }
}

impl CompanyData {
    pub fn sort_key(&self) -> String {
        crate::text::fold(&self.name)
    }

    /// The words this company is found by: each word of its name, its SIREN, e-mail
    /// address and phone number (E.164 digits).
    pub fn search_terms(&self) -> Vec<String> {
        let mut t = crate::search::name_words(&self.name);
        t.extend(self.siren.as_ref().map(|s| s.as_str().to_string()));
        t.extend(self.email.as_ref().map(|m| m.key()));
        t.extend(self.phone.as_ref().map(|p| p.digits().to_string()));
        crate::search::finish_terms(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_company_is_checked_field_by_field() {
        let d: CompanyDraft = serde_json::from_value(serde_json::json!({
            "name": "Danone", "siret": "73282932000074", "website": "danone.com", "size": "5000+"
        }))
        .unwrap();
        let c = d.validate().unwrap();
        assert_eq!(c.siren.unwrap().as_str(), "732829320");
        assert_eq!(c.website.as_deref(), Some("https://danone.com"));
        let bad: CompanyDraft =
            serde_json::from_value(serde_json::json!({"siren": "123456789", "size": "huge"}))
                .unwrap();
        let fields: Vec<_> = bad
            .validate()
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["name", "siren", "size"]);
    }
}
