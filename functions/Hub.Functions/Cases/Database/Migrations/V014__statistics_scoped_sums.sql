-- V014: the roll-up's sums by team and province too (docs/statistics.md#speed). Applied once; never edited.
--
-- V013 summed the cases' contributions by day and channel only: the whole country's dashboard read ~25,000 sums for a
-- year, but a province's supervisor (their teams' and their province's cases) still read each case's row — 69,000
-- rows of ~60 contributions for one province's year of 5,000,000 cases, 2.1 s. stats_scoped keeps the same sums by
-- (team, day, channel, province): a scope — teams OR provinces — and a province filter select whole sums, since each
-- case contributes to exactly one of them. The unknown province is '' here (a key column cannot be null).
-- stats_delta carries the team and province of each difference; stats_fold() moves it into both tables in its one
-- transaction; the view stats_scoped_days counts dirty cases live exactly as stats_days does; stats_rebuild() and
-- stats_check() cover the new sums.

ALTER TABLE stats_delta ADD COLUMN team_id text NOT NULL DEFAULT '', ADD COLUMN province text NOT NULL DEFAULT '';

CREATE TABLE stats_scoped (
  team_id  text NOT NULL,
  day      date NOT NULL,
  channel  text NOT NULL,
  province text NOT NULL,          -- '' = unknown
  key      text NOT NULL,
  n        bigint NOT NULL,
  PRIMARY KEY (team_id, day, channel, province, key)
);
CREATE INDEX stats_scoped_province ON stats_scoped (province, day);

CREATE OR REPLACE FUNCTION stats_daily_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('hub.stats_deferred', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO stats_delta (day, channel, team_id, province, key, n)
  SELECT x.day, x.channel, x.team_id, x.province, x.key, sum(x.n) FROM (
    SELECT OLD.day, OLD.channel, OLD.team_id, COALESCE(OLD.province, ''), u.key, -u.n FROM unnest(OLD.keys, OLD.counts) AS u(key, n) WHERE TG_OP <> 'INSERT'
    UNION ALL
    SELECT NEW.day, NEW.channel, NEW.team_id, COALESCE(NEW.province, ''), u.key, u.n FROM unnest(NEW.keys, NEW.counts) AS u(key, n) WHERE TG_OP <> 'DELETE'
  ) AS x(day, channel, team_id, province, key, n)
  GROUP BY 1, 2, 3, 4, 5 HAVING sum(x.n) <> 0;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION stats_fold() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  ids text[];
BEGIN
  IF NOT pg_try_advisory_xact_lock(4851925068380095812) THEN -- the folders' own lock
    RETURN -1;
  END IF;
  WITH d AS (DELETE FROM stats_dirty RETURNING case_id)
  SELECT COALESCE(array_agg(DISTINCT case_id), '{}') INTO ids FROM d;
  PERFORM stats_refresh(ids);
  WITH d AS (DELETE FROM stats_delta RETURNING day, channel, team_id, province, key, n),
       daily AS (
         INSERT INTO stats_daily AS t (day, channel, key, n)
         SELECT day, channel, key, sum(n) FROM d GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
         ON CONFLICT (day, channel, key) DO UPDATE SET n = t.n + excluded.n)
  INSERT INTO stats_scoped AS t (team_id, day, channel, province, key, n)
  SELECT team_id, day, channel, province, key, sum(n) FROM d GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (team_id, day, channel, province, key) DO UPDATE SET n = t.n + excluded.n;
  RETURN cardinality(ids);
END
$$;

CREATE OR REPLACE FUNCTION stats_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  chunk text[];
BEGIN
  LOCK TABLE case_stats, stats_daily, stats_scoped, stats_delta, stats_dirty IN EXCLUSIVE MODE;
  PERFORM set_config('hub.stats_deferred', 'on', true);
  DELETE FROM case_stats;
  DELETE FROM stats_daily;
  DELETE FROM stats_scoped;
  DELETE FROM stats_delta;
  DELETE FROM stats_dirty;
  FOR chunk IN SELECT array_agg(id) FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / 50000 AS part FROM cases) AS t GROUP BY part LOOP
    INSERT INTO case_stats SELECT * FROM stats_rows(chunk);
  END LOOP;
  SELECT count(*) INTO n FROM case_stats;
  INSERT INTO stats_scoped (team_id, day, channel, province, key, n)
  SELECT s.team_id, s.day, s.channel, COALESCE(s.province, ''), u.key, sum(u.n)
  FROM case_stats s CROSS JOIN LATERAL unnest(s.keys, s.counts) AS u(key, n) GROUP BY 1, 2, 3, 4, 5;
  INSERT INTO stats_daily (day, channel, key, n)
  SELECT t.day, t.channel, t.key, sum(t.n) FROM stats_scoped t GROUP BY 1, 2, 3;
  PERFORM set_config('hub.stats_deferred', 'off', true);
  RETURN n;
