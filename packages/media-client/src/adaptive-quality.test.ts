import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdaptiveQuality, judgeSecond, qualitySteps, type LinkSample } from './adaptive-quality';

const calm: LinkSample = { bufferedBytes: 0, sendBitrate: 632_000, dropped: 0, reportedDelayMs: 0, keyframeRequests: 0 };

test('the ladder below the camera: 640×360 @ 600k 15 fps, 480×270 @ 350k 10 fps, 320×180 @ 150k 8 fps', () => {
  assert.deepEqual(qualitySteps({ width: 640, height: 360, bitrate: 600_000, frameRate: 15 }), [
    { width: 640, height: 360, bitrate: 600_000, frameRate: 15 },
    { width: 480, height: 270, bitrate: 350_000, frameRate: 10 },
    { width: 320, height: 180, bitrate: 150_000, frameRate: 8 },
  ]);
  // Sides stay even (VP8) and the frame rate at least 1 for a small source.
  for (const s of qualitySteps({ width: 322, height: 182, bitrate: 150_000, frameRate: 1 })) {
    assert.equal(s.width % 2, 0);
    assert.equal(s.height % 2, 0);
    assert.ok(s.frameRate >= 1);
  }
});

test('a second is judged by the queue in the socket, drops, the delay receivers see and keyframe requests', () => {
  const cases: Array<[string, Partial<LinkSample>, ReturnType<typeof judgeSecond>]> = [
    ['an empty socket, nothing dropped', {}, 'good'],
    // 632 kbit/s = 79 000 bytes a second: 400 ms of it is 31 600 bytes.
    ['half a second of sending stuck in the socket', { bufferedBytes: 39_500 }, 'bad'],
    ['a fifth of a second in the socket', { bufferedBytes: 15_800 }, 'neutral'],
    ['a chunk dropped by the gate', { dropped: 1 }, 'bad'],
    ['a receiver sees our frames 1.5 s late', { reportedDelayMs: 1500 }, 'bad'],
    ['a receiver sees 200 ms of delay', { reportedDelayMs: 200 }, 'neutral'],
    ['three keyframe requests in a second', { keyframeRequests: 3 }, 'bad'],
    ['one keyframe request (someone joined)', { keyframeRequests: 1 }, 'neutral'],
    ['nothing to send: no queue can be measured', { sendBitrate: 0, bufferedBytes: 10_000 }, 'good'],
  ];
  for (const [name, change, verdict] of cases) assert.equal(judgeSecond({ ...calm, ...change }), verdict, name);
});

/** Feeds `seconds` samples; returns the step after each. */
function run(q: AdaptiveQuality, seconds: Array<Partial<LinkSample>>): number[] {
  return seconds.map((s) => {
    q.sample({ ...calm, ...s });
    return q.step;
  });
}

const bad: Partial<LinkSample> = { reportedDelayMs: 2000 };
const good: Partial<LinkSample> = {};
const meh: Partial<LinkSample> = { reportedDelayMs: 200 };
const times = <T,>(n: number, s: T): T[] => Array.from({ length: n }, () => s);

test('steps down after two bad seconds in a row, one step at a time, never below the last rung', () => {
  const q = new AdaptiveQuality(2);
  assert.deepEqual(run(q, [bad, good, bad, meh, bad]), [0, 0, 0, 0, 0], 'isolated bad seconds change nothing');
  assert.deepEqual(run(q, times(8, bad)), [1, 1, 2, 2, 2, 2, 2, 2]);
  assert.equal(q.degraded, true);
  assert.equal(q.changes, 2);
});

test('steps up after ten good seconds in a row; a bad or middling second starts the count again', () => {
  const q = new AdaptiveQuality(2);
  run(q, times(4, bad));
  assert.equal(q.step, 2);
  assert.deepEqual(run(q, [...times(9, good), meh]), [...times(9, 2), 2], 'nine good seconds then a middling one');
  assert.deepEqual(run(q, [...times(9, good), bad]), [...times(9, 2), 2], 'nine good seconds then a bad one');
  const up = run(q, times(20, good));
  assert.equal(up[9], 1, 'one step up after ten good seconds');
  assert.equal(up[19], 0, 'and the next after ten more');
  assert.equal(q.degraded, false);
});

test('at full quality good seconds change nothing; a link that never recovers stays at the last rung', () => {
  const q = new AdaptiveQuality(2);
  assert.deepEqual(run(q, times(30, good)), times(30, 0));
  assert.equal(q.changes, 0);
  run(q, times(60, bad));
  assert.equal(q.step, 2);
  assert.equal(q.changes, 2);
});
