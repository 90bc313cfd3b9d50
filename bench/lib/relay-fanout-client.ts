import { performance } from 'node:perf_hooks';
import { sleep } from './cleanup';
import { decodeFrame, encodeFrame, KIND_DATA, KIND_PROBE, toBuffer } from './frames';
import { LatencyHistogram } from './histogram';
import { closeAll, connectAll } from './ws-connect';

export interface FanoutParams {
  senderUrl: string;
  receiverUrls: string[];
  durationSec: number;
  warmupSec: number;
  /** Frames the sender may have ahead of the slowest receiver. */
  window: number;
}

export interface RelayResult {
  /** Delivered frames per second (sum over receivers), measured window only. */
  rate: number;
  p50_ms: number;
  p99_ms: number;
  /** Failed connections + sockets closed during the run. */
  errors: number;
  sent: number;
  delivered: number;
  lost: number;
  reordered: number;
  /** True when delivery stopped progressing and the run was cut short. */
  stalled: boolean;
  first_error?: string;
}

const STALL_MS = 3_000;
const DRAIN_MS = 5_000;
const PROBE_TIMEOUT_MS = 15_000;

/**
 * One sender, N receivers in one room. The sender keeps at most `window` frames ahead of
 * the slowest receiver, so the rate is what the relay delivers, not what it buffers.
 */
export async function runFanout(p: FanoutParams): Promise<RelayResult> {
  const recv = await connectAll(p.receiverUrls, 50);
  const send = await connectAll([p.senderUrl], 1);
  const sender = send.sockets[0];
  const receivers = recv.sockets;
  const all = [...receivers, sender];
  const firstError = recv.firstError ?? send.firstError;
  if (sender === undefined || recv.failed > 0) {
    closeAll(all);
    throw new Error(`fan-out connect failed (${recv.failed + send.failed} sockets): ${firstError}`);
  }
  const r = receivers.length;
  const w = p.window;
  const acks = new Uint16Array(w);
  const expected = new Float64Array(r);
  const unique = new Float64Array(r);
  const probed = new Uint8Array(r);
  const hist = new LatencyHistogram();
  let low = 0;
  let next = 0;
  let running = false;
  let measuring = false;
  let delivered = 0;
  let reordered = 0;
  let closes = 0;
  let lastProgress = performance.now();

  const pump = () => {
    while (running && next - low < w && sender.readyState === sender.OPEN) {
      sender.send(encodeFrame(KIND_DATA, 0, next));
      next++;
    }
  };

  receivers.forEach((ws, i) => {
    if (ws === undefined) return;
    ws.on('close', () => closes++);
    ws.on('message', (data) => {
      const f = decodeFrame(toBuffer(data));
      if (f === undefined) return;
      if (f.kind === KIND_PROBE) {
        probed[i] = 1;
        return;
      }
      if (f.kind !== KIND_DATA) return;
      const exp = expected[i] ?? 0;
      if (f.seq < exp) {
        reordered++;
        return;
      }
      expected[i] = f.seq + 1;
      unique[i] = (unique[i] ?? 0) + 1;
      if (measuring) {
        hist.recordMs(performance.now() - f.sentAt);
        delivered++;
      }
      if (f.seq >= low && f.seq < low + w) acks[f.seq % w] = (acks[f.seq % w] ?? 0) + 1;
      let advanced = false;
      while (low < next && acks[low % w] === r) {
        acks[low % w] = 0;
        low++;
        advanced = true;
      }
      if (advanced) {
        lastProgress = performance.now();
        pump();
      }
    });
  });
  sender.on('close', () => closes++);

  // The relay may register members asynchronously after the upgrade: wait until a probe reaches everyone.
  const probeDeadline = performance.now() + PROBE_TIMEOUT_MS;
  while (probed.some((x) => x === 0)) {
    if (performance.now() > probeDeadline) {
      closeAll(all);
      throw new Error(`fan-out probe reached only ${probed.filter((x) => x === 1).length}/${r} receivers`);
    }
    sender.send(encodeFrame(KIND_PROBE, 0, 0));
    await sleep(100);
  }

  running = true;
  lastProgress = performance.now();
  pump();
  let stalled = false;
  const watch = async (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      await sleep(Math.min(100, Math.max(1, end - performance.now())));
      if (next > low && performance.now() - lastProgress > STALL_MS) {
        stalled = true;
        return;
      }
    }
  };
  await watch(p.warmupSec * 1_000);
  measuring = true;
  const sentBefore = next;
  const t0 = performance.now();
  if (!stalled) await watch(p.durationSec * 1_000);
  running = false;
  const elapsed = (performance.now() - t0) / 1_000;
  const measuredDelivered = delivered;
  const sentMeasured = next - sentBefore;
  const drainEnd = performance.now() + DRAIN_MS;
  while (low < next && performance.now() < drainEnd) await sleep(20);
  measuring = false;

  let lost = 0;
  for (let i = 0; i < r; i++) lost += next - (unique[i] ?? 0);
  const closedDuringRun = closes;
  closeAll(all);
  const result: RelayResult = {
    rate: Math.round((measuredDelivered / elapsed) * 10) / 10,
    p50_ms: round3(hist.percentileMs(0.5)),
    p99_ms: round3(hist.percentileMs(0.99)),
    errors: closedDuringRun,
    sent: sentMeasured,
    delivered: measuredDelivered,
    lost,
    reordered,
    stalled,
  };
  if (firstError !== undefined) result.first_error = firstError;
  return result;
}

export const round3 = (n: number) => Math.round(n * 1000) / 1000;
