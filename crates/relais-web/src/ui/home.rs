//! Home: "my day".
use super::session::Signed;
use super::timeline::{Item, TaskLine};
use super::{Ctx, UiResult, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use relais_core::{my_day, users};
use relais_domain::UserId;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

struct BirthdayLine {
    id: String,
    name: String,
    when: String,
}

struct PersonLine {
    id: String,
    name: String,
}

struct Activity {
    item: Item,
    /// The person whose page holds it.
    person: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: Ctx,
    today: String,
    tasks: Vec<TaskLine>,
    birthdays: Vec<BirthdayLine>,
    own_birthdays: bool,
    call_back: Vec<PersonLine>,
    recent: Vec<Activity>,
}

async fn home(State(s): State<AppState>, me: Signed) -> UiResult {
    let today = chrono::Utc::now().date_naive();
    let day = my_day::my_day(&s.db, &me.actor, today).await?;
    let users: HashMap<UserId, String> = users::list(&s.db, &me.actor)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let tr = me.tr;
    let birthdays = day
        .birthdays
        .iter()
        .map(|b| BirthdayLine {
            id: b.person.id.0.to_string(),
            name: b.person.display_name.clone(),
            when: match (b.in_days, b.turns) {
                (0, Some(age)) => tr.fill("home.birthday_today_age", &[("age", &age.to_string())]),
                (0, None) => tr.t("home.birthday_today").into(),
                (n, Some(age)) => tr.fill(
                    "home.birthday_in_age",
                    &[("days", &n.to_string()), ("age", &age.to_string())],
                ),
                (n, None) => tr.fill("home.birthday_in", &[("days", &n.to_string())]),
            },
        })
        .collect();
    let page = HomePage {
        ctx: me.ctx("home"),
        today: tr.date(today),
        tasks: day
            .tasks
            .iter()
            .map(|t| TaskLine::of(tr, t, &users))
            .collect(),
        birthdays,
        own_birthdays: day.own_birthdays,
        call_back: day
            .call_back
            .iter()
            .map(|p| PersonLine {
                id: p.id.0.to_string(),
                name: p.display_name.clone(),
            })
            .collect(),
        recent: day
            .recent
            .iter()
            .map(|i| Activity {
                item: Item::of(tr, i, &users),
                person: i.data.person_ids.first().map(|p| p.0.to_string()),
            })
            .collect(),
    };
    Ok(render(&page))
}
