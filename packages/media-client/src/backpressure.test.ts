import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VideoGate } from './backpressure';
import { LatencyStats } from './latency';

test('video is dropped past the video limit while audio still goes; audio stops only past its own limit', () => {
  const gate = new VideoGate({ videoLimit: 100, audioLimit: 1000 });
  assert.equal(gate.admitVideo(50, false), true);
  assert.equal(gate.admitVideo(150, false), false);
  assert.equal(gate.admitAudio(150), true);
  assert.equal(gate.admitAudio(1001), false);
  assert.equal(gate.dropped, 1);
});

test('after a dropped video chunk, deltas wait for the next keyframe', () => {
  const gate = new VideoGate({ videoLimit: 100, audioLimit: 1000 });
  assert.equal(gate.admitVideo(500, true), false);
  assert.equal(gate.needKeyframe, true);
  assert.equal(gate.admitVideo(0, false), false, 'a delta after a drop would not decode');
  assert.equal(gate.admitVideo(0, true), true);
  assert.equal(gate.needKeyframe, false);
  assert.equal(gate.admitVideo(0, false), true);
});

test('latency percentiles are nearest-rank over the kept samples; the ring is bounded', () => {
  const s = new LatencyStats(100);
  for (let i = 1; i <= 100; i++) s.add(i);
  assert.equal(s.percentile(50), 50);
  assert.equal(s.percentile(99), 99);
  for (let i = 0; i < 100; i++) s.add(1000);
  assert.equal(s.values().length, 100);
  assert.equal(s.percentile(50), 1000);
  assert.equal(s.count, 200);
  assert.ok(Number.isNaN(new LatencyStats().percentile(50)));
});
