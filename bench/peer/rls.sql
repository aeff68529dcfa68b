-- The peer's view of the city: PostgreSQL's row-level security giving the
-- role `gridgov_peer` exactly the rows gridgov's scopes give each principal.
-- A principal's scope is one range of grid codes, [gridgov.lo, gridgov.hi),
-- which PostGraphile sets per request from the principal named in the
-- request (graphile.config.mjs): an admin's range holds every code, a
-- community manager's the codes under the community's 12 digits, a grid
-- worker's the one grid. A range on the indexed code column, not LIKE:
-- the planner reads it as an index range.
--
-- Run by the tables' owner; the owner (gridgov's own role) is not subject
-- to these policies, so gridgov's server reading the same database is
-- unaffected. Idempotent.
GRANT USAGE ON SCHEMA public TO gridgov_peer;
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['residents', 'households', 'dwellings', 'buildings'] LOOP
    EXECUTE format('GRANT SELECT ON %I TO gridgov_peer', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS peer_scope ON %I', t);
    EXECUTE format(
      'CREATE POLICY peer_scope ON %I FOR SELECT TO gridgov_peer USING '
      '(grid_code >= current_setting(''gridgov.lo'') AND grid_code < current_setting(''gridgov.hi''))',
      t);
  END LOOP;
END $$;

-- gridgov keeps a household's head without a foreign key (a head is
-- registered after the household); a smart tag gives the peer the same
-- relation, household → head.
COMMENT ON TABLE households IS E'@foreignKey (head_resident_id) references residents (id)|@fieldName head';
