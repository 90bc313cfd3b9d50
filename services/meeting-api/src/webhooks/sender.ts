import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { hostOf, resolveChecked } from './url-policy';

/** What one POST came to. `statusCode` null when no HTTP answer arrived (`error` says why). */
export interface SendResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface SignedRequest {
  url: string;
  secret: string;
  messageId: string;
  /** The JSON body, sent and signed as these exact bytes. */
  body: string;
}

/** Bytes of a receiver's answer read (then discarded); the rest is not waited for. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Sends Standard Webhooks POSTs. The connection goes to an address this sender resolved and
 * checked itself (the socket's own lookup), so a DNS answer cannot change between the check
 * and the connect; redirects are answers like any other (not 2xx), never followed.
 */
export function createSender(opts: { allowPrivate: boolean; timeoutMs: number; maxSockets: number }) {
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets, timeout: opts.timeoutMs }),
    https: new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets, timeout: opts.timeoutMs }),
  };
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolveChecked(hostname, opts.allowPrivate).then(
      (answers) => {
        const wanted = options.family === 4 || options.family === 6 ? answers.filter((a) => a.family === options.family) : answers;
        const list = wanted.length > 0 ? wanted : answers;
        if (options.all) (callback as unknown as (e: null, a: typeof list) => void)(null, list);
        else callback(null, list[0]!.address, list[0]!.family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };

  async function send(req: SignedRequest, signal: AbortSignal): Promise<SendResult> {
    const started = performance.now();
    const done = (statusCode: number | null, error: string | null): SendResult => ({
      statusCode,
      error,
      durationMs: Math.round(performance.now() - started),
    });
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return done(null, 'invalid URL');
    }
    const secure = url.protocol === 'https:';
    if (!secure && !(opts.allowPrivate && url.protocol === 'http:')) return done(null, 'the URL must start with https://');
    // A literal address skips the socket's lookup, so it is checked here.
    try {
      const host = hostOf(url);
      if (isIP(host) !== 0) await resolveChecked(host, opts.allowPrivate);
    } catch (err) {
      return done(null, (err as Error).message);
    }
    const now = new Date();
    const signature = new Webhook(req.secret).sign(req.messageId, now, req.body);
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (r: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const request = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          agent: secure ? agents.https : agents.http,
          lookup,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(req.body),
            'user-agent': 'meeting-api-webhooks',
            'webhook-id': req.messageId,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signature,
          },
        },
        (res) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_ANSWER_BYTES) {
              finish(done(res.statusCode ?? null, null));
              res.destroy();
            }
          });
          res.on('end', () => finish(done(res.statusCode ?? null, null)));
          res.on('error', () => finish(done(res.statusCode ?? null, null)));
        },
      );
      const timer = setTimeout(() => {
        finish(done(null, `no answer within ${Math.round(opts.timeoutMs / 1000)} s`));
        request.destroy();
      }, opts.timeoutMs);
      const onAbort = () => {
        finish(done(null, 'aborted: the instance is stopping'));
        request.destroy();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      request.on('error', (err: Error) => finish(done(null, err.message.slice(0, 300))));
      request.end(req.body);
    });
  }

  return {
    send,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
