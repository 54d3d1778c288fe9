//! Export of people and companies: CSV (spreadsheet-safe) and vCard 4.0. Records are read
//! page by page with the keyset cursor, so memory stays flat however many there are.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::import::raw::{RawAddress, RawContact};
use relais_domain::custom::Entity;
use relais_domain::filter::Sort;
use relais_domain::{Action, CompanyId, Resource};
use relais_store::Db;
use relais_store::companies::CompanyRecord;
use relais_store::filter::Page;
use relais_store::people::PersonRecord;
use std::collections::HashMap;
use std::io::Write;

pub mod job;

const PAGE: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Vcard,
}

/// A spreadsheet runs a cell starting with `=`, `+`, `-`, `@` (or a tab / carriage return
/// before one) as a formula: such cells get a leading apostrophe, which spreadsheets show
/// as text (OWASP's advice against CSV injection).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Moves what the CSV writer buffered for a page to the output.
fn flush<W: Write + ?Sized>(csv: &mut csv::Writer<Vec<u8>>, out: &mut W) -> Result<()> {
    let page = std::mem::replace(csv, csv::WriterBuilder::new().from_writer(Vec::new()));
    out.write_all(&page.into_inner().map_err(io)?).map_err(io)
}

fn io(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(format!("cannot write the export: {e}"))
}

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

/// Writes every person (not in the trash); `progress` gets the count so far. Returns the count.
pub async fn people<W: Write + ?Sized>(
    db: &Db,
    actor: &Actor,
    format: Format,
    out: &mut W,
    progress: impl FnMut(u64),
) -> Result<u64> {
    people_where(db, actor, format, &[], out, progress).await
}

/// The people a list's filters select (`params` as a list takes them: `stage=customer`,
/// `id=<id>,<id>`...), exported as `people` exports everyone.
pub async fn people_where<W: Write + ?Sized>(
    db: &Db,
    actor: &Actor,
    format: Format,
    params: &[(String, String)],
    out: &mut W,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    actor.require(Action::Read, Resource::Transfer)?;
    let mut tx = db.read().await?;
    let ctx = crate::record::context(&mut tx).await?;
    let filter = crate::record::filter_of(params, &relais_domain::filter::schema::PEOPLE, &ctx)?;
    let custom_keys: Vec<String> = ctx
        .custom
        .iter()
        .filter(|d| d.entity == Entity::PERSON.as_str())
        .map(|d| d.key.clone())
        .collect();
    let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
    if format == Format::Csv {
        // A BOM, so that Excel opens the UTF-8 file with its accents right.
        out.write_all("\u{feff}".as_bytes()).map_err(io)?;
        let mut header: Vec<String> = PEOPLE_HEADERS.iter().map(|h| h.to_string()).collect();
        header.extend(custom_keys.iter().map(|k| format!("custom.{k}")));
        csv.write_record(&header).map_err(io)?;
    }
    let mut page = Page {
        after: None,
        limit: PAGE,
        trash: false,
    };
    let mut count = 0;
    loop {
        let mut rows = relais_store::records::list::<relais_store::people::People>(
            &mut tx,
            &filter,
            Sort::default(),
            &page,
            &ctx,
        )
        .await?;
        let more = rows.len() as u64 > PAGE;
        rows.truncate(PAGE as usize);
        let names = company_names(&mut tx, &rows).await?;
        for p in &rows {
            match format {
                Format::Csv => csv
                    .write_record(
                        person_row(p, &names, &custom_keys)
                            .iter()
                            .map(|c| neutralise(c).into_owned()),
                    )
                    .map_err(io)?,
                Format::Vcard => out
                    .write_all(crate::import::vcard::write_vcard(&as_contact(p, &names)).as_bytes())
                    .map_err(io)?,
            }
        }
        if format == Format::Csv {
            flush(&mut csv, out)?;
        }
        count += rows.len() as u64;
        progress(count);
        match rows.last() {
            Some(last) if more => page.after = Some((last.data.sort_key(), last.id.0)),
            _ => break,
        }
    }
    out.flush().map_err(io)?;
    Ok(count)
}

async fn company_names(
    tx: &mut relais_store::Tx,
    rows: &[PersonRecord],
) -> Result<HashMap<CompanyId, String>> {
    let mut ids: Vec<CompanyId> = rows
        .iter()
        .flat_map(|p| p.data.companies.iter().map(|c| c.company_id))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(
        relais_store::records::get_many::<relais_store::companies::Companies>(tx, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c.data.name))
            .collect(),
    )
}

