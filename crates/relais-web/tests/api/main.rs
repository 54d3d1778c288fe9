//! Integration tests of the HTTP API: every test is a scenario run once on a fresh SQLite
//! file and once on a fresh PostgreSQL database (when `RELAIS_TEST_POSTGRES_URL` is set).
//!
//! `both!(name, scenario)` makes the module `name` with the tests `name::sqlite` and
//! `name::postgres` (so `cargo test sqlite` or `cargo test postgres` picks one engine).
//! Attributes given first (`#[ignore = "..."]`) go on both.

macro_rules! both {
    ($(#[$attr:meta])* $name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            $(#[$attr])*
            async fn sqlite() {
                $crate::helpers::on_sqlite(super::$scenario).await
            }

            #[tokio::test]
            $(#[$attr])*
            async fn postgres() {
                $crate::helpers::on_postgres(super::$scenario).await
            }
        }
    };
}

mod attachments;
mod audit;
mod auth;
mod companies;
mod consents;
mod filters;
mod hardening;
mod helpers;
mod interactions;
mod jobs;
mod machinery;
mod meta;
mod pages;
mod paging;
mod people;
mod permissions;
mod preconditions;
mod problems;
mod search;
mod segments;
mod session;
mod settings;
mod tasks;
mod users;
