import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GLASS_TO_GLASS_P99_TARGET_MS, GLASS_TO_GLASS_PAIRS } from './constants';
import type { Entry } from './entry';
import type { MachineInfo } from './machine';

export interface Report {
  machine: MachineInfo;
  mode: 'quick' | 'full';
  settings: Record<string, unknown>;
  scenarios: Record<string, Entry>;
  limits: Record<string, Entry>;
  services: { api_rss_mb_at_ready: number | null; api_rss_mb_max: number | null; media_rss_mb_max: number | null };
  targets: Record<string, { target: string; met: boolean }>;
  failures: Record<string, string>;
  notes: string[];
}

interface Target {
  text: string;
  met(e: Entry): boolean;
}

const num = (v: unknown) => (typeof v === 'number' ? v : Number.NaN);

/** The team's targets (printed, never asserted). */
export const TARGETS: Record<string, Target> = {
  'status-poll-50': { text: '≥0.9× pg-select, p99≤20ms, 0 err', met: (e) => num(e.ratio) >= 0.9 && e.p99_ms <= 20 && e.errors === 0 },
  'status-poll-200': { text: '≥0.9× pg-select, 0 err', met: (e) => num(e.ratio) >= 0.9 && e.errors === 0 },
  'status-poll-session-50': { text: '≥0.95× the email-cookie poll', met: (e) => num(e.vs_email_cookie) >= 0.95 },
  'status-poll-session-200': { text: '≥0.95× the email-cookie poll', met: (e) => num(e.vs_email_cookie) >= 0.95 },
  'status-poll-metrics': { text: '≥0.95× metrics off', met: (e) => num(e.ratio) >= 0.95 },
  'waiting-status-poll-50': { text: '≥0.9× pg-select', met: (e) => num(e.ratio) >= 0.9 },
  'waiting-status-poll-200': { text: '≥0.9× pg-select', met: (e) => num(e.ratio) >= 0.9 },
  'waiting-list-3': { text: '≥0.9× pg-select', met: (e) => num(e.ratio) >= 0.9 },
  'waiting-list-100': { text: '≥0.9× pg-select', met: (e) => num(e.ratio) >= 0.9 },
  list: { text: '≥0.8× pg-select', met: (e) => num(e.ratio) >= 0.8 },
  'join-admit-webhooks': { text: '≥0.9× webhooks off, 0 err', met: (e) => num(e.ratio) >= 0.9 && e.errors === 0 },
  'webhook-delivery': { text: 'keeps up: ≥0.95× appended, 0 lost', met: (e) => num(e.ratio) >= 0.95 && e.errors === 0 },
  'town-hall-wait': { text: '≥0.8× spread knocks, all tokens ≤250ms, 0 lost/twice', met: (e) => num(e.ratio) >= 0.8 && e.within_target === true && e.lost === 0 && e.twice === 0 },
  'town-hall-events': { text: '≥0.8× spread knocks, all tokens ≤250ms, 0 lost/twice', met: (e) => num(e.ratio) >= 0.8 && e.within_target === true && e.lost === 0 && e.twice === 0 },
  embedded: { text: 'RSS ≤200 MB idle and under load, 0 err', met: (e) => num(e.rss_mb_max) <= 200 && num(e.rss_mb_restart) <= 200 && num(e.rss_mb_first_start) <= 200 && e.errors === 0 },
  'join-admit': { text: '≥0.8× pg-write, 0 err, consistent', met: (e) => num(e.ratio) >= 0.8 && e.errors === 0 && e.consistent === true },
  ...Object.fromEntries(
    GLASS_TO_GLASS_PAIRS.map(([s, r]) => [`glass-to-glass ${s}→${r}`, { text: `p99≤${GLASS_TO_GLASS_P99_TARGET_MS}ms`, met: (e: Entry) => e.p99_ms <= GLASS_TO_GLASS_P99_TARGET_MS }]),
  ),
  'relay-fanout': { text: '≥0.7× ws-broadcast, no loss/reorder', met: (e) => num(e.ratio) >= 0.7 && e.lost === 0 && e.reordered === 0 && e.stalled !== true },
  'idle-connections': { text: '≤40 KB/conn', met: (e) => num(e.kb_per_connection) <= 40 },
  'admission-push': { text: 'p99≤5ms, 0 lost', met: (e) => e.p99_ms <= 5 && e.lost === 0 },
  'admission-push-2-instances': { text: 'p99≤20ms, 0 lost', met: (e) => e.p99_ms <= 20 && e.lost === 0 },
  'event-streams': { text: '≤20 KB/stream', met: (e) => num(e.kb_per_stream) <= 20 && e.errors === 0 },
  'enforcement': { text: 'p99≤100ms, 0 lost', met: (e) => e.p99_ms <= 100 && e.errors === 0 },
  // The bounds under attack (growth of the Media Server's RSS; the budget plus allocator slack).
  'abuse-backlog: defaults (2 MiB, 256 MiB total)': { text: 'growth ≤ 320 MB', met: (e) => num(e.growth_mb) <= 320 },
  'abuse-backlog: 8 MiB per receiver, 64 MiB total': { text: 'growth ≤ 128 MB', met: (e) => num(e.growth_mb) <= 128 },
  'abuse-one-token': { text: '4 sockets, others get in', met: (e) => e.opened === 4 && e.other_identity_gets_in === true },
  'abuse-nats-slow: defaults (16 MiB pending cap)': { text: 'growth ≤ 100 MB', met: (e) => num(e.growth_mb) <= 100 },
  // Partial frames hold ≤ 16 MiB; the rest is 500 MB of messages read and dropped, waiting for the GC.
  'abuse-nats-forged-parts': { text: 'growth ≤ 128 MB, nothing delivered', met: (e) => num(e.growth_mb) <= 128 && e.frames_delivered === 0 },
  'abuse-waiting-flood': { text: '≤1,000 waiting', met: (e) => num((e.status_codes as Record<string, number>)?.['200']) <= 1000 },
  'abuse-password-guesses': { text: '≤10 Argon2 checks a minute', met: (e) => num(e.argon2_checks) <= 10 },
  'abuse-create-and-sockets: defaults': {
    text: '≤120 created a minute, ≤32 sockets, others unaffected',
    met: (e) => num(e.created) <= 120 && num(e.opened) <= 32 && e.other_identity_creates === true && e.other_identity_gets_in === true,
  },
  'abuse-slow-headers: defaults (512 per address, 10 s header deadline)': {
    text: 'every health check answered',
    met: (e) => e.health_ok_during === e.health_checks && e.health_ok_at_12s === e.health_checks,
  },
  'abuse-big-frames: defaults (1 MiB/s per sender)': { text: 'no receiver cut', met: (e) => e.receivers_cut === 0 },
  ...Object.fromEntries(
    ['api-kill', 'media-kill', 'nats-restart', 'postgres-restart'].map((fault) => [
      `chaos: ${fault}`,
      {
        text: '0×500, 0 lost, 0 missed, 0 dup',
        met: (e: Entry) => e.errors === 0 && e.events_lost === 0 && e.enforcements_missed === 0 && e.duplicate_rows === 0 && e.acknowledged_missing === 0,
      },
    ]),
  ),
};
export const API_RSS_TARGET_MB = 200;

