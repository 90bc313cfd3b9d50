-- The meetings list reads its counts from the meeting row instead of counting
-- participants per request. The counts are kept by the database itself, in the same
-- statement (and so the same transaction) as every change of a participant row, whatever
-- code path made it: statement-level triggers add up the change per meeting, so an
-- admit-all of 1,000 people is one UPDATE of the meeting, not 1,000.
ALTER TABLE meetings
  ADD COLUMN participant_count INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN waiting_count     INTEGER NOT NULL DEFAULT 0;

UPDATE meetings m
SET participant_count = c.admitted, waiting_count = c.waiting
FROM (
  SELECT meeting_id,
    count(*) FILTER (WHERE status = 'admitted')::int AS admitted,
    count(*) FILTER (WHERE status = 'waiting')::int AS waiting
  FROM meeting_participants
  GROUP BY meeting_id
) c
WHERE c.meeting_id = m.id;

-- Adds `sign` × (admitted, waiting) of each row in `rows` to its meeting's counts.
CREATE FUNCTION meeting_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE meetings m
    SET participant_count = m.participant_count + d.admitted, waiting_count = m.waiting_count + d.waiting
    FROM (
      SELECT meeting_id, count(*) FILTER (WHERE status = 'admitted')::int AS admitted, count(*) FILTER (WHERE status = 'waiting')::int AS waiting
      FROM new_rows GROUP BY meeting_id
    ) d
    WHERE m.id = d.meeting_id AND (d.admitted <> 0 OR d.waiting <> 0);
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE meetings m
    SET participant_count = m.participant_count - d.admitted, waiting_count = m.waiting_count - d.waiting
    FROM (
      SELECT meeting_id, count(*) FILTER (WHERE status = 'admitted')::int AS admitted, count(*) FILTER (WHERE status = 'waiting')::int AS waiting
      FROM old_rows GROUP BY meeting_id
    ) d
    WHERE m.id = d.meeting_id AND (d.admitted <> 0 OR d.waiting <> 0);
  ELSE
    UPDATE meetings m
    SET participant_count = m.participant_count + d.admitted, waiting_count = m.waiting_count + d.waiting
    FROM (
      SELECT meeting_id, sum(admitted)::int AS admitted, sum(waiting)::int AS waiting
      FROM (
        SELECT meeting_id, (status = 'admitted')::int AS admitted, (status = 'waiting')::int AS waiting FROM new_rows
        UNION ALL
        SELECT meeting_id, -(status = 'admitted')::int, -(status = 'waiting')::int FROM old_rows
      ) changes
      GROUP BY meeting_id
    ) d
    WHERE m.id = d.meeting_id AND (d.admitted <> 0 OR d.waiting <> 0);
  END IF;
  RETURN NULL;
END
$$;

-- One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
CREATE TRIGGER meeting_counts_insert AFTER INSERT ON meeting_participants
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION meeting_counts_apply();
CREATE TRIGGER meeting_counts_update AFTER UPDATE ON meeting_participants
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION meeting_counts_apply();
CREATE TRIGGER meeting_counts_delete AFTER DELETE ON meeting_participants
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION meeting_counts_apply();
