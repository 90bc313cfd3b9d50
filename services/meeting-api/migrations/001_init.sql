-- Meetings and their participants (the videocall-rs meeting API "Database Schema").
CREATE TABLE meetings (
  id                SERIAL PRIMARY KEY,
  room_id           VARCHAR(255) NOT NULL,
  creator_id        VARCHAR(255) NOT NULL,
  state             VARCHAR(50)  NOT NULL DEFAULT 'idle'
                    CONSTRAINT meetings_state_check CHECK (state IN ('idle', 'active', 'ended')),
  password_hash     VARCHAR(255),
  attendees         JSONB        NOT NULL DEFAULT '[]'::jsonb,
  started_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
  ended_at          TIMESTAMPTZ,
  deleted_at        TIMESTAMPTZ,
  host_display_name VARCHAR(255),
  created_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT meetings_room_id_format CHECK (room_id ~ '^[A-Za-z0-9_-]{1,255}$')
);

-- A live (non-deleted) id is unique; a soft-deleted id may be reused.
CREATE UNIQUE INDEX meetings_live_room_id_key ON meetings (room_id) WHERE deleted_at IS NULL;
-- "My meetings": the owner's live meetings, newest first.
CREATE INDEX meetings_owner_created_idx ON meetings (creator_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE meeting_participants (
  id           SERIAL PRIMARY KEY,
  meeting_id   INTEGER      NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  email        VARCHAR(255) NOT NULL,
  display_name VARCHAR(255),
  status       VARCHAR(50)  NOT NULL
               CONSTRAINT meeting_participants_status_check CHECK (status IN ('waiting', 'admitted', 'rejected', 'left')),
  is_host      BOOLEAN      NOT NULL DEFAULT false,
  joined_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
  admitted_at  TIMESTAMPTZ,
  left_at      TIMESTAMPTZ,
  created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT meeting_participants_meeting_email_key UNIQUE (meeting_id, email)
);

-- Waiting room, participant list and counts: by meeting and status.
CREATE INDEX meeting_participants_meeting_status_idx ON meeting_participants (meeting_id, status, joined_at);
