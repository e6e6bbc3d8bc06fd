-- Link index, version 3: each profile keeps the sentence model's vector of its title and
-- lead (tasks/link_model.py; int8, 512 bytes for the default model) and the model's name,
-- so a story is embedded once, when it is linked, and vectors of two models are never
-- compared. Profiles stored before this version, or with NEWSWIRE_LINK_MODEL=none, have
-- NULL: their pairs are decided on the names, figures and alignment alone.
ALTER TABLE link_profiles ADD COLUMN IF NOT EXISTS embedding BLOB;
ALTER TABLE link_profiles ADD COLUMN IF NOT EXISTS embedding_model VARCHAR;
