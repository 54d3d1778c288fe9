-- Interactions and tasks can be about a record of any kind (a call about a deal, a task on
-- a ticket): its kind's name and its id. A kind's timeline reads them by the index.
ALTER TABLE interactions ADD COLUMN about_kind TEXT;
ALTER TABLE interactions ADD COLUMN about_id {uuid};
CREATE INDEX interactions_about ON interactions (about_id, occurred_at);
ALTER TABLE tasks ADD COLUMN about_kind TEXT;
ALTER TABLE tasks ADD COLUMN about_id {uuid};
CREATE INDEX tasks_about ON tasks (about_id);
