//! `relais bench`: the performance targets of the customer record, measured on this machine.
use super::core;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use relais_core::import::csv_source::{CsvSource, Target};
use relais_core::import::{self, Options, Rejected};
use relais_core::{Actor, Db, people};
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum Bench {
    /// Import a generated CSV of N people into a fresh SQLite database; compare with
    /// `sqlite3 .import` of the same file into a bare table; report peak memory.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        people: u64,
        /// A file as real ones are: common French names (25 first names, 34 last names),
        /// 60 % of the people at one of 340 companies, 2 % of the rows repeating an earlier
        /// person (same e-mail), instead of unique names.
        #[arg(long)]
        realistic: bool,
        /// The database to import into (default: a fresh SQLite file); a `postgres://` URL
        /// benches PostgreSQL. It must hold no people.
        #[arg(long)]
        on: Option<String>,
    },
    /// p50/p95 of a list page (stage filter, sorted by name) and of prefix searches, on a
    /// fresh database of N imported people.
    List {
        #[arg(long, default_value_t = 1_000_000)]
        people: u64,
        /// A database already holding the generated people (`relais import people` of the
        /// benchmark's file), to time the queries without importing again.
        #[arg(long)]
        reuse: Option<String>,
    },
    /// p50/p95 of the overview of a person with N interactions.
    Overview {
        #[arg(long, default_value_t = 5_000)]
        interactions: u64,
    },
    /// p50/p95 of counting a segment written in the filter language ("customers in a city
    /// with no interaction in the last 180 days and at least 3 calls ever") and of its first
    /// list page, on N people and M interactions written straight to the tables.
    Segment {
        #[arg(long, default_value_t = 1_000_000)]
        people: u64,
        #[arg(long, default_value_t = 5_000_000)]
        interactions: u64,
        /// The database to fill and query (default: a fresh SQLite file); a
        /// `postgres://` URL benches PostgreSQL. It must be empty unless `--reuse`.
        #[arg(long)]
        on: Option<String>,
        /// The database already holds the generated data: time the queries only.
        #[arg(long)]
        reuse: bool,
    },
    /// p50/p95 server time of the web app's pages (list, search, 360° page), rendered to
    /// the last byte, on a fresh database of N imported people. Adds a user and a person
    /// with 5,000 interactions to the database it runs on.
    Pages {
        #[arg(long, default_value_t = 1_000_000)]
        people: u64,
        /// A database already holding the generated people (as for `bench list`).
        #[arg(long)]
        reuse: Option<String>,
    },
}

pub async fn run(b: Bench) -> Result<()> {
    let dir = tempfile::tempdir().context("temporary folder")?;
    match b {
        Bench::Import {
            people,
            realistic,
            on,
        } => bench_import(dir.path(), people, realistic, on).await,
        Bench::List { people, reuse } => bench_list(dir.path(), people, reuse).await,
        Bench::Overview { interactions } => bench_overview(dir.path(), interactions).await,
        Bench::Pages { people, reuse } => bench_pages(dir.path(), people, reuse).await,
        Bench::Segment {
            people,
            interactions,
            on,
            reuse,
        } => bench_segment(dir.path(), people, interactions, on, reuse).await,
    }
}

const FIRST: [&str; 12] = [
    "Élodie", "Amélie", "Jean", "Chloé", "Hugo", "Léa", "Ada", "Grace", "Noé", "Zoé", "Rémi",
    "Inès",
];
const LAST: [&str; 12] = [
    "Martin", "Dupré", "Lefèvre", "Bernard", "Moreau", "Fontaine", "Lovelace", "Hopper", "Garçon",
    "Petit", "Roux", "Blanc",
];
const STAGES: [&str; 4] = ["lead", "prospect", "customer", "former_customer"];
const CITIES: [&str; 6] = ["Paris", "Lyon", "Marseille", "Nantes", "Lille", "Bordeaux"];

