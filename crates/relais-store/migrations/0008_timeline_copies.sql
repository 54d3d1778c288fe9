-- The link of an interaction to each of its people repeats its kind and whether it is in the
-- trash (as it already repeats occurred_at), so that conditions on a person's interactions
-- ("no interaction in 180 days", "at least 3 calls") are answered from one index on the
-- link, without visiting the interactions themselves.
ALTER TABLE interaction_people ADD COLUMN kind TEXT;
ALTER TABLE interaction_people ADD COLUMN deleted_at {ts};
UPDATE interaction_people SET
    kind = (SELECT i.kind FROM interactions i WHERE i.id = interaction_people.interaction_id),
    deleted_at = (SELECT i.deleted_at FROM interactions i WHERE i.id = interaction_people.interaction_id);
CREATE INDEX interaction_people_live ON interaction_people (person_id, kind, occurred_at)
    WHERE deleted_at IS NULL;
