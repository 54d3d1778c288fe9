//! Streaming CSV reader for imports of people, companies and any other kind of record.
//!
//! Files come as people really have them: UTF-8 with or without BOM or Windows-1252 (French
//! Excel), `,` `;` or tab separated, with French or English headers, or the exact exports of
//! Google Contacts, Outlook and HubSpot. [`CsvSource::open`] reads a bounded prefix (64 KiB) to
//! detect the encoding and the delimiter, maps the header cells to target fields, then rows are
//! read one at a time with a reused [`csv::ByteRecord`]: memory stays flat whatever the size of
//! the file.
//!
//! Values are kept as written (trimmed, empty → `None`); nothing is validated here, see
//! [`crate::import::raw`].
//!
//! Target field names (for an explicit mapping) are listed by [`person_fields`] and
//! [`company_fields`]. Besides those, `custom.<key>` (or `cf:<key>`) maps a column to a custom
//! field, `""` / `"ignore"` ignores a column, and for people the numbered fields of Google
//! Contacts exports are accepted: `email.<n>.type`, `email.<n>.value`, `phone.<n>.type`,
//! `phone.<n>.value`, `address.<n>.type`, `address.<n>.street`, `address.<n>.extended`,
//! `address.<n>.formatted`, `address.<n>.postal_code`, `address.<n>.city`,
//! `address.<n>.region`, `address.<n>.country` (the type column gives the kind of the values
//! with the same number).

use std::collections::VecDeque;
use std::io::{self, Chain, Cursor, Read};
use std::ops::Range;

use csv::ByteRecord;

use super::raw::{RawAddress, RawCompany, RawContact, RawRecord};

/// How many bytes [`CsvSource::open`] reads to detect the encoding and the delimiter.
const SAMPLE_SIZE: usize = 64 * 1024;

/// What the rows of the file describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// People, read with the vocabularies of contact tools (Google, Outlook, HubSpot...).
    People,
    /// Companies, likewise.
    Companies,
    /// Records of another kind, whose columns are named by these fields (`reference`,
    /// `unit_price`...; case, accents and separators aside).
    Fields(&'static [&'static str]),
}

/// The mapping of the file's columns to target fields, in column order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    /// (header as in the file, target field name or `None` when the column is ignored).
    pub columns: Vec<(String, Option<String>)>,
}

impl ColumnMapping {
    /// Headers of the columns that are not imported, to report them.
    pub fn ignored(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|(_, t)| t.is_none())
            .map(|(h, _)| h.as_str())
            .collect()
    }
}

impl From<&CsvError> for relais_domain::Msg {
    fn from(e: &CsvError) -> Self {
        use relais_domain::{Code, Msg};
        match e {
            CsvError::Empty => Code::FileEmpty.into(),
            CsvError::Utf16 => Code::FileUtf16.into(),
            CsvError::NoRecognisableColumn { headers } => {
                Msg::new(Code::NoColumnRecognised).with("headers", headers.join(", "))
            }
            CsvError::UnknownTarget(t) => Msg::new(Code::MappingUnknownTarget).with("value", t),
            CsvError::UnknownColumn(c) => Msg::new(Code::MappingUnknownColumn).with("value", c),
            CsvError::UnterminatedHeader { line } => {
                Msg::new(Code::UnterminatedHeader).with("line", line)
            }
            CsvError::Io(e) => Msg::new(Code::ReadError).with("reason", e),
        }
    }
}

/// A problem with the file as a whole: nothing can be imported.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is in UTF-16; save it as \"CSV UTF-8\" or \"CSV (separator: semicolon)\"")]
    Utf16,
    #[error("no column is recognised (headers: {})", .headers.join(", "))]
    NoRecognisableColumn { headers: Vec<String> },
    #[error("unknown target field \"{0}\" in the column mapping")]
    UnknownTarget(String),
    #[error("the column mapping names a column \"{0}\" that the file does not have")]
    UnknownColumn(String),
    #[error("line {line}: unterminated quoted field in the header")]
    UnterminatedHeader { line: u64 },
    #[error("read error: {0}")]
    Io(#[from] io::Error),
}

/// A row that cannot be read. [`RowError::reason`] does not repeat the line; the `Display`
/// form is `line N: reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// 1-based physical line where the row starts.
    pub line: u64,
    pub reason: relais_domain::Msg,
    /// The row's cells, decoded lossily, for the rejected-rows file.
    pub raw: Vec<String>,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for RowError {}

/// Target field names for people (see the module documentation for the other accepted names).
pub fn person_fields() -> &'static [&'static str] {
    &[
        "civility",
        "first_name",
        "middle_name",
        "last_name",
        "full_name",
        "job_title",
        "company",
        "email",
        "email.work",
        "email.home",
        "phone",
        "phone.mobile",
        "phone.work",
        "phone.home",
        "phone.fax",
        "street",
        "postal_code",
        "city",
        "region",
        "country",
        "street.work",
        "postal_code.work",
        "city.work",
        "region.work",
        "country.work",
        "street.home",
        "postal_code.home",
        "city.home",
        "region.home",
        "country.home",
        "birthday",
        "language",
        "stage",
        "source",
        "tags",
        "notes",
        "website",
        "uid",
    ]
}

/// Target field names for companies (plus `custom.<key>`).
pub fn company_fields() -> &'static [&'static str] {
    &[
        "name",
        "siren",
        "siret",
        "vat_number",
        "industry",
        "size",
        "website",
        "email",
        "phone",
        "street",
        "postal_code",
        "city",
        "region",
        "country",
        "parent",
        "notes",
        "tags",
    ]
}

// ---------------------------------------------------------------------------------------------
// Target fields
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Street,
    /// Second line of a street address (Google's "Extended Address").
    Extended,
    /// Whole address in one cell (Google's "Formatted"), used when there is no street.
    Formatted,
    PostalCode,
    City,
    Region,
    Country,
}

impl Part {
    const ALL: [Part; 7] = [
        Part::Street,
        Part::Extended,
        Part::Formatted,
        Part::PostalCode,
        Part::City,
        Part::Region,
        Part::Country,
    ];

    fn name(self) -> &'static str {
        match self {
            Part::Street => "street",
            Part::Extended => "extended",
            Part::Formatted => "formatted",
            Part::PostalCode => "postal_code",
            Part::City => "city",
            Part::Region => "region",
            Part::Country => "country",
        }
    }

    fn parse(s: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.name() == s)
    }

    /// Parts that can be mapped without a Google slot number.
    fn is_plain(self) -> bool {
        !matches!(self, Part::Extended | Part::Formatted)
    }
}

const EMAIL_KINDS: [&str; 3] = ["work", "home", "other"];
const PHONE_KINDS: [&str; 5] = ["mobile", "work", "home", "fax", "other"];
const ADDRESS_KINDS: [&str; 3] = ["work", "home", "other"];

