//! People as contact tools read them: the columns of Google Contacts and Outlook
//! exports, and vCards.
use super::{Exported, Names};
use crate::error::Result;
use crate::import::raw::{RawAddress, RawContact};
use crate::people::People;
use relais_store::Tx;
use relais_store::people::PersonRecord;

const PEOPLE_HEADERS: [&str; 22] = [
    "ID",
    "Civility",
    "First Name",
    "Last Name",
    "Job Title",
    "Company",
    "E-mail",
    "Other E-mails",
    "Mobile Phone",
    "Other Phones",
    "Birthday",
    "Street",
    "Postal Code",
    "City",
    "Country",
    "Language",
    "Stage",
    "Source",
    "Tags",
    "Notes",
    "Created",
    "Updated",
];

impl Exported for People {
    const COLUMNS: &'static [&'static str] = &[];
    const VCARD: bool = true;

    fn headers() -> Vec<String> {
        PEOPLE_HEADERS.iter().map(|h| h.to_string()).collect()
    }

    fn row(p: &PersonRecord, names: &Names) -> Vec<String> {
        person_row(p, names)
    }

    /// The names of their companies.
    async fn names(tx: &mut Tx, rows: &[PersonRecord]) -> Result<Names> {
        let mut ids: Vec<_> = rows
            .iter()
            .flat_map(|p| p.data.companies.iter().map(|c| c.company_id))
            .collect();
        ids.sort();
        ids.dedup();
        Ok(
            relais_store::records::get_many::<relais_store::companies::Companies>(tx, &ids)
                .await?
                .into_iter()
                .map(|c| (c.id.0, c.data.name))
                .collect(),
        )
    }

    fn vcard(p: &PersonRecord, names: &Names) -> Option<String> {
        Some(crate::import::vcard::write_vcard(&as_contact(p, names)))
    }
}

fn person_row(p: &PersonRecord, names: &Names) -> Vec<String> {
    let d = &p.data;
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let mobile = d
        .phones
        .iter()
        .find(|x| x.kind == "mobile")
        .or(d.phones.first());
    let other_phones: Vec<&str> = d
        .phones
        .iter()
        .filter(|x| Some(*x) != mobile)
        .map(|x| x.number.as_str())
        .collect();
    let address = d.addresses.first();
    let a = |f: fn(&relais_domain::person::Address) -> &Option<String>| {
        address.and_then(|x| f(x).clone()).unwrap_or_default()
    };
    vec![
        p.id.to_string(),
        s(&d.civility),
        s(&d.first_name),
        s(&d.last_name),
        s(&d.job_title),
        d.companies
            .first()
            .and_then(|c| names.get(&c.company_id.0))
            .cloned()
            .unwrap_or_default(),
        d.emails
            .first()
            .map(|e| e.address.as_str().to_string())
            .unwrap_or_default(),
        d.emails
            .iter()
            .skip(1)
            .map(|e| e.address.as_str())
            .collect::<Vec<_>>()
            .join(" ::: "),
        mobile
            .map(|x| x.number.as_str().to_string())
            .unwrap_or_default(),
        other_phones.join(" ::: "),
        d.birthday.map(|b| b.to_string()).unwrap_or_default(),
        a(|x| &x.street),
        a(|x| &x.postal_code),
        a(|x| &x.city),
        a(|x| &x.country),
        s(&d.language),
        d.stage.as_str().to_string(),
        s(&d.source),
        d.tags.join(" ::: "),
        s(&d.notes),
        p.created_at.to_rfc3339(),
        p.updated_at.to_rfc3339(),
    ]
}

fn as_contact(p: &PersonRecord, names: &Names) -> RawContact {
    let d = &p.data;
    RawContact {
        line: 0,
        uid: Some(format!("urn:uuid:{}", p.id)),
        civility: d.civility.clone(),
        first_name: d.first_name.clone(),
        last_name: d.last_name.clone(),
        full_name: Some(d.display_name()),
        job_title: d.job_title.clone(),
        company: d
            .companies
            .first()
            .and_then(|c| names.get(&c.company_id.0))
            .cloned(),
        emails: d
            .emails
            .iter()
            .map(|e| (e.kind.clone(), e.address.as_str().to_string()))
            .collect(),
        phones: d
            .phones
            .iter()
            .map(|x| (x.kind.clone(), x.number.as_str().to_string()))
            .collect(),
        addresses: d
            .addresses
            .iter()
            .map(|a| RawAddress {
                kind: a.kind.clone(),
                street: a.street.clone(),
                postal_code: a.postal_code.clone(),
                city: a.city.clone(),
                region: a.region.clone(),
                country: a.country.clone(),
            })
            .collect(),
        birthday: d.birthday.map(|b| b.to_string()),
        language: d.language.clone(),
        stage: None,
        source: None,
        tags: d.tags.clone(),
        notes: d.notes.clone(),
        website: None,
        custom: vec![],
    }
}
