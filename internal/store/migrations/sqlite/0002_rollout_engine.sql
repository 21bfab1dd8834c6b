-- What the rollout engine (internal/rollout) needs beyond 0001.

-- A rollout is "planning" while its instances are still being added page
-- by page; nothing drives it until planning ends. The driver is the one
-- River job allowed to work the rollout: driver_job is its ID, driver_until
-- when its heartbeat lapses (a crashed driver is replaced after that), and
-- driver_generation counts the drivers enqueued so far.
ALTER TABLE rollouts ADD COLUMN planning INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN driver_job INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN driver_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN driver_until INTEGER;

-- payload: what the upgrade of the instance sends, as the engine encoded
-- it at planning (never a secret: supplied values are named, not stored).
-- recheck: an earlier claim may have reached the runtime, so the next one
-- must read the instance's state there before upgrading it again.
ALTER TABLE rollout_instances ADD COLUMN payload BLOB NOT NULL DEFAULT x'';
ALTER TABLE rollout_instances ADD COLUMN recheck INTEGER NOT NULL DEFAULT 0;

-- Shared request budgets (a runtime's rate limit across replicas): the
-- theoretical arrival time of the next request, in microseconds.
CREATE TABLE rate_limits (
    key TEXT    PRIMARY KEY,
    tat INTEGER NOT NULL
);

-- The release a version's change record compares with (the rollback rule
-- follows this chain).
ALTER TABLE package_versions ADD COLUMN previous_version TEXT NOT NULL DEFAULT '';
