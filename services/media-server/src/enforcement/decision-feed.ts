import type { Logger } from 'pino';
import { Compile } from 'typebox/compile';
import { DecisionSnapshotSchema, EnforcedDecisionSchema, type DecisionSnapshot, type EnforcedDecision } from 'meeting-types';
import { ServerSentEventParser, type ServerSentEvent } from 'meeting-client';
import { signFeedCredential } from 'service-runtime';

const snapshotValidator = Compile(DecisionSnapshotSchema);
const decisionValidator = Compile(EnforcedDecisionSchema);

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;
/** The API writes a keep-alive every 15 s: this much silence means the connection is dead. */
const SILENCE_MS = 45_000;

export interface FeedHandlers {
  onSnapshot(snapshot: DecisionSnapshot): void;
  onDecision(decision: EnforcedDecision): void;
}

export interface DecisionFeed {
  close(): Promise<void>;
}

/**
 * Follows the Meeting API's `GET /internal/v1/decisions` for as long as it runs: every
 * connection starts with a snapshot, then decisions as they commit. Reconnects with backoff
 * (any API instance will do) and is resynchronized by the snapshot, so nothing is lost.
 */
export function followDecisionFeed(apiUrl: string, jwtSecret: string, handlers: FeedHandlers, logger: Logger): DecisionFeed {
  const url = new URL('/internal/v1/decisions', apiUrl);
  let stopped = false;
  let controller: AbortController | undefined;
  let retryMs = RETRY_MIN_MS;
  let wake: (() => void) | undefined;
  let failures = 0;

  /** One message of the feed: a message that is not JSON or not of the contract is logged and skipped, never fatal. */
  const receive = (message: ServerSentEvent) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.data);
    } catch {
      logger.warn({ event: message.type, bytes: message.data.length }, 'decision feed message is not JSON; skipped');
      return;
    }
    if (message.type === 'snapshot' && snapshotValidator.Check(parsed)) {
      handlers.onSnapshot(parsed);
      retryMs = RETRY_MIN_MS;
      if (failures > 0) logger.info('decision feed connected again');
      failures = 0;
    } else if (message.type === 'decision' && decisionValidator.Check(parsed)) {
      handlers.onDecision(parsed);
    } else {
      logger.warn({ event: message.type }, 'decision feed message does not match its schema; skipped');
    }
  };

  const connectOnce = async () => {
    controller = new AbortController();
    const ctl = controller;
    let silence = setTimeout(() => ctl.abort(), SILENCE_MS);
    try {
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${signFeedCredential(jwtSecret)}`, accept: 'text/event-stream' },
        signal: ctl.signal,
      });
      if (res.status !== 200 || !res.body) throw new Error(`decision feed answered ${res.status}`);
      const parser = new ServerSentEventParser({ onEvent: (message) => receive(message) });
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(silence);
        silence = setTimeout(() => ctl.abort(), SILENCE_MS);
        parser.push(chunk);
      }
    } finally {
      clearTimeout(silence);
    }
  };

  const loop = async () => {
    while (!stopped) {
      try {
        await connectOnce();
      } catch (err) {
        if (stopped) break;
        failures++;
        // Said once per outage, not once per retry.
        if (failures === 1) logger.warn({ err: { message: (err as Error).message }, api: url.origin }, 'decision feed unavailable; retrying');
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
    }
  };
  const running = loop();

  return {
    async close() {
      stopped = true;
      controller?.abort();
      wake?.();
      await running;
    },
  };
}
