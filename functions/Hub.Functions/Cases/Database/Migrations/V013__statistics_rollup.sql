-- V013: the statistics' roll-up (docs/statistics.md#speed). Applied once; never edited.
--
-- Every figure of the Thống kê page is a sum over cases of what each case contributes: 1 to "cases", 1 to
-- "urgency:high", 1 to the minute of its first response in a histogram, the number of its referrals in each state…
-- stats_rows(ids) computes those contributions from the case store's rows (one definition, in SQL). case_stats keeps
-- each case's contribution; stats_daily and stats_delta their sums by Vietnamese day and channel.
--
-- Writers only note which cases they changed: triggers append the case's id to stats_dirty, in the same transaction
-- as the change (a plain append: no writer waits for another, and intake pays a few microseconds, not the roll-up).
-- stats_fold() — the hub runs it every few seconds — takes the dirty cases, recomputes their rows in case_stats (from
-- scratch, never patched), appends the difference between each case's old and new contribution to stats_delta, and
-- moves stats_delta into stats_daily, all in one transaction. The readers count a dirty case by what it contributes
-- now (stats_rows) instead of its stored row, in the same statement (one snapshot): the views stats_cases and
-- stats_days. A committed change is therefore counted exactly once at every moment, whether it has been folded or not:
-- a change committed while a fold runs leaves its own dirty row, which the fold does not delete (it deletes only the
-- rows its snapshot saw, before it recomputes), so the case is counted live until the next fold.
-- stats_rebuild() recomputes everything from the rows; stats_check() compares what the readers see with the rows.
-- What depends on the clock (overdue now, not yet due) is never stored: the statistics read it from the rows, by the
-- partial indexes below, which hold only what is still waiting.

CREATE TABLE case_stats (
  case_id   text PRIMARY KEY,
  day       date NOT NULL,         -- the Vietnamese day the case was received
  channel   text NOT NULL,
  team_id   text NOT NULL,
  province  text,                  -- the case's province code (null: unknown)
  reporter  text,                  -- the reporter's pseudonym: a scope's repeat reporters, without reading the cases
  keys      text[] NOT NULL,       -- what the case contributes to …
  counts    int[] NOT NULL,        -- … and how much (the same length)
  CHECK (cardinality(keys) = cardinality(counts))
);
CREATE INDEX case_stats_day ON case_stats (day);
CREATE INDEX case_stats_team ON case_stats (team_id, day);
CREATE INDEX case_stats_province ON case_stats (province, day);

CREATE TABLE stats_daily (
  day     date NOT NULL,
  channel text NOT NULL,
  key     text NOT NULL,
  n       bigint NOT NULL,
  PRIMARY KEY (day, channel, key)
);

-- Differences of contributions not moved into stats_daily yet (stats_fold() empties it in the same transaction).
CREATE TABLE stats_delta (
  day     date NOT NULL,
  channel text NOT NULL,
  key     text NOT NULL,
  n       bigint NOT NULL
);

-- The cases changed since their row in case_stats was computed (a case may be named more than once).
CREATE TABLE stats_dirty (
  case_id text NOT NULL
);
CREATE INDEX stats_dirty_case ON stats_dirty (case_id);

-- What is still waiting, by its deadline: the clock-dependent parts of the figures read these.
CREATE INDEX cases_unanswered_due ON cases (first_response_due) WHERE first_response_at IS NULL;
CREATE INDEX cases_intervention_pending ON cases (intervention_due) WHERE intervention_due IS NOT NULL AND intervention_done_at IS NULL;
CREATE INDEX referrals_unacknowledged ON referrals (acknowledge_due) WHERE acknowledged_at IS NULL;
CREATE INDEX callback_tasks_not_done ON callback_tasks (due_at) WHERE status <> 'done';
-- A reporter's cases in order (repeat reporters: each case knows the two counted cases of its reporter before it).
CREATE INDEX cases_reporter_order ON cases (reporter_pseudonym, received_at, id) WHERE reporter_pseudonym IS NOT NULL AND close_reason IS DISTINCT FROM 'duplicate';

