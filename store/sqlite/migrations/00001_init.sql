-- +goose Up
-- Times are text in UTC, fixed width (2006-01-02T15:04:05.000000Z), so text
-- order is time order. JSON documents are kept byte for byte (the audit
-- chain hashes them) and checked with json_valid.

CREATE TABLE accounts (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    date_of_birth     TEXT NOT NULL DEFAULT '',
    id_last4          TEXT NOT NULL DEFAULT '',
    locale            TEXT NOT NULL DEFAULT '',
    timezone          TEXT NOT NULL DEFAULT '',
    phone             TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    portfolio         TEXT NOT NULL DEFAULT '',
    consent_chat      INTEGER NOT NULL DEFAULT 0,
    consent_voice     INTEGER NOT NULL DEFAULT 0,
    consent_sms       INTEGER NOT NULL DEFAULT 0,
    consent_recording INTEGER NOT NULL DEFAULT 0,
    dnc_chat          INTEGER NOT NULL DEFAULT 0,
    dnc_voice         INTEGER NOT NULL DEFAULT 0,
    dnc_sms           INTEGER NOT NULL DEFAULT 0,
    dnc_email         INTEGER NOT NULL DEFAULT 0,
    flag_attorney     INTEGER NOT NULL DEFAULT 0,
    flag_dispute      INTEGER NOT NULL DEFAULT 0,
    flag_bankruptcy   INTEGER NOT NULL DEFAULT 0,
    flag_deceased     INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;

CREATE TABLE debts (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    creditor          TEXT NOT NULL DEFAULT '',
    amount_minor      INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency          TEXT NOT NULL DEFAULT '',
    due_date          TEXT NOT NULL DEFAULT '',
    days_past_due     INTEGER NOT NULL DEFAULT 0,
    min_payment_minor INTEGER NOT NULL DEFAULT 0 CHECK (min_payment_minor >= 0)
) STRICT;
CREATE INDEX debts_account ON debts (account_id, position);

CREATE TABLE conversations (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    debt_id      TEXT NOT NULL DEFAULT '',
    channel      TEXT NOT NULL DEFAULT '',
    locale       TEXT NOT NULL DEFAULT '',
    mode         TEXT NOT NULL,
    stage        TEXT NOT NULL DEFAULT '',
    state        TEXT CHECK (state IS NULL OR json_valid(state)),
    outcome      TEXT CHECK (outcome IS NULL OR json_valid(outcome)),
    outcome_type TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    ended_at     TEXT
) STRICT;
CREATE INDEX conversations_created ON conversations (created_at, id);
CREATE INDEX conversations_account ON conversations (account_id, created_at, id);
CREATE INDEX conversations_mode ON conversations (mode, created_at, id);

CREATE TABLE turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    from_party      TEXT NOT NULL,
    text            TEXT NOT NULL,
    meta            TEXT CHECK (meta IS NULL OR json_valid(meta)),
    message_id      TEXT NOT NULL DEFAULT '',
    at              TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX turns_message ON turns (conversation_id, message_id) WHERE message_id <> '';

CREATE TABLE promises (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    debt_id         TEXT NOT NULL DEFAULT '',
    conversation_id TEXT NOT NULL DEFAULT '',
    amount_minor    INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency        TEXT NOT NULL DEFAULT '',
    due_date        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX promises_account ON promises (account_id, created_at, id);

CREATE TABLE plans (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    debt_id         TEXT NOT NULL DEFAULT '',
    conversation_id TEXT NOT NULL DEFAULT '',
    currency        TEXT NOT NULL DEFAULT '',
    total_minor     INTEGER NOT NULL CHECK (total_minor >= 0),
    installments    TEXT NOT NULL CHECK (json_valid(installments)),
    status          TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX plans_account ON plans (account_id, created_at, id);

CREATE TABLE escalations (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL DEFAULT '',
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    reason          TEXT NOT NULL DEFAULT '',
    priority        INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT '',
    agent_id        TEXT NOT NULL DEFAULT '',
    packet          TEXT CHECK (packet IS NULL OR json_valid(packet)),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX escalations_conversation ON escalations (conversation_id, created_at, id);
CREATE INDEX escalations_status ON escalations (status, created_at, id);
CREATE INDEX escalations_created ON escalations (created_at, id);

CREATE TABLE contact_attempts (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    debt_id    TEXT NOT NULL DEFAULT '',
    channel    TEXT NOT NULL,
    result     TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL
) STRICT;
CREATE INDEX contact_attempts_account ON contact_attempts (account_id, at, id);

CREATE TABLE audit_events (
    chain     TEXT NOT NULL,
    seq       INTEGER NOT NULL CHECK (seq >= 1),
    kind      TEXT NOT NULL,
    data      TEXT CHECK (data IS NULL OR json_valid(data)),
    at        TEXT NOT NULL,
    prev_hash TEXT NOT NULL DEFAULT '',
    hash      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (chain, seq)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE audit_events;
DROP TABLE contact_attempts;
DROP TABLE escalations;
DROP TABLE plans;
DROP TABLE promises;
DROP TABLE turns;
DROP TABLE conversations;
DROP TABLE debts;
DROP TABLE accounts;
