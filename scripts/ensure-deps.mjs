// Installs the extension's npm dependencies when they are missing or older than the lock file, so that
// `npm start` and `npm test` work on a fresh clone without a separate `npm install`.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const fresh = existsSync(marker) && existsSync(lock) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) return;
  console.log('Installing npm dependencies (npm ci)...');
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  } catch {
    throw new Error('npm ci failed: check that the npm registry is reachable (see the output above).');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureDependencies();
