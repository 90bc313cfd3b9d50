import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { expandGlobs, parseSkipped, parseSummary, PHASES } from './test';

const root = mkdtempSync(join(tmpdir(), 'test-runner-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Real node test runner output for a file with passing, failing, skipped and todo tests, and a skipped test inside a suite. */
function nodeOutput(reporter: 'tap' | 'spec'): string {
  const file = join(root, `sample-${reporter}.test.mjs`);
  writeFileSync(
    file,
    `import { describe, test } from 'node:test';
     test('passes', () => {});
     test('fails', () => { throw new Error('x'); });
     test('todo one', { todo: 'later' }, () => {});
     describe('suite', () => { test('skipped # inside', { skip: 'no NATS here' }, () => {}); test('passes too', () => {}); });`,
  );
  // Without NODE_TEST_CONTEXT the nested runner reports as a top-level run would.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`, file], { encoding: 'utf8', env }).stdout;
}

test('parseSummary reads the closing counts of TAP and of spec output alike', () => {
  for (const reporter of ['tap', 'spec'] as const) {
    const totals = parseSummary(nodeOutput(reporter));
    assert.deepEqual(totals && { tests: totals.tests, pass: totals.pass, fail: totals.fail, skipped: totals.skipped, todo: totals.todo }, {
      tests: 5,
      pass: 2,
      fail: 1,
      skipped: 1,
      todo: 1,
    }, reporter);
  }
  assert.equal(parseSummary('no summary here'), undefined);
});

test('parseSkipped names every skipped and todo test with its reason, also inside suites', () => {
  const skipped = parseSkipped(nodeOutput('tap'));
  assert.deepEqual(
    skipped.map((s) => s.reason),
    ['later', 'no NATS here'],
  );
  assert.match(skipped[1]!.name, /skipped .*inside/);
});

test('expandGlobs: * within a segment, ** at any depth, missing folders match nothing, node_modules never', () => {
  for (const f of ['a/src/x.test.ts', 'a/src/deep/er/y.test.ts', 'a/src/z.ts', 'b/src/w.test.ts', 'a/node_modules/m/src/n.test.ts']) {
    mkdirSync(join(root, 'tree', f, '..'), { recursive: true });
    writeFileSync(join(root, 'tree', f), '');
  }
  const tree = join(root, 'tree');
  assert.deepEqual(expandGlobs(['*/src/*.test.ts'], tree), ['a/src/x.test.ts', 'b/src/w.test.ts']);
  assert.deepEqual(expandGlobs(['a/**/*.test.ts'], tree), ['a/src/deep/er/y.test.ts', 'a/src/x.test.ts']);
  assert.deepEqual(expandGlobs(['apps/web/test/*.test.ts'], tree), []);
  assert.deepEqual(expandGlobs(['a/src/*.test.ts', 'a/src/x.test.ts'], tree), ['a/src/x.test.ts'], 'no duplicates');
});

test('the phases cover every test file in the repository', () => {
  const all = expandGlobs(['**/*.test.ts']);
  const covered = new Set(PHASES.flatMap((p) => expandGlobs(p.globs)));
  assert.deepEqual(all.filter((f) => !covered.has(f)), [], 'add a glob to a phase in scripts/test.ts');
});
