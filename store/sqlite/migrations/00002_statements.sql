-- +goose Up
-- What borrowers state about their rights (cease, dispute, validation,
-- attorney, bankruptcy): account state, written with the turn that stated
-- it, cleared only by the lender with a reason. Channels limits a cease
-- ("" is every channel), comma-separated.
CREATE TABLE statements (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    channels        TEXT NOT NULL DEFAULT '',
    details         TEXT CHECK (details IS NULL OR json_valid(details)),
    conversation_id TEXT NOT NULL DEFAULT '',
    turn_seq        INTEGER NOT NULL DEFAULT 0,
    channel         TEXT NOT NULL DEFAULT '',
    at              TEXT NOT NULL,
    cleared_at      TEXT,
    cleared_by      TEXT NOT NULL DEFAULT '',
    clear_reason    TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX statements_account ON statements (account_id, at, id);

-- +goose Down
DROP TABLE statements;
