-- The owners of a city's addresses and of a tag, read from the index alone: on SQLite the
-- owner is already in every index of these WITHOUT ROWID tables; on PostgreSQL it has to be
-- named, or each match is a visit to the table ("customers in Lyon" at a million people).
CREATE INDEX addresses_city_owner ON addresses (city_key, owner_id);
DROP INDEX addresses_city;
CREATE INDEX tags_key_owner ON tags (tag_key, owner_id);
DROP INDEX tags_key;
