//! The shape every import source (CSV row, vCard) is read into before validation.
//! Values are kept as the user wrote them; `crate::import` turns them into domain types
//! and reports what is wrong, field by field.

/// One contact as read from a file, before any validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawContact {
    /// 1-based line (CSV) or card number (vCard) in the source, for error reports.
    pub line: u64,
    /// A stable identifier from the source (vCard UID), kept on export.
    pub uid: Option<String>,
    pub civility: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// A display name given without its parts ("FN" in vCard, "Name" in some CSVs).
    pub full_name: Option<String>,
    pub job_title: Option<String>,
    pub company: Option<String>,
    /// (kind, address): kind is "work", "home" or "other".
    pub emails: Vec<(String, String)>,
    /// (kind, number as written): kind is "mobile", "work", "home", "fax" or "other".
    pub phones: Vec<(String, String)>,
    pub addresses: Vec<RawAddress>,
    /// As written: "1815-12-10", "10/12/1815", "--12-10", "18151210", "10/12".
    pub birthday: Option<String>,
    pub language: Option<String>,
    pub stage: Option<String>,
    pub source: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub website: Option<String>,
    /// Values for admin-defined custom fields, keyed by the field's key.
    pub custom: Vec<(String, String)>,
}

/// A postal address as read from a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawAddress {
    /// "work", "home" or "other".
    pub kind: String,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
}

impl RawAddress {
    pub fn is_empty(&self) -> bool {
        [
            &self.street,
            &self.postal_code,
            &self.city,
            &self.region,
            &self.country,
        ]
        .iter()
        .all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty()))
    }
}

/// One company as read from a file, before any validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCompany {
    /// 1-based line in the source, for error reports.
    pub line: u64,
    pub name: Option<String>,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub vat_number: Option<String>,
    pub industry: Option<String>,
    /// Head-count band as written ("1-9", "10-49", "250+", ...).
    pub size: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub addresses: Vec<RawAddress>,
    /// Name of the parent company of a group.
    pub parent: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub custom: Vec<(String, String)>,
}

/// A record of any other kind as read from a file: its fields' values as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRecord {
    pub line: u64,
    /// (field, value), in column order; a field given twice keeps both.
    pub values: Vec<(&'static str, String)>,
    pub custom: Vec<(String, String)>,
}