/// A CSV of `n` distinct people, the way a French export looks (`;`, French headers).
fn generate(path: &Path, n: u64) -> Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        w,
        "Prénom;Nom;E-mail;Téléphone portable;Société;Ville;Date de naissance;Étape"
    )?;
    for i in 0..n {
        let (f, l) = (FIRST[(i % 12) as usize], LAST[((i / 12) % 12) as usize]);
        writeln!(
            w,
            "{f};{l} {i};{}.{}{i}@example.fr;06 {:02} {:02} {:02} {:02};Société {};{};{:02}/{:02}/{};{}",
            relais_domain::text::fold(f),
            relais_domain::text::fold(l).replace(' ', ""),
            (i / 1_000_000) % 100,
            (i / 10_000) % 100,
            (i / 100) % 100,
            i % 100,
            i % 1000,
            CITIES[(i % 6) as usize],
            1 + i % 28,
            1 + i % 12,
            1950 + i % 50,
            STAGES[(i % 4) as usize],
        )?;
    }
    w.flush()?;
    Ok(())
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

async fn import_file(db: &Db, csv: &Path) -> Result<import::Report> {
    let file = std::fs::File::open(csv)?;
    let mut src = CsvSource::open(BufReader::with_capacity(1 << 20, file), Target::People, &[])?;
    let next = || {
        src.next_person()
            .map(|r| r.map(|c| (c, vec![])).map_err(Rejected::from))
    };
    // As real imports do: batches logged for undo.
    let opts = Options {
        log: Some(uuid::Uuid::now_v7()),
        ..Options::default()
    };
    import::people(db, &Actor::SYSTEM, opts, next, |_| {})
        .await
        .map_err(core)
}

const COMMON_FIRST: [&str; 25] = [
    "Marie",
    "Jean",
    "Nathalie",
    "Pierre",
    "Isabelle",
    "Michel",
    "Sylvie",
    "Philippe",
    "Catherine",
    "Alain",
    "Françoise",
    "Nicolas",
    "Sandrine",
    "Christophe",
    "Valérie",
    "Éric",
    "Céline",
    "Laurent",
    "Stéphanie",
    "Julien",
    "Léa",
    "Thomas",
    "Chloé",
    "Hugo",
    "Inès",
];
const COMMON_LAST: [&str; 34] = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer",
];

/// A CSV as real files are (see `Bench::Import::realistic`). Returns how many distinct
/// people it holds.
fn generate_realistic(path: &Path, n: u64) -> Result<u64> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        w,
        "Prénom;Nom;E-mail;Téléphone portable;Société;Ville;Étape"
    )?;
    let mut distinct = 0;
    for i in 0..n {
        // Every 50th row repeats the row 37 before it: the same person, sent twice.
        let who = if i % 50 == 49 && i >= 37 { i - 37 } else { i };
        if who == i {
            distinct += 1;
        }
        let h = who.wrapping_mul(2_654_435_761) % 1_000_003;
        let (f, l) = (
            COMMON_FIRST[(h % 25) as usize],
            COMMON_LAST[((h / 25) % 34) as usize],
        );
        let company = if h % 10 < 6 {
            format!("Société {}", (h / 7) % 340)
        } else {
            String::new()
        };
        writeln!(
            w,
            "{f};{l};{}.{}.{who}@example.fr;06 {:02} {:02} {:02} {:02};{company};{};{}",
            relais_domain::text::fold(f),
            relais_domain::text::fold(l).replace(' ', ""),
            (who / 1_000_000) % 39,
            (who / 10_000) % 100,
            (who / 100) % 100,
            who % 100,
            CITIES[(h % 6) as usize],
            STAGES[(h % 4) as usize],
        )?;
    }
    w.flush()?;
    Ok(distinct)
}

