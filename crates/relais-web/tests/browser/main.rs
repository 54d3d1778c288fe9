//! The web app in a real headless Chromium (Debian's `chromium` and `chromedriver`): the
//! flows a user goes through, clicked and typed as a user would.
//!
//! Without Chromium these tests fail with the command that installs it, unless
//! `RELAIS_SKIP_BROWSER=1` says to skip them. With `RELAIS_SCREENSHOTS=DIR` they leave
//! screenshots of the main pages there (docs/screenshots is made that way).
mod webdriver;

use relais_core::{Actor, Db};
use relais_web::{AppState, app};
use serde_json::json;
use std::path::PathBuf;
use webdriver::Driver;

const EMAIL: &str = "claire@relais.example";
const PASSWORD: &str = "une phrase de passe assez longue";

/// Relais on a real socket over a fresh SQLite file, with one admin who has a password.
struct Server {
    url: String,
    db: Db,
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn server() -> Server {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db_url = format!("sqlite://{}", dir.path().join("relais.db").display());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (db, addr) = rt.block_on(async {
        let db = relais_core::connect(&db_url).await.expect("database");
        let draft = relais_core::users::UserDraft {
            email: EMAIL.into(),
            name: "Claire Dumas".into(),
            role: "admin".into(),
            team_id: None,
            password: Some(PASSWORD.into()),
        };
        relais_core::users::create(&db, &Actor::SYSTEM, draft)
            .await
            .expect("admin");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("address");
        let router = app(AppState::new(db.clone(), false));
        tokio::spawn(async move { axum::serve(listener, router).await });
        // A job worker, as `relais serve` runs one (the import wizard's checks and imports).
        let mut worker =
            relais_core::jobs::Worker::new(db.clone(), relais_core::jobs::Registry::standard());
        worker.poll = std::time::Duration::from_millis(50);
        tokio::spawn(worker.run(std::future::pending::<()>()));
        (db, addr)
    });
    Server {
        url: format!("http://{addr}"),
        db,
        rt,
        _dir: dir,
    }
}

/// Where screenshots go, when asked for.
fn shots() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("RELAIS_SCREENSHOTS")?);
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    Some(dir)
}

fn shot(d: &Driver, name: &str) {
    if let Some(dir) = shots() {
        d.screenshot(&dir.join(format!("{name}.png")));
    }
}

/// A browser, or None when the tests are told to skip.
fn browser() -> Option<Driver> {
    if let Some(why) = webdriver::missing() {
        if std::env::var("RELAIS_SKIP_BROWSER").is_ok_and(|v| v == "1") {
            eprintln!("browser tests skipped: {why}");
            return None;
        }
        panic!("{why}");
    }
    Some(Driver::start())
}

fn sign_in(d: &Driver, s: &Server) {
    d.go(&format!("{}/", s.url));
    d.find("#email");
    assert!(d.url().contains("/login?next="), "{}", d.url());
    shot(d, "sign-in");
    d.type_in("#email", EMAIL);
    d.type_in("#password", PASSWORD);
    d.click("button[type=submit]");
    d.wait_for_text("Claire Dumas");
}

#[test]
fn a_user_signs_in_creates_a_person_logs_a_meeting_and_reads_it_on_the_timeline() {
    let Some(d) = browser() else { return };
    let s = server();
    sign_in(&d, &s);
    d.click("a[href='/people']");
    d.click("a[href='/people/new']");
    // A mistake first: the error shows next to the field, what was typed stays.
    d.type_in("#first_name", "Élodie");
    d.type_in("#last_name", "Martin");
    d.type_in("#company", "Boulangerie Martin");
    d.type_in("input[name='emails[0].address']", "not an address");
    d.click("form.panel button[type=submit]");
    d.find("#emails\\[0\\]\\.address-error");
    shot(&d, "form-errors");
    d.clear("input[name='emails[0].address']");
    d.type_in(
        "input[name='emails[0].address']",
        "elodie@boulangerie-martin.example",
    );
    d.type_in("input[name='phones[0].number']", "06 12 34 56 78");
    d.type_in("#birthday", "14/07/1985");
    d.select("#stage", "customer");
    d.click("form.panel button[type=submit]");
    let text = d.wait_for_text("Élodie Martin");
    assert!(text.contains("Boulangerie Martin"), "{text}");
    assert!(text.contains("+33612345678"));
    // A meeting and its report.
    d.select("#kind", "meeting");
    d.type_in("#subject", "Rendez-vous de lancement");
    d.type_in(
        "#body",
        "Compte rendu\nCommande de 40 baguettes par jour à partir de janvier.",
    );
    d.type_in("#duration_minutes", "30");
    d.click("#log-h ~ form button[type=submit]");
    let text = d.wait_for_text("Rendez-vous de lancement");
    assert!(text.contains("Commande de 40 baguettes par jour"), "{text}");
    assert!(text.contains("30 min"));
    shot(&d, "person");
    // The list finds her by a prefix of her company, accents aside.
    d.go(&format!("{}/people?q=boulan", s.url));
    let text = d.wait_for_text("Élodie Martin");
    assert!(text.contains("elodie@boulangerie-martin.example"));
    shot(&d, "people");
}

