//! The timeline of a person's page: logging a call, a meeting and its report, an e-mail, a
//! visit or a note in a few keystrokes; tasks added and ticked off.
use super::facts::When;
use super::form::{Fields, Form, FormErrors};
use super::i18n::Tr;
use super::list_page::{Listed, record_id, record_path};
use super::session::Signed;
use super::{UiError, UiResult, see_other};
use crate::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use relais_core::CoreError;
use relais_core::interactions::{InteractionView, Interactions};
use relais_core::record::parse_draft;
use relais_core::records;
use relais_core::tasks::{TaskView, Tasks};
use relais_domain::interaction::InteractionKind;
use relais_domain::{Code, Msg};
use relais_domain::{TaskId, UserId};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;

pub fn router() -> Router<AppState> {
    Router::new().route("/tasks/{id}/done", post(done))
}

/// A kind of record whose page has a timeline: calls, meetings, notes and tasks are logged
/// from it at `/{PLURAL}/{id}/interactions` and `/{PLURAL}/{id}/tasks`.
pub trait Timelined: Listed {
    /// Links a new interaction or task to the record, in the services' JSON: by default the
    /// record is what it is `about`.
    fn link(id: Self::Id, body: &mut Value, interaction: bool) {
        let _ = interaction;
        let id: uuid::Uuid = id.into();
        body["about"] = json!({"kind": Self::SPEC.name, "id": id});
    }

    /// The record's page again, with a form sent back to correct.
    fn page(
        s: &AppState,
        me: &Signed,
        id: Self::Id,
        log: LogForm,
        task: TaskForm,
    ) -> impl Future<Output = UiResult> + Send;
}

/// The timeline and tasks of a record's 360° page, the same for every kind: a page of its
/// timeline (filtered by kind) with the link to older ones, its open tasks, the forms to log
/// an exchange or add a task, when it was created and how many exchanges it has.
pub struct Panel {
    /// The page's address, under which its forms post.
    pub path: String,
    /// Not in the trash: its timeline and tasks can grow.
    pub active: bool,
    /// Whether the timeline can be filtered by kind.
    pub tabs: bool,
    /// The kind of exchange the timeline shows (empty: every kind).
    pub kind: String,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub timeline: Vec<Item>,
    pub older: Option<String>,
    pub tasks: Vec<TaskLine>,
    pub log: LogForm,
    pub task: TaskForm,
    pub created: When,
    pub counts: String,
}

/// What a record's overview says of its timeline and tasks.
pub struct Read<'a> {
    pub timeline: &'a relais_core::record::ListPage<InteractionView>,
    pub tasks: &'a [TaskView],
    pub interactions: i64,
    pub created_at: &'a DateTime<Utc>,
    pub in_trash: bool,
}

impl Panel {
    /// The kind filter of the timeline in the page's address, and what to ask the overview
    /// for: that kind, the page after the cursor, 20 at a time.
    pub fn params(params: &[(String, String)]) -> (String, Vec<(String, String)>) {
        let kind = params
            .iter()
            .find(|(k, _)| k == "kind")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let mut asked: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| k == "cursor" || k == "kind")
            .cloned()
            .collect();
        asked.push(("limit".into(), "20".into()));
        (kind, asked)
    }

    pub fn new(
        tr: Tr,
        users: &HashMap<UserId, String>,
        (path, kind): (String, String),
        (log, task): (LogForm, TaskForm),
        read: Read<'_>,
    ) -> Panel {
        let older = read.timeline.next_cursor.as_ref().map(|c| {
            let q = super::lists::query_of(&[
                ("kind".into(), kind.clone()),
                ("cursor".into(), c.clone()),
            ]);
            format!("{path}?{q}#timeline")
        });
        Panel {
            active: !read.in_trash,
            tabs: true,
            kinds: kinds(),
            timeline: read
                .timeline
                .items
                .iter()
                .map(|i| Item::of(tr, i, users))
                .collect(),
            older,
            tasks: read
                .tasks
                .iter()
                .map(|t| TaskLine::of(tr, t, users))
                .collect(),
            log,
            task,
            created: When::of(tr, read.created_at),
            counts: tr.fill(
                "person.interaction_count",
                &[("n", &tr.number(read.interactions))],
            ),
            path,
            kind,
        }
    }

    /// A page sent back with a form to correct is a 422.
    pub fn status(&self) -> axum::http::StatusCode {
        if self.log.errors.any() || self.task.errors.any() {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        } else {
            axum::http::StatusCode::OK
        }
    }
}

