import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  file: string;
  total_ms: number;
  busy_pct: number;
  /** Self time by area: a package under node_modules, a workspace, node internals, GC, idle. */
  by_area: { area: string; pct: number }[];
  /** Hottest functions by self time. */
  top_functions: { fn: string; pct: number }[];
}

/** Where a frame's code lives, coarse enough to point at a bottleneck. */
function area(url: string, fn: string): string {
  if (fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)') return fn;
  if (url === '') return '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  const ws = /\/(services|packages)\/([^/]+)\//.exec(url);
  if (ws?.[2] !== undefined) return `${ws[1]}/${ws[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

export function summariseProfile(path: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const totalHits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const a = area(url, functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + hits);
    const shortUrl = url.replace(/^.*\/(node_modules|services|packages)\//, '$1/').replace(/^file:\/\//, '');
    const key = `${functionName || '(anonymous)'} ${shortUrl}:${lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
  }
  const pct = (h: number) => Math.round((h / totalHits) * 1000) / 10;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  const idle = byArea.get('(idle)') ?? 0;
  return {
    file: path,
    total_ms: Math.round((profile.endTime - profile.startTime) / 1000),
    busy_pct: pct(totalHits - idle),
    by_area: sorted(byArea)
      .slice(0, top)
      .map(([a, h]) => ({ area: a, pct: pct(h) })),
    top_functions: sorted(byFn)
      .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)'))
      .slice(0, top)
      .map(([fn, h]) => ({ fn, pct: pct(h) })),
  };
}

/** Every profile under `dir` (one sub-directory per service), leaving out near-idle threads. */
export function summariseProfiles(dir: string): ProfileSummary[] {
  let files: string[];
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((f) => summariseProfile(join(dir, f)))
    .filter((s) => s.busy_pct >= 5);
}

export function printProfileSummaries(summaries: readonly ProfileSummary[]): void {
  for (const s of summaries) {
    console.log(`\nprofile ${s.file} (${s.total_ms} ms, ${s.busy_pct}% busy)`);
    console.log(`  by area: ${s.by_area.map((a) => `${a.area} ${a.pct}%`).join(', ')}`);
    for (const f of s.top_functions) console.log(`  ${String(f.pct).padStart(5)}%  ${f.fn}`);
  }
}
