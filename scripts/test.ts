/**
 * `npm test` after the build: runs the test phases below one after the other with
 * node's test runner, shows node's own output, and ends with one total over all
 * phases (and the name of every skipped test, with its reason).
 *
 *   tsx scripts/test.ts              every phase
 *   tsx scripts/test.ts unit pglite  only those phases
 *
 * Where new suites go: add the file next to its neighbours and it is picked up
 * by the globs below (`*.test.ts` beside a module = unit; a service's `test/`
 * folder = integration). A new kind of suite (a new app's tests, browser tests)
 * is one more entry in PHASES, or one more glob in an existing phase. A glob
 * that matches nothing is ignored, so a phase may list folders that do not exist yet.
 *
 * NATS: when `NATS_URL` is unset and a NATS answers at the default local address,
 * the phases get `NATS_URL` pointing at it, so the NATS suites run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_NATS_URL, findNats } from 'service-runtime';

export interface TestPhase {
  name: string;
  /** What the phase checks, printed before it runs. */
  about: string;
  /** Repository-relative globs (`*` within one path segment, `**` for any depth). */
  globs: string[];
  /** Test files run at once (each file is its own process). */
  concurrency: number;
  /** Extra environment for the phase. */
  env?: Record<string, string>;
  /** Run only when named (`tsx scripts/test.ts webkit`), not by `npm test`. */
  onRequest?: boolean;
}

