-- fyd's PostgreSQL schema, version 1. Applied by fyd-server at start (store/postgres.rs), under
-- an advisory lock, once per database. Rules the schema cannot state (what an email key is,
-- how a quota day is encoded) are written once in Rust and shared with the sled store.

-- Users and courses each count from 1; an id is never handed out twice (a refused insert
-- may leave a gap).
CREATE SEQUENCE user_ids;
CREATE SEQUENCE course_ids;

CREATE TABLE users (
    id            BIGINT PRIMARY KEY DEFAULT nextval('user_ids'),
    email         TEXT NOT NULL,
    -- fyd_core::account::email_key(email): trimmed and lower-cased, unique.
    email_key     TEXT NOT NULL UNIQUE,
    nickname      TEXT NOT NULL,
    -- The nickname lower-cased (Rust's rules, as sled's index): unique.
    nickname_key  TEXT NOT NULL UNIQUE,
    -- argon2id PHC string.
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
ALTER SEQUENCE user_ids OWNED BY users.id;

-- A login session (one refresh-token lineage); logout and reuse detection delete it.
CREATE TABLE sessions (
    id                 TEXT PRIMARY KEY,
    user_id            BIGINT NOT NULL,
    refresh_generation BIGINT NOT NULL
);

-- A course as its wire JSON, served byte for byte as it was written (text, never jsonb,
-- which would reorder keys and respace it).
CREATE TABLE courses (
    id     BIGINT PRIMARY KEY DEFAULT nextval('course_ids'),
    author BIGINT NOT NULL,
    json   TEXT NOT NULL
);
ALTER SEQUENCE course_ids OWNED BY courses.id;
-- A user's newest courses, and the next page below an id: one index range scan.
CREATE INDEX courses_by_author ON courses (author, id DESC);

-- A course's one share link, keyed by the SHA-256 of its token (the token is never stored);
-- deleting the course deletes its link.
CREATE TABLE shares (
    token_hash    BYTEA PRIMARY KEY,
    course        BIGINT NOT NULL UNIQUE REFERENCES courses (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    expires_at    BIGINT,
    show_nickname BOOLEAN NOT NULL
);

-- One user's Seoul day of quota: units spent and the holds in flight with their deadlines,
-- in the encoding of store/quota_day.rs (shared with sled). Changed only under the row's lock
-- (SELECT … FOR UPDATE / INSERT … ON CONFLICT DO UPDATE), so every replica sees one count.
CREATE TABLE quota_days (
    user_id BIGINT NOT NULL,
    day     TEXT NOT NULL,
    record  BYTEA NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- Failed logins (Unix milliseconds), counted by the login throttle of every replica.
CREATE TABLE login_failures (
    email_key TEXT NOT NULL,
    at_ms     BIGINT NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures (email_key, at_ms);
CREATE INDEX login_failures_by_age ON login_failures (at_ms);

-- `fyd-server migrate`: the sled stores copied in, so a rerun resumes instead of refusing.
CREATE TABLE sled_imports (
    source      TEXT PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
