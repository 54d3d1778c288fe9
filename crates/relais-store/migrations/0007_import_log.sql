-- What each import changed, batch by batch (src/import_log.rs): the records it created, and
-- the records it updated with their data before. An import writes in short transactions so
-- that it blocks no one; this log is how an interrupted or unwanted import is undone.
CREATE TABLE import_changes (
    import_id {uuid} NOT NULL,
    seq BIGINT NOT NULL,
    entity TEXT NOT NULL,
    record_id {uuid} NOT NULL,
    action TEXT NOT NULL,
    before TEXT,
    version_after BIGINT NOT NULL,
    at {ts} NOT NULL,
    PRIMARY KEY (import_id, seq)
);
CREATE INDEX import_changes_at ON import_changes (at);
