-- Who created each person and company, as interactions and tasks already say: every kind of
-- record keeps it (the record machinery reads it for all). Records created before are given
-- the author of their "created" line in the audit trail.
ALTER TABLE people ADD COLUMN created_by {uuid};
ALTER TABLE companies ADD COLUMN created_by {uuid};
UPDATE people SET created_by = (
    SELECT a.actor_id FROM audit_log a
    WHERE a.entity_id = people.id AND a.action = 'created'
    ORDER BY a.at LIMIT 1
);
UPDATE companies SET created_by = (
    SELECT a.actor_id FROM audit_log a
    WHERE a.entity_id = companies.id AND a.action = 'created'
    ORDER BY a.at LIMIT 1
);
