//! The record machinery on a kind of record that exists only here, "projects": its data, its
//! rules, its table and its registration are all this file writes, and it gets the API every
//! kind has (create, read, merge patch with If-Match, trash, restore, purge, lists with
//! filters, sort and pages, the audit trail) with no copy of people's or companies' code.
use crate::helpers::*;
use axum::http::StatusCode;
use relais_core::merge::{self, Mergeable};
use relais_core::records::{self, Kind};
use relais_core::{Actor, CoreError};
use relais_domain::filter::schema::{
    self, FieldSpec, FieldType, KindSpec, Link, Norm, Relation, Search, Stored,
};
use relais_domain::person::Address;
use relais_domain::role::Rights;
use relais_domain::{Code, FieldError, message::not_one_of};
use relais_domain::{Invalid, Resource, Role, UserId};
use relais_store::owned::Owned;
use relais_store::records::{Record, Stored as Kept};
use relais_store::sea_query::Value as SqlValue;
use relais_store::{Result as StoreResult, Tx};
use relais_web::AppState;
use relais_web::api::v1::records::{Served, document, routes};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

struct Projects;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
struct ProjectData {
    name: String,
    status: String,
    /// In cents.
    budget: Option<i64>,
    tags: Vec<String>,
    owner_id: Option<UserId>,
    custom: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ProjectDraft {
    name: Option<String>,
    status: Option<String>,
    budget: Option<i64>,
    #[serde(default)]
    tags: Vec<String>,
    owner_id: Option<UserId>,
    #[serde(default)]
    custom: BTreeMap<String, serde_json::Value>,
}

const STATUSES: &[&str] = &["open", "won", "lost"];

impl ProjectDraft {
    fn validate(&self) -> Result<ProjectData, Invalid> {
        let mut errors = Vec::new();
        let name = self.name.as_deref().map(str::trim).unwrap_or_default();
        if name.is_empty() {
            errors.push(FieldError::new("name", Code::Required));
        }
        let status = self.status.clone().unwrap_or_else(|| "open".into());
        if !STATUSES.contains(&status.as_str()) {
            errors.push(FieldError::new("status", not_one_of(&status, STATUSES)));
        }
        if self.budget.is_some_and(|b| b < 0) {
            errors.push(FieldError::new("budget", Code::Negative));
        }
        if !errors.is_empty() {
            return Err(Invalid(errors));
        }
        Ok(ProjectData {
            name: name.to_string(),
            status,
            budget: self.budget,
            tags: self.tags.clone(),
            owner_id: self.owner_id,
            custom: self.custom.clone(),
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ProjectView {
    id: Uuid,
    #[serde(flatten)]
    data: ProjectData,
    deleted_at: Option<chrono::DateTime<chrono::Utc>>,
    version: i64,
}

impl From<Record<Projects>> for ProjectView {
    fn from(r: Record<Projects>) -> Self {
        ProjectView {
            id: r.id,
            data: r.data,
            deleted_at: r.deleted_at,
            version: r.version,
        }
    }
}

relais_core::record_view!(ProjectView);

static SPEC: KindSpec = KindSpec {
    name: "projects",
    table: "projects",
    custom: Some("project"),
    fields: &[
        FieldSpec {
            name: "name",
            ty: FieldType::Text,
            stored: Stored::Folded {
                column: "name",
                key: "sort_key",
            },
        },
        FieldSpec {
            name: "status",
            ty: FieldType::Choice(STATUSES),
            stored: Stored::Column("status"),
        },
        FieldSpec {
            name: "budget",
            ty: FieldType::Number,
            stored: Stored::Column("budget"),
        },
        FieldSpec {
            name: "tag",
            ty: FieldType::Text,
            stored: Stored::Child {
                table: "tags",
                owner: "owner_id",
                column: "tag_key",
                norm: Norm::Fold,
            },
        },
        FieldSpec {
            name: "created_at",
            ty: FieldType::Time,
            stored: Stored::Column("created_at"),
        },
    ],
    // Calls, meetings and tasks about a project: a relation by registration, no new column.
    relations: &[
        Relation {
            name: "interactions",
            kind: "interactions",
            link: Link::About,
        },
        Relation {
            name: "tasks",
            kind: "tasks",
            link: Link::About,
        },
    ],
    latest_by: "created_at",
    search: Search::Contains("name"),
    resource: Resource::new("projects", "projects", &PROJECT_RIGHTS),
};

/// Projects are confidential: managers and sales see them, sales run them.
static PROJECT_RIGHTS: Rights = Rights {
    read: &[Role::Manager, Role::Sales],
    create: &[Role::Manager, Role::Sales],
    update: &[Role::Manager, Role::Sales],
    delete: &[Role::Manager],
    purge: &[],
};

#[derive(sqlx::FromRow)]
struct ProjectRow {
    name: String,
    status: String,
    budget: Option<i64>,
    owner_id: Option<Uuid>,
}

impl Kept for Projects {
    type Id = Uuid;
    type Data = ProjectData;
    type Row = ProjectRow;
    const SPEC: &'static KindSpec = &SPEC;
    const READ: &'static [&'static str] = &["name", "status", "budget", "owner_id"];

    fn written(d: &ProjectData) -> Vec<(&'static str, SqlValue)> {
        vec![
            ("name", d.name.clone().into()),
            ("sort_key", relais_domain::text::fold(&d.name).into()),
            ("status", d.status.clone().into()),
            ("budget", d.budget.into()),
            ("owner_id", d.owner_id.map(|u| u.0).into()),
        ]
    }

    fn sort_key(d: &ProjectData) -> String {
        relais_domain::text::fold(&d.name)
    }

    fn owned(d: &ProjectData) -> (&[Address], &[String]) {
        (&[], &d.tags)
    }

    async fn hydrate(
        _tx: &mut Tx,
        rows: Vec<(Uuid, ProjectRow)>,
        mut owned: Owned,
    ) -> StoreResult<Vec<ProjectData>> {
        Ok(rows
            .into_iter()
            .map(|(id, r)| {
                let owned = owned.take(id);
                ProjectData {
                    name: r.name,
                    status: r.status,
                    budget: r.budget,
                    tags: owned.tags,
                    owner_id: r.owner_id.map(UserId),
                    custom: owned.custom,
                }
            })
            .collect())
    }

    async fn terms(
        _tx: &mut Tx,
        records: &[(Uuid, &ProjectData)],
    ) -> StoreResult<Vec<Vec<String>>> {
        Ok(vec![vec![]; records.len()])
    }
}

impl Kind for Projects {
    type Draft = ProjectDraft;
    type View = ProjectView;
    const NOUN: &'static str = "project";

    async fn validate(
        _tx: &mut Tx,
        _actor: &Actor,
        draft: &ProjectDraft,
        _current: Option<&Record<Projects>>,
    ) -> Result<ProjectData, CoreError> {
        Ok(draft.validate()?)
    }

    fn custom_mut(d: &mut ProjectData) -> Option<&mut BTreeMap<String, serde_json::Value>> {
        Some(&mut d.custom)
    }

    fn tags_mut(d: &mut ProjectData) -> Option<&mut Vec<String>> {
        Some(&mut d.tags)
    }

    fn owner_mut(d: &mut ProjectData) -> Option<&mut Option<UserId>> {
        Some(&mut d.owner_id)
    }
}

impl Mergeable for Projects {
    const FIELDS: &'static [&'static str] = &["name", "status", "budget"];

    fn title(d: &ProjectData) -> String {
        d.name.clone()
    }

    async fn reassign(_tx: &mut Tx, _from: Uuid, _to: Uuid) -> Result<(), CoreError> {
        Ok(())
    }

    fn union(data: &mut ProjectData, discarded: &ProjectData) {
        for t in &discarded.tags {
            if !data.tags.contains(t) {
                data.tags.push(t.clone());
            }
        }
    }
}

/// A project is named by its name: a row of a file with a known one is a duplicate.
impl relais_core::import::records::Imported for Projects {
    const IMPORTED: &'static [&'static str] = &["name", "status", "budget", "tags"];
    const KEY: Option<&'static str> = Some("name");
}

impl relais_core::export::Exported for Projects {
    const COLUMNS: &'static [&'static str] = &["name", "status", "budget", "tags"];
}

impl Served for Projects {
    const PATH: &'static str = "projects";
    const LIST_DOC: &'static str = "Projects, a kind of record of the tests.";
}

/// The kind's migration: its table.
const TABLE: &str = "CREATE TABLE projects (
    id {uuid} PRIMARY KEY,
    name TEXT NOT NULL,
    sort_key {key} NOT NULL,
    status TEXT NOT NULL,
    budget BIGINT,
    owner_id {uuid},
    created_by {uuid},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts},
    version BIGINT NOT NULL
)";

