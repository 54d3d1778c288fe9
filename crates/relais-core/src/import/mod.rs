//! Import of records from CSV files (people and companies also from vCard files).
//!
//! A run writes in short batches, each one transaction with the log of what it changed, so
//! that it blocks no one and can be undone (`undo`); what it reports is what its batches
//! committed. A dry run does the same work in one transaction and rolls back, so its counts
//! are exactly what the real run would do.
pub mod csv_source;
pub mod file;
pub mod job;
pub mod raw;
pub mod records;
pub mod undo;
pub mod vcard;

pub(crate) mod apply;
mod companies;
mod rows;

pub use apply::{Event, OnDuplicate, Options, Rejected, Report, batch_rows, people};
pub use companies::companies;
