/**
 * "Acme Clinic": a customer's site on its own origin with its own backend. Its backend holds an
 * API key (never sent to the browser), creates a meeting per visit and mints a join link for the
 * user who opens the visit page; the page embeds the meeting with `meeting-embed` and shows the
 * frame's events.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createVisits } from './visits';

export interface ExampleOptions {
  /** The Meeting API, as this backend reaches it. */
  apiUrl: string;
  apiKey: string;
  port: number;
  host: string;
}

/** Our own users (a real site has its sign-in; here, one doctor and one patient). */
const USERS = {
  doctor: { id: 'dr.lee@acme-clinic.example', name: 'Dr. Lee' },
  patient: { id: 'sam@patients.acme-clinic.example', name: 'Sam Patient' },
} as const;

const EMBED_ENTRY = fileURLToPath(new URL('../../packages/embed/src/index.ts', import.meta.url));

async function bundleEmbed(): Promise<string> {
  const out = await build({ entryPoints: [EMBED_ENTRY], bundle: true, format: 'iife', globalName: 'MeetingEmbed', target: 'es2020', write: false, logLevel: 'warning' });
  return out.outputFiles[0]!.text;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2433; background: #f4f6fb; }
  header { background: #0b6e4f; color: #fff; padding: 12px 24px; font-weight: 600; }
  main { padding: 16px 24px; display: grid; gap: 16px; grid-template-columns: minmax(0, 1fr) 280px; }
  .frame { height: 620px; background: #fff; border: 1px solid #cfd6e4; border-radius: 8px; overflow: hidden; }
  aside { background: #fff; border: 1px solid #cfd6e4; border-radius: 8px; padding: 12px; }
  ol { padding-left: 20px; margin: 0; font-family: ui-monospace, monospace; font-size: 14px; }
  button, a.button { font: inherit; padding: 8px 14px; border-radius: 6px; border: 0; background: #0b6e4f; color: #fff; text-decoration: none; display: inline-block; }
</style></head><body><header>Acme Clinic · patient portal</header>${body}</body></html>`;
}

function homePage(): string {
  return layout(
    'Acme Clinic',
    `<main style="display:block"><h1>Video visits</h1>
<p>Start a visit: the doctor and the patient each get their own link, made by our backend with its API key.</p>
<form method="post" action="/visits"><button type="submit">Start a visit</button></form></main>`,
  );
}

function visitPage(visitId: string, who: keyof typeof USERS, url: string): string {
  const other = who === 'doctor' ? 'patient' : 'doctor';
  return layout(
    `Visit ${visitId} · ${USERS[who].name}`,
    `<main><div><h1 style="margin-top:0">Visit with ${escape(USERS[who === 'doctor' ? 'patient' : 'doctor'].name)}</h1>
<div class="frame" id="meeting"></div></div>
<aside aria-label="Meeting events"><h2 style="margin-top:0">Events from the meeting</h2><ol id="events"></ol>
<p><button type="button" id="leave">Leave the visit</button></p>
<p><a href="/visits/${encodeURIComponent(visitId)}?as=${other}">Open as the ${other}</a></p></aside></main>
<script src="/meeting-embed.js"></script>
<script>
  window.meetingEvents = [];
  const frame = MeetingEmbed.createMeetingFrame(document.getElementById('meeting'), { url: ${JSON.stringify(url).replace(/</g, '\\u003c')} });
  frame.on('*', (event) => {
    window.meetingEvents.push(event);
    const li = document.createElement('li');
    li.textContent = event.type + (event.count !== undefined ? ' (' + event.count + ')' : '') + (event.code ? ' ' + event.code : '');
    document.getElementById('events').appendChild(li);
  });
  document.getElementById('leave').addEventListener('click', () => frame.leave());
</script>`,
  );
}

export async function startExample(options: ExampleOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const visits = createVisits(options.apiUrl, options.apiKey);
  const embedScript = await bundleEmbed();
  const send = (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://example.invalid');
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', homePage());
    if (req.method === 'GET' && url.pathname === '/meeting-embed.js') return send(res, 200, 'text/javascript; charset=utf-8', embedScript);
    if (req.method === 'POST' && url.pathname === '/visits') {
      const id = await visits.start();
      return send(res, 303, 'text/plain', '', { location: `/visits/${encodeURIComponent(id)}?as=doctor` });
    }
    const visit = /^\/visits\/([A-Za-z0-9_-]{1,255})$/.exec(url.pathname);
    if (req.method === 'GET' && visit) {
      const who = url.searchParams.get('as') === 'patient' ? 'patient' : 'doctor';
      const link = await visits.linkFor(visit[1]!, USERS[who], who === 'doctor' ? 'host' : 'attendee');
      return send(res, 200, 'text/html; charset=utf-8', visitPage(visit[1]!, who, link));
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'Not found');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      send(res, 502, 'text/plain; charset=utf-8', `The meeting service refused: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    url: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
