-- +goose Up
-- The borrower's stated reason for lateness (dialog.Late*: job_loss,
-- illness, ...), a column of its own so that agents' views and reports
-- read it without decoding the engine's state. Earlier conversations take
-- it from their state.
ALTER TABLE conversations ADD COLUMN late_reason TEXT NOT NULL DEFAULT '';
UPDATE conversations SET late_reason = COALESCE(json_extract(state, '$.late_reason'), '')
    WHERE state IS NOT NULL AND json_extract(state, '$.late_reason') IS NOT NULL;

-- +goose Down
ALTER TABLE conversations DROP COLUMN late_reason;