fn kind_in(list: &[&'static str], s: &str) -> Option<&'static str> {
    list.iter().copied().find(|k| *k == s)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Civility,
    FirstName,
    MiddleName,
    LastName,
    FullName,
    JobTitle,
    Company,
    Email(&'static str),
    Phone(&'static str),
    Address(&'static str, Part),
    EmailType(u32),
    EmailValue(u32),
    PhoneType(u32),
    PhoneValue(u32),
    AddressType(u32),
    AddressSlot(u32, Part),
    Birthday,
    Language,
    Stage,
    Source,
    Tags,
    Notes,
    Website,
    Uid,
    // Companies only.
    Name,
    Siren,
    Siret,
    VatNumber,
    Industry,
    Size,
    Parent,
    Custom(String),
    /// A field of a kind read by its name (`Target::Fields`).
    Named(&'static str),
}

impl Field {
    /// The target field name, as accepted by an explicit mapping.
    fn name(&self) -> String {
        let s = match self {
            Field::Civility => "civility",
            Field::FirstName => "first_name",
            Field::MiddleName => "middle_name",
            Field::LastName => "last_name",
            Field::FullName => "full_name",
            Field::JobTitle => "job_title",
            Field::Company => "company",
            Field::Email("other") => "email",
            Field::Email(k) => return format!("email.{k}"),
            Field::Phone("other") => "phone",
            Field::Phone(k) => return format!("phone.{k}"),
            Field::Address("other", p) => p.name(),
            Field::Address(k, p) => return format!("{}.{k}", p.name()),
            Field::EmailType(n) => return format!("email.{n}.type"),
            Field::EmailValue(n) => return format!("email.{n}.value"),
            Field::PhoneType(n) => return format!("phone.{n}.type"),
            Field::PhoneValue(n) => return format!("phone.{n}.value"),
            Field::AddressType(n) => return format!("address.{n}.type"),
            Field::AddressSlot(n, p) => return format!("address.{n}.{}", p.name()),
            Field::Birthday => "birthday",
            Field::Language => "language",
            Field::Stage => "stage",
            Field::Source => "source",
            Field::Tags => "tags",
            Field::Notes => "notes",
            Field::Website => "website",
            Field::Uid => "uid",
            Field::Name => "name",
            Field::Siren => "siren",
            Field::Siret => "siret",
            Field::VatNumber => "vat_number",
            Field::Industry => "industry",
            Field::Size => "size",
            Field::Parent => "parent",
            Field::Custom(k) => return format!("custom.{k}"),
            Field::Named(n) => n,
        };
        s.to_string()
    }

    /// Parses a target field name of an explicit mapping. `Ok(None)` ignores the column.
    fn parse(name: &str, target: Target) -> Result<Option<Field>, CsvError> {
        let n = name.trim();
        if n.is_empty() || n.eq_ignore_ascii_case("ignore") || n == "-" {
            return Ok(None);
        }
        if let Some(f) = custom_field(n) {
            return Ok(Some(f));
        }
        let lower = n.to_ascii_lowercase();
        let f = match target {
            Target::People => parse_person_field(&lower),
            Target::Companies => parse_company_field(&lower),
            Target::Fields(fields) => named_field(fields, &lower),
        };
        f.map(Some)
            .ok_or_else(|| CsvError::UnknownTarget(n.to_string()))
    }
}

/// `custom.<key>` or `cf:<key>` (prefix case-insensitive, key kept as written).
fn custom_field(header: &str) -> Option<Field> {
    let h = header.trim();
    for prefix in ["custom.", "cf:"] {
        if let Some(head) = h.get(..prefix.len())
            && head.eq_ignore_ascii_case(prefix)
        {
            let key = h.get(prefix.len()..).unwrap_or_default().trim();
            if !key.is_empty() {
                return Some(Field::Custom(key.to_string()));
            }
        }
    }
    None
}

fn parse_person_field(n: &str) -> Option<Field> {
    let f = match n {
        "civility" => Field::Civility,
        "first_name" => Field::FirstName,
        "middle_name" => Field::MiddleName,
        "last_name" => Field::LastName,
        "full_name" => Field::FullName,
        "job_title" => Field::JobTitle,
        "company" => Field::Company,
        "email" => Field::Email("other"),
        "phone" => Field::Phone("other"),
        "birthday" => Field::Birthday,
        "language" => Field::Language,
        "stage" => Field::Stage,
        "source" => Field::Source,
        "tags" => Field::Tags,
        "notes" => Field::Notes,
        "website" => Field::Website,
        "uid" => Field::Uid,
        _ => {
            if let Some(p) = Part::parse(n).filter(|p| p.is_plain()) {
                return Some(Field::Address("other", p));
            }
            let parts: Vec<&str> = n.split('.').collect();
            return match parts.as_slice() {
                ["email", k] => kind_in(&EMAIL_KINDS, k).map(Field::Email),
                ["phone", k] => kind_in(&PHONE_KINDS, k).map(Field::Phone),
                [p, k] => {
                    let part = Part::parse(p).filter(|p| p.is_plain())?;
                    kind_in(&ADDRESS_KINDS, k).map(|k| Field::Address(k, part))
                }
                [base, num, sub] => {
                    let num: u32 = num.parse().ok().filter(|n| *n > 0)?;
                    match (*base, *sub) {
                        ("email", "type") => Some(Field::EmailType(num)),
                        ("email", "value") => Some(Field::EmailValue(num)),
                        ("phone", "type") => Some(Field::PhoneType(num)),
                        ("phone", "value") => Some(Field::PhoneValue(num)),
                        ("address", "type") => Some(Field::AddressType(num)),
                        ("address", p) => Part::parse(p).map(|p| Field::AddressSlot(num, p)),
                        _ => None,
                    }
                }
                _ => None,
            };
        }
    };
    Some(f)
}

fn parse_company_field(n: &str) -> Option<Field> {
    let f = match n {
        "name" => Field::Name,
        "siren" => Field::Siren,
        "siret" => Field::Siret,
        "vat_number" => Field::VatNumber,
        "industry" => Field::Industry,
        "size" => Field::Size,
        "website" => Field::Website,
        "email" => Field::Email("other"),
        "phone" => Field::Phone("other"),
        "parent" => Field::Parent,
        "notes" => Field::Notes,
        "tags" => Field::Tags,
        _ => {
            return Part::parse(n)
                .filter(|p| p.is_plain())
                .map(|p| Field::Address("other", p));
        }
    };
    Some(f)
}

// ---------------------------------------------------------------------------------------------
// Automatic header mapping
// ---------------------------------------------------------------------------------------------

/// Lower-case ASCII letters and digits only: accents folded, spaces and punctuation dropped.
/// "Téléphone (bureau)" → "telephonebureau", "E-mail 1 - Value" → "email1value".
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !ch.is_ascii() && ch.is_alphabetic() {
            let folded = deunicode::deunicode_char(ch).unwrap_or("");
            out.extend(
                folded
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase()),
            );
        }
    }
    out
}

/// The field of these whose name is `name`, case, accents and separators aside
/// ("Unit price" is `unit_price`).
fn named_field(fields: &'static [&'static str], name: &str) -> Option<Field> {
    let norm = normalize(name);
    fields
        .iter()
        .find(|f| normalize(f) == norm)
        .map(|f| Field::Named(f))
}

/// Maps a header cell automatically. `None`: the column is not imported.
fn auto_field(header: &str, target: Target) -> Option<Field> {
    if let Some(f) = custom_field(header) {
        return Some(f);
    }
    if let Target::Fields(fields) = target {
        return named_field(fields, header);
    }
    let norm = normalize(header);
    if norm.is_empty() {
        return None;
    }
    if let Some(f) = slot_field(&norm, target) {
        return f;
    }
    let lookup = |k: &str| match target {
        Target::People => person_key(k),
        Target::Companies | Target::Fields(_) => company_key(k),
    };
    lookup(&norm).or_else(|| {
        // "Adresse 2", "Business Street 3", "E-mail 2"...
        let base = norm.trim_end_matches(|c: char| c.is_ascii_digit());
        (base.len() != norm.len() && !base.is_empty())
            .then(|| lookup(base))
            .flatten()
    })
}

/// Numbered columns of Google Contacts ("E-mail 1 - Value", "Address 2 - City",
/// "Organization 1 - Name") and Outlook ("E-mail 2 Address"). `Some(None)`: recognised and
/// deliberately not imported.
fn slot_field(norm: &str, target: Target) -> Option<Option<Field>> {
    for prefix in ["email", "phone", "address", "organization", "website"] {
        let Some(rest) = norm.strip_prefix(prefix) else {
            continue;
        };
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (num, sub) = rest.split_at(digits);
        if num.is_empty() || sub.is_empty() {
            continue;
        }
        let Ok(n) = num.parse::<u32>() else {
            return Some(None);
        };
        let people = target == Target::People;
        let f = match (prefix, sub) {
            ("email", "type" | "label") if people => Some(Field::EmailType(n)),
            ("email", "value") if people => Some(Field::EmailValue(n)),
            ("email", "value" | "address") => Some(Field::Email("other")),
            ("phone", "type" | "label") if people => Some(Field::PhoneType(n)),
            ("phone", "value") if people => Some(Field::PhoneValue(n)),
            ("phone", "value") => Some(Field::Phone("other")),
            ("address", s) if people => match s {
                "type" | "label" => Some(Field::AddressType(n)),
                "street" => Some(Field::AddressSlot(n, Part::Street)),
                "extendedaddress" => Some(Field::AddressSlot(n, Part::Extended)),
                "formatted" => Some(Field::AddressSlot(n, Part::Formatted)),
                "postalcode" => Some(Field::AddressSlot(n, Part::PostalCode)),
                "city" => Some(Field::AddressSlot(n, Part::City)),
                "region" => Some(Field::AddressSlot(n, Part::Region)),
                "country" => Some(Field::AddressSlot(n, Part::Country)),
                _ => None,
            },
            ("organization", "name") if people => Some(Field::Company),
            ("organization", "name") => Some(Field::Name),
            ("organization", "title") if people => Some(Field::JobTitle),
            ("website", "value") => Some(Field::Website),
            _ => None,
        };
        return Some(f);
    }
    None
}

/// Keys shared by people and companies: emails, phones, addresses, notes, tags, website.
fn common_key(k: &str) -> Option<Field> {
    use Part::*;
    let f = match k {
        "email"
        | "mail"
        | "courriel"
        | "adresseemail"
        | "adressemail"
        | "adressecourriel"
        | "emailaddress"
        | "adressedemessagerie"
        | "adresseelectronique"
        | "emailadresse"
        | "adressemel"
        | "mel" => Field::Email("other"),
        "emailprofessionnel"
        | "emailpro"
        | "emailtravail"
        | "workemail"
        | "businessemail"
        | "emailwork"
        | "courrielprofessionnel"
        | "mailpro"
        | "adresseemailprofessionnelle" => Field::Email("work"),
        "emailpersonnel"
        | "emailperso"
        | "personalemail"
        | "homeemail"
        | "emailhome"
        | "mailperso"
        | "courrielpersonnel"
        | "adresseemailpersonnelle" => Field::Email("home"),

        "telephone" | "tel" | "phone" | "phonenumber" | "numerodetelephone" | "numerotelephone"
        | "ndetelephone" | "numerodetel" | "telephonestandard" | "telephonefixe" | "telfixe"
        | "fixe" | "primaryphone" | "telephoneprincipal" | "otherphone" | "autretelephone"
        | "standard" | "carphone" | "telephonevoiture" | "pager" => Field::Phone("other"),
        "telephoneportable" | "portable" | "mobile" | "telportable" | "telmobile"
        | "telephonemobile" | "cell" | "cellphone" | "mobilephone" | "mobilephonenumber"
        | "gsm" | "numerodeportable" | "numerodemobile" | "mobilenumber" => Field::Phone("mobile"),
        "telbureau"
        | "telephonebureau"
        | "telephoneprofessionnel"
        | "telpro"
        | "telephonepro"
        | "businessphone"
        | "workphone"
        | "officephone"
        | "companymainphone"
        | "telephonesociete"
        | "telephonetravail"
        | "teltravail"
        | "lignedirecte" => Field::Phone("work"),
        "teldomicile" | "telephonedomicile" | "homephone" | "telephonepersonnel" | "telperso"
        | "telephoneperso" => Field::Phone("home"),
        "fax" | "telecopie" | "businessfax" | "homefax" | "otherfax" | "telecopiebureau"
        | "telecopiedomicile" | "autretelecopie" | "numerodefax" | "faxnumber" => {
            Field::Phone("fax")
        }

        "adresse" | "rue" | "address" | "street" | "streetaddress" | "adressepostale"
        | "complementdadresse" | "complementadresse" | "addressline" | "ligneadresse"
        | "adresseligne" | "voie" | "otherstreet" | "autrerue" | "adresserue" => {
            Field::Address("other", Street)
        }
        "businessstreet"
        | "ruebureau"
        | "adressebureau"
        | "adresseprofessionnelle"
        | "workaddress"
        | "businessaddress"
        | "adressetravail" => Field::Address("work", Street),
        "homestreet" | "ruedomicile" | "adressedomicile" | "homeaddress" | "adressepersonnelle" => {
            Field::Address("home", Street)
        }
        "codepostal" | "cp" | "zip" | "zipcode" | "postalcode" | "postcode" | "otherpostalcode"
        | "codepostalautre" => Field::Address("other", PostalCode),
        "businesspostalcode" | "codepostalbureau" | "businesszip" => {
            Field::Address("work", PostalCode)
        }
        "homepostalcode" | "codepostaldomicile" | "homezip" => Field::Address("home", PostalCode),
        "ville" | "city" | "town" | "localite" | "commune" | "othercity" | "villeautre" => {
            Field::Address("other", City)
        }
        "businesscity" | "villebureau" => Field::Address("work", City),
        "homecity" | "villedomicile" => Field::Address("home", City),
        "region" | "state" | "province" | "stateregion" | "depregion" | "otherstate" => {
            Field::Address("other", Region)
        }
        "businessstate" | "depregionbureau" | "regionbureau" => Field::Address("work", Region),
        "homestate" | "depregiondomicile" | "regiondomicile" => Field::Address("home", Region),
        "pays" | "country" | "countryregion" | "othercountryregion" | "othercountry"
        | "paysregion" => Field::Address("other", Country),
        "businesscountryregion" | "businesscountry" | "paysregionbureau" | "paysbureau" => {
            Field::Address("work", Country)
        }
        "homecountryregion" | "homecountry" | "paysregiondomicile" | "paysdomicile" => {
            Field::Address("home", Country)
        }

        "etiquettes" | "etiquette" | "tags" | "tag" | "labels" | "label" | "categories"
        | "categorie" | "groupmembership" | "groupes" | "groupe" | "motscles" => Field::Tags,
        "notes" | "note" | "commentaire" | "commentaires" | "remarque" | "remarques"
        | "comments" | "comment" | "observations" | "description" => Field::Notes,
        "siteweb" | "site" | "siteinternet" | "website" | "webpage" | "web" | "url"
        | "websiteurl" | "pageweb" | "homepage" | "sitewebentreprise" => Field::Website,
        _ => return None,
    };
    Some(f)
}

fn person_key(k: &str) -> Option<Field> {
    let f =
        match k {
            "civilite" | "civ" | "title" | "titre" | "salutation" | "prefix" | "nameprefix"
            | "prefixe" => Field::Civility,
            "prenom" | "firstname" | "givenname" | "first" | "prenoms" => Field::FirstName,
            "middlename" | "additionalname" | "deuxiemeprenom" | "secondprenom"
            | "autresprenoms" => Field::MiddleName,
            "nom" | "nomdefamille" | "lastname" | "familyname" | "surname" | "last"
            | "nomdusage" => Field::LastName,
            "name" | "fullname" | "nomcomplet" | "displayname" | "nomprenom" | "prenomnom"
            | "nomaffiche" | "contactname" => Field::FullName,
            "fonction" | "poste" | "jobtitle" | "titredeposte" | "titreduposte"
            | "intituledeposte" | "intituleduposte" | "position" | "organizationtitle"
            | "profession" | "metier" => Field::JobTitle,
            "societe" | "entreprise" | "company" | "companyname" | "organisation"
            | "organization" | "organizationname" | "employeur" | "raisonsociale"
            | "nomdelentreprise" | "nomdelasociete" | "associatedcompany" => Field::Company,
            "datedenaissance" | "anniversaire" | "datedanniversaire" | "birthday" | "birthdate"
            | "dateofbirth" | "dob" | "nele" | "neele" | "naissance" | "datenaissance" => {
                Field::Birthday
            }
            "langue" | "language" | "languepreferee" | "preferredlanguage" => Field::Language,
            "etape" | "statut" | "cycledevie" | "lifecyclestage" | "stage" | "status"
            | "etapeducycledevie" | "phase" => Field::Stage,
            "source" | "origine" | "originalsource" | "leadsource" | "sourcedulead"
            | "provenance" => Field::Source,
            "uid" => Field::Uid,
            _ => return common_key(k),
        };
    Some(f)
}

fn company_key(k: &str) -> Option<Field> {
    let f = match k {
        "nom"
        | "raisonsociale"
        | "societe"
        | "company"
        | "companyname"
        | "name"
        | "entreprise"
        | "nomdelentreprise"
        | "nomdelasociete"
        | "denomination"
        | "denominationsociale"
        | "organisation"
        | "organization"
        | "organizationname" => Field::Name,
        "siren" | "numerosiren" | "nsiren" | "nosiren" => Field::Siren,
        "siret" | "numerosiret" | "nsiret" | "nosiret" | "siretdusiege" => Field::Siret,
        "tvaintracommunautaire"
        | "ntva"
        | "notva"
        | "numerodetva"
        | "numerotva"
        | "tva"
        | "vatnumber"
        | "vat"
        | "vatid"
        | "ntvaintracommunautaire"
        | "notvaintracommunautaire"
        | "numerodetvaintracommunautaire"
        | "tvaintra" => Field::VatNumber,
        "secteur" | "secteurdactivite" | "industry" | "activite" | "industrie" => Field::Industry,
        "effectif" | "effectifs" | "taille" | "size" | "numberofemployees" | "employees"
        | "trancheeffectif" | "tranchedeffectif" | "nombredesalaries" | "companysize" => {
            Field::Size
        }
        "companydomainname" | "domain" | "domaine" => Field::Website,
        "societemere" | "maisonmere" | "parentcompany" | "parent" | "holding" => Field::Parent,
        _ => {
            // Companies have one email, one phone and addresses without kind.
            return common_key(k).map(|f| match f {
                Field::Email(_) => Field::Email("other"),
                Field::Phone(_) => Field::Phone("other"),
                Field::Address(_, p) => Field::Address("other", p),
                f => f,
            });
        }
    };
    Some(f)
}

/// Automatic mapping of all the header cells.
fn auto_mapping(headers: &[String], target: Target) -> Vec<Option<Field>> {
    let mut fields: Vec<Option<Field>> = headers.iter().map(|h| auto_field(h, target)).collect();
    if target == Target::People {
        // "Title" is the civility in Outlook exports, but the job title next to a
        // "Salutation" column (Salesforce).
        let norms: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
        let civilities = fields
            .iter()
            .filter(|f| **f == Some(Field::Civility))
            .count();
        let has_job = fields.contains(&Some(Field::JobTitle));
        if civilities > 1 && !has_job {
            for (f, n) in fields.iter_mut().zip(&norms) {
                if n == "title" {
                    *f = Some(Field::JobTitle);
                }
            }
        }
        // Outlook's "E-mail 2 Type" (SMTP) has no "E-mail 2 Value": a type column without
        // values is not imported.
        let snapshot = fields.clone();
        for f in &mut fields {
            let has_values = match f {
                Some(Field::EmailType(n)) => snapshot.contains(&Some(Field::EmailValue(*n))),
                Some(Field::PhoneType(n)) => snapshot.contains(&Some(Field::PhoneValue(*n))),
                Some(Field::AddressType(n)) => snapshot
                    .iter()
                    .any(|g| matches!(g, Some(Field::AddressSlot(m, _)) if m == n)),
                _ => true,
            };
            if !has_values {
                *f = None;
            }
        }
    }
    fields
}

// ---------------------------------------------------------------------------------------------
// Kinds given by Google "Type" columns, tags
// ---------------------------------------------------------------------------------------------

fn has_any(n: &str, words: &[&str]) -> bool {
    words.iter().any(|w| n.contains(w))
}

const WORK_WORDS: [&str; 7] = [
    "work", "travail", "bureau", "pro", "business", "office", "company",
];
const HOME_WORDS: [&str; 6] = ["home", "domicile", "perso", "maison", "private", "prive"];

fn email_kind(t: Option<&str>) -> &'static str {
    let n = normalize(t.unwrap_or(""));
    if has_any(&n, &WORK_WORDS) {
        "work"
    } else if has_any(&n, &HOME_WORDS) {
        "home"
    } else {
        "other"
    }
}

fn phone_kind(t: Option<&str>) -> &'static str {
    let n = normalize(t.unwrap_or(""));
    if has_any(&n, &["fax", "telecopie"]) {
        "fax"
    } else if has_any(&n, &["mobile", "cell", "portable", "gsm"]) {
        "mobile"
    } else if has_any(&n, &WORK_WORDS) {
        "work"
    } else if has_any(&n, &HOME_WORDS) {
        "home"
    } else {
        "other"
    }
}

