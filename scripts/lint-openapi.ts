/**
 * `npm run lint:openapi`: checks the document the Meeting API serves at `/openapi.json`.
 *
 *  1. Builds the app (embedded PGlite, nothing listens) and reads `/openapi.json` through `inject`.
 *  2. Lints it with Redocly CLI's `recommended` rules: any error or warning fails.
 *  3. Generates TypeScript types from it with `openapi-typescript` and type-checks
 *     `packages/meeting-client/openapi-check/client-types.ts`, which asserts that what
 *     meeting-client sends and expects agrees with the generated client.
 *
 *   tsx scripts/lint-openapi.ts            all three
 *   tsx scripts/lint-openapi.ts --write F  only write the document to F
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHECK_DIR = join(ROOT, 'packages/meeting-client/openapi-check');
const BIN = join(ROOT, 'node_modules/.bin');

/** The document as `GET /openapi.json` serves it, from an app that never listens. */
export async function servedOpenApiDocument(): Promise<Record<string, unknown>> {
  const [{ buildApp }, { loadConfig }, { createPgliteDatabase }, { migrate }] = await Promise.all([
    import('../services/meeting-api/src/app'),
    import('../services/meeting-api/src/config'),
    import('../services/meeting-api/src/db/pglite'),
    import('../services/meeting-api/src/db/migrate'),
  ]);
  const db = await createPgliteDatabase(undefined);
  try {
    await migrate(db);
    const config = loadConfig({ JWT_SECRET: 'openapi-lint-secret-that-is-long-enough-0123456789', LOG_LEVEL: 'silent' });
    const app = await buildApp({ ...config, webAppDir: undefined }, { db });
    try {
      const res = await app.inject({ method: 'GET', url: '/openapi.json' });
      if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
      return res.json() as Record<string, unknown>;
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
  }
}

interface RedoclyProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location?: Array<{ pointer?: string }>;
}

/**
 * Redocly's recommended rules on `dir/openapi.json`, with `scripts/openapi-lint-ignore.yaml` (each
 * accepted problem with its reason) as the ignore file beside it.
 */
function redoclyLint(dir: string): { errors: number; warnings: number; ignored: number; problems: RedoclyProblem[] } {
  copyFileSync(join(ROOT, 'scripts/openapi-lint-ignore.yaml'), join(dir, '.redocly.lint-ignore.yaml'));
  let out: string;
  try {
    out = execFileSync(join(BIN, 'redocly'), ['lint', '--extends=recommended', '--format=json', 'openapi.json'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
  } catch (err) {
    // Exit code 1 with problems: the JSON is still on stdout.
    out = String((err as { stdout?: string }).stdout ?? '');
    if (!out.trim().startsWith('{')) throw err;
  }
  const report = JSON.parse(out) as { totals: { errors: number; warnings: number; ignored: number }; problems: RedoclyProblem[] };
  return { ...report.totals, problems: report.problems.filter((p) => !('ignored' in p) || !(p as { ignored?: boolean }).ignored) };
}

async function main(args: string[]): Promise<number> {
  const doc = await servedOpenApiDocument();
  const writeAt = args.indexOf('--write');
  if (writeAt !== -1) {
    const target = resolve(args[writeAt + 1] ?? 'openapi.json');
    writeFileSync(target, `${JSON.stringify(doc, null, 2)}\n`);
    console.log(`openapi: wrote ${target}`);
    return 0;
  }

  const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));

    const lint = redoclyLint(dir);
    for (const p of lint.problems) {
      console.log(`  ${p.severity === 'error' ? 'error' : 'warning'} ${p.ruleId}: ${p.message} (${p.location?.[0]?.pointer ?? ''})`);
    }
    console.log(`openapi: Redocly recommended rules: ${lint.errors} errors, ${lint.warnings} warnings (${lint.ignored} accepted in scripts/openapi-lint-ignore.yaml)`);

    // The generated client's types, checked against what meeting-client sends.
    mkdirSync(join(CHECK_DIR, 'generated'), { recursive: true });
    const generated = join(CHECK_DIR, 'generated/openapi.d.ts');
    execFileSync(join(BIN, 'openapi-typescript'), [file, '--output', generated, '--silent'], { cwd: ROOT, stdio: 'inherit' });
    let typeCheck = true;
    try {
      execFileSync(join(BIN, 'tsc'), ['-p', join(CHECK_DIR, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
      console.log(`openapi: meeting-client agrees with the client generated by openapi-typescript (${readFileSync(generated, 'utf8').split('\n').length} lines)`);
    } catch {
      typeCheck = false;
      console.log('openapi: meeting-client does NOT agree with the generated client (tsc errors above)');
    }
    return lint.errors + lint.warnings === 0 && typeCheck ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
