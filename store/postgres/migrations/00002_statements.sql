-- +goose Up
-- What borrowers state about their rights (cease, dispute, validation,
-- attorney, bankruptcy): account state, written with the turn that stated
-- it, cleared only by the lender with a reason. Channels limits a cease
-- ("" is every channel), comma-separated.
CREATE TABLE statements (
    id              text COLLATE "C" PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            text NOT NULL,
    channels        text NOT NULL DEFAULT '',
    details         json,
    conversation_id text NOT NULL DEFAULT '',
    turn_seq        bigint NOT NULL DEFAULT 0,
    channel         text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL,
    cleared_at      timestamptz,
    cleared_by      text NOT NULL DEFAULT '',
    clear_reason    text NOT NULL DEFAULT ''
);
CREATE INDEX statements_account ON statements (account_id, at, id);

-- +goose Down
DROP TABLE statements;