fn address_kind(t: Option<&str>) -> &'static str {
    match email_kind(t) {
        "work" => "work",
        "home" => "home",
        _ => "other",
    }
}

/// Google separates several values of one cell with " ::: ".
fn split_multi(v: &str) -> impl Iterator<Item = &str> {
    // Most cells hold one value: skip the substring search when there is no ':' at all.
    let (one, many) = if v.contains(':') {
        (None, Some(v.split(":::")))
    } else {
        (Some(v), None)
    };
    one.into_iter()
        .chain(many.into_iter().flatten())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Tags: Google's " ::: ", Outlook's ";", or commas / pipes. Google's system group
/// "* myContacts" is dropped, the "* " of other system groups removed.
fn push_tags(v: &str, tags: &mut Vec<String>) {
    for t in split_multi(v).flat_map(|s| s.split([',', ';', '|'])) {
        let t = t.trim();
        let t = t.strip_prefix('*').map_or(t, str::trim_start);
        if t.is_empty()
            || t.eq_ignore_ascii_case("mycontacts")
            || t.eq_ignore_ascii_case("my contacts")
        {
            continue;
        }
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
}

fn set_first(slot: &mut Option<String>, v: &str) {
    if slot.is_none() {
        *slot = Some(v.to_string());
    }
}

fn append(slot: &mut Option<String>, v: &str, sep: &str) {
    match slot {
        Some(s) => {
            s.push_str(sep);
            s.push_str(v);
        }
        None => *slot = Some(v.to_string()),
    }
}

fn set_part(a: &mut RawAddress, part: Part, v: &str) {
    match part {
        Part::Street | Part::Extended => append(&mut a.street, v, "\n"),
        Part::Formatted => {} // handled by the caller
        Part::PostalCode => set_first(&mut a.postal_code, v),
        Part::City => set_first(&mut a.city, v),
        Part::Region => set_first(&mut a.region, v),
        Part::Country => set_first(&mut a.country, v),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding, delimiter, quote tracking
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Windows1252,
}

fn detect_encoding(sample: &[u8], at_eof: bool) -> Encoding {
    match std::str::from_utf8(sample) {
        Ok(_) => Encoding::Utf8,
        // A multi-byte character cut by the end of the sample.
        Err(e) if e.error_len().is_none() && !at_eof => Encoding::Utf8,
        // Mostly UTF-8 with a damaged byte here and there: read as UTF-8, so that the header
        // and the good rows come out right and the damaged rows are refused by line. Text
        // written in Windows-1252 almost never forms valid UTF-8 sequences.
        Err(_) if mostly_utf8(sample) => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    }
}

/// Whether the non-ASCII characters of a sample that is not valid UTF-8 are mostly valid
/// UTF-8 sequences: more of those than of invalid bytes.
fn mostly_utf8(sample: &[u8]) -> bool {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    for chunk in sample.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    multibyte > invalid
}

/// The most frequent of `,` `;` tab outside quotes on the first non-empty line, `,` by default.
fn detect_delimiter(sample: &[u8]) -> u8 {
    let start = sample
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(sample.len());
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &b in &sample[start..] {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\r' | b'\n' if !in_quotes => break,
            b',' if !in_quotes => counts[0] += 1,
            b';' if !in_quotes => counts[1] += 1,
            b'\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let mut best = (b',', 0);
    for (d, c) in [b',', b';', b'\t'].into_iter().zip(counts) {
        if c > best.1 {
            best = (d, c);
        }
    }
    best.0
}

/// Excel's hint line "sep=;" before the header.
fn sep_hint(sample: &[u8]) -> Option<u8> {
    let rest = sample.strip_prefix(b"sep=")?;
    match rest {
        [d, b'\r' | b'\n', ..] | [d] if matches!(*d, b',' | b';' | b'\t' | b'|') => Some(*d),
        _ => None,
    }
}

/// Where the quote tracker is, mirroring csv-core's state machine (no comments, `""` escapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    /// Before a record: blank lines are skipped.
    StartRecord,
    /// In a record, outside quotes.
    Unquoted,
    Quoted,
    /// Just after a `"` inside a quoted field: either the closing quote or half of `""`.
    QuoteInQuoted,
}

/// The replayed sample followed by the rest of the input. Watches the bytes as the CSV parser
/// reads them to know the physical line where each record starts (csv skips blank lines
/// without counting them in the record's position) and whether the input ends inside quotes
/// (csv-core silently ends the record there).
struct Tracked<R> {
    inner: Chain<Cursor<Vec<u8>>, R>,
    delimiter: u8,
    state: QuoteState,
    /// The last byte scanned, to know whether a quote opens a field.
    prev: u8,
    line: u64,
    /// Start lines of the records read ahead by the parser's buffer, oldest first.
    starts: VecDeque<u64>,
    eof: bool,
}

impl<R: Read> Tracked<R> {
    /// Only line ends and quotes are looked at: a quote opens a quoted field when it follows a
    /// delimiter or a line end, elsewhere it is a literal character (as in csv-core). Lines
    /// end with `\n`, `\r\n` or a lone `\r` (old Mac Excel), as in csv-core.
    fn scan(&mut self, bytes: &[u8]) {
        use QuoteState::*;
        let before = |at: usize, prev: u8| if at == 0 { prev } else { bytes[at - 1] };
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match self.state {
                StartRecord => {
                    match b {
                        b'\n' if before(i, self.prev) == b'\r' => {}
                        b'\n' | b'\r' => self.line += 1,
                        _ => {
                            self.starts.push_back(self.line);
                            self.state = if b == b'"' { Quoted } else { Unquoted };
                            if b != b'"' {
                                continue;
                            }
                        }
                    }
                    i += 1;
                }
                Unquoted => match find_any(&bytes[i..], b'"', b'\n', b'\r') {
                    Some(j) => {
                        let at = i + j;
                        if bytes[at] == b'"' {
                            let p = before(at, self.prev);
                            if p == self.delimiter || p == b'\r' || p == b'\n' {
                                self.state = Quoted;
                            }
                        } else {
                            // A `\n` here cannot follow a `\r`: that one ended the record.
                            self.line += 1;
                            self.state = StartRecord;
                        }
                        i = at + 1;
                    }
                    None => i = bytes.len(),
                },
                Quoted => match find_any(&bytes[i..], b'"', b'\n', b'\r') {
                    Some(j) => {
                        let at = i + j;
                        match bytes[at] {
                            b'"' => self.state = QuoteInQuoted,
                            b'\n' if before(at, self.prev) == b'\r' => {}
                            _ => self.line += 1,
                        }
                        i = at + 1;
                    }
                    None => i = bytes.len(),
                },
                QuoteInQuoted => {
                    self.state = match b {
                        b'"' => Quoted,
                        b'\n' | b'\r' => {
                            self.line += 1;
                            StartRecord
                        }
                        _ => Unquoted,
                    };
                    i += 1;
                }
            }
        }
        if let Some(&last) = bytes.last() {
            self.prev = last;
        }
    }

    fn ended_in_quotes(&self) -> bool {
        self.eof && self.state == QuoteState::Quoted
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        if n == 0 && !buf.is_empty() {
            self.eof = true;
        } else if let Some(read) = buf.get(..n) {
            self.scan(read);
        }
        Ok(n)
    }
}

/// Position of the first of `a`, `b` or `c` in `hay`, eight bytes at a time.
fn find_any(hay: &[u8], a: u8, b: u8, c: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Bytes of `w` equal to `x` get their high bit set; only bytes above a real match can be
    // flagged wrongly, so the lowest flag (little-endian) is always right.
    let matches = |w: u64, x: u8| {
        let v = w ^ (LO * u64::from(x));
        v.wrapping_sub(LO) & !v & HI
    };
    let chunks = hay.chunks_exact(8);
    let tail = chunks.remainder();
    for (n, chunk) in chunks.enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let m = matches(w, a) | matches(w, b) | matches(w, c);
        if m != 0 {
            return Some(n * 8 + (m.trailing_zeros() / 8) as usize);
        }
    }
    let start = hay.len() - tail.len();
    tail.iter()
        .position(|&x| x == a || x == b || x == c)
        .map(|p| start + p)
}

fn read_sample<R: Read>(reader: &mut R) -> io::Result<(Vec<u8>, bool)> {
    let mut sample = vec![0u8; SAMPLE_SIZE];
    let mut len = 0;
    let mut eof = false;
    while len < sample.len() {
        match reader.read(&mut sample[len..]) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    sample.truncate(len);
    Ok((sample, eof))
}

// ---------------------------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------------------------

/// `str::trim`, skipping the Unicode-aware scan in the common case of a cell that starts and
/// ends with a visible ASCII character.
fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        [only] if only.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

fn non_empty(s: &str) -> Option<&str> {
    let s = trim(s);
    (!s.is_empty()).then_some(s)
}

/// Length in UTF-8 of each Windows-1252 byte once decoded by encoding_rs.
static UTF8_LEN_1252: std::sync::LazyLock<[u8; 256]> = std::sync::LazyLock::new(|| {
    let mut table = [1u8; 256];
    for (b, len) in (0u8..=255).zip(table.iter_mut()) {
        let byte = [b];
        let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        *len = u8::try_from(text.len()).unwrap_or(3);
    }
    table
});

fn decode_lossy(enc: Encoding, bytes: &[u8]) -> String {
    match enc {
        Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Encoding::Windows1252 => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// The cells of the current record. In a UTF-8 file the record is validated once as a whole;
/// cells are then slices of it (a character straddling two cells is caught by the slicing).
/// In a Windows-1252 file the record is decoded into a reused buffer; cells are slices of it.
struct Cells<'a> {
    record: &'a ByteRecord,
    text: &'a str,
    /// Ranges of the cells in `text` when it is not the record itself (Windows-1252).
    ranges: Option<&'a [Range<usize>]>,
}

impl<'a> Cells<'a> {
    /// Cell `i` trimmed, `None` when empty; `Err(i)` when not valid UTF-8.
    fn get(&self, i: usize) -> Result<Option<&'a str>, usize> {
        let range = match self.ranges {
            Some(ranges) => ranges.get(i).cloned(),
            None => self.record.range(i),
        };
        let Some(range) = range else { return Ok(None) };
        Ok(non_empty(self.text.get(range).ok_or(i)?))
    }
}

fn is_blank(record: &ByteRecord) -> bool {
    record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace))
}

