//! Likely duplicates, reviewed side by side and merged field by field, for every kind that
//! can be merged (`KINDS`). The merge itself is the service's: one transaction, every list
//! of both records kept, every interaction, task and audit line moved to the survivor, the
//! discarded values in the audit trail.
use super::form::Form;
use super::list_page::Listed;
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
use relais_core::records::{self, RecordView};
use relais_core::{CoreError, merge};
use relais_store::records::Record;
use serde::Deserialize;
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/duplicates", get(list))
        .route("/duplicates/review", get(review))
        .route("/duplicates/merge", post(merge_pair))
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type Pairs = for<'a> fn(&'a AppState, &'a Signed) -> Boxed<'a, UiResult<Vec<Pair>>>;
type Review = for<'a> fn(
    &'a AppState,
    &'a Signed,
    &'a Ids,
    Option<String>,
) -> Boxed<'a, UiResult<ReviewPage>>;
type Merge =
    for<'a> fn(&'a AppState, &'a Signed, Value, &'a str) -> Boxed<'a, Result<String, CoreError>>;

/// What this page does with one kind of record.
struct Merging {
    plural: &'static str,
    pairs: Pairs,
    review: Review,
    /// Merges as the form says; answers the survivor's page.
    merge: Merge,
}

impl Merging {
    fn of<K: Listed + Mergeable>() -> Merging {
        Merging {
            plural: K::PLURAL,
            pairs: |s, me| Box::pin(pairs::<K>(s, me)),
            review: |s, me, ids, error| Box::pin(review_page::<K>(s, me, ids, error)),
            merge: |s, me, body, if_match| {
                Box::pin(async move {
                    let v = merge::merge::<K>(&s.db, &me.actor, body, Some(if_match)).await?;
                    Ok(format!("/{}/{}", K::PLURAL, v.id()))
                })
            },
        }
    }
}

/// The kinds whose likely duplicates are listed here: one line per kind.
fn kinds() -> [Merging; 2] {
    [Merging::of::<People>(), Merging::of::<Companies>()]
}

fn kind(plural: &str) -> UiResult<Merging> {
    kinds()
        .into_iter()
        .find(|k| k.plural == plural)
        .ok_or(UiError::NotFound)
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
    let mut pairs = Vec::new();
    for k in kinds() {
        // A kind the user may not read is left out, not an error.
        match (k.pairs)(&s, &me).await {
            Ok(found) => pairs.extend(found),
            Err(UiError::Forbidden) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(render(&ListPage {
        ctx: me.ctx("duplicates"),
        pairs,
    }))
}

async fn pairs<K: Listed + Mergeable>(s: &AppState, me: &Signed) -> UiResult<Vec<Pair>> {
    let side = |r: &Record<K>| (Into::<Uuid>::into(r.id).to_string(), K::title(&r.data));
    Ok(merge::duplicate_records::<K>(&s.db, &me.actor, 50)
        .await?
        .into_iter()
        .map(|p| Pair {
            kind: K::PLURAL,
            a: side(&p.a),
            b: side(&p.b),
            reasons: p.reasons.iter().map(|r| reason_key(r)).collect(),
        })
        .collect())
}

/// One field of the two records side by side.
struct Line {
    name: &'static str,
    label: String,
    a: String,
    b: String,
}

/// A list both records keep whole after the merge.
struct Union {
    label: String,
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
    kind: String,
    a: String,
    b: String,
}

/// A record as the merge page reads it: its name, version and fields as JSON.
struct Shown {
    side: Side,
    data: Value,
}

async fn load<K: Listed + Mergeable>(s: &AppState, me: &Signed, raw: &str) -> UiResult<Shown> {
    let id = Uuid::parse_str(raw.trim()).map_err(|_| UiError::NotFound)?;
    let r = records::read::<K>(&s.db, &me.actor, id.into()).await?;
    Ok(Shown {
        side: Side {
            id: id.to_string(),
            name: K::title(&r.data),
            version: r.version,
        },
        data: serde_json::to_value(&r.data).unwrap_or_default(),
    })
}

fn shown(v: &Value) -> String {
    relais_core::record::plain_text(v, ", ")
}

async fn review_page<K: Listed + Mergeable>(
    s: &AppState,
    me: &Signed,
    ids: &Ids,
    error: Option<String>,
) -> UiResult<ReviewPage> {
    let (ra, rb) = (
        load::<K>(s, me, &ids.a).await?,
        load::<K>(s, me, &ids.b).await?,
    );
    let lines = K::FIELDS
        .iter()
        .map(|f| Line {
            name: f,
            label: me.tr.field(f),
            a: shown(&ra.data[*f]),
            b: shown(&rb.data[*f]),
        })
        .filter(|l| !(l.a.is_empty() && l.b.is_empty()))
        .collect();
    let lists = K::LISTS
        .iter()
        .map(|f| Union {
            label: me.tr.field(f),
            a: shown(&ra.data[*f]),
            b: shown(&rb.data[*f]),
        })
        .filter(|u| !(u.a.is_empty() && u.b.is_empty()))
        .collect();
    Ok(ReviewPage {
        ctx: me.ctx("duplicates"),
        kind: K::PLURAL,
        a: ra.side,
        b: rb.side,
        lines,
        lists,
        error,
    })
}

async fn review(State(s): State<AppState>, me: Signed, Query(q): Query<Ids>) -> UiResult {
    let page = (kind(&q.kind)?.review)(&s, &me, &q, None).await?;
    Ok(render(&page))
}

/// The merge as the user chose it: which record survives, and for each field whose record's
/// value to keep.
async fn merge_pair(State(s): State<AppState>, me: Signed, Form(f): Form) -> UiResult {
    let kind = kind(f.get("kind"))?;
    let ids = Ids {
        kind: kind.plural.to_string(),
        a: f.get("a").to_string(),
        b: f.get("b").to_string(),
    };
    let survivor_is_a = f.get("survivor") != "b";
    let (survivor, discarded) = if survivor_is_a {
        (&ids.a, &ids.b)
    } else {
        (&ids.b, &ids.a)
    };
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
    match (kind.merge)(&s, &me, body, &if_match).await {
        Ok(to) => Ok(see_other(&to)),
        Err(CoreError::Stale { .. }) => {
            let stale = Some(me.tr.t("duplicates.stale").into());
            let page = (kind.review)(&s, &me, &ids, stale).await?;
            Ok(render_with(StatusCode::CONFLICT, &page))
        }
        Err(CoreError::Invalid(i)) => {
            let page = (kind.review)(&s, &me, &ids, Some(me.tr.invalid(&i))).await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}
