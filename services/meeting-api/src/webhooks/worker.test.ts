import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { ClaimedDelivery, DeliveryOutcome } from './domain';
import { createSender } from './sender';
import { createDeliveryWorker, DELIVERY_DEFAULTS, retryDelayMs, type DeliveryQueue } from './worker';

/** A delivery to a disabled endpoint: its outcome is decided without any HTTP, so only the recording is under test. */
const claimed: ClaimedDelivery = {
  id: 1,
  endpointId: 'wh_1',
  meetingInstance: 7,
  seq: 1,
  eventType: 'meeting.started',
  data: {},
  occurredAt: 0,
  attempt: 1,
  firstAttemptMs: 0,
  url: 'http://127.0.0.1:9/',
  secret: 'whsec_' + Buffer.alloc(24).toString('base64'),
  disabled: true,
};

/** An outbox whose first `failures` recordings fail as a cut database connection does. */
function flakyQueue(failures: number) {
  const recorded: DeliveryOutcome[] = [];
  let calls = 0;
  let handedOut = false;
  const queue: DeliveryQueue = {
    claim: async () => {
      if (handedOut) return [];
      handedOut = true;
      return [claimed];
    },
    record: async (_c, outcome) => {
      calls++;
      if (calls <= failures) throw new Error('Connection terminated unexpectedly');
      recorded.push(outcome);
      return true;
    },
  };
  return { queue, recorded, calls: () => calls };
}

async function runOnce(failures: number, leaseMs: number) {
  const q = flakyQueue(failures);
  let failed = 0;
  const worker = createDeliveryWorker({
    queue: q.queue,
    sender: createSender({ allowPrivate: true, timeoutMs: 1_000, maxSockets: 1 }),
    log: pino({ level: 'silent' }),
    metrics: { delivered: () => {}, failed: () => failed++, retried: () => {} },
    options: { ...DELIVERY_DEFAULTS, leaseMs, pollMs: 60_000 },
  });
  worker.start();
  const deadline = Date.now() + 10_000;
  while (worker.stats().inFlight > 0 || q.calls() === 0) {
    assert.ok(Date.now() < deadline, 'the attempt settles');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await worker.close();
  return { ...q, failed };
}

test('an outcome the database could not take at first is recorded once it is back, within the lease', async () => {
  const r = await runOnce(2, 15_000);
  assert.equal(r.calls(), 3, 'two failed recordings, then one that took');
  assert.equal(r.recorded.length, 1);
  assert.equal(r.recorded[0]!.status, 'failed');
  assert.equal(r.failed, 1, 'counted once');
});

test('a database away for the whole lease: the worker stops trying and leaves the attempt to its lease', async () => {
  const r = await runOnce(1_000, 400);
  assert.ok(r.calls() >= 2 && r.calls() <= 4, `a few tries inside 400 ms, not ${r.calls()}`);
  assert.equal(r.recorded.length, 0);
  assert.equal(r.failed, 0, 'nothing counted that was not recorded');
});

test('retries wait exponentially longer, capped, with ±20 % jitter', () => {
  assert.equal(retryDelayMs(1, 5_000, 3_600_000, () => 0.5), 5_000);
  assert.equal(retryDelayMs(3, 5_000, 3_600_000, () => 0.5), 20_000);
  assert.equal(retryDelayMs(30, 5_000, 3_600_000, () => 0.5), 3_600_000);
  assert.equal(retryDelayMs(1, 5_000, 3_600_000, () => 0), 4_000);
  assert.equal(retryDelayMs(1, 5_000, 3_600_000, () => 1), 6_000);
});

test("an endpoint's meetings are served in turn: each claim walks on from where the last stopped, and starts over after the last", async () => {
  const MEETINGS = 10;
  const CLAIMS = 3 * MEETINGS;
  const served: number[] = [];
  const out = new Set<number>();
  let done!: () => void;
  const allServed = new Promise<void>((resolve) => (done = resolve));
  // Every meeting always has a due head; a head in flight is passed over, as the outbox's claim does.
  const queue: DeliveryQueue = {
    claim: async ({ perEndpoint, inFlight, after }) => {
      const room = Math.min(perEndpoint - (inFlight.wh_1 ?? 0), CLAIMS - served.length);
      const taken: ClaimedDelivery[] = [];
      for (let m = (after.wh_1 ?? 0) + 1; m <= MEETINGS && taken.length < room; m++) {
        if (out.has(m)) continue;
        out.add(m);
        served.push(m);
        taken.push({ ...claimed, id: served.length, meetingInstance: m });
      }
      return taken;
    },
    record: async (c) => {
      out.delete(c.meetingInstance);
      if (served.length >= CLAIMS && out.size === 0) done();
      return true;
    },
  };
  const worker = createDeliveryWorker({
    queue,
    sender: createSender({ allowPrivate: true, timeoutMs: 1_000, maxSockets: 1 }),
    log: pino({ level: 'silent' }),
    metrics: { delivered: () => {}, failed: () => {}, retried: () => {} },
    options: { ...DELIVERY_DEFAULTS, perEndpoint: 3, pollMs: 60_000 },
  });
  worker.start();
  await allServed;
  await worker.close();
  const laps = [0, 1, 2].map((lap) => served.slice(lap * MEETINGS, (lap + 1) * MEETINGS));
  for (const lap of laps) assert.deepEqual([...lap].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], `every meeting once a lap: ${served.join(' ')}`);
  assert.deepEqual(laps[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test("a meeting's next event goes out as soon as the one before it is recorded, not at the next poll", async () => {
  const first: ClaimedDelivery = { ...claimed, id: 1, seq: 1 };
  const second: ClaimedDelivery = { ...claimed, id: 2, seq: 2 };
  const recorded: number[] = [];
  let done!: () => void;
  const bothRecorded = new Promise<void>((resolve) => (done = resolve));
  // The outbox's rule: the second event is a head only once the first is recorded.
  const queue: DeliveryQueue = {
    claim: async () => {
      if (recorded.length === 0 && !handedOut.has(1)) return handOut(first);
      if (recorded.includes(1) && !handedOut.has(2)) return handOut(second);
      return [];
    },
    record: async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 20)); // the record commits after the slot was freed
      recorded.push(c.id);
      if (recorded.length === 2) done();
      return true;
    },
  };
  const handedOut = new Set<number>();
  const handOut = (c: ClaimedDelivery) => {
    handedOut.add(c.id);
    return [c];
  };
  const worker = createDeliveryWorker({
    queue,
    sender: createSender({ allowPrivate: true, timeoutMs: 1_000, maxSockets: 1 }),
    log: pino({ level: 'silent' }),
    metrics: { delivered: () => {}, failed: () => {}, retried: () => {} },
    options: { ...DELIVERY_DEFAULTS, pollMs: 60_000 },
  });
  worker.start();
  const timedOut = await Promise.race([bothRecorded.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 3_000))]);
  await worker.close();
  assert.equal(timedOut, false, `recorded ${JSON.stringify(recorded)} within 3 s (the poll is a minute away)`);
});
