-- +goose Up
-- JSON documents use the json type, which keeps the text byte for byte (the
-- audit chain hashes it); jsonb would reorder keys. Keys use the "C"
-- collation so that ordering and keyset pagination by id go by code point,
-- as in the SQLite store, whatever the database's default collation.

CREATE TABLE accounts (
    id                text COLLATE "C" PRIMARY KEY,
    name              text NOT NULL,
    date_of_birth     text NOT NULL DEFAULT '',
    id_last4          text NOT NULL DEFAULT '',
    locale            text NOT NULL DEFAULT '',
    timezone          text NOT NULL DEFAULT '',
    phone             text NOT NULL DEFAULT '',
    email             text NOT NULL DEFAULT '',
    portfolio         text NOT NULL DEFAULT '',
    consent_chat      boolean NOT NULL DEFAULT false,
    consent_voice     boolean NOT NULL DEFAULT false,
    consent_sms       boolean NOT NULL DEFAULT false,
    consent_recording boolean NOT NULL DEFAULT false,
    dnc_chat          boolean NOT NULL DEFAULT false,
    dnc_voice         boolean NOT NULL DEFAULT false,
    dnc_sms           boolean NOT NULL DEFAULT false,
    dnc_email         boolean NOT NULL DEFAULT false,
    flag_attorney     boolean NOT NULL DEFAULT false,
    flag_dispute      boolean NOT NULL DEFAULT false,
    flag_bankruptcy   boolean NOT NULL DEFAULT false,
    flag_deceased     boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE debts (
    id                text COLLATE "C" PRIMARY KEY,
    account_id        text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position          integer NOT NULL,
    creditor          text NOT NULL DEFAULT '',
    amount_minor      bigint NOT NULL CHECK (amount_minor >= 0),
    currency          text NOT NULL DEFAULT '',
    due_date          text NOT NULL DEFAULT '',
    days_past_due     integer NOT NULL DEFAULT 0,
    min_payment_minor bigint NOT NULL DEFAULT 0 CHECK (min_payment_minor >= 0)
);
CREATE INDEX debts_account ON debts (account_id, position);

CREATE TABLE conversations (
    id           text COLLATE "C" PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts (id),
    debt_id      text NOT NULL DEFAULT '',
    channel      text NOT NULL DEFAULT '',
    locale       text NOT NULL DEFAULT '',
    mode         text NOT NULL,
    stage        text NOT NULL DEFAULT '',
    state        json,
    outcome      json,
    outcome_type text NOT NULL DEFAULT '',
    version      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    ended_at     timestamptz
);
CREATE INDEX conversations_created ON conversations (created_at, id);
CREATE INDEX conversations_account ON conversations (account_id, created_at, id);
CREATE INDEX conversations_mode ON conversations (mode, created_at, id);

CREATE TABLE turns (
    conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint NOT NULL CHECK (seq >= 1),
    from_party      text NOT NULL,
    text            text NOT NULL,
    meta            json,
    message_id      text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX turns_message ON turns (conversation_id, message_id) WHERE message_id <> '';

CREATE TABLE promises (
    id              text COLLATE "C" PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts (id),
    debt_id         text NOT NULL DEFAULT '',
    conversation_id text NOT NULL DEFAULT '',
    amount_minor    bigint NOT NULL CHECK (amount_minor >= 0),
    currency        text NOT NULL DEFAULT '',
    due_date        text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT '',
    created_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL
);
CREATE INDEX promises_account ON promises (account_id, created_at, id);

CREATE TABLE plans (
    id              text COLLATE "C" PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts (id),
    debt_id         text NOT NULL DEFAULT '',
    conversation_id text NOT NULL DEFAULT '',
    currency        text NOT NULL DEFAULT '',
    total_minor     bigint NOT NULL CHECK (total_minor >= 0),
    installments    json NOT NULL,
    status          text NOT NULL DEFAULT '',
    created_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL
);
CREATE INDEX plans_account ON plans (account_id, created_at, id);

CREATE TABLE escalations (
    id              text COLLATE "C" PRIMARY KEY,
    conversation_id text NOT NULL DEFAULT '',
    account_id      text NOT NULL REFERENCES accounts (id),
    reason          text NOT NULL DEFAULT '',
    priority        integer NOT NULL DEFAULT 0,
    status          text NOT NULL DEFAULT '',
    agent_id        text NOT NULL DEFAULT '',
    packet          json,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX escalations_conversation ON escalations (conversation_id, created_at, id);
CREATE INDEX escalations_status ON escalations (status, created_at, id);
CREATE INDEX escalations_created ON escalations (created_at, id);

CREATE TABLE contact_attempts (
    id         text COLLATE "C" PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (id),
    debt_id    text NOT NULL DEFAULT '',
    channel    text NOT NULL,
    result     text NOT NULL DEFAULT '',
    reason     text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL
);
CREATE INDEX contact_attempts_account ON contact_attempts (account_id, at, id);

CREATE TABLE audit_events (
    chain     text COLLATE "C" NOT NULL,
    seq       bigint NOT NULL CHECK (seq >= 1),
    kind      text NOT NULL,
    data      json,
    at        timestamptz NOT NULL,
    prev_hash text NOT NULL DEFAULT '',
    hash      text NOT NULL DEFAULT '',
    PRIMARY KEY (chain, seq)
);

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
