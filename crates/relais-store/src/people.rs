//! People as a kind of record (`records`), and what only people have: e-mails, phones and
//! links to companies as child rows, the stage history, birthdays, the duplicate keys.
use crate::bulk::Rows;
use crate::coded;
use crate::owned::Owned;
use crate::records::{self, Record, Stored, folded};
use crate::search;
use crate::{Result, Tx};
use chrono::{DateTime, Utc};
use relais_domain::filter::schema::{self, KindSpec};
use relais_domain::person::{Address, CompanyLink, PersonData, Stage, ValidEmail, ValidPhone};
use relais_domain::{Birthday, CompanyId, Email, PersonId, Phone, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// People, as a kind of record.
pub struct People;

pub type PersonRecord = Record<People>;

#[derive(sqlx::FromRow)]
pub struct PersonRow {
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
}

impl Stored for People {
    type Id = PersonId;
    type Data = PersonData;
    type Row = PersonRow;
    const SPEC: &'static KindSpec = &schema::PEOPLE;
    const READ: &'static [&'static str] = &[
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
    ];
    const CHILDREN: &'static [(&'static str, &'static str)] = &[
        ("person_emails", "person_id"),
        ("person_phones", "person_id"),
        ("person_companies", "person_id"),
    ];

    fn written(d: &PersonData) -> Vec<(&'static str, Value)> {
        vec![
            ("civility", d.civility.clone().into()),
            ("first_name", d.first_name.clone().into()),
            ("last_name", d.last_name.clone().into()),
            ("sort_key", d.sort_key().into()),
            ("job_title", d.job_title.clone().into()),
            ("birth_day", d.birthday.map(|b| b.day as i16).into()),
            ("birth_month", d.birthday.map(|b| b.month as i16).into()),
            ("birth_year", d.birthday.and_then(|b| b.year).into()),
            ("language", d.language.clone().into()),
            (
                "preferred_channel",
                d.preferred_channel.map(|c| c.as_str().to_string()).into(),
            ),
            ("stage", d.stage.as_str().to_string().into()),
            ("source", d.source.clone().into()),
            ("owner_id", d.owner_id.map(|u| u.0).into()),
            ("notes", d.notes.clone().into()),
            ("first_name_key", folded(&d.first_name)),
            ("last_name_key", folded(&d.last_name)),
            ("job_title_key", folded(&d.job_title)),
            ("source_key", folded(&d.source)),
        ]
    }

    fn sort_key(d: &PersonData) -> String {
        d.sort_key()
    }

    fn owned(d: &PersonData) -> (&[Address], &[String]) {
        (&d.addresses, &d.tags)
    }

    async fn hydrate(
        tx: &mut Tx,
        rows: Vec<(Uuid, PersonRow)>,
        owned: Owned,
    ) -> Result<Vec<PersonData>> {
        hydrate(tx, rows, owned).await
    }

    async fn write_children(tx: &mut Tx, people: &[(Uuid, &PersonData)]) -> Result<()> {
        let mut children = Children::default();
        for (id, d) in people {
            children.add(*id, d);
        }
        children.write(tx).await
    }

    /// The first line of their stage history.
    async fn inserted(
        tx: &mut Tx,
        people: &[(Uuid, &PersonData)],
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut stages = StageRows::default();
        for (id, d) in people {
            stages.add(*id, None, d.stage, by, now);
        }
        stages.0.write(tx).await
    }

    async fn updated(
        tx: &mut Tx,
        id: Uuid,
        before: &PersonData,
        after: &PersonData,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if before.stage == after.stage {
            return Ok(());
        }
        record_stage(tx, PersonId(id), Some(before.stage), after.stage, by, now).await
    }

    async fn terms(tx: &mut Tx, people: &[(Uuid, &PersonData)]) -> Result<Vec<Vec<String>>> {
        let mut company_ids: Vec<Uuid> = people
            .iter()
            .flat_map(|(_, d)| d.companies.iter().map(|c| c.company_id.0))
            .collect();
        company_ids.sort_unstable();
        company_ids.dedup();
        let names = search::company_names(tx, &company_ids).await?;
        Ok(people
            .iter()
            .map(|(_, d)| {
                let companies: Vec<&str> = d
                    .companies
                    .iter()
                    .filter_map(|c| names.get(&c.company_id.0).map(String::as_str))
                    .collect();
                d.search_terms(&companies)
            })
            .collect())
    }
}

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

/// The rows a person owns besides the shared ones, for one person or many.
struct Children {
    emails: Rows,
    phones: Rows,
    companies: Rows,
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
        }
    }
}

