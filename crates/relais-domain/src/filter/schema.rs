//! What each kind of record offers to filters: its fields (name, type, where the value is
//! stored) and its relations to other kinds. Written once per kind; the checker (`check`)
//! and the store's SQL compiler read it, so a kind added later (orders, tickets, survey
//! answers) joins the segment language by declaring its spec here and naming it in `KINDS`,
//! and a relation to it from people or companies is one more line in their `relations`.

/// A kind of record as filters see it.
#[derive(Debug)]
pub struct KindSpec {
    /// The name users and the API use: `people`, `interactions`...
    pub name: &'static str,
    /// Its table; every such table has `id` and `deleted_at` (trashed records never count).
    pub table: &'static str,
    /// The entity of its custom fields (`custom.<key>`), when it has some.
    pub custom: Option<&'static str>,
    pub fields: &'static [FieldSpec],
    pub relations: &'static [Relation],
    /// The time column that says which related record is the latest (`.latest(field)`).
    pub latest_by: &'static str,
    /// What `q` searches.
    pub search: Search,
    /// Whose rights guard its records.
    pub resource: crate::Resource,
}

/// How `q` finds records of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// A search index: a table of (term, sort key, owner) rows, the words each record is
    /// found by (names, e-mails, phones...).
    Index {
        terms: &'static str,
        owner: &'static str,
    },
    /// A case-insensitive part of this text column.
    Contains(&'static str),
}

impl KindSpec {
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn relation(&self, name: &str) -> Option<&'static Relation> {
        self.relations.iter().find(|r| r.name == name)
    }

    /// The names of its fields, for messages and documentation.
    pub fn field_names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).collect()
    }
}

#[derive(Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    pub stored: Stored,
}

/// The type of a field's values: how a filter's value is read and which operators apply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    Text,
    /// One of these words.
    Choice(&'static [&'static str]),
    Number,
    /// A moment (stored UTC).
    Time,
    /// A calendar date.
    Day,
    Bool,
    Id,
    /// An amount: compared in its currency (`100 EUR`, `"1 234,50 €"`; euros by default).
    Money,
}

/// Where a field's value lives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stored {
    /// A column of the record's table.
    Column(&'static str),
    /// Text with a folded shadow column (lowercase, no accents) that comparisons use, so
    /// that "emi" finds "Émile" on both engines.
    Folded {
        column: &'static str,
        key: &'static str,
    },
    /// A value among rows of a child table: true when one of them matches.
    Child {
        table: &'static str,
        owner: &'static str,
        column: &'static str,
        norm: Norm,
    },
    /// A person's current consent on a channel: granted, withdrawn or unknown.
    Consent(&'static str),
    /// Yes when this column has a value (a task is done when it has `done_at`).
    IsSet(&'static str),
}

/// How a value is normalised before it is compared with a child column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Norm {
    Exact,
    /// Folded like the shadow columns (`city_key`, `tag_key`).
    Fold,
    /// Lowercase (e-mail address keys).
    Lower,
    /// E.164, as phones are stored.
    Phone,
}

/// Related records of another kind.
#[derive(Debug)]
pub struct Relation {
    pub name: &'static str,
    /// The related kind, by its name in `KINDS`.
    pub kind: &'static str,
    pub link: Link,
}

#[derive(Debug, Clone, Copy)]
pub enum Link {
    /// A table of pairs: `this` holds this record's id, `other` the related record's.
    /// `copied`: columns of the related record the pair table repeats (same name, same
    /// value); conditions on them are read from the pair table, where its index on
    /// (`this`, column) finds them without visiting the related records.
    Pairs {
        table: &'static str,
        this: &'static str,
        other: &'static str,
        copied: &'static [&'static str],
    },
    /// The related record holds this record's id in one of its columns.
    Column(&'static str),
    /// The related record (an interaction, a task) says it is about this record: its
    /// `about_kind` is this kind's name and its `about_id` this record's id.
    About,
}

/// The kinds Relais is made of.
pub const KINDS: [&KindSpec; 4] = [&PEOPLE, &COMPANIES, &INTERACTIONS, &TASKS];

/// Kinds registered while running, besides `KINDS` (a kind defined only in tests).
static REGISTERED: std::sync::RwLock<Vec<&'static KindSpec>> = std::sync::RwLock::new(Vec::new());

/// Makes a kind known to filters and to what links to records of any kind (an interaction
/// about it). Registering a name twice keeps the first.
pub fn register(spec: &'static KindSpec) {
    let mut all = REGISTERED.write().unwrap_or_else(|p| p.into_inner());
    if kind_in(&all, spec.name).is_none() && KINDS.iter().all(|k| k.name != spec.name) {
        all.push(spec);
    }
}

fn kind_in(list: &[&'static KindSpec], name: &str) -> Option<&'static KindSpec> {
    list.iter().copied().find(|k| k.name == name)
}

/// The names custom fields go by (`person`, `company`...), of every kind that has them.
pub fn custom_entities() -> Vec<&'static str> {
    let all = REGISTERED.read().unwrap_or_else(|p| p.into_inner());
    KINDS
        .iter()
        .chain(all.iter())
        .filter_map(|k| k.custom)
        .collect()
}

/// The entity name of custom fields `name` stands for, as the kind declares it.
pub fn custom_entity(name: &str) -> Option<&'static str> {
    custom_entities().into_iter().find(|e| *e == name)
}

/// Every kind: those Relais is made of, then those registered.
pub fn kinds() -> Vec<&'static KindSpec> {
    let all = REGISTERED.read().unwrap_or_else(|p| p.into_inner());
    KINDS.iter().copied().chain(all.iter().copied()).collect()
}

