/**
 * A steady mix of real HTTP traffic against one Meeting API (joins, admits, status polls,
 * lists, long-polls, event streams, decision-feed reads), for checking what the service
 * does while its database connections are cut. Every answer is classified: success, 503
 * SERVICE_UNAVAILABLE envelope, or anything else (a failure: a 500, another status, a reset
 * connection, a stream with repeated or out-of-order events).
 *
 * Used by the database-cut test and by bench/tools/pg-restart.ts.
 */
import { performance } from 'node:perf_hooks';
import { readServerSentEvents, type ServerSentEvent } from 'meeting-client';
import { signFeedCredential } from 'service-runtime';
import { openSse, type SseStream } from './sse-client';

export interface LoadOptions {
  base: string;
  meetingId: string;
  host: string;
  jwtSecret: string;
  /** Join-and-admit workers. */
  workers: number;
  /** Prefix of the guests' emails (unique per run). */
  guestPrefix: string;
}

export interface LoadReport {
  requests: number;
  ok: number;
  unavailable: number;
  /** Answers that were neither a success nor a 503 envelope (500s among them), with what they were. */
  unexpected: string[];
  serverErrors: number;
  /** Guests whose join was answered 200. */
  ackedJoins: Set<string>;
  /** Guests whose admission was answered 200. */
  ackedAdmits: Set<string>;
  /** Event seqs received over the event streams, in order of arrival (across reconnects). */
  streamSeqs: number[];
  streamProblems: string[];
  feedSnapshots: number;
  /** performance.now() of the first and the last 503 (undefined: none). */
  firstUnavailableAt: number | undefined;
  lastUnavailableAt: number | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Answer {
  status: number;
  body: any;
}

export class CutLoad {
  readonly report: LoadReport = {
    requests: 0,
    ok: 0,
    unavailable: 0,
    unexpected: [],
    serverErrors: 0,
    ackedJoins: new Set(),
    ackedAdmits: new Set(),
    streamSeqs: [],
    streamProblems: [],
    feedSnapshots: 0,
    firstUnavailableAt: undefined,
    lastUnavailableAt: undefined,
  };
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly streams = new Set<SseStream>();
  private counter = 0;

  constructor(private readonly o: LoadOptions) {}

