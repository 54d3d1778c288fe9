-- What an administrator sets from the app, by name (the config file gives the defaults):
-- for how long a finished import can be undone...
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at {ts} NOT NULL,
    updated_by {uuid}
);
