-- +goose Up
-- The two lookups that filter on two columns read one index each instead
-- of every row of a mode or a status: an account's conversations in a
-- mode, a conversation's escalations in a status.
CREATE INDEX conversations_account_mode ON conversations (account_id, mode, created_at, id);
CREATE INDEX escalations_conversation_status ON escalations (conversation_id, status, created_at, id);

-- +goose Down
DROP INDEX escalations_conversation_status;
DROP INDEX conversations_account_mode;