async fn bench_import(dir: &Path, n: u64, realistic: bool, on: Option<String>) -> Result<()> {
    let csv = dir.join("people.csv");
    let expected = if realistic {
        generate_realistic(&csv, n)?
    } else {
        generate(&csv, n)?;
        n
    };
    let before = peak_rss_mb();
    let url = on.unwrap_or_else(|| format!("sqlite://{}", dir.join("relais.db").display()));
    let db = relais_core::connect(&url).await?;
    if n_people(&db).await? > 0 {
        bail!(
            "{} already holds people: give an empty database",
            super::config::redact(&url)
        );
    }
    let engine = match db.backend() {
        relais_store::Backend::Sqlite => "SQLite",
        relais_store::Backend::Postgres => "PostgreSQL",
    };
    let t = Instant::now();
    let report = import_file(&db, &csv).await?;
    let ours = t.elapsed();
    db.close().await;
    // In a realistic file the same name at the same company is also one person (the
    // duplicate rule), so fewer than the distinct e-mails may be created; every row is
    // accounted for either way.
    let complete = report.created + report.skipped == n && report.rejected == 0;
    if !complete || (!realistic && report.created != expected) {
        bail!("expected {expected} people created of {n} rows, got: {report}");
    }
    let rate = n as f64 / ours.as_secs_f64();
    println!(
        "import of {n} rows{} ({engine}): {:.1} s, {:.0} rows/s ({report})",
        if realistic { ", realistic names" } else { "" },
        ours.as_secs_f64(),
        rate
    );
    if engine != "SQLite" || realistic {
        if let (Some(b), Some(p)) = (before, peak_rss_mb()) {
            println!("peak memory: {p:.0} MB (before the import: {b:.0} MB)");
        }
        return Ok(());
    }
    let raw = raw_sqlite_import(dir, &csv)?;
    if let Some(raw) = raw {
        let raw_rate = n as f64 / raw.as_secs_f64();
        println!(
            "raw `sqlite3 .import` into a bare table: {:.2} s, {:.0} rows/s; ratio {:.3}",
            raw.as_secs_f64(),
            raw_rate,
            rate / raw_rate
        );
        if let Some(schema) = raw_schema_import(dir, &csv).await? {
            let schema_rate = n as f64 / schema.as_secs_f64();
            println!(
                "the same rows into Relais's tables and indexes with plain SQL in `sqlite3`: {:.1} s, {:.0} rows/s; ratio {:.2}",
                schema.as_secs_f64(),
                schema_rate,
                rate / schema_rate
            );
        }
    } else {
        println!("raw comparison skipped: the sqlite3 command is not installed");
    }
    if let (Some(b), Some(p)) = (before, peak_rss_mb()) {
        println!("peak memory: {p:.0} MB (before the import: {b:.0} MB)");
    }
    Ok(())
}

fn raw_sqlite_import(dir: &Path, csv: &Path) -> Result<Option<Duration>> {
    let db = dir.join("raw.db");
    let script = format!(
        "CREATE TABLE people(first TEXT, last TEXT, email TEXT, phone TEXT, company TEXT, city TEXT, birthday TEXT, stage TEXT);\n.mode csv\n.separator ;\n.import --skip 1 {} people\n",
        csv.display()
    );
    let t = Instant::now();
    if !run_sqlite3(&db, &script)? {
        return Ok(None);
    }
    Ok(Some(t.elapsed()))
}

/// What the engine itself takes to write the rows into Relais's schema (every table and index
/// an import writes; search terms: the words of the name and of the company, the e-mail and
/// the phone digits; ids in
/// increasing order, as UUIDv7 are), without any Rust in between: the ceiling of an import on
/// this schema.
async fn raw_schema_import(dir: &Path, csv: &Path) -> Result<Option<Duration>> {
    let path = dir.join("schema.db");
    relais_core::connect(&format!("sqlite://{}", path.display()))
        .await?
        .close()
        .await;
    let script = format!(
        "PRAGMA cache_size=-65536; PRAGMA temp_store=memory; PRAGMA synchronous=normal;
CREATE TEMP TABLE raw(first TEXT, last TEXT, email TEXT, phone TEXT, company TEXT, city TEXT, birthday TEXT, stage TEXT);
.mode csv
.separator ;
.import --skip 1 {} raw
BEGIN;
INSERT INTO companies(id, name, sort_key, created_at, updated_at, version)
  SELECT CAST(printf('c%015d', min(rowid)) AS BLOB), company, lower(company), datetime(), datetime(), 1 FROM raw GROUP BY company;
CREATE TEMP TABLE ids AS SELECT CAST(printf('p%015d', rowid) AS BLOB) AS id, lower(last || ' ' || first) AS sk, raw.* FROM raw;
INSERT INTO people(id, first_name, last_name, sort_key, birth_day, birth_month, birth_year, stage, source, created_at, updated_at, version)
  SELECT id, first, last, sk, substr(birthday, 1, 2), substr(birthday, 4, 2), substr(birthday, 7, 4), stage, 'import', datetime(), datetime(), 1 FROM ids;
INSERT INTO person_emails SELECT id, 0, 'work', email, lower(email) FROM ids;
INSERT INTO person_phones SELECT id, 0, 'mobile', '+33' || substr(replace(phone, ' ', ''), 2) FROM ids;
INSERT INTO person_companies SELECT ids.id, c.id, NULL, 1 FROM ids JOIN companies c ON c.name = ids.company;
INSERT INTO addresses(owner_id, position, kind, city, city_key) SELECT id, 0, 'home', city, lower(city) FROM ids;
INSERT OR IGNORE INTO person_terms SELECT lower(first), sk, id FROM ids;
INSERT OR IGNORE INTO person_terms SELECT lower(substr(last, 1, instr(last, ' ') - 1)), sk, id FROM ids;
INSERT OR IGNORE INTO person_terms SELECT substr(last, instr(last, ' ') + 1), sk, id FROM ids;
INSERT OR IGNORE INTO person_terms SELECT lower(email), sk, id FROM ids;
INSERT OR IGNORE INTO person_terms SELECT '33' || substr(replace(phone, ' ', ''), 2), sk, id FROM ids;
INSERT OR IGNORE INTO person_terms SELECT lower(substr(company, 1, instr(company, ' ') - 1)), sk, id FROM ids;
INSERT OR IGNORE INTO person_terms SELECT substr(company, instr(company, ' ') + 1), sk, id FROM ids;
INSERT INTO stage_history SELECT CAST(printf('s%015d', rowid) AS BLOB), id, NULL, stage, datetime(), NULL FROM ids;
INSERT INTO audit_log(id, at, entity, entity_id, action) SELECT CAST(printf('a%015d', rowid) AS BLOB), datetime(), 'person', id, 'created' FROM ids;
COMMIT;
",
        csv.display()
    );
    let t = Instant::now();
    if !run_sqlite3(&path, &script)? {
        return Ok(None);
    }
    Ok(Some(t.elapsed()))
}

