-- The hot lifecycle statements (a join, an admit, a reject: one statement each) keep their
-- meeting's counts and waiting version themselves, in the same UPDATE of the meeting row that
-- bumps its event counter, and mark the statement as counted (`meeting.counted_statement` set
-- to the statement's own start time, for the rest of its transaction). The statement-level
-- triggers skip a statement so marked: one new version of the meeting row per transition
-- instead of two, and no trigger query. Every other write is counted by the triggers as before.
-- A counted statement must be a transaction of its own (the API runs them outside any BEGIN):
-- its mark lasts until its transaction ends.
-- (The whole function is restated: CREATE OR REPLACE needs the whole body.)
CREATE OR REPLACE FUNCTION meeting_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Counted by the statement itself (see above).
  IF current_setting('meeting.counted_statement', true) = statement_timestamp()::text THEN
    RETURN NULL;
  END IF;
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
