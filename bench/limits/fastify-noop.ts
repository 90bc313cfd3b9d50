// Limit (c): a Fastify route with no I/O: the framework bound (information only).
import Fastify from 'fastify';
import { exitOnSignals, exitWithParent, readLimitEnv } from './limit-env';

const env = readLimitEnv();
const app = Fastify({ logger: false });

app.get('/healthz', async () => ({ ok: true }));
app.get<{ Params: { id: string } }>('/rows/:id', async (req) => ({ success: true, result: { id: Number(req.params.id) } }));

exitWithParent();
exitOnSignals(() => app.close());
await app.listen({ port: env.port, host: env.host });
