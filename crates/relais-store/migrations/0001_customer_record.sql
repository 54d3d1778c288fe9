-- The customer record. Written once for SQLite and PostgreSQL: {tokens} are the column types
-- and table options that differ between them (see src/migrate.rs). Folded shadow columns
-- (*_key) serve case- and accent-insensitive search and sorting with plain B-tree indexes.

CREATE TABLE teams (
    id {uuid} PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at {ts} NOT NULL
);

CREATE TABLE users (
    id {uuid} PRIMARY KEY,
    email TEXT NOT NULL,
    email_key {key} NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    team_id {uuid} REFERENCES teams(id) ON DELETE SET NULL,
    password_hash TEXT,
    active {bool} NOT NULL,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    version BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at {ts} NOT NULL,
    last_used_at {ts}
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE companies (
    id {uuid} PRIMARY KEY,
    name TEXT NOT NULL,
    sort_key {key} NOT NULL,
    siren TEXT,
    siret TEXT,
    vat_number TEXT,
    industry TEXT,
    size TEXT,
    website TEXT,
    email TEXT,
    phone TEXT,
    parent_id {uuid} REFERENCES companies(id) ON DELETE SET NULL,
    owner_id {uuid} REFERENCES users(id) ON DELETE SET NULL,
    notes TEXT,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts},
    version BIGINT NOT NULL
);
CREATE INDEX companies_sort ON companies (sort_key, id);
CREATE INDEX companies_siren ON companies (siren);
CREATE INDEX companies_parent ON companies (parent_id);
CREATE INDEX companies_owner ON companies (owner_id);

CREATE TABLE people (
    id {uuid} PRIMARY KEY,
    civility TEXT,
    first_name TEXT,
    last_name TEXT,
    sort_key {key} NOT NULL,
    job_title TEXT,
    birth_day SMALLINT,
    birth_month SMALLINT,
    birth_year SMALLINT,
    language TEXT,
    preferred_channel TEXT,
    stage TEXT NOT NULL,
    source TEXT,
    owner_id {uuid} REFERENCES users(id) ON DELETE SET NULL,
    notes TEXT,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts},
    version BIGINT NOT NULL
);
CREATE INDEX people_sort ON people (sort_key, id);
CREATE INDEX people_stage_sort ON people (stage, sort_key, id);
CREATE INDEX people_owner ON people (owner_id, sort_key);
CREATE INDEX people_birthday ON people (birth_month, birth_day);
CREATE INDEX people_updated ON people (updated_at, id);
CREATE INDEX people_created ON people (created_at, id);

CREATE TABLE person_emails (
    person_id {uuid} NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    position SMALLINT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    address_key {key} NOT NULL,
    PRIMARY KEY (person_id, position)
) {without_rowid};
CREATE INDEX person_emails_key ON person_emails (address_key);

CREATE TABLE person_phones (
    person_id {uuid} NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    position SMALLINT NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    PRIMARY KEY (person_id, position)
) {without_rowid};
CREATE INDEX person_phones_number ON person_phones (number);

CREATE TABLE person_companies (
    person_id {uuid} NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    company_id {uuid} NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    role TEXT,
    is_primary {bool} NOT NULL,
    PRIMARY KEY (person_id, company_id)
) {without_rowid};
CREATE INDEX person_companies_company ON person_companies (company_id);

-- Addresses, tags, custom values and search terms of people and companies alike:
-- owner_id is a person's or a company's id (ids are globally unique).
CREATE TABLE addresses (
    owner_id {uuid} NOT NULL,
    position SMALLINT NOT NULL,
    kind TEXT NOT NULL,
    street TEXT,
    postal_code TEXT,
    city TEXT,
    city_key {key},
    region TEXT,
    country TEXT,
    PRIMARY KEY (owner_id, position)
) {without_rowid};
CREATE INDEX addresses_city ON addresses (city_key);

CREATE TABLE tags (
    owner_id {uuid} NOT NULL,
    tag TEXT NOT NULL,
    tag_key {key} NOT NULL,
    PRIMARY KEY (owner_id, tag_key)
) {without_rowid};
CREATE INDEX tags_key ON tags (tag_key);

