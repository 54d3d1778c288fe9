use super::raw::{RawAddress, RawContact};
use crate::auth::Actor;
use crate::error::Result;
use crate::record;
use relais_domain::company::CompanyDraft;
use relais_domain::custom::Entity;
use relais_domain::person::{
    Address, CompanyLink, EmailEntry, PersonData, PersonDraft, PhoneEntry,
};
use relais_domain::text::fold;
use relais_domain::{Action, CompanyId, Invalid, PersonId, Resource};
use relais_store::custom_fields::CustomField;
use relais_store::import_log::LoggedChange;
use relais_store::owned::CustomWrite;
use relais_store::people::{MatchKey, People};
use relais_store::records::New;
use relais_store::{Db, Tx};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDuplicate {
    /// Leave the existing record as it is.
    #[default]
    Skip,
    /// Add what the file knows to the existing record (new e-mails, phones, tags; filled fields).
    Update,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub dry_run: bool,
    pub on_duplicate: OnDuplicate,
    /// The import's id, under which what each batch changes is logged so that the import can
    /// be undone (`import::undo`); none for an import that needs no undo (a benchmark).
    pub log: Option<Uuid>,
}

/// A row that was not imported, with the reasons (codes and their values, each naming the
/// field it is about, or none when the row as a whole could not be read) and its cells as
/// read.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub line: u64,
    pub reason: Invalid,
    pub raw: Vec<String>,
}

impl From<super::csv_source::RowError> for Rejected {
    fn from(e: super::csv_source::RowError) -> Self {
        Rejected {
            line: e.line,
            reason: Invalid::whole(e.reason),
            raw: e.raw,
        }
    }
}

/// A card is a row of a vCard file; it has no cells.
impl From<super::vcard::CardError> for Rejected {
    fn from(e: super::vcard::CardError) -> Self {
        Rejected {
            line: e.card,
            reason: Invalid::whole(e.reason),
            raw: Vec::new(),
        }
    }
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub rejected: u64,
    /// Companies created for people whose company was not in Relais yet.
    pub companies_created: u64,
    pub dry_run: bool,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.dry_run { "would be " } else { "" };
        write!(
            f,
            "{} {verb}created, {} {verb}updated, {} unchanged, {} skipped as duplicates, {} rejected",
            self.created, self.updated, self.unchanged, self.skipped, self.rejected
        )?;
        if self.companies_created > 0 {
            write!(f, " ({} companies {verb}created)", self.companies_created)?;
        }
        Ok(())
    }
}

/// What a run tells its caller as it goes.
pub enum Event<'a> {
    /// Rows read, checked and written so far (each batch once it is committed).
    Progress(u64),
    Rejected(&'a Rejected),
}

/// One row of a source: a contact and its cells, or a row that could not be read.
pub type Row<T> = std::result::Result<(T, Vec<String>), Rejected>;

/// Rows checked before their duplicates are looked up and they are written together, in
/// one short transaction. On SQLite, whose writers take turns, another user's save waits for
/// one batch at most: a few hundred rows, well under a second. PostgreSQL's writers of
/// other records never wait for the import, so its batches are larger: fewer round trips,
/// lookups and commits.
pub fn batch_rows(backend: relais_store::Backend) -> usize {
    match backend {
        relais_store::Backend::Sqlite => 500,
        relais_store::Backend::Postgres => 5_000,
    }
}

/// Rows read and checked between two looks at the batch being written (see `people`).
const READ_STEP: usize = 64;

/// The transactions of a run: one per batch, committed when the batch ends, with the log of
/// what the batch changed written in it. A dry run is one transaction for the whole run,
/// never committed: its counts are exact and it leaves nothing.
pub(crate) struct Writer<'a> {
    db: &'a Db,
    /// The open batch's transaction; the next one opens when it is first needed.
    tx: Option<Tx>,
    dry_run: bool,
    log: Option<Uuid>,
    seq: i64,
    changes: Vec<LoggedChange>,
    batches: u64,
}

impl<'a> Writer<'a> {
    /// The start of a run that imports records of `kind`, which the actor must be allowed
    /// to create in bulk: its writer and its report, empty.
    pub(super) async fn start(
        db: &'a Db,
        actor: &Actor,
        opts: Options,
        kind: Resource,
    ) -> Result<(Writer<'a>, Report)> {
        actor.require(Action::Create, Resource::TRANSFER)?;
        actor.require(Action::Create, kind)?;
        let report = Report {
            dry_run: opts.dry_run,
            ..Default::default()
        };
        Ok((Self::open(db, opts).await?, report))
    }

