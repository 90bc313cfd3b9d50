// Limit (d): a bare `ws` server that relays every frame to every other connection of its
// group, byte-identical: no auth, no token, no room logic beyond one Map lookup.
// The group is the `room` query parameter (default: one group), so the same client code
// drives both relay-fanout and relay-rooms against it.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { exitOnSignals, exitWithParent, readLimitEnv } from './limit-env';

const env = readLimitEnv();
const groups = new Map<string, Set<WebSocket>>();

const server = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
  res.end('{}');
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const room = new URL(req.url ?? '/', 'http://x').searchParams.get('room') ?? '';
  let members = groups.get(room);
  if (members === undefined) {
    members = new Set();
    groups.set(room, members);
  }
  const group = members;
  group.add(ws);
  ws.on('message', (data, isBinary) => {
    for (const peer of group) {
      if (peer !== ws && peer.readyState === peer.OPEN) peer.send(data, { binary: isBinary });
    }
  });
  ws.on('close', () => {
    group.delete(ws);
    if (group.size === 0) groups.delete(room);
  });
  ws.on('error', () => ws.terminate());
});

exitWithParent();
exitOnSignals(
  () =>
    new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.close(() => resolve());
    }),
);
server.listen(env.port, env.host);