#[test]
fn an_edit_that_meets_a_change_made_meanwhile_lets_the_user_choose() {
    let Some(d) = browser() else { return };
    let s = server();
    let person =
        s.rt.block_on(create_person(
            &s.db,
            &Actor::SYSTEM,
            json!({"first_name": "Jean", "last_name": "Moulin", "job_title": "Préfet"}),
        ))
        .expect("a person");
    sign_in(&d, &s);
    d.go(&format!("{}/people/{}/edit", s.url, person.id.0));
    d.find("#job_title");
    // Someone else saves first.
    s.rt.block_on(relais_core::records::update::<relais_core::people::People>(
        &s.db,
        &Actor::SYSTEM,
        person.id,
        &json!({"job_title": "Résistant"}),
        None,
    ))
    .expect("the other change");
    d.clear("#job_title");
    d.type_in("#job_title", "Président du CNR");
    d.click("form.panel button[type=submit]");
    let text = d.wait_for_text("Someone changed this person meanwhile");
    assert!(
        text.contains("Président du CNR") && text.contains("Résistant"),
        "{text}"
    );
    shot(&d, "edit-conflict");
    d.click("input[name='choose.job_title'][value='theirs']");
    d.click("form.panel button[type=submit]");
    // The person's page, not the form again.
    let text = d.wait_for_text("Key facts");
    assert!(text.contains("Résistant"), "{text}");
    assert!(!text.contains("Président du CNR"));
}

#[test]
fn a_user_switches_relais_to_french() {
    let Some(d) = browser() else { return };
    let s = server();
    sign_in(&d, &s);
    d.go(&format!("{}/settings", s.url));
    d.select("#language", "fr");
    d.click("#lang-h ~ form button[type=submit]");
    d.wait_for_text("Langue enregistrée");
    d.go(&format!("{}/", s.url));
    let text = d.wait_for_text("Ma journée");
    assert!(text.contains("Mes tâches ouvertes"), "{text}");
    shot(&d, "my-day");
    d.go(&format!("{}/people", s.url));
    d.wait_for_text("Nouvelle personne");
}

#[test]
fn a_manager_merges_two_duplicates_field_by_field() {
    let Some(d) = browser() else { return };
    let s = server();
    let make = |first: &str, last: &str, job: &str| {
        s.rt.block_on(create_person(
            &s.db,
            &Actor::SYSTEM,
            json!({"first_name": first, "last_name": last, "job_title": job,
                   "emails": [{"address": "jean.dupont@example.fr"}]}),
        ))
        .expect("a person")
    };
    let a = make("Jean", "Dupond", "Gérant");
    make("Jean", "Dupont", "Directeur");
    sign_in(&d, &s);
    d.click("a[href='/duplicates']");
    d.wait_for_text("same e-mail");
    shot(&d, "duplicates");
    d.click("a[href^='/duplicates/review']");
    d.wait_for_text("Merge two records");
    // Whichever order the pair comes in, keep "Dupont" and "Gérant".
    let first_is_a = d.url().contains(&format!("a={}", a.id.0));
    let (dupont, gerant) = if first_is_a { ("b", "a") } else { ("a", "b") };
    d.click(&format!("input[name='keep.last_name'][value='{dupont}']"));
    d.click(&format!("input[name='keep.job_title'][value='{gerant}']"));
    shot(&d, "merge");
    d.click("form.panel button[type=submit]");
    let text = d.wait_for_text("Key facts");
    assert!(
        text.contains("Jean Dupont") && text.contains("Gérant"),
        "{text}"
    );
    d.go(&format!("{}/people", s.url));
    let text = d.wait_for_text("Jean Dupont");
    assert_eq!(
        text.matches("Jean Dupont").count(),
        1,
        "one record left: {text}"
    );
}

#[test]
fn a_user_imports_a_small_csv_through_the_wizard() {
    let Some(d) = browser() else { return };
    let s = server();
    let dir = tempfile::tempdir().expect("folder");
    let csv = dir.path().join("contacts.csv");
    std::fs::write(
        &csv,
        "Prénom;Nom;Société;E-mail;Téléphone portable\n\
         Inès;Moreau;Fromagerie Moreau;ines@fromagerie.example;06 01 02 03 04\n\
         Rémi;Petit;Fromagerie Moreau;remi@fromagerie.example;06 05 06 07 08\n\
         Sans;Email;;pas-un-email;\n",
    )
    .expect("a CSV");
    sign_in(&d, &s);
    d.click("a[href='/import']");
    d.type_in("#file", &csv.display().to_string());
    d.select("#kind", "people");
    shot(&d, "import");
    d.click("form.panel button[type=submit]");
    let text = d.wait_for_text("ines@fromagerie.example");
    assert!(text.contains("Read as UTF-8"), "{text}");
    shot(&d, "import-columns");
    d.click("button[value='check']");
    let text = d.wait_for_text("nothing was written");
    assert!(text.contains("Download the rejected rows"), "{text}");
    d.click("button[value='import']");
    d.wait_for_text("Imported.");
    d.click("a[href='/people']");
    let text = d.wait_for_text("Inès Moreau");
    assert!(
        text.contains("Rémi Petit") && text.contains("Fromagerie Moreau"),
        "{text}"
    );
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
