-- V001: teams and people, reports and the cases they become, each case's history, notes, links and call-backs,
-- the reporter blocklist, and the append-only audit trail. docs/cases.md explains each table and index.
-- Applied once; never edited (a change is a new script).

-- The application's role: what the running hub may do. The connecting login is granted hub_app (locally the
-- launcher does it; on Azure the deployment does, docs/cases.md#azure).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_app') THEN
    CREATE ROLE hub_app NOLOGIN;
  END IF;
END
$$;

CREATE TABLE teams (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('central', 'province', 'agency')),
  province_code text UNIQUE
);

CREATE TABLE users (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  login        text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  issuer       text,
  subject      text,
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL,
  disabled_at  timestamptz,
  UNIQUE (issuer, subject)
);

CREATE TABLE user_roles (
  user_id bigint NOT NULL REFERENCES users (id),
  role    text NOT NULL CHECK (role IN ('counsellor', 'supervisor', 'liaison', 'analyst', 'admin')),
  PRIMARY KEY (user_id, role)
);

CREATE TABLE team_members (
  team_id text NOT NULL REFERENCES teams (id),
  user_id bigint NOT NULL REFERENCES users (id),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- A reporter (by pseudonym: no identity is stored) whose reports become low-priority cases until expires_at.
CREATE TABLE reporter_blocks (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  pseudonym  text NOT NULL,
  reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  blocked_by bigint NOT NULL REFERENCES users (id),
  blocked_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  lifted_at  timestamptz,
  lifted_by  bigint REFERENCES users (id)
);
CREATE INDEX reporter_blocks_pseudonym ON reporter_blocks (pseudonym, expires_at DESC) WHERE lifted_at IS NULL;

CREATE TABLE cases (
  id                   text PRIMARY KEY,           -- the ULID of the report that opened it (sorts by time)
  -- report-derived: follow the opening report's revisions
  reference_code       text NOT NULL,
  channel              text NOT NULL,
  channel_instance     text NOT NULL,
  urgency              text NOT NULL CHECK (urgency IN ('immediate', 'high', 'normal', 'low')),
  categories           text[] NOT NULL DEFAULT '{}',
  province_code        text,
  reporter_pseudonym   text,
  received_at          timestamptz NOT NULL,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz,
  -- operator-owned: a revision never touches these
  status               text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'open', 'referred', 'closed', 'reopened')),
  close_reason         text CHECK (close_reason IN ('resolved', 'referred-and-done', 'no-contact-possible', 'not-child-protection', 'duplicate', 'prank', 'other')),
  team_id              text NOT NULL REFERENCES teams (id),
  owner_id             bigint REFERENCES users (id),
  transfer_to          text REFERENCES teams (id),
  queue_rank           smallint NOT NULL,          -- 0 immediate … 3 low; 3 too for a blocked reporter
  low_priority_reason  text,
  first_response_due   timestamptz NOT NULL,
  first_response_at    timestamptz,
  intervention_due     timestamptz,                -- Decree 56 Art. 26.3: 12 hours, for immediate cases
  intervention_done_at timestamptz,
  closed_at            timestamptz,
  version              integer NOT NULL DEFAULT 1,
  -- one named owner at every stage: a person from open on, none while in a team's queue
  CHECK (status NOT IN ('open', 'referred') OR owner_id IS NOT NULL),
  CHECK (status NOT IN ('new', 'reopened') OR owner_id IS NULL),
  CHECK ((status = 'closed') = (close_reason IS NOT NULL))
);
-- The team queue: everything not closed, in the order counsellors work it (urgency, then oldest first).
CREATE INDEX cases_queue ON cases (team_id, queue_rank, received_at, id) WHERE status <> 'closed';
CREATE INDEX cases_first_response_overdue ON cases (first_response_due) WHERE first_response_at IS NULL AND status <> 'closed';
CREATE INDEX cases_intervention_overdue ON cases (intervention_due) WHERE intervention_due IS NOT NULL AND intervention_done_at IS NULL AND status <> 'closed';
CREATE INDEX cases_reference_code ON cases (reference_code);
CREATE INDEX cases_reporter ON cases (reporter_pseudonym) WHERE reporter_pseudonym IS NOT NULL;
CREATE INDEX cases_owner ON cases (owner_id) WHERE status <> 'closed';

