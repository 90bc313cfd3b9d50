-- Presence: who really holds a live media connection, as the Media Servers report it,
-- and the early-knock setting. Every default reproduces the videocall-rs meeting API.
ALTER TABLE meetings ADD COLUMN early_knock BOOLEAN NOT NULL DEFAULT false;

-- `connected`: at least one live media connection now (kept with the presence rows below,
-- in the same transactions). `disconnected_at`: when the last one closed; auto-leave reads it
-- only when it is at or after `admitted_at`, so someone who never connected since their
-- latest admission is never auto-left.
ALTER TABLE meeting_participants
  ADD COLUMN connected       BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN disconnected_at TIMESTAMPTZ;

-- Auto-leave candidates, found without scanning everyone.
CREATE INDEX meeting_participants_disconnected_idx ON meeting_participants (disconnected_at)
  WHERE status = 'admitted' AND NOT connected AND disconnected_at IS NOT NULL;

-- One row per live Media Server instance; its reports renew the lease.
CREATE TABLE media_instances (
  id          VARCHAR(64) PRIMARY KEY,
  lease_until TIMESTAMPTZ NOT NULL
);

-- Who is connected to which instance (no foreign key to the instance: an expired instance is
-- deleted first, then its rows are settled one participant at a time).
CREATE TABLE media_presence (
  instance   VARCHAR(64)  NOT NULL,
  meeting_id INTEGER      NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  email      VARCHAR(255) NOT NULL,
  since      TIMESTAMPTZ  NOT NULL DEFAULT now(),
  PRIMARY KEY (instance, meeting_id, email)
);
CREATE INDEX media_presence_participant_idx ON media_presence (meeting_id, email);
