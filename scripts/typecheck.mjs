// `npm run typecheck`: type-checks every tsconfig of the project, one per runtime plus the whole tree
// (see tsconfig.base.json). Exits non-zero when any of them has an error; prints each one's time.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Each config and what it stands for (the unit test test/unit/repo/tsconfigs.test.ts reads this list). */
export const CONFIGS = [
  ['shared/tsconfig.json', 'shared protocol and helpers'],
  ['server/tsconfig.json', 'language server (Node, no DOM, no vscode)'],
  ['webviews/tsconfig.json', 'webviews (DOM, no Node)'],
  ['client/tsconfig.json', 'extension host (Node and vscode, no DOM)'],
  ['tsconfig.json', 'whole tree with tests and scripts'],
];

function check(config) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [tsc, '-p', join(root, config), '--noEmit', '--pretty', 'false'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => resolve({ config, ok: code === 0, out, seconds: (Date.now() - started) / 1000 }));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const only = process.argv.slice(2);
  const configs = CONFIGS.filter(([c]) => only.length === 0 || only.some((o) => c.startsWith(o)));
  let failed = 0;
  // Two at a time: the machine's cores are shared, and each tsc is single-threaded.
  const queue = [...configs];
  const results = [];
  await Promise.all([0, 1].map(async () => {
    for (let next = queue.shift(); next; next = queue.shift()) results.push(await check(next[0]));
  }));
  for (const [config, what] of configs) {
    const r = results.find((x) => x.config === config);
    if (!r) continue;
    if (!r.ok) failed++;
    process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${config.padEnd(24)} ${what} (${r.seconds.toFixed(1)} s)\n`);
    if (!r.ok) process.stdout.write(r.out.replace(/^/gm, '    ') + '\n');
  }
  process.exitCode = failed ? 1 : 0;
}