/// Runs a script in the `sqlite3` shell; false when the shell is not installed.
fn run_sqlite3(db: &Path, script: &str) -> Result<bool> {
    let child = std::process::Command::new("sqlite3")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return Ok(false);
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() || !out.stderr.is_empty() {
        bail!(
            "sqlite3 failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(true)
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.95))
}

async fn time<F, Fut>(runs: usize, mut f: F) -> Result<(f64, f64)>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        f(i).await?;
        samples.push(t.elapsed());
    }
    Ok(percentiles(samples))
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One list request's query parameters.
type Query = Vec<(String, String)>;

/// The database a query bench runs on: the one given, or a fresh one with `n` people.
async fn people_db(dir: &Path, n: u64, reuse: Option<String>) -> Result<Db> {
    Ok(match reuse {
        Some(url) => relais_core::connect(&url).await?,
        None => {
            let csv = dir.join("people.csv");
            generate(&csv, n)?;
            let db = relais_core::connect(&format!("sqlite://{}", dir.join("relais.db").display()))
                .await?;
            import_file(&db, &csv).await?;
            db
        }
    })
}

async fn bench_list(dir: &Path, n: u64, reuse: Option<String>) -> Result<()> {
    let db = people_db(dir, n, reuse).await?;
    let a = Actor::SYSTEM;
    let cases: [(&str, Vec<Query>); 6] = [
        (
            "list: stage=customer, sorted by name, 50 per page",
            STAGES
                .iter()
                .map(|s| params(&[("stage", s), ("sort", "name"), ("limit", "50")]))
                .collect(),
        ),
        (
            "search: name prefix (\"elo\", \"dup\", \"mart\", ...)",
            ["elo", "dup", "mart", "zoe", "lefe", "gar"]
                .iter()
                .map(|q| params(&[("q", q), ("limit", "50")]))
                .collect(),
        ),
        (
            "search: e-mail prefix",
            ["elodie.martin", "ada.lovelace1", "zoe."]
                .iter()
                .map(|q| params(&[("q", q), ("limit", "50")]))
                .collect(),
        ),
        (
            "search: phone prefix",
            ["06 12", "0600", "+33 6 01"]
                .iter()
                .map(|q| params(&[("q", q), ("limit", "50")]))
                .collect(),
        ),
        (
            "search: two words, company name, with a stage filter",
            vec![
                params(&[("q", "elodie mar"), ("limit", "50")]),
                params(&[("q", "societe 42"), ("limit", "50")]),
                params(&[("q", "jean"), ("stage", "customer"), ("limit", "50")]),
            ],
        ),
        (
            "worst case: two common words that never meet (\"lefe ama\" among leads: no one)",
            vec![params(&[
                ("q", "lefe ama"),
                ("stage", "lead"),
                ("limit", "50"),
            ])],
        ),
    ];
    println!("{n} people in SQLite");
    for (name, variants) in cases {
        let (p50, p95) = time(200, |i| {
            let p = variants[i % variants.len()].clone();
            let db = db.clone();
            async move {
                relais_core::records::list::<relais_core::people::People>(&db, &a, &p)
                    .await
                    .map_err(core)?;
                Ok(())
            }
        })
        .await?;
        println!("{name}: p50 {p50:.2} ms, p95 {p95:.2} ms");
    }
    Ok(())
}

