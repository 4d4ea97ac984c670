-- V012: what the statistics count (docs/statistics.md). Applied once; never edited.

-- Each takedown request's state as its case knows it, written beside its line on the case's timeline, so that
-- takedowns requested, confirmed and the time to removal per platform are counted with SQL. The takedown's own record
-- (Azure Tables, platformreports) stays the source of truth; this is its copy in the case store.
CREATE TABLE case_takedowns (
  id           text PRIMARY KEY,                  -- the takedown id
  case_id      text NOT NULL REFERENCES cases (id),
  platform     text NOT NULL,
  requested_at timestamptz NOT NULL,
  status       text NOT NULL CHECK (status IN ('requested', 'delivered', 'failed', 'confirmed')),
  confirmed_at timestamptz,
  outcome      text,
  removed_at   timestamptz,
  CHECK (status <> 'confirmed' OR outcome IS NOT NULL)
);
CREATE INDEX case_takedowns_case ON case_takedowns (case_id);

-- Statistics select cases by the time they were received (in Vietnam's days), and reports likewise.
CREATE INDEX cases_received ON cases (received_at);

GRANT SELECT, INSERT, UPDATE ON case_takedowns TO hub_app;
