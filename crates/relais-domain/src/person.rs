//! A person: a contact at a company, a prospect, a customer. `PersonDraft` is what a client
//! sends (a whole record, or the current one with a JSON merge patch applied); `PersonData`
//! is the validated record, and serialises back to the draft's shape.
use crate::error::{Errors, Invalid, optional_text};
use crate::message::{Code, Msg, not_one_of};
use crate::{Birthday, CompanyId, Email, Phone, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    #[default]
    Lead,
    Prospect,
    Customer,
    FormerCustomer,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Lead,
        Stage::Prospect,
        Stage::Customer,
        Stage::FormerCustomer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Lead => "lead",
            Stage::Prospect => "prospect",
            Stage::Customer => "customer",
            Stage::FormerCustomer => "former_customer",
        }
    }

    /// Also reads the words of French users and of HubSpot exports.
    pub fn parse(s: &str) -> Result<Stage, Msg> {
        let f = crate::text::fold(s).replace([' ', '-'], "_");
        Ok(match f.as_str() {
            "lead" | "piste" | "subscriber" | "marketingqualifiedlead" | "salesqualifiedlead" => {
                Stage::Lead
            }
            "prospect" | "opportunity" | "opportunite" => Stage::Prospect,
            "customer" | "client" | "cliente" | "evangelist" => Stage::Customer,
            "former_customer" | "ancien_client" | "ancienne_cliente" | "churned" => {
                Stage::FormerCustomer
            }
            _ => {
                return Err(not_one_of(
                    s,
                    &["lead", "prospect", "customer", "former_customer"],
                ));
            }
        })
    }
}

/// A channel a person can be reached on, and consents to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Phone,
    Post,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Sms, Channel::Phone, Channel::Post];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Phone => "phone",
            Channel::Post => "post",
        }
    }

    pub fn parse(s: &str) -> Result<Channel, Msg> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| not_one_of(s, &["email", "sms", "phone", "post"]))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailEntry {
    #[serde(default = "other")]
    pub kind: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneEntry {
    #[serde(default = "other")]
    pub kind: String,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default = "other")]
    pub kind: String,
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// ISO 3166 code ("FR") or the name as written.
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyLink {
    pub company_id: CompanyId,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub primary: bool,
}

fn other() -> String {
    "other".into()
}

/// A person as a client sends it. Unknown fields are refused, so a typo is not lost silently.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PersonDraft {
    pub civility: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub job_title: Option<String>,
    pub companies: Vec<CompanyLink>,
    pub emails: Vec<EmailEntry>,
    pub phones: Vec<PhoneEntry>,
    pub addresses: Vec<Address>,
    /// `1815-12-10`, or `--12-10` when the year is unknown.
    pub birthday: Option<String>,
    /// ISO 639-1 code: `fr`, `en`.
    pub language: Option<String>,
    #[schema(value_type = Option<Channel>)]
    pub preferred_channel: Option<String>,
    #[schema(value_type = Option<Stage>)]
    pub stage: Option<String>,
    pub source: Option<String>,
    pub owner_id: Option<UserId>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    /// Values of custom fields by key; checked against their definitions by the service.
    pub custom: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ValidEmail {
    pub kind: String,
    #[schema(value_type = String)]
    pub address: Email,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ValidPhone {
    pub kind: String,
    /// E.164.
    #[schema(value_type = String)]
    pub number: Phone,
}

/// A valid person. Serialises to the same shape as `PersonDraft`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PersonData {
    pub civility: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub job_title: Option<String>,
    pub companies: Vec<CompanyLink>,
    pub emails: Vec<ValidEmail>,
    pub phones: Vec<ValidPhone>,
    pub addresses: Vec<Address>,
    #[schema(value_type = Option<String>)]
    pub birthday: Option<Birthday>,
    pub language: Option<String>,
    pub preferred_channel: Option<Channel>,
    pub stage: Stage,
    pub source: Option<String>,
    pub owner_id: Option<UserId>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub custom: BTreeMap<String, serde_json::Value>,
}

pub const EMAIL_KINDS: [&str; 3] = ["work", "home", "other"];
pub const PHONE_KINDS: [&str; 5] = ["mobile", "work", "home", "fax", "other"];
pub const ADDRESS_KINDS: [&str; 4] = ["work", "home", "billing", "other"];

pub(crate) fn kind(errors: &mut Errors, field: String, v: &str, allowed: &[&str]) -> String {
    let k = v.trim().to_ascii_lowercase();
    let k = match k.as_str() {
        "cell" | "mobile" | "portable" => "mobile".to_string(),
        "" => "other".to_string(),
        _ => k,
    };
    if !allowed.contains(&k.as_str()) {
        errors.add(field, not_one_of(v, allowed));
    }
    k
}

