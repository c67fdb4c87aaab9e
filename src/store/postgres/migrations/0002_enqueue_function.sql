-- {{schema}}.enqueue(): lets other applications enqueue a job inside their
-- own transaction, so the job exists if and only if their transaction
-- commits. Fires the same wake-up as Steward's own inserts (through the
-- jobs_notify_insert trigger, delivered at commit). Returns the new job's id,
-- or the id of the unfinished job that already holds unique_key.
--
--   SELECT {{schema}}.enqueue('email.send', '{"to": "a@example.com"}');
--   SELECT {{schema}}.enqueue('report', '{}', run_at => now() + interval '1 hour',
--                             unique_key => 'report:2026-01-01');
CREATE FUNCTION enqueue(
    kind text,
    payload jsonb,
    run_at timestamptz DEFAULT now(),
    queue text DEFAULT 'default',
    priority integer DEFAULT 0,
    max_attempts integer DEFAULT 20,
    unique_key text DEFAULT NULL)
  RETURNS bigint
  LANGUAGE plpgsql
  -- Resolve jobs etc. in this schema whatever the caller's search_path.
  SET search_path FROM CURRENT
AS $$
#variable_conflict use_variable
DECLARE
  new_id bigint;
  attempt_no integer := 0;
BEGIN
  IF kind IS NULL OR kind !~ '^[A-Za-z0-9_.:-]{1,128}$' THEN
    RAISE EXCEPTION 'kind must be 1-128 characters of letters, digits and _ . : -'
      USING ERRCODE = '22023';
  END IF;
  IF queue IS NULL OR queue !~ '^[A-Za-z0-9_.:-]{1,128}$' THEN
    RAISE EXCEPTION 'queue must be 1-128 characters of letters, digits and _ . : -'
      USING ERRCODE = '22023';
  END IF;
  IF priority IS NULL OR priority < -1000 OR priority > 1000 THEN
    RAISE EXCEPTION 'priority must be in -1000..1000' USING ERRCODE = '22023';
  END IF;
  IF max_attempts IS NULL OR max_attempts < 1 OR max_attempts > 1000 THEN
    RAISE EXCEPTION 'max_attempts must be in 1..1000' USING ERRCODE = '22023';
  END IF;
  IF run_at IS NULL THEN
    run_at := now();
  END IF;
  -- A concurrent transaction may finish the job holding the key between
  -- our insert and our lookup; try again then (rarely more than twice).
  LOOP
    INSERT INTO jobs AS j (queue, kind, payload, priority, run_at, max_attempts, state,
                           unique_key, created_at)
    VALUES (queue, kind, payload::json, priority, run_at, max_attempts,
            CASE WHEN run_at > now() THEN 'scheduled' ELSE 'available' END,
            unique_key, now())
    ON CONFLICT DO NOTHING
    RETURNING j.id INTO new_id;
    IF new_id IS NOT NULL THEN
      RETURN new_id;
    END IF;
    SELECT j.id INTO new_id FROM jobs AS j
     WHERE j.unique_key = enqueue.unique_key
       AND j.state NOT IN ('completed', 'discarded', 'cancelled');
    IF new_id IS NOT NULL THEN
      RETURN new_id;
    END IF;
    attempt_no := attempt_no + 1;
    IF attempt_no > 5 THEN
      RAISE EXCEPTION 'could not insert or find a job with unique_key %', unique_key
        USING ERRCODE = '40001';
    END IF;
  END LOOP;
END
$$;
