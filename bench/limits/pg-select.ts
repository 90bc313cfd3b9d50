// Limit (a): one indexed SELECT by primary key per request through a pool the API's size.
// No auth, no token: the one-database-round-trip bound for status-poll, waiting-status-poll, waiting-list and list.
import Fastify from 'fastify';
import pg from 'pg';
import { exitOnSignals, exitWithParent, readLimitEnv } from './limit-env';

const env = readLimitEnv();
const pool = new pg.Pool({ connectionString: env.databaseUrl, max: env.poolSize });
const app = Fastify({ logger: false });

const rowResponse = {
  200: {
    type: 'object',
    properties: {
      success: { type: 'boolean' },
      result: {
        type: 'object',
        properties: { id: { type: 'integer' }, email: { type: 'string' }, status: { type: 'string' }, counter: { type: 'integer' } },
      },
    },
  },
} as const;

app.get('/healthz', async () => ({ ok: true }));
app.get<{ Params: { id: string } }>('/rows/:id', { schema: { response: rowResponse } }, async (req, reply) => {
  const { rows } = await pool.query({
    name: 'select-row',
    text: 'SELECT id, email, status, counter FROM bench_limit_rows WHERE id = $1',
    values: [Number(req.params.id)],
  });
  if (rows.length === 0) return reply.code(404).send({ success: false, result: null });
  return { success: true, result: rows[0] };
});

exitWithParent();
exitOnSignals(async () => {
  await app.close();
  await pool.end();
});
await app.listen({ port: env.port, host: env.host });