impl Children {
    fn add(&mut self, id: Uuid, d: &PersonData) {
        for (i, m) in d.emails.iter().enumerate() {
            self.emails.push([
                id.into(),
                (i as i16).into(),
                m.kind.clone().into(),
                m.address.as_str().into(),
                m.address.key().into(),
            ]);
        }
        for (i, p) in d.phones.iter().enumerate() {
            self.phones.push([
                id.into(),
                (i as i16).into(),
                p.kind.clone().into(),
                p.number.as_str().into(),
            ]);
        }
        let name_key = d.sort_key();
        for c in &d.companies {
            self.companies.push([
                id.into(),
                c.company_id.0.into(),
                c.role.clone().into(),
                c.primary.into(),
                name_key.clone().into(),
            ]);
        }
    }

    async fn write(self, tx: &mut Tx) -> Result<()> {
        self.emails.write(tx).await?;
        self.phones.write(tx).await?;
        self.companies.write(tx).await
    }
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
    let mut q = records::select::<People>();
    q.cond_where(window)
        .and_where(Expr::col(("people", "deleted_at")).is_null())
        .limit(limit);
    if let Some(o) = owner {
        q.and_where(Expr::col(("people", "owner_id")).eq(o.0));
    }
    records::fetch::<People>(tx, &q).await
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
    let mut q = records::select::<People>();
    q.and_where(Expr::col(("people", "owner_id")).eq(owner.0))
        .and_where(Expr::col(("people", "stage")).eq(Stage::Customer.as_str()))
        .and_where(Expr::col(("people", "deleted_at")).is_null())
        .and_where(Expr::not_exists(recent))
        .order_by(("people", "sort_key"), Order::Asc)
        .limit(limit);
    records::fetch::<People>(tx, &q).await
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
async fn hydrate(
    tx: &mut Tx,
    rows: Vec<(Uuid, PersonRow)>,
    mut owned: Owned,
) -> Result<Vec<PersonData>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<Uuid> = rows.iter().map(|(id, _)| *id).collect();
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
        // Stored values were valid when written; one today's rules refuse is kept as it is.
        emails.entry(r.person_id).or_default().push(ValidEmail {
            kind: r.kind,
            address: Email::from_store(r.address),
        });
    }
    let mut phones: HashMap<Uuid, Vec<ValidPhone>> = HashMap::new();
    let q = by_person("person_phones", &["person_id", "kind", "number"])
        .order_by("position", Order::Asc)
        .to_owned();
    for r in tx.fetch_all::<PhoneRow>(&q).await? {
        phones.entry(r.person_id).or_default().push(ValidPhone {
            kind: r.kind,
            number: Phone::from_store(r.number),
        });
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
    Ok(rows
        .into_iter()
        .map(|(id, r)| {
            let birthday = match (r.birth_day, r.birth_month) {
                (Some(d), Some(m)) => coded::read(
                    &format!("{:?}-{d}-{m}", r.birth_year),
                    |_| Birthday::new(d as u32, m as u32, r.birth_year.map(i32::from)),
                    "people",
                    "birthday",
                    id,
                ),
                _ => None,
            };
            let mut companies = links.remove(&id).unwrap_or_default();
            companies.sort_by_key(|c| !c.primary);
            let o = owned.take(id);
            PersonData {
                civility: r.civility,
                first_name: r.first_name,
                last_name: r.last_name,
                job_title: r.job_title,
                companies,
                emails: emails.remove(&id).unwrap_or_default(),
                phones: phones.remove(&id).unwrap_or_default(),
                addresses: o.addresses,
                birthday,
                language: r.language,
                preferred_channel: r.preferred_channel.and_then(|c| {
                    let parse = relais_domain::person::Channel::parse;
                    coded::read(&c, parse, "people", "preferred_channel", id)
                }),
                stage: coded::read(&r.stage, Stage::parse, "people", "stage", id)
                    .unwrap_or_default(),
                source: r.source,
                owner_id: r.owner_id.map(UserId),
                tags: o.tags,
                notes: r.notes,
                custom: o.custom,
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
    let mut rows = StageRows::default();
    rows.add(id.0, from, to, by, at);
    rows.0.write(tx).await
}

/// Lines of stage history, gathered to be written in a few statements.
struct StageRows(Rows);

impl Default for StageRows {
    fn default() -> Self {
        StageRows(Rows::new(
            "stage_history",
            &[
                "id",
                "person_id",
                "from_stage",
                "to_stage",
                "changed_at",
                "changed_by",
            ],
        ))
    }
}

impl StageRows {
    fn add(
        &mut self,
        person: Uuid,
        from: Option<Stage>,
        to: Stage,
        by: Option<UserId>,
        at: DateTime<Utc>,
    ) {
        self.0.push([
            Uuid::now_v7().into(),
            person.into(),
            from.map(|s| s.as_str()).into(),
            to.as_str().into(),
            at.into(),
            by.map(|u| u.0).into(),
        ]);
    }
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