// ---------------------------------------------------------------------------------------------
// The source
// ---------------------------------------------------------------------------------------------

/// Columns of one Google address slot ("Address 1 - ...").
#[derive(Debug, Default)]
struct AddressSlot {
    number: u32,
    type_col: Option<usize>,
    parts: Vec<(usize, Part)>,
}

/// The mapping compiled for reading rows.
#[derive(Debug, Default)]
struct Plan {
    /// Columns read one by one, in column order.
    cols: Vec<(usize, Field)>,
    /// (type column, value column) of Google email / phone slots.
    email_slots: Vec<(Option<usize>, usize)>,
    phone_slots: Vec<(Option<usize>, usize)>,
    address_slots: Vec<AddressSlot>,
}

impl Plan {
    fn new(fields: &[Option<Field>]) -> Plan {
        let mut plan = Plan::default();
        let col_of = |wanted: &Field| fields.iter().position(|f| f.as_ref() == Some(wanted));
        for (i, f) in fields.iter().enumerate() {
            let Some(f) = f else { continue };
            match f {
                Field::EmailType(_) | Field::PhoneType(_) | Field::AddressType(_) => {}
                Field::EmailValue(n) => plan.email_slots.push((col_of(&Field::EmailType(*n)), i)),
                Field::PhoneValue(n) => plan.phone_slots.push((col_of(&Field::PhoneType(*n)), i)),
                Field::AddressSlot(n, p) => {
                    match plan.address_slots.iter_mut().find(|s| s.number == *n) {
                        Some(slot) => slot.parts.push((i, *p)),
                        None => plan.address_slots.push(AddressSlot {
                            number: *n,
                            type_col: col_of(&Field::AddressType(*n)),
                            parts: vec![(i, *p)],
                        }),
                    }
                }
                f => plan.cols.push((i, f.clone())),
            }
        }
        plan
    }
}

/// Reads people or companies from a CSV file, one row at a time.
pub struct CsvSource<R: Read> {
    reader: csv::Reader<Tracked<R>>,
    record: ByteRecord,
    headers: Vec<String>,
    mapping: ColumnMapping,
    plan: Plan,
    encoding: Encoding,
    delimiter: u8,
    bom_len: u64,
    done: bool,
    /// The current record decoded from Windows-1252, and its cells' ranges (reused buffers).
    decoded: String,
    ranges: Vec<Range<usize>>,
}

impl<R: Read> std::fmt::Debug for CsvSource<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvSource")
            .field("headers", &self.headers)
            .field("mapping", &self.mapping)
            .field("encoding", &self.encoding_name())
            .field("delimiter", &(self.delimiter as char))
            .finish_non_exhaustive()
    }
}

