-- Webhooks: endpoints, and an outbox of deliveries filled by the database itself in the
-- same transaction as every event appended to the meeting log, whatever code path appends it.

-- The API key that created a meeting (null: a person did). Also added by the API keys'
-- migration; whichever runs first creates it.
ALTER TABLE meetings ADD COLUMN IF NOT EXISTS created_by_key_id VARCHAR(64);

CREATE TABLE webhook_endpoints (
  id          VARCHAR(40)   PRIMARY KEY,
  -- The identity that created it: an admin, or `app:<key id>`.
  owner       VARCHAR(255)  NOT NULL,
  -- Set for an API key's endpoint: it receives only the meetings that key created.
  -- Null for an admin's endpoint: every meeting.
  key_id      VARCHAR(64),
  url         VARCHAR(2048) NOT NULL,
  -- Null: every event type.
  events      TEXT[],
  description VARCHAR(1024),
  -- Kept usable: the HMAC of every delivery is computed with it.
  secret      VARCHAR(128)  NOT NULL,
  disabled    BOOLEAN       NOT NULL DEFAULT false,
  created_at  TIMESTAMPTZ   NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ   NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_key_idx ON webhook_endpoints (key_id, created_at);

-- One row per (endpoint, event): the event as the stream carries it, and where its delivery is.
CREATE TABLE webhook_deliveries (
  id               BIGSERIAL    PRIMARY KEY,
  endpoint_id      VARCHAR(40)  NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  -- The meeting instance (meetings.id) and the event's place in its log.
  meeting_id       INTEGER      NOT NULL,
  seq              BIGINT       NOT NULL,
  event_type       VARCHAR(64)  NOT NULL,
  data             JSONB        NOT NULL,
  occurred_at      TIMESTAMPTZ  NOT NULL,
  -- pending → delivered (a 2xx answer) or failed (gave up; later events of the meeting go on).
  status           VARCHAR(16)  NOT NULL DEFAULT 'pending'
                   CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         INTEGER      NOT NULL DEFAULT 0,
  next_attempt_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
  -- An instance sending an attempt holds the row until then; past it, another instance may retry.
  locked_until     TIMESTAMPTZ,
  first_attempt_at TIMESTAMPTZ,
  last_attempt_at  TIMESTAMPTZ,
  last_status_code INTEGER,
  last_error       VARCHAR(512),
  last_duration_ms INTEGER,
  delivered_at     TIMESTAMPTZ,
  created_at       TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT webhook_deliveries_event_key UNIQUE (endpoint_id, meeting_id, seq)
);
-- The worker's claim: due rows, and "is an earlier event of this meeting still pending for this endpoint".
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, meeting_id, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);

-- Fans every appended event out to the enabled endpoints that subscribe to it, in the
-- appending transaction; wakes the workers (on commit) when it queued anything.
CREATE FUNCTION webhook_fanout() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  queued integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE NOT disabled) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_deliveries (endpoint_id, meeting_id, seq, event_type, data, occurred_at)
  SELECT w.id, n.meeting_id, n.seq, n.type,
    jsonb_build_object(
      'seq', n.seq, 'type', n.type, 'meeting_id', m.room_id,
      'occurred_at', floor(extract(epoch from n.occurred_at))::bigint, 'actor', n.actor
    ) || n.payload,
    n.occurred_at
  FROM new_events n
  JOIN meetings m ON m.id = n.meeting_id
  JOIN webhook_endpoints w ON NOT w.disabled
    AND (w.events IS NULL OR n.type = ANY (w.events))
    AND (w.key_id IS NULL OR w.key_id = m.created_by_key_id::text)
  ORDER BY n.meeting_id, n.seq, w.id
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS queued = ROW_COUNT;
  IF queued > 0 THEN
    PERFORM pg_notify('webhook_deliveries', '');
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER meeting_events_webhook_fanout
  AFTER INSERT ON meeting_events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_fanout();
