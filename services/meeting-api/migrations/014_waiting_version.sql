-- The host's waiting-room list is served from a page kept in each API instance, checked
-- against this version in the same statement that reads the meeting and the caller. The
-- version is kept by the same statement-level triggers as the counts, so every change of a
-- row that is or was waiting bumps it, whatever code path made the change (a join, a
-- decision, a rename on a second join, presence, the end of the meeting, a deletion).
ALTER TABLE meetings ADD COLUMN waiting_version BIGINT NOT NULL DEFAULT 0;

-- Adds `sign` × (admitted, waiting) of each row in `rows` to its meeting's counts, and bumps
-- the waiting version of each meeting one of whose waiting rows was added, changed or removed.
CREATE OR REPLACE FUNCTION meeting_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE meetings m
    SET participant_count = m.participant_count + d.admitted, waiting_count = m.waiting_count + d.waiting,
        waiting_version = m.waiting_version + (d.waiting <> 0)::int
    FROM (
      SELECT meeting_id, count(*) FILTER (WHERE status = 'admitted')::int AS admitted, count(*) FILTER (WHERE status = 'waiting')::int AS waiting
      FROM new_rows GROUP BY meeting_id
    ) d
    WHERE m.id = d.meeting_id AND (d.admitted <> 0 OR d.waiting <> 0);
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE meetings m
    SET participant_count = m.participant_count - d.admitted, waiting_count = m.waiting_count - d.waiting,
        waiting_version = m.waiting_version + (d.waiting <> 0)::int
    FROM (
      SELECT meeting_id, count(*) FILTER (WHERE status = 'admitted')::int AS admitted, count(*) FILTER (WHERE status = 'waiting')::int AS waiting
      FROM old_rows GROUP BY meeting_id
    ) d
    WHERE m.id = d.meeting_id AND (d.admitted <> 0 OR d.waiting <> 0);
  ELSE
    UPDATE meetings m
    SET participant_count = m.participant_count + d.admitted, waiting_count = m.waiting_count + d.waiting,
        waiting_version = m.waiting_version + d.touched_waiting::int
    FROM (
      SELECT meeting_id, sum(admitted)::int AS admitted, sum(waiting)::int AS waiting, bool_or(was_or_is_waiting) AS touched_waiting
      FROM (
        SELECT meeting_id, (status = 'admitted')::int AS admitted, (status = 'waiting')::int AS waiting, status = 'waiting' AS was_or_is_waiting FROM new_rows
        UNION ALL
        SELECT meeting_id, -(status = 'admitted')::int, -(status = 'waiting')::int, status = 'waiting' FROM old_rows
      ) changes
      GROUP BY meeting_id
    ) d
    WHERE m.id = d.meeting_id AND (d.admitted <> 0 OR d.waiting <> 0 OR d.touched_waiting);
  END IF;
  RETURN NULL;
END
$$;
