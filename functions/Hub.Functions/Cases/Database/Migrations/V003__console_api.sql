-- The operator API (docs/console-api.md): the live queue's change feed, the queue across teams, and URL search.

-- Every insert or update of a case records the writing transaction's id. /events reads the cases whose change_xid
-- lies below the oldest transaction still running (pg_snapshot_xmin), so a change that commits late is never
-- skipped by a cursor that has already moved past a later one: sequence numbers would allow that, xids do not.
ALTER TABLE cases ADD COLUMN change_xid xid8 NOT NULL DEFAULT '1'::xid8;
CREATE INDEX cases_changes ON cases (change_xid, id);

CREATE FUNCTION cases_mark_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.change_xid := pg_current_xact_id();
  RETURN NEW;
END
$$;
CREATE TRIGGER cases_change BEFORE INSERT OR UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION cases_mark_change();

-- Wakes the hub's long-polling /events requests when the transaction commits (one notification per statement;
-- PostgreSQL folds identical notifications of one transaction into one).
CREATE FUNCTION cases_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('hub_cases', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER cases_notify AFTER INSERT OR UPDATE ON cases FOR EACH STATEMENT EXECUTE FUNCTION cases_notify();

-- The central 111 team's queue is every open case in working order: GET /cases without a team.
CREATE INDEX cases_queue_all ON cases (queue_rank, received_at, id) WHERE status <> 'closed';

-- GET /cases?q=<url>: the reports naming a URL (jsonb containment on the envelope's incident.urls).
CREATE INDEX reports_urls ON reports USING gin ((envelope -> 'incident' -> 'urls') jsonb_path_ops);
