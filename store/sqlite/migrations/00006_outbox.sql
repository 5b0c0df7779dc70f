-- +goose Up
-- The event outbox: a step's events are committed with the step and
-- deleted once a relay has published them. Rows live seconds, so the
-- table stays a page or two; seq orders them (never reused while the
-- table is not empty, and ids, not seq, are the broker's message ids).
CREATE TABLE event_outbox (
    seq  INTEGER PRIMARY KEY,
    id   TEXT NOT NULL,
    kind TEXT NOT NULL,
    at   TEXT NOT NULL,
    data TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE event_outbox;