/// The names of the users, by id, for who did what.
pub async fn user_names(s: &AppState, me: &Signed) -> UiResult<HashMap<UserId, String>> {
    Ok(relais_core::users::list(&s.db, &me.actor)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

pub fn routes<K: Timelined>() -> Router<AppState> {
    let base = format!("/{}/{{id}}", K::PLURAL);
    Router::new()
        .route(&format!("{base}/interactions"), post(log::<K>))
        .route(&format!("{base}/tasks"), post(add_task::<K>))
}

pub fn kind_key(k: InteractionKind) -> &'static str {
    match k {
        InteractionKind::Call => "kind.call",
        InteractionKind::Email => "kind.email",
        InteractionKind::Meeting => "kind.meeting",
        InteractionKind::Sms => "kind.sms",
        InteractionKind::Chat => "kind.chat",
        InteractionKind::Visit => "kind.visit",
        InteractionKind::Social => "kind.social",
        InteractionKind::Letter => "kind.letter",
        InteractionKind::Note => "kind.note",
    }
}

/// The kinds of interactions: (value, message key).
pub fn kinds() -> Vec<(&'static str, &'static str)> {
    InteractionKind::ALL
        .iter()
        .map(|k| (k.as_str(), kind_key(*k)))
        .collect()
}

pub fn channel_key(c: &str) -> &'static str {
    match c {
        "email" => "channel.email",
        "sms" => "channel.sms",
        "phone" => "channel.phone",
        "post" => "channel.post",
        _ => "channel.other",
    }
}

pub fn consent_key(s: &str) -> &'static str {
    match s {
        "granted" => "consent.granted",
        "withdrawn" => "consent.withdrawn",
        _ => "consent.unknown",
    }
}

fn direction_key(d: &str) -> &'static str {
    match d {
        "inbound" => "direction.inbound",
        "outbound" => "direction.outbound",
        _ => "direction.internal",
    }
}

/// One entry of the timeline as the page shows it.
pub struct Item {
    pub kind: &'static str,
    pub kind_key: &'static str,
    pub direction_key: Option<&'static str>,
    pub when: When,
    pub subject: String,
    pub body: String,
    pub duration: Option<i64>,
    pub by: Option<String>,
}

impl Item {
    pub fn of(_tr: Tr, i: &InteractionView, users: &HashMap<UserId, String>) -> Item {
        let d = &i.data;
        Item {
            kind: d.kind.as_str(),
            kind_key: kind_key(d.kind),
            direction_key: d.direction.map(|x| direction_key(x.as_str())),
            when: When::of(_tr, &d.occurred_at),
            subject: d.subject.clone().unwrap_or_default(),
            body: d.body.clone().unwrap_or_default(),
            duration: d.duration_minutes,
            by: i.created_by.and_then(|u| users.get(&u).cloned()),
        }
    }
}

/// An open task as the page lists it.
pub struct TaskLine {
    pub id: String,
    pub title: String,
    pub due: Option<String>,
    pub overdue: bool,
    pub assignee: Option<String>,
}

impl TaskLine {
    pub fn of(tr: Tr, t: &TaskView, users: &HashMap<UserId, String>) -> TaskLine {
        TaskLine {
            id: t.id.0.to_string(),
            title: t.data.title.clone(),
            due: t.data.due_at.map(|d| tr.date(d.date_naive())),
            overdue: t.data.due_at.is_some_and(|d| d < Utc::now()),
            assignee: t.data.assignee_id.and_then(|u| users.get(&u).cloned()),
        }
    }
}

/// The quick-log form: its values as typed and its errors.
#[derive(Debug, Clone, Default)]
pub struct LogForm {
    pub kind: String,
    pub direction: String,
    pub occurred_at: String,
    pub duration: String,
    pub subject: String,
    pub body: String,
    pub errors: FormErrors,
}

