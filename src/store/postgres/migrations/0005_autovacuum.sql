-- Autovacuum for the jobs table, which is the worst case for MVCC: every job
-- is inserted, updated twice (claimed, completed) and deleted by retention,
-- leaving about four dead row versions and their index entries behind.
--
-- Migration 1 already lowered the scale factors, so autovacuum is triggered
-- early. What starves it on a busy queue is the cost throttle: by default a
-- vacuum sleeps 2 ms after every 200 cost units, so vacuuming a few hundred
-- MB of dead rows takes minutes while new dead rows arrive faster than it
-- removes them (measured with bench/pg-soak: see docs/postgres.md). The
-- table stays small when vacuum keeps up, so an unthrottled vacuum of it is
-- short; let it run at full speed. Also vacuum after inserts alone (PG 13+),
-- which keeps the visibility map current for freshly enqueued jobs.
ALTER TABLE jobs SET (autovacuum_vacuum_cost_delay = 0,
                      autovacuum_vacuum_insert_scale_factor = 0.02);
