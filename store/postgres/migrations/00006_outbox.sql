-- +goose Up
-- The event outbox: a step's events are committed with the step and
-- deleted once a relay has published them; seq orders them, ids are the
-- broker's message ids.
CREATE TABLE event_outbox (
    seq  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id   text COLLATE "C" NOT NULL,
    kind text NOT NULL,
    at   timestamptz NOT NULL,
    data json NOT NULL
);

-- +goose Down
DROP TABLE event_outbox;