pub(crate) fn addresses(errors: &mut Errors, list: &[Address]) -> Vec<Address> {
    let mut out = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let f = |name: &str| format!("addresses[{i}].{name}");
        let mut text = |name: &str, v: &Option<String>, max| {
            errors
                .check(f(name), optional_text(v.as_deref(), max))
                .flatten()
        };
        let clean = Address {
            kind: String::new(),
            street: text("street", &a.street, 300),
            postal_code: text("postal_code", &a.postal_code, 20),
            city: text("city", &a.city, 100),
            region: text("region", &a.region, 100),
            country: text("country", &a.country, 60).map(|c| {
                if c.len() == 2 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            }),
        };
        let kind = kind(errors, f("kind"), &a.kind, &ADDRESS_KINDS);
        out.push(Address { kind, ..clean });
    }
    out
}

/// How many items a list of a record may hold: more than anyone keeps by hand, few enough that
/// no request can make a record unreadable.
pub const MAX_TAGS: usize = 100;
pub const MAX_CONTACTS: usize = 50;

/// An error on a list that is too long, named by the list.
pub(crate) fn too_many(errors: &mut Errors, name: &str, len: usize, max: usize) {
    if len > max {
        errors.add(
            name,
            Msg::new(Code::TooMany).with("max", max).with("given", len),
        );
    }
}

pub(crate) fn tags(errors: &mut Errors, list: &[String]) -> Vec<String> {
    too_many(errors, "tags", list.len(), MAX_TAGS);
    let mut out: Vec<String> = Vec::new();
    for (i, t) in list.iter().enumerate() {
        match optional_text(Some(t), 50) {
            Ok(Some(t)) if !out.contains(&t) => out.push(t),
            Ok(_) => {}
            Err(m) => errors.add(format!("tags[{i}]"), m),
        }
    }
    out
}

impl PersonDraft {
    pub fn validate(&self) -> Result<PersonData, Invalid> {
        let mut e = Errors::default();
        let text = |e: &mut Errors, name: &str, v: &Option<String>, max| {
            e.check(name, optional_text(v.as_deref(), max)).flatten()
        };
        let civility = text(&mut e, "civility", &self.civility, 20);
        let first_name = text(&mut e, "first_name", &self.first_name, 100);
        let last_name = text(&mut e, "last_name", &self.last_name, 100);
        let job_title = text(&mut e, "job_title", &self.job_title, 200);
        let source = text(&mut e, "source", &self.source, 100);
        let notes = text(&mut e, "notes", &self.notes, 100_000);
        too_many(&mut e, "emails", self.emails.len(), MAX_CONTACTS);
        too_many(&mut e, "phones", self.phones.len(), MAX_CONTACTS);
        too_many(&mut e, "addresses", self.addresses.len(), MAX_CONTACTS);
        too_many(&mut e, "companies", self.companies.len(), MAX_CONTACTS);
        let emails = self.emails.iter().enumerate().filter_map(|(i, m)| {
            let kind = kind(&mut e, format!("emails[{i}].kind"), &m.kind, &EMAIL_KINDS);
            e.check(format!("emails[{i}].address"), Email::parse(&m.address))
                .map(|address| ValidEmail { kind, address })
        });
        let mut emails: Vec<ValidEmail> = emails.collect();
        emails.dedup_by(|a, b| a.address.key() == b.address.key());
        let mut phones: Vec<ValidPhone> = Vec::new();
        for (i, p) in self.phones.iter().enumerate() {
            let kind = kind(&mut e, format!("phones[{i}].kind"), &p.kind, &PHONE_KINDS);
            if let Some(number) = e.check(format!("phones[{i}].number"), Phone::parse(&p.number))
                && !phones.iter().any(|x| x.number == number)
            {
                phones.push(ValidPhone { kind, number });
            }
        }
        if first_name.is_none() && last_name.is_none() && emails.is_empty() {
            e.add("last_name", Code::PersonNeedsName);
        }
        let birthday = self.birthday.as_deref().filter(|b| !b.trim().is_empty());
        let birthday = birthday.and_then(|b| e.check("birthday", Birthday::parse(b)));
        let language = text(&mut e, "language", &self.language, 10).map(|l| l.to_ascii_lowercase());
        if let Some(l) = &language
            && (l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()))
        {
            e.add("language", Msg::new(Code::NotALanguage).with("value", l));
        }
        let preferred_channel = self
            .preferred_channel
            .as_deref()
            .filter(|c| !c.trim().is_empty());
        let preferred_channel =
            preferred_channel.and_then(|c| e.check("preferred_channel", Channel::parse(c)));
        let stage = match self.stage.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => e.check("stage", Stage::parse(s)).unwrap_or_default(),
            None => Stage::default(),
        };
        let addresses = addresses(&mut e, &self.addresses);
        let tags = tags(&mut e, &self.tags);
        let mut companies: Vec<CompanyLink> = Vec::new();
        for (i, c) in self.companies.iter().enumerate() {
            let role = e
                .check(
                    format!("companies[{i}].role"),
                    optional_text(c.role.as_deref(), 100),
                )
                .flatten();
            if !companies.iter().any(|x| x.company_id == c.company_id) {
                companies.push(CompanyLink {
                    company_id: c.company_id,
                    role,
                    primary: c.primary,
                });
            }
        }
        e.finish(|| PersonData {
            civility,
            first_name,
            last_name,
            job_title,
            companies,
            emails,
            phones,
            addresses,
            birthday,
            language,
            preferred_channel,
            stage,
            source,
            owner_id: self.owner_id,
            tags,
            notes,
            custom: self.custom.clone(),
        })
    }
}

