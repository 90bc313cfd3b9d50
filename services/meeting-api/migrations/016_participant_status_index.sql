-- The index for "who is waiting / admitted in this meeting" leads with the status instead of
-- the meeting. Led by the meeting, it could also serve a lookup of one person by meeting and
-- email, and with statistics taken while each meeting had about one participant row (a new
-- install, or the first analyse after meetings were created) the planner priced both indexes
-- the same and took this one: every join's read then walked all of its meeting's participant
-- rows (1.2 ms and ~130 buffers a join in a bench of 65 attendees a meeting, growing with the
-- meeting, until the next analyse). Led by the status, it cannot serve that lookup, which can
-- then only use the unique (meeting_id, email) index, whatever the statistics say; every query
-- that names a status (waiting lists, counts, admit-all) still finds its rows by (status,
-- meeting_id) in joined_at order.
DROP INDEX meeting_participants_meeting_status_idx;
CREATE INDEX meeting_participants_status_meeting_idx ON meeting_participants (status, meeting_id, joined_at);
