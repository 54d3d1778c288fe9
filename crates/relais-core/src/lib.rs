//! Use cases shared by the web app and the command line. Services own transactions and
//! check the actor's rights; the store below them only reads and writes.
// A bad input must never panic a worker: no unwrap or expect outside tests, no string
// slicing by byte index (a char boundary panics), in every crate of Relais.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)
)]

pub mod attachments;
pub mod auth;
pub mod companies;
pub mod custom_fields;
pub mod demo;
pub mod error;
pub mod export;
pub mod import;
pub mod interactions;
pub mod jobs;
pub mod merge;
pub mod my_day;
pub mod overview;
pub mod people;
pub mod record;
pub mod records;
pub mod registry;
pub mod settings;
pub mod tasks;
pub mod users;
pub mod views;

pub use auth::Actor;
pub use error::{CoreError, Result};
pub use relais_store::{Db, connect};
