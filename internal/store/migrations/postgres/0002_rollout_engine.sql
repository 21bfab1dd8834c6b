-- What the rollout engine (internal/rollout) needs beyond 0001; the same
-- model as SQLite's 0002_rollout_engine.sql.

ALTER TABLE rollouts ADD COLUMN planning boolean NOT NULL DEFAULT false;
ALTER TABLE rollouts ADD COLUMN driver_job bigint NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN driver_generation bigint NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN driver_until timestamptz;

ALTER TABLE rollout_instances ADD COLUMN payload bytea NOT NULL DEFAULT '';
ALTER TABLE rollout_instances ADD COLUMN recheck boolean NOT NULL DEFAULT false;

-- tat is microseconds since the Unix epoch, as on SQLite: the arithmetic
-- stays the same on both backends.
CREATE TABLE rate_limits (
    key text   PRIMARY KEY,
    tat bigint NOT NULL
);

ALTER TABLE package_versions ADD COLUMN previous_version text NOT NULL DEFAULT '';
