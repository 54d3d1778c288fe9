-- The link of a person to a company repeats the person's name key (their sort key), so that
-- the import's duplicate rule "the same name at the same company" is one index seek per
-- (name, company) pair: in a real file both names and companies repeat, and only the pair
-- is selective.
ALTER TABLE person_companies ADD COLUMN name_key {key};
UPDATE person_companies SET
    name_key = (SELECT p.sort_key FROM people p WHERE p.id = person_companies.person_id);
CREATE INDEX person_companies_name ON person_companies (company_id, name_key);
