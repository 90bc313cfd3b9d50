import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** A fresh clone must be self-contained: every link in our Markdown resolves to a file of this repository. */
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

function markdownFiles(): string[] {
  // Tracked and new (not ignored) files, as a clone would have them.
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && existsSync(join(ROOT, f)));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}

test('every Markdown link stays inside the repository and points at something that exists', () => {
  const files = markdownFiles();
  assert.ok(files.includes('docs/api.md') && files.includes('README.md'), 'the documents are found');
  const problems: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) {
        problems.push(`${file}: ${target} leaves the repository`);
        continue;
      }
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const resolved = path === '' ? join(ROOT, file) : resolve(ROOT, dirname(file), path);
      if (relative(ROOT, resolved).startsWith('..')) {
        problems.push(`${file}: ${target} leaves the repository`);
      } else if (!existsSync(resolved)) {
        problems.push(`${file}: ${target} does not exist`);
      } else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
        problems.push(`${file}: ${target}: no heading with that anchor`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('docs/api.md documents every route of the OpenAPI document, and the OpenAPI document points at docs/', async () => {
  const { startTestApp } = await import('../services/meeting-api/test/helpers');
  const t = await startTestApp();
  try {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      info: { description: string };
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    assert.match(doc.info.description, /docs\/api\.md/);
    assert.doesNotMatch(doc.info.description, /\.\.\/|MEETING_API\.md|DECISIONS\.md/, 'nothing outside the repository');
    const apiDoc = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
    const missing = Object.entries(doc.paths)
      .flatMap(([path, methods]) =>
        Object.entries(methods)
          // Real operations answer 2xx; the 405 answers for other methods are not routes of their own.
          .filter(([, operation]) => Object.keys(operation.responses ?? {}).some((status) => status.startsWith('2')))
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      )
      .filter((operation) => !apiDoc.includes(`\`${operation}`));
    assert.deepEqual(missing, [], 'each route needs a section in docs/api.md naming it as `METHOD /path`');
  } finally {
    await t.close();
  }
});

test('docs/api.md lists every error code of meeting-types', async () => {
  const { ERROR_CODES } = await import('meeting-types');
  const apiDoc = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
  assert.deepEqual(
    ERROR_CODES.filter((code) => !apiDoc.includes(`\`${code}\``)),
    [],
    'add the code to the Errors table of docs/api.md',
  );
});

test('docs/configuration.md names every variable the services read', () => {
  const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'services/*/src/*.ts', 'services/*/src/**/*.ts', 'scripts/*.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && existsSync(join(ROOT, f)));
  const variables = new Set<string>();
  for (const file of sources) {
    // EnvReader calls: read.port('MEETING_API_PORT', …), read.optionalString('NATS_URL'), …
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/\bread\.\w+\(\s*'([A-Z][A-Z0-9_]+)'/g)) variables.add(m[1]!);
  }
  assert.ok(variables.has('MEETING_API_PORT') && variables.has('NATS_URL'), `found ${[...variables].join(', ')}`);
  const configuration = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
  assert.deepEqual([...variables].filter((v) => !configuration.includes(`\`${v}`)), [], 'missing from docs/configuration.md');
});

test('the README stays a newcomer’s page: at most 200 lines, with the quick start and the test command', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.split('\n').length <= 200, `README.md has ${readme.split('\n').length} lines`);
  assert.match(readme, /npm ci && npm start/);
  assert.match(readme, /npm test/);
});
