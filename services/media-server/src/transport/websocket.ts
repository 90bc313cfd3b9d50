import { isOperatorRequest, type OperatorAccess } from 'service-runtime';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { TokenCheck } from '../auth';
import type { Enforcement } from '../enforcement/enforcement';
import type { Membership } from '../membership/membership';
import { METRICS_CONTENT_TYPE, type MediaMetrics } from '../metrics';
import type { Relay } from '../relay/relay';
import { MEDIA_SUBPROTOCOL, MediaCloseCode } from 'meeting-types';
import { AddressRateLimiter } from './rate-limit';
import { SenderBudget, type SenderBudgetOptions } from './sender-budget';
import { parseTarget, rejectUpgrade, routeOf, sendError, sendJson, TOKEN_REQUIRED_MESSAGE } from './http';

const SHUTDOWN_GRACE_MS = 5000;
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

export interface TransportOptions {
  maxConnections: number;
  maxFrameBytes: number;
  /** Sockets per token subject and room (pending handshakes included). */
  maxConnectionsPerIdentity: number;
  /** Sockets per token subject across all rooms of this instance (pending handshakes included). */
  maxConnectionsPerIdentityTotal: number;
  /** Request headers must arrive whole within this; partial ones are cut (checked every second). */
  headersTimeoutMs: number;
  /** Upgrade attempts per client address and minute; 0 = no limit. */
  upgradeRatePerMinute: number;
  /** Per-sender byte and frame budget: a sender over it is paused (never its receivers cut for it). */
  senderBudget: SenderBudgetOptions;
  /** Serve `GET /metrics` (`METRICS`). */
  metrics: boolean;
  /** The body of `GET /version` for operators (commit, Node version), serialized once. */
  versionBody: string;
  /** The body of `GET /version` for everyone else (name and release only). */
  briefVersionBody: string;
  /** Who reads `/metrics` and the full `/version` (`METRICS_TOKEN`). */
  operatorAccess: OperatorAccess;
}

export interface TransportParts {
  options: TransportOptions;
  logger: Logger;
  verifyToken: (token: string | undefined) => Promise<TokenCheck>;
  membership: Membership;
  relay: Relay;
  enforcement: Enforcement;
  metrics: MediaMetrics;
}

export interface Transport {
  readonly server: Server;
  /** Graceful: stop accepting, close every client with 1001, then the relay. Idempotent. */
  close(): Promise<void>;
  readonly counters: { identityRefusals: number; rateLimited: number; senderThrottles: number };
}


/**
 * The HTTP side: `/healthz`, the `/lobby` upgrade and its refusals (JSON envelope before any
 * upgrade), the WebSocket listeners and close codes, and the graceful shutdown.
 */
