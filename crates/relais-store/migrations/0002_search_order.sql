-- Search terms carry their record's sort key, so that a search reads its page of matches in
-- order straight from the index, (term, sort key, id): one range scan whatever the number of
-- matches (see src/search.rs). Terms are now single words, e-mail addresses, phone digits
-- (E.164) and, for people, the words of their companies' names. The store refills both
-- tables from the records right after this migration.
DROP TABLE person_terms;
CREATE TABLE person_terms (
    term {key} NOT NULL,
    sort_key {key} NOT NULL,
    person_id {uuid} NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (term, sort_key, person_id)
) {without_rowid};
CREATE INDEX person_terms_person ON person_terms (person_id, term);

DROP TABLE company_terms;
CREATE TABLE company_terms (
    term {key} NOT NULL,
    sort_key {key} NOT NULL,
    company_id {uuid} NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    PRIMARY KEY (term, sort_key, company_id)
) {without_rowid};
CREATE INDEX company_terms_company ON company_terms (company_id, term);