-- A duration's bucket in the histograms, in seconds: to the minute under an hour, to ten minutes under a day, to the
-- hour under a week, to the day beyond. The percentiles the statistics give are the lower bound of their bucket.
CREATE FUNCTION stats_bucket(seconds double precision) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN s < 3600 THEN s / 60 * 60 WHEN s < 86400 THEN s / 600 * 600 WHEN s < 604800 THEN s / 3600 * 3600 ELSE s / 86400 * 86400 END
  FROM (SELECT greatest(floor(seconds), 0)::bigint AS s) AS t
$$;

-- The teams whose referral handles a violator (CaseStatistics.LawEnforcementTeams; a test keeps them equal), besides police-*.
CREATE FUNCTION stats_law_teams() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['agency-a05', 'agency-criminal-police', 'agency-mcst-broadcasting']
$$;

-- Each case's contribution (a case with nothing to count gets empty arrays). The definitions are docs/statistics.md's; CaseStatistics reads them.
CREATE FUNCTION stats_rows(ids text[]) RETURNS TABLE (case_id text, day date, channel text, team_id text, province text, reporter text, keys text[], counts int[])
LANGUAGE sql STABLE AS $$
  SELECT c.id, (c.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, c.channel, c.team_id, c.province_code, c.reporter_pseudonym,
         COALESCE(array_agg(k.key ORDER BY k.key) FILTER (WHERE k.key IS NOT NULL), '{}'),
         COALESCE(array_agg(k.n ORDER BY k.key) FILTER (WHERE k.key IS NOT NULL), '{}')
  FROM cases c
  CROSS JOIN LATERAL (
    SELECT (NOT (cardinality(c.categories) > 0 AND c.categories <@ ARRAY['INFO', 'NON_CASE']::text[])
            AND COALESCE(c.close_reason, '') NOT IN ('not-child-protection', 'duplicate', 'prank')) AS victim,
           c.close_reason IS DISTINCT FROM 'duplicate' AS counted) AS v
  CROSS JOIN LATERAL (
    SELECT (c.first_response_at IS NOT NULL OR c.intervention_done_at IS NOT NULL
            OR EXISTS (SELECT 1 FROM referrals f WHERE f.case_id = c.id AND f.state IN ('accepted', 'done'))) AS supported,
           (c.status = 'closed'
            OR EXISTS (SELECT 1 FROM referrals f WHERE f.case_id = c.id AND f.state NOT IN ('rejected', 'revoked') AND (f.to_team LIKE 'police-%' OR f.to_team = ANY (stats_law_teams())))
            OR EXISTS (SELECT 1 FROM case_takedowns t WHERE t.case_id = c.id AND t.removed_at IS NOT NULL)) AS handled) AS s
  LEFT JOIN reports o ON o.id = c.id -- the report that opened the case
  LEFT JOIN LATERAL (
    SELECT key, sum(n)::int AS n FROM (
      -- every case, merged duplicates included: its reports
      SELECT 'reports' AS key, count(*)::int AS n FROM reports r WHERE r.case_id = c.id
      UNION ALL
      SELECT x.key, x.n FROM (
        SELECT 'cases', 1
        UNION ALL SELECT 'instance:' || c.channel_instance, 1
        UNION ALL SELECT 'urgency:' || c.urgency, 1
        UNION ALL SELECT 'province:' || COALESCE(c.province_code, 'unknown'), 1
        UNION ALL SELECT 'category:' || k, 1 FROM unnest(CASE WHEN cardinality(c.categories) = 0 THEN ARRAY['unclassified'] ELSE c.categories END) AS k
        UNION ALL SELECT 'role:' || COALESCE(o.envelope -> 'reporter' ->> 'role', 'unknown'), 1
        UNION ALL SELECT 'age:' || COALESCE(o.envelope -> 'reporter' ->> 'ageBand', 'unknown'), 1
        UNION ALL SELECT 'team:' || c.team_id, 1
        UNION ALL SELECT 'team.closed:' || c.team_id, 1 WHERE c.status = 'closed'
        UNION ALL SELECT 'owner.open:' || c.owner_id, 1 WHERE c.owner_id IS NOT NULL AND c.status <> 'closed'
        UNION ALL SELECT 'owner.closed:' || c.owner_id, 1 WHERE c.owner_id IS NOT NULL AND c.status = 'closed'
        UNION ALL SELECT 'close:' || c.close_reason, 1 WHERE c.status = 'closed'
        -- indicator 1
        UNION ALL SELECT 'victim', 1 WHERE v.victim
        UNION ALL SELECT 'supported', 1 WHERE v.victim AND s.supported
        UNION ALL SELECT 'pv.victim:' || COALESCE(c.province_code, 'unknown'), 1 WHERE v.victim
        UNION ALL SELECT 'pv.supported:' || COALESCE(c.province_code, 'unknown'), 1 WHERE v.victim AND s.supported
        -- indicator 2: the distinct URLs and accounts the case's reports name
        UNION ALL SELECT 'viol', count(*)::int FROM (
            SELECT DISTINCT lower(u.x) FROM reports r CROSS JOIN LATERAL (
              SELECT jsonb_array_elements_text(COALESCE(r.envelope -> 'incident' -> 'urls', '[]'::jsonb))
              UNION SELECT jsonb_array_elements_text(COALESCE(r.envelope -> 'incident' -> 'reportedAccounts', '[]'::jsonb))) AS u(x)
            WHERE r.case_id = c.id) AS d
          WHERE v.victim HAVING count(*) > 0
        UNION ALL SELECT 'viol.handled', count(*)::int FROM (
            SELECT DISTINCT lower(u.x) FROM reports r CROSS JOIN LATERAL (
              SELECT jsonb_array_elements_text(COALESCE(r.envelope -> 'incident' -> 'urls', '[]'::jsonb))
              UNION SELECT jsonb_array_elements_text(COALESCE(r.envelope -> 'incident' -> 'reportedAccounts', '[]'::jsonb))) AS u(x)
            WHERE r.case_id = c.id) AS d
          WHERE v.victim AND s.handled HAVING count(*) > 0
        -- the first response and the 12 hours (what depends on the clock is read from the rows)
        UNION ALL SELECT 'fr.responded', 1 WHERE c.first_response_at IS NOT NULL
        UNION ALL SELECT 'fr.ontime', 1 WHERE c.first_response_at <= c.first_response_due
        UNION ALL SELECT 'fr.unanswered', 1 WHERE c.first_response_at IS NULL
        UNION ALL SELECT 'fr.awaiting', 1 WHERE c.first_response_at IS NULL AND c.status <> 'closed'
        UNION ALL SELECT 'h.fr:' || stats_bucket(extract(epoch FROM c.first_response_at - c.received_at)), 1 WHERE c.first_response_at IS NOT NULL
        UNION ALL SELECT 'iv.due', 1 WHERE c.intervention_due IS NOT NULL AND v.victim
        UNION ALL SELECT 'iv.met', 1 WHERE c.intervention_due IS NOT NULL AND v.victim AND c.intervention_done_at <= c.intervention_due
        UNION ALL SELECT 'iv.late', 1 WHERE c.intervention_due IS NOT NULL AND v.victim AND c.intervention_done_at > c.intervention_due
        UNION ALL SELECT 'iv.undone', 1 WHERE c.intervention_due IS NOT NULL AND v.victim AND c.intervention_done_at IS NULL
        -- referrals
        UNION ALL SELECT 'h.ref:' || stats_bucket(extract(epoch FROM min(f.sent_at) - c.received_at)), 1 FROM referrals f WHERE f.case_id = c.id HAVING count(*) > 0
        UNION ALL SELECT 'ref.state:' || f.state, 1 FROM referrals f WHERE f.case_id = c.id
        UNION ALL SELECT 'ref.outcome:' || f.outcome, 1 FROM referrals f WHERE f.case_id = c.id AND f.outcome IS NOT NULL
        UNION ALL SELECT 'ack.n', 1 FROM referrals f WHERE f.case_id = c.id AND f.acknowledged_at IS NOT NULL
        UNION ALL SELECT 'ack.ontime', 1 FROM referrals f WHERE f.case_id = c.id AND f.acknowledged_at <= f.acknowledge_due
        UNION ALL SELECT 'ack.unacked', 1 FROM referrals f WHERE f.case_id = c.id AND f.acknowledged_at IS NULL
        UNION ALL SELECT 'h.ack:' || stats_bucket(extract(epoch FROM f.acknowledged_at - f.sent_at)), 1 FROM referrals f WHERE f.case_id = c.id AND f.acknowledged_at IS NOT NULL
        -- takedowns, per platform
        UNION ALL SELECT 'td:' || t.platform, 1 FROM case_takedowns t WHERE t.case_id = c.id
        UNION ALL SELECT 'td.confirmed:' || t.platform, 1 FROM case_takedowns t WHERE t.case_id = c.id AND t.confirmed_at IS NOT NULL
        UNION ALL SELECT 'td.removed:' || t.platform, 1 FROM case_takedowns t WHERE t.case_id = c.id AND t.removed_at IS NOT NULL
        UNION ALL SELECT 'h.td:' || t.platform || ':' || stats_bucket(extract(epoch FROM t.removed_at - t.requested_at)), 1 FROM case_takedowns t WHERE t.case_id = c.id AND t.removed_at IS NOT NULL
        -- known material: the case once, and once per bank
        UNION ALL SELECT 'known', 1 WHERE EXISTS (SELECT 1 FROM reports r JOIN case_hash_matches m ON m.report_id = r.id WHERE r.case_id = c.id)
        UNION ALL SELECT DISTINCT 'known.bank:' || m.bank, 1 FROM reports r JOIN case_hash_matches m ON m.report_id = r.id WHERE r.case_id = c.id
        -- call-backs
        UNION ALL SELECT 'cb', 1 FROM callback_tasks b WHERE b.case_id = c.id
        UNION ALL SELECT 'cb.done', 1 FROM callback_tasks b WHERE b.case_id = c.id AND b.status = 'done'
        UNION ALL SELECT 'cb.notdone', 1 FROM callback_tasks b WHERE b.case_id = c.id AND b.status <> 'done'
        UNION ALL SELECT 'cb.ontime', 1 FROM callback_tasks b WHERE b.case_id = c.id AND b.status = 'done' AND b.done_at <= b.due_at
        UNION ALL SELECT 'h.cb:' || stats_bucket(extract(epoch FROM b.done_at - b.created_at)), 1 FROM callback_tasks b WHERE b.case_id = c.id AND b.status = 'done'
        -- chats handed over to a person, and the wait for the first reply after the handoff
        UNION ALL SELECT 'ho', 1 FROM reports r WHERE r.case_id = c.id AND (r.envelope -> 'signals' ->> 'handoff') = 'true'
        UNION ALL SELECT 'ho.answered', 1 FROM reports r CROSS JOIN LATERAL (
            SELECT min(x.at) AS at FROM audit x WHERE x.case_id = c.id AND x.action = 'conversation.reply' AND x.at >= r.received_at) AS a
          WHERE r.case_id = c.id AND (r.envelope -> 'signals' ->> 'handoff') = 'true' AND a.at IS NOT NULL
        UNION ALL SELECT 'h.ho:' || stats_bucket(extract(epoch FROM a.at - r.received_at)), 1 FROM reports r CROSS JOIN LATERAL (
            SELECT min(x.at) AS at FROM audit x WHERE x.case_id = c.id AND x.action = 'conversation.reply' AND x.at >= r.received_at) AS a
          WHERE r.case_id = c.id AND (r.envelope -> 'signals' ->> 'handoff') = 'true' AND a.at IS NOT NULL
        -- repeat reporters: the days since the reporter's case before this one and the one before that (all channels; same channel)
        UNION ALL SELECT 'rep:' || p.g1 || ':' || COALESCE(p.g2, 99999), 1 FROM (
            SELECT (array_agg(d ORDER BY at DESC, id DESC))[1] AS g1, (array_agg(d ORDER BY at DESC, id DESC))[2] AS g2 FROM (
              SELECT e.received_at AS at, e.id, ((c.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - (e.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) AS d
              FROM cases e WHERE c.reporter_pseudonym IS NOT NULL AND e.reporter_pseudonym = c.reporter_pseudonym
                AND e.close_reason IS DISTINCT FROM 'duplicate' AND (e.received_at, e.id) < (c.received_at, c.id)
              ORDER BY e.received_at DESC, e.id DESC LIMIT 2) AS e) AS p
          WHERE p.g1 IS NOT NULL
        UNION ALL SELECT 'repc:' || p.g1 || ':' || COALESCE(p.g2, 99999), 1 FROM (
            SELECT (array_agg(d ORDER BY at DESC, id DESC))[1] AS g1, (array_agg(d ORDER BY at DESC, id DESC))[2] AS g2 FROM (
              SELECT e.received_at AS at, e.id, ((c.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - (e.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) AS d
              FROM cases e WHERE c.reporter_pseudonym IS NOT NULL AND e.reporter_pseudonym = c.reporter_pseudonym AND e.channel = c.channel
                AND e.close_reason IS DISTINCT FROM 'duplicate' AND (e.received_at, e.id) < (c.received_at, c.id)
              ORDER BY e.received_at DESC, e.id DESC LIMIT 2) AS e) AS p
          WHERE p.g1 IS NOT NULL
      ) AS x(key, n) WHERE v.counted
    ) AS y GROUP BY key HAVING sum(n) <> 0) AS k ON true
  WHERE c.id = ANY (ids)
  GROUP BY c.id, c.received_at, c.channel, c.team_id, c.province_code, c.reporter_pseudonym
$$;

-- The sums follow case_stats: a case's old contribution out, its new one in, as rows appended to stats_delta.
CREATE FUNCTION stats_daily_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('hub.stats_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO stats_delta (day, channel, key, n)
  SELECT x.day, x.channel, x.key, sum(x.n) FROM (
    SELECT OLD.day, OLD.channel, u.key, -u.n FROM unnest(OLD.keys, OLD.counts) AS u(key, n) WHERE TG_OP <> 'INSERT'
    UNION ALL
    SELECT NEW.day, NEW.channel, u.key, u.n FROM unnest(NEW.keys, NEW.counts) AS u(key, n) WHERE TG_OP <> 'DELETE'
  ) AS x(day, channel, key, n)
  GROUP BY 1, 2, 3 HAVING sum(x.n) <> 0;
  RETURN NULL;
END
$$;
CREATE TRIGGER case_stats_follow AFTER INSERT OR UPDATE OR DELETE ON case_stats FOR EACH ROW EXECUTE FUNCTION stats_daily_follow();

-- Recompute the rows of these cases in case_stats (the folder's and the rebuild's work); a row that did not change is
-- not written. The plan of stats_rows is PostgreSQL's generic one, prepared once per connection: planning its fifty
-- subqueries afresh for each call cost milliseconds.
CREATE FUNCTION stats_refresh(ids text[]) RETURNS void LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  IF ids IS NULL OR cardinality(ids) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM case_stats s WHERE s.case_id = ANY (ids) AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = s.case_id);
  INSERT INTO case_stats AS s SELECT * FROM stats_rows(ids) ORDER BY 1
  ON CONFLICT (case_id) DO UPDATE SET day = excluded.day, channel = excluded.channel, team_id = excluded.team_id,
    province = excluded.province, reporter = excluded.reporter, keys = excluded.keys, counts = excluded.counts
  WHERE (s.day, s.channel, s.team_id, s.province, s.reporter, s.keys, s.counts)
    IS DISTINCT FROM (excluded.day, excluded.channel, excluded.team_id, excluded.province, excluded.reporter, excluded.keys, excluded.counts);
END
$$;

-- The next two counted cases of a reporter after a position, in all channels and in one channel: their "repeat" keys
-- name the cases before them, so a case that comes, goes, moves or is merged changes them too.
CREATE FUNCTION stats_after(p_pseudonym text, p_channel text, p_at timestamptz, p_id text) RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT COALESCE(array_agg(x.id), '{}') FROM (
    (SELECT e.id FROM cases e WHERE e.reporter_pseudonym = p_pseudonym AND e.close_reason IS DISTINCT FROM 'duplicate'
       AND (e.received_at, e.id) > (p_at, p_id) ORDER BY e.received_at, e.id LIMIT 2)
    UNION
    (SELECT e.id FROM cases e WHERE e.reporter_pseudonym = p_pseudonym AND e.close_reason IS DISTINCT FROM 'duplicate' AND e.channel = p_channel
       AND (e.received_at, e.id) > (p_at, p_id) ORDER BY e.received_at, e.id LIMIT 2)) AS x
$$;

-- A case changed: it is dirty, and so are the reporter's next cases when its place among them changed.
CREATE FUNCTION stats_on_case() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids text[] := '{}';
BEGIN
  IF current_setting('hub.stats_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    ids := ids || NEW.id;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    ids := ids || OLD.id;
  END IF;
  IF TG_OP <> 'UPDATE' OR (OLD.reporter_pseudonym, OLD.received_at, OLD.channel, OLD.close_reason IS DISTINCT FROM 'duplicate')
                          IS DISTINCT FROM (NEW.reporter_pseudonym, NEW.received_at, NEW.channel, NEW.close_reason IS DISTINCT FROM 'duplicate') THEN
    IF TG_OP <> 'DELETE' AND NEW.reporter_pseudonym IS NOT NULL THEN
      ids := ids || stats_after(NEW.reporter_pseudonym, NEW.channel, NEW.received_at, NEW.id);
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.reporter_pseudonym IS NOT NULL THEN
      ids := ids || stats_after(OLD.reporter_pseudonym, OLD.channel, OLD.received_at, OLD.id);
    END IF;
  END IF;
  INSERT INTO stats_dirty (case_id) SELECT DISTINCT unnest(ids);
  RETURN NULL;
END
$$;
CREATE TRIGGER cases_stats AFTER INSERT OR UPDATE OR DELETE ON cases FOR EACH ROW EXECUTE FUNCTION stats_on_case();

-- A row that names its case (reports, referrals, takedowns, call-backs, the audit's replies): that case is dirty.
CREATE FUNCTION stats_on_case_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('hub.stats_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO stats_dirty (case_id) VALUES (NEW.case_id);
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO stats_dirty (case_id) VALUES (OLD.case_id);
  ELSE
    INSERT INTO stats_dirty (case_id) SELECT DISTINCT x FROM unnest(ARRAY[OLD.case_id, NEW.case_id]) AS x;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER reports_stats AFTER INSERT OR UPDATE OR DELETE ON reports FOR EACH ROW EXECUTE FUNCTION stats_on_case_row();
CREATE TRIGGER referrals_stats AFTER INSERT OR UPDATE OR DELETE ON referrals FOR EACH ROW EXECUTE FUNCTION stats_on_case_row();
CREATE TRIGGER case_takedowns_stats AFTER INSERT OR UPDATE OR DELETE ON case_takedowns FOR EACH ROW EXECUTE FUNCTION stats_on_case_row();
CREATE TRIGGER callback_tasks_stats AFTER INSERT OR UPDATE OR DELETE ON callback_tasks FOR EACH ROW EXECUTE FUNCTION stats_on_case_row();
CREATE TRIGGER audit_stats AFTER INSERT ON audit FOR EACH ROW WHEN (NEW.action = 'conversation.reply' AND NEW.case_id IS NOT NULL)
  EXECUTE FUNCTION stats_on_case_row();

CREATE FUNCTION stats_on_hash_match() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('hub.stats_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO stats_dirty (case_id) SELECT r.case_id FROM reports r WHERE r.id = NEW.report_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER case_hash_matches_stats AFTER INSERT ON case_hash_matches FOR EACH ROW EXECUTE FUNCTION stats_on_hash_match();

-- What the readers see: each case's contribution (its stored row, or what it contributes now when it is dirty) …
CREATE VIEW stats_cases AS
  SELECT s.case_id, s.day, s.channel, s.team_id, s.province, s.reporter, s.keys, s.counts FROM case_stats s
  WHERE NOT EXISTS (SELECT 1 FROM stats_dirty d WHERE d.case_id = s.case_id)
  UNION ALL
  SELECT * FROM stats_rows(ARRAY(SELECT DISTINCT case_id FROM stats_dirty));

-- … and the sums by day and channel: the folded sums, the delta, and for the dirty cases their contribution now in
-- place of their stored one.
CREATE VIEW stats_days AS
  SELECT day, channel, key, n FROM stats_daily
  UNION ALL
  SELECT day, channel, key, n FROM stats_delta
  UNION ALL
  SELECT r.day, r.channel, u.key, u.n::bigint FROM stats_rows(ARRAY(SELECT DISTINCT case_id FROM stats_dirty)) AS r
    CROSS JOIN LATERAL unnest(r.keys, r.counts) AS u(key, n)
  UNION ALL
  SELECT s.day, s.channel, u.key, -u.n::bigint FROM case_stats s CROSS JOIN LATERAL unnest(s.keys, s.counts) AS u(key, n)
  WHERE s.case_id IN (SELECT case_id FROM stats_dirty);

-- Recompute the dirty cases and fold the delta into stats_daily, in one transaction; returns how many cases it
-- recomputed. One folder at a time (an advisory lock; another returns -1 at once). Changes committed while it runs
-- keep their dirty rows: the DELETE below removes only the rows its snapshot saw, and the recomputation that follows
-- sees at least what they recorded.
CREATE FUNCTION stats_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  ids text[];
BEGIN
  IF NOT pg_try_advisory_xact_lock(4851925068380095812) THEN -- the folders' own lock
    RETURN -1;
  END IF;
  WITH d AS (DELETE FROM stats_dirty RETURNING case_id)
  SELECT COALESCE(array_agg(DISTINCT case_id), '{}') INTO ids FROM d;
  PERFORM stats_refresh(ids);
  WITH d AS (DELETE FROM stats_delta RETURNING day, channel, key, n),
       s AS (SELECT day, channel, key, sum(n) AS n FROM d GROUP BY 1, 2, 3)
  INSERT INTO stats_daily AS t (day, channel, key, n) SELECT day, channel, key, n FROM s ORDER BY 1, 2, 3
  ON CONFLICT (day, channel, key) DO UPDATE SET n = t.n + excluded.n;
  RETURN cardinality(ids);
END
$$;

-- Recompute everything from the rows (cases stats-check --rebuild; after a bulk load with hub.stats_deferred on).
-- Writers wait for it: the tables are locked until it commits, so no change is counted twice or missed.
CREATE FUNCTION stats_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  chunk text[];
BEGIN
  LOCK TABLE case_stats, stats_daily, stats_delta, stats_dirty IN EXCLUSIVE MODE;
  PERFORM set_config('hub.stats_deferred', 'on', true);
  DELETE FROM case_stats;
  DELETE FROM stats_daily;
  DELETE FROM stats_delta;
  DELETE FROM stats_dirty;
  FOR chunk IN SELECT array_agg(id) FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / 50000 AS part FROM cases) AS t GROUP BY part LOOP
    INSERT INTO case_stats SELECT * FROM stats_rows(chunk);
  END LOOP;
  SELECT count(*) INTO n FROM case_stats;
  INSERT INTO stats_daily (day, channel, key, n)
  SELECT s.day, s.channel, u.key, sum(u.n) FROM case_stats s CROSS JOIN LATERAL unnest(s.keys, s.counts) AS u(key, n) GROUP BY 1, 2, 3;
  PERFORM set_config('hub.stats_deferred', 'off', true);
  RETURN n;
END
$$;

-- How far what the readers see is from the rows: the cases whose contribution differs from a recomputation, plus the
-- sums that differ from the cases' contributions. Zero when exact (the tests require it).
CREATE FUNCTION stats_check() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT (SELECT count(*) FROM (
            (SELECT * FROM stats_cases EXCEPT ALL SELECT * FROM stats_rows(ARRAY(SELECT id FROM cases)))
            UNION ALL (SELECT * FROM stats_rows(ARRAY(SELECT id FROM cases)) EXCEPT ALL SELECT * FROM stats_cases)) AS a)
       + (SELECT count(*) FROM (
            SELECT COALESCE(d.day, s.day), COALESCE(d.channel, s.channel), COALESCE(d.key, s.key)
            FROM (SELECT day, channel, key, sum(n) AS n FROM stats_days GROUP BY 1, 2, 3 HAVING sum(n) <> 0) AS d
            FULL JOIN (SELECT s.day, s.channel, u.key, sum(u.n) AS n FROM stats_cases s CROSS JOIN LATERAL unnest(s.keys, s.counts) AS u(key, n) GROUP BY 1, 2, 3) AS s
              ON s.day = d.day AND s.channel = d.channel AND s.key = d.key
            WHERE d.n IS DISTINCT FROM s.n) AS b)
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON case_stats, stats_daily TO hub_app;
GRANT SELECT, INSERT, DELETE ON stats_delta, stats_dirty TO hub_app;
GRANT SELECT ON stats_days, stats_cases TO hub_app;

-- The statistics start exact: every case already in the store.
SELECT stats_rebuild();