/// A signed-in admin's session cookie, made in the store as a sign-in would.
async fn session_cookie(db: &Db) -> Result<String> {
    let draft = relais_core::users::UserDraft {
        email: format!("bench.{}@relais.example", uuid_suffix()),
        name: "Bench".into(),
        role: "admin".into(),
        team_id: None,
        password: None,
    };
    let user = relais_core::users::create(db, &Actor::SYSTEM, draft)
        .await
        .map_err(core)?;
    let secret = relais_core::auth::new_secret("").map_err(core)?;
    let now = chrono::Utc::now();
    let mut tx = db.write().await?;
    relais_store::users::insert_session(
        &mut tx,
        &relais_core::auth::hash_secret(&secret),
        user.id,
        "bench",
        now,
        now + chrono::Duration::hours(1),
    )
    .await?;
    tx.commit().await?;
    Ok(format!("relais_session={secret}"))
}

fn uuid_suffix() -> String {
    relais_domain::PersonId::new().0.simple().to_string()
}

async fn bench_pages(dir: &Path, n: u64, reuse: Option<String>) -> Result<()> {
    use tower::ServiceExt;
    let db = people_db(dir, n, reuse).await?;
    let cookie = session_cookie(&db).await?;
    let router = relais_web::app(relais_web::AppState::new(db.clone(), false));
    let some = relais_core::records::list::<relais_core::people::People>(
        &db,
        &Actor::SYSTEM,
        &params(&[("q", "mart"), ("limit", "20")]),
    )
    .await
    .map_err(core)?;
    let ids: Vec<String> = some.items.iter().map(|p| p.id.0.to_string()).collect();
    if ids.is_empty() {
        bail!("the database holds no one to show");
    }
    let busy = busy_person(&db, 5_000).await?;
    let cases: [(&str, Vec<String>); 5] = [
        ("people list, first page", vec!["/people".into()]),
        (
            "people list, stage filter, sorted by name",
            STAGES
                .iter()
                .map(|s| format!("/people?stage={s}&sort=name"))
                .collect(),
        ),
        (
            "people list, search (\"elo\", \"dup\", \"06 12\", \"zoe.\")",
            ["elo", "dup", "06+12", "zoe."]
                .iter()
                .map(|q| format!("/people?q={q}"))
                .collect(),
        ),
        (
            "360° page of a person",
            ids.iter().map(|id| format!("/people/{id}")).collect(),
        ),
        (
            "360° page of a person with 5,000 interactions",
            vec![format!("/people/{}", busy.id.0)],
        ),
    ];
    println!(
        "{} people in SQLite; server time to the last byte of the page",
        n_people(&db).await?
    );
    for (name, paths) in cases {
        let (p50, p95) = time(200, |i| {
            let req = axum::http::Request::builder()
                .uri(&paths[i % paths.len()])
                .header("cookie", &cookie)
                .body(axum::body::Body::empty());
            let router = router.clone();
            async move {
                let res = router.oneshot(req?).await?;
                let status = res.status();
                let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
                if !status.is_success() || bytes.is_empty() {
                    bail!("the page answered {status}");
                }
                Ok(())
            }
        })
        .await?;
        println!("{name}: p50 {p50:.2} ms, p95 {p95:.2} ms");
    }
    Ok(())
}

async fn n_people(db: &Db) -> Result<i64> {
    let mut tx = db.read().await?;
    Ok(
        relais_store::records::count::<relais_store::people::People>(
            &mut tx,
            &relais_domain::filter::Filter::And(vec![]),
            &relais_store::filter::Context::default(),
        )
        .await?,
    )
}

