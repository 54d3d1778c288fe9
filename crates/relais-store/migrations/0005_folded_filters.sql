-- Folded shadow columns (lowercase, accents removed, see relais_domain::text::fold) of the
-- free-text fields filters compare, so that `first_name starts with "emi"` finds "Émile" on
-- SQLite as on PostgreSQL (SQLite's lower() knows ASCII only). The store fills them from the
-- records right after this migration, and on every write.
ALTER TABLE people ADD COLUMN first_name_key {key};
ALTER TABLE people ADD COLUMN last_name_key {key};
ALTER TABLE people ADD COLUMN job_title_key {key};
ALTER TABLE people ADD COLUMN source_key {key};
ALTER TABLE companies ADD COLUMN industry_key {key};
CREATE INDEX people_first_name_key ON people (first_name_key);
CREATE INDEX people_last_name_key ON people (last_name_key);

-- A saved view keeps its filter as the segment language's tree (JSON), beside the query
-- string the list page opens it with.
ALTER TABLE saved_views ADD COLUMN filter TEXT;