CREATE TABLE custom_fields (
    id {uuid} PRIMARY KEY,
    entity TEXT NOT NULL,
    field_key TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    choices TEXT NOT NULL,
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    version BIGINT NOT NULL,
    UNIQUE (entity, field_key)
);

CREATE TABLE custom_values (
    owner_id {uuid} NOT NULL,
    field_id {uuid} NOT NULL REFERENCES custom_fields(id) ON DELETE CASCADE,
    value_text TEXT,
    value_number {float},
    value_date {date},
    value_bool {bool},
    PRIMARY KEY (owner_id, field_id)
) {without_rowid};
CREATE INDEX custom_values_text ON custom_values (field_id, value_text);
CREATE INDEX custom_values_number ON custom_values (field_id, value_number);

CREATE TABLE person_terms (
    term {key} NOT NULL,
    person_id {uuid} NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (term, person_id)
) {without_rowid};
CREATE INDEX person_terms_person ON person_terms (person_id);

CREATE TABLE company_terms (
    term {key} NOT NULL,
    company_id {uuid} NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    PRIMARY KEY (term, company_id)
) {without_rowid};
CREATE INDEX company_terms_company ON company_terms (company_id);

CREATE TABLE stage_history (
    id {uuid} PRIMARY KEY,
    person_id {uuid} NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    changed_at {ts} NOT NULL,
    changed_by {uuid}
);
CREATE INDEX stage_history_person ON stage_history (person_id, changed_at);

CREATE TABLE consents (
    id {uuid} PRIMARY KEY,
    person_id {uuid} NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT,
    recorded_at {ts} NOT NULL,
    recorded_by {uuid}
);
CREATE INDEX consents_person ON consents (person_id, channel, recorded_at);

CREATE TABLE interactions (
    id {uuid} PRIMARY KEY,
    kind TEXT NOT NULL,
    direction TEXT,
    occurred_at {ts} NOT NULL,
    duration_minutes BIGINT,
    subject TEXT,
    body TEXT,
    company_id {uuid} REFERENCES companies(id) ON DELETE SET NULL,
    created_by {uuid},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts},
    version BIGINT NOT NULL
);
CREATE INDEX interactions_company ON interactions (company_id, occurred_at);
CREATE INDEX interactions_occurred ON interactions (occurred_at, id);

-- occurred_at is repeated here so that a person's timeline is one index range scan.
CREATE TABLE interaction_people (
    interaction_id {uuid} NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
    person_id {uuid} NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    occurred_at {ts} NOT NULL,
    PRIMARY KEY (interaction_id, person_id)
) {without_rowid};
CREATE INDEX interaction_people_timeline ON interaction_people (person_id, occurred_at, interaction_id);

CREATE TABLE interaction_users (
    interaction_id {uuid} NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
    user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (interaction_id, user_id)
) {without_rowid};

CREATE TABLE attachments (
    id {uuid} PRIMARY KEY,
    interaction_id {uuid} NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data {blob},
    created_by {uuid},
    created_at {ts} NOT NULL
);
CREATE INDEX attachments_interaction ON attachments (interaction_id);

CREATE TABLE tasks (
    id {uuid} PRIMARY KEY,
    title TEXT NOT NULL,
    notes TEXT,
    due_at {ts},
    assignee_id {uuid} REFERENCES users(id) ON DELETE SET NULL,
    person_id {uuid} REFERENCES people(id) ON DELETE CASCADE,
    company_id {uuid} REFERENCES companies(id) ON DELETE CASCADE,
    done_at {ts},
    created_by {uuid},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    deleted_at {ts},
    version BIGINT NOT NULL
);
CREATE INDEX tasks_assignee ON tasks (assignee_id, done_at, due_at);
CREATE INDEX tasks_person ON tasks (person_id);
CREATE INDEX tasks_company ON tasks (company_id);

-- Append-only: rows are inserted, never edited (a merge moves them to the surviving record);
-- deleted only when the record they
-- describe is purged (the right to erasure covers its history too).
CREATE TABLE audit_log (
    id {uuid} PRIMARY KEY,
    at {ts} NOT NULL,
    actor_id {uuid},
    entity TEXT NOT NULL,
    entity_id {uuid} NOT NULL,
    action TEXT NOT NULL,
    field TEXT,
    old_value TEXT,
    new_value TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity_id, at);
