//! The customer record's types and rules. Pure: no I/O, no async, no database types.
//! Every value type validates itself on parse, so the rest of Relais never re-checks.
// A bad input must never panic a worker: no unwrap or expect outside tests, no string
// slicing by byte index (a char boundary panics), in every crate of Relais.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::string_slice)
)]

pub mod attachment;
pub mod birthday;
pub mod company;
pub mod custom;
pub mod email;
pub mod error;
pub mod filter;
pub mod ids;
pub mod interaction;
pub mod legal;
pub mod message;
pub mod money;
pub mod person;
pub mod phone;
pub mod role;
pub mod search;
pub mod settings;
pub mod text;

pub use birthday::Birthday;
pub use email::Email;
pub use error::{FieldError, Invalid};
pub use ids::*;
pub use message::{Code, Msg};
pub use phone::Phone;
pub use role::{Action, Resource, Role};