    async fn open(db: &'a Db, opts: Options) -> Result<Writer<'a>> {
        let mut tx = db.write().await?;
        let seq = match opts.log {
            // A run taken up again after an interruption has undone the first one's changes
            // first (`import::job`); numbering goes on after any that remain.
            Some(id) => relais_store::import_log::summary(&mut tx, id).await?.0,
            None => 0,
        };
        Ok(Writer {
            db,
            tx: Some(tx),
            dry_run: opts.dry_run,
            log: opts.log,
            seq,
            changes: Vec::new(),
            batches: 0,
        })
    }

    pub(super) async fn tx(&mut self) -> Result<&mut Tx> {
        if self.tx.is_none() {
            let mut tx = self.db.write().await?;
            relais_store::dialect::import_batch(&mut tx, self.batches.is_power_of_two()).await?;
            self.tx = Some(tx);
        }
        self.tx
            .as_mut()
            .ok_or_else(|| crate::CoreError::Internal("no transaction".into()))
    }

    fn logged(&mut self, entity: &str, id: Uuid, before: Option<String>, version_after: i64) {
        if self.log.is_none() {
            return;
        }
        self.seq += 1;
        self.changes.push(LoggedChange {
            seq: self.seq,
            entity: entity.into(),
            record_id: id,
            action: if before.is_some() {
                "updated"
            } else {
                "created"
            }
            .into(),
            before,
            version_after,
        });
    }

    pub(super) fn created(&mut self, entity: &str, id: Uuid) {
        self.logged(entity, id, None, 1);
    }

    pub(super) fn updated(
        &mut self,
        entity: &str,
        id: Uuid,
        before: &impl serde::Serialize,
        version_after: i64,
    ) {
        let before = serde_json::to_string(before).unwrap_or_default();
        self.logged(entity, id, Some(before), version_after);
    }

    /// Ends a batch: its log and data are committed together, and the next batch gets a new
    /// transaction. The planner of PostgreSQL learns the tables' new sizes now and then, so
    /// that the lookups of later batches use their indexes.
    pub(super) async fn end_batch(&mut self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        let Some(mut tx) = self.tx.take() else {
            return Ok(());
        };
        if let Some(id) = self.log {
            let changes = std::mem::take(&mut self.changes);
            relais_store::import_log::append(&mut tx, id, &changes, record::now()).await?;
        }
        tx.commit().await?;
        self.batches += 1;
        Ok(())
    }

    /// The end of the run: the last batch is committed; a dry run's one transaction is
    /// rolled back.
    pub(super) async fn finish(mut self) -> Result<()> {
        self.end_batch().await?;
        match self.tx.take() {
            Some(tx) => Ok(tx.rollback().await?),
            None => Ok(()),
        }
    }
}

/// A valid row waiting for its batch.
struct Pending {
    data: PersonData,
    custom: Vec<CustomWrite>,
    stage_given: bool,
    /// The company the row names: found or created when the batch is written, so that a
    /// refused row leaves no company behind.
    company: Option<String>,
    line: u64,
    cells: Vec<String>,
}

/// Imports people. `next` yields rows until the source ends. Rows are checked one by one and
/// written by batches, each in its own short transaction: one lookup of the batch's
/// duplicates, a few multi-row inserts, the log of what it changed.
///
/// In update mode, a row that repeats a person already met in this run (created or updated
/// by an earlier row) only fills what is still empty and adds e-mails, phones, addresses and
/// tags: the first row wins, so running the same file twice changes nothing the second time.
pub async fn people(
    db: &Db,
    actor: &Actor,
    opts: Options,
    mut next: impl FnMut() -> Option<Row<RawContact>>,
    mut on: impl FnMut(Event<'_>),
) -> Result<Report> {
    let (mut w, report) = Writer::start(db, actor, opts, Resource::PEOPLE).await?;
    let defs = relais_store::custom_fields::list(w.tx().await?, Some(Entity::PERSON)).await?;
    let check = Check { defs: &defs };
    let size = batch_rows(db.backend());
    let mut run = PeopleRun {
        actor,
        opts,
        defs: &defs,
        companies: HashMap::new(),
        touched: HashSet::new(),
        report,
    };
    let mut rows = 0u64;
    let mut ahead = check.read(&mut next, size).await;
    while !ahead.is_empty() {
        rows += ahead.len() as u64;
        let mut batch = Vec::with_capacity(ahead.len());
        for outcome in ahead {
            match outcome {
                Ok(p) => batch.push(p),
                Err(r) => {
                    run.report.rejected += 1;
                    on(Event::Rejected(&r));
                }
            }
        }
        // The next batch is read and checked while this one is written: whenever the write
        // waits for the engine (PostgreSQL's server, SQLite's connection thread), this task
        // reads on. `biased`: the write goes on first as soon as it can.
        let write = async {
            run.write_batch(&mut w, &mut batch, &mut on).await?;
            w.end_batch().await
        };
        let (written, read) = tokio::join!(biased; write, check.read(&mut next, size));
        written?;
        ahead = read;
        on(Event::Progress(rows));
    }
    w.finish().await?;
    Ok(run.report)
}

/// Reads rows and checks them, without writing anything.
struct Check<'a> {
    defs: &'a [CustomField],
}

impl Check<'_> {
    /// Checks one person row, without writing anything.
    fn prepare(
        &self,
        raw: &RawContact,
        cells: Vec<String>,
    ) -> std::result::Result<Pending, Rejected> {
        let refuse = |reason: Invalid, cells: Vec<String>| Rejected {
            line: raw.line,
            reason,
            raw: cells,
        };
        let company = raw
            .company
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        if let Some(name) = &company {
            let probe = CompanyDraft {
                name: Some(name.clone()),
                ..Default::default()
            };
            if let Err(i) = probe.validate() {
                return Err(refuse(i.within("company"), cells));
            }
        }
        let checked = person_draft(raw).validate().and_then(|mut data| {
            let (custom, normal) =
                record::resolve_custom_with(self.defs, Entity::PERSON, &data.custom)?;
            data.custom = normal;
            Ok((data, custom))
        });
        match checked {
            Ok((data, custom)) => Ok(Pending {
                data,
                custom,
                stage_given: raw.stage.is_some(),
                company,
                line: raw.line,
                cells,
            }),
            Err(invalid) => Err(refuse(invalid, cells)),
        }
    }

