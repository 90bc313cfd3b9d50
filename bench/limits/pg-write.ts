// Limit (b): one transaction with one INSERT and one UPDATE per request: the write bound for join-admit.
import Fastify from 'fastify';
import pg from 'pg';
import { exitOnSignals, exitWithParent, readLimitEnv } from './limit-env';

const env = readLimitEnv();
const pool = new pg.Pool({ connectionString: env.databaseUrl, max: env.poolSize });
const app = Fastify({ logger: false });

app.get('/healthz', async () => ({ ok: true }));
app.post<{ Params: { id: string } }>('/rows/:id', async (req) => {
  const id = Number(req.params.id);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query({ name: 'insert-event', text: 'INSERT INTO bench_limit_events (row_id) VALUES ($1)', values: [id] });
    const { rows } = await client.query({
      name: 'update-row',
      text: 'UPDATE bench_limit_rows SET counter = counter + 1, updated_at = now() WHERE id = $1 RETURNING counter',
      values: [id],
    });
    await client.query('COMMIT');
    return { success: true, result: rows[0] ?? null };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
});

exitWithParent();
exitOnSignals(async () => {
  await app.close();
  await pool.end();
});
await app.listen({ port: env.port, host: env.host });
