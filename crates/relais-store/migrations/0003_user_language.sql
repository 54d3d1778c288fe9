-- The language a user reads Relais in (`fr`, `en`); none: the browser's.
ALTER TABLE users ADD COLUMN language TEXT;
