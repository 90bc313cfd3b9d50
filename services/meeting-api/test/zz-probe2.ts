import net from 'node:net';
import { startTestApp } from './helpers';
const t = await startTestApp();
const { app } = t;
const addr = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(addr);
const big = 'x'.repeat(2 * 1024 * 1024);
let r = await fetch(addr + '/api/v1/meetings', { method: 'POST', headers: { cookie: 'email=a@b.c', 'content-type': 'application/json' }, body: JSON.stringify({ password: big }) });
console.log('2mb', r.status, r.headers.get('content-type'), (await r.text()).slice(0, 200));
r = await fetch(addr + '/api/v1/meetings', { method: 'POST', headers: { cookie: 'email=a@b.c', 'content-type': 'application/json' }, body: JSON.stringify({ password: 'x'.repeat(70000) }) });
console.log('70k', r.status, (await r.text()).slice(0, 200));
const port = Number(new URL(addr).port);
for (const raw of ['GARBAGE\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 'GET /healthz HTTP/9.9\r\n\r\n', 'POST /api/v1/meetings HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n']) {
  const out = await new Promise<string>((res) => { const s = net.connect(port, '127.0.0.1'); let d=''; s.on('data', c => d+=c); s.on('end', () => res(d)); s.on('error', e => res('ERR ' + e.message)); s.write(raw); });
  console.log(JSON.stringify(raw), '=>', JSON.stringify(out));
}
r = await fetch(addr + '/api/v1/meetings/%E0%A4%A', { headers: { cookie: 'email=a@b.c' } });
console.log('pct', r.status, await r.text());
await t.close();
