-- Breakwater's own tables on SQLite. Times are integer microseconds since
-- the Unix epoch (UTC): SQLite has no time type and its text timestamps do
-- not sort. Booleans are 0/1.

-- Webhook deliveries, deduplicated by GitHub's X-GitHub-Delivery id.
CREATE TABLE webhook_deliveries (
    id              TEXT    PRIMARY KEY,
    event           TEXT    NOT NULL,
    action          TEXT    NOT NULL DEFAULT '',
    installation_id INTEGER NOT NULL DEFAULT 0,
    repo            TEXT    NOT NULL DEFAULT '',
    payload         BLOB    NOT NULL,
    received_at     INTEGER NOT NULL,
    job_id          INTEGER,
    processed_at    INTEGER
);
CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at);

-- GitHub App installations and the repositories each one covers.
CREATE TABLE installations (
    id           INTEGER PRIMARY KEY,
    account      TEXT    NOT NULL DEFAULT '',
    account_type TEXT    NOT NULL DEFAULT '',
    suspended    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE TABLE installation_repositories (
    installation_id INTEGER NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    repo_id         INTEGER NOT NULL,
    full_name       TEXT    NOT NULL,
    PRIMARY KEY (installation_id, repo_id)
);
CREATE INDEX installation_repositories_full_name ON installation_repositories (lower(full_name));

-- Version history per package, and where each version was deployed.
CREATE TABLE package_versions (
    package          TEXT    NOT NULL,
    version          TEXT    NOT NULL,
    breaking         INTEGER NOT NULL DEFAULT 0,
    auth_changed     INTEGER NOT NULL DEFAULT 0,
    config_changed   INTEGER NOT NULL DEFAULT 0,
    roles_changed    INTEGER NOT NULL DEFAULT 0,
    change_record    BLOB    NOT NULL,
    signature_digest TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    retired_at       INTEGER,
    PRIMARY KEY (package, version)
);
CREATE TABLE version_deployments (
    package        TEXT    NOT NULL,
    version        TEXT    NOT NULL,
    environment    TEXT    NOT NULL,
    deployed_at    INTEGER NOT NULL,
    rolled_back_at INTEGER,
    PRIMARY KEY (package, version, environment),
    FOREIGN KEY (package, version) REFERENCES package_versions (package, version) ON DELETE CASCADE
);

-- Rollouts of a version to an environment, and every instance's state.
CREATE TABLE rollouts (
    id              INTEGER PRIMARY KEY,
    package         TEXT    NOT NULL,
    version         TEXT    NOT NULL,
    environment     TEXT    NOT NULL,
    paused          INTEGER NOT NULL DEFAULT 0,
    tracking_issue  INTEGER NOT NULL DEFAULT 0,
    issue_edited_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (package, version, environment)
);
CREATE TABLE rollout_instances (
    rollout_id  INTEGER NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    instance_id TEXT    NOT NULL,
    owner       TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'in-flight', 'lazy', 'upgraded', 'needs-user', 'failed', 'skipped')),
    message     TEXT    NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_token TEXT,
    lease_until INTEGER,
    not_before  INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (rollout_id, instance_id)
);
CREATE INDEX rollout_instances_state ON rollout_instances (rollout_id, state);

-- Breaking changes accepted with /breakwater accept.
CREATE TABLE accepted_changes (
    repo         TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    accepted_by  TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    pull_request INTEGER NOT NULL DEFAULT 0,
    accepted_at  INTEGER NOT NULL,
    PRIMARY KEY (repo, fingerprint)
);

-- Small values and throttles (the last time something was done).
CREATE TABLE key_values (
    key        TEXT    PRIMARY KEY,
    value      BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);
