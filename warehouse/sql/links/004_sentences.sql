-- Link index, version 4: each profile keeps the sentence model's vectors of the story's
-- title and first sentences (tasks/link_model.story_sentences; int8, 512 bytes each, at
-- most 8, one after another), what tells a rendering of one text, sentence by sentence,
-- from another outlet's report of the same meeting. NULL before this version or without
-- a model (`newswire links --rebuild` embeds the history).
ALTER TABLE link_profiles ADD COLUMN IF NOT EXISTS sentences BLOB;
