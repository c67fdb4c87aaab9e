-- "Discarded in the last 24 h, by kind" (the dashboard's Now page) reads
-- only recent discards, never the completed history. Off the happy path
-- (available -> running -> completed), so claims and completions do not
-- maintain it.
CREATE INDEX jobs_discarded_at_idx ON jobs (finished_at, kind) WHERE state = 'discarded';
