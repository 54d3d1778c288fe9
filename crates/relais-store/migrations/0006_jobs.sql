-- Durable background jobs (src/jobs.rs). A worker claims a job by taking its lease
-- (lease_owner, lease_until) and renews it while it runs; a job whose lease ran out (its
-- worker was killed) is claimed again. Retries wait in run_after, with back-off.
CREATE TABLE jobs (
    id {uuid} PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    result TEXT,
    error TEXT,
    progress_done BIGINT NOT NULL,
    progress_total BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_after {ts} NOT NULL,
    lease_owner TEXT,
    lease_until {ts},
    cancel_requested {bool} NOT NULL,
    created_by {uuid} REFERENCES users(id) ON DELETE SET NULL,
    created_role TEXT NOT NULL,
    created_at {ts} NOT NULL,
    started_at {ts},
    finished_at {ts},
    updated_at {ts} NOT NULL
);
CREATE INDEX jobs_ready ON jobs (status, run_after);
CREATE INDEX jobs_created ON jobs (created_at, id);
CREATE INDEX jobs_owner ON jobs (created_by, created_at);

-- The files a job reads and writes (an import's file, its rejected rows): in the database,
-- so that any worker, on any machine, can run the job, and a backup holds them.
CREATE TABLE job_files (
    job_id {uuid} NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data {blob} NOT NULL,
    PRIMARY KEY (job_id, name)
);