pub fn kind(name: &str) -> Option<&'static KindSpec> {
    kind_in(&KINDS, name).or_else(|| {
        let all = REGISTERED.read().unwrap_or_else(|p| p.into_inner());
        kind_in(&all, name)
    })
}

const fn column(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        stored: Stored::Column(name),
    }
}

const fn folded(name: &'static str, key: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty: FieldType::Text,
        stored: Stored::Folded { column: name, key },
    }
}

const fn child(
    name: &'static str,
    ty: FieldType,
    table: &'static str,
    owner: &'static str,
    column: &'static str,
    norm: Norm,
) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        stored: Stored::Child {
            table,
            owner,
            column,
            norm,
        },
    }
}

const fn consent(name: &'static str, channel: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty: FieldType::Choice(&["granted", "withdrawn", "unknown"]),
        stored: Stored::Consent(channel),
    }
}

// Addresses and tags belong to people and companies alike (`owner_id`).
const CITY: FieldSpec = child(
    "city",
    FieldType::Text,
    "addresses",
    "owner_id",
    "city_key",
    Norm::Fold,
);
const COUNTRY: FieldSpec = child(
    "country",
    FieldType::Text,
    "addresses",
    "owner_id",
    "country",
    Norm::Exact,
);
const TAG: FieldSpec = child(
    "tag",
    FieldType::Text,
    "tags",
    "owner_id",
    "tag_key",
    Norm::Fold,
);

const STAGES: &[&str] = &["lead", "prospect", "customer", "former_customer"];
const CHANNELS: &[&str] = &["email", "sms", "phone", "post"];
const INTERACTION_KINDS: &[&str] = &[
    "call", "email", "meeting", "sms", "chat", "visit", "social", "letter", "note",
];
const DIRECTIONS: &[&str] = &["inbound", "outbound", "internal"];

pub static PEOPLE: KindSpec = KindSpec {
    name: "people",
    table: "people",
    custom: Some("person"),
    fields: &[
        column("id", FieldType::Id),
        column("stage", FieldType::Choice(STAGES)),
        column("owner_id", FieldType::Id),
        folded("source", "source_key"),
        column("language", FieldType::Text),
        column("preferred_channel", FieldType::Choice(CHANNELS)),
        column("civility", FieldType::Text),
        folded("first_name", "first_name_key"),
        folded("last_name", "last_name_key"),
        folded("job_title", "job_title_key"),
        column("birth_month", FieldType::Number),
        column("birth_day", FieldType::Number),
        column("birth_year", FieldType::Number),
        child(
            "email",
            FieldType::Text,
            "person_emails",
            "person_id",
            "address_key",
            Norm::Lower,
        ),
        child(
            "phone",
            FieldType::Text,
            "person_phones",
            "person_id",
            "number",
            Norm::Phone,
        ),
        CITY,
        COUNTRY,
        TAG,
        child(
            "company_id",
            FieldType::Id,
            "person_companies",
            "person_id",
            "company_id",
            Norm::Exact,
        ),
        column("created_at", FieldType::Time),
        column("updated_at", FieldType::Time),
        consent("consent_email", "email"),
        consent("consent_sms", "sms"),
        consent("consent_phone", "phone"),
        consent("consent_post", "post"),
    ],
    relations: &[
        Relation {
            name: "interactions",
            kind: "interactions",
            link: Link::Pairs {
                table: "interaction_people",
                this: "person_id",
                other: "interaction_id",
                copied: &["occurred_at", "kind", "deleted_at"],
            },
        },
        Relation {
            name: "tasks",
            kind: "tasks",
            link: Link::Column("person_id"),
        },
        Relation {
            name: "companies",
            kind: "companies",
            link: Link::Pairs {
                table: "person_companies",
                this: "person_id",
                other: "company_id",
                copied: &[],
            },
        },
    ],
    latest_by: "created_at",
    search: Search::Index {
        terms: "person_terms",
        owner: "person_id",
    },
    resource: crate::Resource::PEOPLE,
};