export function createTransport(parts: TransportParts): Transport {
  const { options, logger, verifyToken, membership, relay, enforcement, metrics } = parts;
  /** Handshakes past the checks but not yet upgraded: they count against the limit. */
  let pendingJoins = 0;
  let closing: Promise<void> | undefined;
  const counters = { identityRefusals: 0, rateLimited: 0, senderThrottles: 0 };
  const budgeted = options.senderBudget.bytesPerSec > 0 || options.senderBudget.framesPerSec > 0;
  const budgets = new WeakMap<WebSocket, SenderBudget>();
  /** Senders paused until their debt refills. */
  const paused = new WeakSet<WebSocket>();
  const limiter = options.upgradeRatePerMinute > 0 ? new AddressRateLimiter(options.upgradeRatePerMinute) : undefined;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    // `videocall.v1` when offered; otherwise ws's own choice (the first offered), as before.
    handleProtocols: (protocols) => (protocols.has(MEDIA_SUBPROTOCOL) ? MEDIA_SUBPROTOCOL : (protocols.values().next().value ?? false)),
  });

  // Shared listeners (`this` is the socket): no closures per connection.
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const m = membership.memberOf(this);
    if (m === undefined || m.gone) return;
    if (m.v1 && !isBinary) {
      this.close(MediaCloseCode.UnsupportedData, 'videocall.v1 is binary only');
      return;
    }
    const buf = data as Buffer; // binaryType 'nodebuffer': always one Buffer
    metrics.frames.in++;
    metrics.bytes.in += buf.length;
    membership.deliverToRoom(m.room, buf, isBinary, m, m.stamp);
    relay.publish(m.room, buf, isBinary, m.id, m);
    const budget = budgets.get(this);
    if (budget === undefined) return;
    const wait = budget.spend(buf.length);
    if (wait > 0 && !paused.has(this)) {
      // The sender pays its debt in time: not read meanwhile, so TCP slows it down, not its receivers.
      counters.senderThrottles++;
      const ws: WebSocket = this as WebSocket;
      paused.add(ws);
      ws.pause();
      setTimeout(() => {
        paused.delete(ws);
        ws.resume();
      }, Math.ceil(wait)).unref();
    }
  }

  function onPong(this: WebSocket): void {
    membership.markAlive(this);
  }

  function onError(this: WebSocket, err: Error): void {
    const m = membership.memberOf(this);
    // ws closes the socket itself after an error (e.g. 1009 for an oversized frame).
    logger.debug({ conn: m?.id, err: err.message }, 'websocket error');
  }

  function onClose(this: WebSocket, code: number, reason: Buffer): void {
    const m = membership.detach(this);
    if (m === undefined) return;
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

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const { path, query } = parseTarget(req.url);
    const route = routeOf(path);
    if (route === 'legacy-lobby') return rejectUpgrade(socket, 'TOKEN_REQUIRED', TOKEN_REQUIRED_MESSAGE);
    if (route !== 'lobby') return rejectUpgrade(socket, 'NOT_FOUND', `Route ${req.method} ${path.slice(0, 100)} not found`);
    if (req.method !== 'GET') return rejectUpgrade(socket, 'METHOD_NOT_ALLOWED', `Method ${req.method} not allowed on /lobby`);
    if (closing) return rejectUpgrade(socket, 'SERVICE_UNAVAILABLE', 'Server is shutting down');
    if (limiter !== undefined) {
      // Before the token check, so a flood costs no signature verification.
      const retryAfter = limiter.take(req.socket.remoteAddress ?? '');
      if (retryAfter > 0) {
        counters.rateLimited++;
        return rejectUpgrade(
          socket,
          'RATE_LIMITED',
          `Too many connection attempts from this address (limit ${options.upgradeRatePerMinute} a minute); retry in ${retryAfter} s`,
          retryAfter,
        );
      }
    }

    const check = await verifyToken(query.get('token') ?? undefined);
    if (!check.ok) {
      metrics.tokenRefusals.inc({ reason: check.reason });
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
    const { claims } = check;
    const admitted = enforcement.admit(claims);
    const refusal = admitted instanceof Promise ? await admitted : admitted;
    if (refusal !== undefined) {
      // A revoked token is a token refusal; "catching up on decisions" (503) is not about the token.
      if (refusal.code === 'TOKEN_REVOKED') metrics.tokenRefusals.inc({ reason: 'revoked' });
      logger.info({ code: refusal.code, reason: refusal.message, room: claims.room, identity: claims.sub }, 'connection refused');
      return rejectUpgrade(socket, refusal.code, refusal.message);
    }
    // Handshakes waiting on the relay count too, so concurrent ones cannot overshoot the limit.
    if (closing) return rejectUpgrade(socket, 'SERVICE_UNAVAILABLE', 'Server is shutting down');
    if (membership.size + pendingJoins >= options.maxConnections) {
      logger.warn({ limit: options.maxConnections }, 'connection limit reached');
      return rejectUpgrade(
        socket,
        'TOO_MANY_CONNECTIONS',
        `This Media Server instance is at its limit of ${options.maxConnections} connections; try again later`,
      );
    }

    // Checked synchronously right before joining: pending handshakes count, so a burst cannot overshoot.
    if (membership.connectionsOf(claims.room, claims.sub) >= options.maxConnectionsPerIdentity) {
      counters.identityRefusals++;
      logger.info({ room: claims.room, identity: claims.sub, limit: options.maxConnectionsPerIdentity }, 'connection refused: identity limit');
      return rejectUpgrade(
        socket,
        'TOO_MANY_IDENTITY_CONNECTIONS',
        `This identity already has ${options.maxConnectionsPerIdentity} connections to this room (MEDIA_MAX_CONNECTIONS_PER_IDENTITY); close one first`,
      );
    }

    if (membership.connectionsOfIdentity(claims.sub) >= options.maxConnectionsPerIdentityTotal) {
      counters.identityRefusals++;
      logger.info({ identity: claims.sub, limit: options.maxConnectionsPerIdentityTotal }, 'connection refused: identity limit across rooms');
      return rejectUpgrade(
        socket,
        'TOO_MANY_IDENTITY_CONNECTIONS',
        `This identity already has ${options.maxConnectionsPerIdentityTotal} connections on this Media Server (MEDIA_MAX_CONNECTIONS_PER_IDENTITY_TOTAL); close one first`,
      );
    }

    // Join (and subscribe) before answering 101, so the client misses no frame sent after its handshake.
    const m = membership.reserve(
      claims.room,
      claims.sub,
      { displayName: claims.display_name, isHost: claims.is_host },
      { mid: claims.mid, esq: claims.esq },
    );
    pendingJoins++;
    try {
      await relay.ready(m.room);
    } finally {
      pendingJoins--;
    }
    if (closing || socket.destroyed) {
      membership.removeFromRoom(m);
      return rejectUpgrade(socket, 'SERVICE_UNAVAILABLE', 'Server is shutting down');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      membership.attach(m, ws);
      if (budgeted) budgets.set(ws, new SenderBudget(options.senderBudget));
      ws.on('message', onMessage);
      ws.on('pong', onPong);
      ws.on('error', onError);
      ws.on('close', onClose);
      logger.info(
        { conn: m.id, room: m.room, identity: m.identity, host: claims.is_host, protocol: ws.protocol || undefined },
        'connection opened',
      );
    });
    // ws completes the upgrade synchronously, or drops a socket that died meanwhile without calling back.
    if (m.ws === null) membership.removeFromRoom(m);
  }

  function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const { path } = parseTarget(req.url);
    const route = routeOf(path);
    if (route === 'healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 'METHOD_NOT_ALLOWED', `Method ${req.method} not allowed`);
      if (closing) return sendError(res, 'SERVICE_UNAVAILABLE', 'Server is shutting down');
      return sendJson(res, 200, JSON.stringify({ success: true, result: { status: 'ok' } }));
    }
    if (route === 'version') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 'METHOD_NOT_ALLOWED', `Method ${req.method} not allowed`);
      return sendJson(res, 200, isOperatorRequest(req.headers.authorization, options.operatorAccess) ? options.versionBody : options.briefVersionBody);
    }
    if (route === 'metrics' && options.metrics) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 'METHOD_NOT_ALLOWED', `Method ${req.method} not allowed`);
      if (!isOperatorRequest(req.headers.authorization, options.operatorAccess)) {
        return sendError(res, 'UNAUTHORIZED', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
      }
      metrics.scrape().then(
        (body) => {
          res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
          res.end(body);
        },
        (err: unknown) => {
          logger.error({ err }, 'metrics scrape failed');
          sendError(res, 'INTERNAL_ERROR', 'Metrics are unavailable');
        },
      );
      return;
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

  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: Math.max(options.headersTimeoutMs, 30_000),
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs),
    },
    handleRequest,
  );
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
    membership.stopHeartbeat();
    membership.stopPresence();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const open = [...membership.sockets()];
    logger.info({ connections: open.length }, 'shutting down: closing client connections with 1001');
    // Clients that never answer the close frame are cut at the deadline.
    const deadline = setTimeout(() => {
      for (const ws of membership.sockets()) ws.terminate();
    }, SHUTDOWN_GRACE_MS);
    deadline.unref();
    await Promise.all(
      open.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close(MediaCloseCode.Shutdown, 'server shutting down');
          }),
      ),
    );
    clearTimeout(deadline);
    await enforcement.close();
    await relay.close();
    wss.close();
    server.closeAllConnections();
    await serverClosed;
    logger.info('media server stopped');
  }

  return {
    server,
    counters,
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
