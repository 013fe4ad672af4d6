import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  version?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  libc?: string[];
}

const root = path.join(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as LockEntry;
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

test('package-lock.json is what npm install on a fresh clone (npm 10 or 11) leaves as it is, and npm ci accepts', () => {
  const top = lock.packages['']!;
  assert.deepEqual(
    top.dependencies,
    pkg.dependencies,
    'lock out of step with package.json: npm install --package-lock-only',
  );
  assert.deepEqual(top.devDependencies, pkg.devDependencies);
  assert.deepEqual(top.engines, pkg.engines);
  // npm 11 writes `libc` for platform packages and npm 10 (Node 20's) removes it: without it, both leave the lock alone.
  const withLibc = Object.keys(lock.packages).filter((k) => lock.packages[k]!.libc);
  assert.deepEqual(withLibc, [], 'regenerate with npm 10: npx npm@10 install --package-lock-only');
  // Every platform's optional binary is recorded (npm ci refuses a lock missing one: "Missing: … from lock file").
  for (const [name, entry] of Object.entries(lock.packages)) {
    for (const optional of Object.keys(entry.optionalDependencies ?? {})) {
      const nested = `${name}/node_modules/${optional}`;
      assert.ok(
        lock.packages[nested] ?? lock.packages[`node_modules/${optional}`],
        `${optional} (optional dependency of ${name || 'the project'}) is not in the lock`,
      );
    }
  }
});