export function evaluateTargets(scenarios: Record<string, Entry>, apiRssMax: number | null): Report['targets'] {
  const out: Report['targets'] = {};
  for (const [name, target] of Object.entries(TARGETS)) {
    const e = scenarios[name];
    if (e !== undefined) out[name] = { target: target.text, met: target.met(e) };
  }
  if (apiRssMax !== null) out['api-rss'] = { target: `< ${API_RSS_TARGET_MB} MB`, met: apiRssMax < API_RSS_TARGET_MB };
  return out;
}

export function writeReport(path: string, report: Report): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

const fmt = (v: unknown, digits = 1): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');

function extras(name: string, e: Entry): string {
  const parts: string[] = [];
  if (typeof e.rss_mb_max === 'number') parts.push(`rss ${e.rss_mb_max} MB`);
  if (typeof e.framework_ratio === 'number') parts.push(`${e.framework_ratio}× noop`);
  if ('consistent' in e) parts.push(`consistent=${String(e.consistent)}`);
  if ('lost' in e && 'reordered' in e) parts.push(`lost=${String(e.lost)} reordered=${String(e.reordered)}${e.stalled === true ? ' STALLED' : ''}`);
  else if ('lost' in e) parts.push(`lost=${String(e.lost)} of ${String(e.rounds)}`);
  if (name === 'event-streams') {
    parts.push(`${String(e.streams)} streams, rss ${String(e.rss_mb_before)}→${String(e.rss_mb_after)} MB, ${String(e.kb_per_stream)} KB/stream, all delivered in ${String(e.deliver_all_ms)} ms`);
  }
  if ('offered_rate' in e) parts.push(`offered ${String(e.offered_rate)}/s`);
  if (name.startsWith('abuse')) {
    for (const k of ['growth_mb', 'rss_mb_max', 'created', 'opened', 'refused_429', 'held_at_1s', 'held_at_12s', 'health_ok_during', 'health_ok_at_12s', 'frames_sent', 'frames_delivered_elsewhere', 'frames_delivered', 'frames_delivered_min', 'receivers_cut', 'relayed_mb_per_s', 'waiting_list_kb', 'argon2_checks']) {
      if (k in e) parts.push(`${k}=${String(e[k])}`);
    }
    if (typeof e.status_codes === 'object') parts.push(`codes ${JSON.stringify(e.status_codes)}`);
  }
  if (name.startsWith('glass-to-glass')) {
    parts.push(`${String(e.frames)} frames, encode p50 ${String(e.encode_p50_ms)} ms, relay+decode p50 ${String(e.relay_decode_p50_ms)} ms, max ${String(e.max_ms)} ms, ${String(e.not_decoded)} not decoded; ${String(e.video)}`);
  }
  if (name === 'idle-connections') {
    parts.push(`${String(e.opened)} conns, rss ${String(e.rss_mb_before)}→${String(e.rss_mb_after)} MB, ${String(e.kb_per_connection)} KB/conn`);
  }
  if (e.errors > 0 && typeof e.status_codes === 'object') parts.push(`codes ${JSON.stringify(e.status_codes)}`);
  return parts.join('; ');
}

