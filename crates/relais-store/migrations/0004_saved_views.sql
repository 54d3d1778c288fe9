-- A user's saved views of a list: a name and the list's query string (its filters, search
-- and order), as the list reads it.
CREATE TABLE saved_views (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    list TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at {ts} NOT NULL,
    UNIQUE (user_id, list, name)
);
