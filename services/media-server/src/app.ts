import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  encodeLeave,
  encodeMediaHeader,
  encodePresence,
  ERROR_STATUS,
  MEDIA_SUBPROTOCOL,
  type ErrorCode,
  type ErrorResponse,
  type PresenceMember,
} from 'meeting-types';
import { createTokenVerifier } from './auth';
import type { MediaServerConfig } from './config';
import { RemoteRoster } from './presence';
import { Rooms } from './rooms';
import { createLocalRelay } from './relay/local-relay';
import type { FrameOrigin, PresenceEvent, Relay } from './relay/relay';

export { loadConfig, type MediaServerConfig } from './config';
export type { Relay } from './relay/relay';
export { createLocalRelay, LocalHub } from './relay/local-relay';
export { connectNatsRelay, NatsRelay } from './relay/nats-relay';

/** Close codes the server sends (see README). */
export const CLOSE_SHUTDOWN = 1001;
export const CLOSE_TOO_BIG = 1009; // sent by ws itself when a frame exceeds maxPayload
export const CLOSE_SLOW_CONSUMER = 1013;
/** A `videocall.v1` client sent a text frame (the subprotocol is binary only). */
export const CLOSE_UNSUPPORTED_DATA = 1003;
/** Each instance repeats its members' presence this often; remote members unheard for 3 periods expire. */
const PRESENCE_REFRESH_MS = 10_000;
/** A slow consumer's close frame sits behind its backlog; after this it is cut at TCP level. */
const SLOW_CONSUMER_GRACE_MS = 2000;
const SHUTDOWN_GRACE_MS = 5000;

interface Member {
  readonly id: number;
  /** Null until the handshake completes: the member already holds its room (and subscription). */
  ws: WebSocket | null;
  readonly room: string;
  readonly identity: string;
  /** `videocall.v1` session id: unique across instances (`<instance>.<conn>`). */
  readonly session: string;
  readonly displayName: string;
  readonly isHost: boolean;
  /** Asked for `videocall.v1`: gets stamped frames and presence. */
  v1: boolean;
  /** The MEDIA header stamped before this member's frames (built once). */
  readonly stamp: Buffer;
  /** Presence announced its arrival (so its departure is announced too). */
  announced: boolean;
  readonly openedAt: number;
  alive: boolean;
  /** Removed from its room (slow consumer or closing): receives nothing more. */
  gone: boolean;
}

export interface MediaServerStats {
  connections: number;
  rooms: number;
  framesIn: number;
  slowConsumerDisconnects: number;
  heartbeatDisconnects: number;
}

export interface MediaServer {
  readonly server: Server;
  readonly relay: Relay;
  /** Listens on `config.port` / `config.host`; resolves with the bound port. */
  listen(): Promise<AddressInfo>;
  /** Graceful: stop accepting, close every client with 1001, close the relay (drains NATS). */
  close(): Promise<void>;
  stats(): MediaServerStats;
}

export interface MediaServerDeps {
  logger?: Logger;
  /** Defaults to a single-instance in-process relay. */
  relay?: Relay;
}

const BINARY = { binary: true } as const;
const TEXT = { binary: false } as const;
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

function envelope(code: ErrorCode, message: string): string {
  const body: ErrorResponse = { success: false, result: { code, message } };
  return JSON.stringify(body);
}

/** Answers a request that will not be upgraded: raw HTTP on the socket, JSON envelope body. */
function rejectUpgrade(socket: Duplex, code: ErrorCode, message: string): void {
  if (socket.destroyed) return;
  const status = ERROR_STATUS[code];
  const body = envelope(code, message);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, code: ErrorCode, message: string): void {
  sendJson(res, ERROR_STATUS[code], envelope(code, message));
}

