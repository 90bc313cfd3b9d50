/**
 * Runs a test file again and again, stopping at the first failure: how the race
 * tests prove they hold (each run is a fresh process and a fresh database).
 *
 *   tsx scripts/repeat-test.ts [--times N] <test file>...
 *   npm run test:races            (the meeting-control races, 20 runs in a row)
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
let times = 20;
const timesAt = args.indexOf('--times');
if (timesAt !== -1) {
  times = Number(args[timesAt + 1]);
  args.splice(timesAt, 2);
}
if (!Number.isInteger(times) || times < 1 || args.length === 0) {
  console.error('usage: tsx scripts/repeat-test.ts [--times N] <test file>...');
  process.exit(2);
}

for (let run = 1; run <= times; run++) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const output = result.stdout.toString();
  const summary = /# pass (\d+)[\s\S]*# fail (\d+)/.exec(output);
  if (result.status !== 0) {
    process.stdout.write(output);
    console.error(`run ${run}/${times} FAILED`);
    process.exit(1);
  }
  console.log(`run ${run}/${times}: pass ${summary?.[1] ?? '?'}, fail ${summary?.[2] ?? '?'}`);
}
console.log(`${times} runs in a row passed`);
