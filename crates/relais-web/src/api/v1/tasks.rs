//! Tasks in the API: the routes every kind has (`records`).
use super::records::{self, Served};
use crate::AppState;
use axum::Router;
use relais_core::tasks::Tasks;

impl Served for Tasks {
    const PATH: &'static str = "tasks";
    const LIST_DOC: &'static str = "Tasks and reminders, in creation order. Filters: \
        `assignee_id`, `person_id`, `company_id`, `done=true|false`, `due_at[lt|gte]`, or \
        `filter=` (e.g. done = no and due_at < today); `q` searches the title.";
}

pub fn router() -> Router<AppState> {
    records::routes::<Tasks>()
}
