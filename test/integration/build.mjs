// Bundles the integration suite and the code-server companion extension into test/integration/out/:
//   out/suite/index.js, out/suite/*.test.js   (one bundle per file; `vscode` and `mocha` stay external)
//   out/companion/extension.js                 (plus its package.json, copied)
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'out');
rmSync(out, { recursive: true, force: true });

const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', logLevel: 'warning',
  external: ['vscode', 'mocha'],
};
const suiteEntries = readdirSync(join(here, 'suite')).filter((f) => f.endsWith('.ts')).map((f) => join(here, 'suite', f));
await esbuild.build({ ...common, entryPoints: suiteEntries, outdir: join(out, 'suite') });
await esbuild.build({ ...common, entryPoints: [join(here, 'companion', 'extension.ts')], outdir: join(out, 'companion') });
mkdirSync(join(out, 'companion'), { recursive: true });
copyFileSync(join(here, 'companion', 'package.json'), join(out, 'companion', 'package.json'));