impl<R: Read> CsvSource<R> {
    /// Detects the encoding and the delimiter on the first 64 KiB, reads the header and maps
    /// its columns. `explicit` is a list of (header as in the file, target field name) that
    /// overrides the automatic mapping (target `""` or `"ignore"` ignores the column).
    pub fn open(
        mut reader: R,
        target: Target,
        explicit: &[(String, String)],
    ) -> Result<Self, CsvError> {
        let (mut sample, at_eof) = read_sample(&mut reader)?;
        if sample.starts_with(&[0xFF, 0xFE]) || sample.starts_with(&[0xFE, 0xFF]) {
            return Err(CsvError::Utf16);
        }
        let bom_len = if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        sample.drain(..bom_len);
        let encoding = if bom_len > 0 {
            Encoding::Utf8
        } else {
            detect_encoding(&sample, at_eof)
        };
        let hint = sep_hint(&sample);
        let delimiter = match hint {
            Some(d) => d,
            None => detect_delimiter(&sample),
        };

        let tracked = Tracked {
            inner: Cursor::new(sample).chain(reader),
            delimiter,
            state: QuoteState::StartRecord,
            prev: b'\n',
            line: 1,
            starts: VecDeque::new(),
            eof: false,
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(SAMPLE_SIZE)
            .from_reader(tracked);
        let mut source = CsvSource {
            reader,
            record: ByteRecord::new(),
            headers: Vec::new(),
            mapping: ColumnMapping::default(),
            plan: Plan::default(),
            encoding,
            delimiter,
            bom_len: bom_len as u64,
            done: false,
            decoded: String::new(),
            ranges: Vec::new(),
        };

        // The header: the first non-blank record (after Excel's "sep=" line).
        let mut skip_hint = hint.is_some();
        loop {
            if !source.read_record().map_err(csv_to_io)? {
                return Err(CsvError::Empty);
            }
            let line = source.pop_line();
            if source.reader.get_ref().ended_in_quotes() {
                return Err(CsvError::UnterminatedHeader { line });
            }
            if std::mem::take(&mut skip_hint) || is_blank(&source.record) {
                continue;
            }
            break;
        }
        source.headers = source
            .record
            .iter()
            .map(|h| {
                decode_lossy(encoding, h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_string()
            })
            .collect();

        let mut fields = auto_mapping(&source.headers, target);
        for (header, target_name) in explicit {
            let field = Field::parse(target_name, target)?;
            let wanted = header.trim();
            let mut cols: Vec<usize> = (0..source.headers.len())
                .filter(|&i| source.headers[i] == wanted)
                .collect();
            if cols.is_empty() {
                let norm = normalize(wanted);
                cols = (0..source.headers.len())
                    .filter(|&i| normalize(&source.headers[i]) == norm)
                    .collect();
            }
            if cols.is_empty() {
                return Err(CsvError::UnknownColumn(header.clone()));
            }
            for i in cols {
                fields[i] = field.clone();
            }
        }
        if fields.iter().all(Option::is_none) {
            return Err(CsvError::NoRecognisableColumn {
                headers: source.headers.clone(),
            });
        }
        source.mapping = ColumnMapping {
            columns: source
                .headers
                .iter()
                .zip(&fields)
                .map(|(h, f)| (h.clone(), f.as_ref().map(Field::name)))
                .collect(),
        };
        source.plan = Plan::new(&fields);
        Ok(source)
    }

    /// The header cells, decoded and trimmed.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The mapping of the columns, automatic and overridden by the explicit one.
    pub fn mapping(&self) -> &ColumnMapping {
        &self.mapping
    }

    /// "UTF-8" or "windows-1252".
    pub fn encoding_name(&self) -> &'static str {
        match self.encoding {
            Encoding::Utf8 => encoding_rs::UTF_8.name(),
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252.name(),
        }
    }

    /// `b','`, `b';'` or `b'\t'`.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Bytes of the file parsed so far, for a progress bar.
    pub fn bytes_read(&self) -> u64 {
        self.bom_len + self.reader.position().byte()
    }

    /// The next person, `None` at the end of the file. Meant for a source opened with
    /// [`Target::People`].
    pub fn next_person(&mut self) -> Option<Result<RawContact, RowError>> {
        let line = match self.next_row()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        self.decode_record();
        Some(self.build_person(line))
    }

    /// The next record, `None` at the end of the file. Meant for a source opened with
    /// [`Target::Fields`].
    pub fn next_record(&mut self) -> Option<Result<RawRecord, RowError>> {
        let line = match self.next_row()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        self.decode_record();
        Some(self.build_record(line))
    }

    /// The next company, `None` at the end of the file. Meant for a source opened with
    /// [`Target::Companies`].
    pub fn next_company(&mut self) -> Option<Result<RawCompany, RowError>> {
        let line = match self.next_row()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        self.decode_record();
        Some(self.build_company(line))
    }

    fn read_record(&mut self) -> csv::Result<bool> {
        self.reader.read_byte_record(&mut self.record)
    }

    /// The start line of the record just read.
    fn pop_line(&mut self) -> u64 {
        match self.reader.get_mut().starts.pop_front() {
            Some(line) => line,
            None => self.record.position().map_or(0, csv::Position::line),
        }
    }

    /// The cells of the row last read, decoded (lossily): for the rejected-rows file when a
    /// row parsed but its values were refused.
    pub fn current_raw(&self) -> Vec<String> {
        self.record
            .iter()
            .map(|c| decode_lossy(self.encoding, c))
            .collect()
    }

    fn row_error(&self, line: u64, reason: relais_domain::Msg) -> RowError {
        RowError {
            line,
            reason,
            raw: self
                .record
                .iter()
                .map(|c| decode_lossy(self.encoding, c))
                .collect(),
        }
    }

    fn utf8_error(&self, line: u64, col: usize) -> RowError {
        let column = match self.headers.get(col) {
            Some(h) if !h.is_empty() => h.clone(),
            _ => (col + 1).to_string(),
        };
        let reason = relais_domain::Msg::new(relais_domain::Code::RowInvalidUtf8);
        self.row_error(line, reason.with("column", column))
    }

    /// Reads the next non-blank record with the right number of fields; its line.
    fn next_row(&mut self) -> Option<Result<u64, RowError>> {
        loop {
            if self.done {
                return None;
            }
            match self.read_record() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    let line = self.reader.position().line();
                    return Some(Err(RowError {
                        line,
                        reason: relais_domain::Msg::new(relais_domain::Code::ReadError)
                            .with("reason", e),
                        raw: Vec::new(),
                    }));
                }
            }
            let line = self.pop_line();
            if self.reader.get_ref().ended_in_quotes() {
                self.done = true;
                let reason = relais_domain::Code::RowUnterminated.into();
                return Some(Err(self.row_error(line, reason)));
            }
            if is_blank(&self.record) {
                continue;
            }
            if self.record.len() != self.headers.len() {
                let reason = relais_domain::Msg::new(relais_domain::Code::RowFieldCount)
                    .with("found", self.record.len())
                    .with("expected", self.headers.len());
                return Some(Err(self.row_error(line, reason)));
            }
            return Some(Ok(line));
        }
    }

    /// The current record's cells; a row error when a UTF-8 file has invalid bytes in it.
    fn cells(&self, line: u64) -> Result<Cells<'_>, RowError> {
        match self.encoding {
            Encoding::Windows1252 => Ok(Cells {
                record: &self.record,
                text: &self.decoded,
                ranges: Some(&self.ranges),
            }),
            Encoding::Utf8 => match std::str::from_utf8(self.record.as_slice()) {
                Ok(text) => Ok(Cells {
                    record: &self.record,
                    text,
                    ranges: None,
                }),
                Err(_) => {
                    let col = self
                        .record
                        .iter()
                        .position(|c| std::str::from_utf8(c).is_err())
                        .unwrap_or(0);
                    Err(self.utf8_error(line, col))
                }
            },
        }
    }

    /// Decodes the current record of a Windows-1252 file into the reused buffer.
    fn decode_record(&mut self) {
        if self.encoding != Encoding::Windows1252 {
            return;
        }
        self.decoded.clear();
        self.ranges.clear();
        let bytes = self.record.as_slice();
        let mut decoder = encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling();
        let max = decoder
            .max_utf8_buffer_length(bytes.len())
            .unwrap_or(bytes.len() * 3);
        self.decoded.reserve(max);
        // Every byte has a mapping in Windows-1252 and room was reserved: all is decoded.
        let _ = decoder.decode_to_string(bytes, &mut self.decoded, true);
        // Each byte decodes to one character: a cell's length in UTF-8 follows from its bytes.
        let table: &[u8; 256] = &UTF8_LEN_1252;
        let mut start = 0;
        for field in self.record.iter() {
            let len = if field.is_ascii() {
                field.len()
            } else {
                field
                    .iter()
                    .map(|&b| usize::from(table[usize::from(b)]))
                    .sum()
            };
            self.ranges.push(start..start + len);
            start += len;
        }
    }

    fn build_person(&self, line: u64) -> Result<RawContact, RowError> {
        let cells = self.cells(line)?;
        let cell = |i: usize| cells.get(i).map_err(|col| self.utf8_error(line, col));
        let mut c = RawContact {
            line,
            ..RawContact::default()
        };
        let mut middle: Option<String> = None;
        // Addresses without a Google slot number, by kind (work, home, other).
        let mut fixed: [Option<RawAddress>; 3] = [None, None, None];

        for (i, field) in &self.plan.cols {
            let Some(v) = cell(*i)? else { continue };
            match field {
                Field::Civility => set_first(&mut c.civility, v),
                Field::FirstName => set_first(&mut c.first_name, v),
                Field::MiddleName => append(&mut middle, v, " "),
                Field::LastName => set_first(&mut c.last_name, v),
                Field::FullName => set_first(&mut c.full_name, v),
                Field::JobTitle => set_first(&mut c.job_title, v),
                Field::Company => set_first(&mut c.company, v),
                Field::Email(k) => {
                    for e in split_multi(v)
                        .flat_map(|s| s.split([';', ',']))
                        .map(str::trim)
                    {
                        if !e.is_empty() {
                            c.emails.push((k.to_string(), e.to_string()));
                        }
                    }
                }
                Field::Phone(k) => {
                    for p in split_multi(v) {
                        c.phones.push((k.to_string(), p.to_string()));
                    }
                }
                Field::Address(k, part) => {
                    let idx = ADDRESS_KINDS.iter().position(|x| x == k).unwrap_or(2);
                    let a = fixed[idx].get_or_insert_with(|| RawAddress {
                        kind: k.to_string(),
                        ..RawAddress::default()
                    });
                    set_part(a, *part, v);
                }
                Field::Birthday => set_first(&mut c.birthday, v),
                Field::Language => set_first(&mut c.language, v),
                Field::Stage => set_first(&mut c.stage, v),
                Field::Source => set_first(&mut c.source, v),
                Field::Tags => push_tags(v, &mut c.tags),
                Field::Notes => append(&mut c.notes, v, "\n"),
                Field::Website => set_first(&mut c.website, v),
                Field::Uid => set_first(&mut c.uid, v),
                Field::Custom(k) => c.custom.push((k.clone(), v.to_string())),
                _ => {}
            }
        }
        for (type_col, value_col) in &self.plan.email_slots {
            let Some(v) = cell(*value_col)? else { continue };
            let kind = email_kind(type_col.map(cell).transpose()?.flatten());
            for e in split_multi(v) {
                c.emails.push((kind.to_string(), e.to_string()));
            }
        }
        for (type_col, value_col) in &self.plan.phone_slots {
            let Some(v) = cell(*value_col)? else { continue };
            let kind = phone_kind(type_col.map(cell).transpose()?.flatten());
            for p in split_multi(v) {
                c.phones.push((kind.to_string(), p.to_string()));
            }
        }
        if let Some(m) = middle {
            append(&mut c.first_name, &m, " ");
        }
        c.addresses
            .extend(fixed.into_iter().flatten().filter(|a| !a.is_empty()));
        for slot in &self.plan.address_slots {
            let kind = address_kind(slot.type_col.map(cell).transpose()?.flatten());
            let mut a = RawAddress {
                kind: kind.to_string(),
                ..RawAddress::default()
            };
            let mut formatted = None;
            for (i, part) in &slot.parts {
                let Some(v) = cell(*i)? else { continue };
                if *part == Part::Formatted {
                    set_first(&mut formatted, v);
                } else {
                    set_part(&mut a, *part, v);
                }
            }
            if a.is_empty() {
                a.street = formatted;
            }
            if !a.is_empty() {
                c.addresses.push(a);
            }
        }
        Ok(c)
    }

    fn build_company(&self, line: u64) -> Result<RawCompany, RowError> {
        let cells = self.cells(line)?;
        let mut c = RawCompany {
            line,
            ..RawCompany::default()
        };
        let mut address: Option<RawAddress> = None;
        for (i, field) in &self.plan.cols {
            let Some(v) = cells.get(*i).map_err(|col| self.utf8_error(line, col))? else {
                continue;
            };
            match field {
                Field::Name => set_first(&mut c.name, v),
                Field::Siren => set_first(&mut c.siren, v),
                Field::Siret => set_first(&mut c.siret, v),
                Field::VatNumber => set_first(&mut c.vat_number, v),
                Field::Industry => set_first(&mut c.industry, v),
                Field::Size => set_first(&mut c.size, v),
                Field::Website => set_first(&mut c.website, v),
                Field::Email(_) => {
                    if let Some(e) = split_multi(v)
                        .flat_map(|s| s.split([';', ',']))
                        .map(str::trim)
                        .find(|e| !e.is_empty())
                    {
                        set_first(&mut c.email, e);
                    }
                }
                Field::Phone(_) => {
                    if let Some(p) = split_multi(v).next() {
                        set_first(&mut c.phone, p);
                    }
                }
                Field::Address(_, part) => {
                    let a = address.get_or_insert_with(|| RawAddress {
                        kind: "other".to_string(),
                        ..RawAddress::default()
                    });
                    set_part(a, *part, v);
                }
                Field::Parent => set_first(&mut c.parent, v),
                Field::Notes => append(&mut c.notes, v, "\n"),
                Field::Tags => push_tags(v, &mut c.tags),
                Field::Custom(k) => c.custom.push((k.clone(), v.to_string())),
                _ => {}
            }
        }
        c.addresses.extend(address.filter(|a| !a.is_empty()));
        Ok(c)
    }
}