    /// Up to `size` rows of the source, each checked, in the file's order. Yields to the
    /// task now and then so that a write joined with it goes on when the engine answers.
    async fn read(
        &self,
        next: &mut impl FnMut() -> Option<Row<RawContact>>,
        size: usize,
    ) -> Vec<std::result::Result<Pending, Rejected>> {
        let mut out = Vec::with_capacity(size);
        while out.len() < size {
            let Some(row) = next() else { break };
            out.push(row.and_then(|(raw, cells)| self.prepare(&raw, cells)));
            if out.len().is_multiple_of(READ_STEP) {
                tokio::task::yield_now().await;
            }
        }
        out
    }
}

/// What a people import keeps from one batch to the next.
struct PeopleRun<'a> {
    actor: &'a Actor,
    opts: Options,
    defs: &'a [CustomField],
    /// Companies met in this run, by folded name.
    companies: HashMap<String, CompanyId>,
    /// In update mode, the people this run created or updated.
    touched: HashSet<PersonId>,
    report: Report,
}

impl PeopleRun<'_> {
    /// Writes a batch: each row's company is found or created; rows that match a person
    /// already stored are skipped or update them; rows that match an earlier row of the
    /// batch are skipped or merged into it; the others are inserted together.
    async fn write_batch(
        &mut self,
        w: &mut Writer<'_>,
        batch: &mut Vec<Pending>,
        on: &mut impl FnMut(Event<'_>),
    ) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut linked = Vec::with_capacity(batch.len());
        for mut p in batch.drain(..) {
            if let Some(name) = p.company.take() {
                match company_for(w, self.actor, &name, &mut self.companies, &mut self.report)
                    .await?
                {
                    Ok(id) => p.data.companies.push(CompanyLink {
                        company_id: id,
                        role: p.data.job_title.clone(),
                        primary: true,
                    }),
                    Err(reason) => {
                        self.report.rejected += 1;
                        on(Event::Rejected(&Rejected {
                            line: p.line,
                            reason: reason.within("company"),
                            raw: std::mem::take(&mut p.cells),
                        }));
                        continue;
                    }
                }
            }
            linked.push(p);
        }
        let update = self.opts.on_duplicate == OnDuplicate::Update;
        let keys: Vec<Vec<MatchKey>> = linked.iter().map(|p| MatchKey::of(&p.data)).collect();
        let all: Vec<MatchKey> = keys.iter().flatten().cloned().collect();
        let stored = relais_store::people::find_by_keys(w.tx().await?, &all).await?;
        let mut fresh: Vec<Pending> = Vec::with_capacity(linked.len());
        let mut fresh_keys: HashMap<MatchKey, usize> = HashMap::new();
        let mut updates = Vec::new();
        for (p, keys) in linked.into_iter().zip(keys) {
            let oldest = keys
                .iter()
                .filter_map(|k| stored.get(k))
                .min_by_key(|(_, created)| *created);
            if let Some((id, _)) = oldest {
                if update {
                    updates.push((*id, p));
                } else {
                    self.report.skipped += 1;
                }
                continue;
            }
            if let Some(&i) = keys.iter().find_map(|k| fresh_keys.get(k)) {
                if update {
                    self.merge_into_fresh(&mut fresh[i], &p)?;
                } else {
                    self.report.skipped += 1;
                }
                for k in keys {
                    fresh_keys.entry(k).or_insert(i);
                }
                continue;
            }
            for k in keys {
                fresh_keys.entry(k).or_insert(fresh.len());
            }
            fresh.push(p);
        }
        let ids = insert_fresh(w.tx().await?, self.actor, &fresh).await?;
        for id in &ids {
            w.created("person", id.0);
        }
        self.report.created += ids.len() as u64;
        if update {
            self.touched.extend(ids);
        }
        for (id, p) in updates {
            self.update_stored(w, id, p).await?;
        }
        Ok(())
    }

    /// A later row of the batch for a person this batch creates: it fills what is empty.
    fn merge_into_fresh(&mut self, target: &mut Pending, p: &Pending) -> Result<()> {
        let merged = overlay(&target.data, &p.data, Overlay::FillEmpty);
        if record::diff(&target.data, &merged).is_empty() {
            self.report.unchanged += 1;
            return Ok(());
        }
        let (custom, _) = record::resolve_custom_with(self.defs, Entity::PERSON, &merged.custom)
            .map_err(crate::CoreError::from)?;
        target.data = merged;
        target.custom = custom;
        self.report.updated += 1;
        Ok(())
    }

    /// Adds what a row says to the stored person it duplicates.
    async fn update_stored(&mut self, w: &mut Writer<'_>, id: PersonId, p: Pending) -> Result<()> {
        let tx = w.tx().await?;
        let Some(current) = relais_store::records::get::<People>(tx, id, false).await? else {
            self.report.skipped += 1;
            return Ok(());
        };
        let how = if self.touched.insert(id) {
            Overlay::Replace {
                stage: p.stage_given,
            }
        } else {
            Overlay::FillEmpty
        };
        let merged = overlay(&current.data, &p.data, how);
        if record::diff(&current.data, &merged).is_empty() {
            self.report.unchanged += 1;
            return Ok(());
        }
        let (writes, _) = record::resolve_custom_with(self.defs, Entity::PERSON, &merged.custom)
            .map_err(crate::CoreError::from)?;
        crate::records::save(tx, self.actor, &current, merged, &writes).await?;
        w.updated("person", id.0, &current.data, current.version + 1);
        self.report.updated += 1;
        Ok(())
    }
}

