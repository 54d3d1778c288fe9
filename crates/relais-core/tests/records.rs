//! Import, export, merge and demo data, through the services, on SQLite and PostgreSQL.
use relais_core::export::{self, Format};
use relais_core::import::csv_source::{CsvSource, Target};
use relais_core::import::raw::RawContact;
use relais_core::import::{self, Event, OnDuplicate, Options, Rejected, Report};
use relais_core::{Actor, Db, people};
use serde_json::json;

const PEOPLE_CSV: &[u8] = "First Name,Last Name,Company,Job Title,Email,Mobile Phone,Birthday,City
Ada,Lovelace,Analytical Engines Ltd,Founder,ada@analytical.example,+44 20 7219 3000,1815-12-10,London
Amélie,Poulain,Café des Deux Moulins,Serveuse,amelie@deuxmoulins.example,06 40 50 60 70,1973-09-03,Paris
Grace,Hopper,,Admiral,grace@navy.example,+1 650 253 0000,,Arlington
Broken,Row,,,not-an-email,12,32/13/2000,
"
.as_bytes();

async fn import_csv(db: &Db, bytes: &[u8], opts: Options) -> (Report, Vec<Rejected>) {
    let mut src = CsvSource::open(bytes, Target::People, &[]).expect("readable CSV");
    let mut rejected = Vec::new();
    let next = || {
        src.next_person().map(|r| match r {
            Ok(c) => Ok((c, vec![])),
            Err(e) => Err(Rejected::from(e)),
        })
    };
    let report = import::people(db, &Actor::SYSTEM, opts, next, |e| {
        if let Event::Rejected(r) = e {
            rejected.push(r.clone())
        }
    })
    .await
    .expect("import runs");
    (report, rejected)
}

async fn all_people(db: &Db) -> Vec<people::PersonView> {
    relais_core::records::list::<people::People>(
        db,
        &Actor::SYSTEM,
        &[("limit".into(), "200".into())],
    )
    .await
    .expect("list")
    .items
}

