-- Referrals (docs/referrals.md): a case's hand-offs to another team — a province's child-protection unit, the
-- provincial police, A05, the content regulator — each with a reason, a level of sharing, a consent basis, a state
-- and the clocks of Decree 56. The case keeps its team and owner while a referral is open. Never deleted: a
-- referral ends as rejected, done or revoked, and every move is in case_history and the audit.

-- The provincial police: one liaison team per provincial unit (routing proposes police-{province}).
INSERT INTO teams (id, name, kind, province_code)
SELECT 'police-' || province_code, 'Công an – ' || substring(name FROM '– (.*)$'), 'agency', NULL
FROM teams WHERE kind = 'province';

CREATE TABLE referrals (
  id                text PRIMARY KEY,                 -- a report id (ULID-like), sortable by time
  case_id           text NOT NULL REFERENCES cases (id),
  to_team           text NOT NULL REFERENCES teams (id),
  from_team         text NOT NULL REFERENCES teams (id),
  state             text NOT NULL CHECK (state IN ('sent', 'acknowledged', 'accepted', 'rejected', 'done', 'revoked')),
  reason            text NOT NULL,
  sharing           text NOT NULL CHECK (sharing IN ('summary', 'with-evidence')),
  consent_basis     text NOT NULL CHECK (consent_basis IN ('reporter', 'override')),
  override_reason   text,
  sent_by           bigint REFERENCES users (id),
  sent_at           timestamptz NOT NULL,
  acknowledge_due   timestamptz NOT NULL,
  intervention_due  timestamptz,                      -- the case's 12-hour deadline, for immediate cases
  acknowledged_at   timestamptz,
  acknowledged_by   bigint REFERENCES users (id),
  decided_at        timestamptz,                      -- accepted or rejected
  decided_by        bigint REFERENCES users (id),
  closed_at         timestamptz,                      -- done or revoked
  closed_by         bigint REFERENCES users (id),
  outcome           text,
  answer            text,                             -- the receiver's reason (rejection) or note (outcome)
  webhook           text NOT NULL DEFAULT 'none' CHECK (webhook IN ('none', 'queued', 'delivered', 'failed')),
  webhook_attempts  int NOT NULL DEFAULT 0,
  webhook_error     text,
  webhook_at        timestamptz,
  version           int NOT NULL DEFAULT 1,
  CHECK (consent_basis = 'reporter' OR override_reason IS NOT NULL),
  CHECK (state <> 'done' OR outcome IS NOT NULL)
);

CREATE INDEX referrals_case ON referrals (case_id, sent_at);
CREATE INDEX referrals_inbox ON referrals (to_team, sent_at DESC);
CREATE INDEX referrals_open ON referrals (acknowledge_due) WHERE state IN ('sent', 'acknowledged', 'accepted');

GRANT SELECT, INSERT, UPDATE ON referrals TO hub_app;
