//! Coded values (a stage, a kind of interaction, a role) as read back from the database. One
//! that this version does not know (written by another version, or by hand) is never an
//! error that makes a record unreadable: the record reads with the field's default, the
//! value is logged for an administrator, and it stays stored until a user changes that field
//! (`records::update` writes only what changed).

/// `parse(raw)`, or `None` logged with where the value is stored.
pub(crate) fn read<T, E>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
    table: &str,
    column: &str,
    id: impl std::fmt::Display,
) -> Option<T> {
    match parse(raw) {
        Ok(v) => Some(v),
        Err(_) => {
            tracing::warn!(
                table,
                column,
                %id,
                value = raw,
                "a stored value this version does not know; shown as the default, kept as stored"
            );
            None
        }
    }
}