export function printTable(report: Report): void {
  const rows: string[][] = [['scenario / [limit]', 'rate/s', 'p50 ms', 'p99 ms', 'errors', 'limit', 'limit rate/s', 'ratio (rate/limit)', 'target', 'met', 'details']];
  const limitRow = (name: string, e: Entry) => {
    const runs = Array.isArray(e.runs) ? `runs ${e.runs.join(' / ')}/s; ` : '';
    rows.push([`  [limit] ${name}`, fmt(e.rate, 0), fmt(e.p50_ms, 2), fmt(e.p99_ms, 2), String(e.errors), '', '', '', '', '', runs + extras(name, e)]);
  };
  for (const [name, e] of Object.entries(report.limits)) if (!name.includes('@')) limitRow(name, e);
  for (const [name, e] of Object.entries(report.scenarios)) {
    for (const [limitName, l] of Object.entries(report.limits)) if (limitName.endsWith(`@${name}`)) limitRow(limitName.split(' ')[0] ?? limitName, l);
    const t = report.targets[name];
    const timed = name !== 'idle-connections';
    rows.push([
      name,
      fmt(e.rate, 0),
      timed ? fmt(e.p50_ms, 2) : '–',
      timed ? fmt(e.p99_ms, 2) : '–',
      String(e.errors),
      e.limit ?? '',
      fmt(e.limit_rate, 0),
      fmt(e.ratio, 2),
      t?.target ?? '',
      t === undefined ? '' : t.met ? '✓' : '✗',
      extras(name, e),
    ]);
  }
  for (const [name, why] of Object.entries(report.failures)) rows.push([name, '', '', '', '', '', '', '', '', '✗', `FAILED: ${why.split('\n')[0] ?? ''}`]);
  const rss = report.targets['api-rss'];
  if (rss !== undefined) rows.push(['api-rss-max', '', '', '', '', '', '', '', rss.target, rss.met ? '✓' : '✗', `${fmt(report.services.api_rss_mb_max)} MB (${fmt(report.services.api_rss_mb_at_ready)} MB right after start-up)`]);
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? '')].length))) ?? [];
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd();
  console.log(line(rows[0] ?? []));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
  for (const note of report.notes) console.log(`note: ${note}`);
}