fn person_row(
    p: &PersonRecord,
    names: &HashMap<CompanyId, String>,
    custom_keys: &[String],
) -> Vec<String> {
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
    let mut row = vec![
        p.id.to_string(),
        s(&d.civility),
        s(&d.first_name),
        s(&d.last_name),
        s(&d.job_title),
        d.companies
            .first()
            .and_then(|c| names.get(&c.company_id))
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
    ];
    for k in custom_keys {
        row.push(match d.custom.get(k) {
            Some(serde_json::Value::String(v)) => v.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        });
    }
    row
}

fn as_contact(p: &PersonRecord, names: &HashMap<CompanyId, String>) -> RawContact {
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
            .and_then(|c| names.get(&c.company_id))
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

const COMPANY_HEADERS: [&str; 16] = [
    "ID",
    "Name",
    "SIREN",
    "SIRET",
    "VAT number",
    "Industry",
    "Size",
    "Website",
    "Email",
    "Phone",
    "Street",
    "Postal Code",
    "City",
    "Country",
    "Parent company",
    "Tags",
];

/// Writes every company (not in the trash) as CSV; vCard is for people only.
pub async fn companies<W: Write + ?Sized>(
    db: &Db,
    actor: &Actor,
    format: Format,
    out: &mut W,
    progress: impl FnMut(u64),
) -> Result<u64> {
    companies_where(db, actor, format, &[], out, progress).await
}

/// The companies a list's filters select, exported as `companies` exports them all.
pub async fn companies_where<W: Write + ?Sized>(
    db: &Db,
    actor: &Actor,
    format: Format,
    params: &[(String, String)],
    out: &mut W,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    actor.require(Action::Read, Resource::Transfer)?;
    if format == Format::Vcard {
        return Err(
            relais_domain::Invalid::one("format", relais_domain::Code::CompaniesAsCsv).into(),
        );
    }
    let mut tx = db.read().await?;
    let ctx = crate::record::context(&mut tx).await?;
    let filter = crate::record::filter_of(params, &relais_domain::filter::schema::COMPANIES, &ctx)?;
    out.write_all("\u{feff}".as_bytes()).map_err(io)?;
    let mut csv = csv::WriterBuilder::new().from_writer(Vec::new());
    csv.write_record(COMPANY_HEADERS).map_err(io)?;
    let mut page = Page {
        after: None,
        limit: PAGE,
        trash: false,
    };
    let mut names: HashMap<CompanyId, String> = HashMap::new();
    let mut count = 0;
    loop {
        let mut rows = relais_store::records::list::<relais_store::companies::Companies>(
            &mut tx,
            &filter,
            Sort::default(),
            &page,
            &ctx,
        )
        .await?;
        let more = rows.len() as u64 > PAGE;
        rows.truncate(PAGE as usize);
        let parents: Vec<CompanyId> = rows
            .iter()
            .filter_map(|c| c.data.parent_id)
            .filter(|p| !names.contains_key(p))
            .collect();
        for p in
            relais_store::records::get_many::<relais_store::companies::Companies>(&mut tx, &parents)
                .await?
        {
            names.insert(p.id, p.data.name);
        }
        for c in &rows {
            csv.write_record(
                company_row(c, &names)
                    .iter()
                    .map(|v| neutralise(v).into_owned()),
            )
            .map_err(io)?;
        }
        flush(&mut csv, out)?;
        count += rows.len() as u64;
        progress(count);
        match rows.last() {
            Some(last) if more => page.after = Some((last.data.sort_key(), last.id.0)),
            _ => break,
        }
    }
    out.flush().map_err(io)?;
    Ok(count)
}

fn company_row(c: &CompanyRecord, names: &HashMap<CompanyId, String>) -> Vec<String> {
    let d = &c.data;
    let s = |v: Option<&str>| v.unwrap_or_default().to_string();
    let address = d.addresses.first();
    let a = |f: fn(&relais_domain::person::Address) -> &Option<String>| {
        address.and_then(|x| f(x).clone()).unwrap_or_default()
    };
    vec![
        c.id.to_string(),
        d.name.clone(),
        s(d.siren.as_ref().map(|v| v.as_str())),
        s(d.siret.as_ref().map(|v| v.as_str())),
        s(d.vat_number.as_ref().map(|v| v.as_str())),
        s(d.industry.as_deref()),
        s(d.size.as_deref()),
        s(d.website.as_deref()),
        s(d.email.as_ref().map(|v| v.as_str())),
        s(d.phone.as_ref().map(|v| v.as_str())),
        a(|x| &x.street),
        a(|x| &x.postal_code),
        a(|x| &x.city),
        a(|x| &x.country),
        d.parent_id
            .and_then(|p| names.get(&p))
            .cloned()
            .unwrap_or_default(),
        d.tags.join(" ::: "),
    ]
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://evil\")"),
            "'=HYPERLINK(\"http://evil\")"
        );
        assert_eq!(neutralise("+33640506070"), "'+33640506070");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("Ada"), "Ada");
    }
}