export const PHASES: TestPhase[] = [
  {
    name: 'unit',
    about: 'pure modules, beside their source',
    globs: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
    concurrency: 2,
  },
  {
    name: 'integration',
    about: 'each service against real PostgreSQL and NATS, and the repository-level end-to-end tests',
    globs: ['services/*/test/**/*.test.ts', 'test/*.test.ts'],
    concurrency: 3,
  },
  {
    name: 'apps',
    about: 'the client apps (apps/*): unit tests beside their source, browser tests in apps/*/test',
    globs: ['apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    concurrency: 1,
  },
  {
    name: 'pglite',
    about: 'the Meeting API integration suite again, on the embedded database (PGlite)',
    globs: ['services/meeting-api/test/**/*.test.ts'],
    concurrency: 2,
    env: { TEST_DB: 'pglite' },
  },
  {
    name: 'webkit',
    about: 'a call between WebKitGTK and Chromium (on request only: WebKit\'s page sometimes stops answering, see docs/browsers.md)',
    globs: ['test/webkit/**/*.test.ts'],
    concurrency: 1,
    onRequest: true,
  },
];

const COUNTERS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const;
type Counter = (typeof COUNTERS)[number];
export type Totals = Record<Counter, number>;

/** The closing counts of one node test run, from its TAP (`# pass 3`) or spec (`ℹ pass 3`) output. */
export function parseSummary(output: string): Totals | undefined {
  const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Totals;
  let found = false;
  for (const counter of COUNTERS) {
    // The last match: the top-level summary comes after any nested output.
    const matches = [...output.matchAll(new RegExp(`^(?:#|ℹ) ${counter} (\\d+)$`, 'gm'))];
    const last = matches.at(-1);
    if (last) {
      totals[counter] = Number(last[1]);
      found = true;
    }
  }
  return found ? totals : undefined;
}

/** Every skipped (or todo) test in TAP output: `ok 3 - name # SKIP reason`. */
export function parseSkipped(tap: string): Array<{ name: string; reason: string }> {
  const skipped: Array<{ name: string; reason: string }> = [];
  for (const m of tap.matchAll(/^\s*(?:not )?ok \d+ - (.*?) # (?:SKIP|TODO)\b ?(.*)$/gm)) {
    skipped.push({ name: m[1]!.replace(/\\#/g, '#'), reason: m[2]!.trim() || 'no reason given' });
  }
  return skipped;
}

/** Expands repository-relative globs (`*`, `**`), sorted, without node_modules or dist. */
export function expandGlobs(globs: string[], root = process.cwd()): string[] {
  const files = new Set<string>();
  const segmentRegex = (segment: string) =>
    new RegExp(`^${segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  const walk = (dir: string, parts: string[]) => {
    if (parts.length === 0) return;
    const [head, ...rest] = parts as [string, ...string[]];
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return; // a folder that does not exist (yet) matches nothing
    }
    if (head === '**') {
      walk(dir, rest); // zero folders
      for (const e of entries) if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'dist') walk(join(dir, e.name), parts);
      return;
    }
    const re = segmentRegex(head);
    for (const e of entries) {
      if (!re.test(e.name) || e.name === 'node_modules' || e.name === 'dist') continue;
      const path = join(dir, e.name);
      if (rest.length === 0) {
        if (e.isFile()) files.add(path);
      } else if (e.isDirectory()) {
        walk(path, rest);
      }
    }
  };
  for (const glob of globs) walk('', glob.split('/'));
  return [...files].sort();
}

interface PhaseResult {
  phase: TestPhase;
  files: number;
  totals: Totals | undefined;
  skipped: Array<{ name: string; reason: string }>;
  exitCode: number;
  seconds: number;
}

async function runPhase(phase: TestPhase, env: NodeJS.ProcessEnv, tapDir: string): Promise<PhaseResult> {
  const started = Date.now();
  const files = expandGlobs(phase.globs);
  console.log(`\n━━ phase ${phase.name}: ${phase.about} (${files.length} files)`);
  if (files.length === 0) {
    return { phase, files: 0, totals: undefined, skipped: [], exitCode: 0, seconds: 0 };
  }
  const tapFile = join(tapDir, `${phase.name}.tap`);
  // node's usual reporter on the terminal (spec on a TTY, TAP otherwise), and TAP to a file we count from.
  const reporter = process.stdout.isTTY ? 'spec' : 'tap';
  const args = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${phase.concurrency}`,
    `--test-reporter=${reporter}`,
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ];
  const exitCode = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...env, ...phase.env }, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  let tap = '';
  try {
    tap = readFileSync(tapFile, 'utf8');
  } catch {
    /* the runner died before writing anything */
  }
  return { phase, files: files.length, totals: parseSummary(tap), skipped: parseSkipped(tap), exitCode, seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((n) => !PHASES.some((p) => p.name === n));
  if (unknown.length > 0) {
    console.error(`unknown phase ${unknown.join(', ')}; phases: ${PHASES.map((p) => p.name).join(', ')}`);
    process.exit(2);
  }
  const phases = requested.length > 0 ? PHASES.filter((p) => requested.includes(p.name)) : PHASES.filter((p) => p.onRequest !== true);

  const env: NodeJS.ProcessEnv = { ...process.env };
  const nats = await findNats(env.NATS_URL);
  if (nats === undefined) {
    delete env.NATS_URL;
    console.log(`NATS: none (NATS_URL unset, nothing at ${DEFAULT_NATS_URL}): the NATS tests will be skipped and counted as skipped`);
  } else {
    env.NATS_URL = nats.url;
    console.log(`NATS: ${nats.found === 'env' ? 'NATS_URL' : `found at ${DEFAULT_NATS_URL}`}: the NATS tests run`);
  }

  const tapDir = mkdtempSync(join(tmpdir(), 'npm-test-'));
  const results: PhaseResult[] = [];
  try {
    for (const phase of phases) results.push(await runPhase(phase, env, tapDir));
  } finally {
    rmSync(tapDir, { recursive: true, force: true });
  }

  const sum = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Totals;
  console.log('\n━━ all phases');
  for (const r of results) {
    const t = r.totals;
    for (const c of COUNTERS) sum[c] += t?.[c] ?? 0;
    const line = t
      ? `tests ${t.tests}: ${t.pass} passed, ${t.fail} failed, ${t.skipped} skipped, ${t.cancelled} cancelled, ${t.todo} todo`
      : r.files === 0
        ? 'no test files'
        : 'no summary (the test runner did not finish)';
    console.log(`  ${r.phase.name.padEnd(12)} ${String(r.files).padStart(3)} files  ${line}  (${r.seconds.toFixed(0)} s${r.exitCode !== 0 ? `, exit code ${r.exitCode}` : ''})`);
  }
  const allSkipped = results.flatMap((r) => r.skipped.map((s) => ({ ...s, phase: r.phase.name })));
  if (allSkipped.length > 0) {
    console.log(`  skipped or todo:`);
    for (const s of allSkipped) console.log(`    [${s.phase}] ${s.name}: ${s.reason}`);
  }
  const failedPhases = results.filter((r) => r.exitCode !== 0 || r.totals === undefined && r.files > 0);
  console.log(
    `all tests ${sum.tests}: ${sum.pass} passed, ${sum.fail} failed, ${sum.skipped} skipped, ${sum.cancelled} cancelled, ${sum.todo} todo` +
      (failedPhases.length > 0 ? `  ✗ failing phases: ${failedPhases.map((r) => r.phase.name).join(', ')}` : ''),
  );
  process.exitCode = failedPhases.length > 0 || sum.fail > 0 || sum.cancelled > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
