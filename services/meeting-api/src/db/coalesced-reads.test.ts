import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCoalescedReader } from './coalesced-reads';

/** A `readMany` whose statements the test finishes by hand, recording each batch. */
function manualStatements() {
  const batches: number[][] = [];
  const finish: Array<(fail?: Error) => void> = [];
  const readMany = (keys: readonly number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push([...keys]);
      finish.push((fail) => (fail ? reject(fail) : resolve(keys.map((k) => `v${k}`))));
    });
  return { batches, finish, readMany };
}

test('a read on an idle reader goes out at once, alone', async () => {
  const s = manualStatements();
  const reader = createCoalescedReader({ readMany: s.readMany, maxInFlight: 1, maxBatch: 10 });
  const first = reader.read(1);
  assert.deepEqual(s.batches, [[1]], 'sent without waiting for a timer or a tick');
  s.finish[0]!();
  assert.equal(await first, 'v1');
});

test('reads arriving while the slot is busy leave together in one statement, each gets its own answer', async () => {
  const s = manualStatements();
  const reader = createCoalescedReader({ readMany: s.readMany, maxInFlight: 1, maxBatch: 10 });
  const reads = [1, 2, 3, 4].map((k) => reader.read(k));
  assert.deepEqual(s.batches, [[1]]);
  s.finish[0]!();
  await reads[0];
  assert.deepEqual(s.batches, [[1], [2, 3, 4]]);
  s.finish[1]!();
  assert.deepEqual(await Promise.all(reads), ['v1', 'v2', 'v3', 'v4']);
});

test('maxInFlight statements run at once; maxBatch splits a long queue', async () => {
  const s = manualStatements();
  const reader = createCoalescedReader({ readMany: s.readMany, maxInFlight: 2, maxBatch: 2 });
  const reads = [1, 2, 3, 4, 5, 6, 7].map((k) => reader.read(k));
  assert.deepEqual(s.batches, [[1], [2]]);
  s.finish[0]!();
  await reads[0];
  assert.deepEqual(s.batches, [[1], [2], [3, 4]]);
  s.finish[1]!();
  s.finish[2]!();
  await reads[3];
  assert.deepEqual(s.batches, [[1], [2], [3, 4], [5, 6], [7]]);
  s.finish[3]!();
  s.finish[4]!();
  assert.deepEqual(await Promise.all(reads), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7']);
});

test('a failed statement fails exactly its own reads, and the reader goes on', async () => {
  const s = manualStatements();
  const reader = createCoalescedReader({ readMany: s.readMany, maxInFlight: 1, maxBatch: 10 });
  const first = reader.read(1);
  const [second, third] = [reader.read(2), reader.read(3)];
  s.finish[0]!();
  await first;
  s.finish[1]!(new Error('connection lost'));
  await assert.rejects(second, /connection lost/);
  await assert.rejects(third, /connection lost/);
  const fourth = reader.read(4);
  assert.deepEqual(s.batches.at(-1), [4]);
  s.finish[2]!();
  assert.equal(await fourth, 'v4');
});

test('a readMany that throws synchronously rejects its reads instead of escaping', async () => {
  const reader = createCoalescedReader<number, string>({
    readMany: () => {
      throw new Error('bad statement');
    },
    maxInFlight: 1,
    maxBatch: 10,
  });
  await assert.rejects(reader.read(1), /bad statement/);
  await assert.rejects(reader.read(2), /bad statement/, 'the slot was released');
});

test('with keyOf, equal keys in one batch are read once and share the answer', async () => {
  const s = manualStatements();
  const reader = createCoalescedReader({ readMany: s.readMany, maxInFlight: 1, maxBatch: 10, keyOf: (k: number) => String(k) });
  const reads = [1, 2, 2, 3, 2, 3].map((k) => reader.read(k));
  assert.deepEqual(s.batches, [[1]]);
  s.finish[0]!();
  await reads[0];
  assert.deepEqual(s.batches, [[1], [2, 3]], 'each distinct key once, in first-asked order');
  s.finish[1]!();
  assert.deepEqual(await Promise.all(reads), ['v1', 'v2', 'v2', 'v3', 'v2', 'v3']);
});
