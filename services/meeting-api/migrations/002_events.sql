-- The ordered, replayable log of meeting events (the live-events extension).
-- `event_seq` is the per-meeting counter: appending bumps it under the meeting
-- row's lock in the same transaction as the change, so `seq` has no gaps and
-- is assigned in commit order even with several API instances.
ALTER TABLE meetings ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE meeting_events (
  meeting_id  INTEGER      NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  seq         BIGINT       NOT NULL,
  type        VARCHAR(64)  NOT NULL,
  -- Who caused it (identity), or null for the service itself.
  actor       VARCHAR(255),
  -- The participant a participant.* event is about (visibility and enforcement).
  subject     VARCHAR(255),
  payload     JSONB        NOT NULL,
  occurred_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
  PRIMARY KEY (meeting_id, seq)
);

-- Retention and the enforcement feed read by time.
CREATE INDEX meeting_events_occurred_idx ON meeting_events (occurred_at);