pub static COMPANIES: KindSpec = KindSpec {
    name: "companies",
    table: "companies",
    custom: Some("company"),
    fields: &[
        column("id", FieldType::Id),
        folded("name", "sort_key"),
        column("siren", FieldType::Text),
        column("siret", FieldType::Text),
        column("vat_number", FieldType::Text),
        folded("industry", "industry_key"),
        column(
            "size",
            FieldType::Choice(&["1-9", "10-49", "50-249", "250-999", "1000-4999", "5000+"]),
        ),
        column("owner_id", FieldType::Id),
        column("parent_id", FieldType::Id),
        CITY,
        COUNTRY,
        TAG,
        column("created_at", FieldType::Time),
        column("updated_at", FieldType::Time),
    ],
    relations: &[
        Relation {
            name: "people",
            kind: "people",
            link: Link::Pairs {
                table: "person_companies",
                this: "company_id",
                other: "person_id",
                copied: &[],
            },
        },
        Relation {
            name: "interactions",
            kind: "interactions",
            link: Link::Column("company_id"),
        },
        Relation {
            name: "tasks",
            kind: "tasks",
            link: Link::Column("company_id"),
        },
        Relation {
            name: "subsidiaries",
            kind: "companies",
            link: Link::Column("parent_id"),
        },
    ],
    latest_by: "created_at",
    search: Search::Index {
        terms: "company_terms",
        owner: "company_id",
    },
    resource: crate::Resource::COMPANIES,
};

pub static INTERACTIONS: KindSpec = KindSpec {
    name: "interactions",
    table: "interactions",
    custom: None,
    fields: &[
        column("id", FieldType::Id),
        column("kind", FieldType::Choice(INTERACTION_KINDS)),
        column("direction", FieldType::Choice(DIRECTIONS)),
        column("occurred_at", FieldType::Time),
        column("duration_minutes", FieldType::Number),
        column("subject", FieldType::Text),
        child(
            "person_id",
            FieldType::Id,
            "interaction_people",
            "interaction_id",
            "person_id",
            Norm::Exact,
        ),
        child(
            "user_id",
            FieldType::Id,
            "interaction_users",
            "interaction_id",
            "user_id",
            Norm::Exact,
        ),
        column("company_id", FieldType::Id),
        ABOUT_KIND,
        ABOUT_ID,
        column("created_by", FieldType::Id),
        column("created_at", FieldType::Time),
    ],
    relations: &[Relation {
        name: "people",
        kind: "people",
        link: Link::Pairs {
            table: "interaction_people",
            this: "interaction_id",
            other: "person_id",
            copied: &[],
        },
    }],
    latest_by: "occurred_at",
    search: Search::Contains("subject"),
    resource: crate::Resource::INTERACTIONS,
};

/// What an interaction or a task is about, when it is a record of another kind.
const ABOUT_KIND: FieldSpec = column("about_kind", FieldType::Text);
const ABOUT_ID: FieldSpec = column("about_id", FieldType::Id);

pub static TASKS: KindSpec = KindSpec {
    name: "tasks",
    table: "tasks",
    custom: None,
    fields: &[
        column("id", FieldType::Id),
        column("title", FieldType::Text),
        column("due_at", FieldType::Time),
        column("done_at", FieldType::Time),
        FieldSpec {
            name: "done",
            ty: FieldType::Bool,
            stored: Stored::IsSet("done_at"),
        },
        column("assignee_id", FieldType::Id),
        column("person_id", FieldType::Id),
        column("company_id", FieldType::Id),
        ABOUT_KIND,
        ABOUT_ID,
        column("created_at", FieldType::Time),
    ],
    relations: &[],
    latest_by: "created_at",
    search: Search::Contains("title"),
    resource: crate::Resource::TASKS,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_relation_names_a_known_kind_and_every_name_is_unique() {
        for k in KINDS {
            for r in k.relations {
                assert!(kind(r.kind).is_some(), "{}.{}", k.name, r.name);
            }
            let mut names = k.field_names();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), k.fields.len(), "{}", k.name);
        }
    }
}
