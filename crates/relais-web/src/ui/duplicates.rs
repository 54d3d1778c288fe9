//! Likely duplicates, reviewed side by side and merged field by field. The merge itself is
//! the service's: one transaction, every list of both records kept, every interaction, task
//! and audit line moved to the survivor, the discarded values in the audit trail.
use super::form::Form;
use super::session::Signed;
use super::{Ctx, UiError, UiResult, render, render_with, see_other};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use relais_core::companies::Companies;
use relais_core::merge::Mergeable;
use relais_core::people::People;
use relais_core::records;
use relais_core::{CoreError, merge};
use relais_domain::{CompanyId, PersonId};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/duplicates", get(list))
        .route("/duplicates/review", get(review))
        .route("/duplicates/merge", post(merge_pair))
}

/// People or companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    People,
    Companies,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::People => "people",
            Kind::Companies => "companies",
        }
    }
}

fn reason_key(r: &str) -> &'static str {
    match r {
        "same e-mail" => "duplicates.same_email",
        "same phone" => "duplicates.same_phone",
        "similar name at the same company" => "duplicates.same_company",
        "same SIREN" => "duplicates.same_siren",
        _ => "duplicates.similar_name",
    }
}

struct Pair {
    kind: &'static str,
    a: (String, String),
    b: (String, String),
    reasons: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct ListPage {
    ctx: Ctx,
    pairs: Vec<Pair>,
}

async fn list(State(s): State<AppState>, me: Signed) -> UiResult {
    let mut pairs: Vec<Pair> = merge::people_duplicates(&s.db, &me.actor, 50)
        .await?
        .into_iter()
        .map(|p| Pair {
            kind: "people",
            a: (p.a.id.0.to_string(), p.a.display_name),
            b: (p.b.id.0.to_string(), p.b.display_name),
            reasons: p.reasons.iter().map(|r| reason_key(r)).collect(),
        })
        .collect();
    pairs.extend(
        merge::company_duplicates(&s.db, &me.actor, 50)
            .await?
            .into_iter()
            .map(|p| Pair {
                kind: "companies",
                a: (p.a.id.0.to_string(), p.a.data.name),
                b: (p.b.id.0.to_string(), p.b.data.name),
                reasons: p.reasons.iter().map(|r| reason_key(r)).collect(),
            }),
    );
    Ok(render(&ListPage {
        ctx: me.ctx("duplicates"),
        pairs,
    }))
}

/// One field of the two records side by side.
struct Line {
    name: &'static str,
    label: &'static str,
    a: String,
    b: String,
}

/// A list both records keep whole after the merge.
struct Union {
    label: &'static str,
    a: String,
    b: String,
}

#[derive(Template)]
#[template(path = "merge.html")]
struct ReviewPage {
    ctx: Ctx,
    kind: &'static str,
    a: Side,
    b: Side,
    lines: Vec<Line>,
    lists: Vec<Union>,
    error: Option<String>,
}

struct Side {
    id: String,
    name: String,
    version: i64,
}

#[derive(Deserialize)]
struct Ids {
    kind: Kind,
    a: String,
    b: String,
}

/// A record as the merge page reads it: its name, version and fields as JSON.
struct Record {
    side: Side,
    data: Value,
}

async fn load(s: &AppState, me: &Signed, kind: Kind, raw: &str) -> UiResult<Record> {
    Ok(match kind {
        Kind::People => {
            let id = PersonId::parse(raw).map_err(|_| UiError::NotFound)?;
            let p = records::get::<People>(&s.db, &me.actor, id).await?;
            Record {
                side: Side {
                    id: p.id.0.to_string(),
                    name: p.display_name.clone(),
                    version: p.version,
                },
                data: serde_json::to_value(&p.data).unwrap_or_default(),
            }
        }
        Kind::Companies => {
            let id = CompanyId::parse(raw).map_err(|_| UiError::NotFound)?;
            let c = records::get::<Companies>(&s.db, &me.actor, id).await?;
            Record {
                side: Side {
                    id: c.id.0.to_string(),
                    name: c.data.name.clone(),
                    version: c.version,
                },
                data: serde_json::to_value(&c.data).unwrap_or_default(),
            }
        }
    })
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join(", "),
        Value::Object(o) => o
            .values()
            .map(shown)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

fn label(kind: Kind, field: &str) -> &'static str {
    match (kind, field) {
        (Kind::People, "civility") => "person.civility",
        (Kind::People, "first_name") => "person.first_name",
        (Kind::People, "last_name") => "person.last_name",
        (Kind::People, "job_title") => "person.job_title",
        (Kind::People, "birthday") => "person.birthday",
        (Kind::People, "language") => "person.language",
        (Kind::People, "preferred_channel") => "person.preferred_channel",
        (Kind::People, "stage") => "person.stage",
        (Kind::People, "source") => "person.source",
        (_, "owner_id") => "person.owner",
        (_, "notes") => "person.notes",
        (Kind::Companies, "name") => "company.name",
        (Kind::Companies, "siren") => "company.siren",
        (Kind::Companies, "siret") => "company.siret",
        (Kind::Companies, "vat_number") => "company.vat_number",
        (Kind::Companies, "industry") => "company.industry",
        (Kind::Companies, "size") => "company.size",
        (Kind::Companies, "website") => "company.website",
        (Kind::Companies, "email") => "company.email",
        (Kind::Companies, "phone") => "company.phone",
        (Kind::Companies, "parent_id") => "company.parent",
        _ => "person.custom",
    }
}

async fn review_page(
    s: &AppState,
    me: &Signed,
    kind: Kind,
    a: &str,
    b: &str,
    error: Option<String>,
) -> UiResult<ReviewPage> {
    let (ra, rb) = (load(s, me, kind, a).await?, load(s, me, kind, b).await?);
    let fields: &[&'static str] = match kind {
        Kind::People => <People as Mergeable>::FIELDS,
        Kind::Companies => <Companies as Mergeable>::FIELDS,
    };
    let lines = fields
        .iter()
        .map(|f| Line {
            name: f,
            label: label(kind, f),
            a: shown(&ra.data[*f]),
            b: shown(&rb.data[*f]),
        })
        .filter(|l| !(l.a.is_empty() && l.b.is_empty()))
        .collect();
    let list_fields: &[(&str, &'static str)] = match kind {
        Kind::People => &[
            ("emails", "person.emails"),
            ("phones", "person.phones"),
            ("addresses", "person.address"),
            ("tags", "person.tags"),
        ],
        Kind::Companies => &[("addresses", "person.address"), ("tags", "person.tags")],
    };
    let lists = list_fields
        .iter()
        .map(|(f, label)| Union {
            label,
            a: shown(&ra.data[*f]),
            b: shown(&rb.data[*f]),
        })
        .filter(|u| !(u.a.is_empty() && u.b.is_empty()))
        .collect();
    Ok(ReviewPage {
        ctx: me.ctx("duplicates"),
        kind: kind.as_str(),
        a: ra.side,
        b: rb.side,
        lines,
        lists,
        error,
    })
}

async fn review(State(s): State<AppState>, me: Signed, Query(q): Query<Ids>) -> UiResult {
    Ok(render(
        &review_page(&s, &me, q.kind, &q.a, &q.b, None).await?,
    ))
}

/// The merge as the user chose it: which record survives, and for each field whose record's
/// value to keep.
async fn merge_pair(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let kind = match f.get("kind") {
        "people" => Kind::People,
        "companies" => Kind::Companies,
        _ => return Err(UiError::NotFound),
    };
    let (a, b) = (f.get("a").to_string(), f.get("b").to_string());
    let survivor_is_a = f.get("survivor") != "b";
    let (survivor, discarded) = if survivor_is_a { (&a, &b) } else { (&b, &a) };
    let lose = if survivor_is_a { "b" } else { "a" };
    let take: Vec<String> =
        f.0.iter()
            .filter_map(|(k, v)| k.strip_prefix("keep.").filter(|_| v == lose))
            .map(str::to_string)
            .collect();
    let (kept, lost) = if survivor_is_a {
        ("version_a", "version_b")
    } else {
        ("version_b", "version_a")
    };
    let if_match = format!("\"{}\"", f.get(kept));
    // Both records as the user saw them: a change to either since is shown, not merged.
    let discarded_version: Option<i64> = f.get(lost).parse().ok();
    let body = json!({"survivor_id": survivor, "discarded_id": discarded, "take": take,
                      "discarded_version": discarded_version});
    let merged = match kind {
        Kind::People => merge::merge::<People>(&s.db, &me.actor, body, Some(&if_match))
            .await
            .map(|p| format!("/people/{}", p.id.0)),
        Kind::Companies => merge::merge::<Companies>(&s.db, &me.actor, body, Some(&if_match))
            .await
            .map(|c| format!("/companies/{}", c.id.0)),
    };
    match merged {
        Ok(to) => Ok(see_other(&to)),
        Err(CoreError::Stale { .. }) => {
            let page = review_page(
                &s,
                &me,
                kind,
                &a,
                &b,
                Some(me.tr.t("duplicates.stale").into()),
            )
            .await?;
            Ok(render_with(StatusCode::CONFLICT, &page))
        }
        Err(CoreError::Invalid(i)) => {
            let page = review_page(&s, &me, kind, &a, &b, Some(me.tr.invalid(&i))).await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}
