//! Import of companies: row by row (a company names its group, which may be a row above
//! it), in the batches and with the log of `apply`.
use super::apply::{Event, OnDuplicate, Options, Report, Row, Writer, address};
use super::raw::RawCompany;
use super::rows::{WriteRow, row_by_row};
use crate::auth::Actor;
use crate::companies::Companies;
use crate::error::Result;
use crate::merge::Mergeable;
use crate::record;
use relais_domain::company::CompanyDraft;
use relais_domain::custom::Entity;
use relais_domain::{Code, Invalid, Msg, Resource};
use relais_store::Db;

/// Imports companies. The parent of a group is found by name among the existing companies
/// and those imported before it in the file.
pub async fn companies(
    db: &Db,
    actor: &Actor,
    opts: Options,
    next: impl FnMut() -> Option<Row<RawCompany>>,
    on: impl FnMut(Event<'_>),
) -> Result<Report> {
    let (w, mut report) = Writer::start(db, actor, opts, Resource::COMPANIES).await?;
    let write: WriteRow<RawCompany> =
        |w, actor, opts, raw, report| Box::pin(company_row(w, actor, opts, raw, report));
    row_by_row(
        (db, actor, opts),
        w,
        &mut report,
        next,
        on,
        |r| r.line,
        write,
    )
    .await?;
    Ok(report)
}

async fn company_row(
    w: &mut Writer<'_>,
    actor: &Actor,
    opts: Options,
    raw: &RawCompany,
    report: &mut Report,
) -> Result<std::result::Result<(), Invalid>> {
    let tx = w.tx().await?;
    let parent_id = match raw
        .parent
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) => {
            let probe = CompanyDraft {
                name: Some(p.to_string()),
                ..Default::default()
            };
            let found = match probe.validate() {
                Ok(d) => relais_store::companies::find_matches(tx, &d)
                    .await?
                    .first()
                    .copied(),
                Err(_) => None,
            };
            match found {
                Some(id) => Some(id),
                None => {
                    let reason = Msg::new(Code::NoSuchParent).with("name", p);
                    return Ok(Err(Invalid::one("parent", reason)));
                }
            }
        }
        None => None,
    };
    let draft = CompanyDraft {
        name: raw.name.clone(),
        siren: raw.siren.clone(),
        siret: raw.siret.clone(),
        vat_number: raw.vat_number.clone(),
        industry: raw.industry.clone(),
        size: raw.size.clone(),
        website: raw.website.clone(),
        email: raw.email.clone(),
        phone: raw.phone.clone(),
        addresses: raw
            .addresses
            .iter()
            .filter(|a| !a.is_empty())
            .map(address)
            .collect(),
        parent_id,
        owner_id: None,
        tags: raw.tags.clone(),
        notes: raw.notes.clone(),
        custom: raw
            .custom
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    };
    let (data, custom) = match crate::records::check::<Companies>(tx, actor, &draft, None).await {
        Ok(v) => v,
        Err(crate::CoreError::Invalid(i)) => return Ok(Err(i)),
        Err(e) => return Err(e),
    };
    let Some(existing) = relais_store::companies::find_matches(tx, &data)
        .await?
        .first()
        .copied()
    else {
        let id = crate::records::insert::<Companies>(tx, actor, &data, &custom).await?;
        w.created("company", id.0);
        report.created += 1;
        return Ok(Ok(()));
    };
    if opts.on_duplicate == OnDuplicate::Skip {
        report.skipped += 1;
        return Ok(Ok(()));
    }
    let current = crate::records::load::<Companies>(tx, existing, false).await?;
    let mut merged = current.data.clone();
    macro_rules! fill {
        ($($f:ident),*) => {$( if data.$f.is_some() { merged.$f = data.$f.clone(); } )*};
    }
    fill!(
        siren, siret, vat_number, industry, size, website, email, phone, parent_id, notes
    );
    // Addresses and tags are added to the stored ones, as a merge does.
    <Companies as Mergeable>::union(&mut merged, &data);
    merged.custom.extend(data.custom.clone());
    if record::diff(&current.data, &merged).is_empty() {
        report.unchanged += 1;
        return Ok(Ok(()));
    }
    let (writes, _) = record::resolve_custom(tx, Entity::COMPANY, &merged.custom).await?;
    crate::records::save::<Companies>(tx, actor, &current, merged, &writes).await?;
    w.updated("company", existing.0, &current.data, current.version + 1);
    report.updated += 1;
    Ok(Ok(()))
}