/// Inserts the new people of a batch; returns their ids.
async fn insert_fresh(tx: &mut Tx, actor: &Actor, fresh: &[Pending]) -> Result<Vec<PersonId>> {
    let now = record::now();
    let people: Vec<New<'_, People>> = fresh
        .iter()
        .map(|p| New {
            id: PersonId::new(),
            data: &p.data,
            custom: &p.custom,
        })
        .collect();
    relais_store::records::insert_many::<People>(tx, &people, actor.user, now).await?;
    let ids: Vec<PersonId> = people.iter().map(|p| p.id).collect();
    relais_store::audit::append_many(
        tx,
        actor.user,
        "person",
        "created",
        ids.iter().map(|id| id.0),
        now,
    )
    .await?;
    Ok(ids)
}

/// The company named in a person row: one already in Relais (same folded name), one created
/// earlier in this run, or a new one.
async fn company_for(
    w: &mut Writer<'_>,
    actor: &Actor,
    name: &str,
    cache: &mut HashMap<String, CompanyId>,
    report: &mut Report,
) -> Result<std::result::Result<CompanyId, Invalid>> {
    let key = fold(name);
    if let Some(id) = cache.get(&key) {
        return Ok(Ok(*id));
    }
    let id = match crate::companies::find_or_create(w.tx().await?, actor, name).await {
        Ok((id, created)) => {
            if created {
                report.companies_created += 1;
                w.created("company", id.0);
            }
            id
        }
        Err(crate::CoreError::Invalid(i)) => return Ok(Err(i)),
        Err(e) => return Err(e),
    };
    cache.insert(key, id);
    Ok(Ok(id))
}

/// How a row's values meet the values already known.
#[derive(Clone, Copy)]
enum Overlay {
    /// Filled fields replace (and the stage, when the file gives one).
    Replace { stage: bool },
    /// Filled fields only fill what is empty.
    FillEmpty,
}

