// `npm run bench [-- --quick] [-- --only status-poll,relay-fanout]`: see bench/README.md.
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle';
import { resolve } from 'node:path';
import { parseBenchArgs, resultsFile } from './lib/args';
import { autovacuumLikeMaintenance, checkAutovacuum, createBenchDatabase } from './lib/bench-db';
import { installSignalHandlers, runCleanup } from './lib/cleanup';
import { DEFAULT_ADMIN_DATABASE_URL } from './lib/constants';
import { round1 } from './lib/limit-measure';
import { describeMachine } from './lib/machine';
import { printProfileSummaries, summariseProfiles } from './lib/profile-summary';
import { evaluateTargets, printTable, writeReport, type Report } from './lib/report';
import { randomJwtSecret } from './lib/tokens';
import { seedLimitTables } from './limits/schema';
import { BenchContext, type RunSettings } from './scenarios/context';
import { SCENARIOS } from './scenarios/index';
import { runSoak } from './soak';

const PROFILES = fileURLToPath(new URL(`./results/profiles/${new Date().toISOString().replace(/[:.]/g, '-')}`, import.meta.url));

async function main(): Promise<number> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.soak) {
    await bundle();
    return runSoak(args.quick);
  }
  const unknown = args.only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const selected = SCENARIOS.filter((s) => args.only.length === 0 || args.only.includes(s.name));
  const settings: RunSettings = args.quick
    ? { quick: true, durationSec: 5, warmupSec: 1, idleConnections: 5_000 }
    : { quick: false, durationSec: 15, warmupSec: 3, idleConnections: 5_000 };
  if (args.profile) settings.profileDir = PROFILES;
  const machine = describeMachine();
  const results = args.out !== undefined ? resolve(args.out) : fileURLToPath(new URL(`./results/${resultsFile(args)}`, import.meta.url));
  console.log(`bench (${args.quick ? 'quick' : 'full'}): ${selected.map((s) => s.name).join(', ')} → ${results}`);
  console.log(`machine: ${machine.cpus}× ${machine.cpu_model}, ${machine.memory_mb} MB, node ${machine.node_version}, load ${machine.load_avg_at_start.join(' ')}`);

  // The services run as `npm start` runs them: the bundled JavaScript on plain node.
  await bundle();
  const db = await createBenchDatabase(process.env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL);
  machine.postgres_autovacuum = await checkAutovacuum(db.url);
  const benchMaintains = machine.postgres_autovacuum !== 'on';
  const stopMaintenance = benchMaintains ? autovacuumLikeMaintenance(db.url) : async () => undefined;
  if (benchMaintains) console.log('         so the bench analyses and vacuums its tables itself, by autovacuum\'s thresholds, every 5 s');
  machine.bench_maintenance = benchMaintains ? 'the bench, every 5 s' : 'autovacuum';
  await seedLimitTables(db.url);
  const ctx = new BenchContext(settings, db, randomJwtSecret());
  const failures: Record<string, string> = {};
  for (const scenario of selected) {
    const t0 = Date.now();
    console.log(`→ ${scenario.name}`);
    try {
      await scenario.run(ctx);
      console.log(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      failures[scenario.name] = (err as Error).message;
      console.error(`  ${scenario.name} failed: ${(err as Error).message}`);
    }
  }
  await stopMaintenance();
  await ctx.stopAll();
  await db.drop();

  const apiRss = ctx.apiRssMax > 0 ? round1(ctx.apiRssMax) : null;
  const report: Report = {
    machine,
    mode: args.quick ? 'quick' : 'full',
    settings: { ...settings, only: args.only },
    scenarios: ctx.scenarios,
    limits: ctx.limits,
    services: { api_rss_mb_at_ready: ctx.apiRssReady > 0 ? ctx.apiRssReady : null, api_rss_mb_max: apiRss, media_rss_mb_max: ctx.mediaRssMax > 0 ? round1(ctx.mediaRssMax) : null },
    targets: evaluateTargets(ctx.scenarios, apiRss),
    failures,
    notes: ctx.notes,
  };
  console.log('');
  printTable(report);
  writeReport(results, report);
  console.log(`\nwritten ${results}${resultsFile(args) === 'latest.json' && args.out === undefined ? ' (the published full run)' : ''}`);
  if (settings.profileDir !== undefined) printProfileSummaries(summariseProfiles(settings.profileDir));
  return Object.keys(failures).length > 0 ? 1 : 0;
}

installSignalHandlers();
main()
  .then(async (code) => {
    await runCleanup();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    console.error(err);
    await runCleanup();
    process.exit(1);
  });