  /** One request; returns the answer, or undefined when it was neither success nor 503 (recorded). */
  async request(method: string, path: string, as: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer | undefined> {
    const r = this.report;
    r.requests++;
    let status: number;
    let parsed: any;
    try {
      const res = await fetch(new URL(path, this.o.base), {
        method,
        headers: { cookie: `email=${as}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      status = res.status;
      const text = await res.text();
      try {
        parsed = JSON.parse(text);
      } catch {
        r.unexpected.push(`${method} ${path}: ${status} non-JSON ${text.slice(0, 80)}`);
        return undefined;
      }
    } catch (err) {
      r.unexpected.push(`${method} ${path}: ${(err as Error).message} ${String((err as { cause?: Error }).cause?.message ?? '')}`);
      return undefined;
    }
    return this.classify(`${method} ${path}`, status, parsed);
  }

  private classify(what: string, status: number, body: any): Answer | undefined {
    const r = this.report;
    if (status >= 500) r.serverErrors += status === 503 ? 0 : 1;
    if (status === 200 || status === 201) {
      r.ok++;
      return { status, body };
    }
    if (status === 503 && body?.success === false && body?.result?.code === 'SERVICE_UNAVAILABLE') {
      r.unavailable++;
      r.lastUnavailableAt = performance.now();
      r.firstUnavailableAt ??= r.lastUnavailableAt;
      return { status, body };
    }
    r.unexpected.push(`${what}: ${status} ${JSON.stringify(body).slice(0, 160)}`);
    return undefined;
  }

  /** Join a new guest, poll its status, admit it, list the host's meetings. */
  private async joinAdmitLoop(worker: number): Promise<void> {
    const { meetingId, host, guestPrefix } = this.o;
    while (this.running) {
      const guest = `${guestPrefix}-${worker}-${this.counter++}@load.example`;
      const joined = await this.request('POST', `/api/v1/meetings/${meetingId}/join`, guest, { display_name: `G ${worker}` });
      if (joined?.status === 200) {
        this.report.ackedJoins.add(guest);
        await this.request('GET', `/api/v1/meetings/${meetingId}/status`, guest);
        const admitted = await this.request('POST', `/api/v1/meetings/${meetingId}/admit`, host, { email: guest });
        if (admitted?.status === 200) this.report.ackedAdmits.add(guest);
      } else if (joined === undefined || joined.status === 503) {
        await sleep(20);
      }
      await this.request('GET', '/api/v1/meetings?limit=20', host);
    }
  }

  /** A guest that knocks and long-polls `status?wait=1` (the host admits nobody from this loop). */
  private async longPollLoop(): Promise<void> {
    const { meetingId, guestPrefix } = this.o;
    const guest = `${guestPrefix}-waiter@load.example`;
    let joined = false;
    while (this.running) {
      if (!joined) {
        const j = await this.request('POST', `/api/v1/meetings/${meetingId}/join`, guest, {});
        joined = j?.status === 200;
        if (joined) this.report.ackedJoins.add(guest);
        else await sleep(20);
        continue;
      }
      const answer = await this.request('GET', `/api/v1/meetings/${meetingId}/status?wait=1`, guest);
      if (answer?.status !== 200) await sleep(20);
    }
  }

  /** The host's event stream, resumed with Last-Event-ID whenever the server ends it. */
  private async streamLoop(): Promise<void> {
    const { base, meetingId, host } = this.o;
    let last = 0;
    while (this.running) {
      this.report.requests++;
      let s: SseStream;
      try {
        s = await openSse(base, `/api/v1/meetings/${meetingId}/events`, { as: host, lastEventId: String(last) });
      } catch (err) {
        this.report.unexpected.push(`events stream: ${(err as Error).message}`);
        await sleep(50);
        continue;
      }
      if (s.status !== 200) {
        this.classify('GET events', s.status, s.body);
        await sleep(20);
        continue;
      }
      this.report.ok++;
      this.streams.add(s);
      let seen = 0;
      const take = () => {
        for (; seen < s.events.length; seen++) {
          const seq = Number(s.events[seen]!.id);
          if (!(seq === last + 1)) this.report.streamProblems.push(`after ${last} came ${seq}`);
          if (seq > last) last = seq;
          this.report.streamSeqs.push(seq);
        }
      };
      const poll = setInterval(take, 20);
      await s.ended;
      clearInterval(poll);
      take();
      this.streams.delete(s);
    }
  }

  /** Opens the Media Servers' decision feed, reads its snapshot, closes it; again and again. */
  private async feedLoop(): Promise<void> {
    while (this.running) {
      this.report.requests++;
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 30_000);
      try {
        const res = await fetch(new URL('/internal/v1/decisions', this.o.base), {
          headers: { authorization: `Bearer ${signFeedCredential(this.o.jwtSecret)}`, accept: 'text/event-stream' },
          signal: ctl.signal,
        });
        if (res.status !== 200) {
          const text = await res.text();
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
          this.classify('GET decisions', res.status, body);
          await sleep(20);
          continue;
        }
        let first: ServerSentEvent | undefined;
        for await (const message of readServerSentEvents(res.body!)) {
          first = message;
          break;
        }
        ctl.abort();
        if (first?.type === 'snapshot') {
          this.report.ok++;
          this.report.feedSnapshots++;
        } else {
          this.report.unexpected.push(`decision feed ended before its snapshot: ${JSON.stringify(first?.type ?? 'nothing')}`);
        }
      } catch (err) {
        if (!ctl.signal.aborted) this.report.unexpected.push(`decision feed: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
      await sleep(50);
    }
  }

  start(): void {
    this.running = true;
    for (let w = 0; w < this.o.workers; w++) this.loops.push(this.joinAdmitLoop(w));
    this.loops.push(this.longPollLoop(), this.streamLoop(), this.feedLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const s of this.streams) s.close();
    await Promise.all(this.loops);
  }

  /**
   * One pass over every kind of request, all of which must succeed: a join, its status, its
   * admission, a list, a long-poll, an event stream and a decision-feed snapshot. True when
   * all did (the service has recovered).
   */
  async probe(tag: string): Promise<boolean> {
    const { meetingId, host, base, jwtSecret } = this.o;
    const guest = `${this.o.guestPrefix}-probe-${tag}@load.example`;
    const joined = await this.request('POST', `/api/v1/meetings/${meetingId}/join`, guest, {});
    if (joined?.status !== 200) return false;
    this.report.ackedJoins.add(guest);
    if ((await this.request('GET', `/api/v1/meetings/${meetingId}/status?wait=0`, guest))?.status !== 200) return false;
    const admitted = await this.request('POST', `/api/v1/meetings/${meetingId}/admit`, host, { email: guest });
    if (admitted?.status !== 200) return false;
    this.report.ackedAdmits.add(guest);
    if ((await this.request('GET', '/api/v1/meetings?limit=20', host))?.status !== 200) return false;
    const s = await openSse(base, `/api/v1/meetings/${meetingId}/events?after=0`, { as: host }).catch(() => undefined);
    if (s === undefined) return false;
    s.close();
    if (s.status !== 200) return false;
    const ctl = new AbortController();
    try {
      const res = await fetch(new URL('/internal/v1/decisions', base), {
        headers: { authorization: `Bearer ${signFeedCredential(jwtSecret)}` },
        signal: ctl.signal,
      });
      return res.status === 200;
    } catch {
      return false;
    } finally {
      ctl.abort();
    }
  }
}
