//! People: the row, their e-mails, phones, company links, and what `owned` keeps.
use crate::bulk::Rows;
use crate::filter::{self, Page};
use crate::owned::{self, CustomWrite};
use crate::search::{self, Hit, Index, TermRows};
use crate::{Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use relais_domain::filter::{Filter, Sort, schema};
use relais_domain::person::{CompanyLink, PersonData, Stage, ValidEmail, ValidPhone};
use relais_domain::search::SearchQuery;
use relais_domain::{Birthday, CompanyId, Email, PersonId, Phone, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};
use std::collections::HashMap;
use uuid::Uuid;

/// A stored person.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecord {
    pub id: PersonId,
    pub data: PersonData,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    civility: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    job_title: Option<String>,
    birth_day: Option<i16>,
    birth_month: Option<i16>,
    birth_year: Option<i16>,
    language: Option<String>,
    preferred_channel: Option<String>,
    stage: String,
    source: Option<String>,
    owner_id: Option<Uuid>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    version: i64,
}

const COLUMNS: [&str; 18] = [
    "id",
    "civility",
    "first_name",
    "last_name",
    "job_title",
    "birth_day",
    "birth_month",
    "birth_year",
    "language",
    "preferred_channel",
    "stage",
    "source",
    "owner_id",
    "notes",
    "created_at",
    "updated_at",
    "deleted_at",
    "version",
];

fn scalar_values(d: &PersonData) -> Vec<sea_query::Value> {
    vec![
        d.civility.clone().into(),
        d.first_name.clone().into(),
        d.last_name.clone().into(),
        d.sort_key().into(),
        d.job_title.clone().into(),
        d.birthday.map(|b| b.day as i16).into(),
        d.birthday.map(|b| b.month as i16).into(),
        d.birthday.and_then(|b| b.year).into(),
        d.language.clone().into(),
        d.preferred_channel.map(|c| c.as_str().to_string()).into(),
        d.stage.as_str().to_string().into(),
        d.source.clone().into(),
        d.owner_id.map(|u| u.0).into(),
        d.notes.clone().into(),
        folded(&d.first_name),
        folded(&d.last_name),
        folded(&d.job_title),
        folded(&d.source),
    ]
}

/// The folded shadow of an optional text (see migration 5).
pub(crate) fn folded(v: &Option<String>) -> sea_query::Value {
    v.as_deref().map(relais_domain::text::fold).into()
}

const SCALAR_COLUMNS: [&str; 18] = [
    "civility",
    "first_name",
    "last_name",
    "sort_key",
    "job_title",
    "birth_day",
    "birth_month",
    "birth_year",
    "language",
    "preferred_channel",
    "stage",
    "source",
    "owner_id",
    "notes",
    "first_name_key",
    "last_name_key",
    "job_title_key",
    "source_key",
];

/// Fills the folded shadow columns of every person from their fields (after migration 5).
pub(crate) async fn refold(tx: &mut Tx) -> Result<()> {
    #[derive(sqlx::FromRow)]
    struct Names {
        id: Uuid,
        first_name: Option<String>,
        last_name: Option<String>,
        job_title: Option<String>,
        source: Option<String>,
    }
    let rows: Vec<Names> = tx
        .fetch_all(
            Query::select()
                .columns(["id", "first_name", "last_name", "job_title", "source"])
                .from("people"),
        )
        .await?;
    for r in rows {
        tx.execute(
            Query::update()
                .table("people")
                .value("first_name_key", folded(&r.first_name))
                .value("last_name_key", folded(&r.last_name))
                .value("job_title_key", folded(&r.job_title))
                .value("source_key", folded(&r.source))
                .and_where(Expr::col("id").eq(r.id)),
        )
        .await?;
    }
    Ok(())
}

/// A person to insert.
pub struct NewPerson<'a> {
    pub id: PersonId,
    pub data: &'a PersonData,
    pub custom: &'a [CustomWrite],
}

/// Inserts a new person with everything they own and the first line of their stage history.
pub async fn insert(
    tx: &mut Tx,
    person: NewPerson<'_>,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    insert_many(tx, &[person], by, now).await
}

