-- Hash banks (docs/hash-bank.md#banks): hashes only, never media. A bank is a list with an owner and a kind; an
-- entry is one hash with its classification and source; a removal is a tombstone (who, when, why), never a delete;
-- votes say whether a match was a true or a false positive.
CREATE TABLE hash_banks (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  owner_team  text NOT NULL REFERENCES teams (id),
  kind        text NOT NULL CHECK (kind IN ('local-verified', 'agency', 'platform', 'imported-list')),
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL
);

CREATE TABLE hash_entries (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  bank_id         bigint NOT NULL REFERENCES hash_banks (id),
  hash_type       text NOT NULL CHECK (hash_type IN ('md5', 'sha1', 'sha256', 'pdq')),
  value           text NOT NULL CHECK (value ~ '^[0-9a-f]+$' AND length(value) = CASE hash_type WHEN 'md5' THEN 32 WHEN 'sha1' THEN 40 ELSE 64 END),
  classification  text NOT NULL,
  source          text NOT NULL,          -- 'import', 'curator', 'platform:{id}'
  source_ref      text,
  added_by        bigint REFERENCES users (id),
  added_at        timestamptz NOT NULL,
  tombstoned_at   timestamptz,
  tombstoned_by   bigint REFERENCES users (id),
  tombstone_reason text,
  CHECK ((tombstoned_at IS NULL) = (tombstone_reason IS NULL))
);

-- One live entry per hash in a bank (a re-import is idempotent; a tombstoned hash may be added again as a new entry).
CREATE UNIQUE INDEX hash_entries_live ON hash_entries (bank_id, hash_type, value) WHERE tombstoned_at IS NULL;
CREATE INDEX hash_entries_lookup ON hash_entries (hash_type, value) WHERE tombstoned_at IS NULL;
CREATE INDEX hash_entries_changes ON hash_entries (id);

CREATE TABLE hash_votes (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry_id   bigint NOT NULL REFERENCES hash_entries (id),
  verdict    text NOT NULL CHECK (verdict IN ('true-positive', 'false-positive')),
  user_id    bigint REFERENCES users (id),
  platform   text,
  reason     text NOT NULL,
  at         timestamptz NOT NULL,
  CHECK ((user_id IS NULL) <> (platform IS NULL))
);

GRANT SELECT, INSERT, UPDATE ON hash_banks, hash_entries TO hub_app;
GRANT SELECT, INSERT ON hash_votes TO hub_app;
