-- Routing (docs/routing.md): the rule that chose a case's owning team when it was created, and the referrals that
-- rule (or a later reclassification) proposes. routing_rule NULL: no rule matched, the case went to the central
-- team (counted: SELECT count(*) FROM cases WHERE routing_rule IS NULL). Cases from before routing say so.
ALTER TABLE cases
  ADD COLUMN routing_rule       text,
  ADD COLUMN proposed_referrals text[] NOT NULL DEFAULT '{}';

UPDATE cases SET routing_rule = 'before-routing';