END
$$;

-- The sums by team, day, channel and province, exact at every moment (as stats_days).
CREATE VIEW stats_scoped_days AS
  SELECT team_id, day, channel, province, key, n FROM stats_scoped
  UNION ALL
  SELECT team_id, day, channel, province, key, n FROM stats_delta
  UNION ALL
  SELECT r.team_id, r.day, r.channel, COALESCE(r.province, ''), u.key, u.n::bigint FROM stats_rows(ARRAY(SELECT DISTINCT case_id FROM stats_dirty)) AS r
    CROSS JOIN LATERAL unnest(r.keys, r.counts) AS u(key, n)
  UNION ALL
  SELECT s.team_id, s.day, s.channel, COALESCE(s.province, ''), u.key, -u.n::bigint FROM case_stats s CROSS JOIN LATERAL unnest(s.keys, s.counts) AS u(key, n)
  WHERE s.case_id IN (SELECT case_id FROM stats_dirty);

CREATE OR REPLACE FUNCTION stats_check() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT (SELECT count(*) FROM (
            (SELECT * FROM stats_cases EXCEPT ALL SELECT * FROM stats_rows(ARRAY(SELECT id FROM cases)))
            UNION ALL (SELECT * FROM stats_rows(ARRAY(SELECT id FROM cases)) EXCEPT ALL SELECT * FROM stats_cases)) AS a)
       + (SELECT count(*) FROM (
            SELECT COALESCE(d.day, s.day), COALESCE(d.channel, s.channel), COALESCE(d.key, s.key)
            FROM (SELECT day, channel, key, sum(n) AS n FROM stats_days GROUP BY 1, 2, 3 HAVING sum(n) <> 0) AS d
            FULL JOIN (SELECT s.day, s.channel, u.key, sum(u.n) AS n FROM stats_cases s CROSS JOIN LATERAL unnest(s.keys, s.counts) AS u(key, n) GROUP BY 1, 2, 3) AS s
              ON s.day = d.day AND s.channel = d.channel AND s.key = d.key
            WHERE d.n IS DISTINCT FROM s.n) AS b)
       + (SELECT count(*) FROM (
            SELECT COALESCE(d.day, s.day)
            FROM (SELECT team_id, day, channel, province, key, sum(n) AS n FROM stats_scoped_days GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0) AS d
            FULL JOIN (SELECT s.team_id, s.day, s.channel, COALESCE(s.province, '') AS province, u.key, sum(u.n) AS n
                       FROM stats_cases s CROSS JOIN LATERAL unnest(s.keys, s.counts) AS u(key, n) GROUP BY 1, 2, 3, 4, 5) AS s
              ON s.team_id = d.team_id AND s.day = d.day AND s.channel = d.channel AND s.province = d.province AND s.key = d.key
            WHERE d.n IS DISTINCT FROM s.n) AS c)
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON stats_scoped TO hub_app;
GRANT SELECT ON stats_scoped_days TO hub_app;

SELECT stats_rebuild();
