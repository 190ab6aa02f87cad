-- A person who registered without saying where they live is kept in the region of the API they registered with; their
-- country is unknown (null) until they give one. Still a two-letter code when known.
alter table vault_people alter column country drop not null;