impl LogForm {
    pub fn new() -> LogForm {
        LogForm {
            kind: "call".into(),
            ..LogForm::default()
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TaskForm {
    pub title: String,
    pub due: String,
    pub errors: FormErrors,
}

/// A `datetime-local` value ("2026-11-30T14:05") as the reader meant it: `tz_offset` is the
/// browser's `getTimezoneOffset()` (minutes behind UTC), sent by the page's script; without
/// it the time is read as UTC. Empty: now.
fn moment(local: &str, tz_offset: &str) -> Result<Option<String>, ()> {
    if local.is_empty() {
        return Ok(None);
    }
    let t = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| ())?;
    let offset = tz_offset
        .parse::<i64>()
        .unwrap_or(0)
        .clamp(-24 * 60, 24 * 60);
    let utc: DateTime<Utc> = t
        .checked_add_signed(Duration::minutes(offset))
        .ok_or(())?
        .and_utc();
    Ok(Some(utc.to_rfc3339()))
}

async fn log<K: Timelined>(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    Form(f): Form,
) -> UiResult {
    let id = record_id::<K>(&id)?;
    let form = LogForm {
        kind: f.get("kind").into(),
        direction: f.get("direction").into(),
        occurred_at: f.get("occurred_at").into(),
        duration: f.get("duration_minutes").into(),
        subject: f.get("subject").into(),
        body: f.get("body").into(),
        errors: FormErrors::default(),
    };
    let mut body = match log_body(&f, me.tr) {
        Ok(body) => body,
        Err(errors) => {
            let form = LogForm { errors, ..form };
            return K::page(&s, &me, id, form, TaskForm::default()).await;
        }
    };
    K::link(id, &mut body, true);
    let created = match parse_draft(body) {
        Ok(draft) => records::create::<Interactions>(&s.db, &me.actor, &draft).await,
        Err(i) => Err(i.into()),
    };
    match created {
        Ok(_) => Ok(see_other(&format!("{}#timeline", record_path::<K>(id)))),
        Err(CoreError::Invalid(i)) => {
            let form = LogForm {
                errors: FormErrors::from_invalid(&i, me.tr),
                ..form
            };
            K::page(&s, &me, id, form, TaskForm::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The interaction a quick-log form describes, or what is wrong with its time and duration
/// (the rest is checked by the service).
fn log_body(f: &Fields, tr: Tr) -> Result<Value, FormErrors> {
    let mut errors = FormErrors::default();
    let occurred_at = moment(f.get("occurred_at"), f.get("tz_offset")).unwrap_or_else(|()| {
        errors.error("occurred_at", Code::NotADateTime, tr);
        None
    });
    let duration = match f.opt("duration_minutes") {
        None => Value::Null,
        Some(d) => match d.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => {
                errors.error("duration_minutes", Code::NotMinutes, tr);
                Value::Null
            }
        },
    };
    if errors.any() {
        return Err(errors);
    }
    Ok(json!({
        "kind": f.get("kind"),
        "direction": f.opt("direction"),
        "occurred_at": occurred_at,
        "duration_minutes": duration,
        "subject": f.opt("subject"),
        "body": f.opt("body"),
    }))
}

async fn add_task<K: Timelined>(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    Form(f): Form,
) -> UiResult {
    let id = record_id::<K>(&id)?;
    let due = f.opt("due");
    let mut form = TaskForm {
        title: f.get("title").into(),
        due: due.clone().unwrap_or_default(),
        errors: FormErrors::default(),
    };
    let due_at = match due
        .as_deref()
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
    {
        None => None,
        Some(Ok(d)) => d.and_hms_opt(9, 0, 0).map(|t| t.and_utc().to_rfc3339()),
        Some(Err(_)) => {
            let msg = Msg::new(Code::NotADate).with("value", due.unwrap_or_default());
            form.errors.error("due_at", msg, me.tr);
            return K::page(&s, &me, id, LogForm::new(), form).await;
        }
    };
    let mut body = json!({
        "title": f.opt("title"),
        "due_at": due_at,
        "assignee_id": me.actor.user.map(|u| u.0),
    });
    K::link(id, &mut body, false);
    let created = match parse_draft(body) {
        Ok(draft) => records::create::<Tasks>(&s.db, &me.actor, &draft).await,
        Err(i) => Err(i.into()),
    };
    match created {
        Ok(_) => Ok(see_other(&format!("{}#tasks", record_path::<K>(id)))),
        Err(CoreError::Invalid(i)) => {
            form.errors = FormErrors::from_invalid(&i, me.tr);
            K::page(&s, &me, id, LogForm::new(), form).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn done(
    State(s): State<AppState>,
    me: Signed,
    Path(id): Path<String>,
    Form(f): Form,
) -> UiResult {
    let id = TaskId::parse(&id).map_err(|_| UiError::NotFound)?;
    let done = json!({"done": true});
    let task = records::update::<Tasks>(&s.db, &me.actor, id, &done, None).await?;
    let d = &task.data;
    let back = match (f.opt("back"), d.person_id, d.company_id, &d.about) {
        (Some(b), ..) if super::session::is_local_path(&b) => b,
        (_, Some(p), ..) => format!("/people/{}#tasks", p.0),
        (_, _, Some(c), _) => format!("/companies/{}#tasks", c.0),
        (.., Some(a)) => format!("/{}/{}#tasks", a.kind, a.id),
        _ => "/".into(),
    };
    Ok(see_other(&back))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_is_read_in_the_readers_zone() {
        // Paris in winter is one hour ahead of UTC: getTimezoneOffset() = -60.
        assert_eq!(
            moment("2026-11-30T14:05", "-60").unwrap().as_deref(),
            Some("2026-11-30T13:05:00+00:00")
        );
        assert_eq!(
            moment("2026-11-30T14:05", "").unwrap().as_deref(),
            Some("2026-11-30T14:05:00+00:00")
        );
        assert_eq!(moment("", "-60").unwrap(), None);
        assert!(moment("30/11/2026", "0").is_err());
        assert!(
            moment("+262142-12-31T23:59", "1440").is_err(),
            "no overflow"
        );
    }
}
