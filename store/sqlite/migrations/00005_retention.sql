-- +goose Up
-- Retention and erasure. Legal holds stop purges and erasures of an
-- account; the purge marks keep a purged conversation out of the next
-- purge's candidates (the audit chain, not these columns, is what
-- `audit verify` trusts); leases let one node at a time run the purge.
CREATE TABLE legal_holds (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    reason         TEXT NOT NULL,
    placed_by      TEXT NOT NULL DEFAULT '',
    placed_at      TEXT NOT NULL,
    released_at    TEXT,
    released_by    TEXT NOT NULL DEFAULT '',
    release_reason TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX legal_holds_account ON legal_holds (account_id, placed_at, id);

ALTER TABLE accounts ADD COLUMN erased_at TEXT;
ALTER TABLE conversations ADD COLUMN transcript_purged_at TEXT;
ALTER TABLE conversations ADD COLUMN audit_purged_at TEXT;
CREATE INDEX conversations_account_updated ON conversations (account_id, updated_at);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE leases;
DROP INDEX conversations_account_updated;
ALTER TABLE conversations DROP COLUMN audit_purged_at;
ALTER TABLE conversations DROP COLUMN transcript_purged_at;
ALTER TABLE accounts DROP COLUMN erased_at;
DROP TABLE legal_holds;
