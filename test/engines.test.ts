import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

/**
 * `npm ci` on the machine's Node prints no engine warning: no installed package's `engines.node`
 * excludes the running Node, and our own `engines` is true to it. (npm warns with EBADENGINE for
 * exactly these packages; a dependency bump that needs a newer Node fails here first.)
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface LockPackage {
  version?: string;
  engines?: { node?: string } | string[];
  optional?: boolean;
  link?: boolean;
}

test("no installed dependency's engines exclude the running Node", () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  const excluded: string[] = [];
  let checked = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.link) continue;
    // Optional packages for other platforms (esbuild's, argon2's) are listed but not installed.
    if (!existsSync(join(ROOT, path, 'package.json'))) continue;
    const installed = JSON.parse(readFileSync(join(ROOT, path, 'package.json'), 'utf8')) as { name: string; version: string; engines?: { node?: string } };
    const range = installed.engines?.node;
    if (typeof range !== 'string') continue;
    checked++;
    if (!semver.satisfies(process.version, range, { includePrerelease: true })) excluded.push(`${installed.name}@${installed.version} wants node ${range}`);
  }
  assert.ok(checked > 20, `read the engines of the installed packages (${checked})`);
  assert.deepEqual(excluded, [], `packages whose engines exclude ${process.version}`);
});

test('our own engines field accepts the running Node', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  assert.ok(semver.satisfies(process.version, pkg.engines.node), `${process.version} satisfies ${pkg.engines.node}`);
});

test('every dependency install script is approved or denied (npm 11 does not warn)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage & { hasInstallScript?: boolean }>;
  };
  const withScripts = Object.entries(lock.packages)
    .filter(([path, e]) => path !== '' && e.hasInstallScript && !e.link && existsSync(join(ROOT, path, 'package.json')))
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  const unreviewed = withScripts.filter((name) => !Object.keys(pkg.allowScripts ?? {}).some((k) => k === name || k.startsWith(`${name}@`)));
  assert.deepEqual(unreviewed, []);
});