/// The app with projects registered beside the kinds it has.
async fn with_projects(mut t: TestApp) -> TestApp {
    schema::register(&SPEC);
    relais_core::export::job::register::<Projects>();
    relais_core::import::records::register::<Projects>();
    relais_store::migrate::script(&t.db, TABLE)
        .await
        .expect("the projects table");
    let projects = routes::<Projects>()
        .merge(relais_web::api::v1::duplicates::routes::<Projects>())
        .with_state(AppState::new(t.db.clone(), false));
    t.router = t.router.merge(projects);
    t
}

async fn machinery(t: TestApp) {
    let t = with_projects(t).await;

    // Create: the kind's rules refuse bad input field by field, and write nothing.
    let refused = t
        .post(
            "/api/v1/projects",
            json!({"status": "maybe", "budget": -1}),
            &[],
        )
        .await;
    assert_invalid(&refused, "name");
    assert_invalid(&refused, "status");
    assert_invalid(&refused, "budget");
    let unknown = t.post("/api/v1/projects", json!({"nom": "x"}), &[]).await;
    assert_invalid(&unknown, "nom");
    let (_, _, empty) = t.get("/api/v1/projects", (), &[]).await;
    assert_eq!(ids(&empty).len(), 0, "nothing written: {empty}");

    let mut made = Vec::new();
    for (name, status, budget) in [
        ("Échafaudage", "open", 120_000),
        ("Bardage", "won", 50_000),
        ("Charpente", "open", 900_000),
        ("Dallage", "lost", 10_000),
    ] {
        let (st, h, body) = t
            .post(
                "/api/v1/projects",
                json!({"name": name, "status": status, "budget": budget, "tags": ["chantier"]}),
                &[],
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{body}");
        assert_eq!(header_str(&h, "etag"), Some("\"1\""));
        assert_eq!(body["status"], status);
        made.push(body["id"].as_str().expect("id").to_string());
    }

    // Read, and lists: name order folds accents, filters in the segment language, pages.
    let (st, h, one) = t
        .get(&format!("/api/v1/projects/{}", made[0]), (), &[])
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(one["name"], "Échafaudage");
    assert_eq!(header_str(&h, "etag"), Some("\"1\""));
    let (_, _, all) = t.get("/api/v1/projects?sort=name", (), &[]).await;
    let names: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bardage", "Charpente", "Dallage", "Échafaudage"]);
    let (_, _, open) = t
        .get(
            &format!(
                "/api/v1/projects{}",
                qs(&[("filter", "status = open and budget > 200000")])
            ),
            (),
            &[],
        )
        .await;
    assert_eq!(ids(&open), [made[2].clone()], "{open}");
    let (_, _, first) = t.get("/api/v1/projects?sort=name&limit=3", (), &[]).await;
    assert_eq!(ids(&first).len(), 3);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, _, rest) = t
        .get(
            &format!("/api/v1/projects?sort=name&limit=3&cursor={cursor}"),
            (),
            &[],
        )
        .await;
    assert_eq!(ids(&rest), [made[0].clone()]);
    let bad = t
        .get("/api/v1/projects?filter=status%20%3D%20maybe", (), &[])
        .await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, _, found) = t.get("/api/v1/projects?q=charp", (), &[]).await;
    assert_eq!(ids(&found), [made[2].clone()]);

    // Exported as every kind is: the list's filter selects, a job writes the file with the
    // kind's columns, and a formula in a cell is neutralised.
    let (st, _, _) = t
        .patch(
            &format!("/api/v1/projects/{}", made[0]),
            json!({"name": "=1+2 Échafaudage"}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let open_only = qs(&[("kind", "projects"), ("filter", "status = open")]);
    let (st, _, job) = t
        .post(&format!("/api/v1/exports{open_only}"), (), &[])
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{job}");
    let done = crate::jobs::finished(&t, job["id"].as_str().expect("a job")).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["count"], 2, "{done}");
    let (_, _, file) = t
        .get(
            &format!(
                "/api/v1/jobs/{}/files/projects.csv",
                job["id"].as_str().unwrap()
            ),
            (),
            &[],
        )
        .await;
    let file = file
        .as_str()
        .expect("CSV text")
        .trim_start_matches('\u{feff}');
    let mut rows = csv::Reader::from_reader(file.as_bytes());
    assert_eq!(
        rows.headers().expect("a header").iter().collect::<Vec<_>>(),
        [
            "ID", "name", "status", "budget", "tags", "Created", "Updated"
        ]
    );
    let rows: Vec<Vec<String>> = rows
        .records()
        .map(|r| r.expect("a row").iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{file}");
    let names: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert!(names.contains(&"'=1+2 Échafaudage"), "{names:?}");
    assert!(names.contains(&"Charpente"), "{names:?}");
    assert!(rows.iter().all(|r| r[2] == "open" && r[4] == "chantier"));
    let vcards = qs(&[("kind", "projects"), ("format", "vcard")]);
    let refused = t.post(&format!("/api/v1/exports{vcards}"), (), &[]).await;
    assert_invalid(&refused, "format");
    let (st, _, _) = t
        .patch(
            &format!("/api/v1/projects/{}", made[0]),
            json!({"name": "Échafaudage"}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // Update: a merge patch; a stale If-Match is refused with the current state.
    let path = format!("/api/v1/projects/{}", made[1]);
    let (st, h, patched) = t
        .patch(
            &path,
            json!({"budget": 55_000, "tags": null}),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{patched}");
    assert_eq!(header_str(&h, "etag"), Some("\"2\""));
    assert_eq!(patched["budget"], 55_000);
    assert_eq!(patched["tags"], json!([]));
    let stale = t
        .patch(&path, json!({"budget": 1}), &[("if-match", "\"1\"")])
        .await;
    assert_problem(&stale, StatusCode::PRECONDITION_FAILED);
    let invalid = t.patch(&path, json!({"status": "maybe"}), &[]).await;
    assert_invalid(&invalid, "status");
    let (_, _, now) = t.get(&path, (), &[]).await;
    assert_eq!(now["budget"], 55_000, "refused changes write nothing");

    // The audit trail says who changed what.
    let (_, _, audit) = t.get(&format!("{path}/audit"), (), &[]).await;
    let entries = audit["items"].as_array().expect("audit entries");
    assert!(
        entries.iter().any(|e| e["action"] == "updated"
            && e["field"] == "budget"
            && e["old_value"] == "50000"
            && e["new_value"] == "55000"),
        "{audit}"
    );
    assert!(entries.iter().any(|e| e["action"] == "created"), "{audit}");

    // A change to many at once, through the same rules.
    let ids_made: Vec<Uuid> = made.iter().map(|i| i.parse().unwrap()).collect();
    let n = records::bulk_update::<Projects>(
        &t.db,
        &Actor::SYSTEM,
        &ids_made,
        &records::BulkChange::AddTag("prioritaire".into()),
    )
    .await
    .expect("bulk tag");
    assert_eq!(n, 4);
    let (_, _, tagged) = t.get("/api/v1/projects?tag=PRIORITAIRE", (), &[]).await;
    assert_eq!(ids(&tagged).len(), 4, "{tagged}");

    // Custom fields on projects: defined by an admin, checked, filtered.
    let (st, _, field) = t
        .post(
            "/api/v1/custom-fields",
            json!({"entity": "project", "key": "phase", "label": "Phase", "kind": "choice",
                   "choices": ["gros oeuvre", "second oeuvre"]}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{field}");
    let no_kind = t
        .post(
            "/api/v1/custom-fields",
            json!({"entity": "spaceship", "key": "x", "label": "X", "kind": "text"}),
            &[],
        )
        .await;
    assert_invalid(&no_kind, "entity");
    let phase = format!("/api/v1/projects/{}", made[0]);
    let (st, _, phased) = t
        .patch(&phase, json!({"custom": {"phase": "gros oeuvre"}}), &[])
        .await;
    assert_eq!(st, StatusCode::OK, "{phased}");
    assert_eq!(phased["custom"]["phase"], "gros oeuvre");
    let wrong = t
        .patch(&phase, json!({"custom": {"phase": "toiture"}}), &[])
        .await;
    assert_invalid(&wrong, "custom.phase");
    let in_phase = qs(&[("filter", "custom.phase = \"gros oeuvre\"")]);
    let (_, _, found) = t.get(&format!("/api/v1/projects{in_phase}"), (), &[]).await;
    assert_eq!(ids(&found), [made[0].clone()], "{found}");

    // A call and a task about a project: linked by the project's kind and id, checked, and
    // reached by the project's filters.
    let about = json!({"kind": "projects", "id": made[2]});
    let (st, _, call) = t
        .post(
            "/api/v1/interactions",
            json!({"kind": "call", "subject": "Devis charpente", "about": about}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{call}");
    assert_eq!(call["about"], about);
    let (st, _, task) = t
        .post(
            "/api/v1/tasks",
            json!({"title": "Relancer", "about": about}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{task}");
    let unknown_kind = t
        .post(
            "/api/v1/tasks",
            json!({"title": "x", "about": {"kind": "spaceships", "id": made[2]}}),
            &[],
        )
        .await;
    assert_invalid(&unknown_kind, "about.kind");
    let unknown_id = t
        .post(
            "/api/v1/tasks",
            json!({"title": "x", "about": {"kind": "projects", "id": Uuid::now_v7()}}),
            &[],
        )
        .await;
    assert_invalid(&unknown_id, "about.id");
    let with_calls = qs(&[("filter", "interactions(kind = call).count >= 1")]);
    let (_, _, called) = t
        .get(&format!("/api/v1/projects{with_calls}"), (), &[])
        .await;
    assert_eq!(ids(&called), [made[2].clone()], "{called}");
    let open_tasks = qs(&[("filter", "tasks(done = no) and not tag = absent")]);
    let (_, _, tasked) = t
        .get(&format!("/api/v1/projects{open_tasks}"), (), &[])
        .await;
    assert_eq!(ids(&tasked), [made[2].clone()], "{tasked}");
    let on_it = qs(&[("about_id", made[2].as_str())]);
    let (_, _, its_calls) = t
        .get(&format!("/api/v1/interactions{on_it}"), (), &[])
        .await;
    assert_eq!(ids(&its_calls).len(), 1, "{its_calls}");

    // Two projects merged into one: the chosen field, the lists of both, and what was about
    // the discarded one now about the survivor.
    let body = json!({"survivor_id": made[3], "discarded_id": made[2], "take": ["budget"]});
    let merged = merge::merge::<Projects>(&t.db, &Actor::SYSTEM, body, None)
        .await
        .expect("merge");
    assert_eq!(merged.data.name, "Dallage");
    assert_eq!(merged.data.budget, Some(900_000), "the chosen field taken");
    let (_, _, moved) = t
        .get(&format!("/api/v1/interactions{on_it}"), (), &[])
        .await;
    assert_eq!(
        ids(&moved).len(),
        0,
        "nothing is about the discarded project any more"
    );
    let on_survivor = qs(&[("about_id", made[3].as_str())]);
    let (_, _, moved) = t
        .get(&format!("/api/v1/interactions{on_survivor}"), (), &[])
        .await;
    assert_eq!(ids(&moved).len(), 1, "{moved}");
    let gone = t
        .get(&format!("/api/v1/projects/{}", made[2]), (), &[])
        .await;
    assert_problem(&gone, StatusCode::NOT_FOUND);
    let (_, _, trail) = t
        .get(&format!("/api/v1/projects/{}/audit", made[3]), (), &[])
        .await;
    assert!(
        trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "merged"),
        "{trail}"
    );

    // Its likely duplicates and their merge are served as every mergeable kind's are: by
    // default, names nearly the same.
    let (_, _, twin) = t
        .post(
            "/api/v1/projects",
            json!({"name": "Dallages", "status": "open", "budget": 12_000}),
            &[],
        )
        .await;
    let twin = twin["id"].as_str().expect("id").to_string();
    let (st, _, pairs) = t.get("/api/v1/projects/duplicates", (), &[]).await;
    assert_eq!(st, StatusCode::OK, "{pairs}");
    let pairs = pairs.as_array().expect("a list of pairs");
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    let mut pair = [pairs[0]["a"]["id"].clone(), pairs[0]["b"]["id"].clone()];
    pair.sort_by_key(|v| v.to_string());
    let mut expected = [json!(made[3]), json!(twin)];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(pair, expected);
    assert_eq!(pairs[0]["reasons"], json!(["similar name"]));
    let bad_limit = t.get("/api/v1/projects/duplicates?limit=0", (), &[]).await;
    assert_invalid(&bad_limit, "limit");
    let body = json!({"survivor_id": made[3], "discarded_id": twin, "take": ["status"]});
    let stale = t
        .post(
            "/api/v1/projects/merge",
            body.clone(),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_problem(&stale, StatusCode::PRECONDITION_FAILED);
    let (st, h, merged) = t.post("/api/v1/projects/merge", body, &[]).await;
    assert_eq!(st, StatusCode::OK, "{merged}");
    assert_eq!(merged["status"], "open", "the chosen field taken");
    assert!(header_str(&h, "etag").is_some());
    let twin_gone = t.get(&format!("/api/v1/projects/{twin}"), (), &[]).await;
    assert_problem(&twin_gone, StatusCode::NOT_FOUND);

    // Trash, restore, purge: purge only from the trash, and then it is gone with its trail.
    let (_, _, reminder) = t
        .post(
            "/api/v1/tasks",
            json!({"title": "Bardage: relancer", "about": {"kind": "projects", "id": made[1]}}),
            &[],
        )
        .await;
    let reminder = format!("/api/v1/tasks/{}", reminder["id"].as_str().expect("a task"));
    let purge_live = t.post(&format!("{path}/purge"), (), &[]).await;
    assert_problem(&purge_live, StatusCode::CONFLICT);
    let (st, _, _) = t.delete(&path, (), &[]).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, _, live) = t.get("/api/v1/projects", (), &[]).await;
    assert_eq!(
        ids(&live).len(),
        2,
        "four made, one merged away, one in the trash"
    );
    let (_, _, trash) = t.get("/api/v1/projects?trash=true", (), &[]).await;
    assert_eq!(ids(&trash), [made[1].clone()]);
    let (st, _, back) = t.post(&format!("{path}/restore"), (), &[]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(back["deleted_at"].is_null());
    t.delete(&path, (), &[]).await;
    let (st, _, _) = t.post(&format!("{path}/purge"), (), &[]).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let gone = t.get(&path, (), &[]).await;
    assert_problem(&gone, StatusCode::NOT_FOUND);
    let (_, _, trail) = t.get(&format!("{path}/audit"), (), &[]).await;
    assert_eq!(trail["items"], json!([]), "the trail goes with it");
    let (_, _, kept) = t.get(&reminder, (), &[]).await;
    assert!(
        kept["about"].is_null(),
        "what was about it stays, about nothing: {kept}"
    );
    // People and companies are named by their own fields, not by `about`.
    let person = t
        .post(
            "/api/v1/tasks",
            json!({"title": "x", "about": {"kind": "people", "id": Uuid::now_v7()}}),
            &[],
        )
        .await;
    assert_invalid(&person, "about.kind");

    // Rights are those the kind declares: sales run projects, support doesn't see them,
    // and may not tie a call to one either (that would tell it exists).
    let (_, seller) = t.user(Role::Sales).await;
    let seller = bearer(&seller);
    let made_by_sales = t
        .post(
            "/api/v1/projects",
            json!({"name": "Isolation"}),
            &[("authorization", &seller)],
        )
        .await;
    assert_eq!(
        made_by_sales.0,
        StatusCode::CREATED,
        "{:?}",
        made_by_sales.2
    );
    let (_, support) = t.user(Role::Support).await;
    let support = bearer(&support);
    let (st, _, _) = t
        .get("/api/v1/projects", (), &[("authorization", &support)])
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let about = json!({"kind": "projects", "id": made_by_sales.2["id"]});
    let denied = t
        .post(
            "/api/v1/projects",
            json!({"name": "x"}),
            &[("authorization", &support)],
        )
        .await;
    assert_problem(&denied, StatusCode::FORBIDDEN);
    let hidden = t
        .post(
            "/api/v1/interactions",
            json!({"kind": "call", "subject": "x", "about": about}),
            &[("authorization", &support)],
        )
        .await;
    assert_problem(&hidden, StatusCode::FORBIDDEN);
    let (st, _, _) = t
        .post(
            "/api/v1/interactions",
            json!({"kind": "call", "subject": "x", "about": about}),
            &[("authorization", &seller)],
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    // The permission matrix lists the kind with its rights.
    let matrix = relais_domain::role::matrix_markdown();
    assert!(
        matrix.contains("| projects | read | yes | yes | yes | · |"),
        "{matrix}"
    );
    let missing = t.get("/api/v1/projects/not-an-id", (), &[]).await;
    assert_problem(&missing, StatusCode::NOT_FOUND);

    // And the OpenAPI document describes it as it describes every kind.
    let mut doc = utoipa::openapi::OpenApiBuilder::new().build();
    document::<Projects>(&mut doc);
    relais_web::api::v1::duplicates::document::<Projects>(&mut doc);
    let doc = serde_json::to_value(&doc).unwrap();
    for (path, method) in [
        ("/api/v1/projects", "get"),
        ("/api/v1/projects", "post"),
        ("/api/v1/projects/{id}", "patch"),
        ("/api/v1/projects/{id}/purge", "post"),
        ("/api/v1/projects/duplicates", "get"),
        ("/api/v1/projects/merge", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{path} {method}");
    }
    assert!(doc["components"]["schemas"]["ProjectDraft"].is_object());
    assert!(doc["components"]["schemas"]["ProjectPair"].is_object());
}

both!(a_kind_defined_in_tests_gets_the_whole_machinery, machinery);

both!(
    a_kind_defined_in_tests_is_imported_from_csv_and_undone,
    imported
);
async fn imported(t: TestApp) {
    let t = with_projects(t).await;
    let (st, _, known) = t
        .post(
            "/api/v1/projects",
            json!({"name": "Toiture", "status": "open", "budget": 1000}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let known = format!("/api/v1/projects/{}", known["id"].as_str().expect("id"));

    // Columns named by the kind's fields (case and accents aside), cells read by their
    // fields' types; a row the kind's rules refuse is rejected with its reasons by field.
    let csv = "Name;Status;Budget;Tags;Colour\n\
               Isolation;open;12 000;chantier, urgent;red\n\
               Clôture;maybe;5000;;blue\n\
               Bardage;won;douze;;green\n\
               Toiture;won;2500;;grey\n";
    let (st, _, job) =
        crate::jobs::import(&t, "?kind=projects&on_duplicate=update", csv, None).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_str().expect("a job").to_string();
    let done = crate::jobs::finished(&t, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let r = &done["result"];
    assert_eq!(
        (
            r["created"].as_u64(),
            r["updated"].as_u64(),
            r["rejected"].as_u64()
        ),
        (Some(1), Some(1), Some(2)),
        "{done}"
    );
    let (_, _, list) = t.get("/api/v1/projects?sort=name", (), &[]).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        names,
        ["Isolation", "Toiture"],
        "nothing of the refused rows"
    );
    let isolation = &list["items"][0];
    assert_eq!(isolation["budget"], 12_000);
    assert_eq!(isolation["tags"], json!(["chantier", "urgent"]));
    let (_, _, toiture) = t.get(&known, (), &[]).await;
    assert_eq!(
        (toiture["status"].as_str(), toiture["budget"].as_i64()),
        (Some("won"), Some(2500))
    );
    let (_, _, rejected) = t
        .get(&format!("/api/v1/jobs/{id}/files/rejected.csv"), (), &[])
        .await;
    let mut rows = csv::Reader::from_reader(rejected.as_str().expect("CSV").as_bytes());
    let fields: Vec<String> = rows
        .records()
        .map(|r| {
            let errors: serde_json::Value =
                serde_json::from_str(&r.expect("a row")[2]).expect("errors as JSON");
            errors[0]["field"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(fields, ["status", "budget"]);

    // The same file again changes nothing; then the import is undone as a whole.
    let (_, _, again) =
        crate::jobs::import(&t, "?kind=projects&on_duplicate=update", csv, None).await;
    let again = crate::jobs::finished(&t, again["id"].as_str().expect("a job")).await;
    assert_eq!(
        (
            again["result"]["created"].as_u64(),
            again["result"]["unchanged"].as_u64()
        ),
        (Some(0), Some(2)),
        "{again}"
    );
    let (st, _, undo) = t.post(&format!("/api/v1/jobs/{id}/undo"), (), &[]).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{undo}");
    let undo = crate::jobs::finished(&t, undo["id"].as_str().expect("a job")).await;
    assert_eq!(
        undo["result"],
        json!({"removed": 1, "restored": 1, "kept": 0}),
        "{undo}"
    );
    let (_, _, list) = t.get("/api/v1/projects", (), &[]).await;
    assert_eq!(ids(&list).len(), 1, "{list}");
    let (_, _, toiture) = t.get(&known, (), &[]).await;
    assert_eq!(
        (toiture["status"].as_str(), toiture["budget"].as_i64()),
        (Some("open"), Some(1000))
    );

    // A kind that can't be imported is named with those that can.
    let (st, _, refused) = crate::jobs::import(&t, "?kind=spaceships", csv, None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.to_string().contains("projects"), "{refused}");
}
