-- Link index, version 2: each profile keeps its ordered token sequence (names, cognate
-- terms, figures in text order; tasks/link_evidence.sequence_of), which the translation
-- decision aligns. Profiles stored before this version have none (NULL): they are never
-- a translation of a later story, only its event.
ALTER TABLE link_profiles ADD COLUMN IF NOT EXISTS sequence VARCHAR[];
