-- A counsellor's SMS reply to the reporter of an SMS case (docs/sms-gateway.md#replies, CaseServiceSms). The row is
-- written, with its audit row, in the transaction that accepts the reply; the sms-replies queue only says "send
-- reply X", so the queue never holds the text or the number. The number stays sealed in the report it answers
-- and is unsealed only at send. status moves forward only: queued/sending → accepted → sent → delivered, or to
-- failed/undelivered; a receipt never moves it back (SmsReplyStates).
CREATE TABLE sms_replies (
  id                  text PRIMARY KEY,            -- the hub's reply id: the gateway's messageId, Twilio's idempotency token
  case_id             text NOT NULL REFERENCES cases (id),
  report_id           text NOT NULL REFERENCES reports (id),
  channel_instance    text NOT NULL,
  author_id           bigint NOT NULL REFERENCES users (id),
  body                text NOT NULL CHECK (length(body) BETWEEN 1 AND 1600),
  segments            int NOT NULL CHECK (segments >= 1),
  created_at          timestamptz NOT NULL,
  status              text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'sending', 'accepted', 'sent', 'delivered', 'undelivered', 'failed')),
  lease_until         timestamptz,                 -- while 'sending': one sender at a time, a crashed one's lease runs out
  attempts            int NOT NULL DEFAULT 0,
  provider_message_id text,
  error               text,
  updated_at          timestamptz NOT NULL
);
CREATE INDEX sms_replies_case ON sms_replies (case_id, created_at);

GRANT SELECT, INSERT, UPDATE ON sms_replies TO hub_app;