-- Every report (envelope) the processor received; several may belong to one case (follow-ups).
CREATE TABLE reports (
  id                  text PRIMARY KEY,
  case_id             text NOT NULL REFERENCES cases (id) DEFERRABLE INITIALLY DEFERRED,
  channel_instance    text NOT NULL,
  provider_message_id text NOT NULL,
  reference_code      text NOT NULL,
  revision            integer NOT NULL,
  received_at         timestamptz NOT NULL,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz,
  envelope            jsonb NOT NULL,
  UNIQUE (channel_instance, provider_message_id) -- the idempotency key: redelivery and duplicates make one row
);
CREATE INDEX reports_case ON reports (case_id);
CREATE INDEX reports_reference_code ON reports (reference_code);

-- Who moved a case, when, from what to what, and why: status, owner and team changes, and system events.
CREATE TABLE case_history (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id     text NOT NULL REFERENCES cases (id) DEFERRABLE INITIALLY DEFERRED,
  at          timestamptz NOT NULL,
  actor_id    bigint REFERENCES users (id),          -- null: the hub itself
  action      text NOT NULL,
  from_status text,
  to_status   text,
  from_owner  bigint,
  to_owner    bigint,
  from_team   text,
  to_team     text,
  reason      text
);
CREATE INDEX case_history_case ON case_history (case_id, id);

-- Append-only: a correction is a new note that names the one it corrects.
CREATE TABLE case_notes (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id   text NOT NULL REFERENCES cases (id),
  author_id bigint NOT NULL REFERENCES users (id),
  at        timestamptz NOT NULL,
  body      text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  corrects  bigint REFERENCES case_notes (id)
);
CREATE INDEX case_notes_case ON case_notes (case_id, id);

CREATE TABLE case_links (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id       text NOT NULL REFERENCES cases (id) DEFERRABLE INITIALLY DEFERRED,
  other_case_id text NOT NULL REFERENCES cases (id),
  kind          text NOT NULL CHECK (kind IN ('related', 'duplicate-of')),
  reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  created_by    bigint REFERENCES users (id),
  created_at    timestamptz NOT NULL,
  CHECK (case_id <> other_case_id),
  UNIQUE (case_id, other_case_id, kind)
);
CREATE INDEX case_links_other ON case_links (other_case_id);

-- A missed call to call back; the number stays sealed (AES-GCM, Hub:Privacy) and revealing it is audited.
CREATE TABLE callback_tasks (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id     text NOT NULL REFERENCES cases (id) DEFERRABLE INITIALLY DEFERRED,
  contact_ref text NOT NULL,
  created_at  timestamptz NOT NULL,
  due_at      timestamptz NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  done_by     bigint REFERENCES users (id),
  done_at     timestamptz,
  outcome     text,
  UNIQUE (case_id, contact_ref)
);
CREATE INDEX callback_tasks_open ON callback_tasks (due_at) WHERE status = 'open';

-- Who saw and who changed what. Ids come from audit_id_seq inside the chain's lock, so id order is chain order.
CREATE SEQUENCE audit_id_seq;
CREATE TABLE audit (
  id        bigint PRIMARY KEY,
  at        timestamptz NOT NULL,
  user_id   bigint REFERENCES users (id),
  action    text NOT NULL,
  case_id   text,
  fields    text[] NOT NULL DEFAULT '{}',
  source    text,
  prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
  hash      bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX audit_case ON audit (case_id, id) WHERE case_id IS NOT NULL;
CREATE INDEX audit_user ON audit (user_id, id);

-- Even the tables' owner cannot change history: updates, deletes and truncation of audit rows are refused.
CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit rows are append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only();

-- What the running hub may do: append-only tables get SELECT and INSERT only.
GRANT USAGE ON SCHEMA public TO hub_app;
GRANT SELECT ON schema_migrations, teams TO hub_app;
GRANT SELECT, INSERT, UPDATE ON users, cases, reports, callback_tasks, reporter_blocks TO hub_app;
GRANT SELECT, INSERT, DELETE ON user_roles, team_members TO hub_app;
GRANT SELECT, INSERT ON case_history, case_notes, case_links, audit TO hub_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO hub_app;
