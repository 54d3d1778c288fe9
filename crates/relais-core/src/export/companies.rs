//! Companies as a spreadsheet reads them.
use super::{Exported, Names};
use crate::companies::Companies;
use crate::error::Result;
use relais_store::Tx;
use relais_store::companies::CompanyRecord;

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

impl Exported for Companies {
    const COLUMNS: &'static [&'static str] = &[];

    fn headers() -> Vec<String> {
        COMPANY_HEADERS.iter().map(|h| h.to_string()).collect()
    }

    fn row(c: &CompanyRecord, names: &Names) -> Vec<String> {
        company_row(c, names)
    }

    /// The names of their groups.
    async fn names(tx: &mut Tx, rows: &[CompanyRecord]) -> Result<Names> {
        let parents: Vec<_> = rows.iter().filter_map(|c| c.data.parent_id).collect();
        Ok(relais_store::records::get_many::<Companies>(tx, &parents)
            .await?
            .into_iter()
            .map(|c| (c.id.0, c.data.name))
            .collect())
    }
}

fn company_row(c: &CompanyRecord, names: &Names) -> Vec<String> {
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
            .and_then(|p| names.get(&p.0))
            .cloned()
            .unwrap_or_default(),
        d.tags.join(" ::: "),
    ]
}
