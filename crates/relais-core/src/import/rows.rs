//! Rows imported one at a time (companies, and the kinds read by field names), in the
//! batches and with the log of `apply::Writer`.
use super::apply::{Event, Options, Rejected, Report, Row, Writer, batch_rows};
use crate::auth::Actor;
use crate::error::Result;
use relais_domain::Invalid;
use relais_store::Db;

/// Checks a row and writes it, or says why not.
pub(super) type WriteRow<T> =
    for<'b, 'w> fn(
        &'b mut Writer<'w>,
        &'b Actor,
        Options,
        &'b T,
        &'b mut Report,
    ) -> crate::jobs::BoxFuture<'b, Result<Result<(), Invalid>>>;

/// The rows of a run taken one at a time, the way companies and the kinds read by field
/// names are imported: `write` checks a row and writes it (or says why not); a refused row is
/// reported with its cells, a batch ends every `batch_rows`, the progress is told every 1,000
/// rows and at the end, and the last batch is committed.
pub(super) async fn row_by_row<T>(
    (db, actor, opts): (&Db, &Actor, Options),
    mut w: Writer<'_>,
    report: &mut Report,
    mut next: impl FnMut() -> Option<Row<T>>,
    mut on: impl FnMut(Event<'_>),
    line: fn(&T) -> u64,
    write: WriteRow<T>,
) -> Result<()> {
    let mut rows = 0u64;
    while let Some(row) = next() {
        rows += 1;
        let outcome = match row {
            Ok((raw, cells)) => write(&mut w, actor, opts, &raw, report)
                .await?
                .map_err(|reason| Rejected {
                    line: line(&raw),
                    reason,
                    raw: cells,
                }),
            Err(r) => Err(r),
        };
        if let Err(r) = outcome {
            report.rejected += 1;
            on(Event::Rejected(&r));
        }
        if rows.is_multiple_of(batch_rows(db.backend()) as u64) {
            w.end_batch().await?;
        }
        if rows.is_multiple_of(1000) {
            on(Event::Progress(rows));
        }
    }
    w.finish().await?;
    on(Event::Progress(rows));
    Ok(())
}
