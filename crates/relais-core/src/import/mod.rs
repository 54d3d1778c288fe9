//! Import of people and companies from CSV and vCard files.
//!
//! A run is one transaction: it commits everything it reports, or nothing (an interrupted
//! run leaves the database as it was). A dry run does the same work and rolls back, so its
//! counts are exactly what the real run would do.
pub mod csv_source;
pub mod file;
pub mod job;
pub mod raw;
pub mod undo;
pub mod vcard;

pub(crate) mod apply;

pub use apply::{Event, OnDuplicate, Options, Rejected, Report, companies, people};
