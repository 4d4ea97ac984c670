-- Known material (docs/hash-bank.md#matching): each report's evidence that matched a bank entry when the report was
-- processed. Written before the case (idempotent), so a retried report never loses its matches. The matched media is
-- never served to anyone: the hub's protected-content reads refuse every (report, sha256) listed here.
CREATE TABLE case_hash_matches (
  report_id       text NOT NULL,
  evidence_sha256 text NOT NULL DEFAULT '',     -- '' for a hash a platform holds (no stored copy)
  entry_id        bigint NOT NULL REFERENCES hash_entries (id),
  bank            text NOT NULL,
  classification  text NOT NULL,
  hash_type       text NOT NULL,
  distance        int NOT NULL,
  matched_at      timestamptz NOT NULL,
  PRIMARY KEY (report_id, evidence_sha256, entry_id)
);

GRANT SELECT, INSERT ON case_hash_matches TO hub_app;
