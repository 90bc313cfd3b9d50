import { performance } from 'node:perf_hooks';
import { sleep } from './cleanup';
import { decodeFrame, encodeFrame, KIND_DATA, KIND_PROBE, toBuffer } from './frames';
import { LatencyHistogram } from './histogram';
import { round3, type RelayResult } from './relay-fanout-client';
import { closeAll, connectAll } from './ws-connect';

export interface RoomsParams {
  /** One array of member URLs per room; every room has the same number of members. */
  rooms: string[][];
  /** Frames per second each member sends. */
  rateHz: number;
  durationSec: number;
  warmupSec: number;
}

export interface RoomsResult extends RelayResult {
  /** Deliveries per second the senders offered (members × rate × (members − 1)). */
  offered_rate: number;
}

const TICK_MS = 10;
const DRAIN_MS = 5_000;
const PROBE_TIMEOUT_MS = 20_000;

/**
 * Many small rooms, every member sending at a fixed rate, spread evenly over ticks so the
 * relay sees a steady stream rather than one burst per period.
 */
export async function runRooms(p: RoomsParams): Promise<RoomsResult> {
  const size = p.rooms[0]?.length ?? 0;
  if (size < 2 || p.rooms.some((room) => room.length !== size)) throw new Error('rooms must all have the same size ≥ 2');
  const urls = p.rooms.flat();
  const n = urls.length;
  const conn = await connectAll(urls, 100);
  const sockets = conn.sockets;
  if (conn.failed > 0) {
    closeAll(sockets);
    throw new Error(`rooms connect failed (${conn.failed} sockets): ${conn.firstError}`);
  }
  // Client c is member c % size of room floor(c / size); per receiver, one slot per member.
  const expected = new Float64Array(n * size);
  const unique = new Float64Array(n * size);
  const probes = new Uint8Array(n * size);
  const sent = new Float64Array(n);
  const hist = new LatencyHistogram();
  let measuring = false;
  let delivered = 0;
  let reordered = 0;
  let closes = 0;

  sockets.forEach((ws, c) => {
    if (ws === undefined) return;
    ws.on('close', () => closes++);
    ws.on('message', (data) => {
      const f = decodeFrame(toBuffer(data));
      if (f === undefined || f.sender >= n) return;
      const slot = c * size + (f.sender % size);
      if (f.kind === KIND_PROBE) {
        probes[slot] = 1;
        return;
      }
      if (f.kind !== KIND_DATA) return;
      if (f.seq < (expected[slot] ?? 0)) {
        reordered++;
        return;
      }
      expected[slot] = f.seq + 1;
      unique[slot] = (unique[slot] ?? 0) + 1;
      if (measuring) {
        hist.recordMs(performance.now() - f.sentAt);
        delivered++;
      }
    });
  });

  const probesNeeded = n * (size - 1);
  const probeDeadline = performance.now() + PROBE_TIMEOUT_MS;
  for (;;) {
    let have = 0;
    for (const x of probes) have += x;
    if (have >= probesNeeded) break;
    if (performance.now() > probeDeadline) {
      closeAll(sockets);
      throw new Error(`rooms probe: ${have}/${probesNeeded} member pairs connected`);
    }
    sockets.forEach((ws, c) => ws?.send(encodeFrame(KIND_PROBE, c, 0)));
    await sleep(250);
  }

  const periodMs = 1_000 / p.rateHz;
  const slots = Math.max(1, Math.round(periodMs / TICK_MS));
  let tick = 0;
  const t0 = performance.now();
  const sendTick = (k: number) => {
    for (let c = k % slots; c < n; c += slots) {
      const ws = sockets[c];
      if (ws === undefined || ws.readyState !== ws.OPEN) continue;
      ws.send(encodeFrame(KIND_DATA, c, sent[c] ?? 0));
      sent[c] = (sent[c] ?? 0) + 1;
    }
  };
  const timer = setInterval(() => {
    // Catch up on late timers, but never more than one period at once.
    const due = Math.floor((performance.now() - t0) / TICK_MS);
    for (let i = 0; tick < due && i < slots; i++) sendTick(tick++);
    tick = Math.max(tick, due);
  }, TICK_MS);

  let measureStart = 0;
  let measureEnd = 0;
  try {
    await sleep(p.warmupSec * 1_000);
    measuring = true;
    measureStart = performance.now();
    await sleep(p.durationSec * 1_000);
  } finally {
    clearInterval(timer);
    measureEnd = performance.now();
  }
  const measuredDelivered = delivered;
  let totalSent = 0;
  for (const s of sent) totalSent += s;
  const expectedDeliveries = totalSent * (size - 1);
  const uniqueTotal = () => unique.reduce((a, b) => a + b, 0);
  const drainEnd = performance.now() + DRAIN_MS;
  while (uniqueTotal() < expectedDeliveries && performance.now() < drainEnd) await sleep(20);
  measuring = false;
  const closedDuringRun = closes;
  closeAll(sockets);
  const elapsed = (measureEnd - measureStart) / 1_000;
  return {
    rate: Math.round((measuredDelivered / elapsed) * 10) / 10,
    offered_rate: n * p.rateHz * (size - 1),
    p50_ms: round3(hist.percentileMs(0.5)),
    p99_ms: round3(hist.percentileMs(0.99)),
    errors: closedDuringRun,
    sent: totalSent,
    delivered: measuredDelivered,
    lost: expectedDeliveries - uniqueTotal(),
    reordered,
    stalled: false,
  };
}