/// A new person with `n` interactions on their timeline, one every 37 minutes back from now.
async fn busy_person(db: &Db, n: u64) -> Result<people::PersonView> {
    let p = create_person(
        db,
        &Actor::SYSTEM,
        serde_json::json!({"first_name": "Élodie", "last_name": "Busy"}),
    )
    .await
    .map_err(core)?;
    let mut tx = db.write().await?;
    let now = chrono::Utc::now();
    for i in 0..n {
        let data = relais_domain::interaction::InteractionData {
            kind: *relais_domain::interaction::InteractionKind::ALL
                .get((i % 9) as usize)
                .unwrap_or(&relais_domain::interaction::InteractionKind::Note),
            direction: None,
            occurred_at: now - chrono::Duration::minutes(i as i64 * 37),
            duration_minutes: Some(10),
            subject: Some(format!("Interaction {i}")),
            body: Some("Compte rendu de réunion. ".repeat(20)),
            person_ids: vec![p.id],
            company_id: None,
            user_ids: vec![],
            about: None,
        };
        let new = relais_store::records::New {
            id: relais_domain::InteractionId::new(),
            data: &data,
            custom: &[],
        };
        relais_store::records::insert::<relais_store::interactions::Interactions>(
            &mut tx, new, None, now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(p)
}

async fn bench_overview(dir: &Path, n: u64) -> Result<()> {
    let db = relais_core::connect(&format!("sqlite://{}", dir.join("relais.db").display())).await?;
    relais_core::demo::fill(&db, 1_000, 1).await.map_err(core)?;
    let a = Actor::SYSTEM;
    let p = busy_person(&db, n).await?;
    let (p50, p95) = time(200, |_| {
        let db = db.clone();
        async move {
            let o = relais_core::overview::person(&db, &a, p.id, &[])
                .await
                .map_err(core)?;
            if o.counts.interactions != n as i64 {
                bail!("overview counted {} interactions", o.counts.interactions);
            }
            Ok(())
        }
    })
    .await?;
    println!(
        "overview of a person with {n} interactions (SQLite, 1,000 other people): p50 {p50:.2} ms, p95 {p95:.2} ms"
    );
    Ok(())
}

/// The segment the issue names, in the filter language.
const SEGMENT: &str = "stage = customer and city = \"Lyon\" and no interactions(occurred_at > 180 days ago) and interactions(kind = call).count >= 3";

async fn bench_segment(
    dir: &Path,
    people: u64,
    interactions: u64,
    on: Option<String>,
    reuse: bool,
) -> Result<()> {
    let url = on.unwrap_or_else(|| format!("sqlite://{}", dir.join("segment.db").display()));
    let db = relais_core::connect(&url).await?;
    if !reuse {
        if n_people(&db).await? > 0 {
            bail!(
                "{} already holds people: give an empty database, or --reuse",
                super::config::redact(&url)
            );
        }
        let t = Instant::now();
        let mut last = Instant::now();
        relais_store::synthetic::people_and_interactions(
            &db,
            people,
            interactions,
            chrono::Utc::now(),
            |what, n| {
                if last.elapsed() > Duration::from_secs(10) {
                    eprintln!("  {what}: {n}");
                    last = Instant::now();
                }
            },
        )
        .await?;
        println!(
            "generated {people} people and {interactions} interactions in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        relais_store::dialect::analyze(&db).await?;
    }
    let a = Actor::SYSTEM;
    let query = params(&[("filter", SEGMENT)]);
    let found = relais_core::records::count::<relais_core::people::People>(&db, &a, &query)
        .await
        .map_err(core)?;
    println!("segment: {SEGMENT}");
    println!("  {found} people of {}", n_people(&db).await?);
    let (p50, p95) = time(20, |_| async {
        relais_core::records::count::<relais_core::people::People>(&db, &a, &query)
            .await
            .map_err(core)?;
        Ok(())
    })
    .await?;
    println!("  count: p50 {p50:.1} ms, p95 {p95:.1} ms (target p95 <= 500 ms)");
    let mut page = query.clone();
    page.push(("limit".into(), "50".into()));
    let (p50, p95) = time(20, |_| async {
        relais_core::records::list::<relais_core::people::People>(&db, &a, &page)
            .await
            .map_err(core)?;
        Ok(())
    })
    .await?;
    println!("  first page of 50, by name: p50 {p50:.1} ms, p95 {p95:.1} ms");
    db.close().await;
    Ok(())
}

/// Creates a person from a JSON draft, as a client would send it.
async fn create_person(
    db: &Db,
    a: &Actor,
    v: serde_json::Value,
) -> relais_core::error::Result<relais_core::people::PersonView> {
    let draft = relais_core::record::parse_draft(v)?;
    relais_core::records::create::<relais_core::people::People>(db, a, &draft).await
}
