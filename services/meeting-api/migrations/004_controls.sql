-- Meeting controls (the meeting-controls extension): settings on meetings, roles and bans on participants.
-- Every default reproduces the videocall-rs meeting API.
ALTER TABLE meetings
  ADD COLUMN waiting_room_enabled BOOLEAN     NOT NULL DEFAULT true,
  ADD COLUMN admit_policy         VARCHAR(20) NOT NULL DEFAULT 'any_admitted'
             CONSTRAINT meetings_admit_policy_check CHECK (admit_policy IN ('any_admitted', 'hosts')),
  ADD COLUMN host_leave_policy    VARCHAR(20) NOT NULL DEFAULT 'end_meeting'
             CONSTRAINT meetings_host_leave_policy_check CHECK (host_leave_policy IN ('end_meeting', 'transfer')),
  ADD COLUMN locked               BOOLEAN     NOT NULL DEFAULT false,
  ADD COLUMN max_participants     INTEGER
             CONSTRAINT meetings_max_participants_check CHECK (max_participants BETWEEN 2 AND 1000),
  ADD COLUMN allow_guests         BOOLEAN     NOT NULL DEFAULT false;

ALTER TABLE meeting_participants
  ADD COLUMN role   VARCHAR(20) NOT NULL DEFAULT 'attendee'
         CONSTRAINT meeting_participants_role_check CHECK (role IN ('host', 'cohost', 'attendee')),
  ADD COLUMN banned BOOLEAN     NOT NULL DEFAULT false;

UPDATE meeting_participants SET role = 'host' WHERE is_host;

-- `is_host` stays (the videocall-rs meeting API's column and field) and is exactly "role is host".
ALTER TABLE meeting_participants
  ADD CONSTRAINT meeting_participants_is_host_role_check CHECK (is_host = (role = 'host'));

ALTER TABLE meeting_participants DROP CONSTRAINT meeting_participants_status_check;
ALTER TABLE meeting_participants ADD CONSTRAINT meeting_participants_status_check
  CHECK (status IN ('waiting', 'admitted', 'rejected', 'left', 'removed'));

-- At most one host per meeting, whatever the races.
CREATE UNIQUE INDEX meeting_participants_one_host_key ON meeting_participants (meeting_id) WHERE role = 'host';