impl PersonData {
    /// The name shown in lists: "First Last", or the e-mail when there is no name.
    pub fn display_name(&self) -> String {
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            self.emails
                .first()
                .map(|m| m.address.as_str().to_string())
                .unwrap_or_default()
        } else {
            name
        }
    }

    /// The folded key lists are sorted by: last name, then first name.
    pub fn sort_key(&self) -> String {
        let key = format!(
            "{} {}",
            self.last_name.as_deref().unwrap_or_default(),
            self.first_name.as_deref().unwrap_or_default()
        );
        let key = crate::text::fold(&key);
        if key.is_empty() {
            crate::text::fold(&self.display_name())
        } else {
            key
        }
    }

    /// Every folded term a search finds this person by (names, e-mails, phones).
    /// The words this person is found by: each word of their names, their e-mail
    /// addresses, their phone numbers as E.164 digits, and each word of the names of their
    /// companies (`company_names`), so that "moulins" finds the staff of "Les Deux Moulins".
    pub fn search_terms(&self, company_names: &[&str]) -> Vec<String> {
        let mut terms = Vec::new();
        for n in [&self.first_name, &self.last_name].into_iter().flatten() {
            terms.extend(crate::search::name_words(n));
        }
        terms.extend(self.emails.iter().map(|m| m.address.key()));
        terms.extend(self.phones.iter().map(|p| p.number.digits().to_string()));
        for c in company_names {
            terms.extend(crate::search::name_words(c));
        }
        crate::search::finish_terms(terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_have_sane_limits() {
        let draft: PersonDraft = serde_json::from_value(serde_json::json!({
            "last_name": "Tags",
            "tags": (0..101).map(|i| format!("t{i}")).collect::<Vec<_>>(),
            "emails": (0..51).map(|i| serde_json::json!({"address": format!("a{i}@example.fr")})).collect::<Vec<_>>(),
        }))
        .unwrap();
        let fields: Vec<String> = draft
            .validate()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert!(
            fields.contains(&"tags".to_string()) && fields.contains(&"emails".to_string()),
            "{fields:?}"
        );
    }

    fn draft(v: serde_json::Value) -> PersonDraft {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_valid_person_normalises_its_values() {
        let p = draft(serde_json::json!({
            "first_name": " Amélie ", "last_name": "Poulain",
            "emails": [{"kind": "WORK", "address": "amelie@deuxmoulins.example"}],
            "phones": [{"kind": "cell", "number": "06 40 50 60 70"}],
            "birthday": "03/09/1973", "stage": "client", "tags": ["vip", "vip"]
        }))
        .validate()
        .unwrap();
        assert_eq!(p.first_name.as_deref(), Some("Amélie"));
        assert_eq!(p.phones[0].number.as_str(), "+33640506070");
        assert_eq!(p.phones[0].kind, "mobile");
        assert_eq!(p.stage, Stage::Customer);
        assert_eq!(p.tags, vec!["vip"]);
        assert_eq!(p.sort_key(), "poulain amelie");
        assert_eq!(
            p.search_terms(&["Les Deux Moulins"]),
            [
                "33640506070",
                "amelie",
                "amelie@deuxmoulins.example",
                "deux",
                "les",
                "moulins",
                "poulain"
            ]
        );
        let back = serde_json::to_value(&p).unwrap();
        assert_eq!(back["birthday"], "1973-09-03");
        assert_eq!(
            draft(back).validate().unwrap(),
            p,
            "serialises to the draft's shape"
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let err = draft(serde_json::json!({
            "emails": [{"address": "not-an-email"}], "phones": [{"number": "12"}],
            "birthday": "32/13/2000", "stage": "boss", "language": "french"
        }))
        .validate()
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "emails[0].address",
                "phones[0].number",
                "last_name",
                "birthday",
                "language",
                "stage"
            ]
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(
            serde_json::from_value::<PersonDraft>(serde_json::json!({"frist_name": "x"})).is_err()
        );
    }
}
