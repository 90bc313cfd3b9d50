import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Queryable } from '../src/db/database';
import { createOneStatementTransitions } from '../src/db/one-statement';
import { createTestDatabase, type TestDatabase } from './helpers';

// A join first reads the meeting and the caller's row by (meeting, email). That read must find
// the row through the unique (meeting_id, email) index whatever the planner's statistics say:
// with statistics taken while each meeting had one participant row (a new install, or the first
// analyse after meetings were created), an index led by the meeting alone looked as good to the
// planner, and every join then walked all of its meeting's participant rows.

const MEETINGS = 300;
const LATER_PER_MEETING = 40;
let tdb: TestDatabase;

before(async () => {
  tdb = await createTestDatabase();
  const db = tdb.db;
  await db.query(
    `INSERT INTO meetings (room_id, creator_id, state)
     SELECT 'plan-' || g, 'host-' || g || '@example.com', 'active' FROM generate_series(1, ${MEETINGS}) g`,
  );
  await db.query(
    `INSERT INTO meeting_participants (meeting_id, email, status, is_host, role, admitted_at)
     SELECT id, creator_id, 'admitted', true, 'host', now() FROM meetings`,
  );
  // Statistics of the moment every meeting has exactly its host…
  await db.query('ANALYZE meetings');
  await db.query('ANALYZE meeting_participants');
  // …then the meetings fill up, with no analyse since (autovacuum has not come round yet).
  await db.query(
    `INSERT INTO meeting_participants (meeting_id, email, status, is_host, joined_at)
     SELECT m.id, 'guest-' || g || '-' || m.id || '@example.com', CASE WHEN g % 2 = 0 THEN 'waiting' ELSE 'left' END, false, now()
     FROM meetings m, generate_series(1, ${LATER_PER_MEETING}) g`,
  );
});

after(async () => {
  await tdb.drop();
});

/** The statement a join reads with, as the API sends it. */
async function findForJoinSql(): Promise<string> {
  let sql: string | undefined;
  const capture: Queryable = {
    query: (text, params, name) => {
      if (name === 'find-for-join') sql = text;
      return tdb.db.query(text, params, name);
    },
  };
  await createOneStatementTransitions(Object.assign(Object.create(tdb.db) as typeof tdb.db, { query: capture.query })).findForJoin('plan-1', 'new@example.com');
  assert.ok(sql, 'the join read was not captured');
  return sql;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOn(plan: PlanNode, relation: string): PlanNode[] {
  const own = plan['Relation Name'] === relation ? [plan] : [];
  return own.concat(...(plan.Plans ?? []).map((p) => nodesOn(p, relation)));
}

test('the join read finds the caller by the unique (meeting, email) index under statistics of one row a meeting', async () => {
  const sql = await findForJoinSql();
  const plan = await tdb.db.transaction(async (tx) => {
    // The plan the API runs after a few executions of its named statement: the generic one.
    await tx.query('SET LOCAL plan_cache_mode = force_generic_plan');
    await tx.query(`PREPARE join_read AS ${sql}`);
    const { rows } = await tx.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) EXECUTE join_read('plan-1', 'new@example.com')`);
    await tx.query('DEALLOCATE join_read');
    return rows[0]!['QUERY PLAN'][0].Plan;
  });
  const participantScans = nodesOn(plan, 'meeting_participants');
  assert.equal(participantScans.length, 1, JSON.stringify(plan));
  assert.equal(participantScans[0]!['Index Name'], 'meeting_participants_meeting_email_key', `participants read as ${participantScans[0]!['Node Type']} ${participantScans[0]!['Index Name'] ?? ''}`);
});