impl<R: Read> CsvSource<R> {
    fn build_record(&self, line: u64) -> Result<RawRecord, RowError> {
        let cells = self.cells(line)?;
        let mut r = RawRecord {
            line,
            ..RawRecord::default()
        };
        for (i, field) in &self.plan.cols {
            let Some(v) = cells.get(*i).map_err(|col| self.utf8_error(line, col))? else {
                continue;
            };
            match field {
                Field::Named(n) => r.values.push((n, v.to_string())),
                Field::Custom(k) => r.custom.push((k.clone(), v.to_string())),
                _ => {}
            }
        }
        Ok(r)
    }
}

fn csv_to_io(e: csv::Error) -> CsvError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => CsvError::Io(e),
        other => CsvError::Io(io::Error::other(format!("{other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(bytes: &[u8], target: Target) -> CsvSource<&[u8]> {
        match CsvSource::open(bytes, target, &[]) {
            Ok(s) => s,
            Err(e) => panic!("open failed: {e}"),
        }
    }

    fn people(src: &mut CsvSource<impl Read>) -> Vec<Result<RawContact, RowError>> {
        std::iter::from_fn(|| src.next_person()).collect()
    }

    fn ok_people(bytes: &[u8]) -> Vec<RawContact> {
        let mut src = open(bytes, Target::People);
        people(&mut src)
            .into_iter()
            .map(|r| r.expect("row should be read"))
            .collect()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    fn mapped<'a>(src: &'a CsvSource<impl Read>, header: &str) -> Option<&'a str> {
        src.mapping()
            .columns
            .iter()
            .find(|(h, _)| h == header)
            .and_then(|(_, t)| t.as_deref())
    }

    #[test]
    fn french_excel_file_in_windows_1252_with_semicolons_is_decoded() {
        let bytes = b"Civilit\xe9;Pr\xe9nom;Nom;Soci\xe9t\xe9;T\xe9l\xe9phone portable;Code postal;Ville;\xc9tiquettes\r\n\
Mme;\xc9lodie;L\xe9ger;Caf\xe9 & Cr\xe8me;06 12 34 56 78;75011;Paris;VIP, \xe9t\xe9\r\n";
        let mut src = open(bytes, Target::People);
        assert_eq!(src.encoding_name(), "windows-1252");
        assert_eq!(src.delimiter(), b';');
        assert_eq!(src.headers()[1], "Prénom");
        assert_eq!(mapped(&src, "Société"), Some("company"));
        let rows = people(&mut src);
        assert_eq!(rows.len(), 1);
        let c = rows[0].clone().expect("row");
        assert_eq!(c.line, 2);
        assert_eq!(c.civility, s("Mme"));
        assert_eq!(c.first_name, s("Élodie"));
        assert_eq!(c.last_name, s("Léger"));
        assert_eq!(c.company, s("Café & Crème"));
        assert_eq!(c.phones, vec![pair("mobile", "06 12 34 56 78")]);
        assert_eq!(c.addresses.len(), 1);
        assert_eq!(c.addresses[0].postal_code, s("75011"));
        assert_eq!(c.addresses[0].city, s("Paris"));
        assert_eq!(c.tags, vec!["VIP".to_string(), "été".to_string()]);
    }

    #[test]
    fn utf8_file_with_bom_and_commas_is_read_and_values_trimmed() {
        let bytes = "\u{feff}First Name,Last Name,E-mail,Date de naissance\n  Zoë , Ørsted ,zoe@example.org,10/12/1815\n".as_bytes();
        let mut src = open(bytes, Target::People);
        assert_eq!(src.encoding_name(), "UTF-8");
        assert_eq!(src.delimiter(), b',');
        assert_eq!(src.headers()[0], "First Name");
        let c = people(&mut src).remove(0).expect("row");
        assert_eq!(c.first_name, s("Zoë"));
        assert_eq!(c.last_name, s("Ørsted"));
        assert_eq!(c.emails, vec![pair("other", "zoe@example.org")]);
        assert_eq!(c.birthday, s("10/12/1815"));
        assert_eq!(src.bytes_read(), bytes.len() as u64);
    }

    #[test]
    fn tab_delimited_file_is_detected() {
        let bytes = b"Pr\xc3\xa9nom\tNom\tFonction\tVille\nAda\tLovelace\tAnalyste, math\xc3\xa9maticienne\tLondres\n";
        let mut src = open(bytes, Target::People);
        assert_eq!(src.delimiter(), b'\t');
        let c = people(&mut src).remove(0).expect("row");
        assert_eq!(c.job_title, s("Analyste, mathématicienne"));
        assert_eq!(c.addresses[0].city, s("Londres"));
    }

    #[test]
    fn delimiter_inside_quoted_header_cells_is_not_counted() {
        let bytes = b"\"Nom, pr\xc3\xa9nom\";\"a,b,c\";Ville\nX;Y;Z\n";
        assert_eq!(open(bytes, Target::People).delimiter(), b';');
    }

    #[test]
    fn excel_sep_hint_line_sets_the_delimiter_and_is_skipped() {
        let bytes = b"sep=;\r\nNom;Pr\xe9nom\r\nCurie;Marie\r\n";
        let mut src = open(bytes, Target::People);
        assert_eq!(src.delimiter(), b';');
        assert_eq!(src.headers(), ["Nom", "Prénom"]);
        let c = people(&mut src).remove(0).expect("row");
        assert_eq!(
            (c.line, c.last_name, c.first_name),
            (3, s("Curie"), s("Marie"))
        );
    }

    #[test]
    fn google_contacts_legacy_export_is_mapped_with_types() {
        let bytes = "Name,Given Name,Additional Name,Family Name,Name Prefix,Birthday,Notes,Group Membership,\
E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value,\
Address 1 - Type,Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - Postal Code,Address 1 - Country,\
Organization 1 - Type,Organization 1 - Name,Organization 1 - Title,Website 1 - Type,Website 1 - Value\n\
Jean Moulin,Jean,Pierre,Moulin,M.,1899-06-20,\"Résistant\",* myContacts ::: Amis ::: Clients,\
* Work,jean@work.fr ::: jm@work.fr,Home,jean@home.fr,Mobile,+33 6 12 34 56 78,Work Fax,01 02 03 04 05,\
Home,\"1 rue X\n75001 Paris\",1 rue X,Paris,75001,France,,CNR,Président,Profile,https://example.org\n";
        let mut src = open(bytes.as_bytes(), Target::People);
        assert_eq!(mapped(&src, "E-mail 1 - Type"), Some("email.1.type"));
        assert_eq!(mapped(&src, "Address 1 - City"), Some("address.1.city"));
        assert_eq!(mapped(&src, "Organization 1 - Type"), None);
        let c = people(&mut src).remove(0).expect("row");
        assert_eq!(c.full_name, s("Jean Moulin"));
        assert_eq!(c.first_name, s("Jean Pierre"));
        assert_eq!(c.last_name, s("Moulin"));
        assert_eq!(c.civility, s("M."));
        assert_eq!(c.birthday, s("1899-06-20"));
        assert_eq!(c.notes, s("Résistant"));
        assert_eq!(c.tags, vec!["Amis".to_string(), "Clients".to_string()]);
        assert_eq!(
            c.emails,
            vec![
                pair("work", "jean@work.fr"),
                pair("work", "jm@work.fr"),
                pair("home", "jean@home.fr")
            ]
        );
        assert_eq!(
            c.phones,
            vec![
                pair("mobile", "+33 6 12 34 56 78"),
                pair("fax", "01 02 03 04 05")
            ]
        );
        assert_eq!(c.addresses.len(), 1);
        let a = &c.addresses[0];
        assert_eq!(
            (a.kind.as_str(), a.street.as_deref(), a.city.as_deref()),
            ("home", Some("1 rue X"), Some("Paris"))
        );
        assert_eq!(a.postal_code, s("75001"));
        assert_eq!(a.country, s("France"));
        assert_eq!(c.company, s("CNR"));
        assert_eq!(c.job_title, s("Président"));
        assert_eq!(c.website, s("https://example.org"));
    }

    #[test]
    fn google_contacts_current_export_is_mapped_with_labels() {
        let bytes = "First Name,Middle Name,Last Name,Organization Name,Organization Title,Labels,\
E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Address 1 - Label,Address 1 - Formatted\n\
Ada,,Lovelace,Analytical,Engineer,* starred ::: Famille,* Home,ada@home.uk,Work,020 1234,Work,\"12 St James's Square, London\"\n";
        let c = ok_people(bytes.as_bytes()).remove(0);
        assert_eq!(c.first_name, s("Ada"));
        assert_eq!(c.company, s("Analytical"));
        assert_eq!(c.job_title, s("Engineer"));
        assert_eq!(c.tags, vec!["starred".to_string(), "Famille".to_string()]);
        assert_eq!(c.emails, vec![pair("home", "ada@home.uk")]);
        assert_eq!(c.phones, vec![pair("work", "020 1234")]);
        assert_eq!(c.addresses[0].kind, "work");
        assert_eq!(c.addresses[0].street, s("12 St James's Square, London"));
    }

    #[test]
    fn outlook_export_title_is_the_civility() {
        let bytes = "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,Business Street,Business Street 2,\
Business City,Business Postal Code,Business Country/Region,Home Street,Home City,Business Fax,Business Phone,Home Phone,Mobile Phone,\
Anniversary,Birthday,Categories,E-mail Address,E-mail Type,E-mail Display Name,E-mail 2 Address,E-mail 2 Type,Notes,Web Page\r\n\
Dr,Marie,,Curie,,Institut du Radium,Physique,Directrice,1 rue Pierre et Marie Curie,Bâtiment A,\
Paris,75005,France,,,,01 42 34 67 00,,06 00 00 00 00,\
0/0/00,11/7/1867,Nobel;Science,marie@radium.fr,SMTP,Marie Curie (marie@radium.fr),m.curie@example.org,SMTP,\"Deux prix\r\nNobel\",radium.fr\r\n";
        let mut src = open(bytes.as_bytes(), Target::People);
        assert_eq!(mapped(&src, "Title"), Some("civility"));
        assert_eq!(mapped(&src, "Anniversary"), None);
        assert_eq!(mapped(&src, "E-mail 2 Type"), None);
        assert!(src.mapping().ignored().contains(&"Suffix"));
        let c = people(&mut src).remove(0).expect("row");
        assert_eq!(c.civility, s("Dr"));
        assert_eq!(c.first_name, s("Marie"));
        assert_eq!(c.last_name, s("Curie"));
        assert_eq!(c.company, s("Institut du Radium"));
        assert_eq!(c.job_title, s("Directrice"));
        assert_eq!(c.birthday, s("11/7/1867"));
        assert_eq!(c.tags, vec!["Nobel".to_string(), "Science".to_string()]);
        assert_eq!(
            c.emails,
            vec![
                pair("other", "marie@radium.fr"),
                pair("other", "m.curie@example.org")
            ]
        );
        assert_eq!(
            c.phones,
            vec![
                pair("work", "01 42 34 67 00"),
                pair("mobile", "06 00 00 00 00")
            ]
        );
        assert_eq!(c.addresses.len(), 1);
        let a = &c.addresses[0];
        assert_eq!(a.kind, "work");
        assert_eq!(a.street, s("1 rue Pierre et Marie Curie\nBâtiment A"));
        assert_eq!(
            (
                a.postal_code.as_deref(),
                a.city.as_deref(),
                a.country.as_deref()
            ),
            (Some("75005"), Some("Paris"), Some("France"))
        );
        assert_eq!(c.notes, s("Deux prix\r\nNobel"));
        assert_eq!(c.website, s("radium.fr"));
    }

    #[test]
    fn title_next_to_a_salutation_column_is_the_job_title() {
        let bytes = b"Salutation,First Name,Last Name,Title\nMr.,Alan,Turing,Mathematician\n";
        let c = ok_people(bytes).remove(0);
        assert_eq!(c.civility, s("Mr."));
        assert_eq!(c.job_title, s("Mathematician"));
    }

    #[test]
    fn hubspot_export_is_mapped_and_contact_owner_ignored() {
        let bytes = "Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,Company Name,Job Title,\
Lifecycle Stage,Street Address,City,Postal Code,Country/Region,Original Source,Contact owner\n\
123,Grace,Hopper,grace@navy.mil,+1 202 555 0100,+1 202 555 0199,US Navy,Rear Admiral,customer,\
1 Navy Rd,Arlington,22202,United States,Offline Sources,Jane Seller\n";
        let mut src = open(bytes.as_bytes(), Target::People);
        assert_eq!(mapped(&src, "Contact owner"), None);
        assert_eq!(mapped(&src, "Lifecycle Stage"), Some("stage"));
        assert_eq!(src.mapping().ignored(), vec!["Record ID", "Contact owner"]);
        let c = people(&mut src).remove(0).expect("row");
        assert_eq!(c.first_name, s("Grace"));
        assert_eq!(c.emails, vec![pair("other", "grace@navy.mil")]);
        assert_eq!(
            c.phones,
            vec![
                pair("other", "+1 202 555 0100"),
                pair("mobile", "+1 202 555 0199")
            ]
        );
        assert_eq!(c.company, s("US Navy"));
        assert_eq!(c.job_title, s("Rear Admiral"));
        assert_eq!(c.stage, s("customer"));
        assert_eq!(c.source, s("Offline Sources"));
        let a = &c.addresses[0];
        assert_eq!(
            (a.street.as_deref(), a.city.as_deref()),
            (Some("1 Navy Rd"), Some("Arlington"))
        );
        assert_eq!(
            (a.postal_code.as_deref(), a.country.as_deref()),
            (Some("22202"), Some("United States"))
        );
    }

    #[test]
    fn french_headers_are_matched_ignoring_case_accents_and_punctuation() {
        let cases = [
            ("PRÉNOM", "first_name"),
            ("nom de famille", "last_name"),
            ("Adresse e-mail", "email"),
            ("Courriel", "email"),
            ("Tél. bureau", "phone.work"),
            ("Téléphone (domicile)", "phone.home"),
            ("Portable", "phone.mobile"),
            ("Poste", "job_title"),
            ("Date de naissance", "birthday"),
            ("Anniversaire", "birthday"),
            ("Code postal", "postal_code"),
            ("Adresse 2", "street"),
            ("Pays", "country"),
            ("Langue", "language"),
            ("Étape", "stage"),
            ("Statut", "stage"),
            ("Cycle de vie", "stage"),
            ("Site web", "website"),
            ("Rue (bureau)", "street.work"),
            ("Business Street 3", "street.work"),
            ("Home Postal Code", "postal_code.home"),
            ("Zip", "postal_code"),
        ];
        for (header, target) in cases {
            assert_eq!(
                auto_field(header, Target::People)
                    .map(|f| f.name())
                    .as_deref(),
                Some(target),
                "{header}"
            );
        }
    }

    #[test]
    fn custom_field_columns_are_read_and_unknown_columns_reported() {
        let bytes = b"Nom,custom.shoe_size,CF:Badge,Couleur pr\xc3\xa9f\xc3\xa9r\xc3\xa9e\nDupont,44,B-12,bleu\n";
        let mut src = open(bytes, Target::People);
        assert_eq!(mapped(&src, "custom.shoe_size"), Some("custom.shoe_size"));
        assert_eq!(src.mapping().ignored(), vec!["Couleur préférée"]);
        let c = people(&mut src).remove(0).expect("row");
        assert_eq!(
            c.custom,
            vec![pair("shoe_size", "44"), pair("Badge", "B-12")]
        );
    }

    #[test]
    fn a_kind_s_columns_are_its_fields_by_name() {
        const FIELDS: &[&str] = &["reference", "unit_price", "name"];
        let bytes = "Référence;Unit price;Nom;custom.colour\nP-1;12,50;Vis;rouge\n";
        let explicit = [("Nom".to_string(), "name".to_string())];
        let mut src =
            CsvSource::open(bytes.as_bytes(), Target::Fields(FIELDS), &explicit).expect("open");
        let mapped: Vec<Option<&str>> = src
            .mapping()
            .columns
            .iter()
            .map(|(_, f)| f.as_deref())
            .collect();
        assert_eq!(
            mapped,
            [
                Some("reference"),
                Some("unit_price"),
                Some("name"),
                Some("custom.colour")
            ]
        );
        let row = src.next_record().expect("a row").expect("readable");
        assert_eq!(
            row.values,
            [
                ("reference", "P-1".into()),
                ("unit_price", "12,50".into()),
                ("name", "Vis".into())
            ]
        );
        assert_eq!(row.custom, [("colour".to_string(), "rouge".to_string())]);
        assert!(src.next_record().is_none());
        let unknown = [("Nom".to_string(), "siren".to_string())];
        assert!(matches!(
            CsvSource::open(bytes.as_bytes(), Target::Fields(FIELDS), &unknown),
            Err(CsvError::UnknownTarget(t)) if t == "siren"
        ));
    }

    #[test]
    fn explicit_mapping_overrides_the_automatic_one() {
        let bytes = b"Nom,Divers,Ville\nDupont,dupont@example.org,Lyon\n";
        let explicit = [
            ("Divers".to_string(), "email.work".to_string()),
            ("Ville".to_string(), "ignore".to_string()),
            ("nom".to_string(), "full_name".to_string()),
        ];
        let mut src = CsvSource::open(&bytes[..], Target::People, &explicit).expect("open");
        assert_eq!(
            src.mapping().columns,
            vec![
                ("Nom".to_string(), s("full_name")),
                ("Divers".to_string(), s("email.work")),
                ("Ville".to_string(), None),
            ]
        );
        let c = people(&mut src).remove(0).expect("row");
        assert_eq!(c.full_name, s("Dupont"));
        assert_eq!(c.last_name, None);
        assert_eq!(c.emails, vec![pair("work", "dupont@example.org")]);
        assert!(c.addresses.is_empty());
    }

    #[test]
    fn explicit_mapping_with_an_unknown_target_is_an_error_naming_it() {
        let explicit = [("Nom".to_string(), "surname_typo".to_string())];
        match CsvSource::open(&b"Nom\nDupont\n"[..], Target::People, &explicit) {
            Err(CsvError::UnknownTarget(t)) => assert_eq!(t, "surname_typo"),
            other => panic!("expected UnknownTarget, got {other:?}"),
        }
        let explicit = [("Raison".to_string(), "siren".to_string())];
        assert!(matches!(
            CsvSource::open(&b"Nom\nDupont\n"[..], Target::People, &explicit),
            Err(CsvError::UnknownTarget(t)) if t == "siren"
        ));
    }

    #[test]
    fn explicit_mapping_of_a_missing_column_is_an_error() {
        let explicit = [("Courriel".to_string(), "email".to_string())];
        assert!(matches!(
            CsvSource::open(&b"Nom\nDupont\n"[..], Target::People, &explicit),
            Err(CsvError::UnknownColumn(c)) if c == "Courriel"
        ));
    }

    #[test]
    fn every_listed_target_name_is_accepted_by_an_explicit_mapping() {
        for (target, names) in [
            (Target::People, person_fields()),
            (Target::Companies, company_fields()),
        ] {
            for name in names {
                let f = Field::parse(name, target).expect("known").expect("mapped");
                assert_eq!(f.name(), *name);
            }
        }
        for name in [
            "email.2.type",
            "phone.1.value",
            "address.3.postal_code",
            "custom.x",
            "street.other",
        ] {
            assert!(Field::parse(name, Target::People).is_ok(), "{name}");
        }
    }

    #[test]
    fn row_with_a_wrong_field_count_is_an_error_with_its_line() {
        let bytes = b"Nom;Pr\xc3\xa9nom;Ville\nCurie;Marie;Paris\nDupont;Jean\nMoulin;Jean;Lyon\n";
        let mut src = open(bytes, Target::People);
        let rows = people(&mut src);
        assert_eq!(rows.len(), 3);
        let e = rows[1].clone().expect_err("short row");
        assert_eq!(e.line, 3);
        assert_eq!(e.reason.to_string(), "2 fields, the header has 3");
        assert_eq!(e.to_string(), "line 3: 2 fields, the header has 3");
        assert_eq!(e.raw, vec!["Dupont".to_string(), "Jean".to_string()]);
        assert_eq!(rows[2].clone().expect("row").line, 4);
    }

    #[test]
    fn invalid_utf8_in_a_row_after_the_sample_is_a_row_error() {
        let mut bytes = b"Nom,Ville\n".to_vec();
        let mut rows = 0;
        while bytes.len() <= SAMPLE_SIZE {
            bytes.extend_from_slice("Léger,Orléans\n".as_bytes());
            rows += 1;
        }
        bytes.extend_from_slice(b"Caf\xe9,Paris\n");
        bytes.extend_from_slice(b"Dupont,Lyon\n");
        let mut src = open(&bytes, Target::People);
        assert_eq!(src.encoding_name(), "UTF-8");
        let all = people(&mut src);
        assert_eq!(all.len(), rows + 2);
        let e = all[rows].clone().expect_err("invalid row");
        assert_eq!(e.line, rows as u64 + 2);
        assert_eq!(e.reason.to_string(), "invalid UTF-8 in column Nom");
        assert_eq!(e.raw, vec!["Caf\u{fffd}".to_string(), "Paris".to_string()]);
        assert_eq!(all[rows + 1].clone().expect("row").last_name, s("Dupont"));
    }

    #[test]
    fn a_utf8_file_with_one_damaged_byte_is_still_utf8() {
        let bytes = "Prénom;Nom;Ville\nÉlodie;Martin;Orléans\n"
            .bytes()
            .chain(*b"Caf\xe9;Cr\xe8me;Paris\n")
            .chain("Zoé;Léger;Nîmes\n".bytes())
            .collect::<Vec<_>>();
        let mut src = open(&bytes, Target::People);
        assert_eq!(src.encoding_name(), "UTF-8", "the header reads right");
        let all = people(&mut src);
        assert_eq!(all[0].clone().expect("row").first_name, s("Élodie"));
        let e = all[1].clone().expect_err("the damaged row");
        assert_eq!(e.reason.to_string(), "invalid UTF-8 in column Prénom");
        assert_eq!(all[2].clone().expect("row").first_name, s("Zoé"));
    }

    #[test]
    fn utf8_char_cut_at_the_end_of_the_sample_is_still_utf8() {
        let mut bytes = b"Nom\n".to_vec();
        bytes.resize(SAMPLE_SIZE - 1, b'a');
        bytes.extend_from_slice("é\n".as_bytes());
        let src = open(&bytes, Target::People);
        assert_eq!(src.encoding_name(), "UTF-8");
    }

    #[test]
    fn unterminated_quote_at_eof_is_an_error_naming_the_line() {
        let bytes = b"Nom,Notes\nCurie,ok\nDupont,\"commence\nsans fin\n";
        let mut src = open(bytes, Target::People);
        let rows = people(&mut src);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].is_ok());
        let e = rows[1].clone().expect_err("truncated");
        assert_eq!(e.line, 3);
        assert!(
            e.reason.to_string().contains("unterminated quoted field"),
            "{}",
            e.reason
        );
        assert!(src.next_person().is_none());
    }

    #[test]
    fn closed_quote_at_eof_without_newline_is_fine() {
        let c = ok_people(b"Nom,Notes\nCurie,\"a \"\"b\"\"\"");
        assert_eq!(c[0].notes, s("a \"b\""));
    }

    #[test]
    fn unterminated_quote_in_the_header_is_a_file_error() {
        assert!(matches!(
            CsvSource::open(&b"Nom,\"Notes\n"[..], Target::People, &[]),
            Err(CsvError::UnterminatedHeader { line: 1 })
        ));
    }

    #[test]
    fn blank_rows_are_skipped_and_lines_stay_physical() {
        let bytes = b"\r\nNom;Ville\r\n\r\nCurie;Paris\r\n;\r\n  ;  \r\n\r\nMoulin;Lyon\r\n\r\n";
        let rows = ok_people(bytes);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].line, rows[0].last_name.as_deref()),
            (4, Some("Curie"))
        );
        assert_eq!(
            (rows[1].line, rows[1].last_name.as_deref()),
            (8, Some("Moulin"))
        );
    }

    #[test]
    fn quoted_fields_with_embedded_newlines_and_delimiters_are_kept() {
        let bytes = b"Nom;Adresse;Notes\n\"Dupont; fils\";\"12 rue X\n3e \xc3\xa9tage\";\"dit \"\"le grand\"\"\n\nsuite\"\nCurie;\"1;2\";x\n";
        let rows = ok_people(bytes);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].last_name, s("Dupont; fils"));
        assert_eq!(rows[0].addresses[0].street, s("12 rue X\n3e étage"));
        assert_eq!(rows[0].notes, s("dit \"le grand\"\n\nsuite"));
        assert_eq!(rows[1].line, 6);
        assert_eq!(rows[1].addresses[0].street, s("1;2"));
    }

    /// Hands out one byte per read, to check the tracking across buffer boundaries.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(out)) => {
                    *out = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    impl<'a> Trickle<'a> {
        /// Hands out up to `n` bytes per read instead.
        fn take_chunks(self, n: usize) -> Chunks<'a> {
            Chunks(self.0, n)
        }
    }

    struct Chunks<'a>(&'a [u8], usize);

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn reader_returning_one_byte_at_a_time_gives_the_same_rows_and_lines() {
        let bytes = b"Nom;Notes\r\n\r\n\"A\";\"x\r\ny\"\r\nB;\"\"\"q\"\"\"\r\n\r\nC;z\r\nD;\"open";
        let mut src = CsvSource::open(Trickle(bytes), Target::People, &[]).expect("open");
        let rows = people(&mut src);
        let lines: Vec<u64> = rows
            .iter()
            .map(|r| r.as_ref().map_or_else(|e| e.line, |c| c.line))
            .collect();
        assert_eq!(lines, vec![3, 5, 7, 8]);
        assert_eq!(rows[1].as_ref().expect("row").notes, s("\"q\""));
        assert!(
            rows[3]
                .as_ref()
                .is_err_and(|e| e.reason.code == relais_domain::Code::RowUnterminated)
        );
    }

    #[test]
    fn companies_file_is_mapped() {
        let bytes = b"Raison sociale;SIREN;SIRET;N\xb0 TVA;Secteur d'activit\xe9;Effectif;Site web;Soci\xe9t\xe9 m\xe8re;E-mail;T\xe9l\xe9phone;Adresse;Code postal;Ville;Notes;Tags;Company owner\r\n\
Relais SAS;123456789;12345678900012;FR12123456789;Logiciel;10-49;relais.example;Groupe R;contact@relais.example;01 23 45 67 89;3 place X;69001;Lyon;client;crm|saas;Jane\r\n";
        let mut src = open(bytes, Target::Companies);
        assert_eq!(src.encoding_name(), "windows-1252");
        assert_eq!(mapped(&src, "N° TVA"), Some("vat_number"));
        assert_eq!(mapped(&src, "Company owner"), None);
        let c = src.next_company().expect("a row").expect("valid row");
        assert_eq!(c.line, 2);
        assert_eq!(c.name, s("Relais SAS"));
        assert_eq!(c.siren, s("123456789"));
        assert_eq!(c.siret, s("12345678900012"));
        assert_eq!(c.vat_number, s("FR12123456789"));
        assert_eq!(c.industry, s("Logiciel"));
        assert_eq!(c.size, s("10-49"));
        assert_eq!(c.website, s("relais.example"));
        assert_eq!(c.parent, s("Groupe R"));
        assert_eq!(c.email, s("contact@relais.example"));
        assert_eq!(c.phone, s("01 23 45 67 89"));
        assert_eq!(c.addresses[0].street, s("3 place X"));
        assert_eq!(c.addresses[0].city, s("Lyon"));
        assert_eq!(c.notes, s("client"));
        assert_eq!(c.tags, vec!["crm".to_string(), "saas".to_string()]);
        assert!(src.next_company().is_none());
    }

    #[test]
    fn hubspot_companies_export_is_mapped() {
        let bytes = b"Company name,Company Domain Name,Industry,Number of Employees,Phone Number,Street Address,Street Address 2,City,Country/Region\n\
Acme,acme.com,Retail,250,+1 555,1 Main St,Suite 2,Springfield,United States\n";
        let mut src = open(bytes, Target::Companies);
        let c = src.next_company().expect("a row").expect("valid row");
        assert_eq!(c.name, s("Acme"));
        assert_eq!(c.website, s("acme.com"));
        assert_eq!(c.industry, s("Retail"));
        assert_eq!(c.size, s("250"));
        assert_eq!(c.phone, s("+1 555"));
        assert_eq!(c.addresses[0].street, s("1 Main St\nSuite 2"));
    }

    #[test]
    fn empty_file_is_an_error() {
        for bytes in [&b""[..], b"\xef\xbb\xbf", b"\r\n\r\n  \n"] {
            assert!(matches!(
                CsvSource::open(bytes, Target::People, &[]),
                Err(CsvError::Empty)
            ));
        }
    }

    #[test]
    fn file_without_any_recognisable_column_is_an_error() {
        match CsvSource::open(&b"foo,bar\n1,2\n"[..], Target::People, &[]) {
            Err(CsvError::NoRecognisableColumn { headers }) => assert_eq!(headers, ["foo", "bar"]),
            other => panic!("expected NoRecognisableColumn, got {other:?}"),
        }
    }

    #[test]
    fn utf16_file_is_rejected_with_a_hint() {
        assert!(matches!(
            CsvSource::open(&b"\xff\xfeN\0o\0m\0"[..], Target::People, &[]),
            Err(CsvError::Utf16)
        ));
    }

    #[test]
    fn windows_1252_special_characters_are_decoded() {
        let c = ok_people(b"Nom;Notes\r\nC\x9cur;\x80 \x93cit\xe9\x94 \x85\r\n").remove(0);
        assert_eq!(c.last_name, s("Cœur"));
        assert_eq!(c.notes, s("€ “cité” …"));
    }

    #[test]
    fn old_mac_files_with_cr_line_ends_have_physical_line_numbers() {
        let bytes = b"Nom;Notes\r\rCurie;\"deux\rlignes\"\rMoulin;x\r";
        let rows = ok_people(bytes);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].line, rows[0].notes.as_deref()),
            (3, Some("deux\rlignes"))
        );
        assert_eq!(
            (rows[1].line, rows[1].last_name.as_deref()),
            (5, Some("Moulin"))
        );
    }

    #[test]
    fn literal_quote_inside_an_unquoted_field_does_not_open_quotes() {
        let rows = ok_people(b"Nom,Notes\nDupont,ecran 27\" mat\nCurie,ok\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].notes, s("ecran 27\" mat"));
        assert_eq!(rows[1].line, 3);
    }

    /// Line of byte `at`: lines end with `\n`, `\r\n` or a lone `\r`.
    fn line_of(bytes: &[u8], at: usize) -> u64 {
        let mut line = 1;
        for (i, b) in bytes[..at].iter().enumerate() {
            if *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                line += 1;
            }
        }
        line
    }

    #[test]
    fn record_start_lines_match_the_csv_parser_on_random_input() {
        let pieces: [&[u8]; 9] = [
            b"a", b"bc", b";", b"\"", b"\"\"", b"\n", b"\r\n", b"\r", b" ",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for round in 0..300 {
            let mut input = Vec::new();
            for _ in 0..(round % 60 + 1) {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                input.extend_from_slice(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            for chunk in [1, 3, 4096] {
                let tracked = Tracked {
                    inner: Cursor::new(Vec::new()).chain(Trickle(&input).take_chunks(chunk)),
                    delimiter: b';',
                    state: QuoteState::StartRecord,
                    prev: b'\n',
                    line: 1,
                    starts: VecDeque::new(),
                    eof: false,
                };
                let mut rdr = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(b';')
                    .from_reader(tracked);
                let mut record = ByteRecord::new();
                let mut expected = Vec::new();
                let mut got = Vec::new();
                loop {
                    let from = rdr.position().byte() as usize;
                    if !rdr.read_byte_record(&mut record).expect("in-memory read") {
                        break;
                    }
                    let start = from
                        + input[from..]
                            .iter()
                            .take_while(|b| **b == b'\r' || **b == b'\n')
                            .count();
                    expected.push(line_of(&input, start));
                    got.push(rdr.get_mut().starts.pop_front());
                }
                let expected: Vec<Option<u64>> = expected.into_iter().map(Some).collect();
                assert_eq!(
                    got,
                    expected,
                    "input {:?} chunk {chunk}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }

    #[test]
    fn header_only_file_has_no_rows() {
        let mut src = open(b"Nom,Email", Target::People);
        assert!(src.next_person().is_none());
        assert!(src.next_person().is_none());
    }
}
