//! Interactions in the API: the routes every kind has (`records`); their files are under
//! `attachments`.
use super::records::{self, Served};
use crate::AppState;
use axum::Router;
use relais_core::interactions::Interactions;

impl Served for Interactions {
    const PATH: &'static str = "interactions";
    const LIST_DOC: &'static str = "Newest first. Filters: `kind`, `direction`, `person_id`, \
        `company_id`, `user_id`, `occurred_at[gte|lt]`, or `filter=` (e.g. kind = call and \
        occurred_at > 90 days ago); `q` searches the subject.";
}

pub fn router() -> Router<AppState> {
    records::routes::<Interactions>()
}
