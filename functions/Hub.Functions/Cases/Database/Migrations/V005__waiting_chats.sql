-- The console's queue puts chats waiting for a person on top (GET /queue/summary, CaseService.QueueSummaryAsync):
-- cases not yet claimed with a report whose bot handed the conversation over. Few reports are handoffs, so a
-- partial index holds only those, by case.
CREATE INDEX reports_handoff ON reports (case_id, received_at) WHERE (envelope -> 'signals' ->> 'handoff') = 'true';
