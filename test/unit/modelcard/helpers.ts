/** Shared bits of the model card tests: the real 2024 grid search rebuilt into its folder layout. */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { corpusFile, corpusFiles } from '../../helpers/corpus';

export const GS = '2024-02-14--22-15-46';
/** A file of the real grid search, by its path inside the grid search folder with `/` as `__`. */
export const corpusEvent = (rel: string): string => corpusFile(`mlgym/events/${PREFIX}${GS}__${rel}`);
const PREFIX = 'mlgym+mlgym__event_storage__';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-modelcard-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Copies the corpus files (stored flat, `/` as `__`) into `<root>/<gs>/...`; returns the grid search folder. */
export function rebuildCorpus(root: string): string {
  const files = corpusFiles('mlgym/events').filter((f) => f.name.startsWith(PREFIX));
  assert.ok(files.length > 0);
  for (const f of files) {
    const target = join(root, f.name.slice(PREFIX.length).split('__').join('/'));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(f.abs, target);
  }
  return join(root, GS);
}