/** Path and token only; `new URL` would treat `//x` as a host. */
function parseTarget(url: string | undefined): { path: string; query: URLSearchParams } {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1
    ? { path: raw, query: new URLSearchParams() }
    : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

type Route = 'lobby' | 'legacy-lobby' | 'healthz' | 'unknown';
function routeOf(path: string): Route {
  if (path === '/lobby' || path === '/lobby/') return 'lobby';
  if (path.startsWith('/lobby/')) return 'legacy-lobby';
  if (path === '/healthz') return 'healthz';
  return 'unknown';
}

const TOKEN_REQUIRED_MESSAGE =
  'The /lobby/{email}/{room} form is gone: connect with GET /lobby?token=<room_token> from the Meeting API';

/**
 * Builds the HTTP server and the WebSocket relay without listening. Frames a client sends
 * go, byte-identical and in order, to every other member of its room (on this instance and,
 * through the relay, on others); room and identity come only from the token.
 */
export function buildMediaServer(config: MediaServerConfig, deps: MediaServerDeps = {}): MediaServer {
  const logger = deps.logger ?? pino({ level: config.logLevel });
  const relay = deps.relay ?? createLocalRelay();
  const verifyToken = createTokenVerifier(config.jwtSecret);
  const rooms = new Rooms<Member>();
  const members = new Map<WebSocket, Member>();
  const instanceTag = randomBytes(4).toString('hex');
  let nextConnId = 1;
  /** Handshakes past the checks but not yet upgraded: they count against the limit. */
  let pendingJoins = 0;
  let closing: Promise<void> | undefined;
  const counters = { framesIn: 0, slowConsumerDisconnects: 0, heartbeatDisconnects: 0 };

  const remoteRoster = new RemoteRoster(3 * PRESENCE_REFRESH_MS);
  const stamps = new Map<string, Buffer>();
  /** The MEDIA header of a remote sender, cached (a small bounded map). */
  function stampOf(origin: FrameOrigin): Buffer {
    let h = stamps.get(origin.session);
    if (h === undefined) {
      if (stamps.size > 10_000) stamps.clear();
      h = Buffer.from(encodeMediaHeader(origin.session, origin.identity));
      stamps.set(origin.session, h);
    }
    return h;
  }

  const wss = new WebSocketServer({
    noServer: true,
    // `videocall.v1` when offered; otherwise ws's own choice (the first offered), as before.
    handleProtocols: (protocols) => (protocols.has(MEDIA_SUBPROTOCOL) ? MEDIA_SUBPROTOCOL : (protocols.values().next().value ?? false)),
    maxPayload: config.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });

  /** Sends one frame to one receiver, cutting it if its backlog would pass the cap. */
  function deliver(to: Member, data: Buffer, isBinary: boolean): void {
    if (to.gone || to.ws === null || to.ws.readyState !== WebSocket.OPEN) return;
    if (to.ws.bufferedAmount + data.length > config.maxBufferedBytes) {
      cutSlowConsumer(to as Member & { ws: WebSocket });
      return;
    }
    to.ws.send(data, isBinary ? BINARY : TEXT);
  }

  /**
   * Opaque members get the frame as sent; `videocall.v1` members get it behind the sender's
   * stamp (built at most once per frame, only when such a member is there).
   */
  function deliverToRoom(room: string, data: Buffer, isBinary: boolean, sender: Member | undefined, stamp: Buffer | undefined): void {
    const set = rooms.members(room);
    if (set === undefined) return;
    let stamped: Buffer | undefined;
    for (const m of set) {
      if (m === sender) continue;
      if (!m.v1) deliver(m, data, isBinary);
      else if (stamp !== undefined) deliver(m, (stamped ??= Buffer.concat([stamp, data])), true);
    }
  }

  /** Sends a server message (presence) to the room's `videocall.v1` members, except `except`. */
  function tellRoom(room: string, message: Uint8Array, except?: Member): void {
    const set = rooms.members(room);
    if (set === undefined) return;
    const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    for (const m of set) if (m !== except && m.v1 && m.announced) deliver(m, buf, true);
  }

  function presenceOf(m: Member): PresenceMember {
    return { session: m.session, identity: m.identity, displayName: m.displayName, isHost: m.isHost };
  }

  /** A member's handshake completed: welcome it with the roster, tell the room here and elsewhere. */
  function announce(m: Member): void {
    if (m.v1) {
      const ws = m.ws!;
      ws.send(encodePresence('welcome', presenceOf(m)), BINARY);
      for (const other of rooms.members(m.room) ?? []) {
        if (other !== m && other.announced) ws.send(encodePresence('join', presenceOf(other)), BINARY);
      }
      for (const remote of remoteRoster.members(m.room)) ws.send(encodePresence('join', remote), BINARY);
    }
    tellRoom(m.room, encodePresence('join', presenceOf(m)), m);
    m.announced = true;
    relay.publishPresence(m.room, { type: 'join', member: presenceOf(m) });
  }

  function onRemotePresence(room: string, event: PresenceEvent): void {
    const set = rooms.members(room);
    if (set === undefined) return;
    if (event.type === 'leave') {
      if (remoteRoster.remove(room, event.session)) tellRoom(room, encodeLeave(event.session));
      return;
    }
    if (remoteRoster.upsert(room, event.member, Date.now())) tellRoom(room, encodePresence('join', event.member));
    if (event.type === 'join') {
      // A newcomer's instance learns who is here.
      for (const m of set) if (m.announced) relay.publishPresence(room, { type: 'here', member: presenceOf(m) });
    }
  }

  relay.start(
    (room, data, isBinary, origin) => deliverToRoom(room, data, isBinary, undefined, origin === undefined ? undefined : stampOf(origin)),
    onRemotePresence,
  );

  const presenceTimer = setInterval(() => {
    for (const { room, session } of remoteRoster.expire(Date.now())) tellRoom(room, encodeLeave(session));
    for (const m of members.values()) {
      if (m.announced && !m.gone) relay.publishPresence(m.room, { type: 'here', member: presenceOf(m) });
    }
  }, PRESENCE_REFRESH_MS);
  presenceTimer.unref();

  function removeFromRoom(m: Member): void {
    if (m.gone) return;
    m.gone = true;
    const wasLast = rooms.leave(m.room, m);
    if (m.announced) {
      tellRoom(m.room, encodeLeave(m.session));
      relay.publishPresence(m.room, { type: 'leave', session: m.session });
    }
    if (wasLast) {
      remoteRoster.dropRoom(m.room);
      relay.leave(m.room);
    }
  }

  function cutSlowConsumer(m: Member & { ws: WebSocket }): void {
    counters.slowConsumerDisconnects++;
    logger.warn(
      { conn: m.id, room: m.room, identity: m.identity, bufferedBytes: m.ws.bufferedAmount },
      'slow consumer disconnected',
    );
    removeFromRoom(m);
    m.ws.close(CLOSE_SLOW_CONSUMER, 'slow consumer');
    setTimeout(() => m.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  // Shared listeners (`this` is the socket): no closures per connection.
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const m = members.get(this);
    if (m === undefined || m.gone) return;
    if (m.v1 && !isBinary) {
      this.close(CLOSE_UNSUPPORTED_DATA, 'videocall.v1 is binary only');
      return;
    }
    counters.framesIn++;
    const buf = data as Buffer; // binaryType 'nodebuffer': always one Buffer
    deliverToRoom(m.room, buf, isBinary, m, m.stamp);
    relay.publish(m.room, buf, isBinary, m.id, m);
  }

  function onPong(this: WebSocket): void {
    const m = members.get(this);
    if (m !== undefined) m.alive = true;
  }

  function onError(this: WebSocket, err: Error): void {
    const m = members.get(this);
    // ws closes the socket itself after an error (e.g. 1009 for an oversized frame).
    logger.debug({ conn: m?.id, err: err.message }, 'websocket error');
  }

  function onClose(this: WebSocket, code: number, reason: Buffer): void {
    const m = members.get(this);
    if (m === undefined) return;
    members.delete(this);
    removeFromRoom(m);
    logger.info(
      {
        conn: m.id,
        room: m.room,
        identity: m.identity,
        code,
        reason: reason.length > 0 ? reason.toString('utf8').slice(0, 123) : undefined,
        durationMs: Date.now() - m.openedAt,
      },
      'connection closed',
    );
  }

  const heartbeat = setInterval(() => {
    for (const [ws, m] of members) {
      if (!m.alive) {
        counters.heartbeatDisconnects++;
        logger.info({ conn: m.id, room: m.room, identity: m.identity }, 'no pong since the last ping; dropping peer');
        removeFromRoom(m);
        ws.terminate();
        continue;
      }
      m.alive = false;
      ws.ping();
    }
  }, config.heartbeatMs);
  heartbeat.unref();

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const { path, query } = parseTarget(req.url);
    const route = routeOf(path);
    if (route === 'legacy-lobby') return rejectUpgrade(socket, 'TOKEN_REQUIRED', TOKEN_REQUIRED_MESSAGE);
    if (route !== 'lobby') return rejectUpgrade(socket, 'NOT_FOUND', `Route ${req.method} ${path.slice(0, 100)} not found`);
    if (req.method !== 'GET') return rejectUpgrade(socket, 'METHOD_NOT_ALLOWED', `Method ${req.method} not allowed on /lobby`);
    if (closing) return rejectUpgrade(socket, 'SERVICE_UNAVAILABLE', 'Server is shutting down');

    const check = await verifyToken(query.get('token') ?? undefined);
    if (!check.ok) {
      logger.info({ code: check.code, reason: check.message }, 'connection refused');
      return rejectUpgrade(socket, check.code, check.message);
    }
    const key = req.headers['sec-websocket-key'];
    const version = req.headers['sec-websocket-version'];
    if (
      req.headers.upgrade?.toLowerCase() !== 'websocket' ||
      key === undefined ||
      !WS_KEY.test(key.trim()) ||
      (version !== '13' && version !== '8')
    ) {
      return rejectUpgrade(socket, 'INVALID_REQUEST', 'Not a valid WebSocket handshake');
    }
    // Handshakes waiting on the relay count too, so concurrent ones cannot overshoot the limit.
    if (closing) return rejectUpgrade(socket, 'SERVICE_UNAVAILABLE', 'Server is shutting down');
    if (members.size + pendingJoins >= config.maxConnections) {
      logger.warn({ limit: config.maxConnections }, 'connection limit reached');
      return rejectUpgrade(
        socket,
        'TOO_MANY_CONNECTIONS',
        `This Media Server instance is at its limit of ${config.maxConnections} connections; try again later`,
      );
    }

    const { claims } = check;
    const id = nextConnId++;
    const session = `${instanceTag}.${id}`;
    const m: Member = {
      id,
      ws: null,
      room: claims.room,
      identity: claims.sub,
      session,
      displayName: claims.display_name || claims.sub,
      isHost: claims.is_host,
      v1: false,
      stamp: Buffer.from(encodeMediaHeader(session, claims.sub)),
      announced: false,
      openedAt: Date.now(),
      alive: true,
      gone: false,
    };
    // Join (and subscribe) before answering 101, so the client misses no frame sent after its handshake.
    if (rooms.join(m.room, m)) relay.join(m.room);
    pendingJoins++;
    try {
      await relay.ready(m.room);
    } finally {
      pendingJoins--;
    }
    if (closing || socket.destroyed) {
      removeFromRoom(m);
      return rejectUpgrade(socket, 'SERVICE_UNAVAILABLE', 'Server is shutting down');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      m.ws = ws;
      m.v1 = ws.protocol === MEDIA_SUBPROTOCOL;
      members.set(ws, m);
      ws.on('message', onMessage);
      ws.on('pong', onPong);
      ws.on('error', onError);
      ws.on('close', onClose);
      logger.info({ conn: m.id, room: m.room, identity: m.identity, host: claims.is_host, protocol: ws.protocol || undefined }, 'connection opened');
      announce(m);
    });
    // ws completes the upgrade synchronously, or drops a socket that died meanwhile without calling back.
    if (m.ws === null) removeFromRoom(m);
  }

  function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const { path } = parseTarget(req.url);
    const route = routeOf(path);
    if (route === 'healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 'METHOD_NOT_ALLOWED', `Method ${req.method} not allowed`);
      if (closing) return sendError(res, 'SERVICE_UNAVAILABLE', 'Server is shutting down');
      return sendJson(res, 200, JSON.stringify({ success: true, result: { status: 'ok' } }));
    }
    if (route === 'legacy-lobby') return sendError(res, 'TOKEN_REQUIRED', TOKEN_REQUIRED_MESSAGE);
    if (route === 'lobby') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 'METHOD_NOT_ALLOWED', `Method ${req.method} not allowed on /lobby`);
      // Same answers as the upgrade path, so a token can be checked with curl.
      void verifyToken(parseTarget(req.url).query.get('token') ?? undefined).then((check) => {
        if (!check.ok) return sendError(res, check.code, check.message);
        sendError(res, 'INVALID_REQUEST', 'Expected a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)');
      });
      return;
    }
    sendError(res, 'NOT_FOUND', `Route ${req.method} ${path.slice(0, 100)} not found`);
  }

  const server = createServer(handleRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(req, socket, head).catch((err: unknown) => {
      logger.error({ err }, 'upgrade failed');
      socket.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    rejectUpgrade(socket, 'INVALID_REQUEST', 'Malformed HTTP request');
  });

  async function shutdown(): Promise<void> {
    clearInterval(heartbeat);
    clearInterval(presenceTimer);
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const open = [...members.keys()];
    logger.info({ connections: open.length }, 'shutting down: closing client connections with 1001');
    // Clients that never answer the close frame are cut at the deadline.
    const deadline = setTimeout(() => {
      for (const ws of members.keys()) ws.terminate();
    }, SHUTDOWN_GRACE_MS);
    deadline.unref();
    await Promise.all(
      open.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close(CLOSE_SHUTDOWN, 'server shutting down');
          }),
      ),
    );
    clearTimeout(deadline);
    await relay.close();
    wss.close();
    server.closeAllConnections();
    await serverClosed;
    logger.info('media server stopped');
  }

  return {
    server,
    relay,
    listen() {
      return new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          logger.info(
            { port: address.port, host: address.address, relay: relay.kind, instance: instanceTag },
            'media server listening',
          );
          resolve(address);
        });
      });
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
    stats() {
      return { connections: members.size, rooms: rooms.roomCount, ...counters };
    },
  };
}
