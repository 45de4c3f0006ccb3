/** Shared bits of the model card tests: the real 2024 grid search rebuilt into its folder layout. */
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const CORPUS = process.env.CUBELAB_MLGYM_EVENTS_CORPUS ?? '/work/shared/corpus/mlgym/events';
export const GS = '2024-02-14--22-15-46';
const PREFIX = 'mlgym+mlgym__event_storage__';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-modelcard-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Copies the corpus files (stored flat, `/` as `__`) into `<root>/<gs>/...`; returns the grid search folder. */
export function rebuildCorpus(root: string): string {
  assert.ok(existsSync(CORPUS), `corpus folder ${CORPUS} is missing`);
  for (const name of readdirSync(CORPUS)) {
    if (!name.startsWith(PREFIX)) continue;
    const target = join(root, name.slice(PREFIX.length).split('__').join('/'));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(CORPUS, name), target);
  }
  return join(root, GS);
}