/// What the file says added to what Relais knows; lists grow either way. The acquisition
/// source is never replaced: it says how the person first came.
fn overlay(old: &PersonData, new: &PersonData, how: Overlay) -> PersonData {
    let mut m = old.clone();
    let replace = matches!(how, Overlay::Replace { .. });
    macro_rules! fill {
        ($($f:ident),*) => {$(
            if new.$f.is_some() && (replace || m.$f.is_none()) {
                m.$f = new.$f.clone();
            }
        )*};
    }
    fill!(
        civility,
        first_name,
        last_name,
        job_title,
        birthday,
        language,
        preferred_channel,
        notes,
        owner_id
    );
    if m.source.is_none() {
        m.source = new.source.clone();
    }
    if let Overlay::Replace { stage: true } = how {
        m.stage = new.stage;
    }
    union_lists(&mut m, new);
    for (k, v) in &new.custom {
        if replace || !m.custom.contains_key(k) {
            m.custom.insert(k.clone(), v.clone());
        }
    }
    m
}

/// Adds the other record's e-mails, phones, addresses, tags and companies that `m` lacks.
pub(crate) fn union_lists(m: &mut PersonData, new: &PersonData) {
    for e in &new.emails {
        if !m.emails.iter().any(|x| x.address.key() == e.address.key()) {
            m.emails.push(e.clone());
        }
    }
    for p in &new.phones {
        if !m.phones.iter().any(|x| x.number == p.number) {
            m.phones.push(p.clone());
        }
    }
    for a in &new.addresses {
        if !m.addresses.contains(a) {
            m.addresses.push(a.clone());
        }
    }
    for t in &new.tags {
        if !m.tags.iter().any(|x| fold(x) == fold(t)) {
            m.tags.push(t.clone());
        }
    }
    for c in &new.companies {
        if !m.companies.iter().any(|x| x.company_id == c.company_id) {
            m.companies.push(c.clone());
        }
    }
}

pub(super) fn address(a: &RawAddress) -> Address {
    Address {
        kind: a.kind.clone(),
        street: a.street.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        country: a.country.as_deref().map(country),
    }
}

/// Country names as people write them, to ISO codes; anything else is kept as written.
fn country(s: &str) -> String {
    match fold(s).as_str() {
        "france" => "FR",
        "united kingdom" | "uk" | "royaume-uni" | "great britain" | "england" => "GB",
        "united states" | "usa" | "etats-unis" | "united states of america" => "US",
        "belgique" | "belgium" => "BE",
        "suisse" | "switzerland" => "CH",
        "allemagne" | "germany" | "deutschland" => "DE",
        "espagne" | "spain" | "espana" => "ES",
        "italie" | "italy" | "italia" => "IT",
        "luxembourg" => "LU",
        "canada" => "CA",
        _ => return s.trim().to_string(),
    }
    .to_string()
}

fn language(s: &str) -> String {
    match fold(s).as_str() {
        "francais" | "french" | "fr-fr" => "fr".into(),
        "anglais" | "english" | "en-gb" | "en-us" => "en".into(),
        "allemand" | "german" | "deutsch" => "de".into(),
        "espagnol" | "spanish" => "es".into(),
        "italien" | "italian" => "it".into(),
        other => other.split(['-', '_']).next().unwrap_or(other).to_string(),
    }
}

fn person_draft(raw: &RawContact) -> PersonDraft {
    let (mut first, mut last) = (raw.first_name.clone(), raw.last_name.clone());
    if first.is_none()
        && last.is_none()
        && let Some(full) = raw
            .full_name
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
    {
        match full.rsplit_once(' ') {
            Some((f, l)) => (first, last) = (Some(f.to_string()), Some(l.to_string())),
            None => last = Some(full.to_string()),
        }
    }
    PersonDraft {
        civility: raw.civility.clone(),
        first_name: first,
        last_name: last,
        job_title: raw.job_title.clone(),
        companies: vec![],
        emails: raw
            .emails
            .iter()
            .map(|(k, a)| EmailEntry {
                kind: k.clone(),
                address: a.clone(),
            })
            .collect(),
        phones: raw
            .phones
            .iter()
            .map(|(k, n)| PhoneEntry {
                kind: k.clone(),
                number: n.clone(),
            })
            .collect(),
        addresses: raw
            .addresses
            .iter()
            .filter(|a| !a.is_empty())
            .map(address)
            .collect(),
        birthday: raw.birthday.clone(),
        language: raw.language.as_deref().map(language),
        preferred_channel: None,
        stage: raw.stage.clone(),
        source: raw.source.clone().or_else(|| Some("import".into())),
        owner_id: None,
        tags: raw.tags.clone(),
        notes: raw.notes.clone(),
        custom: raw
            .custom
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    }
}