#[tokio::test]
async fn csv_import_reports_dry_runs_rejects_and_is_idempotent() {
    for t in relais_testkit::engines().await {
        let db = &t.db;
        let (dry, _) = import_csv(
            db,
            PEOPLE_CSV,
            Options {
                dry_run: true,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            (dry.created, dry.rejected, dry.companies_created),
            (3, 1, 2),
            "{}",
            t.engine
        );
        assert!(
            all_people(db).await.is_empty(),
            "a dry run writes nothing ({})",
            t.engine
        );

        let (real, rejected) = import_csv(db, PEOPLE_CSV, Options::default()).await;
        assert_eq!(
            (real.created, real.rejected),
            (dry.created, dry.rejected),
            "the dry run said what the run did"
        );
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].line, 5);
        for field in ["emails[0].address", "phones[0].number", "birthday"] {
            assert!(
                rejected[0].reason.0.iter().any(|e| e.field == field),
                "{field} named in {}",
                rejected[0].reason
            );
        }
        let people = all_people(db).await;
        assert_eq!(people.len(), 3);
        let amelie = people
            .iter()
            .find(|p| p.data.first_name.as_deref() == Some("Amélie"))
            .expect("Amélie");
        assert_eq!(amelie.data.phones[0].number.as_str(), "+33640506070");
        assert_eq!(
            amelie.data.birthday.map(|b| b.to_string()).as_deref(),
            Some("1973-09-03")
        );
        assert_eq!(amelie.data.companies.len(), 1);

        let (again, _) = import_csv(db, PEOPLE_CSV, Options::default()).await;
        assert_eq!(
            (again.created, again.skipped),
            (0, 3),
            "re-running the same file changes nothing"
        );
        let (update, _) = import_csv(
            db,
            PEOPLE_CSV,
            Options {
                on_duplicate: OnDuplicate::Update,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(
            (update.updated, update.unchanged),
            (0, 3),
            "same values: nothing to update"
        );
        assert_eq!(all_people(db).await.len(), 3);
    }
}

#[tokio::test]
async fn update_mode_adds_what_the_file_knows() {
    for t in relais_testkit::engines().await {
        import_csv(&t.db, PEOPLE_CSV, Options::default()).await;
        let more =
            "Email,Home Phone,Tags\nada@analytical.example,+44 20 7946 0000,vip\n".as_bytes();
        let (r, _) = import_csv(
            &t.db,
            more,
            Options {
                on_duplicate: OnDuplicate::Update,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(r.updated, 1, "{}", t.engine);
        let ada = all_people(&t.db)
            .await
            .into_iter()
            .find(|p| p.data.last_name.as_deref() == Some("Lovelace"))
            .expect("Ada");
        assert_eq!(ada.data.phones.len(), 2);
        assert_eq!(ada.data.tags, vec!["vip"]);
        assert_eq!(
            ada.data.first_name.as_deref(),
            Some("Ada"),
            "fields the file leaves empty are kept"
        );
    }
}

/// A file of `n` distinct people, then rows that repeat some of them: row `n + 1` has the
/// e-mail of row 2 (an earlier batch of the import), row `n + 2` the phone of row `n - 1` (the
/// same batch), row `n + 3` the name and company of row 3 (an earlier batch).
fn file_with_repeats(n: usize) -> Vec<u8> {
    let mut s = String::from("First Name,Last Name,Email,Mobile Phone,Company,Tags\n");
    for i in 1..=n {
        s += &format!(
            "P{i},Person,p{i}@example.org,06 10 {:02} {:02} {:02},Acme,\n",
            i / 10_000,
            (i / 100) % 100,
            i % 100
        );
    }
    s += "Other,Name,P2@Example.org,,,vip\n";
    let last = n - 1;
    s += &format!(
        "Again,,,+33 6 10 {:02} {:02} {:02},,again\n",
        last / 10_000,
        (last / 100) % 100,
        last % 100
    );
    s += "p3,PERSON,,,ACME,third\n";
    s.into_bytes()
}

#[tokio::test]
async fn repeated_people_in_one_file_are_found_within_and_across_batches() {
    for t in relais_testkit::engines().await {
        let n = 1_200;
        let (skip, _) = import_csv(&t.db, &file_with_repeats(n), Options::default()).await;
        assert_eq!(
            (skip.created, skip.skipped, skip.rejected),
            (n as u64, 3, 0),
            "{}: {skip}",
            t.engine
        );
        let again = import_csv(&t.db, &file_with_repeats(n), Options::default())
            .await
            .0;
        assert_eq!(
            (again.created, again.skipped),
            (0, n as u64 + 3),
            "{}",
            t.engine
        );

        let fresh = relais_testkit::engines().await;
        let Some(u) = fresh.iter().find(|f| f.engine == t.engine) else {
            continue;
        };
        let opts = Options {
            on_duplicate: OnDuplicate::Update,
            ..Default::default()
        };
        let (r, _) = import_csv(&u.db, &file_with_repeats(n), opts).await;
        assert_eq!((r.created, r.updated), (n as u64, 3), "{}: {r}", u.engine);
        let people = relais_core::records::list::<relais_core::people::People>(
            &u.db,
            &Actor::SYSTEM,
            &[("tag".into(), "vip".into())],
        )
        .await
        .unwrap()
        .items;
        assert_eq!(people.len(), 1, "{}", u.engine);
        assert_eq!(
            people[0].data.first_name.as_deref(),
            Some("P2"),
            "a repeat fills what is empty, the first row wins"
        );
        assert_eq!(people[0].data.emails[0].address.as_str(), "p2@example.org");
        for tag in ["again", "third"] {
            let tagged = relais_core::records::list::<relais_core::people::People>(
                &u.db,
                &Actor::SYSTEM,
                &[("tag".into(), tag.into())],
            )
            .await
            .unwrap()
            .items;
            assert_eq!(tagged.len(), 1, "{}: tag {tag}", u.engine);
        }
        let (r2, _) = import_csv(&u.db, &file_with_repeats(n), opts).await;
        assert_eq!((r2.created, r2.updated), (0, 0), "{}: {r2}", u.engine);
    }
}

#[tokio::test]
async fn french_excel_file_in_windows_1252_with_semicolons_imports() {
    let t = relais_testkit::sqlite().await;
    let bytes = b"Pr\xe9nom;Nom;T\xe9l\xe9phone portable;Date de naissance;Soci\xe9t\xe9\r\n\xc9lodie;Fran\xe7ois;06 12 34 56 78;03/09/1973;Caf\xe9 de la Gare\r\n";
    let (r, rejected) = import_csv(&t.db, bytes, Options::default()).await;
    assert_eq!((r.created, r.rejected), (1, 0), "{rejected:?}");
    let p = &all_people(&t.db).await[0];
    assert_eq!(p.data.first_name.as_deref(), Some("Élodie"));
    assert_eq!(p.data.last_name.as_deref(), Some("François"));
    let found = relais_core::records::list::<relais_core::people::People>(
        &t.db,
        &Actor::SYSTEM,
        &[("q".into(), "elo".into())],
    )
    .await
    .unwrap();
    assert_eq!(found.items.len(), 1, "\"elo\" finds \"Élodie\"");
}

#[tokio::test]
async fn an_interrupted_import_is_undone_from_its_log_and_a_later_change_is_kept() {
    for t in relais_testkit::engines().await {
        // Someone already in Relais, whom the file updates.
        let known = create_person(
            &t.db,
            &Actor::SYSTEM,
            json!({"first_name": "Ada", "last_name": "Known", "job_title": "Comptable",
                   "emails": [{"address": "p3@example.org"}]}),
        )
        .await
        .unwrap();
        // Three batches; the run is stopped once two are written.
        let batch = import::batch_rows(t.db.backend()) as u64;
        let rows: Vec<RawContact> = (0..3 * batch)
            .map(|i| RawContact {
                line: i + 2,
                last_name: Some(format!("Person {i}")),
                job_title: Some("Directrice".into()),
                company: (i % 3 == 0).then(|| format!("Société {}", i % 7)),
                emails: vec![("work".into(), format!("p{i}@example.org"))],
                ..Default::default()
            })
            .collect();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut stop = Some(stop);
        let mut iter = rows.into_iter();
        let next = move || Some(Ok((iter.next()?, vec![])));
        let on = move |e: Event<'_>| {
            if let Event::Progress(n) = e
                && n >= 2 * batch
                && let Some(s) = stop.take()
            {
                let _ = s.send(());
            }
        };
        let id = uuid::Uuid::now_v7();
        let opts = Options {
            on_duplicate: OnDuplicate::Update,
            log: Some(id),
            ..Options::default()
        };
        let run = import::people(&t.db, &Actor::SYSTEM, opts, next, on);
        tokio::select! {
            r = run => panic!("the import should have been interrupted, it ended with {r:?}"),
            _ = stopped => {}
        }
        // Two batches were committed: the import blocked no one for long.
        let count = |db: &Db| {
            let db = db.clone();
            async move {
                relais_core::records::count::<relais_core::people::People>(&db, &Actor::SYSTEM, &[])
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            count(&t.db).await,
            2 * batch as i64,
            "Ada and the new ({})",
            t.engine
        );
        let ada = relais_core::records::get::<relais_core::people::People>(
            &t.db,
            &Actor::SYSTEM,
            known.id,
        )
        .await
        .unwrap();
        assert_eq!(ada.data.job_title.as_deref(), Some("Directrice"));
        // Meanwhile someone edits a person the import created: undo leaves it.
        let q = [("last_name".to_string(), "Person 9".to_string())];
        let edited =
            relais_core::records::list::<relais_core::people::People>(&t.db, &Actor::SYSTEM, &q)
                .await
                .unwrap()
                .items[0]
                .clone();
        relais_core::records::update::<relais_core::people::People>(
            &t.db,
            &Actor::SYSTEM,
            edited.id,
            &json!({"notes": "rappeler"}),
            None,
        )
        .await
        .unwrap();
        let report = import::undo::undo(&t.db, &Actor::SYSTEM, id, |_, _| {})
            .await
            .unwrap();
        // The people and 6 of the 7 companies it created go; Ada is restored; the edited
        // person and their company stay.
        assert_eq!(
            (report.removed, report.restored, report.kept),
            (2 * batch - 2 + 6, 1, 2),
            "{report:?} ({})",
            t.engine
        );
        let left = all_people(&t.db).await;
        let names: Vec<_> = left.iter().map(|p| p.display_name.clone()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let ada = relais_core::records::get::<relais_core::people::People>(
            &t.db,
            &Actor::SYSTEM,
            known.id,
        )
        .await
        .unwrap();
        assert_eq!(
            ada.data.job_title.as_deref(),
            Some("Comptable"),
            "{}",
            t.engine
        );
        // The companies it created went with their people; the log is spent.
        let companies = relais_core::records::list::<relais_core::companies::Companies>(
            &t.db,
            &Actor::SYSTEM,
            &[],
        )
        .await
        .unwrap();
        let kept: Vec<_> = companies
            .items
            .iter()
            .map(|c| c.data.name.clone())
            .collect();
        assert_eq!(
            kept,
            ["Société 2"],
            "the edited person's company stays ({})",
            t.engine
        );
        let again = import::undo::undo(&t.db, &Actor::SYSTEM, id, |_, _| {})
            .await
            .unwrap();
        assert_eq!(again, Default::default());
    }
}

#[tokio::test]
async fn vcard_import_then_export_round_trips() {
    for t in relais_testkit::engines().await {
        let card = b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Curie;Marie;;;\r\nEMAIL;INTERNET:marie@radium.example\r\nTEL;CELL:+33 6 01 02 03 04\r\nBDAY:--1107\r\nEND:VCARD\r\n";
        let mut cards = import::vcard::parse_vcards(card).into_iter();
        let next = || {
            cards
                .next()
                .map(|c| c.map(|c| (c, vec![])).map_err(Rejected::from))
        };
        let r = import::people(&t.db, &Actor::SYSTEM, Options::default(), next, |_| {})
            .await
            .unwrap();
        assert_eq!(r.created, 1, "{}", t.engine);
        let mut out = Vec::new();
        let n = export::all::<relais_core::people::People, _>(
            &t.db,
            &Actor::SYSTEM,
            Format::Vcard,
            &mut out,
            |_| {},
        )
        .await
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(n, 1);
        assert!(
            text.contains("VERSION:4.0")
                && text.contains("FN:Marie Curie")
                && text.contains("tel:+33601020304"),
            "{text}"
        );
        assert!(text.contains("BDAY:--1107"), "{text}");
    }
}

#[tokio::test]
async fn csv_export_neutralises_formulas_and_pages_through_everything() {
    for t in relais_testkit::engines().await {
        create_person(
            &t.db,
            &Actor::SYSTEM,
            json!({"first_name": "=HYPERLINK(\"http://evil\")", "last_name": "Mallory"}),
        )
        .await
        .unwrap();
        for i in 0..1_100 {
            create_person(
                &t.db,
                &Actor::SYSTEM,
                json!({"last_name": format!("Bulk {i:04}")}),
            )
            .await
            .unwrap();
        }
        let mut out = Vec::new();
        let n = export::all::<relais_core::people::People, _>(
            &t.db,
            &Actor::SYSTEM,
            Format::Csv,
            &mut out,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(n, 1_101, "{}: every page exported once", t.engine);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("'=HYPERLINK"), "formula neutralised");
        assert!(!text.contains(",=HYPERLINK"));
        assert_eq!(text.lines().count(), 1_102, "header + one line per person");
    }
}

#[tokio::test]
async fn export_is_refused_to_roles_without_bulk_access() {
    let t = relais_testkit::sqlite().await;
    let sales = Actor {
        user: None,
        role: relais_domain::Role::Sales,
    };
    let mut out = Vec::new();
    let err =
        export::all::<relais_core::people::People, _>(&t.db, &sales, Format::Csv, &mut out, |_| {})
            .await
            .unwrap_err();
    assert!(matches!(err, relais_core::CoreError::Forbidden(_)));
    assert!(out.is_empty());
}

#[tokio::test]
async fn merge_moves_everything_to_the_survivor_and_keeps_discarded_values() {
    for t in relais_testkit::engines().await {
        let db = &t.db;
        let a = create_person(db, &Actor::SYSTEM, json!({"first_name": "Jeanne", "last_name": "Martin", "emails": [{"address": "jeanne@a.example"}]})).await.unwrap();
        let b = create_person(db, &Actor::SYSTEM, json!({"first_name": "Jeane", "last_name": "Martin", "job_title": "Gérante", "emails": [{"address": "jeanne@b.example"}], "phones": [{"number": "0612345678"}], "tags": ["vip"]})).await.unwrap();
        relais_core::records::create::<relais_core::interactions::Interactions>(
            db,
            &Actor::SYSTEM,
            &relais_core::record::parse_draft(json!({"kind": "call", "person_ids": [b.id]}))
                .unwrap(),
        )
        .await
        .unwrap();
        relais_core::records::create::<relais_core::tasks::Tasks>(
            db,
            &Actor::SYSTEM,
            &relais_core::record::parse_draft(json!({"title": "Call back", "person_id": b.id}))
                .unwrap(),
        )
        .await
        .unwrap();
        people::record_consent(
            db,
            &Actor::SYSTEM,
            b.id,
            json!({"channel": "email", "status": "granted", "source": "shop"}),
        )
        .await
        .unwrap();

        let bad = relais_core::merge::merge::<people::People>(
            db,
            &Actor::SYSTEM,
            json!({"survivor_id": a.id, "discarded_id": b.id, "take": ["shoe_size"]}),
            None,
        )
        .await;
        assert!(
            matches!(bad, Err(relais_core::CoreError::Invalid(_))),
            "{}",
            t.engine
        );
        assert!(
            relais_core::records::get::<people::People>(db, &Actor::SYSTEM, b.id)
                .await
                .is_ok(),
            "a refused merge changes nothing"
        );

        let merged = relais_core::merge::merge::<people::People>(
            db,
            &Actor::SYSTEM,
            json!({"survivor_id": a.id, "discarded_id": b.id, "take": ["job_title"]}),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            merged.data.first_name.as_deref(),
            Some("Jeanne"),
            "survivor's value kept"
        );
        assert_eq!(
            merged.data.job_title.as_deref(),
            Some("Gérante"),
            "chosen value taken"
        );
        assert_eq!(merged.data.emails.len(), 2);
        assert_eq!(merged.data.tags, vec!["vip"]);
        assert!(
            relais_core::records::get::<people::People>(db, &Actor::SYSTEM, b.id)
                .await
                .is_err(),
            "the discarded person is gone"
        );
        let overview = relais_core::overview::person(db, &Actor::SYSTEM, a.id, &[])
            .await
            .unwrap();
        assert_eq!(overview.counts.interactions, 1);
        assert_eq!(overview.open_tasks.len(), 1);
        assert_eq!(overview.consents.len(), 1);
        let audit = relais_core::overview::audit(
            db,
            &Actor::SYSTEM,
            relais_domain::Resource::PEOPLE,
            a.id.0,
            &[("limit".into(), "200".into())],
        )
        .await
        .unwrap();
        let merged_lines: Vec<_> = audit
            .items
            .iter()
            .filter(|e| e.action == "merged")
            .collect();
        assert!(
            merged_lines
                .iter()
                .any(|e| e.field.as_deref() == Some("first_name")
                    && e.old_value.as_deref() == Some("Jeane")),
            "discarded value kept"
        );
        assert!(
            audit
                .items
                .iter()
                .any(|e| e.action == "created" && e.entity_id == a.id.0)
        );
        assert_eq!(
            audit.items.iter().filter(|e| e.action == "created").count(),
            2,
            "the discarded person's history moved too"
        );
    }
}

#[tokio::test]
async fn duplicates_are_found_by_email_phone_and_similar_name_at_a_company() {
    for t in relais_testkit::engines().await {
        let db = &t.db;
        let c = relais_core::records::create::<relais_core::companies::Companies>(
            db,
            &Actor::SYSTEM,
            &relais_core::record::parse_draft(json!({"name": "Boulangerie Dupré"})).unwrap(),
        )
        .await
        .unwrap();
        create_person(
            db,
            &Actor::SYSTEM,
            json!({"last_name": "A", "emails": [{"address": "same@x.example"}]}),
        )
        .await
        .unwrap();
        create_person(
            db,
            &Actor::SYSTEM,
            json!({"last_name": "B", "emails": [{"address": "SAME@x.example"}]}),
        )
        .await
        .unwrap();
        create_person(db, &Actor::SYSTEM, json!({"first_name": "Jean-Marc", "last_name": "Lefèvre", "companies": [{"company_id": c.id}]})).await.unwrap();
        create_person(db, &Actor::SYSTEM, json!({"first_name": "Jean-Marc", "last_name": "Lefevre", "companies": [{"company_id": c.id}]})).await.unwrap();
        create_person(db, &Actor::SYSTEM, json!({"first_name": "Zoé", "last_name": "Unique", "companies": [{"company_id": c.id}]})).await.unwrap();
        let pairs =
            relais_core::merge::duplicates::<relais_core::people::People>(db, &Actor::SYSTEM, 50)
                .await
                .unwrap();
        let reasons: Vec<Vec<String>> = pairs.iter().map(|p| p.reasons.clone()).collect();
        assert_eq!(pairs.len(), 2, "{}: {reasons:?}", t.engine);
        assert!(
            reasons
                .iter()
                .any(|r| r.contains(&"same e-mail".to_string()))
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains(&"similar name at the same company".to_string()))
        );
    }
}

#[tokio::test]
async fn demo_data_is_deterministic_for_a_seed() {
    let (a, b) = (
        relais_testkit::sqlite().await,
        relais_testkit::sqlite().await,
    );
    let sa = relais_core::demo::fill(&a.db, 60, 7).await.unwrap();
    relais_core::demo::fill(&b.db, 60, 7).await.unwrap();
    assert_eq!(sa.people, 60);
    assert!(
        sa.interactions > 100,
        "years of interactions: {}",
        sa.interactions
    );
    let names = |v: Vec<people::PersonView>| {
        v.into_iter()
            .map(|p| {
                (
                    p.display_name,
                    p.data.emails[0].address.as_str().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(all_people(&a.db).await),
        names(all_people(&b.db).await)
    );
}

#[tokio::test]
async fn search_terms_are_computed_again_when_a_database_is_upgraded() {
    for t in relais_testkit::engines().await {
        import_csv(&t.db, PEOPLE_CSV, Options::default()).await;
        t.db.close().await;
        // A database from before the search order: terms missing, migration 2 not applied.
        relais_testkit::execute(
            &t.url,
            "DELETE FROM person_terms; DELETE FROM company_terms; \
             DELETE FROM schema_migrations WHERE version = 2;",
        )
        .await;
        let db = relais_core::connect(&t.url).await.expect("upgraded");
        let found = |q: &str| {
            let db = db.clone();
            let q = q.to_string();
            async move {
                relais_core::records::list::<relais_core::people::People>(
                    &db,
                    &Actor::SYSTEM,
                    &[("q".into(), q)],
                )
                .await
                .expect("search")
                .items
                .into_iter()
                .map(|p| p.display_name)
                .collect::<Vec<_>>()
            }
        };
        assert_eq!(found("moulins").await, ["Amélie Poulain"], "{}", t.engine);
        assert_eq!(found("+44 20 72").await, ["Ada Lovelace"], "{}", t.engine);
        let companies = relais_core::records::list::<relais_core::companies::Companies>(
            &db,
            &Actor::SYSTEM,
            &[("q".into(), "analyt".into())],
        )
        .await
        .expect("company search");
        assert_eq!(companies.items.len(), 1, "{}", t.engine);
        db.close().await;
    }
}

#[tokio::test]
async fn folded_filter_columns_are_filled_when_a_database_is_upgraded() {
    for t in relais_testkit::engines().await {
        import_csv(&t.db, PEOPLE_CSV, Options::default()).await;
        t.db.close().await;
        // A database from before migration 5: no folded columns, no saved filters.
        relais_testkit::execute(
            &t.url,
            "DROP INDEX people_first_name_key; DROP INDEX people_last_name_key; \
             ALTER TABLE people DROP COLUMN first_name_key; \
             ALTER TABLE people DROP COLUMN last_name_key; \
             ALTER TABLE people DROP COLUMN job_title_key; \
             ALTER TABLE people DROP COLUMN source_key; \
             ALTER TABLE companies DROP COLUMN industry_key; \
             ALTER TABLE saved_views DROP COLUMN filter; \
             DELETE FROM schema_migrations WHERE version = 5;",
        )
        .await;
        let db = relais_core::connect(&t.url).await.expect("upgraded");
        let found = relais_core::records::list::<relais_core::people::People>(
            &db,
            &Actor::SYSTEM,
            &[("first_name[prefix]".into(), "AME".into())],
        )
        .await
        .expect("filter")
        .items
        .into_iter()
        .map(|p| p.display_name)
        .collect::<Vec<_>>();
        assert_eq!(found, ["Amélie Poulain"], "{}", t.engine);
        db.close().await;
    }
}

// Two threads: the import and the saves run side by side, as in a server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_during_a_large_import_waits_for_one_batch_at_most() {
    for t in relais_testkit::engines().await {
        let rows: Vec<RawContact> = (0..12_000)
            .map(|i| RawContact {
                line: i + 2,
                first_name: Some("Jeanne".into()),
                last_name: Some(format!("Martin {i}")),
                emails: vec![("work".into(), format!("jeanne{i}@example.org"))],
                ..Default::default()
            })
            .collect();
        let mut iter = rows.into_iter();
        let next = move || iter.next().map(|r| Ok((r, vec![])));
        let opts = Options {
            log: Some(uuid::Uuid::now_v7()),
            ..Options::default()
        };
        let db = t.db.clone();
        let import =
            tokio::spawn(
                async move { import::people(&db, &Actor::SYSTEM, opts, next, |_| {}).await },
            );
        let (mut saves, mut worst) = (0, std::time::Duration::ZERO);
        while !import.is_finished() {
            let started = std::time::Instant::now();
            create_person(
                &t.db,
                &Actor::SYSTEM,
                json!({"first_name": "Pendant", "last_name": format!("L'import {saves}")}),
            )
            .await
            .unwrap_or_else(|e| panic!("a save during the import failed: {e} ({})", t.engine));
            worst = worst.max(started.elapsed());
            saves += 1;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let report = import.await.unwrap().unwrap();
        assert_eq!(report.created, 12_000, "{}", t.engine);
        assert!(
            saves >= 3,
            "the import ran long enough to be tried: {saves} saves, worst {worst:?} ({})",
            t.engine
        );
        assert!(
            worst < std::time::Duration::from_millis(1500),
            "the slowest save waited {worst:?} ({})",
            t.engine
        );
        assert_eq!(
            relais_core::records::count::<relais_core::people::People>(&t.db, &Actor::SYSTEM, &[])
                .await
                .unwrap(),
            12_000 + saves as i64
        );
    }
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