/// Inserts many new people in a few statements per table (the import's path).
pub async fn insert_many(
    tx: &mut Tx,
    people: &[NewPerson<'_>],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut columns = vec!["id"];
    columns.extend(SCALAR_COLUMNS);
    columns.extend(["created_at", "updated_at", "version"]);
    let mut rows = Rows::new("people", &columns);
    let mut stages = Rows::new(
        "stage_history",
        &[
            "id",
            "person_id",
            "from_stage",
            "to_stage",
            "changed_at",
            "changed_by",
        ],
    );
    let mut children = Children::default();
    for p in people {
        let mut values = Vec::with_capacity(columns.len());
        values.push(p.id.0.into());
        values.extend(scalar_values(p.data));
        values.extend([now.into(), now.into(), 1i64.into()]);
        rows.push_vec(values);
        stages.push([
            Uuid::now_v7().into(),
            p.id.0.into(),
            None::<String>.into(),
            p.data.stage.as_str().into(),
            now.into(),
            by.map(|u| u.0).into(),
        ]);
        children.add(p.id, p.data, p.custom);
    }
    rows.write(tx).await?;
    stages.write(tx).await?;
    children.write(tx).await?;
    let indexed: Vec<(Uuid, &PersonData)> = people.iter().map(|p| (p.id.0, p.data)).collect();
    index_terms(tx, &indexed).await
}

/// Writes the search terms of these people, from their data and their companies' names.
async fn index_terms(tx: &mut Tx, people: &[(Uuid, &PersonData)]) -> Result<()> {
    let mut company_ids: Vec<Uuid> = people
        .iter()
        .flat_map(|(_, d)| d.companies.iter().map(|c| c.company_id.0))
        .collect();
    company_ids.sort_unstable();
    company_ids.dedup();
    let names = search::company_names(tx, &company_ids).await?;
    let mut rows = TermRows::new(Index::People);
    for (id, d) in people {
        let companies: Vec<&str> = d
            .companies
            .iter()
            .filter_map(|c| names.get(&c.company_id.0).map(String::as_str))
            .collect();
        rows.add(*id, &d.sort_key(), d.search_terms(&companies));
    }
    rows.write(tx).await
}

/// Computes the search terms of these people again from what is stored: after a company
/// they work for was renamed, merged or purged, or after a migration.
pub async fn refresh_terms(tx: &mut Tx, ids: &[Uuid]) -> Result<()> {
    for chunk in ids.chunks(500) {
        let people = by_ids(tx, chunk).await?;
        search::delete(tx, Index::People, chunk).await?;
        let indexed: Vec<(Uuid, &PersonData)> = people.iter().map(|p| (p.id.0, &p.data)).collect();
        index_terms(tx, &indexed).await?;
    }
    Ok(())
}

/// The people linked to a company, trashed ones included.
pub async fn ids_in_company(tx: &mut Tx, company: CompanyId) -> Result<Vec<Uuid>> {
    let rows: Vec<IdRow> = tx
        .fetch_all(
            Query::select()
                .expr_as(Expr::col("person_id"), "id")
                .from("person_companies")
                .and_where(Expr::col("company_id").eq(company.0)),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The rows a person owns, for one person or many.
struct Children {
    emails: Rows,
    phones: Rows,
    companies: Rows,
    owned: owned::OwnedRows,
}

impl Default for Children {
    fn default() -> Self {
        Children {
            emails: Rows::new(
                "person_emails",
                &["person_id", "position", "kind", "address", "address_key"],
            ),
            phones: Rows::new(
                "person_phones",
                &["person_id", "position", "kind", "number"],
            ),
            companies: Rows::new(
                "person_companies",
                &["person_id", "company_id", "role", "is_primary", "name_key"],
            ),
            owned: owned::OwnedRows::new(),
        }
    }
}

impl Children {
    fn add(&mut self, id: PersonId, d: &PersonData, custom: &[CustomWrite]) {
        for (i, m) in d.emails.iter().enumerate() {
            self.emails.push([
                id.0.into(),
                (i as i16).into(),
                m.kind.clone().into(),
                m.address.as_str().into(),
                m.address.key().into(),
            ]);
        }
        for (i, p) in d.phones.iter().enumerate() {
            self.phones.push([
                id.0.into(),
                (i as i16).into(),
                p.kind.clone().into(),
                p.number.as_str().into(),
            ]);
        }
        let name_key = d.sort_key();
        for c in &d.companies {
            self.companies.push([
                id.0.into(),
                c.company_id.0.into(),
                c.role.clone().into(),
                c.primary.into(),
                name_key.clone().into(),
            ]);
        }
        self.owned.addresses(id.0, &d.addresses);
        self.owned.tags(id.0, &d.tags);
        self.owned.custom(id.0, custom);
    }

    async fn write(self, tx: &mut Tx) -> Result<()> {
        self.emails.write(tx).await?;
        self.phones.write(tx).await?;
        self.companies.write(tx).await?;
        self.owned.write(tx).await
    }
}

/// Replaces a person's data if their version is still `expected`: the version check and the
/// write are one statement, so two concurrent edits can't both win. Returns the new version.
pub async fn update(
    tx: &mut Tx,
    id: PersonId,
    expected: i64,
    d: &PersonData,
    custom: &[CustomWrite],
    now: DateTime<Utc>,
) -> Result<i64> {
    let mut q = Query::update();
    q.table("people");
    for (c, v) in SCALAR_COLUMNS.iter().zip(scalar_values(d)) {
        q.value(*c, v);
    }
    q.value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(id.0))
        .and_where(Expr::col("version").eq(expected))
        .and_where(Expr::col("deleted_at").is_null());
    if tx.execute(&q).await? == 0 {
        return Err(match get(tx, id, true).await? {
            Some(p) if p.deleted_at.is_none() => StoreError::Conflict,
            _ => StoreError::NotFound,
        });
    }
    for table in ["person_emails", "person_phones", "person_companies"] {
        tx.execute(
            Query::delete()
                .from_table(table)
                .and_where(Expr::col("person_id").eq(id.0)),
        )
        .await?;
    }
    owned::delete_all(tx, id.0).await?;
    search::delete(tx, Index::People, &[id.0]).await?;
    let mut children = Children::default();
    children.add(id, d, custom);
    children.write(tx).await?;
    index_terms(tx, &[(id.0, d)]).await?;
    Ok(expected + 1)
}

/// Moves to the trash (`deleted = true`) or back.
pub async fn set_deleted(
    tx: &mut Tx,
    id: PersonId,
    deleted: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = Query::update()
        .table("people")
        .value("deleted_at", if deleted { Some(now) } else { None })
        .value("updated_at", now)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(id.0))
        .and_where(if deleted {
            Expr::col("deleted_at").is_null()
        } else {
            Expr::col("deleted_at").is_not_null()
        })
        .to_owned();
    if tx.execute(&q).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Erases a person for good, with everything only they own.
pub async fn purge(tx: &mut Tx, id: PersonId) -> Result<()> {
    owned::delete_all(tx, id.0).await?;
    search::delete(tx, Index::People, &[id.0]).await?;
    tx.execute(
        Query::delete()
            .from_table("audit_log")
            .and_where(Expr::col("entity_id").eq(id.0)),
    )
    .await?;
    if tx
        .execute(
            Query::delete()
                .from_table("people")
                .and_where(Expr::col("id").eq(id.0)),
        )
        .await?
        == 0
    {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn get(tx: &mut Tx, id: PersonId, include_deleted: bool) -> Result<Option<PersonRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from("people")
        .and_where(Expr::col("id").eq(id.0));
    if !include_deleted {
        q.and_where(Expr::col("deleted_at").is_null());
    }
    let rows: Vec<PersonRow> = tx.fetch_all(&q).await?;
    Ok(hydrate(tx, rows).await?.pop())
}

/// A page of people matching `filter`, in `sort` order, after the cursor.
pub async fn list(
    tx: &mut Tx,
    f: &Filter,
    sort: Sort,
    page: &Page,
    ctx: &filter::Context,
) -> Result<Vec<PersonRecord>> {
    let mut q = Query::select();
    q.columns(COLUMNS.map(|c| ("people", c))).from("people");
    q.and_where(if page.trash {
        Expr::col(("people", "deleted_at")).is_not_null()
    } else {
        Expr::col(("people", "deleted_at")).is_null()
    });
    q.cond_where(filter::condition(&schema::PEOPLE, f, ctx)?);
    filter::keyset(&mut q, "people", sort, page)?;
    let rows: Vec<PersonRow> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

/// A page of people matching `q` and `f`, in relevance order (see `search::page`), each
/// with the hit that places it.
pub async fn search(
    tx: &mut Tx,
    q: &SearchQuery,
    f: &Filter,
    page: &Page,
    ctx: &filter::Context,
) -> Result<Vec<(Hit, PersonRecord)>> {
    let cond = sea_query::Condition::all()
        .add(if page.trash {
            Expr::col(("people", "deleted_at")).is_not_null()
        } else {
            Expr::col(("people", "deleted_at")).is_null()
        })
        .add(filter::condition(&schema::PEOPLE, f, ctx)?);
    let hits = search::page(
        tx,
        Index::People,
        q,
        cond,
        page.after.as_ref(),
        page.limit + 1,
    )
    .await?;
    let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
    let mut found: HashMap<Uuid, PersonRecord> = by_ids(tx, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id.0, p))
        .collect();
    Ok(hits
        .into_iter()
        .filter_map(|h| found.remove(&h.id).map(|p| (h, p)))
        .collect())
}

/// People (not in the trash) whose birthday falls between two days of the year, the window
/// crossing at most one month end: `from` and `to` are (month, day). With `owner`, only
/// theirs. Unordered; at most `limit`.
pub async fn birthdays(
    tx: &mut Tx,
    owner: Option<UserId>,
    from: (u32, u32),
    to: (u32, u32),
    limit: u64,
) -> Result<Vec<PersonRecord>> {
    let (m1, d1) = (from.0 as i16, from.1 as i16);
    let (m2, d2) = (to.0 as i16, to.1 as i16);
    let window = if m1 == m2 {
        sea_query::Condition::all()
            .add(Expr::col("birth_month").eq(m1))
            .add(Expr::col("birth_day").between(d1, d2))
    } else {
        sea_query::Condition::any()
            .add(
                Expr::col("birth_month")
                    .eq(m1)
                    .and(Expr::col("birth_day").gte(d1)),
            )
            .add(
                Expr::col("birth_month")
                    .eq(m2)
                    .and(Expr::col("birth_day").lte(d2)),
            )
    };
    let mut q = Query::select();
    q.columns(COLUMNS)
        .from("people")
        .cond_where(window)
        .and_where(Expr::col("deleted_at").is_null())
        .limit(limit);
    if let Some(o) = owner {
        q.and_where(Expr::col("owner_id").eq(o.0));
    }
    let rows: Vec<PersonRow> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

/// A user's customers with nothing on their timeline since `since`, by name: the ones to
/// call back.
pub async fn quiet_customers(
    tx: &mut Tx,
    owner: UserId,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<PersonRecord>> {
    let recent = Query::select()
        .expr(Expr::val(1))
        .from("interaction_people")
        .and_where(Expr::col(("interaction_people", "person_id")).equals(("people", "id")))
        .and_where(Expr::col(("interaction_people", "occurred_at")).gt(since))
        .to_owned();
    let q = Query::select()
        .columns(COLUMNS.map(|c| ("people", c)))
        .from("people")
        .and_where(Expr::col(("people", "owner_id")).eq(owner.0))
        .and_where(Expr::col(("people", "stage")).eq(Stage::Customer.as_str()))
        .and_where(Expr::col(("people", "deleted_at")).is_null())
        .and_where(Expr::not_exists(recent))
        .order_by(("people", "sort_key"), Order::Asc)
        .limit(limit)
        .to_owned();
    let rows: Vec<PersonRow> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

/// These people, trashed or not, in no particular order.
async fn by_ids(tx: &mut Tx, ids: &[Uuid]) -> Result<Vec<PersonRecord>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let q = Query::select()
        .columns(COLUMNS)
        .from("people")
        .and_where(Expr::col("id").is_in(ids.iter().copied()))
        .to_owned();
    let rows: Vec<PersonRow> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

pub async fn count(tx: &mut Tx, f: &Filter, ctx: &filter::Context) -> Result<i64> {
    let mut q = Query::select();
    q.expr_as(Expr::col(("people", "id")).count(), "n")
        .from("people");
    q.and_where(Expr::col(("people", "deleted_at")).is_null());
    q.cond_where(filter::condition(&schema::PEOPLE, f, ctx)?);
    Ok(tx.fetch_one::<crate::Count>(&q).await?.n)
}

pub async fn get_many(tx: &mut Tx, ids: &[PersonId]) -> Result<Vec<PersonRecord>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let q = Query::select()
        .columns(COLUMNS)
        .from("people")
        .and_where(Expr::col("id").is_in(ids.iter().map(|i| i.0)))
        .and_where(Expr::col("deleted_at").is_null())
        .order_by("sort_key", Order::Asc)
        .to_owned();
    let rows: Vec<PersonRow> = tx.fetch_all(&q).await?;
    hydrate(tx, rows).await
}

#[derive(sqlx::FromRow)]
struct EmailRow {
    person_id: Uuid,
    kind: String,
    address: String,
}

#[derive(sqlx::FromRow)]
struct PhoneRow {
    person_id: Uuid,
    kind: String,
    number: String,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    person_id: Uuid,
    company_id: Uuid,
    role: Option<String>,
    is_primary: bool,
}

/// Loads what a page of people own in a fixed number of queries, whatever the page size.
async fn hydrate(tx: &mut Tx, rows: Vec<PersonRow>) -> Result<Vec<PersonRecord>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let by_person = |table: &str, cols: &[&'static str]| {
        Query::select()
            .columns(cols.to_vec())
            .from(sea_query::Alias::new(table))
            .and_where(Expr::col("person_id").is_in(ids.iter().copied()))
            .to_owned()
    };
    let mut emails: HashMap<Uuid, Vec<ValidEmail>> = HashMap::new();
    let q = by_person("person_emails", &["person_id", "kind", "address"])
        .order_by("position", Order::Asc)
        .to_owned();
    for r in tx.fetch_all::<EmailRow>(&q).await? {
        // Stored values were valid when written; a value that no longer parses is kept out
        // rather than failing the whole page.
        if let Ok(address) = Email::parse(&r.address) {
            emails.entry(r.person_id).or_default().push(ValidEmail {
                kind: r.kind,
                address,
            });
        }
    }
    let mut phones: HashMap<Uuid, Vec<ValidPhone>> = HashMap::new();
    let q = by_person("person_phones", &["person_id", "kind", "number"])
        .order_by("position", Order::Asc)
        .to_owned();
    for r in tx.fetch_all::<PhoneRow>(&q).await? {
        if let Ok(number) = Phone::parse(&r.number) {
            phones.entry(r.person_id).or_default().push(ValidPhone {
                kind: r.kind,
                number,
            });
        }
    }
    let mut links: HashMap<Uuid, Vec<CompanyLink>> = HashMap::new();
    let q = by_person(
        "person_companies",
        &["person_id", "company_id", "role", "is_primary"],
    );
    for r in tx.fetch_all::<LinkRow>(&q).await? {
        let link = CompanyLink {
            company_id: CompanyId(r.company_id),
            role: r.role,
            primary: r.is_primary,
        };
        links.entry(r.person_id).or_default().push(link);
    }
    let mut owned = owned::load(tx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let birthday = match (r.birth_day, r.birth_month) {
                (Some(d), Some(m)) => {
                    Birthday::new(d as u32, m as u32, r.birth_year.map(i32::from)).ok()
                }
                _ => None,
            };
            let mut companies = links.remove(&r.id).unwrap_or_default();
            companies.sort_by_key(|c| !c.primary);
            PersonRecord {
                id: PersonId(r.id),
                data: PersonData {
                    civility: r.civility,
                    first_name: r.first_name,
                    last_name: r.last_name,
                    job_title: r.job_title,
                    companies,
                    emails: emails.remove(&r.id).unwrap_or_default(),
                    phones: phones.remove(&r.id).unwrap_or_default(),
                    addresses: owned.addresses.remove(&r.id).unwrap_or_default(),
                    birthday,
                    language: r.language,
                    preferred_channel: r
                        .preferred_channel
                        .and_then(|c| relais_domain::person::Channel::parse(&c).ok()),
                    stage: Stage::parse(&r.stage).unwrap_or_default(),
                    source: r.source,
                    owner_id: r.owner_id.map(UserId),
                    tags: owned.tags.remove(&r.id).unwrap_or_default(),
                    notes: r.notes,
                    custom: owned.custom.remove(&r.id).unwrap_or_default(),
                },
                created_at: r.created_at,
                updated_at: r.updated_at,
                deleted_at: r.deleted_at,
                version: r.version,
            }
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: Uuid,
}

/// What identifies a person when looking for duplicates: an e-mail, a phone, or a name within
/// a company.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MatchKey {
    Email(String),
    Phone(String),
    NameInCompany(String, CompanyId),
}

impl MatchKey {
    /// Every key of a person (the same rules as `find_matches`).
    pub fn of(d: &PersonData) -> Vec<MatchKey> {
        let mut keys: Vec<MatchKey> = d
            .emails
            .iter()
            .map(|m| MatchKey::Email(m.address.key()))
            .collect();
        keys.extend(
            d.phones
                .iter()
                .map(|p| MatchKey::Phone(p.number.as_str().to_string())),
        );
        if d.first_name.is_some() || d.last_name.is_some() {
            let name = d.sort_key();
            keys.extend(
                d.companies
                    .iter()
                    .map(|c| MatchKey::NameInCompany(name.clone(), c.company_id)),
            );
        }
        keys
    }
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    key: String,
    id: Uuid,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct NameRow {
    key: String,
    company_id: Uuid,
    id: Uuid,
    created_at: DateTime<Utc>,
}

/// The people (not in the trash) that hold any of `keys`, each with when they were created:
/// the duplicates of a whole batch of rows found in three queries.
pub async fn find_by_keys(
    tx: &mut Tx,
    keys: &[MatchKey],
) -> Result<HashMap<MatchKey, (PersonId, DateTime<Utc>)>> {
    let mut emails = Vec::new();
    let mut phones = Vec::new();
    let mut pairs = Vec::new();
    for k in keys {
        match k {
            MatchKey::Email(e) => emails.push(e.clone()),
            MatchKey::Phone(p) => phones.push(p.clone()),
            MatchKey::NameInCompany(n, c) => pairs.push((n.clone(), c.0)),
        }
    }
    let mut found = HashMap::new();
    let mut keep = |key: MatchKey, id: Uuid, at: DateTime<Utc>| {
        let e = found.entry(key).or_insert((PersonId(id), at));
        if at < e.1 {
            *e = (PersonId(id), at);
        }
    };
    for (table, column, values, kind) in [
        (
            "person_emails",
            "address_key",
            emails,
            MatchKey::Email as fn(String) -> MatchKey,
        ),
        ("person_phones", "number", phones, MatchKey::Phone),
    ] {
        for chunk in values.chunks(IN_LIST) {
            let q = Query::select()
                .expr_as(Expr::col(("k", column)), "key")
                .expr_as(Expr::col(("p", "id")), "id")
                .column(("p", "created_at"))
                .from_as(table, "k")
                .join_as(
                    sea_query::JoinType::InnerJoin,
                    "people",
                    "p",
                    Expr::col(("p", "id")).equals(("k", "person_id")),
                )
                .and_where(Expr::col(("k", column)).is_in(chunk.iter().cloned()))
                .and_where(Expr::col(("p", "deleted_at")).is_null())
                .to_owned();
            for r in tx.fetch_all::<KeyRow>(&q).await? {
                keep(kind(r.key), r.id, r.created_at);
            }
        }
    }
    // Exact (name, company) pairs: a real file repeats names and companies, and asking for
    // every name at every company of the batch returns more rows with each batch.
    pairs.sort();
    pairs.dedup();
    for chunk in pairs.chunks(PAIRS) {
        let any = chunk
            .iter()
            .fold(sea_query::Condition::any(), |c, (n, id)| {
                // One seek of (company_id, name_key) per pair (migration 10).
                c.add(
                    Expr::col(("pc", "company_id"))
                        .eq(*id)
                        .and(Expr::col(("pc", "name_key")).eq(n.clone())),
                )
            });
        {
            let q = Query::select()
                .expr_as(Expr::col(("pc", "name_key")), "key")
                .column(("pc", "company_id"))
                .expr_as(Expr::col(("p", "id")), "id")
                .column(("p", "created_at"))
                .from_as("person_companies", "pc")
                .join_as(
                    sea_query::JoinType::InnerJoin,
                    "people",
                    "p",
                    Expr::col(("p", "id")).equals(("pc", "person_id")),
                )
                .cond_where(any)
                .and_where(Expr::col(("p", "deleted_at")).is_null())
                .to_owned();
            for r in tx.fetch_all::<NameRow>(&q).await? {
                keep(
                    MatchKey::NameInCompany(r.key, CompanyId(r.company_id)),
                    r.id,
                    r.created_at,
                );
            }
        }
    }
    Ok(found)
}

/// (name, company) pairs per lookup: each is two bound values in an OR of conditions.
const PAIRS: usize = 200;

/// Values per `IN (...)` list: well under the engines' parameter limits.
const IN_LIST: usize = 5_000;

/// People (not in the trash) who share an e-mail address or a phone number with `d`,
/// or have the same name at one of `d`'s companies: the duplicate rule of imports.
pub async fn find_matches(tx: &mut Tx, d: &PersonData) -> Result<Vec<PersonId>> {
    let mut any = sea_query::Condition::any();
    let keys: Vec<String> = d.emails.iter().map(|m| m.address.key()).collect();
    if !keys.is_empty() {
        any = any.add(
            Expr::col(("people", "id")).in_subquery(
                Query::select()
                    .column("person_id")
                    .from("person_emails")
                    .and_where(Expr::col("address_key").is_in(keys))
                    .to_owned(),
            ),
        );
    }
    let numbers: Vec<String> = d
        .phones
        .iter()
        .map(|p| p.number.as_str().to_string())
        .collect();
    if !numbers.is_empty() {
        any = any.add(
            Expr::col(("people", "id")).in_subquery(
                Query::select()
                    .column("person_id")
                    .from("person_phones")
                    .and_where(Expr::col("number").is_in(numbers))
                    .to_owned(),
            ),
        );
    }
    let companies: Vec<Uuid> = d.companies.iter().map(|c| c.company_id.0).collect();
    if !companies.is_empty() && (d.first_name.is_some() || d.last_name.is_some()) {
        any = any.add(
            sea_query::Condition::all()
                .add(Expr::col(("people", "sort_key")).eq(d.sort_key()))
                .add(
                    Expr::col(("people", "id")).in_subquery(
                        Query::select()
                            .column("person_id")
                            .from("person_companies")
                            .and_where(Expr::col("company_id").is_in(companies))
                            .to_owned(),
                    ),
                ),
        );
    }
    if any.is_empty() {
        return Ok(vec![]);
    }
    let q = Query::select()
        .column(("people", "id"))
        .from("people")
        .cond_where(any)
        .and_where(Expr::col(("people", "deleted_at")).is_null())
        .order_by(("people", "created_at"), Order::Asc)
        .limit(10)
        .to_owned();
    Ok(tx
        .fetch_all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| PersonId(r.id))
        .collect())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct StageChange {
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<Uuid>,
}

/// Records a change of lifecycle stage (or the first stage, `from` = None).
pub async fn record_stage(
    tx: &mut Tx,
    id: PersonId,
    from: Option<Stage>,
    to: Stage,
    by: Option<UserId>,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        Query::insert()
            .into_table("stage_history")
            .columns([
                "id",
                "person_id",
                "from_stage",
                "to_stage",
                "changed_at",
                "changed_by",
            ])
            .values_panic([
                Uuid::now_v7().into(),
                id.0.into(),
                from.map(|s| s.as_str()).into(),
                to.as_str().into(),
                at.into(),
                by.map(|u| u.0).into(),
            ]),
    )
    .await?;
    Ok(())
}

/// The dated history of a person's stages, oldest first.
pub async fn stage_history(tx: &mut Tx, id: PersonId) -> Result<Vec<StageChange>> {
    tx.fetch_all(
        Query::select()
            .columns(["from_stage", "to_stage", "changed_at", "changed_by"])
            .from("stage_history")
            .and_where(Expr::col("person_id").eq(id.0))
            .order_by("changed_at", Order::Asc)
            .order_by("id", Order::Asc),
    )
    .await
}

/// Moves the stage history of a merged person to the survivor.
pub async fn reassign_history(tx: &mut Tx, from: PersonId, to: PersonId) -> Result<()> {
    tx.execute(
        Query::update()
            .table("stage_history")
            .value("person_id", to.0)
            .and_where(Expr::col("person_id").eq(from.0)),
    )
    .await?;
    Ok(())
}
